// gc/collect.ts — the generational cycle collector: CPython 3.11's gc_collect_main.
//
// CPython counterparts (Modules/gcmodule.c, 3.11): gc_collect_main and its phases
// update_refs, subtract_refs, move_unreachable (deduce_unreachable), untrack_tuples,
// untrack_dicts, move_legacy_finalizers, move_legacy_finalizer_reachable,
// finalize_garbage, handle_resurrected_objects, delete_garbage,
// handle_legacy_finalizers; gc_collect_generations (the automatic choice of a
// generation with the 25% rule for the oldest), gc_collect_with_callback, and the
// state of the gc module (thresholds, counts, stats, debug flags, gc.garbage).
//
// Generations are the lists of gc/heads.ts (`generations`): heads 0, 1, 2 and the
// permanent generation (gc.freeze). A collection of generation g, in gc_collect_main's
// order (every comment below names these steps by CPython's names):
//
//   counts            count[g+1] += 1; count[0..g] = 0
//   young and old     generations 0..g merged into g; old = g + 1 (or young itself for g = 2)
//   deduce_unreachable(young -> unreachable): update_refs (gc_refs = refcnt), subtract_refs
//                     (minus every reference from inside young), move_unreachable (an
//                     object with gc_refs > 0 is reached from outside, and all it reaches)
//   untrack_tuples    done by move_unreachable's scan as it passes each reachable object
//                     (the order, hence every decision, is untrack_tuples')
//   merge into old    young joins old; a full collection also runs untrack_dicts
//   move_legacy_finalizers, move_legacy_finalizer_reachable: set aside (uncollectable)
//   handle_weakrefs   weakrefs to the unreachable cleared, callbacks of live weakrefs run
//   finalize_garbage  each del hook runs once (PEP 442)
//   handle_resurrected_objects: deduce again inside the unreachable set; what a hook
//                     made reachable survives (into old) and is not counted
//   delete_garbage    tp_clear each remaining object; refcounts free the cycles
//   handle_legacy_finalizers: uncollectables to gc.garbage (all garbage with DEBUG_SAVEALL)
//   clear_freelists   (full collections), statistics; return collected + uncollectable
//
// Invariants kept here: between collections every list is doubly linked with clean
// flags (only FINALIZED may be set); no host code runs between update_refs and the end
// of move_legacy_finalizers (the lists are in their intermediate states then); a
// collection never starts while one runs (`collecting`).

import { TF_DEL, TF_LEGACY_DEL, TYPE_TUPLE, TYPE_DICT, TYPE_MASK, OF_WEAKREFS, typeId, flagsOf, isGC } from "../object/header";
import { fail, ERR_MEMORY } from "../object/errors";
import { incref, decref } from "../object/refcount";
import { hostDel } from "../object/dealloc";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { listNewInCollector as listNew, listAppend as pyListAppend } from "../object/sequences";
import { floatClearFreeList } from "../object/numbers";
import { tupleClearFreeLists, listClearFreeList } from "../object/sequences";
import { dictClearFreeList } from "../object/dict";
import {
  GC_HEAD, PREV_FINALIZED, NUM_GENERATIONS, generations, gcCount0, setGcCount0, setGcTrigger, untrack, isTracked,
} from "./heads";
import {
  NEXT_MASK_UNREACHABLE, gcNext, setNext, setPrev, clearCollecting, isFinalized, getRefs, resetRefs, listInit, listIsEmpty, listAppend, listMove, listMerge, listSize,
} from "./lists";
import { handleWeakrefs } from "./handle_weakrefs";
import { traverse, clearObject } from "./traverse";
import {
  VISIT_DECREF, VISIT_REACHABLE, VISIT_MOVE, VISIT_REFERS, VISIT_COLLECT, VISIT_MAY_TRACK, visitFound, visitFailed,
  resetVisit, targetsAdd, vectorInit, vectorData, vectorLength,
} from "./visit";

/** Tells the host about a collection: phase 0 start, 1 stop, 2 the DEBUG_STATS "done" line. */
// @ts-ignore: decorator
@external("env", "gc_phase")
declare function hostGcPhase(phase: i32, generation: i32, collected: i32, uncollectable: i32): void;
/** DEBUG_COLLECTABLE (kind 0) / DEBUG_UNCOLLECTABLE (kind 1): one object. */
// @ts-ignore: decorator
@external("env", "gc_debug_object")
declare function hostGcDebugObject(kind: i32, o: usize): void;

export const DEBUG_STATS: u32 = 1;
export const DEBUG_COLLECTABLE: u32 = 2;
export const DEBUG_UNCOLLECTABLE: u32 = 4;
export const DEBUG_SAVEALL: u32 = 32;
/** The fields of gc.get_stats()'s per-generation dicts, in CPython's order. */
export const STAT_COLLECTIONS: i32 = 0;
export const STAT_COLLECTED: i32 = 1;
export const STAT_UNCOLLECTABLE: i32 = 2;

// ---- state (CPython's struct _gc_runtime_state) ----------------------------------------
let enabled: bool = true;
let collecting: bool = false;
let debugFlags: u32 = 0;
const thresholds: usize = memory.data<i32>([700, 10, 10]);
const counts12: usize = memory.data(8);                 // count[1], count[2]
const stats: usize = memory.data(NUM_GENERATIONS * 24);  // per generation: collections, collected, uncollectable (f64)
let longLivedTotal: u32 = 0;
let longLivedPending: u32 = 0;
/** gc.garbage: a list made on first use (so that a new heap allocates nothing). */
let garbage: usize = 0;
/** Results of the last collection, for the "stop" callbacks. */
let lastCollected: i32 = 0;
let lastUncollectable: i32 = 0;

// work lists (no collection runs inside another, so one set suffices)
const unreachableHead: usize = memory.data(8);
const finalizersHead: usize = memory.data(8);
const finalUnreachableHead: usize = memory.data(8);
const seenHead: usize = memory.data(8);
const wrcbHead: usize = memory.data(8);

// @ts-ignore: decorator
@inline function genHead(g: i32): usize { return generations + (<usize>g << 3); }
// @ts-ignore: decorator
@inline function permanentHead(): usize { return generations + (<usize>NUM_GENERATIONS << 3); }
// @ts-ignore: decorator
@inline function threshold(g: i32): i32 { return load<i32>(thresholds + (<usize>g << 2)); }

function count(g: i32): i32 { return g == 0 ? gcCount0 : load<i32>(counts12 + (<usize>(g - 1) << 2)); }
function setCount(g: i32, v: i32): void {
  if (g == 0) setGcCount0(v);
  else store<i32>(counts12 + (<usize>(g - 1) << 2), v);
}

/** Keeps the allocation path's single comparison right (object/header.ts gcTrigger). */
function updateTrigger(): void {
  setGcTrigger(enabled && threshold(0) != 0 && !collecting ? threshold(0) : i32.MAX_VALUE);
}

function addStat(g: i32, field: i32, v: f64): void {
  const p = stats + <usize>g * 24 + (<usize>field << 3);
  store<f64>(p, load<f64>(p) + v);
}

// ---- deduce_unreachable ---------------------------------------------------------------

/** gc_refs = refcnt, COLLECTING set, for every object of the list. */
function updateRefs(base: usize): void {
  for (let g = gcNext(base); g != base; g = gcNext(g)) {
    // a tracked object with no reference left would have been deallocated (update_refs' assert)
    if (PYHEAP_DEBUG) assert(load<u32>(g + GC_HEAD) != 0, "update_refs: a tracked object with refcount 0");
    resetRefs(g, load<u32>(g + GC_HEAD));
  }
}

/** Subtracts the references that come from inside the list. */
function subtractRefs(base: usize): void {
  for (let g = gcNext(base); g != base; g = gcNext(g)) traverse(g + GC_HEAD, VISIT_DECREF, 0);
}

/**
 * Moves the objects of young that nothing outside reaches into unreachable (with
 * NEXT_MASK_UNREACHABLE on their gc_next). Objects with gc_refs > 0 are reachable:
 * their referents get gc_refs >= 1 and, if already moved, come back to young's tail
 * to be scanned. Young is singly linked while this runs; prev pointers are restored
 * as the scan passes.
 *
 * With untrackTuples, also untrack_tuples: the scan passes the reachable objects in
 * the order they keep in young, which is the order untrack_tuples would walk them
 * afterwards, and no tracked state it reads changes in between (the scan untracks
 * nothing else; a child not yet passed is tracked either way), so each tuple gets
 * the same decision, one walk of young sooner. Returns the objects left in young.
 */
function moveUnreachable(young: usize, unreachable: usize, untrackTuples: bool): u32 {
  let survivors: u32 = 0;
  let prev = young;
  let g = gcNext(young);
  while (g != young) {
    if (getRefs(g)) {
      const o = g + GC_HEAD;
      traverse(o, VISIT_REACHABLE, young);
      if (untrackTuples && typeId(o) == TYPE_TUPLE && !refersToTrackable(o)) {
        // untrack(o) on the singly linked young: unlinked, flags but FINALIZED dropped
        setNext(prev, gcNext(g));
        store<u32>(g, 0);
        store<u32>(g, load<u32>(g, 4) & PREV_FINALIZED, 4);
      } else {
        store<u32>(g, (load<u32>(g, 4) & PREV_FINALIZED) | <u32>prev, 4);   // setPrev + clearCollecting
        prev = g;
        survivors++;
      }
    } else {
      // tentatively unreachable: to the tail of unreachable
      setNext(prev, gcNext(g));
      const last = <usize>load<u32>(unreachable, 4);
      store<u32>(last, NEXT_MASK_UNREACHABLE | <u32>g);
      setPrev(g, last);
      store<u32>(g, NEXT_MASK_UNREACHABLE | <u32>unreachable);
      store<u32>(unreachable, <u32>g, 4);
    }
    g = gcNext(prev);
  }
  store<u32>(young, <u32>prev, 4);
  store<u32>(unreachable, load<u32>(unreachable) & ~NEXT_MASK_UNREACHABLE);
  return survivors;
}

/** Returns the objects left in base (with untrackTuples: after untrack_tuples). */
function deduceUnreachable(base: usize, unreachable: usize, untrackTuples: bool = false): u32 {
  updateRefs(base);
  subtractRefs(base);
  return moveUnreachable(base, unreachable, untrackTuples);
}

// ---- tuples and dicts that cannot be part of a cycle ---------------------------------------

/** Does o refer to anything that may be tracked (a container, or a tracked tuple)? */
function refersToTrackable(o: usize): bool {
  // _PyTuple_MaybeUntrack keeps a tuple with an empty slot (one still being filled)
  if (typeId(o) == TYPE_TUPLE) {
    const n = load<i32>(o, 8);
    for (let i = 0; i < n; i++) if (!load<u32>(o + 12 + (<usize>i << 2))) return true;
  }
  resetVisit();
  traverse(o, VISIT_MAY_TRACK, 0);
  return visitFound;
}

/** Untracks the objects of the type that cannot be in a cycle; returns how many objects stay in the list. */
function untrackType(base: usize, type: u32): u32 {
  let n: u32 = 0;
  let g = gcNext(base);
  while (g != base) {
    const next = gcNext(g);
    const o = g + GC_HEAD;
    if (typeId(o) == type && !refersToTrackable(o)) untrack(o);
    else n++;
    g = next;
  }
  return n;
}

// ---- legacy finalizers, finalizers, resurrection, clearing ----------------------------------

/**
 * Also tells what the unreachable objects have, for the steps that may then be
 * skipped: OF_WEAKREFS when one has weakrefs (whose callbacks handle_weakrefs may
 * run), TF_DEL when one's type has a del hook.
 */
function moveLegacyFinalizers(unreachable: usize, finalizers: usize): u32 {
  let typeWords: u32 = 0, typeFlags: u32 = 0;
  let g = gcNext(unreachable);
  while (g != unreachable) {
    store<u32>(g, load<u32>(g) & ~NEXT_MASK_UNREACHABLE);
    const next = gcNext(g);
    const w = load<u32>(g + GC_HEAD, 4);
    const f = flagsOf(w & TYPE_MASK);
    typeWords |= w;
    typeFlags |= f;
    if (f & TF_LEGACY_DEL) {
      clearCollecting(g);
      listMove(g, finalizers);
    }
    g = next;
  }
  return (typeWords & OF_WEAKREFS) | (typeFlags & TF_DEL);
}

/** Everything a legacy-finalizer object reaches joins it (the list grows as it is walked). */
function moveLegacyFinalizerReachable(finalizers: usize): void {
  for (let g = gcNext(finalizers); g != finalizers; g = gcNext(g)) traverse(g + GC_HEAD, VISIT_MOVE, finalizers);
}

/** finalize_garbage: each object's del hook, once in its life, in list order; true when one ran. */
function finalizeGarbage(collectable: usize): bool {
  let ran = false;
  listInit(seenHead);
  while (!listIsEmpty(collectable)) {
    const g = gcNext(collectable);
    const o = g + GC_HEAD;
    listMove(g, seenHead);
    if (!isFinalized(g) && (flagsOf(typeId(o)) & TF_DEL)) {
      store<u32>(g, load<u32>(g, 4) | PREV_FINALIZED, 4);
      ran = true;
      incref(o);
      hostDel(o, 2);
      decref(o);   // may free o: it leaves `seen` as it is untracked
    }
  }
  listMerge(seenHead, collectable);
  return ran;
}

function handleResurrectedObjects(unreachable: usize, stillUnreachable: usize, old: usize): void {
  for (let g = gcNext(unreachable); g != unreachable; g = gcNext(g)) clearCollecting(g);
  listInit(stillUnreachable);
  deduceUnreachable(unreachable, stillUnreachable);
  for (let g = gcNext(stillUnreachable); g != stillUnreachable; g = <usize>(load<u32>(g) & ~NEXT_MASK_UNREACHABLE)) {
    store<u32>(g, load<u32>(g) & ~NEXT_MASK_UNREACHABLE);
  }
  listMerge(unreachable, old);   // the resurrected
}

function deleteGarbage(collectable: usize, old: usize): void {
  while (!listIsEmpty(collectable)) {
    const g = gcNext(collectable);
    const o = g + GC_HEAD;
    if (debugFlags & DEBUG_SAVEALL) {
      garbageAppend(o);       // kept alive by gc.garbage: moved to old below
    } else {
      incref(o);
      clearObject(o);
      decref(o);
    }
    if (gcNext(collectable) == g) {
      // still alive (a tuple, or held by something cleared later): it may die later
      clearCollecting(g);
      listMove(g, old);
    }
  }
}

function handleLegacyFinalizers(finalizers: usize, old: usize): void {
  for (let g = gcNext(finalizers); g != finalizers; g = gcNext(g)) {
    const o = g + GC_HEAD;
    if ((debugFlags & DEBUG_SAVEALL) || (flagsOf(typeId(o)) & TF_LEGACY_DEL)) garbageAppend(o);
  }
  listMerge(finalizers, old);
}

function garbageList(): usize {
  if (!garbage) {
    garbage = listNew();
    // CPython makes gc.garbage as the interpreter starts: made on first use here (often
    // inside a collection, after the counts were reset), it is no allocation of the
    // program's, so it must not show in get_count() (found by tests/oracle)
    if (garbage && gcCount0 > 0) setGcCount0(gcCount0 - 1);
  }
  return garbage;
}

function garbageAppend(o: usize): void {
  const l = garbageList();
  if (l) pyListAppend(l, o);   // out of memory: the object stays where it is, uncounted
}

// ---- gc_collect_main ------------------------------------------------------------------

function collectMain(generation: i32): i32 {
  // counts
  if (generation + 1 < NUM_GENERATIONS) setCount(generation + 1, count(generation + 1) + 1);
  for (let i = 0; i <= generation; i++) setCount(i, 0);
  // young and old
  for (let i = 0; i < generation; i++) listMerge(genHead(i), genHead(generation));
  const young = genHead(generation);
  const old = generation < NUM_GENERATIONS - 1 ? genHead(generation + 1) : young;
  // deduce_unreachable (with untrack_tuples; survivors: gc_list_size(young), counted on the way)
  const unreachable = unreachableHead;
  listInit(unreachable);
  const survivors = deduceUnreachable(young, unreachable, true);
  // merge into old (untrack_dicts in a full collection)
  if (young != old) {
    if (generation == NUM_GENERATIONS - 2) longLivedPending += survivors;
    listMerge(young, old);
  } else {
    longLivedPending = 0;
    longLivedTotal = untrackType(young, TYPE_DICT);   // only in full collections (bpo-14775)
  }
  // move_legacy_finalizers, move_legacy_finalizer_reachable
  const finalizers = finalizersHead;
  listInit(finalizers);
  const has = moveLegacyFinalizers(unreachable, finalizers);
  moveLegacyFinalizerReachable(finalizers);
  if (debugFlags & DEBUG_COLLECTABLE) {
    for (let g = gcNext(unreachable); g != unreachable; g = gcNext(g)) hostGcDebugObject(0, g + GC_HEAD);
  }
  // handle_weakrefs: weakrefs to garbage cleared; callbacks of weakrefs that are not garbage run
  let m: i32 = handleWeakrefs(unreachable, wrcbHead, old);
  // finalize_garbage, handle_resurrected_objects, delete_garbage
  // (no del hook among them: finalize_garbage would only move each object to `seen` and back)
  const ranDel = (has & TF_DEL) != 0 && finalizeGarbage(unreachable);
  const finalUnreachable = finalUnreachableHead;
  if (ranDel || (has & OF_WEAKREFS) || (debugFlags & DEBUG_COLLECTABLE)) {
    handleResurrectedObjects(unreachable, finalUnreachable, old);
  } else {
    // No host code ran since deduce_unreachable (no del hook, no weakref callback, no
    // DEBUG_COLLECTABLE line): no refcount changed, and what the legacy finalizers reach
    // left as a closed set, so deducing again would find every object unreachable, in
    // the same order and with the same flags. Skip that second pass (~1/3 of a collection).
    listInit(finalUnreachable);
    listMerge(unreachable, finalUnreachable);
  }
  m += <i32>listSize(finalUnreachable);
  deleteGarbage(finalUnreachable, old);
  // handle_legacy_finalizers (and the DEBUG lines)
  let n: i32 = 0;
  for (let g = gcNext(finalizers); g != finalizers; g = gcNext(g)) {
    n++;
    if (debugFlags & DEBUG_UNCOLLECTABLE) hostGcDebugObject(1, g + GC_HEAD);
  }
  if (debugFlags & DEBUG_STATS) hostGcPhase(2, generation, m + n, n);
  handleLegacyFinalizers(finalizers, old);
  // clear_freelists (full collections), statistics
  if (generation == NUM_GENERATIONS - 1) {
    floatClearFreeList();
    tupleClearFreeLists();
    listClearFreeList();
    dictClearFreeList();
  }
  addStat(generation, STAT_COLLECTIONS, 1);
  addStat(generation, STAT_COLLECTED, m);
  addStat(generation, STAT_UNCOLLECTABLE, n);
  lastCollected = m;
  lastUncollectable = n;
  return n + m;
}

function collectWithCallback(generation: i32): i32 {
  hostGcPhase(0, generation, 0, 0);
  const r = collectMain(generation);
  hostGcPhase(1, generation, lastCollected, lastUncollectable);
  return r;
}

/** gc_collect_generations: the oldest generation over its threshold (25% rule for 2). */
function collectGenerations(): i32 {
  for (let i = NUM_GENERATIONS - 1; i >= 0; i--) {
    if (count(i) > threshold(i)) {
      if (i == NUM_GENERATIONS - 1 && longLivedPending < longLivedTotal / 4) continue;
      return collectWithCallback(i);
    }
  }
  return 0;
}

/** Called by the allocation that takes count[0] past threshold 0 (object/header.ts). */
export function collectAutomatic(): void {
  collecting = true;
  updateTrigger();
  collectGenerations();
  collecting = false;
  updateTrigger();
}

// ---- the gc module's engine half ----------------------------------------------------------

/** gc.collect(generation): collected + uncollectable; 0 while a collection runs. */
export function gcCollect(generation: i32): i32 {
  if (collecting) return 0;
  collecting = true;
  updateTrigger();
  const r = collectWithCallback(generation);
  collecting = false;
  updateTrigger();
  return r;
}

export function gcEnable(on: bool): void { enabled = on; updateTrigger(); }
export function gcIsEnabled(): bool { return enabled; }
export function gcIsCollecting(): bool { return collecting; }
export function gcSetThreshold(g: i32, t: i32): void { store<i32>(thresholds + (<usize>g << 2), t); updateTrigger(); }
export function gcGetThreshold(g: i32): i32 { return threshold(g); }
export function gcGetCount(g: i32): i32 { return count(g); }
/** field 0 collections, 1 collected, 2 uncollectable. */
export function gcGetStat(g: i32, field: i32): f64 { return load<f64>(stats + <usize>g * 24 + (<usize>field << 3)); }
export function gcSetDebug(flags: u32): void { debugFlags = flags; }
export function gcGetDebug(): u32 { return debugFlags; }
export function gcGarbage(): usize { return garbageList(); }
/** Objects in generation g (3 = permanent). */
export function gcGenerationSize(g: i32): u32 { return listSize(genHead(g)); }

export function gcFreeze(): void {
  for (let i = 0; i < NUM_GENERATIONS; i++) {
    listMerge(genHead(i), permanentHead());
    setCount(i, 0);
  }
}
export function gcUnfreeze(): void { listMerge(permanentHead(), genHead(NUM_GENERATIONS - 1)); }
export function gcFreezeCount(): u32 { return listSize(permanentHead()); }

export function gcIsTracked(o: usize): bool { return isGC(o) && isTracked(o); }
export function gcIsFinalized(o: usize): bool { return isGC(o) && isFinalized(o - GC_HEAD); }

/** gc.get_objects(generation): a new list of the tracked objects (-1: generations 0-2). */
export function gcGetObjects(generation: i32): usize {
  const result = listNew();
  if (!result) return 0;
  const lo = generation < 0 ? 0 : generation, hi = generation < 0 ? NUM_GENERATIONS - 1 : generation;
  for (let i = lo; i <= hi; i++) {
    const h = genHead(i);
    for (let g = gcNext(h); g != h; g = gcNext(g)) {
      const o = g + GC_HEAD;
      if (o == result) continue;
      if (!pyListAppend(result, o)) { decref(result); return fail(ERR_MEMORY); }
    }
  }
  return result;
}

/**
 * gc.get_referrers(*targets): a new list of the tracked objects that refer to any of the
 * n ids at p, or 0 (ERR_MEMORY). The targets go into a hash set first, so that each
 * reference is checked in O(1) however many targets there are.
 */
export function gcGetReferrers(p: usize, n: i32): usize {
  let size: u32 = 8;
  while (size < <u32>n * 2) size <<= 1;
  const targets = objMalloc(4 + (<usize>size << 2));
  if (!targets) return fail(ERR_MEMORY);
  store<u32>(targets, size - 1);
  memory.fill(targets + 4, 0, <usize>size << 2);
  for (let i = 0; i < n; i++) targetsAdd(targets, load<u32>(p + (<usize>i << 2)));
  const result = listNew();
  if (result) {
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      const h = genHead(i);
      for (let g = gcNext(h); g != h; g = gcNext(g)) {
        const o = g + GC_HEAD;
        if (o == result) continue;
        resetVisit();
        traverse(o, VISIT_REFERS, targets);
        if (visitFound && !pyListAppend(result, o)) {
          objFree(targets);
          decref(result);
          return fail(ERR_MEMORY);
        }
      }
    }
  }
  objFree(targets);
  return result;
}

/** gc.get_referents(*objs): a new list of what the containers among the n ids at p refer to; 0 = no memory. */
export function gcGetReferents(p: usize, n: i32): usize {
  const v = referents;
  vectorInit(v);
  resetVisit();
  for (let i = 0; i < n && !visitFailed; i++) {
    const o = <usize>load<u32>(p + (<usize>i << 2));
    if (isGC(o)) traverse(o, VISIT_COLLECT, v);
  }
  // (the ids are borrowed until the list holds them: nothing runs in between)
  let result: usize = visitFailed ? 0 : listNew();
  const data = vectorData(v), m = vectorLength(v);
  for (let i = 0; i < m && result; i++) {
    if (!pyListAppend(result, load<u32>(data + (<usize>i << 2)))) { decref(result); result = 0; }
  }
  if (data) objFree(data);
  return result ? result : fail(ERR_MEMORY);
}
const referents: usize = memory.data(12, 4);
