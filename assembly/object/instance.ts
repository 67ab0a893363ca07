// object/instance.ts — instances of host-defined classes, with or without __slots__,
// and CPython 3.11's key-sharing instance dictionaries.
//
// CPython counterparts: Objects/typeobject.c (type_new's slot members, subtype_dealloc,
// subtype_traverse, subtype_clear, clear_slots) and Objects/dictobject.c of 3.11 (PEP
// 412 with 3.11's managed dicts: _PyDict_NewKeysForClass, init_inline_values,
// insert_into_dictkeys, _PyObject_StoreInstanceAttribute,
// make_dict_from_instance_attributes, _PyObject_VisitInstanceAttributes,
// _PyObject_ClearInstanceAttributes, _PyObject_FreeInstanceAttributes,
// _PyDictValues_AddToInsertionOrder, delete_index_from_values).
//
//   slotted class (TF_SLOTS)     plain class                      the class's shared keys
//   (GC head)                    (GC head)                        (object domain, 192 bytes)
//   +--------+                   +---------+                      +-----------+
//   | refcnt |                   | refcnt  |                      | nentries  |
//   | type   |  a class id       | type    |                      | usable    |  i32
//   | slot0  |  0 = unset        | dict  --+--> 0, or its own     | name[30]  |  immortal str
//   | slot1  |                   | cap|used|    dict object       | index[64] |  u8: entry + 1
//   +--------+                   | value[cap]  by key index       +-----------+
//   8 + 4n bytes                 | order[cap]  u8 key indices,
//   (CPython: 48)                +---------+   insertion order
//                                16 + 5 cap bytes
//
// Key sharing, as CPython 3.11: each plain class has shared keys (at most
// SHARED_KEYS_MAX_SIZE = 30 names) in the order names were first set on any of its
// instances. An instance stores its values by key index and keeps its own insertion
// order (iteration: vars(o)); deallocation, traversal (so gc.get_referents and the
// collector's order) and tp_clear go in key order. `usable` starts at 30 and drops by
// one at every instance creation while it is > 1 (init_inline_values), and by one per
// new key; an instance is created with room for nentries + usable values, which no
// later key index reaches (that sum never grows). A name that cannot join the keys
// (usable is 0) moves the instance to a combined table of its own, in its insertion
// order, with the name appended; CPython's other fallbacks (non-str keys, a __dict__
// handed out and changed) have no way in through pyheap's API. A deletion keeps the
// values split (3.11); even a failed `del o.name` adds the name to the keys, as
// _PyObject_StoreInstanceAttribute does.
//
// The combined table (an instance's own, object domain): count, cap, then cap
// (name, value) entries in insertion order, and for cap > ATTR_LINEAR an index of
// 2 x cap u32 slots (entry number + 1, 0 = empty) probed from the name's pointer hash.
// Deleting an entry shifts the later ones (keeping the order) and rebuilds the index.
//
// Attribute names are interned str objects; the shared keys make each name they hold
// immortal (a class's keys live as long as the heap), so a lookup compares pointers.
//
// Invariants: an instance with a dict has no values in use (used == 0, all values 0); `used` key indices in order[] are distinct and their values non-zero;
// every key index < nentries <= cap.

import {
  TF_SLOTS, flagsOf, slotsOf, keysOf, typeId, defineType,
} from "./header";
import { fail, ERR_KEY, ERR_MEMORY } from "./errors";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { GC_HEAD, track, deadCursor, setDeadCursor } from "../gc/heads";
import { newGCObject, gcAlloc, gcLink, freeGCObject } from "../gc/alloc";
import { dictNew, dictReserve, dictSet, dictGet, dictDel, dictUsed, dictNext, dictEntryKey, dictEntryValue, dictKeys, keysNentries as dictNentries } from "./dict";
import { visit } from "../gc/visit";
import { incref, decref, dropChild } from "./refcount";
import { strImmortalize } from "./strings";

// ---- the class's shared keys ----------------------------------------------------------------
export const SHARED_KEYS_MAX_SIZE: u32 = 30;
const KEYS_INDEX_SLOTS: u32 = 64;
const KEYS_NENTRIES: usize = 0;
const KEYS_USABLE: usize = 4;
const KEYS_NAMES: usize = 8;
const KEYS_INDEX: usize = KEYS_NAMES + SHARED_KEYS_MAX_SIZE * 4;
const KEYS_BYTES: usize = KEYS_INDEX + KEYS_INDEX_SLOTS;

// @ts-ignore: decorator
@inline function keysNentries(k: usize): u32 { return load<u32>(k, KEYS_NENTRIES); }
// @ts-ignore: decorator
@inline function keysUsable(k: usize): i32 { return load<i32>(k, KEYS_USABLE); }
// @ts-ignore: decorator
@inline function setKeysUsable(k: usize, n: i32): void { store<i32>(k, n, KEYS_USABLE); }
// @ts-ignore: decorator
@inline function keysName(k: usize, ix: u32): usize { return load<u32>(k + KEYS_NAMES + (<usize>ix << 2)); }
/** The names of class cls's shared keys (heap snapshots): how many, and the one at key index ix. */
// @ts-ignore: decorator
@inline export function instKeyCount(cls: u32): u32 { return keysNentries(keysOf(cls)); }
// @ts-ignore: decorator
@inline export function instKeyName(cls: u32, ix: u32): usize { return keysName(keysOf(cls), ix); }
// @ts-ignore: decorator
@inline function nameSlot(name: usize): u32 { return <u32>(name >> 3) * 0x9e3779b1; }

/** _PyDict_NewKeysForClass: empty keys with SHARED_KEYS_MAX_SIZE usable, or 0. */
function keysNew(): usize {
  const k = objMalloc(KEYS_BYTES);
  if (!k) return 0;
  memory.fill(k, 0, KEYS_BYTES);
  setKeysUsable(k, <i32>SHARED_KEYS_MAX_SIZE);
  return k;
}

/** The key index of name, or -1. */
function keysLookup(k: usize, name: usize): i32 {
  let j = nameSlot(name) & (KEYS_INDEX_SLOTS - 1);
  while (true) {
    const e = <u32>load<u8>(k + KEYS_INDEX + j);
    if (!e) return -1;
    if (keysName(k, e - 1) == name) return <i32>(e - 1);
    j = (j + 1) & (KEYS_INDEX_SLOTS - 1);
  }
}

/** insert_into_dictkeys for a name not in k: its new index, or -1 when usable is 0. */
function keysInsert(k: usize, name: usize): i32 {
  if (keysUsable(k) <= 0) return -1;
  const ix = keysNentries(k);
  if (PYHEAP_DEBUG) assert(ix < SHARED_KEYS_MAX_SIZE, "shared keys: more than 30 entries");
  incref(name);
  strImmortalize(name);   // the keys hold it for the heap's life
  store<u32>(k + KEYS_NAMES + (<usize>ix << 2), <u32>name);
  let j = nameSlot(name) & (KEYS_INDEX_SLOTS - 1);
  while (load<u8>(k + KEYS_INDEX + j)) j = (j + 1) & (KEYS_INDEX_SLOTS - 1);
  store<u8>(k + KEYS_INDEX + j, <u8>(ix + 1));
  store<u32>(k, ix + 1, KEYS_NENTRIES);
  setKeysUsable(k, keysUsable(k) - 1);
  return <i32>ix;
}

/** A new class id: slotted (nslots slots) or plain (with new shared keys); 0 = no room. */
export function classDefine(flags: u32, nslots: u32): u32 {
  let keys: usize = 0;
  if (!(flags & TF_SLOTS)) {
    keys = keysNew();
    if (!keys) return <u32>fail(ERR_MEMORY);
  }
  const t = defineType(flags, nslots, keys);
  if (!t && keys) objFree(keys);
  return t;
}

// ---- a plain instance's values -----------------------------------------------------------------
const INST_DICT: usize = 8;
const INST_CAP: usize = 12;     // u8
const INST_USED: usize = 13;    // u8
const INST_VALUES: usize = 16;

// @ts-ignore: decorator
@inline export function instDict(o: usize): usize { return load<u32>(o, INST_DICT); }
// @ts-ignore: decorator
@inline function valuesCap(o: usize): u32 { return load<u8>(o, INST_CAP); }
// @ts-ignore: decorator
@inline function valuesUsed(o: usize): u32 { return load<u8>(o, INST_USED); }
// @ts-ignore: decorator
@inline function setValuesUsed(o: usize, n: u32): void { store<u8>(o, <u8>n, INST_USED); }
// @ts-ignore: decorator
@inline export function valueSlot(o: usize, ix: u32): usize { return o + INST_VALUES + (<usize>ix << 2); }
// @ts-ignore: decorator
@inline function orderAt(o: usize, i: u32): usize { return o + INST_VALUES + (<usize>valuesCap(o) << 2) + i; }
// @ts-ignore: decorator
@inline function plainBytes(cap: u32): usize { return INST_VALUES + <usize>cap * 5; }

/**
 * init_inline_values' room: nentries + usable after this creation's decrement (which
 * the caller commits with commitCreation once the instance exists).
 */
// @ts-ignore: decorator
@inline function capacityForNew(k: usize): u32 {
  const usable = keysUsable(k);
  return keysNentries(k) + <u32>(usable > 1 ? usable - 1 : usable);
}
// @ts-ignore: decorator
@inline function commitCreation(k: usize): void {
  const usable = keysUsable(k);
  if (usable > 1) setKeysUsable(k, usable - 1);
}
// @ts-ignore: decorator
@inline function initValues(o: usize, cap: u32): void {
  store<u32>(o, 0, INST_DICT);
  store<u32>(o, cap, INST_CAP);   // cap, used 0, padding 0
  memory.fill(o + INST_VALUES, 0, <usize>cap * 5);
}

/** _PyDictValues_AddToInsertionOrder. */
// @ts-ignore: decorator
@inline function orderAppend(o: usize, ix: u32): void {
  const n = valuesUsed(o);
  store<u8>(orderAt(o, n), <u8>ix);
  setValuesUsed(o, n + 1);
}

/** delete_index_from_values: ix leaves the insertion order, the others keep theirs. */
function orderRemove(o: usize, ix: u32): void {
  const n = valuesUsed(o);
  let i: u32 = 0;
  while (i < n && <u32>load<u8>(orderAt(o, i)) != ix) i++;
  if (i == n) return;
  const at = orderAt(o, i);
  memory.copy(at, at + 1, n - i - 1);
  setValuesUsed(o, n - 1);
}

// ---- creation ------------------------------------------------------------------------------
// @ts-ignore: decorator
@inline function slottedBytes(n: usize): usize { return 8 + ((n ? n : 1) << 2); }

/** A new tracked instance of class cls (slots unset / no attributes), or 0. */
export function instNew(cls: u32): usize {
  if (flagsOf(cls) & TF_SLOTS) {
    const size = slottedBytes(<usize>slotsOf(cls));
    const o = newGCObject(cls, size);
    if (!o) return 0;
    memory.fill(o + 8, 0, size - 8);
    track(o);
    return o;
  }
  const k = keysOf(cls);
  const cap = capacityForNew(k);
  const o = gcAlloc(cls, plainBytes(cap));
  if (!o) return 0;
  initValues(o, cap);
  gcLink();
  commitCreation(k);   // after the link, as init_inline_values follows tp_alloc
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
 * a combined table included when the names may not all fit the shared keys, is taken
 * first; then the values are stored (each incref'd: host code run by the collection
 * the link may start cannot free one).
 */
export function instNewWith(cls: u32, p: usize, n: i32): usize {
  const names = p + (<usize>n << 2);
  if (flagsOf(cls) & TF_SLOTS) {
    const size = slottedBytes(<usize>slotsOf(cls));
    const o = gcAlloc(cls, size);
    if (!o) return 0;
    memory.fill(o + 8, 0, size - 8);
    for (let i = 0; i < n; i++) slotSet(o, load<u32>(names + (<usize>i << 2)), load<u32>(p + (<usize>i << 2)));
    gcLink();
    track(o);
    return o;
  }
  // (held: host code run by the collections below cannot free a value)
  for (let i = 0; i < n; i++) incref(load<u32>(p + (<usize>i << 2)));
  let o = instNew(cls);
  if (o) {
    // names not in the keys yet (an upper bound: a repeated name counts twice); when they
    // may not all join the keys, the dict the instance would move to is made first. (Its
    // allocation may collect: host code may then use up keys, which only moves the fallback
    // earlier; without it no host code runs until the stores are done, and none fails.)
    const k = keysOf(cls);
    let missing: u32 = 0;
    for (let i = 0; i < n; i++) if (keysLookup(k, load<u32>(names + (<usize>i << 2))) < 0) missing++;
    const spare: usize = missing <= <u32>keysUsable(k) ? 0 : newDictFor(<u32>n);
    if (spare || missing <= <u32>keysUsable(k)) {
      for (let i = 0; i < n; i++) attrStore(o, load<u32>(names + (<usize>i << 2)), load<u32>(p + (<usize>i << 2)), spare);
      if (spare && instDict(o) != spare) decref(spare);   // not needed after all: an empty dict
    } else {
      decref(o);   // no memory for its attributes: it dies (as CPython's would, its __init__ failing)
      o = fail(ERR_MEMORY);   // (after the drop, whose hooks may call the engine)
    }
  }
  for (let i = 0; i < n; i++) decref(load<u32>(p + (<usize>i << 2)));
  return o;
}

/** An empty dict with room for n entries (may collect), or 0 (ERR_MEMORY). */
function newDictFor(n: u32): usize {
  const d = dictNew();
  if (!d) return 0;
  if (!dictReserve(d, n)) { decref(d); return 0; }
  return d;
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

/**
 * make_dict_from_instance_attributes and the insert that needed it: the values move
 * (their references with them) to the empty dict d (room for them all and one more),
 * in the instance's insertion order. Runs no host code (str keys) and cannot fail.
 */
function moveToDict(o: usize, d: usize): void {
  const k = keysOf(typeId(o));
  const n = valuesUsed(o);
  for (let i: u32 = 0; i < n; i++) {
    const ix = <u32>load<u8>(orderAt(o, i));
    const slot = valueSlot(o, ix);
    const v = <usize>load<u32>(slot);
    dictSet(d, keysName(k, ix), v);
    store<u32>(slot, 0);
    decref(v);   // (the dict holds it)
  }
  setValuesUsed(o, 0);
  store<u32>(o, <u32>d, INST_DICT);
}

// ---- attributes -----------------------------------------------------------------------------
/** Borrowed o.name, or 0 (ERR_KEY). */
export function attrGet(o: usize, name: usize): usize {
  const d = instDict(o);
  if (d) {
    const v = dictGet(d, name);
    return v ? v : fail(ERR_KEY);
  }
  const ix = keysLookup(keysOf(typeId(o)), name);
  const v: usize = ix >= 0 ? <usize>load<u32>(valueSlot(o, <u32>ix)) : 0;
  return v ? v : fail(ERR_KEY);
}

/** o.name = v: 1, or 0 with ERR_MEMORY (nothing changed). */
export function attrSet(o: usize, name: usize, v: usize): i32 {
  return attrStore(o, name, v, 0);
}

/**
 * _PyObject_StoreInstanceAttribute for a value: spare, when not 0, is an empty dict
 * with room for every attribute the instance will get, taken instead of making one.
 */
function attrStore(o: usize, name: usize, v: usize, spare: usize): i32 {
  if (!instDict(o)) {
    const k = keysOf(typeId(o));
    const found = keysLookup(k, name);
    const ix = found >= 0 ? found : keysInsert(k, name);
    if (ix >= 0) {
      if (PYHEAP_DEBUG) assert(<u32>ix < valuesCap(o), "key index beyond the instance's values");
      const slot = valueSlot(o, <u32>ix);
      const old = load<u32>(slot);
      incref(v);
      store<u32>(slot, v);
      if (old) decref(old);
      else orderAppend(o, <u32>ix);
      return 1;
    }
    // the keys are full: this instance's attributes move to a dict of their own
    if (!spare) {
      // (the dict's allocation may collect: o and v are held through it)
      incref(o);
      incref(v);
      const d = newDictFor(valuesUsed(o) + 1);
      if (d && instDict(o)) decref(d);   // host code gave o a dict meanwhile
      else if (d) moveToDict(o, d);
      const r = d ? dictSet(instDict(o), name, v) : 0;
      decref(v);
      decref(o);
      return r ? 1 : 0;
    }
    moveToDict(o, spare);
  }
  return dictSet(instDict(o), name, v) ? 1 : 0;
}

/**
 * del o.name: 1, or 0 with ERR_KEY. The order of the others is kept. A name the shared
 * keys do not hold yet joins them even though the deletion fails (CPython 3.11).
 */
export function attrDel(o: usize, name: usize): i32 {
  const d = instDict(o);
  if (d) {
    if (!dictDel(d, name)) { fail(ERR_KEY); return 0; }
    return 1;
  }
  const k = keysOf(typeId(o));
  const ix = keysLookup(k, name);
  if (ix < 0) { keysInsert(k, name); fail(ERR_KEY); return 0; }
  const slot = valueSlot(o, <u32>ix);
  const old = load<u32>(slot);
  if (!old) { fail(ERR_KEY); return 0; }
  store<u32>(slot, 0);
  orderRemove(o, <u32>ix);
  decref(old);
  return 1;
}

// ---- iteration (vars(o): the instance's own insertion order) -----------------------------------
/** The entry of a dict's i-th attribute: entry i itself unless some were deleted. */
function dictPosition(d: usize, i: u32): i32 {
  if (dictNentries(dictKeys(d)) == dictUsed(d)) return <i32>i;
  let pos = dictNext(d, 0);
  for (let at: u32 = 0; at < i && pos >= 0; at++) pos = dictNext(d, pos + 1);
  return pos;
}

export function attrCount(o: usize): u32 {
  const d = instDict(o);
  return d ? <u32>dictUsed(d) : valuesUsed(o);
}
export function attrName(o: usize, i: u32): usize {
  const d = instDict(o);
  return d ? dictEntryKey(d, dictPosition(d, i)) : keysName(keysOf(typeId(o)), <u32>load<u8>(orderAt(o, i)));
}
export function attrValue(o: usize, i: u32): usize {
  const d = instDict(o);
  return d ? dictEntryValue(d, dictPosition(d, i)) : <usize>load<u32>(valueSlot(o, <u32>load<u8>(orderAt(o, i))));
}

// ---- the type's behaviour: traverse, dealloc, clear, sizeof -------------------------------------
/**
 * subtype_traverse: the slots in order; or the values in key order
 * (_PyObject_VisitInstanceAttributes); or the instance's dict.
 */
// @ts-ignore: decorator
@inline export function instTraverse(o: usize, kind: i32, arg: usize): void {
  const cls = typeId(o);
  if (flagsOf(cls) & TF_SLOTS) {
    const n = slotsOf(cls);
    for (let i: u32 = 0; i < n; i++) {
      const c = load<u32>(o + 8 + (<usize>i << 2));
      if (c) visit(kind, c, arg);
    }
    return;
  }
  const d = instDict(o);
  if (d) { visit(kind, d, arg); return; }
  const n = keysNentries(keysOf(cls));
  for (let ix: u32 = 0; ix < n; ix++) {
    const c = load<u32>(valueSlot(o, ix));
    if (c) visit(kind, c, arg);
  }
}

/**
 * subtype_dealloc's drops, resumable (see object/dealloc.ts): the slots in order, or
 * the values in key order (_PyObject_FreeInstanceAttributes), or the dict. The cursor
 * counts the slots or indices done.
 */
// @ts-ignore: decorator
@inline export function instNextDeadChild(o: usize): usize {
  let c = deadCursor(o);
  const cls = typeId(o);
  let dead: usize = 0;
  if (flagsOf(cls) & TF_SLOTS) {
    const n = slotsOf(cls);
    while (c < n && !dead) {
      const child = <usize>load<u32>(o + 8 + (<usize>c << 2));
      c++;
      if (dropChild(child)) dead = child;
    }
  } else {
    const d = instDict(o);
    if (d) {
      if (c == 0) {
        c = 1;
        if (dropChild(d)) dead = d;
      }
    } else {
      const n = keysNentries(keysOf(cls));
      while (c < n && !dead) {
        const child = <usize>load<u32>(valueSlot(o, c));
        c++;
        if (dropChild(child)) dead = child;
      }
    }
  }
  setDeadCursor(o, c);
  return dead;
}

/**
 * subtype_clear: each slot emptied, then its old value dropped, in slot order
 * (clear_slots); the values likewise in key order (_PyObject_ClearInstanceAttributes),
 * each leaving the insertion order as it goes; the dict detached, then dropped.
 */
export function instClear(o: usize): void {
  const cls = typeId(o);
  if (flagsOf(cls) & TF_SLOTS) {
    const n = slotsOf(cls);
    for (let i: u32 = 0; i < n; i++) {
      const p = o + 8 + (<usize>i << 2);
      const c = load<u32>(p);
      if (c) { store<u32>(p, 0); decref(c); }
    }
    return;
  }
  const d = instDict(o);
  if (d) {
    store<u32>(o, 0, INST_DICT);
    decref(d);
    return;
  }
  const n = keysNentries(keysOf(cls));
  for (let ix: u32 = 0; ix < n; ix++) {
    const p = valueSlot(o, ix);
    const c = load<u32>(p);
    if (c) { store<u32>(p, 0); orderRemove(o, ix); decref(c); }
  }
}

/** The instance's own bytes (its dict, once it has one, is an object of its own: as sys.getsizeof). */
export function instSizeof(o: usize): usize {
  const cls = typeId(o);
  if (flagsOf(cls) & TF_SLOTS) return (GC_HEAD + slottedBytes(<usize>slotsOf(cls)) + 7) & ~7;
  return (GC_HEAD + plainBytes(valuesCap(o)) + 7) & ~7;
}

export function instFinish(o: usize): void { freeGCObject(o); }
