// gc/visit.ts — the visitors: what a traversal does with each reference it finds.
//
// CPython counterparts (Modules/gcmodule.c): visit_decref (subtract_refs),
// visit_reachable (move_unreachable), visit_move (move_legacy_finalizer_reachable),
// referrersvisit (gc.get_referrers), referentsvisit (gc.get_referents), and the
// "may be tracked" test of _PyTuple_MaybeUntrack / _PyDict_MaybeUntrack.
//
// Each type's traverse (object/<family>.ts, dispatched by gc/traverse.ts) calls
// visit(kind, child, arg) for each direct reference, in its CPython order. visit is
// inlined into every traverse, so a walk is a loop over the children with the kind's
// work in it, no call per child.
//
// Invariants: a visitor never allocates a Python object and never runs host code
// (the collector's lists are in their intermediate states while it visits).

import { TYPE_TUPLE, typeId, isGC } from "../object/header";
import { GC_HEAD } from "./heads";
import { NEXT_MASK_UNREACHABLE, gcPrev, setPrev, isCollecting, clearCollecting, getRefs, setRefs, listAppend, listMove } from "./lists";
import { debugSlot } from "../object/debug";
import { objRealloc } from "../alloc/obmalloc";
import {
  retainAdd, retainFind, retainTarget, retainParent, noteReferrer, queuePush, RS_REFS, RS_PARENT, RS_FLAGS, RS_VISITED,
} from "./retainset";

export const VISIT_DECREF: i32 = 0;     // subtract_refs
export const VISIT_REACHABLE: i32 = 1;  // move_unreachable (arg: the young list)
export const VISIT_MOVE: i32 = 2;       // move_legacy_finalizer_reachable (arg: the finalizers list)
export const VISIT_REFERS: i32 = 3;     // get_referrers (arg: a set of targets, targetsAdd)
export const VISIT_COLLECT: i32 = 4;    // get_referents (arg: an id vector, vectorInit)
export const VISIT_MAY_TRACK: i32 = 5;  // _PyDict_MaybeUntrack / _PyTuple_MaybeUntrack
export const VISIT_COUNT: i32 = 6;      // the debug build's reference census (arg: counts by registry slot)
export const VISIT_RETAIN: i32 = 7;     // a retainer walk's count (gc/retainers.ts): set, in-graph refs, referrers
export const VISIT_BFS: i32 = 8;        // a retainer walk's breadth-first search from the roots

// ---- VISIT_REFERS: a set of target ids, [mask][slots...], open addressing, 0 = empty ----
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

// ---- VISIT_COLLECT: a growable vector of ids, [data][n][cap] (no references held) ----
export function vectorInit(v: usize): void { store<u32>(v, 0); store<u32>(v, 0, 4); store<u32>(v, 0, 8); }
// @ts-ignore: decorator
@inline export function vectorData(v: usize): usize { return load<u32>(v); }
// @ts-ignore: decorator
@inline export function vectorLength(v: usize): i32 { return load<i32>(v, 4); }
function vectorPush(v: usize, o: usize): bool {
  const n = load<u32>(v, 4);
  let data = <usize>load<u32>(v);
  if (n == load<u32>(v, 8)) {
    const cap: u32 = n ? n * 2 : 16;
    data = objRealloc(data, <usize>cap << 2);
    if (!data) return false;
    store<u32>(v, <u32>data);
    store<u32>(v, cap, 8);
  }
  store<u32>(data + (<usize>n << 2), <u32>o);
  store<u32>(v, n + 1, 4);
  return true;
}

/** Set by VISIT_REFERS (a target was seen), VISIT_MAY_TRACK (a trackable child). */
export let visitFound: bool = false;
/** VISIT_COLLECT ran out of memory. */
export let visitFailed: bool = false;
export function resetVisit(): void { visitFound = false; visitFailed = false; }

// @ts-ignore: decorator
@inline export function visit(kind: i32, o: usize, arg: usize): void {
  switch (kind) {
    case VISIT_DECREF: {
      // a reference from inside the set being collected: not an outside one
      if (isGC(o)) {
        const g = o - GC_HEAD;
        if (isCollecting(g)) {
          if (PYHEAP_DEBUG) assert(getRefs(g) > 0, "subtract_refs: gc_refs would go below 0");
          setRefs(g, getRefs(g) - 1);
        }
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
      if (!vectorPush(arg, o)) visitFailed = true;
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
    case VISIT_RETAIN: {
      const e = retainAdd(o);
      if (e) store<u32>(e, load<u32>(e, RS_REFS) + 1, RS_REFS);
      if (o == retainTarget) noteReferrer();
      break;
    }
    case VISIT_BFS: {
      const e = retainFind(o);
      if (e && !(load<u32>(e, RS_FLAGS) & RS_VISITED)) {
        store<u32>(e, load<u32>(e, RS_FLAGS) | RS_VISITED, RS_FLAGS);
        store<u32>(e, <u32>retainParent, RS_PARENT);
        queuePush(o);
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
