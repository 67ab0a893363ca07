// bench.ts — allocator benchmark loops, run entirely inside wasm (no JS boundary
// per operation). Each workload exists twice: for pyheap's allocator (objMalloc /
// objFree) and for AssemblyScript's TLSF (heap.alloc / heap.free) in this same
// module. Patterns (a)-(d) are those of the project's peers.md. The host times
// each call; setup and teardown are separate calls, outside the timing.

import { objMalloc, objFree } from "./alloc/obmalloc";
import { pageAlloc, pageFree, checkGrown, PURPOSE_TABLE } from "./alloc/pages";

export const IMPL_PYHEAP: i32 = 0;
export const IMPL_TLSF: i32 = 1;
/** The loop alone (random numbers, slot loads and stores), to report the harness's own cost. */
export const IMPL_LOOP: i32 = 2;

let rng: u32 = 0x9e3779b9;

// @ts-ignore: decorator
@inline function next(): u32 {
  let x = rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng = x;
  return x;
}

// @ts-ignore: decorator
@inline function alloc(impl: i32, n: usize): usize {
  return impl == IMPL_TLSF ? heap.alloc(n) : objMalloc(n);
}

// @ts-ignore: decorator
@inline function free(impl: i32, p: usize): void {
  if (impl == IMPL_TLSF) heap.free(p);
  else objFree(p);
}

let slots: usize = 0; // u32 pointers, one per live block (0 once freed)
let order: usize = 0; // u32 indices (d: the shuffled order), then (d) the new blocks
let nslots: u32 = 0;

/** Prepares the slot arrays for n blocks; resets the generator. */
export function benchSetup(n: u32, seed: u32): bool {
  benchTeardownArrays();
  slots = pageAlloc(<usize>n << 2, PURPOSE_TABLE);
  order = pageAlloc(<usize>n << 2, PURPOSE_TABLE);
  if (!slots || !order) return false;
  memory.fill(slots, 0, <usize>n << 2);
  nslots = n;
  reallocated = 0;
  rng = seed | 1;
  return true;
}

function benchTeardownArrays(): void {
  if (slots) pageFree(slots, PURPOSE_TABLE);
  if (order) pageFree(order, PURPOSE_TABLE);
  slots = order = 0;
  nslots = 0;
}

/** (a) n times: allocate 32 bytes, free them at once. */
export function benchPairs(impl: i32, n: u32): u32 {
  let acc: u32 = 0;
  if (impl == IMPL_TLSF) {
    for (let i: u32 = 0; i < n; i++) { const p = heap.alloc(32); acc ^= <u32>p; heap.free(p); }
  } else {
    for (let i: u32 = 0; i < n; i++) { const p = objMalloc(32); acc ^= <u32>p; objFree(p); }
  }
  checkGrown();
  return acc;
}

/** (b) setup: fill the window with nslots blocks of 16..512 random bytes. */
export function benchWindowFill(impl: i32): void {
  for (let i: u32 = 0; i < nslots; i++) {
    store<u32>(slots + (<usize>i << 2), <u32>alloc(impl, 16 + next() % 497));
  }
  checkGrown();
}

/** (b) steps times: free a random live block, allocate a new random size in its place. */
export function benchWindowRun(impl: i32, steps: u32): void {
  const n = nslots;
  if (impl == IMPL_TLSF) {
    for (let i: u32 = 0; i < steps; i++) {
      const r = next();
      const slot = slots + (<usize>(r % n) << 2);
      heap.free(load<u32>(slot));
      store<u32>(slot, <u32>heap.alloc(16 + (r >> 16) % 497));
    }
  } else if (impl == IMPL_PYHEAP) {
    for (let i: u32 = 0; i < steps; i++) {
      const r = next();
      const slot = slots + (<usize>(r % n) << 2);
      objFree(load<u32>(slot));
      store<u32>(slot, <u32>objMalloc(16 + (r >> 16) % 497));
    }
  } else {
    for (let i: u32 = 0; i < steps; i++) {
      const r = next();
      const slot = slots + (<usize>(r % n) << 2);
      store<u32>(slot, load<u32>(slot) ^ (16 + (r >> 16) % 497));
    }
  }
  checkGrown();
}

/** (c, d) allocate nslots blocks of `size` bytes, in order. */
export function benchAllocAll(impl: i32, size: u32): void {
  if (impl == IMPL_TLSF) {
    for (let i: u32 = 0; i < nslots; i++) store<u32>(slots + (<usize>i << 2), <u32>heap.alloc(size));
  } else {
    for (let i: u32 = 0; i < nslots; i++) store<u32>(slots + (<usize>i << 2), <u32>objMalloc(size));
  }
  checkGrown();
}

/** (c) free every block, in allocation order. */
export function benchFreeAll(impl: i32): void {
  if (impl == IMPL_TLSF) {
    for (let i: u32 = 0; i < nslots; i++) heap.free(load<u32>(slots + (<usize>i << 2)));
  } else {
    for (let i: u32 = 0; i < nslots; i++) objFree(load<u32>(slots + (<usize>i << 2)));
  }
}

/** (d) setup: free a random half (Fisher-Yates order); returns how many were freed. */
export function benchFreeRandomHalf(impl: i32): u32 {
  const n = nslots;
  for (let i: u32 = 0; i < n; i++) store<u32>(order + (<usize>i << 2), i);
  for (let i: u32 = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const a = order + (<usize>i << 2), b = order + (<usize>j << 2);
    const t = load<u32>(a);
    store<u32>(a, load<u32>(b));
    store<u32>(b, t);
  }
  const half = n >> 1;
  for (let i: u32 = 0; i < half; i++) {
    const slot = slots + (<usize>load<u32>(order + (<usize>i << 2)) << 2);
    free(impl, load<u32>(slot));
    store<u32>(slot, 0);
  }
  return half;
}

/**
 * (d) allocate as many `size`-byte blocks as the random half freed. The new
 * pointers are stored in order (in `order`, no longer needed), so that the loop
 * measures the allocator and not cache misses of its own bookkeeping.
 */
export function benchReallocHalf(impl: i32, size: u32): void {
  const half = nslots >> 1;
  if (impl == IMPL_TLSF) {
    for (let i: u32 = 0; i < half; i++) store<u32>(order + (<usize>i << 2), <u32>heap.alloc(size));
  } else {
    for (let i: u32 = 0; i < half; i++) store<u32>(order + (<usize>i << 2), <u32>objMalloc(size));
  }
  reallocated = half;
  checkGrown();
}

let reallocated: u32 = 0;

/** Frees whatever the slots (and a (d) re-allocation) hold, and the arrays. */
export function benchTeardown(impl: i32): void {
  for (let i: u32 = 0; i < nslots; i++) {
    const p = load<u32>(slots + (<usize>i << 2));
    if (p) free(impl, p);
  }
  for (let i: u32 = 0; i < reallocated; i++) free(impl, load<u32>(order + (<usize>i << 2)));
  reallocated = 0;
  benchTeardownArrays();
}

// ---- object loops (bench/objects.ts's "in wasm" rows): create and drop n objects ----
import { intFromI32, floatNew } from "./object/numbers";
import { dictNew } from "./object/dict";
import { instNew2 } from "./object/instance";
import { decref } from "./object/refcount";
import { NONE } from "./object/header";
import { tupleNew, listNew, listAppend } from "./object/sequences";

/**
 * x = <new object> in a loop, as CPython runs it: make the new object, then drop the
 * previous one (so pools never empty). The kinds: PAIRS_* below (exported to bench/).
 */
export const PAIRS_INT: i32 = 0;      // int 1001
export const PAIRS_FLOAT: i32 = 1;    // 2.5
export const PAIRS_SLOTS2: i32 = 2;   // a 2-slot instance of class cls (None, None)
export const PAIRS_TUPLE2: i32 = 3;   // (None, None)
export const PAIRS_LIST1: i32 = 4;    // [None]
export const PAIRS_DICT0: i32 = 5;    // {}
export function benchObjectPairs(kind: i32, cls: u32, n: u32): u32 {
  let sum: u32 = 0;
  let prev: usize = 0;
  for (let i: u32 = 0; i < n; i++) {
    let o: usize = 0;
    if (kind == PAIRS_INT) o = intFromI32(1001);
    else if (kind == PAIRS_FLOAT) o = floatNew(2.5);
    else if (kind == PAIRS_SLOTS2) o = instNew2(cls, NONE, NONE);
    else if (kind == PAIRS_TUPLE2) {
      o = tupleNew(2);
      store<u32>(o, NONE, 12);
      store<u32>(o, NONE, 16);
    } else if (kind == PAIRS_LIST1) {
      o = listNew(1);
      listAppend(o, NONE);
    } else o = dictNew();
    sum += <u32>o;
    if (prev) decref(prev);
    prev = o;
  }
  if (prev) decref(prev);
  return sum;
}
