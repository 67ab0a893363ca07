// gc/handle_weakrefs.ts — the collector's treatment of weak references to garbage.
//
// CPython counterpart: handle_weakrefs (Modules/gcmodule.c, 3.11), the step of
// gc_collect_main after move_legacy_finalizer_reachable and before finalize_garbage.
// The weakref objects themselves are object/weakref.ts's.
//
// Invariants: every weakref to an unreachable object is cleared before any callback or
// del hook runs; a weakref that is itself garbage never calls back; the callbacks run
// in unreachable-list order, each with its weakref held.

import { TF_WEAKREF, typeId, flagsOf } from "../object/header";
import { incref, decref } from "../object/refcount";
import { isWeakref, clearRef, listHead, wrCallback, callCallback } from "../object/weakref";
import { GC_HEAD } from "./heads";
import { gcNext, isCollecting, listInit, listIsEmpty, listMove } from "./lists";

/** handle_weakrefs: returns how many weakrefs the callbacks freed. */
export function handleWeakrefs(unreachable: usize, wrcb: usize, old: usize): i32 {
  listInit(wrcb);
  for (let g = gcNext(unreachable); g != unreachable; g = gcNext(g)) {
    const op = g + GC_HEAD;
    if (isWeakref(op)) clearRef(op);
    if (!(flagsOf(typeId(op)) & TF_WEAKREF)) continue;
    for (let wr = listHead(op); wr; wr = listHead(op)) {
      clearRef(wr);
      if (!wrCallback(wr)) continue;
      if (isCollecting(wr - GC_HEAD)) continue;   // trash itself: its callback never runs
      incref(wr);
      listMove(wr - GC_HEAD, wrcb);
    }
  }
  let freed: i32 = 0;
  while (!listIsEmpty(wrcb)) {
    const g = gcNext(wrcb);
    const wr = g + GC_HEAD;
    callCallback(wrCallback(wr), wr, 1);
    decref(wr);
    if (gcNext(wrcb) == g) listMove(g, old);
    else freed++;
  }
  return freed;
}

