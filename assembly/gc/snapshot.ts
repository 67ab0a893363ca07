// gc/snapshot.ts — the whole heap as a graph: every live object a node, every reference an
// edge, for heap snapshots (the host writes them in Chrome DevTools' format) and for
// leaks.mark()/since().
//
// CPython counterpart: none (the nearest are guppy/heapy, which start from gc.get_objects()
// and miss what no container reaches). Here the nodes come from the object map
// (alloc/objmap.ts: every pool and large object, less the free-listed ones), so a float a
// host handle holds is a node too. The walk:
//
//   1. nodes: every live object, in map order (arena slot, address), then the large ones
//      (one with refcount 0 is being deallocated: a del hook runs the walk; it is left out);
//   2. count: each node's edges (named references, gc/traverse.ts's order of children
//      aside) are listed once: every child gains one in-graph reference (weak edges none);
//      a child that is no node yet (an immortal: None, small ints, the empty tuple) becomes
//      one, at the end;
//   3. roots: a node whose refcount exceeds its in-graph references is held from outside
//      the graph (a host handle, heap.raw, the engine's own tables): it hangs from the
//      "(handles)" group; immortal nodes from "(immortal)"; a breadth-first search from
//      both marks the reachable, and the rest (cycles awaiting collection) hangs from
//      "(garbage awaiting collection)", so that every node has a retainer chain;
//   4. records: u32 words on the page layer, read by the host, then freed (snapEnd):
//
//   node record (4 words)  kind | id | self size (sys.getsizeof) | edge count
//                          kind: the type id, or SNAP_SYNTHETIC + group for the
//                          synthetic nodes (0 root, 1 handles, 2 immortal, 3 garbage)
//   edge record (3 words)  edge kind (SNAP_EDGE_*) | name | to (a node ordinal)
//
// Node ordinals: 0..3 the synthetic nodes, then the objects in walk order. Ids are the
// objects' lasting ids (alloc/objmap.ts's idOf): a snapshot gives each new object one.
//
// Invariants: the walk allocates no object and runs no host code (the map cannot change
// under it); everything it holds is on the page layer and goes at snapEnd; no recursion.

import { IdTable, idTableAt, ID_TABLE_BYTES, idHash, idFind, idReserve, idInsert } from "../alloc/idtable";
import { pageAlloc, pageFree, pageRealloc, PURPOSE_TABLE } from "../alloc/pages";
import { objMapEach } from "../alloc/arena";
import { largeEach, idOf, nextId } from "../alloc/objmap";
import { objUsableSize } from "../alloc/obmalloc";
import { tmTracing, tmBlockTraceback } from "../alloc/tracemalloc";
import {
  TYPE_TUPLE, TYPE_LIST, TYPE_DICT, TYPE_SET, TYPE_FROZENSET, TYPE_MEMORYVIEW, TYPE_WEAKREF, TYPE_PROXY, TYPE_STR,
  TF_GC, TF_SLOTS, FIRST_CLASS, typeId, flagsOf, slotsOf, isImmortal, isGC,
} from "../object/header";
import { seqSize, tupleItems, listItems, seqKeptEach } from "../object/sequences";
import { dictKeys, keysNentries, entryAt, entryKey, entryValue, dictKeptEach } from "../object/dict";
import { setTable, setMask, slotKey, DUMMY } from "../object/set";
import { mvBase } from "../object/buffers";
import { wrObject } from "../object/weakref";
import { instDict, valueSlot, instKeyCount, instKeyName } from "../object/instance";
import { floatKeptEach } from "../object/numbers";
import { sizeOf } from "../object/sizeof";
import { GC_HEAD } from "./heads";
import { debugLive } from "../object/debug";

export const SNAP_SYNTHETIC: u32 = 0xffff0000;
export const SNAP_GROUPS: u32 = 4;
export const SNAP_ROOT: u32 = 0;
export const SNAP_HANDLES: u32 = 1;
export const SNAP_IMMORTAL: u32 = 2;
export const SNAP_GARBAGE: u32 = 3;

export const SNAP_EDGE_ELEMENT: u32 = 0;    // name: the index
export const SNAP_EDGE_PROPERTY: u32 = 1;   // name: a str object (a dict key, an attribute name)
export const SNAP_EDGE_SLOT: u32 = 2;       // name: the slot index of the source's class
export const SNAP_EDGE_KEY: u32 = 3;        // internal "<key>": a dict key, a set member
export const SNAP_EDGE_VALUE: u32 = 4;      // internal "[repr(key)]": name: the key object
export const SNAP_EDGE_DICT: u32 = 5;       // internal "__dict__"
export const SNAP_EDGE_OBJ: u32 = 6;        // internal "obj" (a memoryview's base)
export const SNAP_EDGE_WEAK: u32 = 7;       // weak "__referent__"

//   node entry (an IdTable slot of 16 bytes)
//   +--------+---------------------+--------+-------+
//   | object | ordinal | REACHED   | inRefs | edges |
//   +--------+---------------------+--------+-------+
const N_ORD: usize = 4;
const N_REFS: usize = 8;
const N_EDGES: usize = 12;
const REACHED: u32 = 0x80000000;

const nodes: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 16, true);
const kept: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 4, true);
/** u32 vector: walk index -> object (the node ordinal is SNAP_GROUPS + index). */
let order: usize = 0;
let orderLen: u32 = 0;
let orderCap: u32 = 0;
let failed: bool = false;

export let snapNodeCount: u32 = 0;
export let snapEdgeCount: u32 = 0;
export let snapNodes: usize = 0;
export let snapEdges: usize = 0;
let edgeAt: usize = 0;
let edgeEnd: usize = 0;
let groupCount = new StaticArray<u32>(4);

function rehash(k: usize): u32 { return idHash(k); }

function orderPush(o: usize): bool {
  if (orderLen == orderCap) {
    const cap: u32 = orderCap ? orderCap * 2 : 4096;
    const q = order ? pageRealloc(order, <usize>cap << 2, PURPOSE_TABLE) : pageAlloc(<usize>cap << 2, PURPOSE_TABLE);
    if (!q) { failed = true; return false; }
    order = q;
    orderCap = cap;
  }
  store<u32>(order + (<usize>orderLen << 2), <u32>o);
  orderLen++;
  return true;
}
// @ts-ignore: decorator
@inline function orderAt(i: u32): usize { return load<u32>(order + (<usize>i << 2)); }

/** o's node entry, made (and queued) when new; 0 when memory is short. */
function nodeOf(o: usize): usize {
  const h = idHash(o);
  const e = idFind(nodes, o, h);
  if (e) return e;
  if (failed || !idReserve(nodes, 4096, rehash) || !orderPush(o)) { failed = true; return 0; }
  const n = idInsert(nodes, o, h);
  store<u32>(n, orderLen - 1 + SNAP_GROUPS, N_ORD);
  return n;
}

function keep(o: usize, arg: usize): void {
  if (failed) return;
  if (!idReserve(kept, 256, rehash)) { failed = true; return; }
  idInsert(kept, o, idHash(o));
}

/** The free-listed objects, into `kept`. */
function collectKept(): void {
  floatKeptEach(keep, 0);
  seqKeptEach(keep, 0);
  dictKeptEach(keep, 0);
}

// @ts-ignore: decorator
@inline function isKept(o: usize): bool { return kept.used != 0 && idFind(kept, o, idHash(o)) != 0; }

/**
 * f(o, arg) for every live object (the map's, less the free-listed), by arena slot and
 * address, then the large objects. false when memory for the free-list set was short.
 */
let eachF: (o: usize, arg: usize) => void = (o: usize, arg: usize): void => {};
function eachUnlessKept(o: usize, arg: usize): void {
  // (refcount 0: being torn down, by a dealloc whose del hook or weakref callback runs
  // this walk; its references are being dropped and may dangle: it is dead already)
  if (load<u32>(o) == 0 || isKept(o)) return;
  if (PYHEAP_DEBUG) assert(debugLive(o), "the object map lists a dead object");
  eachF(o, arg);
}
export function liveEach(f: (o: usize, arg: usize) => void, arg: usize): bool {
  failed = false;
  collectKept();
  if (failed) { keptEnd(); return false; }
  eachF = f;
  objMapEach(eachUnlessKept, arg);
  largeEach(eachUnlessKept, arg);
  keptEnd();
  return true;
}
function keptEnd(): void {
  if (kept.slots) pageFree(kept.slots, PURPOSE_TABLE);
  kept.slots = 0; kept.mask = 0; kept.used = 0; kept.fill = 0;
}

// ---- the edges of one object, in one of three modes ----
const MODE_COUNT: i32 = 0;
const MODE_REACH: i32 = 1;
const MODE_EMIT: i32 = 2;
let mode: i32 = MODE_COUNT;
let counted: u32 = 0;    // MODE_COUNT: the edges of the object being listed

function edge(kind: u32, name: usize, child: usize): void {
  if (PYHEAP_DEBUG) assert(child < (<usize>memory.size() << 16) && (isImmortal(child) || debugLive(child)), "snapshot: an edge to no live object");
  if (mode == MODE_COUNT) {
    const c = nodeOf(child);
    if (!c) return;
    if (kind != SNAP_EDGE_WEAK) store<u32>(c, load<u32>(c, N_REFS) + 1, N_REFS);
    counted++;
  } else if (mode == MODE_REACH) {
    if (kind == SNAP_EDGE_WEAK) return;
    const c = idFind(nodes, child, idHash(child));
    assert(c, "snapshot: a child that is no node");
    reach(c);
  } else {
    assert(edgeAt < edgeEnd, "snapshot: more edges than counted");
    store<u32>(edgeAt, kind);
    store<u32>(edgeAt, <u32>name, 4);
    store<u32>(edgeAt, load<u32>(idFind(nodes, child, idHash(child)), N_ORD) & ~REACHED, 8);
    edgeAt += 12;
  }
}

/** Lists o's references as named edges (the order each type's traverse visits, reversed where it runs backwards). */
function edgesOf(o: usize): void {
  const t = typeId(o);
  switch (t) {
    case TYPE_TUPLE:
    case TYPE_LIST: {
      const items = t == TYPE_TUPLE ? tupleItems(o) : listItems(o);
      const n = seqSize(o);
      for (let i = 0; i < n; i++) {
        const c = <usize>load<u32>(items + (<usize>i << 2));
        if (c) edge(SNAP_EDGE_ELEMENT, i, c);
      }
      return;
    }
    case TYPE_DICT: {
      const k = dictKeys(o);
      if (!k) return;
      const n = keysNentries(k);
      for (let i = 0; i < n; i++) {
        const e = entryAt(k, i);
        const key = entryKey(e);
        if (!key) continue;
        if (typeId(key) == TYPE_STR) edge(SNAP_EDGE_PROPERTY, key, entryValue(e));
        else edge(SNAP_EDGE_VALUE, key, entryValue(e));
        edge(SNAP_EDGE_KEY, 0, key);
      }
      return;
    }
    case TYPE_SET:
    case TYPE_FROZENSET: {
      const tb = setTable(o);
      if (!tb) return;
      const m = setMask(o) + 1;
      for (let j: u32 = 0; j < m; j++) {
        const key = slotKey(tb, j);
        if (key > DUMMY) edge(SNAP_EDGE_KEY, 0, key);
      }
      return;
    }
    case TYPE_MEMORYVIEW: {
      const b = mvBase(o);
      if (b) edge(SNAP_EDGE_OBJ, 0, b);
      return;
    }
    case TYPE_WEAKREF:
    case TYPE_PROXY: {
      const r = wrObject(o);
      if (r) edge(SNAP_EDGE_WEAK, 0, r);
      return;
    }
  }
  if (t < FIRST_CLASS || !(flagsOf(t) & TF_GC)) return;
  if (flagsOf(t) & TF_SLOTS) {
    const n = slotsOf(t);
    for (let i: u32 = 0; i < n; i++) {
      const c = <usize>load<u32>(o + 8 + (<usize>i << 2));
      if (c) edge(SNAP_EDGE_SLOT, i, c);
    }
    return;
  }
  const d = instDict(o);
  if (d) { edge(SNAP_EDGE_DICT, 0, d); return; }
  const n = instKeyCount(t);
  for (let ix: u32 = 0; ix < n; ix++) {
    const c = <usize>load<u32>(valueSlot(o, ix));
    if (c) edge(SNAP_EDGE_PROPERTY, instKeyName(t, ix), c);
  }
}

// ---- the breadth-first search of step 3 (the queue: a second u32 vector) ----
let queue: usize = 0;
let queueLen: u32 = 0;
function reach(e: usize): void {
  const w = load<u32>(e, N_ORD);
  assert(queueLen <= orderLen, "snapshot: queue overflow");
  if (w & REACHED) return;
  store<u32>(e, w | REACHED, N_ORD);
  store<u32>(queue + (<usize>queueLen << 2), load<u32>(e));
  queueLen++;
}

function addNode(o: usize, arg: usize): void { nodeOf(o); }

/** Steps 1-4. 1: the records are ready; 0: memory was short (nothing is kept). */
export function snapBuild(): i32 {
  snapEnd();
  failed = false;
  if (!liveEach(addNode, 0) || failed) { snapEnd(); return 0; }
  // step 2 (nodes met here are appended and listed in turn)
  mode = MODE_COUNT;
  for (let i: u32 = 0; i < orderLen && !failed; i++) {
    const o = orderAt(i);
    counted = 0;
    edgesOf(o);   // (may grow the table: o's entry is found after)
    if (!failed) store<u32>(idFind(nodes, o, idHash(o)), counted, N_EDGES);
  }
  if (failed) { snapEnd(); return 0; }
  // step 3
  groupCount[SNAP_HANDLES] = 0;
  groupCount[SNAP_IMMORTAL] = 0;
  groupCount[SNAP_GARBAGE] = 0;
  queue = pageAlloc(<usize>(orderLen + 1) << 2, PURPOSE_TABLE);
  if (!queue) { snapEnd(); return 0; }
  queueLen = 0;
  for (let i: u32 = 0; i < orderLen; i++) {
    const o = orderAt(i);
    const e = idFind(nodes, o, idHash(o));
    if (isImmortal(o)) { groupCount[SNAP_IMMORTAL]++; reach(e); }
    else if (<u64>load<u32>(o) > <u64>load<u32>(e, N_REFS)) { groupCount[SNAP_HANDLES]++; reach(e); }
  }
  mode = MODE_REACH;
  for (let i: u32 = 0; i < queueLen; i++) edgesOf(<usize>load<u32>(queue + (<usize>i << 2)));
  // (the queue is done with: it keeps each node's group from here on)
  let edges: u64 = 3;
  for (let i: u32 = 0; i < orderLen; i++) {
    const o = orderAt(i);
    const e = idFind(nodes, o, idHash(o));
    const g = groupOf(o, e);
    if (g == SNAP_GARBAGE) groupCount[SNAP_GARBAGE]++;
    store<u32>(queue + (<usize>i << 2), g);
    edges += <u64>load<u32>(e, N_EDGES) + 1;   // + its group edge, at most one
  }
  // step 4
  snapNodeCount = SNAP_GROUPS + orderLen;
  snapNodes = pageAlloc(<usize>snapNodeCount << 4, PURPOSE_TABLE);
  if (!snapNodes || edges * 12 > 0x7fffffff) { snapEnd(); return 0; }
  snapEdges = pageAlloc(<usize>edges * 12, PURPOSE_TABLE);
  if (!snapEdges) { snapEnd(); return 0; }
  edgeAt = snapEdges;
  edgeEnd = snapEdges + <usize>edges * 12;
  const groups = groupCount[SNAP_HANDLES] + groupCount[SNAP_IMMORTAL] + groupCount[SNAP_GARBAGE];
  synthetic(SNAP_ROOT, 1, 3);
  for (let g: u32 = 1; g < SNAP_GROUPS; g++) { store<u32>(edgeAt, SNAP_EDGE_ELEMENT); store<u32>(edgeAt, g - 1, 4); store<u32>(edgeAt, g, 8); edgeAt += 12; }
  for (let g: u32 = 1; g < SNAP_GROUPS; g++) {
    synthetic(g, 1 + 2 * g, groupCount[g]);
    let k: u32 = 0;
    for (let i: u32 = 0; i < orderLen; i++) {
      if (load<u32>(queue + (<usize>i << 2)) != g) continue;
      store<u32>(edgeAt, SNAP_EDGE_ELEMENT); store<u32>(edgeAt, k++, 4); store<u32>(edgeAt, SNAP_GROUPS + i, 8);
      edgeAt += 12;
    }
  }
  mode = MODE_EMIT;
  for (let i: u32 = 0; i < orderLen; i++) {
    const o = orderAt(i);
    const e = idFind(nodes, o, idHash(o));
    const id = idOf(o);
    if (!id) { snapEnd(); return 0; }
    const r = snapNodes + (<usize>(SNAP_GROUPS + i) << 4);
    store<u32>(r, typeId(o));
    store<u32>(r, id, 4);
    store<u32>(r, <u32>sizeOf(o), 8);
    store<u32>(r, load<u32>(e, N_EDGES), 12);
    edgesOf(o);
  }
  snapEdgeCount = <u32>((edgeAt - snapEdges) / 12);
  if (PYHEAP_DEBUG) assert(<u64>snapEdgeCount == edges - <u64>(orderLen - groups), "snapshot: edge count");
  releaseWalk();
  return 1;
}

function synthetic(g: u32, id: u32, edges: u32): void {
  const r = snapNodes + (<usize>g << 4);
  store<u32>(r, SNAP_SYNTHETIC + g);
  store<u32>(r, id, 4);
  store<u32>(r, 0, 8);
  store<u32>(r, edges, 12);
}

/** The group a node hangs from (0: none). */
function groupOf(o: usize, e: usize): u32 {
  if (isImmortal(o)) return SNAP_IMMORTAL;
  if (<u64>load<u32>(o) > <u64>load<u32>(e, N_REFS)) return SNAP_HANDLES;
  return load<u32>(e, N_ORD) & REACHED ? 0 : SNAP_GARBAGE;
}

function releaseWalk(): void {
  const t = nodes;
  if (t.slots) pageFree(t.slots, PURPOSE_TABLE);
  t.slots = 0; t.mask = 0; t.used = 0; t.fill = 0;
  if (order) pageFree(order, PURPOSE_TABLE);
  order = 0; orderLen = 0; orderCap = 0;
  if (queue) pageFree(queue, PURPOSE_TABLE);
  queue = 0; queueLen = 0;
}

/** Everything goes back (the records too). */
export function snapEnd(): void {
  releaseWalk();
  if (snapNodes) pageFree(snapNodes, PURPOSE_TABLE);
  if (snapEdges) pageFree(snapEdges, PURPOSE_TABLE);
  snapNodes = 0; snapEdges = 0; snapNodeCount = 0; snapEdgeCount = 0;
}

// ---- leaks.mark() / since(mark) ----
function giveId(o: usize, arg: usize): void { if (!failed && !idOf(o)) failed = true; }

/** Gives every live object an id; the mark: every later object's id is at least it. 0: memory short. */
export function snapMark(): u32 {
  failed = false;
  if (!liveEach(giveId, 0) || failed) return 0;
  return nextId;
}

//   since record (3 words): type id | bytes (the block's usable size) | traceback (0: none)
export let sinceRecords: usize = 0;
export let sinceCount: u32 = 0;
let sinceCap: u32 = 0;
let sinceMark: u32 = 0;
function sinceOne(o: usize, arg: usize): void {
  if (failed) return;
  const id = idOf(o);
  if (!id) { failed = true; return; }
  if (id < sinceMark) return;
  if (sinceCount == sinceCap) {
    const cap: u32 = sinceCap ? sinceCap * 2 : 1024;
    const q = sinceRecords ? pageRealloc(sinceRecords, <usize>cap * 12, PURPOSE_TABLE) : pageAlloc(<usize>cap * 12, PURPOSE_TABLE);
    if (!q) { failed = true; return; }
    sinceRecords = q;
    sinceCap = cap;
  }
  const block = isGC(o) ? o - GC_HEAD : o;
  const r = sinceRecords + <usize>sinceCount * 12;
  store<u32>(r, typeId(o));
  store<u32>(r, <u32>objUsableSize(block), 4);
  store<u32>(r, tmTracing ? <u32>tmBlockTraceback(block) : 0, 8);
  sinceCount++;
}

/** The live objects whose id is at least mark, as since records. 1, or 0 (memory short; nothing kept). */
export function snapSince(mark: u32): i32 {
  sinceEnd();
  failed = false;
  sinceMark = mark;
  if (!liveEach(sinceOne, 0) || failed) { sinceEnd(); return 0; }
  return 1;
}

export function sinceEnd(): void {
  if (sinceRecords) pageFree(sinceRecords, PURPOSE_TABLE);
  sinceRecords = 0; sinceCount = 0; sinceCap = 0;
}
