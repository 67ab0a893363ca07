// alloc/obmalloc.ts — pymalloc: small blocks from pools, and the PyObject_Malloc family.
//
// CPython counterparts (Objects/obmalloc.c): usedpools, pymalloc_alloc,
// pymalloc_pool_extend, allocate_from_new_pool, pymalloc_free, insert_to_usedpool,
// pymalloc_realloc, and _PyObject_Malloc/Calloc/Realloc/Free which route requests
// of 0 or more than 512 bytes to the raw domain (alloc/raw.ts). While tracemalloc
// runs, the four trace their blocks (alloc/tracemalloc.ts; one branch when it does not).
//
// usedpools[c] is a circular doubly linked list of the pools of size class c that
// have at least one free block ("used" pools). Its head is a fake PoolHeader whose
// nextpool/prevpool fields are exactly the two words usedpools[2c], usedpools[2c+1]:
//
//   PTA(c) = &usedpools[2c] - 24        (24 = offset of nextpool in PoolHeader)
//   list empty  <=>  usedpools[2c] == PTA(c)
//
// Pool states: used (in usedpools[szidx]), full (in no list: nfree == 0 and no
// virgin block left), empty (count == 0, on its arena's freepools list, may serve
// any class next).
//
// The free-block list. CPython keeps one chain of free blocks per pool, linked
// through their first word: the next allocation pops the block freed last (LIFO).
// Popping reads the freed block to find the next one, so after many frees in random
// order every allocation waits for a cache miss, one after another: the chain is a
// sequence of dependent loads. pyheap keeps the same LIFO stack but stores it as four
// interleaved chains: the block at height h of the stack is on chain h & 3.
//
//   push p:  chain[nfree & 3] = p, with p's first word = the old chain head; nfree++
//   pop:     nfree--; p = chain[nfree & 3]; chain[nfree & 3] = p's first word
//
// The order of reuse is exactly CPython's (last freed, first reused), but four
// consecutive allocations follow four independent chains, so the processor overlaps
// their cache misses (memory-level parallelism): re-allocating after freeing a random
// half of a large heap costs about a quarter of a miss per block instead of a miss.
//
// Invariants kept here:
//   - a used pool has a free block on its list or a virgin block to carve;
//   - freeing into a full pool links it at the FRONT of its class list, so the next
//     allocation of that class reuses the block just freed (LRU, as in CPython);
//   - the hot paths (alloc from a used pool, free into a used pool) touch only the
//     usedpools head, the pool header and the block; everything else is out of line.

import {
  PoolHeader, ALIGNMENT_SHIFT, SMALL_REQUEST_THRESHOLD, NB_SMALL_SIZE_CLASSES,
  POOL_SIZE, POOL_SIZE_MASK, POOL_OVERHEAD, POOL_NEXTPOOL, INDEX2SIZE, freeChain,
} from "./config";
import { addressInRange, takePool, returnPool } from "./arena";
import { rawMalloc, rawFree, rawRealloc, rawSize } from "./raw";
import { tmTracing, tmPrepare, tmAdd, tmRemove } from "./tracemalloc";
import { allocSlow } from "./slowpath";
import { monitorTick } from "./monitor";

const usedpools: usize = memory.data(NB_SMALL_SIZE_CLASSES * 8);

// @ts-ignore: decorator
@inline function PTA(szidx: usize): PoolHeader {
  return changetype<PoolHeader>(usedpools + (szidx << 3) - POOL_NEXTPOOL);
}

export function obmallocInit(): void {
  for (let c: usize = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    const h = changetype<usize>(PTA(c));
    store<usize>(usedpools + (c << 3), h);
    store<usize>(usedpools + (c << 3), h, 4);
  }
}

/** First used pool of class c, or the fake head when there is none. */
// @ts-ignore: decorator
@inline export function firstUsedPool(c: usize): PoolHeader {
  return changetype<PoolHeader>(load<usize>(usedpools + (c << 3)));
}

// @ts-ignore: decorator
@inline export function isListHead(pool: PoolHeader, c: usize): bool {
  return pool == PTA(c);
}

/** The pool has no free block left: it leaves usedpools. */
function unlinkFull(pool: PoolHeader): void {
  const next = pool.nextpool;
  const prev = pool.prevpool;
  next.prevpool = prev;
  prev.nextpool = next;
}

/** A block from a used pool: the top of its free-block list, else a virgin block. */
// @ts-ignore: decorator
@inline function allocFromPool(pool: PoolHeader, szidx: u32): usize {
  if (PYHEAP_DEBUG) assert(pool.szidx == szidx, "allocFromPool: a pool of another size class in usedpools");
  pool.count++;
  let h = pool.nfree;
  let bp: usize;
  if (h) {
    pool.nfree = --h;
    const chain = freeChain(pool, h);
    bp = load<usize>(chain);
    store<usize>(chain, load<usize>(bp));
    if (h) return bp;
  } else {
    const off = pool.nextoffset;
    bp = changetype<usize>(pool) + off;
    pool.nextoffset = off + INDEX2SIZE(szidx);
  }
  if (pool.nextoffset > pool.maxnextoffset) unlinkFull(pool);
  return bp;
}

/** usedpools[szidx] is empty: set up a pool for it. 0 when memory is exhausted. */
function allocateFromNewPool(szidx: u32): usize {
  const pool = takePool();
  if (!pool) return 0;
  // Link at the front (the list was empty).
  const head = PTA(szidx);
  pool.nextpool = head;
  pool.prevpool = head;
  head.nextpool = pool;
  head.prevpool = pool;
  if (pool.szidx != szidx) {
    // A fresh pool, or one that served another class: start carving from the top.
    // (One that last served this class keeps its free-block list as it was.)
    pool.szidx = szidx;
    pool.nfree = 0;
    pool.nextoffset = POOL_OVERHEAD;
    pool.maxnextoffset = POOL_SIZE - INDEX2SIZE(szidx);
  }
  pool.count = 0; // an empty pool; a freshly carved one holds whatever memory held
  return allocFromPool(pool, szidx);
}

/** A block of 1..512 bytes from a pool; 0 when memory is exhausted. */
// @ts-ignore: decorator
@inline export function pymallocAlloc(nbytes: usize): usize {
  const szidx = <u32>((nbytes - 1) >> ALIGNMENT_SHIFT);
  const pool = firstUsedPool(szidx);
  if (pool != PTA(szidx)) return allocFromPool(pool, szidx);
  return allocateFromNewPool(szidx);
}

/** Pool that was full gets a free block: link it at the front of its class. */
function insertToUsedpool(pool: PoolHeader): void {
  const head = PTA(pool.szidx);
  const next = head.nextpool;
  pool.nextpool = next;
  pool.prevpool = head;
  next.prevpool = pool;
  head.nextpool = pool;
}

/** Pool became empty: unlink from usedpools and give it to its arena. */
function insertToFreepool(pool: PoolHeader): void {
  const next = pool.nextpool;
  const prev = pool.prevpool;
  next.prevpool = prev;
  prev.nextpool = next;
  returnPool(pool);
}

/** Returns a block that addressInRange says is ours to its pool. */
// @ts-ignore: decorator
@inline export function pymallocFree(p: usize): void {
  const pool = changetype<PoolHeader>(p & ~(<usize>POOL_SIZE_MASK));
  if (PYHEAP_DEBUG) assert(pool.count > 0 && pool.szidx < NB_SMALL_SIZE_CLASSES, "pymallocFree: a block of a pool with no block in use");
  const h = pool.nfree;
  const chain = freeChain(pool, h);
  store<usize>(p, load<usize>(chain));
  store<usize>(chain, p);
  pool.nfree = h + 1;
  const count = pool.count - 1;
  pool.count = count;
  if (!h && pool.nextoffset > pool.maxnextoffset) insertToUsedpool(pool); // it was full
  else if (!count) insertToFreepool(pool);
}

// ---- the object domain: PyObject_Malloc and friends ---------------------------

/** Malloc: pools for 1..512 bytes, the raw domain otherwise. 0 on failure. Traced while tracemalloc runs. */
// @ts-ignore: decorator
@inline export function objMalloc(nbytes: usize): usize {
  if (allocSlow) return hookedMalloc(nbytes);
  return untracedMalloc(nbytes);
}

/** With a hook on: traced (tracemalloc), then counted (the monitor's clock). */
function hookedMalloc(nbytes: usize): usize {
  const p = tmTracing ? tracedMalloc(nbytes) : untracedMalloc(nbytes);
  if (p) monitorTick();
  return p;
}

// @ts-ignore: decorator
@inline function untracedMalloc(nbytes: usize): usize {
  if (nbytes - 1 < SMALL_REQUEST_THRESHOLD) {
    const p = pymallocAlloc(nbytes);
    if (p) return p;
    // No arena could be had. CPython falls back to the raw domain here too.
    smallInRaw = true;
  }
  return rawMalloc(nbytes);
}

/**
 * Set when a request of 1..512 bytes went to the raw domain (no arena could be had): the
 * live census then looks the block's size up instead of deriving it from the request
 * (alloc/objmap.ts's objectBorn clears it). A stale true only costs a lookup.
 */
export let smallInRaw: bool = false;
export function clearSmallInRaw(): void { smallInRaw = false; }

/** tracemalloc_alloc: the trace's room and traceback first, so a block never goes untraced. */
function tracedMalloc(nbytes: usize): usize {
  const tb = tmPrepare();
  if (!tb) return 0;
  const p = untracedMalloc(nbytes);
  if (p) tmAdd(p, nbytes, tb);
  return p;
}

// @ts-ignore: decorator
@inline export function objFree(p: usize): void {
  if (!p) return;
  if (tmTracing) tmRemove(p);
  if (addressInRange(p)) pymallocFree(p);
  else rawFree(p);
}

/** objFree of a live block p, answering its usable size; the caller knows whether p is a pool block (inPool). */
// @ts-ignore: decorator
@inline export function objFreeKnown(p: usize, inPool: bool): usize {
  if (tmTracing) tmRemove(p);
  if (inPool) {
    const size = INDEX2SIZE(changetype<PoolHeader>(p & ~(<usize>POOL_SIZE_MASK)).szidx);
    pymallocFree(p);
    return size;
  }
  const size = rawSize(p);
  rawFree(p);
  return size;
}

export function objCalloc(nelem: usize, elsize: usize): usize {
  if (elsize && nelem > <usize>-1 / elsize) return 0;
  const n = nelem * elsize;
  const p = objMalloc(n);
  if (p) memory.fill(p, 0, n);
  return p;
}

/** Usable size of a live block (its size class, or the raw block's size). */
export function objUsableSize(p: usize): usize {
  if (addressInRange(p)) {
    return INDEX2SIZE(changetype<PoolHeader>(p & ~(<usize>POOL_SIZE_MASK)).szidx);
  }
  return rawSize(p);
}

/**
 * Realloc. A pool block is kept when the new size fits and shrinks it by less than
 * 25%; otherwise the data moves to a new block. A raw block stays in the raw domain
 * whatever the new size (as in CPython). 0 on failure, the old block untouched.
 */
export function objRealloc(p: usize, nbytes: usize): usize {
  if (!allocSlow) return untracedRealloc(p, nbytes);
  const q = tmTracing ? tracedRealloc(p, nbytes) : untracedRealloc(p, nbytes);
  if (q) monitorTick();
  return q;
}

function tracedRealloc(p: usize, nbytes: usize): usize {
  // tracemalloc_realloc: the new block gets the current traceback, the old trace goes
  const tb = tmPrepare();
  if (!tb) return 0;
  const q = untracedRealloc(p, nbytes);
  if (!q) return 0;
  if (p && q != p) tmRemove(p);
  tmAdd(q, nbytes, tb);
  return q;
}

function untracedRealloc(p: usize, nbytes: usize): usize {
  if (!p) return untracedMalloc(nbytes);
  if (!addressInRange(p)) return rawRealloc(p, nbytes);
  const size = INDEX2SIZE(changetype<PoolHeader>(p & ~(<usize>POOL_SIZE_MASK)).szidx);
  if (nbytes <= size && (nbytes << 2) > size * 3) return p;
  const q = untracedMalloc(nbytes);
  if (!q) return 0;
  memory.copy(q, p, nbytes < size ? nbytes : size);
  pymallocFree(p);
  return q;
}
