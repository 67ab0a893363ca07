// object/set.ts — set and frozenset: open-addressing hash tables of keys.
//
// CPython counterparts: Objects/setobject.c (set_add_entry, set_discard_entry,
// set_table_resize's growth rule, frozenset_hash's order-independent combination,
// set_dealloc's table-order release).
//
//   (GC head)
//   +--------+        table (object domain), mask + 1 entries
//   | refcnt |        +------------+
//   | type   |        | hash | key |   key 0 = never used, 1 = deleted (dummy)
//   | used   |        | hash | key |
//   | fill   |        | ...        |
//   | mask   |        +------------+
//   | table -+----->
//   | hash   |   frozenset's cached hash (valid when != -1)
//   +--------+   36 bytes, a 40-byte block (CPython: 200 with its inline small table)
//
// An empty set has no table (mask == 0, table == 0); the first add makes 8 slots.
// Invariants: used = live keys; fill = live + dummies; fill * 5 < mask * 3.
//
// Re-entrancy: comparing keys can compare frozensets, which looks keys up in *other*
// sets (frozensetEq -> setHas -> lookup). So a lookup keeps everything in locals and
// returns what it found; where to insert is found by a second probe that compares
// nothing (insertSlot), after the comparisons are over.

import { TYPE_SET, TYPE_FROZENSET } from "./header";
import { fail, ERR_MEMORY, lastError, lastErrorType } from "./errors";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { GC_HEAD, track, deadCursor, setDeadCursor } from "../gc/heads";
import { newGCObject, gcAlloc, gcLink, freeGCObject } from "../gc/alloc";
import { visit } from "../gc/visit";
import { incref, decref, dropChild } from "./refcount";
import { hashOf, objEq, enterRecursion, leaveRecursion } from "./hash";

export const DUMMY: u32 = 1;

// ---- layout ----
const SET_USED: usize = 8;
const SET_FILL: usize = 12;
const SET_MASK: usize = 16;
const SET_TABLE: usize = 20;
const SET_HASH: usize = 24;
const SET_BYTES: usize = 28;
const ENTRY_KEY: usize = 4;   // an entry: hash i32, key

// @ts-ignore: decorator
@inline export function setUsed(s: usize): i32 { return load<i32>(s, SET_USED); }
// @ts-ignore: decorator
@inline function setFill(s: usize): u32 { return load<u32>(s, SET_FILL); }
// @ts-ignore: decorator
@inline export function setMask(s: usize): u32 { return load<u32>(s, SET_MASK); }
// @ts-ignore: decorator
@inline export function setTable(s: usize): usize { return load<u32>(s, SET_TABLE); }
// @ts-ignore: decorator
@inline export function slotKey(t: usize, j: u32): usize { return load<u32>(t + (<usize>j << 3), ENTRY_KEY); }

export function setNew(frozen: bool): usize {
  const s = newGCObject(frozen ? TYPE_FROZENSET : TYPE_SET, SET_BYTES);
  if (!s) return 0;
  initSet(s);
  track(s);
  return s;
}

// @ts-ignore: decorator
@inline function initSet(s: usize): void {
  store<i32>(s, 0, SET_USED);
  store<u32>(s, 0, SET_FILL);
  store<u32>(s, 0, SET_MASK);
  store<u32>(s, 0, SET_TABLE);
  store<i32>(s, -1, SET_HASH);
}

/** The entry holding key, 0 when absent, 1 on error (ERR_RECURSION). Keeps no state. */
function lookup(s: usize, key: usize, hash: i32): usize {
  const t = setTable(s);
  if (!t) return 0;
  const mask = setMask(s);
  let perturb = <u32>hash;
  let i = <u32>hash & mask;
  while (true) {
    const e = t + (<usize>i << 3);
    const k = load<u32>(e, ENTRY_KEY);
    if (k == 0) return 0;
    if (k == <u32>key) return e;
    if (k != DUMMY && load<i32>(e) == hash) {
      const c = objEq(k, key);
      if (c < 0) return 1;
      if (c) return e;
    }
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/**
 * Where a key of this hash that lookup() did not find goes: the first dummy or empty
 * entry of its probe sequence (set_add_entry's freeslot, else the empty entry that
 * ended the search). Compares nothing. The set has a table.
 */
function insertSlot(s: usize, hash: i32): usize {
  const t = setTable(s), mask = setMask(s);
  let perturb = <u32>hash;
  let i = <u32>hash & mask;
  while (true) {
    const e = t + (<usize>i << 3);
    if (load<u32>(e, ENTRY_KEY) <= DUMMY) return e;
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/** set_table_resize: the smallest power of 2 above minUsed, at least 8. */
function resize(s: usize, minUsed: u32): bool {
  let size: u32 = 8;
  while (size <= minUsed) size <<= 1;
  const t = objMalloc(<usize>size << 3);
  if (!t) return false;
  memory.fill(t, 0, <usize>size << 3);
  const old = setTable(s), oldSize = old ? setMask(s) + 1 : 0;
  const mask = size - 1;
  for (let j: u32 = 0; j < oldSize; j++) {
    const e = old + (<usize>j << 3);
    const k = load<u32>(e, ENTRY_KEY);
    if (k <= DUMMY) continue;
    const h = load<i32>(e);
    let perturb = <u32>h;
    let i = <u32>h & mask;
    while (load<u32>(t + (<usize>i << 3), ENTRY_KEY)) { perturb >>= 5; i = (i * 5 + perturb + 1) & mask; }
    store<u64>(t + (<usize>i << 3), load<u64>(e));
  }
  if (old) objFree(old);
  store<u32>(s, t, SET_TABLE);
  store<u32>(s, size - 1, SET_MASK);
  store<u32>(s, <u32>setUsed(s), SET_FILL);
  return true;
}

/** set.add: 1 added, 2 already there, 0 on error (unhashable, memory). */
export function setAdd(s: usize, key: usize): i32 {
  const hash = hashOf(key);
  if (hash == -1) return 0;
  const found = lookup(s, key, hash);
  if (found == 1) return 0;
  if (found) return 2;
  const used = <u32>setUsed(s);
  let e = setTable(s) ? insertSlot(s, hash) : 0;
  // set_add_entry grows when filling an unused slot (not a dummy) makes fill * 5 >= mask * 3,
  // to used * 4 (used * 2 past 50,000) with used counting the new key; growing before the
  // insert instead of after it gives the same table
  if (!e || (load<u32>(e, ENTRY_KEY) == 0 && (setFill(s) + 1) * 5 >= setMask(s) * 3)) {
    const n = used + 1;
    if (!resize(s, n > 50000 ? n * 2 : n * 4)) { fail(ERR_MEMORY); return 0; }
    e = insertSlot(s, hash);
  }
  if (load<u32>(e, ENTRY_KEY) == 0) store<u32>(s, setFill(s) + 1, SET_FILL);
  incref(key);
  store<i32>(e, hash);
  store<u32>(e, key, ENTRY_KEY);
  store<i32>(s, used + 1, SET_USED);
  return 1;
}

/**
 * set(items) / frozenset(items) of the n ids at p: a new set, or 0 (unhashable item,
 * memory). The items are held (incref'd) from before the set's link, which may run a
 * collection, to the end: host code cannot free one before it is added.
 */
export function setFrom(p: usize, n: i32, frozen: bool): usize {
  const s = gcAlloc(frozen ? TYPE_FROZENSET : TYPE_SET, SET_BYTES);
  if (!s) return 0;
  initSet(s);
  for (let i = 0; i < n; i++) incref(load<u32>(p + (<usize>i << 2)));
  gcLink();
  track(s);
  let ok = true;
  for (let i = 0; i < n && ok; i++) ok = setAdd(s, load<u32>(p + (<usize>i << 2))) != 0;
  // the error outlives the drops below (which may run host code that calls the engine)
  const err = lastError, errType = lastErrorType;
  if (!ok) decref(s);
  for (let i = 0; i < n; i++) decref(load<u32>(p + (<usize>i << 2)));
  if (ok) return s;
  return fail(err, errType);
}

/** key in s: 1, 0, or -1 on error. */
export function setHas(s: usize, key: usize): i32 {
  const hash = hashOf(key);
  if (hash == -1) return -1;
  const e = lookup(s, key, hash);
  return e == 1 ? -1 : e ? 1 : 0;
}

/** set.discard: 1 removed, 2 absent, 0 on error. The key is dropped after. */
export function setDiscard(s: usize, key: usize): i32 {
  const hash = hashOf(key);
  if (hash == -1) return 0;
  const e = lookup(s, key, hash);
  if (e == 1) return 0;
  if (!e) return 2;
  const old = load<u32>(e, ENTRY_KEY);
  store<u32>(e, DUMMY, ENTRY_KEY);
  store<i32>(s, setUsed(s) - 1, SET_USED);
  decref(old);
  return 1;
}

/** set.clear(): detach the table, then drop the keys in table order. */
export function setClear(s: usize): void {
  const t = setTable(s), size = t ? setMask(s) + 1 : 0;
  store<i32>(s, 0, SET_USED);
  store<u32>(s, 0, SET_FILL);
  store<u32>(s, 0, SET_MASK);
  store<u32>(s, 0, SET_TABLE);
  for (let j: u32 = 0; j < size; j++) {
    const k = slotKey(t, j);
    if (k > DUMMY) decref(k);
  }
  if (t) objFree(t);
}

/** The first table position >= pos holding a key, or -1. */
export function setNext(s: usize, pos: i32): i32 {
  const t = setTable(s);
  if (!t || pos < 0) return -1;
  const size = <i32>setMask(s) + 1;
  for (let i = pos; i < size; i++) if (load<u32>(t + (<usize>i << 3), ENTRY_KEY) > DUMMY) return i;
  return -1;
}

export function setEntryKey(s: usize, i: i32): usize { return load<u32>(setTable(s) + (<usize>i << 3), ENTRY_KEY); }

/** _shuffle_bits: spreads the bits of an element's hash (32-bit arithmetic). */
// @ts-ignore: decorator
@inline function shuffleBits(h: u32): u32 { return ((h ^ 89869747) ^ (h << 16)) * 3644798167; }

/**
 * frozenset_hash, cached: an order-independent mix of the elements' hashes (the xor of
 * their shuffled bits), the number of elements, and a final dispersal; 32-bit as in a
 * 32-bit CPython.
 */
export function frozensetHash(s: usize): i32 {
  let cached = load<i32>(s, SET_HASH);
  if (cached != -1) return cached;
  let h: u32 = 0;
  const t = setTable(s), size = t ? setMask(s) + 1 : 0;
  for (let j: u32 = 0; j < size; j++) {
    const e = t + (<usize>j << 3);
    if (load<u32>(e, ENTRY_KEY) > DUMMY) h ^= shuffleBits(load<u32>(e));
  }
  h ^= (<u32>setUsed(s) + 1) * 1927868237;
  h ^= (h >> 11) ^ (h >> 25);
  h = h * 69069 + 907133923;
  if (h == <u32>-1) h = 590923713;
  store<i32>(s, <i32>h, SET_HASH);
  return <i32>h;
}

export function setFinish(s: usize): void {
  const t = setTable(s);
  if (t) objFree(t);
  freeGCObject(s);
}

export function setSizeof(s: usize): usize {
  return GC_HEAD + SET_BYTES + 4 + (setTable(s) ? (<usize>setMask(s) + 1) << 3 : 0);
}

/** set_traverse: the keys in table order. */
// @ts-ignore: decorator
@inline export function setTraverse(s: usize, kind: i32, arg: usize): void {
  const t = setTable(s);
  if (!t) return;
  const m = setMask(s) + 1;
  for (let j: u32 = 0; j < m; j++) {
    const key = slotKey(t, j);
    if (key > DUMMY) visit(kind, key, arg);
  }
}

/** set_dealloc's drops, resumable (see object/dealloc.ts): the keys in table order. */
// @ts-ignore: decorator
@inline export function setNextDeadChild(s: usize): usize {
  let c = deadCursor(s);
  const t = setTable(s);
  const m: u32 = t ? setMask(s) + 1 : 0;
  let dead: usize = 0;
  while (c < m && !dead) {
    const k = slotKey(t, c);
    c++;
    if (k > DUMMY && dropChild(k)) dead = k;
  }
  setDeadCursor(s, c);
  return dead;
}

/**
 * frozenset == frozenset (set_richcompare's Py_EQ): the same size, the same hash, and
 * every key of a in b. 1, 0, or -1 (ERR_RECURSION: keys compare recursively).
 */
export function frozensetEq(a: usize, b: usize): i32 {
  if (setUsed(a) != setUsed(b)) return 0;
  if (frozensetHash(a) != frozensetHash(b)) return 0;
  if (!enterRecursion()) return -1;
  let r = 1;
  for (let i = setNext(a, 0); i >= 0; i = setNext(a, i + 1)) {
    const c = setHas(b, setEntryKey(a, i));
    if (c != 1) { r = c; break; }
  }
  leaveRecursion();
  return r;
}

