// gc/traverse.ts — tp_traverse and tp_clear of every container type, and the visitors.
//
// CPython counterparts: each type's tp_traverse (tupletraverse, list_traverse,
// dict_traverse, set_traverse, memory_traverse, subtype_traverse) and tp_clear
// (_list_clear, dict_tp_clear, set_clear_internal, memory_clear, subtype_clear with
// clear_slots); the visitors visit_decref, visit_reachable and visit_move of
// Modules/gcmodule.c, and referentsvisit / referrersvisit of the gc module.
//
// Traversal visits an object's direct references only (one level): every walk that
// follows references (move_unreachable, move_legacy_finalizer_reachable) keeps its
// work on the GC lists themselves, so no traversal recurses and no stack grows with
// the data.

import {
  TYPE_TUPLE, TYPE_LIST, TYPE_DICT, TYPE_STR, TYPE_WEAKREF, TYPE_PROXY, TYPE_SET, TYPE_FROZENSET, TYPE_MEMORYVIEW, TF_SLOTS, TF_GC,
  GC_HEAD, typeId, flagsOf, slotsOf, isGC,
} from "../object/header";
import { seqSize, listItems, listClear, listAppend as pyListAppend } from "../object/sequences";
import { dictKeys, keysNentries, entryAt, dictClear } from "../object/dict";
import { setTable, setMask, setClear } from "../object/set";
import { memoryviewRelease } from "../object/buffers";
import { decref } from "../object/refcount";
import { clearWeakref } from "./weakref";
import { objFree } from "../alloc/obmalloc";
import { debugSlot } from "../object/debug";
import {
  NEXT_MASK_UNREACHABLE, gcPrev, setPrev, isCollecting, clearCollecting, getRefs, setRefs, listAppend, listMove,
} from "./lists";

export const VISIT_DECREF: i32 = 0;     // subtract_refs
export const VISIT_REACHABLE: i32 = 1;  // move_unreachable (arg: the young list)
export const VISIT_MOVE: i32 = 2;       // move_legacy_finalizer_reachable (arg: the finalizers list)
export const VISIT_REFERS: i32 = 3;     // get_referrers (arg: a set of targets, targetsAdd)
export const VISIT_COLLECT: i32 = 4;    // get_referents (arg: a list object to append to)
export const VISIT_MAY_TRACK: i32 = 5;  // _PyDict_MaybeUntrack / _PyTuple_MaybeUntrack
export const VISIT_COUNT: i32 = 6;      // the debug build's reference census (arg: counts by registry slot)

// A set of target ids for VISIT_REFERS: [mask][slots...], open addressing, 0 = empty.
// @ts-ignore: decorator
@inline function targetSlot(o: usize): u32 { return <u32>(o >> 3) * 0x9e3779b1; }
export function targetsAdd(set: usize, o: usize): void {
  const mask = load<u32>(set);
  let i = targetSlot(o) & mask;
  while (true) {
    const k = load<u32>(set + 4 + (<usize>i << 2));
    if (k == <u32>o) return;
    if (!k) { store<u32>(set + 4 + (<usize>i << 2), <u32>o); return; }
    i = (i + 1) & mask;
  }
}
// @ts-ignore: decorator
@inline function targetsHas(set: usize, o: usize): bool {
  const mask = load<u32>(set);
  let i = targetSlot(o) & mask;
  while (true) {
    const k = load<u32>(set + 4 + (<usize>i << 2));
    if (k == <u32>o) return true;
    if (!k) return false;
    i = (i + 1) & mask;
  }
}

/** Set by VISIT_REFERS (a target was seen), VISIT_MAY_TRACK (a trackable child). */
export let visitFound: bool = false;
/** VISIT_COLLECT ran out of memory. */
export let visitFailed: bool = false;
export function resetVisit(): void { visitFound = false; visitFailed = false; }

// @ts-ignore: decorator
@inline function visit(kind: i32, o: usize, arg: usize): void {
  switch (kind) {
    case VISIT_DECREF: {
      // a reference from inside the set being collected: not an outside one
      if (isGC(o)) {
        const g = o - GC_HEAD;
        if (isCollecting(g)) setRefs(g, getRefs(g) - 1);
      }
      break;
    }
    case VISIT_REACHABLE: {
      if (!isGC(o)) break;
      const g = o - GC_HEAD;
      if (!isCollecting(g)) break;        // another generation, or scanned already
      const next = load<u32>(g);
      if (next & NEXT_MASK_UNREACHABLE) {
        // tentatively unreachable, but reached after all: back to young's tail
        const prev = gcPrev(g);
        store<u32>(prev, next);   // keeps the mask bit, as the rest of the list has it
        setPrev(<usize>(next & ~NEXT_MASK_UNREACHABLE), prev);
        listAppend(g, arg);
        setRefs(g, 1);
      } else if (getRefs(g) == 0) {
        setRefs(g, 1);                    // not scanned yet: young will reach it
      }
      break;
    }
    case VISIT_MOVE: {
      if (!isGC(o)) break;
      const g = o - GC_HEAD;
      if (isCollecting(g)) {
        clearCollecting(g);
        listMove(g, arg);
      }
      break;
    }
    case VISIT_REFERS: {
      if (targetsHas(arg, o)) visitFound = true;
      break;
    }
    case VISIT_COLLECT: {
      if (!pyListAppend(arg, o)) visitFailed = true;
      break;
    }
    case VISIT_COUNT: {
      const slot = debugSlot(o);
      if (slot >= 0) {
        const at = arg + (<usize>slot << 2);
        store<u32>(at, load<u32>(at) + 1);
      }
      break;
    }
    case VISIT_MAY_TRACK: {
      // _PyObject_GC_MAY_BE_TRACKED: a container, except a tuple that is untracked
      if (isGC(o) && (typeId(o) != TYPE_TUPLE || load<u32>(o - GC_HEAD) != 0)) visitFound = true;
      break;
    }
  }
}

/** Visits every object o refers to directly. */
export function traverse(o: usize, kind: i32, arg: usize): void {
  const t = typeId(o);
  switch (t) {
    case TYPE_TUPLE:
    case TYPE_LIST: {
      // the last item first, as tupletraverse and list_traverse do: the order decides
      // the order of move_unreachable's lists, hence of finalizers
      const items = t == TYPE_TUPLE ? o + 12 : listItems(o);
      for (let i = seqSize(o) - 1; i >= 0; i--) {
        const c = load<u32>(items + (<usize>i << 2));
        if (c) visit(kind, c, arg);
      }
      return;
    }
    case TYPE_DICT: {
      // dict_traverse: each entry's value, then its key; a dict whose keys are all str
      // (CPython's unicode keys table) visits values only
      const k = dictKeys(o);
      if (!k) return;
      const n = keysNentries(k);
      let strKeys = true;
      if (kind == VISIT_COLLECT || kind == VISIT_REFERS) {
        for (let i = 0; i < n && strKeys; i++) {
          const key = load<u32>(entryAt(k, i), 4);
          if (key && typeId(key) != TYPE_STR) strKeys = false;
        }
      }
      for (let i = 0; i < n; i++) {
        const e = entryAt(k, i);
        const key = load<u32>(e, 4);
        if (!key) continue;
        visit(kind, load<u32>(e, 8), arg);
        if (!strKeys || (kind != VISIT_COLLECT && kind != VISIT_REFERS)) visit(kind, key, arg);
      }
      return;
    }
    case TYPE_SET:
    case TYPE_FROZENSET: {
      const tb = setTable(o);
      if (!tb) return;
      const m = setMask(o) + 1;
      for (let i: u32 = 0; i < m; i++) {
        const key = load<u32>(tb + (<usize>i << 3), 4);
        if (key > 1) visit(kind, key, arg);
      }
      return;
    }
    case TYPE_MEMORYVIEW: {
      const base = load<u32>(o, 8);
      if (base) visit(kind, base, arg);
      return;
    }
    case TYPE_WEAKREF:
    case TYPE_PROXY: return;   // the referent is weak; the callback is a host function
  }
  const f = flagsOf(t);
  if (!(f & TF_GC)) return;
  if (f & TF_SLOTS) {
    const n = slotsOf(t);
    for (let i: u32 = 0; i < n; i++) {
      const c = load<u32>(o + 8 + (<usize>i << 2));
      if (c) visit(kind, c, arg);
    }
  } else {
    const tb = <usize>load<u32>(o, 8);
    if (!tb) return;
    const n = load<u32>(tb);
    for (let i: u32 = 0; i < n; i++) visit(kind, load<u32>(tb + 12 + (<usize>i << 3)), arg);
  }
}

/**
 * tp_clear: drops the object's references so that cycles through it break. Tuples
 * have none (immutable, as in CPython: the other members of their cycle are cleared).
 */
export function clearObject(o: usize): void {
  const t = typeId(o);
  switch (t) {
    case TYPE_LIST: listClear(o); return;
    case TYPE_DICT: dictClear(o); return;
    case TYPE_SET:
    case TYPE_FROZENSET: setClear(o); return;
    case TYPE_MEMORYVIEW: memoryviewRelease(o); return;
    case TYPE_WEAKREF:
    case TYPE_PROXY: clearWeakref(o); return;
    case TYPE_TUPLE: return;
  }
  const f = flagsOf(t);
  if (!(f & TF_GC)) return;
  if (f & TF_SLOTS) {
    // clear_slots: each slot emptied, then its old value dropped, in slot order
    const n = slotsOf(t);
    for (let i: u32 = 0; i < n; i++) {
      const p = o + 8 + (<usize>i << 2);
      const c = load<u32>(p);
      if (c) { store<u32>(p, 0); decref(c); }
    }
  } else {
    // the attribute table: detached first, then the values dropped in order
    const tb = <usize>load<u32>(o, 8);
    if (!tb) return;
    store<u32>(o, 0, 8);
    const n = load<u32>(tb);
    for (let i: u32 = 0; i < n; i++) decref(load<u32>(tb + 12 + (<usize>i << 3)));
    objFree(tb);
  }
}

