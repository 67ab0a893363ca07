// object/dict.ts — dict: CPython's compact, insertion-ordered hash table.
//
// CPython counterparts: Objects/dictobject.c (PyDictKeysObject with dk_indices and
// dk_entries, lookdict's perturbation probe, insertdict, dictresize with
// GROWTH_RATE and USABLE_FRACTION, delitem_common, PyDict_Clear, the dict free
// list, MAINTAIN_TRACKING and _PyDict_MaybeUntrack's rule for starting untracked).
//
//   (GC head)
//   +--------+        keys table (object domain)
//   | refcnt |        +----------------+
//   | type   |        | size (2**k)    |
//   | used   |        | usable         |   entries still appendable
//   | keys --+------> | nentries       |   entries appended (live + deleted)
//   +--------+        | (pad)          |
//   24 bytes          | indices i32[size]   -1 empty, -2 deleted, else an entry number
//   (CPython: 64)     | entries [hash i32 | key | value] x usable_fraction(size)
//                     +----------------+
//
// An empty dict has no table (keys == 0). Entries are appended in insertion order,
// so iteration is by entry number, skipping deleted entries (key == 0).
//
// Invariants kept here:
//   - used == number of entries with key != 0; usable + nentries == size * 2 / 3;
//   - equal keys have equal hashes (object/hash.ts), so a probe stops at -1;
//   - a dict is tracked once it holds a key or value that may be tracked (a tracked
//     tuple or any other container), and a new dict starts untracked;
//   - a stored key keeps the first key object: replacing the value of 1 by setting
//     True keeps the key 1 (Python's rule).

import { TYPE_DICT, TYPE_TUPLE, TYPE_STR, isGC, typeId } from "./header";
import { fail, ERR_KEY, ERR_MEMORY, lastError, lastErrorType } from "./errors";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { FreeList, freeListPop, freeListPush, freeListClear, freeListEach } from "../alloc/freelist";
import { poolBlockSize } from "../alloc/livecount";
import { GC_HEAD, track, isTracked, deadCursor, setDeadCursor } from "../gc/heads";
import { newGCObject, gcAlloc, gcLink, freeGCObject } from "../gc/alloc";
import { visit, VISIT_COLLECT, VISIT_REFERS } from "../gc/visit";
import { incref, decref, dropChild } from "./refcount";
import { hashOf, objEq } from "./hash";

const DKIX_EMPTY: i32 = -1;
const DKIX_DUMMY: i32 = -2;
const MINSIZE: u32 = 8;
export const DICT_MAXFREELIST: i32 = 80;
const dictFree = memory.data(offsetof<FreeList>(), 8);
export function dictNumFree(): i32 { return changetype<FreeList>(dictFree).count; }

// ---- layout ----
const DICT_USED: usize = 8;
const DICT_KEYS: usize = 12;
const DICT_BYTES: usize = 16;
const KEYS_USABLE: usize = 4;
const KEYS_NENTRIES: usize = 8;
const ENTRY_BYTES: usize = 12;
const ENTRY_HASH: usize = 0;
const ENTRY_KEY: usize = 4;
const ENTRY_VALUE: usize = 8;

// @ts-ignore: decorator
@inline export function dictUsed(d: usize): i32 { return load<i32>(d, DICT_USED); }
// @ts-ignore: decorator
@inline function setDictUsed(d: usize, n: i32): void { store<i32>(d, n, DICT_USED); }
// @ts-ignore: decorator
@inline export function dictKeys(d: usize): usize { return load<u32>(d, DICT_KEYS); }
// @ts-ignore: decorator
@inline function setDictKeys(d: usize, k: usize): void { store<u32>(d, <u32>k, DICT_KEYS); }
// @ts-ignore: decorator
@inline function entryHash(e: usize): i32 { return load<i32>(e, ENTRY_HASH); }
// @ts-ignore: decorator
@inline export function entryKey(e: usize): usize { return load<u32>(e, ENTRY_KEY); }
// @ts-ignore: decorator
@inline export function entryValue(e: usize): usize { return load<u32>(e, ENTRY_VALUE); }
// @ts-ignore: decorator
@inline function setEntry(e: usize, hash: i32, key: usize, value: usize): void {
  store<i32>(e, hash, ENTRY_HASH);
  store<u32>(e, <u32>key, ENTRY_KEY);
  store<u32>(e, <u32>value, ENTRY_VALUE);
}
// @ts-ignore: decorator
@inline function ksize(k: usize): u32 { return load<u32>(k); }
// @ts-ignore: decorator
@inline function kentries(k: usize): usize { return k + 16 + (<usize>load<u32>(k) << 2); }
// @ts-ignore: decorator
@inline export function entryAt(k: usize, i: i32): usize { return kentries(k) + <usize>i * ENTRY_BYTES; }
// @ts-ignore: decorator
@inline export function keysNentries(k: usize): i32 { return load<i32>(k, KEYS_NENTRIES); }
// @ts-ignore: decorator
@inline function keysUsable(k: usize): u32 { return load<u32>(k, KEYS_USABLE); }
// @ts-ignore: decorator
@inline function setKeysCounts(k: usize, usable: u32, nentries: i32): void {
  store<u32>(k, usable, KEYS_USABLE);
  store<i32>(k, nentries, KEYS_NENTRIES);
}
// @ts-ignore: decorator
@inline function usableFraction(n: u32): u32 { return (n << 1) / 3; }
// @ts-ignore: decorator
@inline export function keysBytes(size: u32): usize { return 16 + (<usize>size << 2) + <usize>usableFraction(size) * ENTRY_BYTES; }

export function dictNew(): usize {
  let d = dictPop();
  if (!d) {
    d = newGCObject(TYPE_DICT, DICT_BYTES);
    if (!d) return 0;
  }
  setDictUsed(d, 0);
  setDictKeys(d, 0);
  return d;
}

/** A dict from the free list (refcount 1, untracked, not counted: reuse counts nothing), or 0. */
// @ts-ignore: decorator
@inline function dictPop(): usize {
  const d = freeListPop(changetype<FreeList>(dictFree), TYPE_DICT, poolBlockSize(GC_HEAD + DICT_BYTES));
  if (d) {
    store<u32>(d, 1);
    store<u64>(d - GC_HEAD, 0);
  }
  return d;
}

/**
 * dict(pairs) of the n (key, value) id pairs at p (2n ids): a new dict, or 0
 * (unhashable key, memory). Keys and values are held (incref'd) from before the dict's
 * link, which may run a collection, to the end: host code cannot free one before it
 * is stored. Later pairs replace earlier values, as d[k] = v in order does.
 */
export function dictFrom(p: usize, n: i32): usize {
  let d = dictPop();
  const reused = d != 0;
  if (!d) {
    d = gcAlloc(TYPE_DICT, DICT_BYTES);
    if (!d) return 0;
  }
  setDictUsed(d, 0);
  setDictKeys(d, 0);
  const m = n << 1;
  for (let i = 0; i < m; i++) incref(load<u32>(p + (<usize>i << 2)));
  if (!reused) gcLink();
  let ok = true;
  for (let i = 0; i < n && ok; i++) {
    const e = p + (<usize>i << 3);
    ok = dictSet(d, load<u32>(e), entryKey(e)) != 0;
  }
  // the error outlives the drops below (which may run host code that calls the engine)
  const err = lastError, errType = lastErrorType;
  if (!ok) decref(d);
  for (let i = 0; i < m; i++) decref(load<u32>(p + (<usize>i << 2)));
  if (ok) return d;
  return fail(err, errType);
}

function newKeys(size: u32): usize {
  const k = objMalloc(keysBytes(size));
  if (!k) return 0;
  store<u32>(k, size);
  setKeysCounts(k, usableFraction(size), 0);
  memory.fill(k + 16, 0xff, <usize>size << 2);
  return k;
}

/** The entry number of key, -1 when absent, -2 on error (ERR_RECURSION). Keeps no state. */
function lookup(k: usize, key: usize, hash: i32): i32 {
  const mask = ksize(k) - 1;
  let perturb = <u32>hash;
  let i = <u32>hash & mask;
  while (true) {
    const ix = load<i32>(k + 16 + (<usize>i << 2));
    if (ix == DKIX_EMPTY) return -1;
    if (ix >= 0) {
      const e = entryAt(k, ix);
      const ek = entryKey(e);
      if (ek == <u32>key) return ix;
      if (entryHash(e) == hash) {
        const c = objEq(ek, key);
        if (c < 0) return -2;
        if (c) return ix;
      }
    }
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/** The index slot holding entry ix, whose key has this hash (lookdict_index: compares nothing). */
function indexSlot(k: usize, hash: i32, ix: i32): usize {
  const mask = ksize(k) - 1;
  let perturb = <u32>hash;
  let i = <u32>hash & mask;
  while (true) {
    const slot = k + 16 + (<usize>i << 2);
    if (load<i32>(slot) == ix) return slot;
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}

function emptySlot(k: usize, hash: i32): usize {
  const mask = ksize(k) - 1;
  let perturb = <u32>hash;
  let i = <u32>hash & mask;
  while (true) {
    const slot = k + 16 + (<usize>i << 2);
    if (load<i32>(slot) == DKIX_EMPTY) return slot;
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/** dictresize: a table of at least minSize slots (CPython passes used x 3), entries compacted in order. */
function resize(d: usize, minSize: u32): bool {
  let size = MINSIZE;
  while (size < minSize) size <<= 1;
  const nk = newKeys(size);
  if (!nk) return false;
  const old = dictKeys(d);
  let n: i32 = 0;
  if (old) {
    const m = keysNentries(old);
    for (let i = 0; i < m; i++) {
      const e = entryAt(old, i);
      if (!entryKey(e)) continue;
      const h = entryHash(e);
      memory.copy(entryAt(nk, n), e, ENTRY_BYTES);
      store<i32>(emptySlot(nk, h), n);
      n++;
    }
    objFree(old);
  }
  setKeysCounts(nk, usableFraction(size) - <u32>n, n);
  setDictKeys(d, nk);
  return true;
}

/**
 * Room for n more entries: after this, n dictSet of new keys neither resize nor fail.
 * true, or false (ERR_MEMORY, nothing changed).
 */
export function dictReserve(d: usize, n: u32): bool {
  const k = dictKeys(d);
  if (k && keysUsable(k) >= n) return true;
  const need = <u32>dictUsed(d) + n;
  if (!resize(d, need + (need >> 1) + 1)) { fail(ERR_MEMORY); return false; }
  return true;
}

// @ts-ignore: decorator
@inline function mayBeTracked(o: usize): bool {
  return isGC(o) && (typeId(o) != TYPE_TUPLE || isTracked(o));
}

/** d[key] = value: 1, or 0 with the error set (unhashable key, memory). */
export function dictSet(d: usize, key: usize, value: usize): i32 {
  const hash = hashOf(key);
  if (hash == -1) return 0;
  let k = dictKeys(d);
  if (k) {
    const ix = lookup(k, key, hash);
    if (ix == -2) return 0;
    if (ix >= 0) {
      const e = entryAt(k, ix);
      const old = entryValue(e);
      incref(value);
      store<u32>(e, value, ENTRY_VALUE);
      if (!isTracked(d) && mayBeTracked(value)) track(d);
      decref(old);
      return 1;
    }
  }
  if (!k || keysUsable(k) == 0) {
    if (!resize(d, <u32>dictUsed(d) * 3)) { fail(ERR_MEMORY); return 0; }   // GROWTH_RATE
    k = dictKeys(d);
  }
  const n = keysNentries(k);
  const e = entryAt(k, n);
  incref(key);
  incref(value);
  setEntry(e, hash, key, value);
  store<i32>(emptySlot(k, hash), n);
  setKeysCounts(k, keysUsable(k) - 1, n + 1);
  setDictUsed(d, dictUsed(d) + 1);
  if (!isTracked(d) && (mayBeTracked(key) || mayBeTracked(value))) track(d);
  return 1;
}

/** Borrowed d[key]; 0 when absent (error ERR_NONE) or on error (unhashable...). */
export function dictGet(d: usize, key: usize): usize {
  const hash = hashOf(key);
  if (hash == -1) return 0;
  const k = dictKeys(d);
  if (!k) return 0;
  const ix = lookup(k, key, hash);
  if (ix < 0) return 0;
  return entryValue(entryAt(k, ix));
}

/** del d[key]: 1, or 0 with ERR_KEY / unhashable. Old key and value dropped after. */
export function dictDel(d: usize, key: usize): i32 {
  const hash = hashOf(key);
  if (hash == -1) return 0;
  const k = dictKeys(d);
  if (!k) { fail(ERR_KEY); return 0; }
  const ix = lookup(k, key, hash);
  if (ix == -2) return 0;
  if (ix < 0) { fail(ERR_KEY); return 0; }
  store<i32>(indexSlot(k, entryHash(entryAt(k, ix)), ix), DKIX_DUMMY);
  const e = entryAt(k, ix);
  const oldKey = entryKey(e), oldValue = entryValue(e);
  setEntry(e, entryHash(e), 0, 0);
  setDictUsed(d, dictUsed(d) - 1);
  decref(oldKey);
  decref(oldValue);
  return 1;
}

/** dict.clear(): detach the table, then drop keys and values in entry order. */
export function dictClear(d: usize): void {
  const k = dictKeys(d);
  setDictUsed(d, 0);
  setDictKeys(d, 0);
  if (!k) return;
  const n = keysNentries(k);
  for (let i = 0; i < n; i++) {
    const e = entryAt(k, i);
    const key = entryKey(e);
    if (!key) continue;
    decref(key);
    decref(entryValue(e));
  }
  objFree(k);
}

/** The first live entry number >= pos, or -1. */
export function dictNext(d: usize, pos: i32): i32 {
  const k = dictKeys(d);
  if (!k || pos < 0) return -1;
  const n = keysNentries(k);
  for (let i = pos; i < n; i++) if (entryKey(entryAt(k, i))) return i;
  return -1;
}

export function dictEntryKey(d: usize, i: i32): usize { return entryKey(entryAt(dictKeys(d), i)); }
export function dictEntryValue(d: usize, i: i32): usize { return entryValue(entryAt(dictKeys(d), i)); }

/** Frees the table and puts the dict on the free list (keys and values dropped). */
export function dictFinish(d: usize): void {
  const k = dictKeys(d);
  if (k) objFree(k);
  if (!freeListPush(changetype<FreeList>(dictFree), d, DICT_MAXFREELIST, TYPE_DICT, poolBlockSize(GC_HEAD + DICT_BYTES))) freeGCObject(d);
}

export function dictClearFreeList(): void { freeListClear(changetype<FreeList>(dictFree), GC_HEAD); }
export function dictKeptEach(f: (o: usize, arg: usize) => void, arg: usize): void { freeListEach(changetype<FreeList>(dictFree), f, arg); }

export function dictSizeof(d: usize): usize {
  const k = dictKeys(d);
  return GC_HEAD + DICT_BYTES + (k ? keysBytes(ksize(k)) : 0);
}

/**
 * dict_traverse: each entry's value, then its key. A dict whose keys are all str
 * (CPython's unicode keys table) visits values only where that is observable
 * (gc.get_referents and gc.get_referrers); the collector's visits are the same either way.
 */
// @ts-ignore: decorator
@inline export function dictTraverse(d: usize, kind: i32, arg: usize): void {
  const k = dictKeys(d);
  if (!k) return;
  const n = keysNentries(k);
  let keys = true;
  if (kind == VISIT_COLLECT || kind == VISIT_REFERS) {
    keys = false;
    for (let i = 0; i < n && !keys; i++) {
      const key = entryKey(entryAt(k, i));
      if (key && typeId(key) != TYPE_STR) keys = true;
    }
  }
  for (let i = 0; i < n; i++) {
    const e = entryAt(k, i);
    const key = entryKey(e);
    if (!key) continue;
    visit(kind, entryValue(e), arg);
    if (keys) visit(kind, key, arg);
  }
}

/**
 * dict_dealloc's drops, resumable (see object/dealloc.ts): entry by entry, the key then
 * the value, until one dies. The cursor counts keys and values done (2 per entry).
 */
// @ts-ignore: decorator
@inline export function dictNextDeadChild(d: usize): usize {
  let c = deadCursor(d);
  const k = dictKeys(d);
  const m: u32 = k ? <u32>keysNentries(k) << 1 : 0;
  let dead: usize = 0;
  while (c < m && !dead) {
    const e = entryAt(k, <i32>(c >> 1));
    const child = (c & 1) ? entryValue(e) : entryKey(e);
    c++;
    if (dropChild(child)) dead = child;
  }
  setDeadCursor(d, c);
  return dead;
}
