// gc/weakref.ts — weak references: the weakref and proxy objects, each referent's list
// of them, clearing at death (refcount and collector), and the callbacks.
//
// CPython counterparts: Objects/weakrefobject.c (PyWeakReference, new_weakref,
// get_basic_refs, insert_head/insert_after, clear_weakref, _PyWeakref_ClearRef,
// PyObject_ClearWeakRefs, weakref_hash, weakref_richcompare, _PyWeakref_GetWeakrefCount)
// and Modules/gcmodule.c's handle_weakrefs.
//
//   weakref / proxy (a container, as in CPython)
//   (GC head)
//   +----------+
//   | refcnt   |
//   | type     |  TYPE_WEAKREF or TYPE_PROXY
//   | object   |  the referent, 0 once it died (wr_object = None)
//   | callback |  the host's callback number, 0 for none
//   | prev     |  the referent's list of weakrefs (doubly linked)
//   | next     |
//   | hash     |  cached hash of the referent (weakref_hash), -1 until computed
//   +----------+  28 bytes + GC head (CPython: 80)
//
// Where the lists live: not in the objects (objects that never get a weakref pay
// nothing). A side table maps a referent to the head of its list, and the referent's
// type word has OF_WEAKREFS while the list is not empty, so that deallocation looks
// the table up only for objects that have weakrefs.
//
// List order, as CPython's: the callback-less ref (shared by every ref(o) without a
// callback) first, then the callback-less proxy, then the refs with callbacks, the
// newest first. Callbacks therefore run from the most recently registered to the oldest.
//
// Callbacks are host functions: the engine keeps their numbers, calls
// env.weakref_callback(number, weakref, fromCollector) with the weakref alive (one
// temporary reference; fromCollector 1 in handle_weakrefs, 0 at a referent's refcount
// death), and env.weakref_forget(number) when the weakref dies.

import {
  TYPE_WEAKREF, TYPE_PROXY, TF_WEAKREF, OF_WEAKREFS, GC_HEAD, newGCObject, freeGCObject, track,
  typeId, flagsOf, fail, ERR_TYPE, ERR_MEMORY, lastError, lastErrorType,
} from "../object/header";
import { incref, decref, decrefCall } from "../object/refcount";
import { objMalloc, objFree } from "../alloc/obmalloc";
import { listNewInCollector, listAppend as pyListAppend, tupleNewInDealloc } from "../object/sequences";
import { gcNext, isCollecting, listInit, listIsEmpty, listMove } from "./lists";

// @ts-ignore: decorator
@external("env", "weakref_callback")
declare function hostCallback(callback: u32, wr: usize, fromCollector: i32): void;
// @ts-ignore: decorator
@external("env", "weakref_forget")
declare function hostForget(callback: u32): void;

// @ts-ignore: decorator
@inline export function wrObject(wr: usize): usize { return load<u32>(wr, 8); }
// @ts-ignore: decorator
@inline export function wrCallback(wr: usize): u32 { return load<u32>(wr, 12); }
// @ts-ignore: decorator
@inline function wrPrev(wr: usize): usize { return load<u32>(wr, 16); }
// @ts-ignore: decorator
@inline function wrNext(wr: usize): usize { return load<u32>(wr, 20); }
// @ts-ignore: decorator
@inline export function isWeakref(o: usize): bool { const t = typeId(o); return t == TYPE_WEAKREF || t == TYPE_PROXY; }

// ---- the side table: referent -> head of its list ------------------------------------------
// Open addressing over (key, value) pairs; key 0 = empty, 1 = deleted.
let table: usize = 0;
let mask: u32 = 0;
let used: u32 = 0;
let fill: u32 = 0;

// @ts-ignore: decorator
@inline function slotOf(o: usize): u32 { return <u32>(o >> 3) * 0x9e3779b1; }

function tableFind(o: usize): usize {
  if (!table) return 0;
  let i = slotOf(o) & mask;
  while (true) {
    const e = table + (<usize>i << 3);
    const k = load<u32>(e);
    if (k == 0) return 0;
    if (k == <u32>o) return e;
    i = (i + 1) & mask;
  }
}

function tableGrow(): bool {
  const old = table, oldSize = old ? mask + 1 : 0;
  let size: u32 = 64;
  while (size < (used + 1) * 4) size <<= 1;
  const t = objMalloc(<usize>size << 3);
  if (!t) return false;
  memory.fill(t, 0, <usize>size << 3);
  table = t;
  mask = size - 1;
  fill = used;
  for (let j: u32 = 0; j < oldSize; j++) {
    const e = old + (<usize>j << 3);
    const k = load<u32>(e);
    if (k <= 1) continue;
    let i = slotOf(k) & mask;
    while (load<u32>(table + (<usize>i << 3))) i = (i + 1) & mask;
    store<u64>(table + (<usize>i << 3), load<u64>(e));
  }
  if (old) objFree(old);
  return true;
}

/** The head of o's list, or 0. */
export function listHead(o: usize): usize {
  if (!(load<u32>(o, 4) & OF_WEAKREFS)) return 0;
  const e = tableFind(o);
  return e ? <usize>load<u32>(e, 4) : 0;
}

/** Sets o's list head (0 = o has no weakrefs any more). false = no memory (nothing changed). */
function setListHead(o: usize, head: usize): bool {
  let e = tableFind(o);
  if (!head) {
    if (e) {
      store<u32>(e, 1);
      store<u32>(e, 0, 4);
      if (--used == 0) {
        // no object has weakrefs any more: the table goes (a heap's blocks return to what they were)
        objFree(table);
        table = 0;
        mask = 0;
        fill = 0;
      }
    }
    store<u32>(o, load<u32>(o, 4) & ~OF_WEAKREFS, 4);
    return true;
  }
  if (!e) {
    if ((!table || (fill + 1) * 2 > mask + 1) && !tableGrow()) return false;
    let i = slotOf(o) & mask;
    while (load<u32>(table + (<usize>i << 3)) > 1) i = (i + 1) & mask;
    e = table + (<usize>i << 3);
    if (load<u32>(e) == 0) fill++;
    store<u32>(e, <u32>o);
    used++;
  }
  store<u32>(e, <u32>head, 4);
  store<u32>(o, load<u32>(o, 4) | OF_WEAKREFS, 4);
  return true;
}

// ---- creation ----------------------------------------------------------------------------

/**
 * get_basic_refs: the shared callback-less ref (proxy false) or proxy (proxy true) at
 * the head of o's list, or 0. (Answers in its result: host code can run between two
 * calls, and a module-level answer would be overwritten by a nested one.)
 */
function basicRefOf(o: usize, proxy: bool): usize {
  let head = listHead(o);
  if (!head || wrCallback(head)) return 0;
  if (typeId(head) == TYPE_WEAKREF) {
    if (!proxy) return head;
    head = wrNext(head);
  }
  return proxy && head && !wrCallback(head) && typeId(head) == TYPE_PROXY ? head : 0;
}

/**
 * weakref.ref(o, callback) (proxy = false) or weakref.proxy(o, callback): a new
 * reference, or 0 (ERR_TYPE: o does not accept weak references; ERR_MEMORY).
 * o is held during the call (its allocation may run a collection, whose host code may
 * drop every other reference to o); the last drop may then be this call's own, after
 * the weakref is in o's list (its callback runs then, as CPython's would).
 */
export function weakrefNew(o: usize, callback: u32, proxy: bool): usize {
  const t = typeId(o);
  if (!(flagsOf(t) & TF_WEAKREF)) return fail(ERR_TYPE, t);
  if (!callback) {
    const basic = basicRefOf(o, proxy);
    if (basic) { incref(basic); return basic; }
  }
  incref(o);
  const wr = newGCObject(proxy ? TYPE_PROXY : TYPE_WEAKREF, 28);
  if (!wr) return dropHeld(o);
  store<u32>(wr, <u32>o, 8);
  store<u32>(wr, callback, 12);
  store<u32>(wr, 0, 16);
  store<u32>(wr, 0, 20);
  store<i32>(wr, -1, 24);
  // the allocation may have run a collection that changed o's list: look again
  let prev: usize = 0;
  const basicRef = basicRefOf(o, false), basicProxy = basicRefOf(o, true);
  if (!callback) {
    const existing = proxy ? basicProxy : basicRef;
    if (existing) {
      freeGCObject(wr);
      incref(existing);
      decref(o);
      return existing;
    }
    prev = proxy ? basicRef : 0;
  } else {
    prev = basicProxy ? basicProxy : basicRef;
  }
  if (!prev) {
    const head = listHead(o);
    if (!setListHead(o, wr)) {
      freeGCObject(wr);
      fail(ERR_MEMORY);
      return dropHeld(o);
    }
    store<u32>(wr, <u32>head, 20);
    if (head) store<u32>(head, <u32>wr, 16);
  } else {
    const next = wrNext(prev);
    store<u32>(wr, <u32>prev, 16);
    store<u32>(wr, <u32>next, 20);
    store<u32>(prev, <u32>wr, 20);
    if (next) store<u32>(next, <u32>wr, 16);
  }
  track(wr);
  decref(o);
  return wr;
}

/** Drops the held o and returns 0, keeping the error (the drop may run host code). */
function dropHeld(o: usize): usize {
  const err = lastError, errType = lastErrorType;
  decref(o);
  return fail(err, errType);
}

// ---- clearing ------------------------------------------------------------------------------

/**
 * handle_callback: calls back with the weakref, which the call holds (as the callback's
 * Python frame holds its argument): a callback may release every other reference to it.
 */
function callCallback(cb: u32, wr: usize, fromCollector: i32): void {
  incref(wr);
  hostCallback(cb, wr, fromCollector);
  decrefCall(wr);
}

/** _PyWeakref_ClearRef: the referent is gone for this weakref (callback kept). */
export function clearRef(wr: usize): void {
  const o = wrObject(wr);
  if (!o) return;
  const prev = wrPrev(wr), next = wrNext(wr);
  if (prev) store<u32>(prev, <u32>next, 20);
  else setListHead(o, next);   // removing never needs memory
  if (next) store<u32>(next, <u32>prev, 16);
  store<u32>(wr, 0, 8);
  store<u32>(wr, 0, 16);
  store<u32>(wr, 0, 20);
}

/** clear_weakref: clearRef and the callback dropped (weakref death, tp_clear). */
export function clearWeakref(wr: usize): void {
  clearRef(wr);
  const cb = wrCallback(wr);
  if (cb) {
    store<u32>(wr, 0, 12);
    hostForget(cb);
  }
}

/**
 * PyObject_ClearWeakRefs, when o dies by refcount (after its del hook): every weakref
 * to o is cleared first, then the callbacks run in list order, each with its weakref.
 *
 * As in CPython: the callback-less ref and proxy (the head of the list) are cleared
 * first; a single remaining weakref is cleared and called back (held by the call
 * only); with two or more, CPython holds them in a new tuple of 2 * count items
 * while their callbacks run. That tuple is allocated here too (tracked, counted in
 * gc.get_count(), from and back to the tuple free list: found by tests/oracle), its
 * items left empty; the references are held by the chain: the cleared weakrefs stay
 * chained through their `prev` words (no longer a referent's list: `object` is 0 and
 * `next` 0), each holding a temporary reference, so that no callback can free a
 * weakref still to be visited.
 */
export function clearWeakrefsOnDeath(o: usize): void {
  let first = listHead(o);
  if (first && !wrCallback(first)) {
    clearRef(first);
    first = listHead(o);
    if (first && !wrCallback(first)) {
      clearRef(first);
      first = listHead(o);
    }
  }
  if (!first) return;
  if (!wrNext(first)) {
    const cb = wrCallback(first);
    store<u32>(first, 0, 12);          // wr.__callback__ is None during its call, as in CPython
    clearRef(first);
    if (cb) {
      callCallback(cb, first, 0);
      hostForget(cb);
    }
    return;
  }
  let count: i32 = 0;
  for (let wr = first; wr; wr = wrNext(wr)) count++;
  // (no memory for it: the callbacks run all the same; its allocation may have run a
  // collection whose callbacks changed o's list: look again)
  const tuple = tupleNewInDealloc(count * 2);
  first = listHead(o);
  if (!first) {
    if (tuple) decrefCall(tuple);
    return;
  }
  setListHead(o, 0);
  for (let wr = first; wr; ) {
    const next = wrNext(wr);
    incref(wr);
    store<u32>(wr, 0, 8);
    store<u32>(wr, <u32>next, 16);   // the chain
    store<u32>(wr, 0, 20);
    wr = next;
  }
  for (let wr = first; wr; wr = wrPrev(wr)) {
    const cb = wrCallback(wr);
    if (!cb) continue;
    store<u32>(wr, 0, 12);             // wr.__callback__ is None during its call, as in CPython
    callCallback(cb, wr, 0);
    hostForget(cb);
  }
  for (let wr = first; wr; ) {
    const next = wrPrev(wr);
    store<u32>(wr, 0, 16);
    decrefCall(wr);
    wr = next;
  }
  if (tuple) decrefCall(tuple);
}

/** handle_weakrefs (gc_collect_main step 8): returns how many weakrefs the callbacks freed. */
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

// ---- queries -------------------------------------------------------------------------------

export function weakrefCount(o: usize): u32 {
  let n: u32 = 0;
  for (let wr = listHead(o); wr; wr = wrNext(wr)) n++;
  return n;
}

/** weakref.getweakrefs(o): a new list, or 0 (no memory). */
export function weakrefList(o: usize): usize {
  const l = listNewInCollector();
  if (!l) return 0;
  for (let wr = listHead(o); wr; wr = wrNext(wr)) {
    if (!pyListAppend(l, wr)) { decref(l); return 0; }
  }
  return l;
}

/** weakref_dealloc's part: unlink from the referent, drop the callback. */
export function weakrefFinish(wr: usize): void {
  clearWeakref(wr);
  freeGCObject(wr);
}
