// gc/abi.ts — the collector's exports (re-exported by index.ts), nothing else.
// The host (src/gc.ts) validates arguments and gives them CPython's errors.

import { retainersWalk, retainerParent, retainerInRefs, retainersEnd } from "./retainers";
import {
  snapBuild, snapEnd, snapNodeCount, snapEdgeCount, snapNodes, snapEdges, snapMark, snapSince, sinceEnd, sinceRecords, sinceCount,
} from "./snapshot";
import { referrerCount, referrerAt, referrerRefs } from "./retainset";
import {
  gcCollect, gcEnable, gcIsEnabled, gcIsCollecting, gcSetThreshold, gcGetThreshold, gcGetCount, gcGetStat,
  gcSetDebug, gcGetDebug, gcGarbage, gcGenerationSize, gcFreeze, gcUnfreeze, gcFreezeCount, gcIsTracked,
  gcIsFinalized, gcGetObjects, gcGetReferrers, gcGetReferents,
} from "./collect";
import { debugLive, misuse, MISUSE_DEAD } from "../object/debug";
import { refCensus, censusExternal, censusNextHeld, censusNextSlot, censusDone } from "./census";

// the debug build's checks (compiled away when PYHEAP_DEBUG is 0)
// @ts-ignore: decorator
@inline function live(o: usize): void {
  if (PYHEAP_DEBUG) { if (!debugLive(o)) misuse(MISUSE_DEAD, o, 0); }
}
export function gc_collect(generation: i32): i32 { return gcCollect(generation); }
export function gc_enable(on: bool): void { gcEnable(on); }
export function gc_is_enabled(): bool { return gcIsEnabled(); }
export function gc_is_collecting(): bool { return gcIsCollecting(); }
export function gc_set_threshold(g: i32, t: i32): void { gcSetThreshold(g, t); }
export function gc_get_threshold(g: i32): i32 { return gcGetThreshold(g); }
export function gc_get_count(g: i32): i32 { return gcGetCount(g); }
export function gc_get_stat(g: i32, field: i32): f64 { return gcGetStat(g, field); }
export function gc_set_debug(flags: u32): void { gcSetDebug(flags); }
export function gc_get_debug(): u32 { return gcGetDebug(); }
/** gc.garbage (borrowed; made on first use; 0 = no memory). */
export function gc_garbage(): usize { return gcGarbage(); }
export function gc_generation_size(g: i32): u32 { return gcGenerationSize(g); }
export function gc_freeze(): void { gcFreeze(); }
export function gc_unfreeze(): void { gcUnfreeze(); }
export function gc_freeze_count(): u32 { return gcFreezeCount(); }
export function gc_is_tracked(o: usize): bool {
  live(o);
  return gcIsTracked(o);
}
export function gc_is_finalized(o: usize): bool {
  live(o);
  return gcIsFinalized(o);
}
/** New list. */
export function gc_get_objects(generation: i32): usize { return gcGetObjects(generation); }
/** New list of the tracked objects referring to any of the n ids at p; 0 = no memory. */
export function gc_get_referrers(p: usize, n: i32): usize {
  if (PYHEAP_DEBUG) for (let i = 0; i < n; i++) live(load<u32>(p + (<usize>i << 2)));
  return gcGetReferrers(p, n);
}
/** New list of what the containers among the n ids at p refer to; 0 = no memory. */
export function gc_get_referents(p: usize, n: i32): usize {
  if (PYHEAP_DEBUG) for (let i = 0; i < n; i++) live(load<u32>(p + (<usize>i << 2)));
  return gcGetReferents(p, n);
}

// ---- the debug build's reference census (gc/census.ts; finds nothing in release) ----
/** Mortal objects with fewer refs than referrers (0 when sound), or -1 (no memory). */
export function debug_ref_census(): i32 { return refCensus(); }
/** refcnt(o) - references to o from live objects, per the last census. */
export function debug_census_external(o: usize): i32 { return censusExternal(o); }
/** The next object (from registry slot `from`) whose refs are not all from live objects, or 0. */
export function debug_census_next_held(from: u32): usize { return censusNextHeld(from); }
/** Where to go on after debug_census_next_held. */
export function debug_census_next_slot(): u32 { return censusNextSlot; }
export function debug_census_done(): void { censusDone(); }

// ---- retainers (gc/retainers.ts): heap.leaks.retainerPath / whyAlive ----
/** 1: walked (with a path when wantPath); 2: walked, no root reaches the target; 0: memory short. */
export function retainers_walk(target: usize, wantPath: bool): i32 { return retainersWalk(target, wantPath); }
export function retainers_parent(o: usize): usize { return retainerParent(o); }
export function retainers_in_refs(o: usize): u32 { return retainerInRefs(o); }
export function retainers_referrer_count(): u32 { return referrerCount; }
export function retainers_referrer(i: u32): usize { return referrerAt(i); }
export function retainers_referrer_refs(i: u32): u32 { return referrerRefs(i); }
export function retainers_end(): void { retainersEnd(); }

// ---- heap snapshots and leaks.mark/since (gc/snapshot.ts) ----
/** Builds the node and edge records of every live object. 1, or 0 (memory short). */
export function snap_build(): i32 { return snapBuild(); }
export function snap_node_count(): u32 { return snapNodeCount; }
export function snap_edge_count(): u32 { return snapEdgeCount; }
/** The records: u32[4 x node count] and u32[3 x edge count] (valid until snap_end or the next allocation). */
export function snap_nodes(): usize { return snapNodes; }
export function snap_edges(): usize { return snapEdges; }
export function snap_end(): void { snapEnd(); }
/** Gives every live object an id; the mark (0: memory short). */
export function snap_mark(): u32 { return snapMark(); }
/** since records (u32[3 x since_count()]: type, bytes, traceback) of live objects with an id >= mark. 1, or 0. */
export function snap_since(mark: u32): i32 { return snapSince(mark); }
export function since_records(): usize { return sinceRecords; }
export function since_count(): u32 { return sinceCount; }
export function since_end(): void { sinceEnd(); }
