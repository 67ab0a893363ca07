// alloc/config.ts — the allocator's tunables and the layout of its two headers.
//
// Corresponds to the #defines at the top of CPython's Objects/obmalloc.c and the
// structs of Include/internal/pycore_obmalloc.h (pool_header, arena_object),
// taken with their 32-bit values because wasm32 is a 32-bit address space.
//
//   size classes   request n (1..512) -> class (n-1) >> 3, block size (class+1) * 8
//                  64 classes: 8, 16, 24, ..., 512 bytes
//   pool           16 KiB, aligned to 16 KiB, all blocks of one size class
//   arena          1 MiB obtained from the page layer (alloc/pages.ts); holds 64
//                  pools, or 63 when its base is not pool-aligned (the first, partial
//                  pool is lost: "bytes lost to arena alignment", as in CPython)

export const ALIGNMENT: u32 = 8;
export const ALIGNMENT_SHIFT: u32 = 3;
export const SMALL_REQUEST_THRESHOLD: u32 = 512;
export const NB_SMALL_SIZE_CLASSES: u32 = SMALL_REQUEST_THRESHOLD / ALIGNMENT; // 64

export const POOL_BITS: u32 = 14;
export const POOL_SIZE: u32 = 1 << POOL_BITS; // 16 KiB
export const POOL_SIZE_MASK: u32 = POOL_SIZE - 1;

export const ARENA_BITS: u32 = 20;
export const ARENA_SIZE: u32 = 1 << ARENA_BITS; // 1 MiB
export const ARENA_SIZE_MASK: u32 = ARENA_SIZE - 1;
export const MAX_POOLS_IN_ARENA: u32 = ARENA_SIZE / POOL_SIZE; // 64

/** szidx of a pool that was carved but never given a size class. */
export const DUMMY_SIZE_IDX: u32 = 0xffff;

// @ts-ignore: decorator
@inline export function INDEX2SIZE(szidx: u32): u32 {
  return (szidx + 1) << ALIGNMENT_SHIFT;
}

/** Blocks that fit in one pool of class `szidx`. */
// @ts-ignore: decorator
@inline export function NUMBLOCKS(szidx: u32): u32 {
  return (POOL_SIZE - POOL_OVERHEAD) / INDEX2SIZE(szidx);
}

// Pool header, at the start of every pool (48 bytes on wasm32, as CPython's on 64-bit).
//
//   +0  count          blocks handed out from this pool
//   +4  nfree          blocks on the free-block list (its height)
//   +8  freeblock[4]   the free-block list: one LIFO stack of free blocks, stored as
//                      four chains linked through the blocks' first word; the block
//                      at height h sits on chain h & 3 (see alloc/obmalloc.ts)
//   +24 nextpool       \ links in usedpools[szidx] while the pool is used,
//   +28 prevpool       / nextpool links the arena's freepools list while empty
//   +32 arenaindex     index of the owning arena object
//   +36 szidx          size class (DUMMY_SIZE_IDX before first use)
//   +40 nextoffset     offset of the next never-touched block ("virgin" memory)
//   +44 maxnextoffset  largest valid nextoffset: POOL_SIZE - block size
//
// Blocks start at POOL_OVERHEAD and are carved lazily: an allocation takes the top
// of the free-block list, and only when the list is empty carves the next virgin
// block at nextoffset, so memory that was never needed is never touched.
@unmanaged export class PoolHeader {
  count: u32;
  nfree: u32;
  freeblock0: usize;
  freeblock1: usize;
  freeblock2: usize;
  freeblock3: usize;
  nextpool: PoolHeader;
  prevpool: PoolHeader;
  arenaindex: u32;
  szidx: u32;
  nextoffset: u32;
  maxnextoffset: u32;
}
export const POOL_OVERHEAD: u32 = 48;
/** Offset of freeblock[0] in PoolHeader; chain k's head is at + 4k. */
export const POOL_FREEBLOCK: usize = 8;
/** Offset of nextpool in PoolHeader (the usedpools trick depends on it). */
export const POOL_NEXTPOOL: usize = 24;

/** Where chain (height & 3) of a pool's free-block list starts. */
// @ts-ignore: decorator
@inline export function freeChain(pool: PoolHeader, height: u32): usize {
  return changetype<usize>(pool) + POOL_FREEBLOCK + ((<usize>height & 3) << 2);
}

// Arena object, one per arena slot, in a vector that doubles when exhausted.
//
//   address       base of the 1 MiB block; 0 = slot unused (on unused_arena_objects)
//   pool_address  next pool to carve out of the arena (a high-water mark)
//   nfreepools    empty pools + never-carved pools
//   ntotalpools   pools the arena can hold (64, or 63 if its base is unaligned)
//   freepools     singly linked (via nextpool) list of empty pools
//   nextarena     usable_arenas links (doubly linked); unused_arena_objects uses
//   prevarena     nextarena only
@unmanaged export class ArenaObject {
  address: usize;
  pool_address: usize;
  nfreepools: u32;
  ntotalpools: u32;
  freepools: usize;
  nextarena: usize;
  prevarena: usize;
  _pad: u32;
}
export const ARENA_OBJECT_SIZE: u32 = 32;
export const INITIAL_ARENA_OBJECTS: u32 = 16;
