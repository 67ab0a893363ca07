// alloc/arena.ts — arenas: where pools come from and where empty pools go back.
//
// CPython counterparts (Objects/obmalloc.c): new_arena, the arena half of
// allocate_from_new_pool, insert_to_freepool, and the radix-tree address_in_range.
//
//   arenas[]              vector of ArenaObject, 16 slots at first, doubled when full
//   unused_arena_objects  slots with address == 0, singly linked through nextarena
//   usable_arenas         arenas with at least one free pool, doubly linked,
//                         SORTED by nfreepools ascending: the most used arena first,
//                         so allocation concentrates in few arenas and the emptiest
//                         ones get the chance to become wholly free and be released
//   nfp2lasta[n]          the LAST arena in usable_arenas with exactly n free pools
//                         (0 when there is none): moving an arena whose count went
//                         from n-1 to n to its sorted place is O(1)
//
//   usable_arenas -> [nf=1] <-> [nf=1] <-> [nf=5] <-> [nf=64]      full arenas: in no list
//                              ^nfp2lasta[1] ^nfp2lasta[5] ^nfp2lasta[64]
//
// Invariants kept here:
//   - an arena with 0 free pools is on neither list;
//   - new arenas are made only when usable_arenas is empty, so the vector may move
//     (realloc) without invalidating any live list pointer;
//   - at most one wholly free arena is kept (the last of usable_arenas); any other
//     arena that becomes wholly free is released to the page layer at once.
//
// Arena map: wasm32 has 4096 "ideal" (1 MiB-aligned) regions. An arena that is not
// 1 MiB-aligned straddles two of them. For each region the map records tail_hi (the
// offset where an arena begins inside it) and tail_lo (where an arena that began in
// the previous region ends); an address is inside an arena iff its offset is
// below tail_lo, or at/above a nonzero tail_hi. This is CPython's arena_coverage_t
// flattened to one level, and makes free() route any pointer in O(1).
//
// Object map: one bit per 8 bytes of every 1 MiB region of address space an arena covers,
// set while an object starts there: its block came from an arena's pool and it has not died
// (a free-listed object keeps its bit; the free lists know their own). Heap snapshots and
// leaks.mark() enumerate every object with it, the untracked ones (floats, strs, untracked
// tuples) included, which no list reaches. A region's map (16 KiB, on the page layer) is made
// by the first arena that touches the region and freed with the last (an arena that is not
// 1 MiB-aligned touches two, and two arenas may share one); a static table gives each
// region's map biased, so a birth is one load from it and an OR, a death the same AND:
//
//   regionMaps[o >> 20] + (o >> 6)   the byte of o's bit, bit (o >> 3) & 7
//
// Invariant: a bit is set iff an object of an arena's pool starts at its address and has not
// died; a region with no arena has no map.

import {
  ArenaObject, PoolHeader, ARENA_BITS, ARENA_SIZE, ARENA_SIZE_MASK, ARENA_OBJECT_SIZE,
  INITIAL_ARENA_OBJECTS, MAX_POOLS_IN_ARENA, POOL_SIZE, POOL_SIZE_MASK, DUMMY_SIZE_IDX,
} from "./config";
import { pageAlloc, pageFree, pageRealloc, PURPOSE_ARENA, PURPOSE_TABLE } from "./pages";

export let arenas: usize = 0;
export let maxarenas: u32 = 0;
let unused_arena_objects: usize = 0;
export let usable_arenas: usize = 0;
const nfp2lasta: usize = memory.data((MAX_POOLS_IN_ARENA + 1) * 4);

const ARENA_MAP_ENTRIES: u32 = (1 << (32 - ARENA_BITS)) + 1;
let arena_map: usize = 0; // ARENA_MAP_ENTRIES x { tail_hi: i32, tail_lo: i32 }

export let narenas_currently_allocated: u32 = 0;
export let ntimes_arena_allocated: u32 = 0;
export let narenas_highwater: u32 = 0;

export function arenaInit(): bool {
  arena_map = pageAlloc(ARENA_MAP_ENTRIES << 3, PURPOSE_TABLE);
  if (!arena_map) return false;
  memory.fill(arena_map, 0, ARENA_MAP_ENTRIES << 3);
  return true;
}

export function arenaMapBytes(): u32 {
  return ARENA_MAP_ENTRIES << 3;
}

// @ts-ignore: decorator
@inline export function arenaAt(index: u32): ArenaObject {
  return changetype<ArenaObject>(arenas + index * ARENA_OBJECT_SIZE);
}

// @ts-ignore: decorator
@inline function nfpLast(nf: u32): usize {
  return load<usize>(nfp2lasta + (nf << 2));
}

// @ts-ignore: decorator
@inline function setNfpLast(nf: u32, ao: usize): void {
  store<usize>(nfp2lasta + (nf << 2), ao);
}

/** Is `p` inside an arena? O(1), never reads the arena itself. */
// @ts-ignore: decorator
@inline export function addressInRange(p: usize): bool {
  const entry = arena_map + ((p >> ARENA_BITS) << 3);
  const tail = <i32>(p & ARENA_SIZE_MASK);
  const hi = load<i32>(entry);
  return tail < load<i32>(entry, 4) || (hi != 0 && tail >= hi);
}

function arenaMapMark(base: usize, used: bool): void {
  const entry = arena_map + ((base >> ARENA_BITS) << 3);
  const tail = <i32>(base & ARENA_SIZE_MASK);
  if (tail == 0) {
    // An ideal arena fills its region: tail_hi = -1 makes every offset >= it.
    store<i32>(entry, used ? -1 : 0);
  } else {
    store<i32>(entry, used ? tail : 0);
    store<i32>(entry + 8, used ? tail : 0, 4); // tail_lo of the next region
  }
}

// ---- the object map ----
/** Bytes of map per 1 MiB region of address space (one bit per 8 bytes). */
const REGION_MAP_BYTES: usize = ARENA_SIZE >> 6;
const REGIONS: usize = <usize>1 << (32 - ARENA_BITS);
/** Per 1 MiB region: its map, biased (the byte of o is map + (o >> 6)), or 0. */
const regionMaps: usize = memory.data(<i32>(REGIONS << 2), 4);
/** Per region: the arenas that touch it (0, 1 or 2). */
const regionUsers: usize = memory.data(<i32>REGIONS, 1);

// @ts-ignore: decorator
@inline function regionMap(r: usize): usize { return load<u32>(regionMaps + (r << 2)); }

function regionRelease(r: usize): void {
  const n = load<u8>(regionUsers + r) - 1;
  store<u8>(regionUsers + r, n);
  if (n) return;
  const m = regionMap(r) + ((r << ARENA_BITS) >> 6);
  if (PYHEAP_DEBUG) for (let i: usize = 0; i < REGION_MAP_BYTES; i += 8) assert(!load<u64>(m + i), "a region's object map is not empty when its last arena goes");
  pageFree(m, PURPOSE_TABLE);
  store<u32>(regionMaps + (r << 2), 0);
}

/** The maps of the (one or two) regions an arena at base covers: false when memory is short (nothing changed). */
function regionsTake(base: usize): bool {
  const r0 = base >> ARENA_BITS, r1 = (base + ARENA_SIZE - 1) >> ARENA_BITS;
  for (let r = r0; r <= r1; r++) {
    if (!regionMap(r)) {
      const m = pageAlloc(REGION_MAP_BYTES, PURPOSE_TABLE);
      if (!m) {
        if (r > r0) regionRelease(r0);
        return false;
      }
      memory.fill(m, 0, REGION_MAP_BYTES);
      store<u32>(regionMaps + (r << 2), <u32>(m - ((r << ARENA_BITS) >> 6)));
    }
    store<u8>(regionUsers + r, load<u8>(regionUsers + r) + 1);
  }
  return true;
}

function regionsRelease(base: usize): void {
  const r0 = base >> ARENA_BITS, r1 = (base + ARENA_SIZE - 1) >> ARENA_BITS;
  for (let r = r0; r <= r1; r++) regionRelease(r);
}

/** An object now starts at o, in a block of one of the arenas' pools. */
// @ts-ignore: decorator
@inline export function objMapSet(o: usize): void {
  const at = <usize>load<u32>(regionMaps + ((o >> ARENA_BITS) << 2)) + (o >> 6);
  store<u8>(at, load<u8>(at) | (<u8>1 << <u8>((o >> 3) & 7)));
}

/** The object at o (in a pool) died. */
// @ts-ignore: decorator
@inline export function objMapClear(o: usize): void {
  const at = <usize>load<u32>(regionMaps + ((o >> ARENA_BITS) << 2)) + (o >> 6);
  if (PYHEAP_DEBUG) assert(load<u8>(at) & (<u8>1 << <u8>((o >> 3) & 7)), "objMapClear: no object mapped there");
  store<u8>(at, load<u8>(at) & ~(<u8>1 << <u8>((o >> 3) & 7)));
}

/**
 * Calls f(o, arg) for every mapped object of every arena, by arena slot, then address. f
 * must not allocate or free objects (the map may not change under the scan). An arena's
 * pools lie in [its base rounded down to a pool, base + 1 MiB): no other arena's do.
 */
export function objMapEach(f: (o: usize, arg: usize) => void, arg: usize): void {
  for (let i: u32 = 0; i < maxarenas; i++) {
    const ao = arenaAt(i);
    if (!ao.address) continue;
    const end = ao.address + ARENA_SIZE;
    // 512 bytes of addresses per 64-bit word of map; a word never straddles two regions
    for (let a = ao.address & ~(<usize>POOL_SIZE_MASK); a < end; a += 512) {
      let w = load<u64>(regionMap(a >> ARENA_BITS) + (a >> 6));
      while (w) {
        const j = <usize>ctz(w);
        w &= w - 1;
        f(a + (j << 3), arg);
      }
    }
  }
}

/** Doubles the arena vector (usable_arenas is empty here, so nothing points into it). */
function growArenaVector(): bool {
  const n = maxarenas ? maxarenas << 1 : INITIAL_ARENA_OBJECTS;
  if (n > (1 << (32 - ARENA_BITS))) return false;
  const bytes = n * ARENA_OBJECT_SIZE;
  const v = arenas ? pageRealloc(arenas, bytes, PURPOSE_TABLE) : pageAlloc(bytes, PURPOSE_TABLE);
  if (!v) return false;
  arenas = v;
  for (let i = maxarenas; i < n; i++) {
    const ao = arenaAt(i);
    ao.address = 0;
    ao.nextarena = i + 1 < n ? changetype<usize>(arenaAt(i + 1)) : 0;
  }
  unused_arena_objects = changetype<usize>(arenaAt(maxarenas));
  maxarenas = n;
  return true;
}

/** Takes a slot, allocates 1 MiB for it, makes it the only usable arena. */
function newArena(): ArenaObject | null {
  // The memory first: when it cannot be had, nothing has changed.
  const base = pageAlloc(ARENA_SIZE, PURPOSE_ARENA);
  if (!base) return null;
  if (!regionsTake(base)) {
    pageFree(base, PURPOSE_ARENA);
    return null;
  }
  if (!unused_arena_objects && !growArenaVector()) {
    regionsRelease(base);
    pageFree(base, PURPOSE_ARENA);
    return null;
  }
  const ao = changetype<ArenaObject>(unused_arena_objects);
  unused_arena_objects = ao.nextarena;
  ao.address = base;
  arenaMapMark(base, true);
  ao.freepools = 0;
  ao.nfreepools = MAX_POOLS_IN_ARENA;
  ao.pool_address = base;
  const excess = <u32>(base & POOL_SIZE_MASK);
  if (excess) {
    ao.nfreepools--;
    ao.pool_address += POOL_SIZE - excess;
  }
  ao.ntotalpools = ao.nfreepools;
  ao.nextarena = 0;
  ao.prevarena = 0;
  usable_arenas = changetype<usize>(ao);
  setNfpLast(ao.nfreepools, changetype<usize>(ao));
  narenas_currently_allocated++;
  ntimes_arena_allocated++;
  if (narenas_currently_allocated > narenas_highwater) narenas_highwater = narenas_currently_allocated;
  return ao;
}

/**
 * An empty pool from the head of usable_arenas (a cached empty pool first, else a
 * freshly carved one), or 0 when no arena can be had. The pool is not yet in any
 * usedpools list; its szidx is its previous class or DUMMY_SIZE_IDX.
 */
export function takePool(): PoolHeader | null {
  if (!usable_arenas && !newArena()) return null;
  const ao = changetype<ArenaObject>(usable_arenas);
  const nf = ao.nfreepools;
  // ao is the first arena and stays first (its count only drops): fix the table.
  if (nfpLast(nf) == usable_arenas) setNfpLast(nf, 0);
  if (nf > 1) setNfpLast(nf - 1, usable_arenas);
  ao.nfreepools = nf - 1;
  let pool: PoolHeader;
  if (ao.freepools) {
    pool = changetype<PoolHeader>(ao.freepools);
    ao.freepools = changetype<usize>(pool.nextpool);
  } else {
    pool = changetype<PoolHeader>(ao.pool_address);
    pool.arenaindex = <u32>((changetype<usize>(ao) - arenas) / ARENA_OBJECT_SIZE);
    pool.szidx = DUMMY_SIZE_IDX;
    ao.pool_address += POOL_SIZE;
  }
  if (nf == 1) {
    // The arena is now full: it leaves usable_arenas.
    usable_arenas = ao.nextarena;
    if (usable_arenas) changetype<ArenaObject>(usable_arenas).prevarena = 0;
  }
  return pool;
}

function unlinkUsable(ao: ArenaObject): void {
  if (ao.prevarena) changetype<ArenaObject>(ao.prevarena).nextarena = ao.nextarena;
  else usable_arenas = ao.nextarena;
  if (ao.nextarena) changetype<ArenaObject>(ao.nextarena).prevarena = ao.prevarena;
}

/** A pool became empty (already unlinked from usedpools): give it to its arena. */
export function returnPool(pool: PoolHeader): void {
  const ao = arenaAt(pool.arenaindex);
  const aop = changetype<usize>(ao);
  pool.nextpool = changetype<PoolHeader>(ao.freepools);
  ao.freepools = changetype<usize>(pool);
  const oldnf = ao.nfreepools;
  const nf = oldnf + 1;
  ao.nfreepools = nf;

  if (oldnf == 0) {
    // The arena was full, in no list; with one free pool it is the most used.
    ao.prevarena = 0;
    ao.nextarena = usable_arenas;
    if (usable_arenas) changetype<ArenaObject>(usable_arenas).prevarena = aop;
    usable_arenas = aop;
    if (!nfpLast(1)) setNfpLast(1, aop);
    return;
  }

  // ao leaves the run of arenas with oldnf free pools.
  const lastold = nfpLast(oldnf);
  if (lastold == aop) {
    const prev = ao.prevarena;
    setNfpLast(oldnf, prev && changetype<ArenaObject>(prev).nfreepools == oldnf ? prev : 0);
  }

  if (nf == ao.ntotalpools && ao.nextarena) {
    // Wholly free and not the last (emptiest) arena: release it.
    unlinkUsable(ao);
    arenaMapMark(ao.address, false);
    if (PYHEAP_DEBUG) for (let a = ao.address & ~(<usize>POOL_SIZE_MASK); a < ao.address + ARENA_SIZE; a += 512) assert(!load<u64>(regionMap(a >> ARENA_BITS) + (a >> 6)), "a wholly free arena's object map is not empty");
    regionsRelease(ao.address);
    pageFree(ao.address, PURPOSE_ARENA);
    ao.address = 0;
    ao.nextarena = unused_arena_objects;
    unused_arena_objects = aop;
    narenas_currently_allocated--;
    return;
  }

  if (lastold != aop) {
    // Arenas after ao still have oldnf free pools: move ao just after the last.
    unlinkUsable(ao);
    const last = changetype<ArenaObject>(lastold);
    ao.prevarena = lastold;
    ao.nextarena = last.nextarena;
    if (ao.nextarena) changetype<ArenaObject>(ao.nextarena).prevarena = aop;
    last.nextarena = aop;
  }
  // ao is now the first arena with nf free pools; the last one is unchanged if any.
  if (!nfpLast(nf)) setNfpLast(nf, aop);
}

/** Invariant 1 (see stats.ts checkHeap): usable_arenas is sorted and nfp2lasta agrees with it. */
export function arenasConsistent(): bool {
  let prevnf: u32 = 0;
  let p = usable_arenas;
  let prev: usize = 0;
  while (p) {
    const ao = changetype<ArenaObject>(p);
    if (ao.prevarena != prev || ao.nfreepools == 0 || ao.nfreepools < prevnf) return false;
    const next = ao.nextarena;
    const isLast = !next || changetype<ArenaObject>(next).nfreepools != ao.nfreepools;
    if (isLast != (nfpLast(ao.nfreepools) == p)) return false;
    prevnf = ao.nfreepools;
    prev = p;
    p = next;
  }
  // no stale table entries
  for (let nf: u32 = 0; nf <= MAX_POOLS_IN_ARENA; nf++) {
    const a = nfpLast(nf);
    if (a && (changetype<ArenaObject>(a).nfreepools != nf || changetype<ArenaObject>(a).address == 0)) return false;
  }
  return true;
}
