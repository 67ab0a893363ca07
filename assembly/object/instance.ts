// object/instance.ts — instances of host-defined classes, with or without __slots__.
//
// CPython counterparts: Objects/typeobject.c (type_new's slot members, subtype_dealloc,
// clear_slots), Objects/dictobject.c's inline "values" of CPython 3.11, where an
// instance's attributes live with the instance until someone asks for __dict__.
//
//   slotted class (TF_SLOTS)        plain class
//   (GC head)                       (GC head)
//   +--------+                      +--------+         attribute table (object domain)
//   | refcnt |                      | refcnt |         +-------+
//   | type   |  a class id          | type   |         | count |
//   | slot0  |  0 = unset           | attrs -+-------> | cap   |
//   | slot1  |                      | (pad)  |         | name | value |  x cap
//   +--------+                      +--------+         | index: u32 x 2cap |  only when cap > ATTR_LINEAR
//   8 + 8 + 4n: 2 slots = 24 bytes  24 bytes + 8 + 8 per attribute
//   (CPython: 48)                   (CPython 3.11: 48 + values; 96 with one attribute)
//
// Attribute names are immortal interned str objects made by the host, so a lookup
// compares pointers. The table keeps insertion order, like a dict. It belongs to the
// instance: in a collection the instance and its attributes are one object.
//
// A table of up to ATTR_LINEAR entries is searched linearly (a few pointer compares).
// A larger one also holds an index, as a dict's: 2 x cap slots of entry number + 1
// (0 = empty), probed linearly from the name's pointer hash, so that an instance with
// thousands of attributes finds each in O(1). Deleting an entry shifts the later ones
// (keeping the order) and rebuilds the index.

import {
  TF_SLOTS, newGCObject, gcAlloc, gcLink, freeGCObject, track, fail, flagsOf, slotsOf, typeId, ERR_KEY, ERR_MEMORY,
  GC_HEAD, defineType,
} from "./header";
import { objMalloc, objRealloc, objFree } from "../alloc/obmalloc";
import { incref, decref } from "./refcount";

export function classDefine(flags: u32, nslots: u32): u32 {
  return defineType(flags, nslots);
}

/** A new tracked instance of class cls (slots unset / no attributes), or 0. */
export function instNew(cls: u32): usize {
  const slotted = (flagsOf(cls) & TF_SLOTS) != 0;
  const n: usize = slotted ? <usize>slotsOf(cls) : 1;
  const size: usize = 8 + ((n ? n : 1) << 2);
  const o = newGCObject(cls, size);
  if (!o) return 0;
  memory.fill(o + 8, 0, size - 8);
  track(o);
  return o;
}

/**
 * The same with the first two slots set (a fast path for VMs and benchmarks; 2+ slots).
 * a and b are stored before the link (which may collect), so host code cannot free them.
 */
export function instNew2(cls: u32, a: usize, b: usize): usize {
  const n = <usize>slotsOf(cls);
  const o = gcAlloc(cls, 8 + (n << 2));   // every slot of the class, not only the two set
  if (!o) return 0;
  incref(a);
  incref(b);
  store<u32>(o, a, 8);
  store<u32>(o, b, 12);
  if (n > 2) memory.fill(o + 16, 0, (n - 2) << 2);
  gcLink();
  track(o);
  return o;
}

/**
 * An instance of cls with n attributes set in order: the values are the ids at p, the
 * keys the n words after them (slot indices for a slotted class, attribute names
 * otherwise). A new tracked instance, or 0 (ERR_MEMORY, nothing changed). Its memory,
 * attribute table included, is taken first; then the values are stored (each
 * incref'd: host code run by the collection the link may start cannot free one).
 */
export function instNewWith(cls: u32, p: usize, n: i32): usize {
  const keys = p + (<usize>n << 2);
  if (flagsOf(cls) & TF_SLOTS) {
    const ns = <usize>slotsOf(cls);
    const size: usize = 8 + ((ns ? ns : 1) << 2);
    const o = gcAlloc(cls, size);
    if (!o) return 0;
    memory.fill(o + 8, 0, size - 8);
    for (let i = 0; i < n; i++) slotSet(o, load<u32>(keys + (<usize>i << 2)), load<u32>(p + (<usize>i << 2)));
    gcLink();
    track(o);
    return o;
  }
  let t: usize = 0;
  if (n > 0) {
    let cap: u32 = 2;
    while (cap < <u32>n) cap <<= 1;
    t = objMalloc(attrTableBytes(cap));
    if (!t) return fail(ERR_MEMORY);
    initTable(t, cap);
  }
  const o = gcAlloc(cls, 12);
  if (!o) { objFree(t); return 0; }
  store<u32>(o, t, 8);
  // (room for every name: no attrSet below allocates or fails)
  for (let i = 0; i < n; i++) attrSet(o, load<u32>(keys + (<usize>i << 2)), load<u32>(p + (<usize>i << 2)));
  gcLink();
  track(o);
  return o;
}

// ---- slots ------------------------------------------------------------------------
/** Borrowed slot i, or 0 when unset (AttributeError; ERR_KEY). */
export function slotGet(o: usize, i: u32): usize {
  const v = load<u32>(o + 8 + (<usize>i << 2));
  if (!v) return fail(ERR_KEY);
  return v;
}

export function slotSet(o: usize, i: u32, v: usize): void {
  const p = o + 8 + (<usize>i << 2);
  const old = load<u32>(p);
  incref(v);
  store<u32>(p, v);
  if (old) decref(old);
}

/** del o.slot: 1, or 0 with ERR_KEY when unset. */
export function slotDel(o: usize, i: u32): i32 {
  const p = o + 8 + (<usize>i << 2);
  const old = load<u32>(p);
  if (!old) { fail(ERR_KEY); return 0; }
  store<u32>(p, 0);
  decref(old);
  return 1;
}

// ---- attribute tables (classes without slots) ---------------------------------------
/** Tables of at most this many entries have no index. */
const ATTR_LINEAR: u32 = 8;

// @ts-ignore: decorator
@inline function attrs(o: usize): usize { return load<u32>(o, 8); }
// @ts-ignore: decorator
@inline function tableCap(t: usize): u32 { return load<u32>(t, 4); }
// @ts-ignore: decorator
@inline function entry(t: usize, i: u32): usize { return t + 8 + (<usize>i << 3); }
// @ts-ignore: decorator
@inline function indexOf(t: usize, cap: u32): usize { return t + 8 + (<usize>cap << 3); }
// @ts-ignore: decorator
@inline function nameSlot(name: usize): u32 { return <u32>(name >> 3) * 0x9e3779b1; }

/** Bytes of a table with room for cap entries (its index included). */
// @ts-ignore: decorator
@inline function attrTableBytes(cap: u32): usize {
  return 8 + (<usize>cap << 3) + (cap > ATTR_LINEAR ? <usize>cap << 3 : 0);
}

/** An empty table of cap entries (an empty index when it has one). */
function initTable(t: usize, cap: u32): void {
  store<u32>(t, 0);
  store<u32>(t, cap, 4);
  if (cap > ATTR_LINEAR) memory.fill(indexOf(t, cap), 0, <usize>cap << 3);
}

/** Lists entry i in the index (the table has one). */
function indexInsert(t: usize, i: u32): void {
  const cap = tableCap(t), ix = indexOf(t, cap), m = (cap << 1) - 1;
  let j = nameSlot(load<u32>(entry(t, i))) & m;
  while (load<u32>(ix + (<usize>j << 2))) j = (j + 1) & m;
  store<u32>(ix + (<usize>j << 2), i + 1);
}

/** Lists every entry again (after a resize or a deletion shifted them). */
function indexRebuild(t: usize): void {
  const cap = tableCap(t);
  memory.fill(indexOf(t, cap), 0, <usize>cap << 3);
  const n = load<u32>(t);
  for (let i: u32 = 0; i < n; i++) indexInsert(t, i);
}

function attrFind(t: usize, name: usize): usize {
  const n = load<u32>(t), cap = tableCap(t);
  if (cap <= ATTR_LINEAR) {
    for (let i: u32 = 0; i < n; i++) {
      const e = entry(t, i);
      if (load<u32>(e) == <u32>name) return e;
    }
    return 0;
  }
  const ix = indexOf(t, cap), m = (cap << 1) - 1;
  let j = nameSlot(name) & m;
  while (true) {
    const k = load<u32>(ix + (<usize>j << 2));
    if (!k) return 0;
    const e = entry(t, k - 1);
    if (load<u32>(e) == <u32>name) return e;
    j = (j + 1) & m;
  }
}

/** Borrowed o.name, or 0 (ERR_KEY). */
export function attrGet(o: usize, name: usize): usize {
  const t = attrs(o);
  const e = t ? attrFind(t, name) : 0;
  if (!e) return fail(ERR_KEY);
  return load<u32>(e, 4);
}

/** o.name = v: 1, or 0 with ERR_MEMORY. */
export function attrSet(o: usize, name: usize, v: usize): i32 {
  let t = attrs(o);
  let e = t ? attrFind(t, name) : 0;
  if (e) {
    const old = load<u32>(e, 4);
    incref(v);
    store<u32>(e, v, 4);
    decref(old);
    return 1;
  }
  const n: u32 = t ? load<u32>(t) : 0;
  const cap: u32 = t ? tableCap(t) : 0;
  if (n == cap) {
    const ncap: u32 = cap ? cap * 2 : 2;
    const nt = t ? objRealloc(t, attrTableBytes(ncap)) : objMalloc(attrTableBytes(ncap));
    if (!nt) { fail(ERR_MEMORY); return 0; }
    if (!t) store<u32>(nt, 0);
    store<u32>(nt, ncap, 4);
    if (ncap > ATTR_LINEAR) indexRebuild(nt);
    t = nt;
    store<u32>(o, t, 8);
  }
  e = entry(t, n);
  incref(v);
  store<u32>(e, name);
  store<u32>(e, v, 4);
  store<u32>(t, n + 1);
  if (tableCap(t) > ATTR_LINEAR) indexInsert(t, n);
  return 1;
}

/** del o.name: 1, or 0 with ERR_KEY. The order of the others is kept. */
export function attrDel(o: usize, name: usize): i32 {
  const t = attrs(o);
  const e = t ? attrFind(t, name) : 0;
  if (!e) { fail(ERR_KEY); return 0; }
  const old = load<u32>(e, 4);
  const n = load<u32>(t);
  const end = entry(t, n);
  memory.copy(e, e + 8, end - e - 8);
  store<u32>(t, n - 1);
  if (tableCap(t) > ATTR_LINEAR) indexRebuild(t);
  decref(old);
  return 1;
}

export function attrCount(o: usize): u32 { const t = attrs(o); return t ? load<u32>(t) : 0; }
export function attrName(o: usize, i: u32): usize { return load<u32>(attrs(o) + 8 + (<usize>i << 3)); }
export function attrValue(o: usize, i: u32): usize { return load<u32>(attrs(o) + 8 + (<usize>i << 3), 4); }

export function instSizeof(o: usize): usize {
  const cls = typeId(o);
  if (flagsOf(cls) & TF_SLOTS) { const n: usize = slotsOf(cls); return (GC_HEAD + 8 + ((n ? n : 1) << 2) + 7) & ~7; }
  const t = attrs(o);
  return GC_HEAD + 16 + (t ? attrTableBytes(tableCap(t)) : 0);
}

export function instFinish(o: usize): void {
  if (!(flagsOf(typeId(o)) & TF_SLOTS)) {
    const t = attrs(o);
    if (t) objFree(t);
  }
  freeGCObject(o);
}

