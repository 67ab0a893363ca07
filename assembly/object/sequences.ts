// object/sequences.ts — tuple and list.
//
// CPython counterparts: Objects/tupleobject.c (PyTuple_New, the per-size free lists
// PyTuple_MAXSAVESIZE/PyTuple_MAXFREELIST, tupledealloc), Objects/listobject.c
// (list_resize's growth pattern, ins1, app1, list_ass_item, _list_clear, the list
// free list, list_dealloc).
//
//   (GC head)            (GC head)
//   +--------+           +-----------+
//   | refcnt |           | refcnt    |
//   | type   |           | type      |
//   | size   |           | size      |
//   | item0  |           | items  ---+--> item array (object domain), 0 when allocated == 0
//   | ...    |           | allocated |
//   +--------+           +-----------+
//   tuple: 8 + 12 + 4n   list: 8 + 20 = 28 bytes, a 32-byte block (CPython: 56)
//
// Order of reference drops, as in CPython: a list or tuple being freed drops its
// items from the last to the first; clear() empties the list first, then drops the
// old items from the last to the first; set/delete/pop update the list before the
// old item is dropped, so a del hook run by that drop sees a consistent list.

import {
  TYPE_TUPLE, TYPE_LIST, immortal,
} from "./header";
import { fail, ERR_INDEX, ERR_MEMORY } from "./errors";
import { staticAlloc } from "../alloc/static";
import { objMalloc, objRealloc, objFree } from "../alloc/obmalloc";
import { FreeList, freeListPop, freeListPush, freeListClear, freeListEach } from "../alloc/freelist";
import { poolBlockSize } from "../alloc/livecount";
import { GC_HEAD, track, deadCursor, setDeadCursor } from "../gc/heads";
import { newGCObject, newGCObjectInCollector, gcAlloc, gcLink, freeGCObject } from "../gc/alloc";
import { visit } from "../gc/visit";
import { decref, incref, dropChild } from "./refcount";

// ---- tuple --------------------------------------------------------------------------
export const TUPLE_MAXSAVESIZE: i32 = 20;   // sizes 1..19 have free lists
export const TUPLE_MAXFREELIST: i32 = 2000;
/** FreeList[TUPLE_MAXSAVESIZE]: one per size (index 0 unused: the empty tuple is a singleton). */
const tupleFree: usize = memory.data(TUPLE_MAXSAVESIZE * offsetof<FreeList>(), 8);
// @ts-ignore: decorator
@inline function tupleFreeList(n: i32): FreeList { return changetype<FreeList>(tupleFree + <usize>n * offsetof<FreeList>()); }
export let EMPTY_TUPLE: usize = 0;

// ---- layout (tuple and list share the size word) ----
const SEQ_SIZE: usize = 8;
const TUPLE_ITEMS: usize = 12;
const LIST_ITEMS: usize = 12;
const LIST_ALLOCATED: usize = 16;
const LIST_BYTES: usize = 20;

// @ts-ignore: decorator
@inline export function seqSize(o: usize): i32 { return load<i32>(o, SEQ_SIZE); }
// @ts-ignore: decorator
@inline function setSeqSize(o: usize, n: i32): void { store<i32>(o, n, SEQ_SIZE); }
/** The address of a tuple's item 0 (the items are inline). */
// @ts-ignore: decorator
@inline export function tupleItems(o: usize): usize { return o + TUPLE_ITEMS; }
// @ts-ignore: decorator
@inline export function tupleItem(o: usize, i: i32): usize { return load<u32>(o + TUPLE_ITEMS + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function tupleAllocSize(n: i32): usize { return TUPLE_ITEMS + (<usize>n << 2); }

export function tuplesInit(): bool {
  const p = staticAlloc(GC_HEAD + 16);
  EMPTY_TUPLE = p + GC_HEAD;
  immortal(EMPTY_TUPLE);
  store<u32>(EMPTY_TUPLE, TYPE_TUPLE, 4);
  setSeqSize(EMPTY_TUPLE, 0);
  return true;
}

/** A tuple of n (1..19) items from its free list (refcount 1, untracked), or 0. */
// @ts-ignore: decorator
@inline function tuplePop(n: i32): usize {
  const o = freeListPop(tupleFreeList(n), TYPE_TUPLE, poolBlockSize(GC_HEAD + tupleAllocSize(n)));
  if (o) {
    store<u32>(o, 1);
    store<u64>(o - GC_HEAD, 0);
  }
  return o;
}

/** A tracked tuple of n empty (0) items, or 0. The caller fills every item. */
export function tupleNew(n: i32): usize {
  if (n == 0) return EMPTY_TUPLE;
  let o: usize = n < TUPLE_MAXSAVESIZE ? tuplePop(n) : 0;
  if (!o) {
    o = newGCObject(TYPE_TUPLE, tupleAllocSize(n));
    if (!o) return 0;
    setSeqSize(o, n);
  }
  memory.fill(tupleItems(o), 0, <usize>n << 2);
  track(o);
  return o;
}

/**
 * tuple(items) of the n ids at p: a new tracked tuple, or 0 (ERR_MEMORY). Memory first;
 * then the items are stored (each incref'd: the tuple holds them while the collection
 * its link may start runs, as CPython's stack holds them); then the link and tracking.
 */
export function tupleFrom(p: usize, n: i32): usize {
  if (n == 0) return EMPTY_TUPLE;
  let o: usize = n < TUPLE_MAXSAVESIZE ? tuplePop(n) : 0;
  const reused = o != 0;   // reuse from a free list counts nothing and collects nothing
  if (!o) {
    o = gcAlloc(TYPE_TUPLE, tupleAllocSize(n));
    if (!o) return 0;
    setSeqSize(o, n);
  }
  const items = tupleItems(o);
  for (let i = 0; i < n; i++) {
    const v = load<u32>(p + (<usize>i << 2));
    incref(v);
    store<u32>(items + (<usize>i << 2), v);
  }
  if (!reused) gcLink();
  track(o);
  return o;
}

/** Puts a tuple's memory on its free list or frees it (items already dropped). */
export function tupleFinish(o: usize): void {
  const n = seqSize(o);
  if (n < TUPLE_MAXSAVESIZE && freeListPush(tupleFreeList(n), o, TUPLE_MAXFREELIST, TYPE_TUPLE, poolBlockSize(GC_HEAD + tupleAllocSize(n)))) return;
  freeGCObject(o);
}

export function tupleFreeCount(): i32 {
  let s = 0;
  for (let n = 1; n < TUPLE_MAXSAVESIZE; n++) s += tupleFreeList(n).count;
  return s;
}

/** f(o, arg) for every kept tuple and list (gc/snapshot.ts skips them). */
export function seqKeptEach(f: (o: usize, arg: usize) => void, arg: usize): void {
  for (let n = 1; n < TUPLE_MAXSAVESIZE; n++) freeListEach(tupleFreeList(n), f, arg);
  freeListEach(changetype<FreeList>(listFree), f, arg);
}
export function tupleClearFreeLists(): void {
  for (let n = 1; n < TUPLE_MAXSAVESIZE; n++) freeListClear(tupleFreeList(n), GC_HEAD);
}

// tupletraverse, the last item first as CPython's: the order decides the order of
// move_unreachable's lists, hence of finalizers
// @ts-ignore: decorator
@inline export function tupleTraverse(o: usize, kind: i32, arg: usize): void {
  const items = tupleItems(o);
  for (let i = seqSize(o) - 1; i >= 0; i--) {
    const c = load<u32>(items + (<usize>i << 2));
    if (c) visit(kind, c, arg);
  }
}

/**
 * tupledealloc's drops, resumable (object/dealloc.ts): the items from the last to the
 * first, until one dies (returned, to be torn down before the next drop); 0 when all
 * are dropped. The cursor counts the items done.
 */
// @ts-ignore: decorator
@inline export function tupleNextDeadChild(o: usize): usize {
  return itemsNextDeadChild(o, tupleItems(o));
}

// @ts-ignore: decorator
@inline function itemsNextDeadChild(o: usize, items: usize): usize {
  let c = deadCursor(o);
  const n = <u32>seqSize(o);
  let dead: usize = 0;
  while (c < n && !dead) {
    const child = <usize>load<u32>(items + (<usize>(n - 1 - c) << 2));
    c++;
    if (dropChild(child)) dead = child;
  }
  setDeadCursor(o, c);
  return dead;
}

// @ts-ignore: decorator
@inline export function tupleSizeof(o: usize): usize { return (GC_HEAD + tupleAllocSize(seqSize(o)) + 7) & ~7; }

// ---- list ---------------------------------------------------------------------------
export const LIST_MAXFREELIST: i32 = 80;
const listFree = memory.data(offsetof<FreeList>(), 8);
export function listNumFree(): i32 { return changetype<FreeList>(listFree).count; }

/** The item array (object domain), 0 while allocated == 0. */
// @ts-ignore: decorator
@inline export function listItems(o: usize): usize { return load<u32>(o, LIST_ITEMS); }
// @ts-ignore: decorator
@inline export function listAllocated(o: usize): i32 { return load<i32>(o, LIST_ALLOCATED); }
// @ts-ignore: decorator
@inline function setListStorage(o: usize, items: usize, allocated: i32): void {
  store<u32>(o, <u32>items, LIST_ITEMS);
  store<i32>(o, allocated, LIST_ALLOCATED);
}

/** A tracked empty list with room for `capacity` items, or 0. */
export function listNew(capacity: i32): usize {
  let o = listFreePop();
  if (!o) {
    o = newGCObject(TYPE_LIST, LIST_BYTES);
    if (!o) return 0;
  }
  setSeqSize(o, 0);
  setListStorage(o, 0, 0);
  if (capacity > 0) {
    const items = objMalloc(<usize>capacity << 2);
    if (!items) { listFinish(o); return fail(ERR_MEMORY); }
    setListStorage(o, items, capacity);
  }
  track(o);
  return o;
}

/** A list from the free list (refcount 1, untracked, not counted), or 0. */
// @ts-ignore: decorator
@inline function listFreePop(): usize {
  const o = freeListPop(changetype<FreeList>(listFree), TYPE_LIST, poolBlockSize(GC_HEAD + LIST_BYTES));
  if (o) {
    store<u32>(o, 1);
    store<u64>(o - GC_HEAD, 0);
  }
  return o;
}

/**
 * [items] of the n ids at p: a new tracked list with allocated == n, or 0 (ERR_MEMORY).
 * Memory first (the list, its items); then the items are stored (each incref'd, so that
 * the collection the link may start cannot free one); then the link and tracking.
 */
export function listFrom(p: usize, n: i32): usize {
  let items: usize = 0;
  if (n > 0) {
    items = objMalloc(<usize>n << 2);
    if (!items) return fail(ERR_MEMORY);
  }
  let o = listFreePop();
  const reused = o != 0;
  if (!o) {
    o = gcAlloc(TYPE_LIST, LIST_BYTES);
    if (!o) { objFree(items); return 0; }
  }
  for (let i = 0; i < n; i++) {
    const v = load<u32>(p + (<usize>i << 2));
    incref(v);
    store<u32>(items + (<usize>i << 2), v);
  }
  setSeqSize(o, n);
  setListStorage(o, items, n);
  if (!reused) gcLink();
  track(o);
  return o;
}

/**
 * list.extend(items) with the n ids at p: 1, or 0 with ERR_MEMORY (nothing changed).
 * One resize to the final size, as list_extend does for a list argument; runs no host code.
 */
export function listExtend(o: usize, p: usize, n: i32): i32 {
  if (n <= 0) return 1;
  const m = seqSize(o);
  if (!listResize(o, m + n)) { fail(ERR_MEMORY); return 0; }
  const items = listItems(o);
  for (let i = 0; i < n; i++) {
    const v = load<u32>(p + (<usize>i << 2));
    incref(v);
    store<u32>(items + (<usize>(m + i) << 2), v);
  }
  return 1;
}

/** An empty tracked list made by the collector (see newGCObjectInCollector). */
export function listNewInCollector(): usize {
  const o = newGCObjectInCollector(TYPE_LIST, LIST_BYTES);
  if (!o) return 0;
  setSeqSize(o, 0);
  setListStorage(o, 0, 0);
  track(o);
  return o;
}

/** list_resize: room for newsize items with CPython's over-allocation. false = no memory. */
function listResize(o: usize, newsize: i32): bool {
  const allocated = listAllocated(o);
  if (allocated >= newsize && newsize >= (allocated >> 1)) {
    setSeqSize(o, newsize);
    return true;
  }
  let newAllocated: i32 = (newsize + (newsize >> 3) + 6) & ~3;
  if (newsize - seqSize(o) > newAllocated - newsize) newAllocated = (newsize + 3) & ~3;
  if (newsize == 0) newAllocated = 0;
  let items = listItems(o);
  if (newAllocated == 0) {
    if (items) objFree(items);
    items = 0;
  } else {
    const p = items ? objRealloc(items, <usize>newAllocated << 2) : objMalloc(<usize>newAllocated << 2);
    if (!p) return false;
    items = p;
  }
  setListStorage(o, items, newAllocated);
  setSeqSize(o, newsize);
  return true;
}

/** append: 1, or 0 with ERR_MEMORY (nothing changed). */
export function listAppend(o: usize, v: usize): i32 {
  const n = seqSize(o);
  if (n < listAllocated(o)) {
    setSeqSize(o, n + 1);
  } else if (!listResize(o, n + 1)) {
    fail(ERR_MEMORY);
    return 0;
  }
  incref(v);
  store<u32>(listItems(o) + (<usize>n << 2), v);
  return 1;
}

/** Python's index normalization; -1 when out of range. */
// @ts-ignore: decorator
@inline export function normIndex(i: i32, n: i32): i32 {
  if (i < 0) i += n;
  return i >= 0 && i < n ? i : -1;
}

/** Borrowed item i (negative counts from the end), or 0 with ERR_INDEX. */
export function listGet(o: usize, i: i32): usize {
  const k = normIndex(i, seqSize(o));
  if (k < 0) return fail(ERR_INDEX);
  return load<u32>(listItems(o) + (<usize>k << 2));
}

export function tupleGet(o: usize, i: i32): usize {
  const k = normIndex(i, seqSize(o));
  if (k < 0) return fail(ERR_INDEX);
  return tupleItem(o, k);
}

/** list[i] = v: 1, or 0 with ERR_INDEX. The old item is dropped after the store. */
export function listSet(o: usize, i: i32, v: usize): i32 {
  const k = normIndex(i, seqSize(o));
  if (k < 0) { fail(ERR_INDEX); return 0; }
  const slot = listItems(o) + (<usize>k << 2);
  const old = load<u32>(slot);
  incref(v);
  store<u32>(slot, v);
  decref(old);
  return 1;
}

/** list.insert(i, v): Python clamps i to [0, len]. 1, or 0 with ERR_MEMORY. */
export function listInsert(o: usize, i: i32, v: usize): i32 {
  const n = seqSize(o);
  if (i < 0) { i += n; if (i < 0) i = 0; }
  if (i > n) i = n;
  if (!listResize(o, n + 1)) { fail(ERR_MEMORY); return 0; }
  const items = listItems(o);
  memory.copy(items + (<usize>(i + 1) << 2), items + (<usize>i << 2), <usize>(n - i) << 2);
  incref(v);
  store<u32>(items + (<usize>i << 2), v);
  return 1;
}

/** list.pop(i): the item, its reference transferred to the caller; 0 with ERR_INDEX. */
export function listPop(o: usize, i: i32): usize {
  const n = seqSize(o);
  const k = normIndex(i, n);
  if (k < 0) return fail(ERR_INDEX);
  const items = listItems(o);
  const v = load<u32>(items + (<usize>k << 2));
  memory.copy(items + (<usize>k << 2), items + (<usize>(k + 1) << 2), <usize>(n - k - 1) << 2);
  // shrinking may move the items to a smaller block, which can fail when memory is
  // exhausted: then the list keeps its block and is one item shorter all the same
  if (!listResize(o, n - 1)) setSeqSize(o, n - 1);
  return v;
}

/** del list[i]: 1, or 0 with ERR_INDEX. */
export function listDelete(o: usize, i: i32): i32 {
  const v = listPop(o, i);
  if (!v) return 0;
  decref(v);
  return 1;
}

/** list.clear() and list's tp_clear (_list_clear): detach the items, then drop them from the last to the first. */
export function listClear(o: usize): void {
  const items = listItems(o);
  let n = seqSize(o);
  setSeqSize(o, 0);
  setListStorage(o, 0, 0);
  while (--n >= 0) decref(load<u32>(items + (<usize>n << 2)));
  if (items) objFree(items);
}

/** Frees a list's item array and puts the list on the free list (items dropped). */
export function listFinish(o: usize): void {
  const items = listItems(o);
  if (items) objFree(items);
  if (!freeListPush(changetype<FreeList>(listFree), o, LIST_MAXFREELIST, TYPE_LIST, poolBlockSize(GC_HEAD + LIST_BYTES))) freeGCObject(o);
}

export function listClearFreeList(): void { freeListClear(changetype<FreeList>(listFree), GC_HEAD); }

/** list_traverse: the last item first, as tupletraverse. */
// @ts-ignore: decorator
@inline export function listTraverse(o: usize, kind: i32, arg: usize): void {
  const items = listItems(o);
  for (let i = seqSize(o) - 1; i >= 0; i--) {
    const c = load<u32>(items + (<usize>i << 2));
    if (c) visit(kind, c, arg);
  }
}

/** list_dealloc's drops, resumable: the items from the last to the first (see tupleNextDeadChild). */
// @ts-ignore: decorator
@inline export function listNextDeadChild(o: usize): usize {
  return itemsNextDeadChild(o, listItems(o));
}

// @ts-ignore: decorator
@inline export function listSizeof(o: usize): usize { return GC_HEAD + LIST_BYTES + 4 + (<usize>listAllocated(o) << 2); }
