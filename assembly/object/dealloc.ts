// object/dealloc.ts — deallocation without recursion: _Py_Dealloc and the teardown of
// everything that dies with an object.
//
// CPython counterparts: _Py_Dealloc, each type's tp_dealloc (list_dealloc,
// tupledealloc, dict_dealloc, set_dealloc, memory_dealloc, weakref_dealloc,
// subtype_dealloc with PyObject_CallFinalizerFromDealloc, PyObject_ClearWeakRefs and
// tp_del), and the trashcan (Py_TRASHCAN_BEGIN) that keeps deep teardowns off the stack.
//
// CPython frees recursively: a dying list decrefs its items, the last one first, and
// an item that dies is freed completely before the next item is decref'd. pyheap gives
// the order of unlimited recursion without a call stack: the containers being torn
// down form an explicit stack threaded through their own GC heads, which are free once
// an object is untracked (gc/heads.ts: deadCursor):
//
//   gc_next = the container below on the stack    gc_prev = how many children done
//
// deallocate() loops: drop the top container's children in its type's order (each
// object file's <type>NextDeadChild) until one loses its last reference, then start
// tearing that child down (it goes on top); when a container has no children left,
// free it (<type>Finish) and pop. No memory is allocated, nothing grows with the data,
// and an object's children are decref'd exactly when CPython would decref them, so
// del hooks run in CPython's order.
//
// Re-entrancy: a del hook (host code) may decref objects; each decref that reaches 0
// runs its own deallocate() with its own stack, so the only recursion is through host
// calls, never through data (and the host bounds how deep hooks nest).

import {
  TYPE_FLOAT, TYPE_STR, TYPE_BYTES, TYPE_BYTEARRAY, TYPE_TUPLE, TYPE_LIST, TYPE_DICT, TYPE_SET,
  TYPE_FROZENSET, TYPE_MEMORYVIEW, TYPE_WEAKREF, TYPE_PROXY, TF_DEL, TF_LEGACY_DEL, TF_GC, OF_WEAKREFS,
  typeId, flagsOf, freeObject,
} from "./header";
import { GC_HEAD, PREV_FINALIZED, track, untrack } from "../gc/heads";
import { floatDealloc } from "./numbers";
import { strDealloc } from "./strings";
import { tupleNextDeadChild, listNextDeadChild, tupleFinish, listFinish } from "./sequences";
import { dictNextDeadChild, dictFinish } from "./dict";
import { setNextDeadChild, setFinish } from "./set";
import { bytearrayDealloc, memoryviewEndExport, memoryviewNextDeadChild, memoryviewFinish } from "./buffers";
import { instNextDeadChild, instFinish } from "./instance";
import { clearWeakrefsOnDeath, weakrefFinish } from "./weakref";

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

/** Tears down o (refcnt 0) and everything that dies with it. */
export function deallocate(o: usize): void {
  let top: usize = 0;
  let cur = o;
  while (true) {
    if (cur) {
      if (PYHEAP_DEBUG) assert(load<u32>(cur) == 0, "deallocate: refcount not 0");
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
      store<u32>(done - GC_HEAD, 0);   // off the stack: an untracked container again
      freeContainer(done);
    }
  }
}

/**
 * Runs the del hooks of a dying instance (subtype_dealloc's order: __del__ once, then
 * its weakrefs cleared and called back, then the legacy tp_del). The object holds one
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

/** tp_dealloc of the types without a GC head (they have no children). */
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
 * The top container's next child to die, in its type's dealloc order, or 0 when every
 * child is dropped (inlined into deallocate, its only caller: one dispatch per step).
 */
// @ts-ignore: decorator
@inline function nextDeadChild(o: usize): usize {
  switch (typeId(o)) {
    case TYPE_TUPLE: return tupleNextDeadChild(o);
    case TYPE_LIST: return listNextDeadChild(o);
    case TYPE_DICT: return dictNextDeadChild(o);
    case TYPE_SET:
    case TYPE_FROZENSET: return setNextDeadChild(o);
    case TYPE_MEMORYVIEW: return memoryviewNextDeadChild(o);
    case TYPE_WEAKREF:
    case TYPE_PROXY: return 0;   // the referent is not owned, the callback lives in the host
  }
  return instNextDeadChild(o);
}

/** The rest of a container's tp_dealloc once its children are dropped: its memory. */
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
  }
  instFinish(o);
}
