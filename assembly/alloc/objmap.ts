// alloc/objmap.ts — every live object, findable: births and deaths as the allocator sees
// them, and the ids heap snapshots give objects.
//
// CPython counterpart: none (CPython cannot enumerate its untracked objects: gc.get_objects
// lists containers, and heapy-style tools walk from them). Here an object is known from the
// moment it gets its block to the moment it dies:
//
//   pool objects    a bit in their arena's object map (alloc/arena.ts)
//   large objects   a key in `large` (blocks from the raw domain: > 512 bytes, or a small
//                   request pymalloc could not place), an IdTable on the page layer
//   ids             `ids`: object -> snapshot id (u32), kept from the first heap snapshot or
//                   leaks.mark() on; a death forgets the object's id, so a new object at a
//                   reused address gets a new one. Ids are odd (V8's step of 2), and every
//                   id handed out is above every id handed out before.
//
// A free-listed object is dead for the census and the ids but keeps its map bit (the free
// lists know their own objects: gc/snapshot.ts skips them).
//
// Invariants: an object is mapped (bit or key) iff it is alive or free-listed; an id entry's
// object is alive.

import { IdTable, idTableAt, ID_TABLE_BYTES, idHash, idFind, idReserve, idInsert, idRemove } from "./idtable";
import { addressInRange, objMapSet, objMapClear } from "./arena";
import { liveBorn, poolBlockSize } from "./livecount";
import { objUsableSize, objFree, objFreeKnown, smallInRaw, clearSmallInRaw } from "./obmalloc";
import { SMALL_REQUEST_THRESHOLD } from "./config";

export const large: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 4, true);
export const ids: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 8, true);
/** The next id to hand out (odd; 1..7 are the snapshot's synthetic nodes). */
export let nextId: u32 = 9;
/** Are ids kept (a snapshot or a mark was taken)? Deaths then forget them. */
export let idsKept: bool = false;

function rehash(k: usize): u32 { return idHash(k); }

/**
 * The object o, whose block p of `size` requested bytes was just allocated, is born: mapped
 * and counted. false when memory for the large table is short: p is freed then (out of the
 * hot path: the caller only fails), and nothing else changed.
 */
// @ts-ignore: decorator
@inline export function objectBorn(type: u32, size: usize, p: usize, o: usize): bool {
  if (size - 1 < SMALL_REQUEST_THRESHOLD && !smallInRaw) {
    objMapSet(o);
    liveBorn(type, poolBlockSize(size));
    return true;
  }
  return objectBornSlow(type, p, o);
}

function objectBornSlow(type: u32, p: usize, o: usize): bool {
  clearSmallInRaw();
  if (addressInRange(p)) {
    objMapSet(o);   // a stale smallInRaw: a pool block after all
  } else {
    if (!idReserve(large, 64, rehash)) {
      objFree(p);
      return false;
    }
    idInsert(large, o, idHash(o));
  }
  liveBorn(type, objUsableSize(p));
  return true;
}

/** The object o dies and its block p is freed: unmapped, its id forgotten. Its usable size. */
// @ts-ignore: decorator
@inline export function objectDied(o: usize, p: usize): usize {
  const inPool = addressInRange(p);
  if (inPool) objMapClear(o);
  else largeRemove(o);
  if (idsKept) idForget(o);
  return objFreeKnown(p, inPool);
}

function largeRemove(o: usize): void {
  const e = idFind(large, o, idHash(o));
  if (PYHEAP_DEBUG) assert(e, "objectUnmap: a large object not in the table");
  if (e) idRemove(large, e, false);
}

/** A dead object (freed or free-listed) loses its id. */
export function idForget(o: usize): void {
  const e = idFind(ids, o, idHash(o));
  if (e) idRemove(ids, e, true);
}

/** o's id, given now if it has none; 0 when memory is short. */
export function idOf(o: usize): u32 {
  const h = idHash(o);
  const e = idFind(ids, o, h);
  if (e) return load<u32>(e, 4);
  if (!idReserve(ids, 1024, rehash)) return 0;
  idsKept = true;
  const id = nextId;
  nextId += 2;
  store<u32>(idInsert(ids, o, h), id, 4);
  return id;
}

/** Every large object, for f(o, arg). */
export function largeEach(f: (o: usize, arg: usize) => void, arg: usize): void {
  const t = large;
  for (let i: u32 = 0; t.slots && i <= t.mask; i++) {
    const k = <usize>load<u32>(t.slots + (<usize>i << 2));
    if (k > 1) f(k, arg);
  }
}
