// alloc/stats.ts — statistics and self-checks, computed by walking the structures.
//
// CPython counterparts: _PyObject_DebugMallocStats (the per-class walk over every
// carved pool of every arena) and _Py_GetAllocatedBlocks. Nothing here runs on the
// allocation paths: the hot paths keep no counters, the walk is O(pools).
//
// statsCollect() fills one Float64 buffer that the host reads:
//   [3c + 0] pools of class c, [3c + 1] blocks in use, [3c + 2] blocks available
//   [STATS_GLOBALS + G_*] the scalars below

import {
  ArenaObject, PoolHeader, NB_SMALL_SIZE_CLASSES, POOL_SIZE, POOL_SIZE_MASK,
  NUMBLOCKS, INDEX2SIZE, DUMMY_SIZE_IDX, MAX_POOLS_IN_ARENA, POOL_OVERHEAD, freeChain,
} from "./config";
import {
  arenas, maxarenas, arenaAt, arenasConsistent, arenaMapBytes, addressInRange,
  ntimes_arena_allocated, narenas_currently_allocated, narenas_highwater,
} from "./arena";
import { firstUsedPool, isListHead } from "./obmalloc";
import { raw_allocated_blocks } from "./raw";
import {
  bytesInArenas, bytesInLarge, bytesInTables, committedBytes, staticBytes, scanFree,
  freeBlocks, freeLargest, capacityPages,
} from "./pages";
import { BLOCK_OVERHEAD } from "rt/common";

export const STATS_GLOBALS: u32 = NB_SMALL_SIZE_CLASSES * 3;
export const G_ARENAS_TOTAL: u32 = 0;
export const G_ARENAS_CURRENT: u32 = 1;
export const G_ARENAS_HIGHWATER: u32 = 2;
export const G_UNUSED_POOLS: u32 = 3;
export const G_UNALIGNED_ARENAS: u32 = 4;
export const G_RAW_BLOCKS: u32 = 5;
export const G_LARGE_BYTES: u32 = 6;
export const G_ARENA_BYTES: u32 = 7;
export const G_TABLE_BYTES: u32 = 8;
export const G_COMMITTED: u32 = 9;
export const G_STATIC: u32 = 10;
export const G_FREE_BYTES: u32 = 11;
export const G_FREE_BLOCKS: u32 = 12;
export const G_FREE_LARGEST: u32 = 13;
export const G_CAP_BYTES: u32 = 14;
export const G_ARENA_MAP_BYTES: u32 = 15;
export const G_ARENA_SLOTS: u32 = 16;
export const G_LARGE_HELD: u32 = 17;
export const G_COUNT: u32 = 18;

const statsBuf: usize = memory.data((STATS_GLOBALS + G_COUNT) * 8, 8);

// @ts-ignore: decorator
@inline function put(i: u32, v: f64): void {
  store<f64>(statsBuf + (<usize>i << 3), v);
}

// @ts-ignore: decorator
@inline function add(i: u32, v: f64): void {
  store<f64>(statsBuf + (<usize>i << 3), load<f64>(statsBuf + (<usize>i << 3)) + v);
}

// @ts-ignore: decorator
@inline function firstPool(ao: ArenaObject): usize {
  return (ao.address + POOL_SIZE_MASK) & ~(<usize>POOL_SIZE_MASK);
}

export function statsCollect(): usize {
  memory.fill(statsBuf, 0, (STATS_GLOBALS + G_COUNT) * 8);
  let unused: u32 = 0, unaligned: u32 = 0;
  for (let i: u32 = 0; i < maxarenas; i++) {
    const ao = arenaAt(i);
    if (!ao.address) continue;
    unused += ao.nfreepools;
    if (ao.address & POOL_SIZE_MASK) unaligned++;
    for (let p = firstPool(ao); p < ao.pool_address; p += POOL_SIZE) {
      const pool = changetype<PoolHeader>(p);
      if (!pool.count) continue;
      const c = pool.szidx;
      add(c * 3, 1);
      add(c * 3 + 1, pool.count);
      add(c * 3 + 2, NUMBLOCKS(c) - pool.count);
    }
  }
  const g = STATS_GLOBALS;
  put(g + G_ARENAS_TOTAL, ntimes_arena_allocated);
  put(g + G_ARENAS_CURRENT, narenas_currently_allocated);
  put(g + G_ARENAS_HIGHWATER, narenas_highwater);
  put(g + G_UNUSED_POOLS, unused);
  put(g + G_UNALIGNED_ARENAS, unaligned);
  put(g + G_RAW_BLOCKS, raw_allocated_blocks);
  put(g + G_LARGE_BYTES, <f64>(bytesInLarge - <usize>raw_allocated_blocks * BLOCK_OVERHEAD)); // usable
  put(g + G_LARGE_HELD, <f64>bytesInLarge); // with TLSF's headers
  put(g + G_ARENA_BYTES, <f64>bytesInArenas);
  put(g + G_TABLE_BYTES, <f64>bytesInTables);
  put(g + G_COMMITTED, <f64>committedBytes());
  put(g + G_STATIC, <f64>staticBytes());
  put(g + G_FREE_BYTES, <f64>scanFree());
  put(g + G_FREE_BLOCKS, freeBlocks);
  put(g + G_FREE_LARGEST, <f64>freeLargest);
  put(g + G_CAP_BYTES, <f64>(<u64>capacityPages() << 16));
  put(g + G_ARENA_MAP_BYTES, arenaMapBytes());
  put(g + G_ARENA_SLOTS, maxarenas);
  return statsBuf;
}

/** sys.getallocatedblocks(): raw blocks plus the blocks in use in every pool. */
export function allocatedBlocks(): u32 {
  let n = raw_allocated_blocks;
  for (let i: u32 = 0; i < maxarenas; i++) {
    const ao = arenaAt(i);
    if (!ao.address) continue;
    for (let p = firstPool(ao); p < ao.pool_address; p += POOL_SIZE) n += changetype<PoolHeader>(p).count;
  }
  return n;
}

/**
 * Bytes in allocated blocks: pool blocks at their size class, plus large blocks at what
 * the page layer holds for them (a walk over the pool headers, as allocatedBlocks).
 */
export function allocatedBytes(): f64 {
  let n: f64 = <f64>bytesInLarge;
  for (let i: u32 = 0; i < maxarenas; i++) {
    const ao = arenaAt(i);
    if (!ao.address) continue;
    for (let p = firstPool(ao); p < ao.pool_address; p += POOL_SIZE) {
      const pool = changetype<PoolHeader>(p);
      if (pool.count) n += <f64>pool.count * <f64>INDEX2SIZE(pool.szidx);
    }
  }
  return n;
}

const describeBuf: usize = memory.data(MAX_POOLS_IN_ARENA * 4, 4);

/**
 * Describes arena slot i for pictures. Returns 0 for an unused slot, else a buffer
 * of 64 i32, one per 16 KiB of the arena:
 *   -1 never carved, -2 empty (cached), -3 lost to alignment,
 *   else (szidx << 16) | blocks in use.
 */
export function arenaDescribe(i: u32): usize {
  if (i >= maxarenas || !arenaAt(i).address) return 0;
  const out = describeBuf;
  const ao = arenaAt(i);
  let k: u32 = 0;
  if (ao.address & POOL_SIZE_MASK) store<i32>(out + (k++ << 2), -3);
  for (let p = firstPool(ao); k < MAX_POOLS_IN_ARENA; p += POOL_SIZE) {
    let v: i32;
    if (p >= ao.pool_address) v = -1;
    else {
      const pool = changetype<PoolHeader>(p);
      v = pool.count ? <i32>((pool.szidx << 16) | pool.count) : -2;
    }
    store<i32>(out + (k++ << 2), v);
  }
  return out;
}

/** heap_check()'s answers: CHECK_OK, or the first broken invariant (the host names them). */
export const CHECK_OK: i32 = 0;
/** arenas: the usable_arenas order or nfp2lasta */
export const CHECK_ARENA_ORDER: i32 = 1;
/** usedpools: a listed pool of another class, empty, or with no free block */
export const CHECK_USEDPOOLS_ENTRY: i32 = 2;
/** usedpools: a nextpool/prevpool link broken */
export const CHECK_USEDPOOLS_LINKS: i32 = 3;
/** usedpools: a list that does not end */
export const CHECK_USEDPOOLS_CYCLE: i32 = 4;
/** an arena outside the address range */
export const CHECK_ARENA_RANGE: i32 = 5;
/** a pool with no valid size class */
export const CHECK_POOL_SIZE_CLASS: i32 = 6;
/** a pool whose arenaindex is not its arena */
export const CHECK_POOL_ARENA_INDEX: i32 = 7;
/** a free block outside its pool */
export const CHECK_FREEBLOCK: i32 = 8;
/** a pool whose count + nfree is not what it carved */
export const CHECK_POOL_COUNT: i32 = 10;
/** a full pool not counted full (or the reverse) */
export const CHECK_POOL_FULL: i32 = 11;
/** an arena whose nfreepools is wrong */
export const CHECK_ARENA_NFREEPOOLS: i32 = 12;
/** freepools: a pool in use on the list */
export const CHECK_FREEPOOLS_ENTRY: i32 = 13;
/** freepools: the list is not the empty pools */
export const CHECK_FREEPOOLS_LENGTH: i32 = 14;
/** a partly used pool not in its usedpools list */
export const CHECK_POOL_UNLISTED: i32 = 15;
/** usedpools: more pools listed than partly used */
export const CHECK_USEDPOOLS_EXTRA: i32 = 16;

/**
 * Checks every structural invariant. Returns CHECK_OK, or the CHECK_* of the first
 * broken one (used by the tests after each step of a random sequence).
 */
const listed: usize = memory.data(NB_SMALL_SIZE_CLASSES * 4, 4);

export function checkHeap(): i32 {
  if (!arenasConsistent()) return CHECK_ARENA_ORDER;
  let inLists: u32 = 0;
  for (let c: u32 = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    let pool = firstUsedPool(c);
    let n: u32 = 0;
    while (!isListHead(pool, c)) {
      const hasFree = pool.nfree != 0 || pool.nextoffset <= pool.maxnextoffset;
      if (pool.szidx != c || !pool.count || !hasFree || pool.count >= NUMBLOCKS(c)) return CHECK_USEDPOOLS_ENTRY;
      if (pool.nextpool.prevpool != pool) return CHECK_USEDPOOLS_LINKS;
      pool = pool.nextpool;
      if (++n > (1 << 18)) return CHECK_USEDPOOLS_CYCLE;
    }
    store<u32>(listed + (c << 2), n);
    inLists += n;
  }
  // every used pool (some blocks handed out, some free) is in its class list
  let used: u32 = 0;
  for (let i: u32 = 0; i < maxarenas; i++) {
    const ao = arenaAt(i);
    if (!ao.address) continue;
    if (!addressInRange(ao.address) || !addressInRange(ao.address + (1 << 20) - 1)) return CHECK_ARENA_RANGE;
    let empty: u32 = 0, virgin: u32 = 0;
    for (let p = firstPool(ao); p < ao.address + (1 << 20) - POOL_SIZE + 1; p += POOL_SIZE) {
      if (p >= ao.pool_address) { virgin++; continue; }
      const pool = changetype<PoolHeader>(p);
      if (!pool.count) { empty++; continue; }
      if (pool.szidx == DUMMY_SIZE_IDX || pool.szidx >= NB_SMALL_SIZE_CLASSES) return CHECK_POOL_SIZE_CLASS;
      if (pool.arenaindex != i) return CHECK_POOL_ARENA_INDEX;
      const size = INDEX2SIZE(pool.szidx);
      // the free-block list: chain k holds the blocks at heights k, k+4, k+8...
      for (let k: u32 = 0; k < 4; k++) {
        let b = load<usize>(freeChain(pool, k));
        for (let n = (pool.nfree + 3 - k) >> 2; n > 0; n--) {
          const off = <u32>(b - p);
          if (b < p || off >= pool.nextoffset || off < POOL_OVERHEAD || (off - POOL_OVERHEAD) % size) return CHECK_FREEBLOCK;
          b = load<usize>(b);
        }
      }
      const carved = (pool.nextoffset - POOL_OVERHEAD) / size;
      if (pool.nfree + pool.count != carved || carved > NUMBLOCKS(pool.szidx)) return CHECK_POOL_COUNT;
      const full = !pool.nfree && pool.nextoffset > pool.maxnextoffset;
      if (full != (pool.count == NUMBLOCKS(pool.szidx))) return CHECK_POOL_FULL;
      if (!full) {
        used++;
        const n = load<u32>(listed + (pool.szidx << 2));
        if (!n) return CHECK_POOL_UNLISTED;
        store<u32>(listed + (pool.szidx << 2), n - 1);
      }
    }
    if (empty + virgin != ao.nfreepools) return CHECK_ARENA_NFREEPOOLS;
    let nlist: u32 = 0;
    for (let f = ao.freepools; f; f = changetype<usize>(changetype<PoolHeader>(f).nextpool)) {
      if (changetype<PoolHeader>(f).count || ++nlist > MAX_POOLS_IN_ARENA) return CHECK_FREEPOOLS_ENTRY;
    }
    if (nlist != empty) return CHECK_FREEPOOLS_LENGTH;
  }
  if (used != inLists) return CHECK_USEDPOOLS_EXTRA;
  return CHECK_OK;
}
