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

import { TYPE_BYTEARRAY, TYPE_BYTES, TYPE_MEMORYVIEW, newObject, freeObject, typeId } from "./header";
import { fail, ERR_MEMORY, ERR_BUFFER, ERR_TYPE } from "./errors";
import { objMalloc, objRealloc, objFree } from "../alloc/obmalloc";
import { GC_HEAD, track, deadCursor, setDeadCursor } from "../gc/heads";
import { gcAlloc, gcLink, freeGCObject } from "../gc/alloc";
import { visit } from "../gc/visit";
import { incref, decref, dropChild } from "./refcount";
import { strData, strLen } from "./strings";

export const MV_RELEASED: u32 = 1;
export const MV_READONLY: u32 = 2;

// ---- layout ----
const BA_LEN: usize = 8;
const BA_ALLOC: usize = 12;
const BA_DATA: usize = 16;
const BA_EXPORTS: usize = 20;
const BA_BYTES: usize = 24;
const MV_BASE: usize = 8;
const MV_DATA: usize = 12;
const MV_LENGTH: usize = 16;
const MV_FLAGS: usize = 20;
const MV_BYTES: usize = 24;

// @ts-ignore: decorator
@inline export function baLen(o: usize): u32 { return load<u32>(o, BA_LEN); }
// @ts-ignore: decorator
@inline export function baData(o: usize): usize { return load<u32>(o, BA_DATA); }
// @ts-ignore: decorator
@inline export function baExports(o: usize): u32 { return load<u32>(o, BA_EXPORTS); }
// @ts-ignore: decorator
@inline function setBaExports(o: usize, n: u32): void { store<u32>(o, n, BA_EXPORTS); }
// @ts-ignore: decorator
@inline export function mvBase(o: usize): usize { return load<u32>(o, MV_BASE); }
/** Is the view read-only (a view of bytes: writing would change an immutable, hashed object)? */
// @ts-ignore: decorator
@inline export function mvReadonly(o: usize): bool { return (load<u32>(o, MV_FLAGS) & MV_READONLY) != 0; }

/** A bytearray of n zero bytes, or 0. */
export function bytearrayNew(n: u32): usize {
  const o = newObject(TYPE_BYTEARRAY, BA_BYTES);
  if (!o) return 0;
  store<u32>(o, 0, BA_LEN);
  store<u32>(o, 0, BA_ALLOC);
  store<u32>(o, 0, BA_DATA);
  store<u32>(o, 0, BA_EXPORTS);
  if (n && !bytearrayResize(o, n)) { freeObject(o); return 0; }
  return o;
}

/** Sets the length to n (new bytes zeroed): 1, or 0 with ERR_BUFFER / ERR_MEMORY. */
export function bytearrayResize(o: usize, n: u32): i32 {
  if (baExports(o)) { fail(ERR_BUFFER); return 0; }
  const len = baLen(o), alloc = load<u32>(o, BA_ALLOC);
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
    store<u32>(o, p, BA_DATA);
    store<u32>(o, na, BA_ALLOC);
  }
  if (n > len) memory.fill(baData(o) + len, 0, n - len);
  store<u32>(o, n, BA_LEN);
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
  const o = gcAlloc(TYPE_MEMORYVIEW, MV_BYTES);
  if (!o) return 0;
  incref(base);
  store<u32>(o, base, MV_BASE);
  if (t == TYPE_BYTES) {
    store<u32>(o, strData(base), MV_DATA);
    store<u32>(o, strLen(base), MV_LENGTH);
    store<u32>(o, MV_READONLY, MV_FLAGS);
  } else {
    store<u32>(o, baData(base), MV_DATA);
    store<u32>(o, baLen(base), MV_LENGTH);
    store<u32>(o, 0, MV_FLAGS);
    setBaExports(base, baExports(base) + 1);
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
  const flags = load<u32>(o, MV_FLAGS);
  if (flags & MV_RELEASED) return false;
  store<u32>(o, flags | MV_RELEASED, MV_FLAGS);
  const base = mvBase(o);
  if (typeId(base) == TYPE_BYTEARRAY) setBaExports(base, baExports(base) - 1);
  return true;
}

/** memoryview.release(): ends the export and drops the reference to the base at once. */
export function memoryviewRelease(o: usize): void {
  if (!memoryviewEndExport(o)) return;
  const base = mvBase(o);
  store<u32>(o, 0, MV_BASE);
  decref(base);
}

export function memoryviewFinish(o: usize): void { freeGCObject(o); }

/** memory_traverse: the base (the managed buffer's exporter). */
// @ts-ignore: decorator
@inline export function memoryviewTraverse(o: usize, kind: i32, arg: usize): void {
  const base = mvBase(o);
  if (base) visit(kind, base, arg);
}

/** memory_dealloc's drop, resumable (see object/dealloc.ts): the base. */
// @ts-ignore: decorator
@inline export function memoryviewNextDeadChild(o: usize): usize {
  if (deadCursor(o)) return 0;
  setDeadCursor(o, 1);
  const base = mvBase(o);
  return dropChild(base) ? base : 0;
}

// @ts-ignore: decorator
@inline export function memoryviewSizeof(o: usize): usize { return GC_HEAD + MV_BYTES; }
// @ts-ignore: decorator
@inline export function bytearraySizeof(o: usize): usize { return BA_BYTES + <usize>load<u32>(o, BA_ALLOC); }

