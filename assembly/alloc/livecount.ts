// alloc/livecount.ts — live objects, and the bytes of their own blocks, per type: kept as
// objects are born and die, so a census costs nothing but a read.
//
// CPython counterpart: none in the runtime (the COUNT_ALLOCS builds of old kept per-type
// counters); objgraph's typestats and pympler's summary walk gc.get_objects() instead,
// which sees containers only and costs a heap walk. Here every object counts, floats and
// strs included.
//
//   table u64[MAX_TYPES]    per type id: live objects (high 32 bits) and the usable sizes of
//                           their own blocks (low 32; GC head included; a container's item
//                           table or a bytearray's data is not its own block), so that each
//                           birth or death is one 64-bit add (in the static area, given by
//                           object/header.ts's typesInit)
//
// An object is born when it gets its block or leaves a free list, and dies when its block
// is freed or it joins a free list (a kept object is dead; reuse is not an allocation). The
// callers give the type id (the object's word at +4 without its flag bits). Immortal
// objects (static) are never counted.
//
// Invariant: table[t] >> 32 is the number of live objects of type t with a block; its low half the
// sum of their blocks' usable sizes.


/** The tables' length (object/header.ts's MAX_TYPES, checked at liveInit). */
const LIVE_TYPES: usize = 4096;
/** u64[MAX_TYPES]: live objects in the high 32 bits, their bytes in the low 32 (one add per event). */
let table: usize = 0;
const ONE: u64 = 1 << 32;

export function liveInit(t: usize, types: u32): void {
  assert(<usize>types == LIVE_TYPES, "livecount: MAX_TYPES changed");
  table = t;
}

/** An object of type id `type` whose block's usable size is `size` is born. */
// @ts-ignore: decorator
@inline export function liveBorn(type: u32, size: usize): void {
  if (PYHEAP_DEBUG) assert(table && <usize>type < LIVE_TYPES, "liveBorn: a type id out of range (or the census not set up)");
  const at = table + (<usize>type << 3);
  store<u64>(at, load<u64>(at) + (ONE | <u64>size));
}

/** An object of type id `type` whose block's usable size is `size` dies. */
// @ts-ignore: decorator
@inline export function liveDied(type: u32, size: usize): void {
  const at = table + (<usize>type << 3);
  if (PYHEAP_DEBUG) assert(table && <usize>type < LIVE_TYPES && (load<u64>(at) >> 32) > 0, "liveDied: no live object of this type");
  store<u64>(at, load<u64>(at) - (ONE | <u64>size));
}

/**
 * The usable size of a pool block of `size` requested bytes (its size class), for the free
 * lists, whose objects' sizes are constants: no lookup. A free list only ever holds objects
 * whose blocks came from pools... except one that pymalloc could not place (taken from the raw
 * domain near memory exhaustion): objects leave the free lists with the size they joined with,
 * so the table stays consistent; only such an object's bytes are its pool class's, not its
 * raw block's.
 */
// @ts-ignore: decorator
@inline export function poolBlockSize(size: usize): usize { return (size + 7) & ~<usize>7; }

export function liveCount(t: u32): u32 { return table ? <u32>(load<u64>(table + (<usize>t << 3)) >> 32) : 0; }
export function liveBytes(t: u32): u32 { return table ? <u32>load<u64>(table + (<usize>t << 3)) : 0; }
