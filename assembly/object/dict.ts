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

import {
  TYPE_DICT, TYPE_TUPLE, newGCObject, gcAlloc, gcLink, freeGCObject, track, isTracked, isGC, typeId, fail,
  ERR_KEY, ERR_MEMORY, GC_HEAD, lastError, lastErrorType,
} from "./header";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { incref, decref } from "./refcount";
import { hashOf, objEq } from "./hash";

const DKIX_EMPTY: i32 = -1;
const DKIX_DUMMY: i32 = -2;
const MINSIZE: u32 = 8;
export const DICT_MAXFREELIST: i32 = 80;
export let dictFree: usize = 0;
export let dictNumFree: i32 = 0;

// @ts-ignore: decorator
@inline export function dictUsed(d: usize): i32 { return load<i32>(d, 8); }
// @ts-ignore: decorator
@inline export function dictKeys(d: usize): usize { return load<u32>(d, 12); }
// @ts-ignore: decorator
@inline function ksize(k: usize): u32 { return load<u32>(k); }
// @ts-ignore: decorator
@inline function kentries(k: usize): usize { return k + 16 + (<usize>load<u32>(k) << 2); }
// @ts-ignore: decorator
@inline export function entryAt(k: usize, i: i32): usize { return kentries(k) + <usize>i * 12; }
// @ts-ignore: decorator
@inline export function keysNentries(k: usize): i32 { return load<i32>(k, 8); }
// @ts-ignore: decorator
@inline function usableFraction(n: u32): u32 { return (n << 1) / 3; }
// @ts-ignore: decorator
@inline export function keysBytes(size: u32): usize { return 16 + (<usize>size << 2) + <usize>usableFraction(size) * 12; }

export function dictNew(): usize {
  let d = dictPop();
  if (!d) {
    d = newGCObject(TYPE_DICT, 16);
    if (!d) return 0;
  }
  store<i32>(d, 0, 8);
  store<u32>(d, 0, 12);
  return d;
}

/** A dict from the free list (refcount 1, untracked, not counted: reuse counts nothing), or 0. */
// @ts-ignore: decorator
@inline function dictPop(): usize {
  const d = dictFree;
  if (d) {
    dictFree = load<u32>(d);
    dictNumFree--;
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
    d = gcAlloc(TYPE_DICT, 16);
    if (!d) return 0;
  }
  store<i32>(d, 0, 8);
  store<u32>(d, 0, 12);
  const m = n << 1;
  for (let i = 0; i < m; i++) incref(load<u32>(p + (<usize>i << 2)));
  if (!reused) gcLink();
  let ok = true;
  for (let i = 0; i < n && ok; i++) {
    const e = p + (<usize>i << 3);
    ok = dictSet(d, load<u32>(e), load<u32>(e, 4)) != 0;
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
  store<u32>(k, usableFraction(size), 4);
  store<u32>(k, 0, 8);
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
      const ek = load<u32>(e, 4);
      if (ek == <u32>key) return ix;
      if (load<i32>(e) == hash) {
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
      if (!load<u32>(e, 4)) continue;
      const h = load<i32>(e);
      memory.copy(entryAt(nk, n), e, 12);
      store<i32>(emptySlot(nk, h), n);
      n++;
    }
    objFree(old);
  }
  store<i32>(nk, n, 8);
  store<u32>(nk, usableFraction(size) - <u32>n, 4);
  store<u32>(d, nk, 12);
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
      const old = load<u32>(e, 8);
      incref(value);
      store<u32>(e, value, 8);
      if (!isTracked(d) && mayBeTracked(value)) track(d);
      decref(old);
      return 1;
    }
  }
  if (!k || load<u32>(k, 4) == 0) {
    if (!resize(d, <u32>dictUsed(d) * 3)) { fail(ERR_MEMORY); return 0; }   // GROWTH_RATE
    k = dictKeys(d);
  }
  const n = keysNentries(k);
  const e = entryAt(k, n);
  incref(key);
  incref(value);
  store<i32>(e, hash);
  store<u32>(e, key, 4);
  store<u32>(e, value, 8);
  store<i32>(emptySlot(k, hash), n);
  store<i32>(k, n + 1, 8);
  store<u32>(k, load<u32>(k, 4) - 1, 4);
  store<i32>(d, dictUsed(d) + 1, 8);
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
  return load<u32>(entryAt(k, ix), 8);
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
  store<i32>(indexSlot(k, load<i32>(entryAt(k, ix)), ix), DKIX_DUMMY);
  const e = entryAt(k, ix);
  const oldKey = load<u32>(e, 4), oldValue = load<u32>(e, 8);
  store<u32>(e, 0, 4);
  store<u32>(e, 0, 8);
  store<i32>(d, dictUsed(d) - 1, 8);
  decref(oldKey);
  decref(oldValue);
  return 1;
}

/** dict.clear(): detach the table, then drop keys and values in entry order. */
export function dictClear(d: usize): void {
  const k = dictKeys(d);
  store<i32>(d, 0, 8);
  store<u32>(d, 0, 12);
  if (!k) return;
  const n = keysNentries(k);
  for (let i = 0; i < n; i++) {
    const e = entryAt(k, i);
    const key = load<u32>(e, 4);
    if (!key) continue;
    decref(key);
    decref(load<u32>(e, 8));
  }
  objFree(k);
}

/** The first live entry number >= pos, or -1. */
export function dictNext(d: usize, pos: i32): i32 {
  const k = dictKeys(d);
  if (!k || pos < 0) return -1;
  const n = keysNentries(k);
  for (let i = pos; i < n; i++) if (load<u32>(entryAt(k, i), 4)) return i;
  return -1;
}

export function dictEntryKey(d: usize, i: i32): usize { return load<u32>(entryAt(dictKeys(d), i), 4); }
export function dictEntryValue(d: usize, i: i32): usize { return load<u32>(entryAt(dictKeys(d), i), 8); }

/** Frees the table and puts the dict on the free list (keys and values dropped). */
export function dictFinish(d: usize): void {
  const k = dictKeys(d);
  if (k) objFree(k);
  if (!PYHEAP_DEBUG && dictNumFree < DICT_MAXFREELIST) {
    store<u32>(d, dictFree);
    dictFree = d;
    dictNumFree++;
  } else freeGCObject(d);
}

export function dictClearFreeList(): void {
  while (dictFree) {
    const d = dictFree;
    dictFree = load<u32>(d);
    objFree(d - GC_HEAD);
  }
  dictNumFree = 0;
}

export function dictSizeof(d: usize): usize {
  const k = dictKeys(d);
  return GC_HEAD + 16 + (k ? keysBytes(ksize(k)) : 0);
}
