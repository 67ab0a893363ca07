// object/buffers.ts — bytearray (a resizable buffer) and memoryview (a view exporting it).
//
// CPython counterparts: Objects/bytearrayobject.c (PyByteArray_Resize's growth and its
// BufferError while ob_exports > 0), Objects/memoryobject.c (memory_release,
// the managed buffer holding the exporter until release).
//
//   bytearray (not a container)     memoryview (a container: it refers to its base)
//   +---------+                     (GC head)
//   | refcnt  |                     +---------+
//   | type    |                     | refcnt  |
//   | length  |                     | type    |
//   | alloc   |                     | base    |  bytes or bytearray; 0 once released
//   | data  --+--> object domain    | data    |  the base's bytes at creation
//   | exports |  live memoryviews   | length  |
//   +---------+  24 bytes           | flags   |  1 released, 2 read-only
//                (CPython: 56)      +---------+  32 bytes (CPython: 184)
//
// While a bytearray has exports its data block cannot move, so a memoryview's data
// pointer stays valid; resizing then fails with ERR_BUFFER and changes nothing.
// Releasing a view drops its reference to the base (and the export) at once.

import {
  TYPE_BYTEARRAY, TYPE_BYTES, TYPE_MEMORYVIEW, newObject, freeObject, gcAlloc, gcLink, freeGCObject,
  track, fail, typeId, ERR_MEMORY, ERR_BUFFER, ERR_TYPE,
} from "./header";
import { objMalloc, objRealloc, objFree } from "../alloc/obmalloc";
import { incref, decref } from "./refcount";

export const MV_RELEASED: u32 = 1;
export const MV_READONLY: u32 = 2;

// @ts-ignore: decorator
@inline export function baLen(o: usize): u32 { return load<u32>(o, 8); }
// @ts-ignore: decorator
@inline export function baData(o: usize): usize { return load<u32>(o, 16); }
// @ts-ignore: decorator
@inline export function baExports(o: usize): u32 { return load<u32>(o, 20); }

/** A bytearray of n zero bytes, or 0. */
export function bytearrayNew(n: u32): usize {
  const o = newObject(TYPE_BYTEARRAY, 24);
  if (!o) return 0;
  store<u32>(o, 0, 8);
  store<u32>(o, 0, 12);
  store<u32>(o, 0, 16);
  store<u32>(o, 0, 20);
  if (n && !bytearrayResize(o, n)) { freeObject(o); return 0; }
  return o;
}

/** Sets the length to n (new bytes zeroed): 1, or 0 with ERR_BUFFER / ERR_MEMORY. */
export function bytearrayResize(o: usize, n: u32): i32 {
  if (baExports(o)) { fail(ERR_BUFFER); return 0; }
  const len = baLen(o), alloc = load<u32>(o, 12);
  if (n > alloc || n < (alloc >> 1)) {
    // PyByteArray_Resize: a moderate upsize (to at most 1/8 above the allocation)
    // over-allocates by 1/8; a major upsize, or a shrink to under half, takes exactly n.
    // (Over-allocating every upsize also overflowed u32 for n near 4 GiB.)
    let na: u32 = n > alloc && n <= alloc + (alloc >> 3) ? n + (n >> 3) + (n < 9 ? 3 : 6) : n;
    const d = baData(o);
    let p: usize = 0;
    if (na) {
      p = d ? objRealloc(d, na) : objMalloc(na);
      if (!p) { fail(ERR_MEMORY); return 0; }
    } else if (d) objFree(d);
    store<u32>(o, p, 16);
    store<u32>(o, na, 12);
  }
  if (n > len) memory.fill(baData(o) + len, 0, n - len);
  store<u32>(o, n, 8);
  return 1;
}

export function bytearrayDealloc(o: usize): void {
  const d = baData(o);
  if (d) objFree(d);
  freeObject(o);
}

/**
 * A tracked memoryview of a bytes or bytearray, or 0 (ERR_TYPE / ERR_MEMORY). The view
 * holds its base and exports it before its link (which may collect): host code run by
 * the collection can neither free the base nor resize it.
 */
export function memoryviewNew(base: usize): usize {
  const t = typeId(base);
  if (t != TYPE_BYTES && t != TYPE_BYTEARRAY) return fail(ERR_TYPE, t);
  const o = gcAlloc(TYPE_MEMORYVIEW, 24);   // base, data, length, flags after the header
  if (!o) return 0;
  incref(base);
  store<u32>(o, base, 8);
  if (t == TYPE_BYTES) {
    store<u32>(o, base + 16, 12);
    store<u32>(o, load<u32>(base, 8), 16);
    store<u32>(o, MV_READONLY, 20);
  } else {
    store<u32>(o, baData(base), 12);
    store<u32>(o, baLen(base), 16);
    store<u32>(o, 0, 20);
    store<u32>(base, baExports(base) + 1, 20);
  }
  gcLink();
  track(o);
  return o;
}

/**
 * Ends the export (the base's exports count) and marks the view released, keeping
 * the reference to the base; false if it was released already. (Deallocation drops
 * the base afterwards as the view's child.)
 */
export function memoryviewEndExport(o: usize): bool {
  const flags = load<u32>(o, 20);
  if (flags & MV_RELEASED) return false;
  store<u32>(o, flags | MV_RELEASED, 20);
  const base = load<u32>(o, 8);
  if (typeId(base) == TYPE_BYTEARRAY) store<u32>(base, baExports(base) - 1, 20);
  return true;
}

/** memoryview.release(): ends the export and drops the reference to the base at once. */
export function memoryviewRelease(o: usize): void {
  if (!memoryviewEndExport(o)) return;
  const base = load<u32>(o, 8);
  store<u32>(o, 0, 8);
  decref(base);
}

export function memoryviewFinish(o: usize): void { freeGCObject(o); }

