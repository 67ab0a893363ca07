// gc/retainset.ts — the object set of a retainer walk (gc/retainers.ts): every object the
// walk has met, with the references to it found inside the graph, its BFS parent and flags;
// and the walk's work queue. Below the visitors (gc/visit.ts) so that they can fill it.
//
// CPython counterpart: none (objgraph's find_backref_chain and gc.get_referrers do this
// in Python, object by object); the counting is update_refs/subtract_refs' idea applied to
// the whole heap, so that what is left over is held from outside the graph.
//
//   entry (an IdTable slot of 16 bytes, on the page layer: never traced, never a block)
//   +--------+----------+--------+-------+
//   | object | inRefs   | parent | flags |   inRefs: references from objects of the set
//   +--------+----------+--------+-------+   parent: the BFS predecessor (0 for a root)
//
//   queue: u32 object ids (page layer), appended to, read from the front
//
// Invariant: every object of the queue is in the set; each is queued once per phase.

import { IdTable, idTableAt, ID_TABLE_BYTES, idHash, idFind, idReserve, idInsert } from "../alloc/idtable";
import { pageAlloc, pageFree, pageRealloc, PURPOSE_TABLE } from "../alloc/pages";

export const RS_REFS: usize = 4;
export const RS_PARENT: usize = 8;
export const RS_FLAGS: usize = 12;
export const RS_VISITED: u32 = 1;

export const retainSet: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 16, true);
let queue: usize = 0;
export let queueLength: u32 = 0;
let queueCap: u32 = 0;
/** Out of memory during the walk: its answer is void. */
export let retainFailed: bool = false;
/** The object whose references the visitor is following (its referrers are recorded). */
export let retainParent: usize = 0;
export let retainTarget: usize = 0;
export function setRetainParent(o: usize): void { retainParent = o; }

function rehash(k: usize): u32 { return idHash(k); }

/** The entry of o, 0 when absent. */
// @ts-ignore: decorator
@inline export function retainFind(o: usize): usize { return idFind(retainSet, o, idHash(o)); }

/** The entry of o, added (and queued) when new; 0 when memory is short. */
export function retainAdd(o: usize): usize {
  const h = idHash(o);
  let e = idFind(retainSet, o, h);
  if (e) return e;
  if (!idReserve(retainSet, 1024, rehash) || !queuePush(o)) {
    retainFailed = true;
    return 0;
  }
  return idInsert(retainSet, o, h);
}

export function queuePush(o: usize): bool {
  if (queueLength == queueCap) {
    const cap: u32 = queueCap ? queueCap * 2 : 1024;
    const q = queue ? pageRealloc(queue, <usize>cap << 2, PURPOSE_TABLE) : pageAlloc(<usize>cap << 2, PURPOSE_TABLE);
    if (!q) { retainFailed = true; return false; }
    queue = q;
    queueCap = cap;
  }
  store<u32>(queue + (<usize>queueLength << 2), <u32>o);
  queueLength++;
  return true;
}
// @ts-ignore: decorator
@inline export function queueAt(i: u32): usize { return load<u32>(queue + (<usize>i << 2)); }
export function queueReset(): void { queueLength = 0; }

/** A walk begins: the set empty, the target named. */
export function retainBegin(target: usize): void {
  retainEnd();
  retainFailed = false;
  retainTarget = target;
}

/** The walk's memory goes back. */
export function retainEnd(): void {
  const t = retainSet;
  if (t.slots) pageFree(t.slots, PURPOSE_TABLE);
  t.slots = 0; t.mask = 0; t.used = 0; t.fill = 0;
  if (queue) pageFree(queue, PURPOSE_TABLE);
  queue = 0;
  queueLength = 0;
  queueCap = 0;
}

// ---- the referrers of the target, with multiplicity: (referrer, count) pairs ----
let referrers: usize = 0;
export let referrerCount: u32 = 0;
let referrerCap: u32 = 0;

/** Records one reference from retainParent to the target. */
export function noteReferrer(): void {
  const n = referrerCount;
  if (n && load<u32>(referrers + (<usize>(n - 1) << 3)) == <u32>retainParent) {
    const at = referrers + (<usize>(n - 1) << 3) + 4;
    store<u32>(at, load<u32>(at) + 1);
    return;
  }
  if (n == referrerCap) {
    const cap: u32 = referrerCap ? referrerCap * 2 : 16;
    const r = referrers ? pageRealloc(referrers, <usize>cap << 3, PURPOSE_TABLE) : pageAlloc(<usize>cap << 3, PURPOSE_TABLE);
    if (!r) { retainFailed = true; return; }
    referrers = r;
    referrerCap = cap;
  }
  store<u32>(referrers + (<usize>n << 3), <u32>retainParent);
  store<u32>(referrers + (<usize>n << 3) + 4, 1);
  referrerCount = n + 1;
}
export function referrerAt(i: u32): usize { return load<u32>(referrers + (<usize>i << 3)); }
export function referrerRefs(i: u32): u32 { return load<u32>(referrers + (<usize>i << 3) + 4); }
export function referrersReset(): void {
  if (referrers) pageFree(referrers, PURPOSE_TABLE);
  referrers = 0;
  referrerCount = 0;
  referrerCap = 0;
}
