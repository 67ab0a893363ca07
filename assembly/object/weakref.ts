// object/weakref.ts — weak references: the weakref and proxy objects, each referent's
// list of them, and their clearing when a referent dies by refcount.
//
// CPython counterparts: Objects/weakrefobject.c (PyWeakReference, new_weakref,
// get_basic_refs, insert_head/insert_after, clear_weakref, _PyWeakref_ClearRef,
// PyObject_ClearWeakRefs, weakref_hash's cache, weakref_dealloc,
// _PyWeakref_GetWeakrefCount). The collector's part, handle_weakrefs, is in
// gc/handle_weakrefs.ts, as it is in Modules/gcmodule.c.
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

import { TYPE_WEAKREF, TYPE_PROXY, TF_WEAKREF, OF_WEAKREFS, typeId, flagsOf } from "./header";
import { fail, ERR_TYPE, ERR_MEMORY, lastError, lastErrorType } from "./errors";
import { IdTable, idTableAt, ID_TABLE_BYTES, idHash, idFind, idReserve, idInsert, idRemove } from "../alloc/idtable";
import { GC_HEAD, track } from "../gc/heads";
import { newGCObject, freeGCObject } from "../gc/alloc";
import { incref, decref, decrefCall } from "./refcount";
import { listNewInCollector, listAppend as pyListAppend, tupleNew } from "./sequences";

// @ts-ignore: decorator
@external("env", "weakref_callback")
declare function hostCallback(callback: u32, wr: usize, fromCollector: i32): void;
// @ts-ignore: decorator
@external("env", "weakref_forget")
declare function hostForget(callback: u32): void;

// ---- layout ----
const WR_OBJECT: usize = 8;
const WR_CALLBACK: usize = 12;
const WR_PREV: usize = 16;
const WR_NEXT: usize = 20;
const WR_HASH: usize = 24;
const WR_BYTES: usize = 28;

// @ts-ignore: decorator
@inline export function wrObject(wr: usize): usize { return load<u32>(wr, WR_OBJECT); }
// @ts-ignore: decorator
@inline export function wrCallback(wr: usize): u32 { return load<u32>(wr, WR_CALLBACK); }
// @ts-ignore: decorator
@inline function wrPrev(wr: usize): usize { return load<u32>(wr, WR_PREV); }
// @ts-ignore: decorator
@inline function wrNext(wr: usize): usize { return load<u32>(wr, WR_NEXT); }
// @ts-ignore: decorator
@inline export function wrHash(wr: usize): i32 { return load<i32>(wr, WR_HASH); }
// @ts-ignore: decorator
@inline export function setWrHash(wr: usize, h: i32): void { store<i32>(wr, h, WR_HASH); }
// @ts-ignore: decorator
@inline function setWrObject(wr: usize, o: usize): void { store<u32>(wr, <u32>o, WR_OBJECT); }
// @ts-ignore: decorator
@inline function setWrCallback(wr: usize, cb: u32): void { store<u32>(wr, cb, WR_CALLBACK); }
// @ts-ignore: decorator
@inline function setWrPrev(wr: usize, p: usize): void { store<u32>(wr, <u32>p, WR_PREV); }
// @ts-ignore: decorator
@inline function setWrNext(wr: usize, n: usize): void { store<u32>(wr, <u32>n, WR_NEXT); }
// @ts-ignore: decorator
@inline export function isWeakref(o: usize): bool { const t = typeId(o); return t == TYPE_WEAKREF || t == TYPE_PROXY; }

// ---- the side table: referent -> head of its list (an IdTable of (referent, head) pairs) ----
const lists: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 8, false);
function rehash(k: usize): u32 { return idHash(k); }

/** The head of o's list, or 0. */
export function listHead(o: usize): usize {
  if (!(load<u32>(o, 4) & OF_WEAKREFS)) return 0;
  const e = idFind(lists, o, idHash(o));
  return e ? <usize>load<u32>(e, 4) : 0;
}

/** Sets o's list head (0 = o has no weakrefs any more). false = no memory (nothing changed). */
function setListHead(o: usize, head: usize): bool {
  let e = idFind(lists, o, idHash(o));
  if (!head) {
    if (e) idRemove(lists, e, false);
    store<u32>(o, load<u32>(o, 4) & ~OF_WEAKREFS, 4);
    return true;
  }
  if (!e) {
    if (!idReserve(lists, 64, rehash)) return false;
    e = idInsert(lists, o, idHash(o));
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
  const wr = newGCObject(proxy ? TYPE_PROXY : TYPE_WEAKREF, WR_BYTES);
  if (!wr) return dropHeld(o);
  setWrObject(wr, o);
  setWrCallback(wr, callback);
  setWrPrev(wr, 0);
  setWrNext(wr, 0);
  setWrHash(wr, -1);
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
    setWrNext(wr, head);
    if (head) setWrPrev(head, wr);
  } else {
    const next = wrNext(prev);
    setWrPrev(wr, prev);
    setWrNext(wr, next);
    setWrNext(prev, wr);
    if (next) setWrPrev(next, wr);
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
export function callCallback(cb: u32, wr: usize, fromCollector: i32): void {
  incref(wr);
  hostCallback(cb, wr, fromCollector);
  decrefCall(wr);
}

/** _PyWeakref_ClearRef: the referent is gone for this weakref (callback kept). */
export function clearRef(wr: usize): void {
  const o = wrObject(wr);
  if (!o) return;
  const prev = wrPrev(wr), next = wrNext(wr);
  if (prev) setWrNext(prev, next);
  else setListHead(o, next);   // removing never needs memory
  if (next) setWrPrev(next, prev);
  setWrObject(wr, 0);
  setWrPrev(wr, 0);
  setWrNext(wr, 0);
}

/** clear_weakref: clearRef and the callback dropped (weakref death, tp_clear). */
export function clearWeakref(wr: usize): void {
  clearRef(wr);
  const cb = wrCallback(wr);
  if (cb) {
    setWrCallback(wr, 0);
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
    setWrCallback(first, 0);          // wr.__callback__ is None during its call, as in CPython
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
  const tuple = tupleNew(count * 2);
  first = listHead(o);
  if (!first) {
    if (tuple) decrefCall(tuple);
    return;
  }
  setListHead(o, 0);
  for (let wr = first; wr; ) {
    const next = wrNext(wr);
    incref(wr);
    setWrObject(wr, 0);
    setWrPrev(wr, next);   // the chain
    setWrNext(wr, 0);
    wr = next;
  }
  for (let wr = first; wr; wr = wrPrev(wr)) {
    const cb = wrCallback(wr);
    if (!cb) continue;
    setWrCallback(wr, 0);             // wr.__callback__ is None during its call, as in CPython
    callCallback(cb, wr, 0);
    hostForget(cb);
  }
  for (let wr = first; wr; ) {
    const next = wrPrev(wr);
    setWrPrev(wr, 0);
    decrefCall(wr);
    wr = next;
  }
  if (tuple) decrefCall(tuple);
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

// @ts-ignore: decorator
@inline export function weakrefSizeof(wr: usize): usize { return (GC_HEAD + WR_BYTES + 7) & ~7; }
