// object/header.ts — the object header, the GC head, type ids, reference counts.
//
// CPython counterparts: PyObject / PyVarObject (Include/object.h), PyGC_Head and
// _PyObject_GC_TRACK/_UNTRACK (Include/internal/pycore_gc.h, pycore_object.h),
// Py_INCREF/Py_DECREF (Include/object.h), _PyType_PreHeaderSize.
//
// Every object, 32-bit words (wasm32: a pointer is 4 bytes, half of CPython's):
//
//            +-----------+-----------+
//   (GC)     |  gc_next  |  gc_prev  |   PyGC_Head, only for container types
//            +-----------+-----------+
//   obj ->   |  refcnt   |   type    |   PyObject: the id of an object is this address
//            +-----------+-----------+
//            | type-specific fields ...  (variable-size objects start with their size)
//
//   type word:  bits 0..23 the type id (TYPE_* below, classes from FIRST_CLASS)
//               bits 24..31 per-object flags (OF_*)
//   gc_next:    0 <=> untracked; otherwise the next object's GC head
//   gc_prev:    previous GC head | flag bits (PREV_FINALIZED = 1, PREV_COLLECTING = 2)
//
// Immortal objects (None, True, False, small ints, the empty tuple, str and bytes,
// attribute names) have refcnt == IMMORTAL_REFCNT: every refcount operation tests
// the sign bit and leaves them alone (PEP 683's scheme, 3.12+).
//
// Invariants kept here:
//   - a tracked object's GC head is on exactly one generation list;
//   - refcnt counts every reference held by other objects and by host handles;
//   - an object whose refcnt reaches 0 is deallocated at once (object/dealloc.ts),
//     except while it is being finalized (its del hook holds a temporary reference).

import { objMalloc, objFree } from "../alloc/obmalloc";
import { pageAlloc, PURPOSE_TABLE } from "../alloc/pages";
import { debugReserve, debugRegister, debugUnregister } from "./debug";
import { collectAutomatic } from "../gc/collect";

// ---- type ids ---------------------------------------------------------------
export const TYPE_NONE: u32 = 1;
export const TYPE_BOOL: u32 = 2;
export const TYPE_INT: u32 = 3;
export const TYPE_FLOAT: u32 = 4;
export const TYPE_STR: u32 = 5;
export const TYPE_BYTES: u32 = 6;
export const TYPE_BYTEARRAY: u32 = 7;
export const TYPE_TUPLE: u32 = 8;
export const TYPE_LIST: u32 = 9;
export const TYPE_DICT: u32 = 10;
export const TYPE_SET: u32 = 11;
export const TYPE_FROZENSET: u32 = 12;
export const TYPE_MEMORYVIEW: u32 = 13;
export const TYPE_WEAKREF: u32 = 14;
export const TYPE_PROXY: u32 = 15;
/** Host-defined classes take ids from here on (object/instance.ts). */
export const FIRST_CLASS: u32 = 32;

export const TYPE_MASK: u32 = 0x00ffffff;
/** str/bytes: the hash field holds the cached hash. */
export const OF_HASHED: u32 = 1 << 24;
/** str: in the intern table (mortal interning: the table holds no reference). */
export const OF_INTERNED: u32 = 1 << 25;
/** The object has weak references (its list is in gc/weakref.ts's side table). */
export const OF_WEAKREFS: u32 = 1 << 26;

export const IMMORTAL_REFCNT: u32 = 0xffffffff;

// ---- GC head ------------------------------------------------------------------
export const GC_HEAD: usize = 8;
export const PREV_FINALIZED: u32 = 1;
export const PREV_COLLECTING: u32 = 2;
export const PREV_MASK: u32 = ~3;

// @ts-ignore: decorator
@inline export function typeId(o: usize): u32 { return load<u32>(o, 4) & TYPE_MASK; }
// @ts-ignore: decorator
@inline export function refcnt(o: usize): u32 { return load<u32>(o); }
// @ts-ignore: decorator
@inline export function isImmortal(o: usize): bool { return <i32>load<u32>(o) < 0; }

// ---- errors ---------------------------------------------------------------------
// Engine functions that can fail return 0 (or a negative status) and leave the
// reason here; the host turns it into the matching PyError.
export const ERR_NONE: i32 = 0;
export const ERR_MEMORY: i32 = 1;
export const ERR_INDEX: i32 = 2;
export const ERR_KEY: i32 = 3;
export const ERR_UNHASHABLE: i32 = 4;
export const ERR_BUFFER: i32 = 5;
export const ERR_RECURSION: i32 = 6;
export const ERR_TYPE: i32 = 7;
export const ERR_VALUE: i32 = 8;
/** The first error's kind and the type id it concerns (for messages). */
export let lastError: i32 = 0;
export let lastErrorType: u32 = 0;
// @ts-ignore: decorator
@inline export function fail(kind: i32, type: u32 = 0): usize {
  lastError = kind;
  lastErrorType = type;
  return 0;
}

// ---- type table -----------------------------------------------------------------
// One u32 of flags per type id (built-in and classes), and a u32 of slot count.
export const TF_GC: u32 = 1;          // has a GC head (a container type)
export const TF_HASHABLE: u32 = 2;    // usable as a dict key / set element
export const TF_SLOTS: u32 = 4;       // class with __slots__ (else attributes in a table)
export const TF_DEL: u32 = 8;         // class with a del hook (__del__, tp_finalize)
export const TF_LEGACY_DEL: u32 = 16; // class with a legacy tp_del hook
export const TF_WEAKREF: u32 = 32;    // instances accept weak references
export const TF_INSTANCE: u32 = 64;   // a host-defined class

/** Classes a heap can define, built-in types included (32 KiB of tables). */
export const MAX_TYPES: u32 = 4096;
let typeFlags: usize = 0;   // u32[MAX_TYPES]
let typeSlots: usize = 0;   // u32[MAX_TYPES]

// ---- the static area ----------------------------------------------------------------
// The type table and the immortal objects live in one block taken from the page layer
// at start-up (like CPython's statically allocated objects): they are not pool
// blocks, so the allocator's statistics of a new heap show only what programs made.
const STATIC_BYTES: usize = 40 * 1024;
let staticTop: usize = 0;
let staticEnd: usize = 0;

export function staticInit(): bool {
  const p = pageAlloc(STATIC_BYTES, PURPOSE_TABLE);
  if (!p) return false;
  memory.fill(p, 0, STATIC_BYTES);
  staticTop = p;
  staticEnd = p + STATIC_BYTES;
  return true;
}

/** n zeroed, 8-aligned bytes of the static area (start-up only). */
export function staticAlloc(n: usize): usize {
  const p = (staticTop + 7) & ~7;
  staticTop = p + n;
  if (staticTop > staticEnd) unreachable(); // STATIC_BYTES too small: a build error
  return p;
}
export let ntypes: u32 = FIRST_CLASS;

export function typesInit(): bool {
  typeFlags = staticAlloc(MAX_TYPES * 4);
  typeSlots = staticAlloc(MAX_TYPES * 4);
  const H = TF_HASHABLE;
  setType(TYPE_NONE, H);
  setType(TYPE_BOOL, H);
  setType(TYPE_INT, H);
  setType(TYPE_FLOAT, H);
  setType(TYPE_STR, H);
  setType(TYPE_BYTES, H);
  setType(TYPE_BYTEARRAY, 0);
  setType(TYPE_TUPLE, TF_GC | H);
  setType(TYPE_LIST, TF_GC);
  setType(TYPE_DICT, TF_GC);
  setType(TYPE_SET, TF_GC | TF_WEAKREF);
  setType(TYPE_FROZENSET, TF_GC | H | TF_WEAKREF);
  setType(TYPE_MEMORYVIEW, TF_GC | TF_WEAKREF);
  setType(TYPE_WEAKREF, TF_GC | H);
  setType(TYPE_PROXY, TF_GC);
  return true;
}

function setType(t: u32, flags: u32): void {
  store<u32>(typeFlags + (<usize>t << 2), flags);
}

/** A new class id; 0 when the table is full. */
export function defineType(flags: u32, nslots: u32): u32 {
  if (ntypes >= MAX_TYPES) return 0;
  const t = ntypes++;
  store<u32>(typeFlags + (<usize>t << 2), flags | TF_GC | TF_HASHABLE | TF_INSTANCE);
  store<u32>(typeSlots + (<usize>t << 2), nslots);
  return t;
}

// @ts-ignore: decorator
@inline export function flagsOf(t: u32): u32 { return load<u32>(typeFlags + (<usize>t << 2)); }
// @ts-ignore: decorator
@inline export function slotsOf(t: u32): u32 { return load<u32>(typeSlots + (<usize>t << 2)); }
// @ts-ignore: decorator
@inline export function isGC(o: usize): bool { return (flagsOf(typeId(o)) & TF_GC) != 0; }

// ---- allocation -----------------------------------------------------------------
// Objects come from the object domain (pymalloc for <= 512 bytes). A container's
// block starts GC_HEAD bytes before the object.
//
// A container's allocation has two steps, as CPython's _PyObject_GC_New/_Link: its
// memory (gcAlloc: nothing else can happen, and a failure changes nothing), then its
// link (gcLink: counted in count[0], where the allocation that passes threshold 0
// runs a collection, which runs host code: del hooks, weakref and gc callbacks).
// Constructors that store arguments take the memory first, then hold the arguments
// (store them, each incref'd: the references CPython's evaluation stack holds during
// the call), then link: host code run by the collection cannot free an argument that
// is about to be stored. Memory a constructor still needs after its link (a list's
// items, a dict's table) is taken before the link too when its size is known.

/** A new object with refcnt 1 and the given type, or 0 (ERR_MEMORY). */
// @ts-ignore: decorator
@inline export function newObject(type: u32, size: usize): usize {
  if (PYHEAP_DEBUG && !debugReserve()) return fail(ERR_MEMORY);
  const p = objMalloc(size);
  if (!p) return fail(ERR_MEMORY);
  store<u32>(p, 1);
  store<u32>(p, type, 4);
  if (PYHEAP_DEBUG) debugRegister(p);
  return p;
}

/** The block at p as a container object: GC head zeroed (untracked), refcnt 1. */
// @ts-ignore: decorator
@inline function gcObjectAt(p: usize, type: u32): usize {
  store<u64>(p, 0);
  const o = p + GC_HEAD;
  store<u32>(o, 1);
  store<u32>(o, type, 4);
  if (PYHEAP_DEBUG) debugRegister(o);
  return o;
}

/**
 * A container's memory: header set (refcnt 1), GC head zeroed (untracked), not yet
 * counted; or 0 (ERR_MEMORY). Runs no host code. gcLink() it, or gcFreeUnlinked().
 */
// @ts-ignore: decorator
@inline export function gcAlloc(type: u32, size: usize): usize {
  if (PYHEAP_DEBUG && !debugReserve()) return fail(ERR_MEMORY);
  const p = objMalloc(size + GC_HEAD);
  if (!p) return fail(ERR_MEMORY);
  return gcObjectAt(p, type);
}

/**
 * _PyObject_GC_Link: counts a container allocation; the one that takes count[0] past
 * threshold 0 runs a collection (CPython 3.11), before the caller tracks the object.
 */
// @ts-ignore: decorator
@inline export function gcLink(): void {
  if (++gcCount0 > gcTrigger) collectAutomatic();
}

/** Frees a container that gcAlloc made and nobody linked. */
// @ts-ignore: decorator
@inline export function gcFreeUnlinked(o: usize): void {
  if (PYHEAP_DEBUG) debugUnregister(o);
  objFree(o - GC_HEAD);
}

/** A new container object, GC head zeroed (untracked), refcnt 1; or 0. May collect. */
// @ts-ignore: decorator
@inline export function newGCObject(type: u32, size: usize): usize {
  const o = gcAlloc(type, size);
  if (!o) return 0;
  gcLink();
  return o;
}

/**
 * newGCObject, not inlined: for allocations that deallocation reaches (the tuple of
 * PyObject_ClearWeakRefs). The inlined allocation path may run a collection, which
 * deallocates: it must not contain itself.
 */
export function newGCObjectOutOfLine(type: u32, size: usize): usize {
  const o = gcAlloc(type, size);
  if (!o) return 0;
  if (++gcCount0 > gcTrigger) collectAutomatic();   // gcLink, written out (not inlined into itself)
  return o;
}

/**
 * newGCObject for the collector's own objects (gc.garbage, get_objects' results): it
 * counts the allocation but never starts a collection (none may start inside one), and
 * not being inlined, it keeps the collector out of the allocation path's inlining.
 */
export function newGCObjectInCollector(type: u32, size: usize): usize {
  const o = gcAlloc(type, size);
  if (!o) return 0;
  gcCount0++;
  return o;
}

// @ts-ignore: decorator
@inline export function freeObject(o: usize): void {
  if (PYHEAP_DEBUG) debugUnregister(o);
  objFree(o);
}
// @ts-ignore: decorator
@inline export function freeGCObject(o: usize): void {
  // Reuse from a free list and return to one change no count (CPython 3.11).
  if (gcCount0 > 0) gcCount0--;
  if (PYHEAP_DEBUG) debugUnregister(o);
  objFree(o - GC_HEAD);
}

// ---- generations (the collector issue walks them; here: tracking) ---------------
// Each generation is a circular doubly linked list of GC heads with a sentinel head
// of its own, like CPython's gc_generation.head. Objects are tracked at the tail of
// generation 0 (young).
export const NUM_GENERATIONS: i32 = 3;
export const generations: usize = memory.data(NUM_GENERATIONS * 8 + 8); // 3 heads + permanent
/** CPython's generations[0].count: container allocations minus deallocations. */
export let gcCount0: i32 = 0;
/**
 * The count[0] above which an allocation starts a collection: threshold 0, or
 * i32.MAX_VALUE while collection is disabled, running, or threshold 0 is 0
 * (gc/collect.ts keeps it), so that the allocation path tests one number.
 */
export let gcTrigger: i32 = 700;
export function setGcCount0(v: i32): void { gcCount0 = v; }
export function setGcTrigger(v: i32): void { gcTrigger = v; }

export function generationsInit(): void {
  for (let g: usize = 0; g <= <usize>NUM_GENERATIONS; g++) {
    const h = generations + (g << 3);
    store<u32>(h, h);
    store<u32>(h, h, 4);
  }
}

// @ts-ignore: decorator
@inline export function isTracked(o: usize): bool { return load<u32>(o - GC_HEAD) != 0; }

/** _PyObject_GC_TRACK: link at the tail of generation 0. */
// @ts-ignore: decorator
@inline export function track(o: usize): void {
  const g = o - GC_HEAD;
  const head = generations;
  const last = load<u32>(head, 4) & PREV_MASK;
  store<u32>(last, g);
  store<u32>(g, (load<u32>(g, 4) & ~PREV_MASK) | last, 4);
  store<u32>(g, head);
  store<u32>(head, g, 4);
}

/** _PyObject_GC_UNTRACK: unlink, keep only the FINALIZED flag; tolerates untracked. */
// @ts-ignore: decorator
@inline export function untrack(o: usize): void {
  const g = o - GC_HEAD;
  const next = load<u32>(g);
  if (!next) return;
  const prevWord = load<u32>(g, 4);
  const prev = prevWord & PREV_MASK;
  store<u32>(prev, next);
  store<u32>(next, (load<u32>(next, 4) & ~PREV_MASK) | prev, 4);
  store<u32>(g, 0);
  store<u32>(g, prevWord & PREV_FINALIZED, 4);
}

// ---- the immortal singletons -------------------------------------------------------
// (True, False and the small ints: object/numbers.ts; the empty str/bytes: object/strings.ts)
export let NONE: usize = 0;

export function noneInit(): bool {
  NONE = staticAlloc(8);
  immortal(NONE);
  store<u32>(NONE, TYPE_NONE, 4);
  return true;
}

export function immortal(o: usize): usize {
  store<u32>(o, IMMORTAL_REFCNT);
  if (PYHEAP_DEBUG) { if (debugReserve()) debugRegister(o); else unreachable(); } // start-up: the first table has room
  return o;
}
