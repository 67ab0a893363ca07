// gc/alloc.ts — allocation of containers: their memory, their link, their release.
//
// CPython counterparts: _PyObject_GC_New / gc_alloc, _PyObject_GC_Link (the count of
// generation 0 and the collection an allocation may start), PyObject_GC_Del.
//
//   objMalloc(size + GC_HEAD)
//   +-----------+-----------+--------+------+---
//   |  gc_next  |  gc_prev  | refcnt | type | ...      the id is the block + GC_HEAD
//   +-----------+-----------+--------+------+---
//
// A container's allocation has two steps, as CPython's: its memory (gcAlloc: nothing
// else can happen, and a failure changes nothing), then its link (gcLink: counted in
// count[0], where the allocation that passes threshold 0 runs a collection, which runs
// host code: del hooks, weakref and gc callbacks). Constructors that store arguments
// take the memory first, then hold the arguments (store them, each incref'd: the
// references CPython's evaluation stack holds during the call), then link: host code
// run by the collection cannot free an argument that is about to be stored. Memory a
// constructor still needs after its link is taken before the link too when its size
// is known.
//
// THE TIE between allocation and collection, inherent in CPython's design (an
// allocation may collect): gcLink calls the collector through `collector`, a function
// reference that index.ts's init() sets to gc/collect.ts's collectAutomatic. It is
// made here, by reference, so that the object files (which allocate) do not import the
// collector (which walks every object file): the engine's import graph has no cycle.
// The reference is called only when count[0] passes the threshold.

import { objMalloc } from "../alloc/obmalloc";
import { liveDied } from "../alloc/livecount";
import { objectBorn, objectDied } from "../alloc/objmap";
import { TYPE_MASK } from "../object/header";
import { debugReserve, debugRegister, debugUnregister } from "../object/debug";
import { ERR_MEMORY, fail } from "../object/errors";
import { GC_HEAD, gcCount0, gcTrigger, setGcCount0 } from "./heads";

function noCollector(): void { unreachable(); }   // init() sets the collector first
let collector: () => void = noCollector;
/** Makes the tie (index.ts's init). */
export function setCollector(f: () => void): void { collector = f; }

/** The block at p as a container object: GC head zeroed (untracked), refcnt 1; 0 (p freed) when it cannot be mapped. */
// @ts-ignore: decorator
@inline function gcObjectAt(p: usize, type: u32, size: usize): usize {
  store<u64>(p, 0);
  const o = p + GC_HEAD;
  store<u32>(o, 1);
  store<u32>(o, type, 4);
  if (!objectBorn(type, size, p, o)) return fail(ERR_MEMORY);   // (p freed)
  if (PYHEAP_DEBUG) debugRegister(o);
  return o;
}

/**
 * A container's memory: header set (refcnt 1), GC head zeroed (untracked), not yet
 * counted; or 0 (ERR_MEMORY). Runs no host code. gcLink() it, or gcFreeUnlinked().
 */
// @ts-ignore: decorator
@inline export function gcAlloc(type: u32, size: usize): usize {
  if (PYHEAP_DEBUG && !debugReserve()) return fail(ERR_MEMORY);
  const p = objMalloc(size + GC_HEAD);
  if (!p) return fail(ERR_MEMORY);
  return gcObjectAt(p, type, size + GC_HEAD);
}

/**
 * _PyObject_GC_Link: counts a container allocation; the one that takes count[0] past
 * threshold 0 runs a collection (CPython 3.11), before the caller tracks the object.
 */
// @ts-ignore: decorator
@inline export function gcLink(): void {
  const c = gcCount0 + 1;
  setGcCount0(c);
  if (c > gcTrigger) collector();
}

/** Frees a container that gcAlloc made and nobody linked. */
// @ts-ignore: decorator
@inline export function gcFreeUnlinked(o: usize): void {
  if (PYHEAP_DEBUG) debugUnregister(o);
  const type = load<u32>(o, 4) & TYPE_MASK;  // (read before the block is freed)
  liveDied(type, objectDied(o, o - GC_HEAD));
}

/** A new container object, GC head zeroed (untracked), refcnt 1; or 0. May collect. */
// @ts-ignore: decorator
@inline export function newGCObject(type: u32, size: usize): usize {
  const o = gcAlloc(type, size);
  if (!o) return 0;
  gcLink();
  return o;
}

/**
 * newGCObject for the collector's own objects (gc.garbage, get_objects' results): it
 * counts the allocation but never starts a collection (none may start inside one).
 */
export function newGCObjectInCollector(type: u32, size: usize): usize {
  const o = gcAlloc(type, size);
  if (!o) return 0;
  setGcCount0(gcCount0 + 1);
  return o;
}

/** PyObject_GC_Del: frees an untracked container's memory. */
// @ts-ignore: decorator
@inline export function freeGCObject(o: usize): void {
  // Reuse from a free list and return to one change no count (CPython 3.11).
  if (gcCount0 > 0) setGcCount0(gcCount0 - 1);
  if (PYHEAP_DEBUG) debugUnregister(o);
  const type = load<u32>(o, 4) & TYPE_MASK;  // (read before the block is freed)
  liveDied(type, objectDied(o, o - GC_HEAD));
}
