// object/refcount.ts — Py_INCREF and Py_DECREF.
//
// CPython counterparts: Py_INCREF, Py_DECREF, Py_XDECREF (Include/object.h) with
// PEP 683's immortal check; _Py_Dealloc is object/dealloc.ts's deallocate.
//
// THE TIE between a decref and deallocation: the decref that takes a count to 0 calls
// the deallocator through `deallocator`, a function reference that index.ts's init()
// sets to object/dealloc.ts's deallocate. Every object file decrefs, and deallocation
// reaches every object file (each type's dealloc): made here by reference, the tie
// leaves the engine's import graph without a cycle. The reference is called once per
// object death at the top of a cascade; the cascade itself (a dying container's
// children) runs inside deallocate with direct calls (dropChild).
//
// Invariants: refcnt counts every reference held by other objects and by host handles;
// an object whose refcnt reaches 0 is deallocated at once, except while it is being
// finalized (its del hook holds a temporary reference); immortal counts never change.

function noDeallocator(o: usize): void { unreachable(); }   // init() sets it first
let deallocator: (o: usize) => void = noDeallocator;
/** Makes the tie (index.ts's init). */
export function setDeallocator(f: (o: usize) => void): void { deallocator = f; }

// @ts-ignore: decorator
@inline export function incref(o: usize): void {
  const rc = load<u32>(o);
  if (<i32>rc >= 0) store<u32>(o, rc + 1);
}

// @ts-ignore: decorator
@inline export function decref(o: usize): void {
  const rc = load<u32>(o);
  if (<i32>rc < 0) return;
  if (PYHEAP_DEBUG) assert(rc > 0, "decref: refcount already 0");
  if (rc > 1) { store<u32>(o, rc - 1); return; }
  store<u32>(o, 0);
  deallocator(o);
}

/** decref, as a call (not inlined): for cold paths. */
export function decrefCall(o: usize): void { decref(o); }

/**
 * Drops one reference to a child of a dying container: true when it was the last
 * (refcnt now 0: object/dealloc.ts tears it down next). 0 (an empty slot) is skipped.
 */
// @ts-ignore: decorator
@inline export function dropChild(o: usize): bool {
  if (!o) return false;
  const rc = load<u32>(o);
  if (<i32>rc < 0) return false;
  if (PYHEAP_DEBUG) assert(rc > 0, "dropChild: refcount already 0");
  if (rc > 1) { store<u32>(o, rc - 1); return false; }
  store<u32>(o, 0);
  return true;
}
