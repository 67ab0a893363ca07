// alloc/pages.ts — the page layer: where every byte of the heap comes from.
//
// Plays the part of CPython's _PyObject_Arena allocator (mmap/munmap) and of the C
// library malloc behind PyMem_RawMalloc. Both become AssemblyScript's TLSF allocator
// (heap.alloc/heap.free): arenas (1 MiB), large blocks (> 512 bytes or 0 bytes) and
// the allocator's own tables are TLSF blocks. Wasm memory never shrinks, so a released
// arena is a free TLSF block that later arenas and large blocks reuse (TLSF coalesces
// it with its neighbours) before memory grows again.
//
// TLSF grows memory itself: it first tries to double it, then to grow by exactly what
// the request needs, and if both fail it executes `unreachable` (a trap). This file
// makes that trap impossible under the memory's maximum (= the heap's maxMemory):
//
//   reserve(size)  1. asks TLSF's own bitmaps whether a free block fits (tlsfHasFit);
//                  2. if not, computes the pages TLSF would grow and refuses (returns
//                     false -> MemoryError) when they pass the cap;
//                  3. when doubling would pass the cap, TLSF would fall back to growing
//                     exactly the request (1 MiB at a time for arenas): instead a large
//                     step (GROW_STEP_PAGES, or what is left under the cap) is grown at
//                     once by borrowing and returning one big block.
//
// Invariant kept here: every TLSF call made by pyheap is preceded by reserve(), so
// TLSF only ever grows memory within the cap. After each call, checkGrown() tells the
// host (import env.on_grow) so it can refresh its views of memory.

import { ROOT } from "rt/tlsf";
import { BLOCK_OVERHEAD, BLOCK_MAXSIZE } from "rt/common";

// @ts-ignore: decorator
@external("env", "on_grow")
declare function host_on_grow(pages: i32): void;

/** Largest request served: TLSF's largest block. */
export const MAX_REQUEST: usize = BLOCK_MAXSIZE;

/** Growth step once doubling would pass the cap: 64 MiB. */
const GROW_STEP_PAGES: i32 = 1024;

// TLSF constants (std/assembly/rt/tlsf.ts of assemblyscript 0.28.20). Its root is
// { flMap: u32 at +0; slMap: u32[23] at +4; heads: Block[23*16] at +96; tail }.
const TLSF_SL_BITS: u32 = 4;
const TLSF_SB_SIZE: usize = 256;
const TLSF_MINSIZE: usize = 12;
const TLSF_SL_START: usize = 4;
const TLSF_HL_START: usize = 96;
const TLSF_FL_COUNT: u32 = 23;
const TLSF_ROOT_SIZE: usize = TLSF_HL_START + TLSF_FL_COUNT * 16 * 4 + 4;
const TLSF_TAGS: usize = 3;

let capPages: i32 = 65536;
let lastPages: i32 = 0;

/** Bytes of TLSF blocks (payload + header) that pyheap holds, by purpose. */
export let bytesInArenas: usize = 0;
export let bytesInLarge: usize = 0;
export let bytesInTables: usize = 0;

export function pagesInit(maxPages: i32): void {
  capPages = maxPages;
  // Let TLSF take the initial memory as its first free block.
  heap.free(heap.alloc(0));
  lastPages = memory.size();
}

export function capacityPages(): i32 {
  return capPages;
}

/** Usable bytes of a TLSF block. */
// @ts-ignore: decorator
@inline export function blockSize(p: usize): usize {
  return load<usize>(p - BLOCK_OVERHEAD) & ~TLSF_TAGS;
}

/** TLSF's payload size for a request. */
function tlsfPayload(size: usize): usize {
  return size <= TLSF_MINSIZE ? TLSF_MINSIZE : ((size + BLOCK_OVERHEAD + 15) & ~15) - BLOCK_OVERHEAD;
}

/** TLSF rounds searches of 256 bytes and more up to the next second-level list. */
function tlsfSearchSize(payload: usize): usize {
  if (payload < TLSF_SB_SIZE || payload >= (BLOCK_MAXSIZE >> 1)) return payload;
  return payload + (<usize>1 << (27 - clz<usize>(payload))) - 1;
}

/** Does TLSF hold a free block that its search would return for `payload` bytes? */
function tlsfHasFit(payload: usize): bool {
  let fl: u32, sl: u32;
  if (payload < TLSF_SB_SIZE) {
    fl = 0;
    sl = <u32>(payload >> 4);
  } else {
    const rs = tlsfSearchSize(payload);
    fl = 31 - <u32>clz<usize>(rs);
    sl = <u32>((rs >> (fl - TLSF_SL_BITS)) ^ (1 << TLSF_SL_BITS));
    fl -= 7;
  }
  const root = changetype<usize>(ROOT);
  if (load<u32>(root + TLSF_SL_START + (<usize>fl << 2)) & (<u32>-1 << sl)) return true;
  return fl + 1 < 32 && (load<u32>(root) & (<u32>-1 << (fl + 1))) != 0;
}

/** Pages TLSF's growMemory asks for when no free block fits (with both headers). */
function pagesToGrow(payload: usize): i32 {
  const size = tlsfSearchSize(payload) + 2 * BLOCK_OVERHEAD;
  return <i32>((size + 0xffff) >>> 16);
}

/**
 * Makes sure TLSF can serve `size` bytes without a failing memory.grow.
 * Returns false when that would pass the cap: the caller reports MemoryError.
 */
export function reserve(size: usize): bool {
  if (size > MAX_REQUEST) return false;
  const payload = tlsfPayload(size);
  if (tlsfHasFit(payload)) return true;
  const need = pagesToGrow(payload);
  const cur = memory.size();
  const room = capPages - cur;
  if (need > room) return false;
  if (max(cur, need) > room) {
    // Doubling will be refused; TLSF would grow by `need` pages only. Grow a large
    // step instead, by borrowing one block sized to make TLSF grow ~step pages.
    const step = min(room, max(need, GROW_STEP_PAGES));
    if (step > need) {
      let borrow = (<usize>step << 16) - 4 * BLOCK_OVERHEAD;
      while (pagesToGrow(tlsfPayload(borrow)) > step) borrow -= borrow >> 5;
      heap.free(heap.alloc(borrow));
      checkGrown();
    }
  }
  return true;
}

/** Tells the host when memory has grown since the last call. */
// @ts-ignore: decorator
@inline export function checkGrown(): void {
  const pages = memory.size();
  if (pages != lastPages) {
    lastPages = pages;
    host_on_grow(pages);
  }
}

export const PURPOSE_ARENA: i32 = 0;
export const PURPOSE_LARGE: i32 = 1;
export const PURPOSE_TABLE: i32 = 2;

function account(purpose: i32, delta: isize): void {
  if (purpose == PURPOSE_ARENA) bytesInArenas += delta;
  else if (purpose == PURPOSE_LARGE) bytesInLarge += delta;
  else bytesInTables += delta;
}

/** A TLSF block of at least `size` bytes, or 0 when memory is exhausted. */
export function pageAlloc(size: usize, purpose: i32): usize {
  if (!reserve(size)) return 0;
  const p = heap.alloc(size);
  checkGrown();
  account(purpose, <isize>(blockSize(p) + BLOCK_OVERHEAD));
  return p;
}

export function pageFree(p: usize, purpose: i32): void {
  account(purpose, -<isize>(blockSize(p) + BLOCK_OVERHEAD));
  heap.free(p);
}

/** Resizes a TLSF block (in place when TLSF can), or returns 0 and keeps it. */
export function pageRealloc(p: usize, size: usize, purpose: i32): usize {
  const old = blockSize(p);
  if (tlsfPayload(size) > old && !reserve(size)) return 0;
  const q = heap.realloc(p, size);
  checkGrown();
  account(purpose, <isize>blockSize(q) - <isize>old);
  return q;
}

// ---- statistics -------------------------------------------------------------

/** Bytes of memory that exist (grown so far): wasm memory never shrinks. */
export function committedBytes(): u64 {
  return <u64>memory.size() << 16;
}

/** Bytes below the first TLSF block: static data and TLSF's root. */
export function staticBytes(): usize {
  return ((__heap_base + 15) & ~15) + TLSF_ROOT_SIZE;
}

export let freeBlocks: u32 = 0;
export let freeLargest: usize = 0;

/** Walks TLSF's free lists; returns the free bytes and sets freeBlocks/freeLargest. */
export function scanFree(): usize {
  const root = changetype<usize>(ROOT);
  let total: usize = 0;
  freeBlocks = 0;
  freeLargest = 0;
  for (let i: usize = 0; i < <usize>TLSF_FL_COUNT * 16; i++) {
    let b = load<usize>(root + TLSF_HL_START + (i << 2));
    while (b) {
      const size = load<usize>(b) & ~TLSF_TAGS;
      total += size + BLOCK_OVERHEAD;
      freeBlocks++;
      if (size > freeLargest) freeLargest = size;
      b = load<usize>(b, 8); // Block.next
    }
  }
  return total;
}
