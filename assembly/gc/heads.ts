// gc/heads.ts — the GC head, the generations and tracking.
//
// CPython counterparts: PyGC_Head and its flag bits (Include/internal/pycore_gc.h),
// _PyObject_GC_TRACK / _PyObject_GC_UNTRACK / _PyObject_GC_IS_TRACKED
// (Include/internal/pycore_object.h), the gc_generation heads and generations[0].count
// of struct _gc_runtime_state.
//
//   container block (object domain)
//   +-----------+-----------+
//   |  gc_next  |  gc_prev  |   the GC head, GC_HEAD = 8 bytes (CPython: 16)
//   +-----------+-----------+
//   obj -> refcnt, type, ...    (object/header.ts)
//
//   gc_next   0 <=> untracked; else the next GC head of the object's generation list
//   gc_prev   previous GC head | PREV_FINALIZED (1) | PREV_COLLECTING (2)
//             (gc/lists.ts: what the words hold while a collection runs)
//
// While an untracked container is being torn down (object/dealloc.ts), its two words
// are free and hold the teardown stack instead: gc_next the container below it on the
// stack, gc_prev how many of its children were dropped (deadCursor).
//
// Invariants kept here: a tracked object's GC head is on exactly one generation list;
// generation lists are circular and doubly linked, with sentinel heads that carry no
// flags; tracking appends at the tail of generation 0; untracking keeps only
// PREV_FINALIZED.

export const GC_HEAD: usize = 8;
export const PREV_FINALIZED: u32 = 1;
export const PREV_COLLECTING: u32 = 2;
export const PREV_MASK: u32 = ~3;

// ---- generations ---------------------------------------------------------------------
export const NUM_GENERATIONS: i32 = 3;
/** The heads of generations 0, 1, 2 and the permanent generation (gc.freeze). */
export const generations: usize = memory.data(NUM_GENERATIONS * 8 + 8);
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

// ---- tracking ------------------------------------------------------------------------
// @ts-ignore: decorator
@inline export function isTracked(o: usize): bool { return load<u32>(o - GC_HEAD) != 0; }

/** _PyObject_GC_TRACK: link at the tail of generation 0. */
// @ts-ignore: decorator
@inline export function track(o: usize): void {
  const g = o - GC_HEAD;
  if (PYHEAP_DEBUG) assert(load<u32>(g) == 0, "track: object already tracked");
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
  if (PYHEAP_DEBUG) assert(load<u32>(prev) == <u32>g && (load<u32>(next, 4) & PREV_MASK) == <u32>g, "untrack: list links broken");
  store<u32>(prev, next);
  store<u32>(next, (load<u32>(next, 4) & ~PREV_MASK) | prev, 4);
  store<u32>(g, 0);
  store<u32>(g, prevWord & PREV_FINALIZED, 4);
}

// ---- the teardown stack's words (object/dealloc.ts) -------------------------------------
/** How many of a dying container's children were dropped so far. */
// @ts-ignore: decorator
@inline export function deadCursor(o: usize): u32 { return load<u32>(o - GC_HEAD, 4); }
// @ts-ignore: decorator
@inline export function setDeadCursor(o: usize, c: u32): void { store<u32>(o - GC_HEAD, c, 4); }
