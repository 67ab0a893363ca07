// alloc/livecount.ts — live objects, and the bytes of their own blocks, per type: kept as
// objects are born and die, so a census costs nothing but a read.
//
// CPython counterpart: none in the runtime (the COUNT_ALLOCS builds of old kept per-type
// counters); objgraph's typestats and pympler's summary walk gc.get_objects() instead,
// which sees containers only and costs a heap walk. Here every object counts, floats and
// strs included.
//
//   counts u32[MAX_TYPES]   live objects of each type id
//   bytes  u32[MAX_TYPES]   the usable sizes of their own blocks (GC head included; a
//                           container's item table or a bytearray's data is not its own block)
//   (both in the static area, given by object/header.ts's typesInit)
//
// An object is born when it gets its block or leaves a free list, and dies when its block
// is freed or it joins a free list (a kept object is dead; reuse is not an allocation). The
// callers give the type id (the object's word at +4 without its flag bits). Immortal
// objects (static) are never counted.
//
// Invariant: counts[t] is the number of live objects of type t with a block; bytes[t] the
// sum of their blocks' usable sizes.

import { objUsableSize } from "./obmalloc";

/** The tables' length (object/header.ts's MAX_TYPES, checked at liveInit). */
const LIVE_TYPES: usize = 4096;
let counts: usize = 0;
let bytes: usize = 0;

export function liveInit(countTable: usize, byteTable: usize, types: u32): void {
  assert(<usize>types == LIVE_TYPES, "livecount: MAX_TYPES changed");
  counts = countTable;
  bytes = byteTable;
}

/** An object of type id `type` (its block starts at `block`) is born. */
// @ts-ignore: decorator
@inline export function liveBorn(type: u32, block: usize): void {
  const t = <usize>type << 2;
  if (PYHEAP_DEBUG) assert(counts && t < LIVE_TYPES * 4, "liveBorn: a type id out of range (or the census not set up)");
  store<u32>(counts + t, load<u32>(counts + t) + 1);
  store<u32>(bytes + t, load<u32>(bytes + t) + <u32>objUsableSize(block));
}

/** An object of type id `type` (its block starts at `block`) dies. */
// @ts-ignore: decorator
@inline export function liveDied(type: u32, block: usize): void {
  const t = <usize>type << 2;
  if (PYHEAP_DEBUG) assert(counts && t < LIVE_TYPES * 4 && load<u32>(counts + t) > 0, "liveDied: no live object of this type");
  store<u32>(counts + t, load<u32>(counts + t) - 1);
  store<u32>(bytes + t, load<u32>(bytes + t) - <u32>objUsableSize(block));
}

export function liveCount(t: u32): u32 { return counts ? load<u32>(counts + (<usize>t << 2)) : 0; }
export function liveBytes(t: u32): u32 { return bytes ? load<u32>(bytes + (<usize>t << 2)) : 0; }
