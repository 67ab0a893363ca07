// object/abi.ts — the object layer's exports (re-exported by index.ts), nothing else.
//
// Naming: <type>_<operation>. Ids are addresses (u32). "new" = the caller owns the
// returned reference; "borrowed" = valid while the container holds it.

import {
  NONE, typeId, isGC, TYPE_STR, TYPE_BYTES, TF_SLOTS, flagsOf, slotsOf, ntypes, FIRST_CLASS, TYPE_LIST, TYPE_TUPLE,
  TYPE_DICT, TYPE_SET, TYPE_FROZENSET, TYPE_BYTEARRAY, TYPE_MEMORYVIEW, TYPE_WEAKREF,
} from "./header";
import { lastError, lastErrorType, clearError } from "./errors";
import { isTracked, gcCount0, GC_HEAD } from "../gc/heads";
import { tmBlockTraceback } from "../alloc/tracemalloc";
import { liveCount, liveBytes } from "../alloc/livecount";
import { TRUE_OBJ, FALSE_OBJ, intFromI32, intFromI64, intFromF64, intFromDigits, floatNew, floatNumFree, floatClearFreeList } from "./numbers";
import { strAlloc, strIntern, strImmortalize, internCount, EMPTY_STR, EMPTY_BYTES } from "./strings";
import {
  tupleNew, tupleGet, EMPTY_TUPLE, listNew, listAppend, listGet, listSet, listInsert, listPop,
  listDelete, listClear, tupleFreeCount, tupleClearFreeLists, listNumFree, listClearFreeList, tupleFrom,
  listFrom, listExtend, seqSize,
} from "./sequences";
import {
  dictNew, dictSet, dictGet, dictDel, dictClear, dictNext, dictEntryKey, dictEntryValue, dictNumFree,
  dictClearFreeList, dictFrom, dictUsed,
} from "./dict";
import { setNew, setAdd, setHas, setDiscard, setClear, setNext, setEntryKey, setFrom, setUsed } from "./set";
import { bytearrayNew, bytearrayResize, memoryviewNew, memoryviewRelease, mvReadonly } from "./buffers";
import {
  classDefine, instNew, instNew2, instNewWith, slotGet, slotSet, slotDel, attrGet, attrSet, attrDel, attrCount,
  attrName, attrValue,
} from "./instance";
import { incref, decref } from "./refcount";
import { deallocations } from "./dealloc";
import { sizeOf } from "./sizeof";
import { hashOf, objEq } from "./hash";
import { weakrefNew, wrObject, wrCallback, weakrefCount, weakrefList, isWeakref } from "./weakref";
import { debugLive, debugLiveCount, misuse, MISUSE_DEAD, MISUSE_TYPE, MISUSE_REFCNT } from "./debug";

// ---- the debug build's argument checks (compiled away when PYHEAP_DEBUG is 0) ----
// @ts-ignore: decorator
@inline function live(o: usize): void {
  if (PYHEAP_DEBUG) { if (!debugLive(o)) misuse(MISUSE_DEAD, o, 0); }
}
// @ts-ignore: decorator
@inline function isa(o: usize, t: u32): void {
  if (PYHEAP_DEBUG) { live(o); if (typeId(o) != t) misuse(MISUSE_TYPE, o, t); }
}
// @ts-ignore: decorator
@inline function isSet(o: usize): void {
  if (PYHEAP_DEBUG) { live(o); if (typeId(o) != TYPE_SET && typeId(o) != TYPE_FROZENSET) misuse(MISUSE_TYPE, o, TYPE_SET); }
}
// @ts-ignore: decorator
@inline function isInstance(o: usize, slotted: bool, slot: u32): void {
  if (PYHEAP_DEBUG) {
    live(o);
    const t = typeId(o);
    if (t < FIRST_CLASS || ((flagsOf(t) & TF_SLOTS) != 0) != slotted || (slotted && slot >= slotsOf(t))) misuse(MISUSE_TYPE, o, FIRST_CLASS);
  }
}
// @ts-ignore: decorator
@inline function isClass(cls: u32, slotted2: bool): void {
  if (PYHEAP_DEBUG) {
    if (cls < FIRST_CLASS || cls >= ntypes || (slotted2 && ((flagsOf(cls) & TF_SLOTS) == 0 || slotsOf(cls) < 2))) misuse(MISUSE_TYPE, cls, FIRST_CLASS);
  }
}
// @ts-ignore: decorator
@inline function liveAll(p: usize, n: i32): void {
  if (PYHEAP_DEBUG) for (let i = 0; i < n; i++) live(load<u32>(p + (<usize>i << 2)));
}

/**
 * Where the host writes the ids of a call that takes many (tuple_from, list_from,
 * set_from, dict_from, list_extend, inst_new_with, gc_get_referrers, gc_get_referents):
 * SCRATCH_WORDS words of static memory. The host uses a block of its own for a longer
 * vector or a nested call.
 */
export const SCRATCH_WORDS: i32 = 1024;
export const SCRATCH: usize = memory.data(SCRATCH_WORDS * 4, 8);

/** Live objects the debug build knows of (0 in release builds). */
export function debug_live_count(): u32 { return PYHEAP_DEBUG ? debugLiveCount() : 0; }
/** Is o a live object? (debug builds; release builds answer true) */
export function debug_is_live(o: usize): bool { return PYHEAP_DEBUG ? debugLive(o) : true; }

// ---- errors, singletons, reference counts ----
export function last_error(): i32 { return lastError; }
export function last_error_type(): u32 { return lastErrorType; }
export function clear_error(): void { clearError(); }
export function none_obj(): usize { return NONE; }
export function true_obj(): usize { return TRUE_OBJ; }
export function false_obj(): usize { return FALSE_OBJ; }
export function empty_tuple(): usize { return EMPTY_TUPLE; }
export function empty_str(): usize { return EMPTY_STR; }
export function empty_bytes(): usize { return EMPTY_BYTES; }

export function obj_incref(o: usize): void {
  live(o);
  incref(o);
}
export function obj_decref(o: usize): void {
  live(o);
  if (PYHEAP_DEBUG) { if (load<u32>(o) == 0) misuse(MISUSE_REFCNT, o, 0); }
  decref(o);
}
export function obj_refcnt(o: usize): u32 {
  live(o);
  return load<u32>(o);
}
/** The type id (TYPE_* or a class id). */
export function obj_type(o: usize): u32 {
  live(o);
  return typeId(o);
}
/** len() of a tuple, list, dict, set or frozenset; -1 for other types. */
export function obj_len(o: usize): i32 {
  live(o);
  const t = typeId(o);
  if (t == TYPE_TUPLE || t == TYPE_LIST) return seqSize(o);
  if (t == TYPE_DICT) return dictUsed(o);
  if (t == TYPE_SET || t == TYPE_FROZENSET) return setUsed(o);
  return -1;
}
export function obj_sizeof(o: usize): usize {
  live(o);
  return sizeOf(o);
}
export function obj_is_gc(o: usize): bool {
  live(o);
  return isGC(o);
}
export function obj_is_tracked(o: usize): bool {
  live(o);
  return isGC(o) && isTracked(o);
}
/** hash(o) (a 32-bit build's Py_hash_t); -1 = error (unhashable). */
export function obj_hash(o: usize): i32 {
  live(o);
  return hashOf(o);
}
/** o1 == o2 as dict keys compare: 1, 0, -1 error. */
export function obj_eq(a: usize, b: usize): i32 {
  live(a); live(b);
  return objEq(a, b);
}

// ---- numbers ----
export function int_from_i32(v: i32): usize { return intFromI32(v); }
export function int_from_i64(v: i64): usize { return intFromI64(v); }
export function int_from_f64(x: f64): usize { return intFromF64(x); }
export function int_from_digits(p: usize, n: i32, negative: bool): usize { return intFromDigits(p, n, negative); }
export function float_new(x: f64): usize { return floatNew(x); }

// ---- str / bytes ----
/** A new str (type 5) or bytes (type 6) of len bytes for the host to fill at id + 16. */
export function str_alloc(type: u32, len: u32): usize { return strAlloc(type == TYPE_BYTES ? TYPE_BYTES : TYPE_STR, len); }
/** sys.intern: steals o, returns the interned string (new reference), 0 = no memory. */
export function str_intern(o: usize): usize {
  isa(o, TYPE_STR);
  return strIntern(o);
}
/** Makes the interned str o immortal (the host's cached attribute names); o must be interned. */
export function str_immortalize(o: usize): void {
  isa(o, TYPE_STR);
  strImmortalize(o);
}
export function intern_count(): u32 { return internCount(); }

// ---- bytearray / memoryview ----
export function bytearray_new(n: u32): usize { return bytearrayNew(n); }
export function bytearray_resize(o: usize, n: u32): i32 {
  isa(o, TYPE_BYTEARRAY);
  return bytearrayResize(o, n);
}
export function memoryview_new(base: usize): usize {
  live(base);
  return memoryviewNew(base);
}
export function memoryview_release(o: usize): void {
  isa(o, TYPE_MEMORYVIEW);
  memoryviewRelease(o);
}
/** 1 for a read-only view (of bytes), 0 for a writable one (of a bytearray). */
export function memoryview_readonly(o: usize): i32 {
  isa(o, TYPE_MEMORYVIEW);
  return mvReadonly(o) ? 1 : 0;
}

// ---- tuple / list ----
export function tuple_new(n: i32): usize { return tupleNew(n); }
/** Fills item i of a new tuple (increfs v). */
export function tuple_init(t: usize, i: i32, v: usize): void {
  isa(t, TYPE_TUPLE); live(v);
  incref(v); store<u32>(t + 12 + (<usize>i << 2), v);
}
/** A new tuple of the n ids at p (held through the allocation). */
export function tuple_from(p: usize, n: i32): usize {
  liveAll(p, n);
  return tupleFrom(p, n);
}
/** Borrowed. */
export function tuple_get(t: usize, i: i32): usize {
  isa(t, TYPE_TUPLE);
  return tupleGet(t, i);
}
export function list_new(capacity: i32): usize { return listNew(capacity); }
/** A new list of the n ids at p (held through the allocation). */
export function list_from(p: usize, n: i32): usize {
  liveAll(p, n);
  return listFrom(p, n);
}
/** list.extend with the n ids at p: 1, or 0 (no memory; nothing changed). */
export function list_extend(l: usize, p: usize, n: i32): i32 {
  isa(l, TYPE_LIST); liveAll(p, n);
  return listExtend(l, p, n);
}
export function list_append(l: usize, v: usize): i32 {
  isa(l, TYPE_LIST); live(v);
  return listAppend(l, v);
}
/** Borrowed. */
export function list_get(l: usize, i: i32): usize {
  isa(l, TYPE_LIST);
  return listGet(l, i);
}
export function list_set(l: usize, i: i32, v: usize): i32 {
  isa(l, TYPE_LIST); live(v);
  return listSet(l, i, v);
}
export function list_insert(l: usize, i: i32, v: usize): i32 {
  isa(l, TYPE_LIST); live(v);
  return listInsert(l, i, v);
}
/** New (the list's reference is transferred). */
export function list_pop(l: usize, i: i32): usize {
  isa(l, TYPE_LIST);
  return listPop(l, i);
}
export function list_delete(l: usize, i: i32): i32 {
  isa(l, TYPE_LIST);
  return listDelete(l, i);
}
export function list_clear(l: usize): void {
  isa(l, TYPE_LIST);
  listClear(l);
}

// ---- dict ----
export function dict_new(): usize { return dictNew(); }
/** A new dict of the n (key, value) pairs at p (2n ids, held through the allocation). */
export function dict_from(p: usize, n: i32): usize {
  liveAll(p, n << 1);
  return dictFrom(p, n);
}
export function dict_set(d: usize, k: usize, v: usize): i32 {
  isa(d, TYPE_DICT); live(k); live(v);
  return dictSet(d, k, v);
}
/** Borrowed; 0 when absent (last_error 0) or on error. */
export function dict_get(d: usize, k: usize): usize {
  isa(d, TYPE_DICT); live(k);
  clearError(); return dictGet(d, k);
}
export function dict_delete(d: usize, k: usize): i32 {
  isa(d, TYPE_DICT); live(k);
  return dictDel(d, k);
}
export function dict_clear(d: usize): void {
  isa(d, TYPE_DICT);
  dictClear(d);
}
export function dict_next(d: usize, pos: i32): i32 {
  isa(d, TYPE_DICT);
  return dictNext(d, pos);
}
export function dict_key_at(d: usize, pos: i32): usize { return dictEntryKey(d, pos); }
export function dict_value_at(d: usize, pos: i32): usize { return dictEntryValue(d, pos); }

// ---- set / frozenset ----
export function set_new(frozen: bool): usize { return setNew(frozen); }
/** A new set (frozen 0) or frozenset of the n ids at p (held through the allocation). */
export function set_from(p: usize, n: i32, frozen: bool): usize {
  liveAll(p, n);
  return setFrom(p, n, frozen);
}
/** 1 added, 2 present, 0 error. */
export function set_add(s: usize, k: usize): i32 {
  isSet(s); live(k);   // frozensets are built with set_add too
  return setAdd(s, k);
}
export function set_has(s: usize, k: usize): i32 {
  isSet(s); live(k);
  return setHas(s, k);
}
/** 1 removed, 2 absent, 0 error. */
export function set_discard(s: usize, k: usize): i32 {
  isa(s, TYPE_SET); live(k);
  return setDiscard(s, k);
}
export function set_clear(s: usize): void {
  isa(s, TYPE_SET);
  setClear(s);
}
export function set_next(s: usize, pos: i32): i32 {
  isSet(s);
  return setNext(s, pos);
}
export function set_key_at(s: usize, pos: i32): usize { return setEntryKey(s, pos); }

// ---- classes and instances ----
export function class_define(flags: u32, nslots: u32): u32 { return classDefine(flags, nslots); }
export function class_count(): u32 { return ntypes; }
export function inst_new(cls: u32): usize {
  isClass(cls, false);
  return instNew(cls);
}
/**
 * An instance with n attributes: values at p, then n keys (slot indices for a slotted
 * class, interned attribute names otherwise).
 */
export function inst_new_with(cls: u32, p: usize, n: i32): usize {
  if (PYHEAP_DEBUG) {
    if (cls < FIRST_CLASS || cls >= ntypes) misuse(MISUSE_TYPE, cls, FIRST_CLASS);
    liveAll(p, n);
    const slotted = (flagsOf(cls) & TF_SLOTS) != 0;
    for (let i = 0; i < n; i++) {
      const k = load<u32>(p + (<usize>(n + i) << 2));
      if (slotted) { if (k >= slotsOf(cls)) misuse(MISUSE_TYPE, k, FIRST_CLASS); }
      else isa(k, TYPE_STR);
    }
  }
  return instNewWith(cls, p, n);
}
export function inst_new2(cls: u32, a: usize, b: usize): usize {
  isClass(cls, true); live(a); live(b);
  return instNew2(cls, a, b);
}
export function slot_get(o: usize, i: u32): usize {
  isInstance(o, true, i);
  return slotGet(o, i);
}
export function slot_set(o: usize, i: u32, v: usize): void {
  isInstance(o, true, i); live(v);
  slotSet(o, i, v);
}
export function slot_delete(o: usize, i: u32): i32 {
  isInstance(o, true, i);
  return slotDel(o, i);
}
export function attr_get(o: usize, name: usize): usize {
  isInstance(o, false, 0); isa(name, TYPE_STR);
  return attrGet(o, name);
}
export function attr_set(o: usize, name: usize, v: usize): i32 {
  isInstance(o, false, 0); isa(name, TYPE_STR); live(v);
  return attrSet(o, name, v);
}
export function attr_delete(o: usize, name: usize): i32 {
  isInstance(o, false, 0); isa(name, TYPE_STR);
  return attrDel(o, name);
}
export function attr_count(o: usize): u32 {
  isInstance(o, false, 0);
  return attrCount(o);
}
export function attr_name(o: usize, i: u32): usize { return attrName(o, i); }
export function attr_value(o: usize, i: u32): usize { return attrValue(o, i); }

// ---- statistics ----
export function gc_count0(): i32 { return gcCount0; }
export function dealloc_count(): u64 { return deallocations; }
/** Free-list lengths: 0 float, 1 tuple (all sizes), 2 list, 3 dict. */
export function freelist_count(kind: i32): i32 {
  switch (kind) {
    case 0: return floatNumFree();
    case 1: return tupleFreeCount();
    case 2: return listNumFree();
    case 3: return dictNumFree();
  }
  return 0;
}
export function freelists_clear(): void {
  floatClearFreeList();
  tupleClearFreeLists();
  listClearFreeList();
  dictClearFreeList();
}

// @ts-ignore: decorator
@inline function weak(o: usize): void {
  if (PYHEAP_DEBUG) { live(o); if (!isWeakref(o)) misuse(MISUSE_TYPE, o, TYPE_WEAKREF); }
}

// ---- weak references (object/weakref.ts) ----
/** weakref.ref (proxy 0) / weakref.proxy (proxy 1) of o; callback: the host's number, 0 none. New. */
export function weakref_new(o: usize, callback: u32, proxy: bool): usize {
  live(o);
  return weakrefNew(o, callback, proxy);
}
/** The referent (borrowed), or 0 once it died. */
export function weakref_get(wr: usize): usize {
  weak(wr);
  return wrObject(wr);
}
export function weakref_callback(wr: usize): u32 {
  weak(wr);
  return wrCallback(wr);
}
export function weakref_count(o: usize): u32 {
  live(o);
  return weakrefCount(o);
}
/** New list of o's weakrefs, or 0. */
export function weakref_list(o: usize): usize {
  live(o);
  return weakrefList(o);
}


// ---- tracemalloc ---------------------------------------------------------------------
/**
 * get_object_traceback: the traceback id of o's block (which starts at the GC head of a
 * container, as _PyType_PreHeaderSize says), or 0 when it has no trace (allocated before
 * tracing began, an immortal object, or a free-list object's block traced earlier and
 * cleared since).
 */
export function obj_traceback(o: usize): usize {
  live(o);
  return tmBlockTraceback(isGC(o) ? o - GC_HEAD : o);
}

// ---- the live census (alloc/livecount.ts): heap.leaks, heap.monitor ----------------------
/** Live objects of type t (a TYPE_* or class id), every object with a block counted. */
export function type_live_count(t: u32): u32 { return t < ntypes ? liveCount(t) : 0; }
/** The bytes of their own blocks (usable sizes, GC heads included). */
export function type_live_bytes(t: u32): u32 { return t < ntypes ? liveBytes(t) : 0; }
