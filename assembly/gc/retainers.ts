// gc/retainers.ts — why an object is alive: who refers to it, what holds it from outside
// the graph, and the shortest chain of references from such a root to it.
//
// CPython counterpart: none in the runtime; objgraph's find_backref_chain (a BFS over
// gc.get_referrers, in Python) and gc.get_referrers. Here the walk is one pass in wasm:
//
//   1. the set: every live object (the object map, gc/snapshot.ts's liveEach: untracked ones
//      too, so a float inside an untracked tuple has its referrer) and the target;
//   2. count: each object of the set (and each object met on the way, untracked containers
//      and leaves included, which join the set) is traversed; every reference found adds
//      one to its child's inRefs, and those to the target are recorded per referrer;
//   3. roots: an object whose refcount exceeds its inRefs is held from outside the graph
//      (a host handle, a reference held through heap.raw). The handle the question came
//      with does not count (one reference of the target's is taken off). Immortal objects
//      are not roots;
//   4. breadth-first search from all roots at once over the same references; the first
//      time the target is reached, the parents give a shortest chain.
//
// Everything lives on the page layer (gc/retainset.ts) and the walk recurses nowhere, so a
// 10-million-long chain is walked in constant stack.
//
// What it cannot see: references held by the host's own structures that are not objects
// (they count as external). Dict keys are visited (VISIT_RETAIN is not one of the kinds for
// which dict_traverse skips str keys), so a str key's dict is among its referrers.

import { isGC, isImmortal } from "../object/header";
import { liveEach } from "./snapshot";
import { traverse } from "./traverse";
import { VISIT_RETAIN, VISIT_BFS } from "./visit";
import { ID_DELETED, idSlot } from "../alloc/idtable";
import {
  retainSet, retainAdd, retainFind, retainBegin, retainEnd, retainFailed, retainTarget, setRetainParent, queueAt,
  queueLength, queueReset, queuePush, referrersReset, RS_REFS, RS_PARENT, RS_FLAGS, RS_VISITED,
} from "./retainset";

function addLive(o: usize, arg: usize): void { retainAdd(o); }

/**
 * Walks the heap for target. 1: done (the referrers and external count are ready; with
 * wantPath, so is the chain: retainerParent from the target up, 0 at the root); 2: done but
 * the target is reachable from no root (garbage awaiting collection); 0: memory short.
 */
export function retainersWalk(target: usize, wantPath: bool): i32 {
  retainBegin(target);
  referrersReset();
  if (!liveEach(addLive, 0)) return 0;
  retainAdd(target);
  for (let i: u32 = 0; i < queueLength && !retainFailed; i++) {
    const o = queueAt(i);
    if (!isGC(o)) continue;
    setRetainParent(o);
    traverse(o, VISIT_RETAIN, 0);
  }
  if (retainFailed) return 0;
  if (!wantPath) return 1;
  queueReset();
  const t = retainSet;
  for (let i: u32 = 0; i <= t.mask; i++) {
    const e = idSlot(t, i);
    const o = <usize>load<u32>(e);
    if (o <= ID_DELETED || isImmortal(o)) continue;
    if (externalAt(o, e) > 0) {
      store<u32>(e, RS_VISITED, RS_FLAGS);
      store<u32>(e, 0, RS_PARENT);
      if (!queuePush(o)) return 0;
    }
  }
  for (let i: u32 = 0; i < queueLength && !retainFailed; i++) {
    const o = queueAt(i);
    if (o == target) return 1;
    if (!isGC(o)) continue;
    setRetainParent(o);
    traverse(o, VISIT_BFS, 0);
  }
  return retainFailed ? 0 : 2;
}

/** References to o from outside the graph (the target's question handle taken off). */
function externalAt(o: usize, e: usize): i64 {
  return <i64>load<u32>(o) - <i64>load<u32>(e, RS_REFS) - (o == retainTarget ? 1 : 0);
}

/** After a walk with a path: o's predecessor on the chain (0: o is a root). */
export function retainerParent(o: usize): usize {
  const e = retainFind(o);
  return e ? <usize>load<u32>(e, RS_PARENT) : 0;
}

/** After a walk: the references to o from inside the graph. */
export function retainerInRefs(o: usize): u32 {
  const e = retainFind(o);
  return e ? load<u32>(e, RS_REFS) : 0;
}

/** The walk's memory goes back. */
export function retainersEnd(): void {
  retainEnd();
  referrersReset();
}
