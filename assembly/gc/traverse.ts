// gc/traverse.ts — tp_traverse and tp_clear: the dispatch over container types.
//
// CPython counterparts: the tp_traverse and tp_clear slots as Modules/gcmodule.c calls
// them (Py_TYPE(op)->tp_traverse(op, visit, arg)); the types' own functions
// (tupletraverse, list_traverse, dict_traverse, set_traverse, memory_traverse,
// subtype_traverse; _list_clear, dict_tp_clear, set_clear_internal, memory_clear,
// gc_clear of weakrefs, subtype_clear) are in their object files.
//
// Traversal visits an object's direct references only (one level), in its type's
// CPython order: every walk that follows references (move_unreachable,
// move_legacy_finalizer_reachable) keeps its work on the GC lists themselves, so no
// traversal recurses and no stack grows with the data. One switch per object; the
// type's traverse and the visitor are inlined into it.

import {
  TYPE_TUPLE, TYPE_LIST, TYPE_DICT, TYPE_WEAKREF, TYPE_PROXY, TYPE_SET, TYPE_FROZENSET, TYPE_MEMORYVIEW,
  TF_GC, typeId, flagsOf,
} from "../object/header";
import { tupleTraverse, listTraverse, listClear } from "../object/sequences";
import { dictTraverse, dictClear } from "../object/dict";
import { setTraverse, setClear } from "../object/set";
import { memoryviewTraverse, memoryviewRelease } from "../object/buffers";
import { instTraverse, instClear } from "../object/instance";
import { clearWeakref } from "../object/weakref";

/** Visits every object o refers to directly (gc/visit.ts: the kinds). */
export function traverse(o: usize, kind: i32, arg: usize): void {
  const t = typeId(o);
  switch (t) {
    case TYPE_TUPLE: tupleTraverse(o, kind, arg); return;
    case TYPE_LIST: listTraverse(o, kind, arg); return;
    case TYPE_DICT: dictTraverse(o, kind, arg); return;
    case TYPE_SET:
    case TYPE_FROZENSET: setTraverse(o, kind, arg); return;
    case TYPE_MEMORYVIEW: memoryviewTraverse(o, kind, arg); return;
    case TYPE_WEAKREF:
    case TYPE_PROXY: return;   // the referent is weak; the callback is a host function
  }
  if (flagsOf(t) & TF_GC) instTraverse(o, kind, arg);
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
  if (flagsOf(t) & TF_GC) instClear(o);
}
