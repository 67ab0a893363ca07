// gc/lists.ts — the GC lists: circular doubly linked lists threaded through GC heads.
//
// CPython counterparts (Modules/gcmodule.c): gc_list_init, gc_list_is_empty,
// gc_list_append, gc_list_remove, gc_list_move, gc_list_merge, gc_list_size, and
// the accessors of PyGC_Head's two words (_gc_next, _gc_prev with its flag bits).
//
// A list is a sentinel head (8 bytes, the same two words as a GC head) and the GC
// heads of its objects; "node" below is a GC head address (object id - 8).
//
//   gc_next   next node; bit 0 = NEXT_MASK_UNREACHABLE while a collection runs
//   gc_prev   previous node | PREV_FINALIZED (1) | PREV_COLLECTING (2); while a
//             collection computes reachability, gc_prev >> 2 holds gc_refs instead of
//             the pointer, and the list being scanned is singly linked
//
// Sentinel heads never carry flags.

import { PREV_MASK, PREV_FINALIZED, PREV_COLLECTING } from "./heads";

export const NEXT_MASK_UNREACHABLE: u32 = 1;

// @ts-ignore: decorator
@inline export function gcNext(g: usize): usize { return load<u32>(g); }
// @ts-ignore: decorator
@inline export function gcPrev(g: usize): usize { return load<u32>(g, 4) & PREV_MASK; }
// @ts-ignore: decorator
@inline export function setNext(g: usize, n: usize): void { store<u32>(g, <u32>n); }
/** Sets the prev pointer, keeping the flag bits. */
// @ts-ignore: decorator
@inline export function setPrev(g: usize, p: usize): void {
  store<u32>(g, (load<u32>(g, 4) & ~PREV_MASK) | <u32>p, 4);
}

// @ts-ignore: decorator
@inline export function isCollecting(g: usize): bool { return (load<u32>(g, 4) & PREV_COLLECTING) != 0; }
// @ts-ignore: decorator
@inline export function clearCollecting(g: usize): void { store<u32>(g, load<u32>(g, 4) & ~PREV_COLLECTING, 4); }
// @ts-ignore: decorator
@inline export function isFinalized(g: usize): bool { return (load<u32>(g, 4) & PREV_FINALIZED) != 0; }

/** gc_refs (valid between update_refs and move_unreachable). */
// @ts-ignore: decorator
@inline export function getRefs(g: usize): u32 { return load<u32>(g, 4) >> 2; }
// @ts-ignore: decorator
@inline export function setRefs(g: usize, refs: u32): void {
  store<u32>(g, (load<u32>(g, 4) & 3) | (refs << 2), 4);
}
/** gc_reset_refs + set COLLECTING: keeps only FINALIZED of the old flags. */
// @ts-ignore: decorator
@inline export function resetRefs(g: usize, refs: u32): void {
  store<u32>(g, (load<u32>(g, 4) & PREV_FINALIZED) | PREV_COLLECTING | (refs << 2), 4);
}

export function listInit(h: usize): void {
  store<u32>(h, <u32>h);
  store<u32>(h, <u32>h, 4);
}

// @ts-ignore: decorator
@inline export function listIsEmpty(h: usize): bool { return load<u32>(h) == <u32>h; }

/** Appends node g (not on any list) at the tail of list h. */
// @ts-ignore: decorator
@inline export function listAppend(g: usize, h: usize): void {
  const last = <usize>load<u32>(h, 4);
  setNext(last, g);
  setPrev(g, last);
  setNext(g, h);
  store<u32>(h, <u32>g, 4);
}

/** Moves node g from its list to the tail of list h. */
// @ts-ignore: decorator
@inline export function listMove(g: usize, h: usize): void {
  const prev = gcPrev(g), next = gcNext(g);
  setNext(prev, next);
  setPrev(next, prev);
  listAppend(g, h);
}

/** Appends every node of `from` to `to`; `from` becomes empty. */
export function listMerge(from: usize, to: usize): void {
  if (listIsEmpty(from)) return;
  const first = gcNext(from), last = <usize>load<u32>(from, 4);
  const tail = <usize>load<u32>(to, 4);
  setNext(tail, first);
  setPrev(first, tail);
  setNext(last, to);
  store<u32>(to, <u32>last, 4);
  listInit(from);
}

export function listSize(h: usize): u32 {
  let n: u32 = 0;
  for (let g = gcNext(h); g != h; g = gcNext(g)) n++;
  return n;
}
