// alloc/pages.ts — the page layer: where every byte of the heap comes from.
//
// Plays the part of CPython's _PyObject_Arena allocator (mmap/munmap) and of the C
// library malloc behind PyMem_RawMalloc. Both become AssemblyScript's TLSF allocator
// (heap.alloc/heap.free): arenas (1 MiB), large blocks (> 512 bytes or 0 bytes) and
// the allocator's own tables are TLSF blocks. Wasm memory never shrinks, so a released
// arena is a free TLSF block that later arenas and large blocks reuse (TLSF coalesces
// it with its neighbours) before memory grows again.
//
// TLSF grows memory itself when no free block fits: it tries to double it, then to grow
// by exactly the request, and executes `unreachable` (a trap) when both fail. pyheap
// never lets it get there: every TLSF call is preceded by reserve(), which makes sure a
// free block fits, growing memory itself when none does:
//
//   reserve(size)  1. asks TLSF's own bitmaps whether a free block fits (tlsfHasFit);
//                  2. if not, computes the pages TLSF would need and refuses (returns
//                     false -> MemoryError) when they pass the cap;
//                  3. grows memory (memory.grow, whose failure is a refusal too: a
//                     browser out of address space) by doubling it, or by a large step
//                     (GROW_STEP_PAGES, or what is left under the cap) once doubling
//                     would pass the cap, and gives the new pages to TLSF (adopt).
//
// adopt() extends TLSF's tail: the zero-length used block that ends its memory becomes
// a used block spanning the new pages, a new tail ends them, and freeing the old tail
// lists the pages (merged with a free block before them). That is what TLSF's own
// addMemory does for memory that follows its tail.
//
// Invariants kept here: every TLSF call made by pyheap is preceded by reserve(), so TLSF
// never grows memory and never traps; memory grows only here, within the cap; TLSF's
// tail block ends memory. After each growth the host is told (import env.on_grow) so it
// can refresh its views of memory.

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
const TLSF_LEFTFREE: usize = 2;
/** Where the root keeps its tail block (HL_END). */
const TLSF_TAIL: usize = TLSF_ROOT_SIZE - 4;

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
 * Makes sure TLSF can serve `size` bytes without growing memory itself.
 * Returns false when memory cannot grow enough (the cap, or a refused grow): the
 * caller reports MemoryError, and nothing has changed.
 */
export function reserve(size: usize): bool {
  if (size > MAX_REQUEST) return false;
  const payload = tlsfPayload(size);
  if (tlsfHasFit(payload)) return true;
  const need = pagesToGrow(payload);
  const cur = memory.size();
  const room = capPages - cur;
  if (need > room) return false;
  // double, as TLSF would; past the point where doubling would pass the cap, a large step
  const grow = max(cur, need) <= room ? max(cur, need) : min(room, max(need, GROW_STEP_PAGES));
  if (!adopt(grow) && (grow == need || !adopt(need))) return false;
  checkGrown();
  return tlsfHasFit(payload);
}

/** Grows memory by `pages` and gives them to TLSF (see the header); false if refused. */
function adopt(pages: i32): bool {
  const before = memory.size();
  if (memory.grow(pages) < 0) return false;
  const root = changetype<usize>(ROOT);
  const tail = load<usize>(root + TLSF_TAIL);
  const end = <usize>(before + pages) << 16;
  // tail + BLOCK_OVERHEAD == before << 16: TLSF's memory ends at the end of memory
  store<usize>(tail, (load<usize>(tail) & TLSF_LEFTFREE) | (end - tail - 2 * BLOCK_OVERHEAD));
  const newTail = end - BLOCK_OVERHEAD;
  store<usize>(newTail, 0);
  store<usize>(root + TLSF_TAIL, newTail);
  heap.free(tail + BLOCK_OVERHEAD);
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
