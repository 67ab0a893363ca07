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
//   +--------+                      +--------+         +-------+
//   8 + 8 + 4n: 2 slots = 24 bytes  24 bytes + 8 + 8 per attribute
//   (CPython: 48)                   (CPython 3.11: 48 + values; 96 with one attribute)
//
// Attribute names are immortal interned str objects made by the host, so a lookup
// compares pointers. The table keeps insertion order, like a dict. It belongs to the
// instance: in a collection the instance and its attributes are one object.

import {
  TF_SLOTS, newGCObject, freeGCObject, track, fail, flagsOf, slotsOf, typeId, ERR_KEY, ERR_MEMORY, GC_HEAD, defineType,
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

/** The same with the first two slots set (a fast path for VMs and benchmarks; 2+ slots). */
export function instNew2(cls: u32, a: usize, b: usize): usize {
  const n = <usize>slotsOf(cls);
  const o = newGCObject(cls, 8 + (n << 2));   // every slot of the class, not only the two set
  if (!o) return 0;
  incref(a);
  incref(b);
  store<u32>(o, a, 8);
  store<u32>(o, b, 12);
  if (n > 2) memory.fill(o + 16, 0, (n - 2) << 2);
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
// @ts-ignore: decorator
@inline function attrs(o: usize): usize { return load<u32>(o, 8); }

function attrFind(t: usize, name: usize): usize {
  const n = load<u32>(t);
  for (let i: u32 = 0; i < n; i++) {
    const e = t + 8 + (<usize>i << 3);
    if (load<u32>(e) == <u32>name) return e;
  }
  return 0;
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
  const cap: u32 = t ? load<u32>(t, 4) : 0;
  if (n == cap) {
    const ncap: u32 = cap ? cap * 2 : 2;
    const nt = t ? objRealloc(t, 8 + (<usize>ncap << 3)) : objMalloc(8 + (<usize>ncap << 3));
    if (!nt) { fail(ERR_MEMORY); return 0; }
    if (!t) store<u32>(nt, 0);
    store<u32>(nt, ncap, 4);
    t = nt;
    store<u32>(o, t, 8);
  }
  e = t + 8 + (<usize>n << 3);
  incref(v);
  store<u32>(e, name);
  store<u32>(e, v, 4);
  store<u32>(t, n + 1);
  return 1;
}

/** del o.name: 1, or 0 with ERR_KEY. The order of the others is kept. */
export function attrDel(o: usize, name: usize): i32 {
  const t = attrs(o);
  const e = t ? attrFind(t, name) : 0;
  if (!e) { fail(ERR_KEY); return 0; }
  const old = load<u32>(e, 4);
  const n = load<u32>(t);
  const end = t + 8 + (<usize>n << 3);
  memory.copy(e, e + 8, end - e - 8);
  store<u32>(t, n - 1);
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
  return GC_HEAD + 16 + (t ? 8 + (<usize>load<u32>(t, 4) << 3) : 0);
}

export function instFinish(o: usize): void {
  if (!(flagsOf(typeId(o)) & TF_SLOTS)) {
    const t = attrs(o);
    if (t) objFree(t);
  }
  freeGCObject(o);
}

