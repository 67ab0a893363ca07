// alloc/raw.ts — the raw domain: blocks of 0 or more than 512 bytes.
//
// CPython counterparts: PyMem_RawMalloc/RawCalloc/RawRealloc/RawFree (the C
// library's malloc) and the raw_allocated_blocks counter that
// _Py_GetAllocatedBlocks adds to the pool blocks. Here the general-purpose
// allocator is TLSF through the page layer (alloc/pages.ts), which keeps it from
// growing memory past the cap. A request of 0 bytes gets a real, distinct block.

import { pageAlloc, pageFree, pageRealloc, blockSize, PURPOSE_LARGE } from "./pages";

/** Live raw blocks (CPython's raw_allocated_blocks). */
export let raw_allocated_blocks: u32 = 0;

export function rawMalloc(nbytes: usize): usize {
  const p = pageAlloc(nbytes, PURPOSE_LARGE);
  if (p) raw_allocated_blocks++;
  return p;
}

export function rawFree(p: usize): void {
  raw_allocated_blocks--;
  pageFree(p, PURPOSE_LARGE);
}

/** 0 on failure, the block untouched. */
export function rawRealloc(p: usize, nbytes: usize): usize {
  return pageRealloc(p, nbytes, PURPOSE_LARGE);
}

export function rawSize(p: usize): usize {
  return blockSize(p);
}
