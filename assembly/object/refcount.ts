// object/refcount.ts — Py_INCREF / Py_DECREF and deallocation without recursion.
//
// CPython counterparts: Py_INCREF, Py_DECREF, _Py_Dealloc and each type's tp_dealloc
// (list_dealloc, tupledealloc, dict_dealloc, set_dealloc, subtype_dealloc with
// PyObject_CallFinalizerFromDealloc and tp_del), the trashcan (Py_TRASHCAN_BEGIN),
// and object.__sizeof__ for sys.getsizeof.
//
// CPython frees recursively: a dying list decrefs its items, the last one first, and
// an item that dies is freed completely before the next item is decref'd. Its
// trashcan defers objects nested more than 50 deep. pyheap gives the order of
// unlimited recursion without a call stack: the containers being torn down form an
// explicit stack threaded through their own GC heads, which are free once an object
// is untracked:
//
//   gc_next = the container below on the stack    gc_prev = how many children done
//
// deallocate() loops: drop the top container's children in order until one loses
// its last reference, then start tearing that child down (it goes on top); when a
// container has no children left, free it and pop. No memory is allocated, nothing
// grows with the data, and an object's children are decref'd exactly when CPython
// would decref them, so del hooks run in CPython's order.
//
// Re-entrancy: a del hook (host code) may decref objects; each decref that reaches 0
// runs its own deallocate() with its own stack, so the only recursion is through host
// calls, never through data.

import {
  TYPE_NONE, TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STR, TYPE_BYTES, TYPE_BYTEARRAY, TYPE_TUPLE,
  TYPE_LIST, TYPE_DICT, TYPE_SET, TYPE_FROZENSET, TYPE_MEMORYVIEW, FIRST_CLASS, GC_HEAD,
  TF_DEL, TF_LEGACY_DEL, TF_SLOTS, TF_GC, PREV_FINALIZED, TYPE_WEAKREF, TYPE_PROXY, OF_WEAKREFS, typeId, flagsOf, slotsOf, track, untrack, freeObject,
} from "./header";
import { intSize, floatDealloc } from "./numbers";
import { strDealloc, strSize } from "./strings";
import { seqSize, listItems, listAllocated, tupleFinish, listFinish } from "./sequences";
import { dictKeys, keysNentries, entryAt, dictFinish, dictSizeof } from "./dict";
import { setTable, setMask, setFinish, setSizeof } from "./set";
import { bytearrayDealloc, memoryviewFinish, memoryviewEndExport } from "./buffers";
import { instFinish, instSizeof } from "./instance";
import { clearWeakrefsOnDeath, weakrefFinish } from "../gc/weakref";

/**
 * Calls a class's hook with a borrowed reference: del at a refcount death (kind 0),
 * legacyDel (kind 1), del run by the collector's finalize_garbage (kind 2). The host
 * may postpone a kind 0 or 1 call nested deep in other hooks: it then holds a
 * reference, which looks like a resurrection here, and drops it after running the hook.
 */
// @ts-ignore: decorator
@external("env", "call_del")
export declare function hostDel(o: usize, kind: i32): void;

/** Objects freed since the engine started (all types; for statistics and tests). */
export let deallocations: u64 = 0;

// @ts-ignore: decorator
@inline export function incref(o: usize): void {
  const rc = load<u32>(o);
  if (<i32>rc >= 0) store<u32>(o, rc + 1);
}

// @ts-ignore: decorator
@inline export function decref(o: usize): void {
  const rc = load<u32>(o);
  if (<i32>rc < 0) return;
  if (rc > 1) { store<u32>(o, rc - 1); return; }
  store<u32>(o, 0);
  deallocate(o);
}

/** decref, as a call: for code that deallocate itself reaches (no inlining into itself). */
export function decrefCall(o: usize): void {
  const rc = load<u32>(o);
  if (<i32>rc < 0) return;
  if (rc > 1) { store<u32>(o, rc - 1); return; }
  store<u32>(o, 0);
  deallocate(o);
}

/** Tears down o (refcnt 0) and everything that dies with it. */
export function deallocate(o: usize): void {
  let top: usize = 0;
  let cur = o;
  while (true) {
    if (cur) {
      const t = typeId(cur);
      const f = flagsOf(t);
      if (((f & (TF_DEL | TF_LEGACY_DEL)) || (load<u32>(cur, 4) & OF_WEAKREFS)) && !finalize(cur, f)) {
        cur = 0; // resurrected by its hook: it lives on
      } else if (f & TF_GC) {
        untrack(cur);
        if (t == TYPE_MEMORYVIEW) memoryviewEndExport(cur);
        store<u32>(cur - GC_HEAD, top);
        store<u32>(cur - GC_HEAD, 0, 4);
        top = cur;
        cur = 0;
      } else {
        freeLeaf(cur, t);
        cur = 0;
      }
    }
    if (!top) break;
    cur = nextDeadChild(top);
    if (!cur) {
      const done = top;
      top = load<u32>(done - GC_HEAD);
      freeContainer(done);
    }
  }
}

/** Drops one reference to a child of a dying container: true when it was the last (refcnt now 0). */
// @ts-ignore: decorator
@inline function dropChild(o: usize): bool {
  if (!o) return false;
  const rc = load<u32>(o);
  if (<i32>rc < 0) return false;
  if (rc > 1) { store<u32>(o, rc - 1); return false; }
  store<u32>(o, 0);
  return true;
}

/**
 * Runs the del hooks of a dying instance (subtype_dealloc's order: __del__ once,
 * then (collector issue) weakrefs, then the legacy tp_del). The object holds one
 * temporary reference during each call; false when a hook resurrected it.
 *
 * Tracking follows subtype_dealloc (found by tests/oracle): the object is tracked
 * again, at the young end of generation 0, while a hook runs (so one it resurrects is
 * a young object), and untracked while its weakrefs are cleared (a callback that runs
 * a collection must not find the dying object).
 */
function finalize(o: usize, f: u32): bool {
  const gc = (f & TF_GC) != 0;
  if (f & TF_DEL) {
    const prev = load<u32>(o - GC_HEAD, 4);
    if (!(prev & PREV_FINALIZED)) {
      store<u32>(o - GC_HEAD, prev | PREV_FINALIZED, 4);
      store<u32>(o, 1);
      untrack(o);
      track(o);
      hostDel(o, 0);
      const rc = load<u32>(o) - 1;
      store<u32>(o, rc);
      if (rc) return false;
    }
  }
  // PyObject_ClearWeakRefs: weakrefs cleared, then their callbacks (the object is
  // unreachable to them: it cannot be resurrected from here)
  if (gc) untrack(o);
  if (load<u32>(o, 4) & OF_WEAKREFS) clearWeakrefsOnDeath(o);
  if (f & TF_LEGACY_DEL) {
    store<u32>(o, 1);
    track(o);
    hostDel(o, 1);
    const rc = load<u32>(o) - 1;
    store<u32>(o, rc);
    if (rc) return false;
  }
  return true;
}

function freeLeaf(o: usize, t: u32): void {
  deallocations++;
  switch (t) {
    case TYPE_FLOAT: floatDealloc(o); return;
    case TYPE_STR:
    case TYPE_BYTES: strDealloc(o); return;
    case TYPE_BYTEARRAY: bytearrayDealloc(o); return;
    default: freeObject(o); return;   // int
  }
}

/**
 * Drops the top container's children in CPython's dealloc order until one dies:
 * returns that child (refcnt 0, to be torn down before the next one is dropped), or
 * 0 when every child is dropped. A container whose children all survive takes one
 * call. gc_prev counts the children done, so the next call resumes after the dead one.
 * (Inlined into deallocate, its only caller.)
 */
// @ts-ignore: decorator
@inline function nextDeadChild(o: usize): usize {
  let c = load<u32>(o - GC_HEAD, 4);
  const t = typeId(o);
  let child: usize = 0;
  let dead: usize = 0;
  switch (t) {
    case TYPE_TUPLE:
    case TYPE_LIST: {
      const n = <u32>seqSize(o);
      const items = t == TYPE_TUPLE ? o + 12 : listItems(o);
      while (c < n && !dead) {
        child = load<u32>(items + (<usize>(n - 1 - c) << 2));
        c++;
        if (dropChild(child)) dead = child;
      }
      break;
    }
    case TYPE_DICT: {
      const k = dictKeys(o);
      const m: u32 = k ? <u32>keysNentries(k) << 1 : 0;
      while (c < m && !dead) {
        child = load<u32>(entryAt(k, <i32>(c >> 1)) + 4 + (<usize>(c & 1) << 2));
        c++;
        if (dropChild(child)) dead = child;
      }
      break;
    }
    case TYPE_SET:
    case TYPE_FROZENSET: {
      const tb = setTable(o);
      const m: u32 = tb ? setMask(o) + 1 : 0;
      while (c < m && !dead) {
        const k = load<u32>(tb + (<usize>c << 3), 4);
        c++;
        if (k > 1 && dropChild(k)) dead = k;
      }
      break;
    }
    case TYPE_WEAKREF:
    case TYPE_PROXY: break;   // the referent is not owned, the callback lives in the host
    case TYPE_MEMORYVIEW: {
      if (c == 0) {
        c = 1;
        child = load<u32>(o, 8);
        if (dropChild(child)) dead = child;
      }
      break;
    }
    default: {
      if (flagsOf(t) & TF_SLOTS) {
        const n = slotsOf(t);
        while (c < n && !dead) {
          child = load<u32>(o + 8 + (<usize>c << 2));
          c++;
          if (dropChild(child)) dead = child;
        }
      } else {
        const tb = load<u32>(o, 8);
        const n: u32 = tb ? load<u32>(tb) : 0;
        while (c < n && !dead) {
          child = load<u32>(<usize>tb + 12 + (<usize>c << 3));
          c++;
          if (dropChild(child)) dead = child;
        }
      }
    }
  }
  store<u32>(o - GC_HEAD, c, 4);
  return dead;
}

function freeContainer(o: usize): void {
  deallocations++;
  switch (typeId(o)) {
    case TYPE_TUPLE: tupleFinish(o); return;
    case TYPE_LIST: listFinish(o); return;
    case TYPE_DICT: dictFinish(o); return;
    case TYPE_SET:
    case TYPE_FROZENSET: setFinish(o); return;
    case TYPE_MEMORYVIEW: memoryviewFinish(o); return;
    case TYPE_WEAKREF:
    case TYPE_PROXY: weakrefFinish(o); return;
    default: instFinish(o);
  }
}

/** sys.getsizeof: the bytes this object occupies, GC head and owned buffers included. */
export function sizeOf(o: usize): usize {
  const t = typeId(o);
  switch (t) {
    case TYPE_NONE: return 8;
    case TYPE_BOOL:
    case TYPE_INT: return intSize(load<i32>(o, 8));
    case TYPE_FLOAT: return 16;
    case TYPE_STR:
    case TYPE_BYTES: return strSize(load<u32>(o, 8));
    case TYPE_BYTEARRAY: return 24 + <usize>load<u32>(o, 12);
    case TYPE_TUPLE: return (GC_HEAD + 12 + (<usize>seqSize(o) << 2) + 7) & ~7;
    case TYPE_LIST: return GC_HEAD + 24 + (<usize>listAllocated(o) << 2);
    case TYPE_DICT: return dictSizeof(o);
    case TYPE_SET:
    case TYPE_FROZENSET: return setSizeof(o);
    case TYPE_MEMORYVIEW: return GC_HEAD + 24;
    case TYPE_WEAKREF:
    case TYPE_PROXY: return (GC_HEAD + 28 + 7) & ~7;
  }
  return t >= FIRST_CLASS ? instSizeof(o) : 0;
}
