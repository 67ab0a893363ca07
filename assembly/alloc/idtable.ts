// alloc/idtable.ts — the engine's one open-addressing table of ids.
//
// CPython counterparts: the tables CPython keeps beside its objects, each a dict or a
// _Py_hashtable_t (Python/hashtable.c, used by tracemalloc): the interned strings
// (interp->cached_objects.interned), and, with no exact counterpart, pyheap's side
// table of weakref lists and the debug build's registry of live objects; tracemalloc's
// traces and tracebacks (_Py_hashtable_t there too).
//
//   IdTable (8-aligned static data)      slots (object domain, or pages)
//   +-------+                            +-----+------+
//   | slots-+--------------------------> | key | word |  x (mask + 1); width 4: keys only,
//   |       |                            |     | ...  |  wider: key and (width-4)/4 words
//   | mask  |  slots - 1 (a power of 2)  | ... | ...  |
//   | used  |  live keys                 +-----+------+
//   | fill  |  live + deleted
//   +-------+
//
// Keys are u32 ids; key 0 = empty, 1 = deleted. Probing is linear from a hash the
// user supplies (idHash for identity tables; the str hash for the intern table, which
// compares contents itself with idProbe/idSlot). Growth rehashes every live key
// with the user's hash function and drops the deleted ones.
//
// Invariants: fill <= half of the slots after every reservation (so a probe ends);
// used counts the keys > 1; a table with no slots has mask 0 and used 0.

import { pageAlloc, pageFree, PURPOSE_TABLE } from "./pages";

// The object domain, for tables whose slots are ordinary blocks (traced by tracemalloc,
// as CPython's interned dict is). A tie made by reference in init(): alloc/obmalloc.ts
// imports alloc/tracemalloc.ts, whose tables are IdTables on pages.
let objectMalloc: (n: usize) => usize = (n: usize): usize => 0;
let objectFree: (p: usize) => void = (p: usize): void => {};
export function setObjectDomain(malloc: (n: usize) => usize, free: (p: usize) => void): void {
  objectMalloc = malloc;
  objectFree = free;
}

export const ID_EMPTY: u32 = 0;
export const ID_DELETED: u32 = 1;

@unmanaged export class IdTable {
  slots: usize;
  mask: u32;
  used: u32;
  fill: u32;
  /** Bytes per slot: 4 (keys), or a key and its words (8, 16). */
  width: u32;
  /** Slots come from the page layer (true) or the object domain. */
  pages: bool;
}

/** A static table descriptor (memory.data), empty. */
export function idTableAt(p: usize, width: u32, pages: bool): IdTable {
  const t = changetype<IdTable>(p);
  t.slots = 0; t.mask = 0; t.used = 0; t.fill = 0;
  t.width = width;
  t.pages = pages;
  return t;
}
export const ID_TABLE_BYTES: usize = offsetof<IdTable>();

/** Fibonacci hashing of an address (ids are 8-aligned: the low bits carry nothing). */
// @ts-ignore: decorator
@inline export function idHash(o: usize): u32 { return <u32>(o >> 3) * 0x9e3779b1; }

/** The address of slot i. */
// @ts-ignore: decorator
@inline export function idSlot(t: IdTable, i: u32): usize { return t.slots + <usize>i * t.width; }

/** The entry of key o (its hash h), or 0 when absent or the table has no slots. */
export function idFind(t: IdTable, o: usize, h: u32): usize {
  if (!t.slots) return 0;
  let i = h & t.mask;
  while (true) {
    const e = idSlot(t, i);
    const k = load<u32>(e);
    if (k == ID_EMPTY) return 0;
    if (k == <u32>o) return e;
    i = (i + 1) & t.mask;
  }
}

/**
 * Room for one more key: true, or false when the slots cannot grow (nothing changed).
 * minSlots: the size of a first table; rehash: the hash of a stored key.
 */
export function idReserve(t: IdTable, minSlots: u32, rehash: (k: usize) => u32): bool {
  if (t.slots && (t.fill + 1) * 2 <= t.mask + 1) return true;
  let size = minSlots;
  while (size < (t.used + 1) * 4) size <<= 1;
  const bytes = <usize>size * t.width;
  const s = t.pages ? pageAlloc(bytes, PURPOSE_TABLE) : objectMalloc(bytes);
  if (!s) return false;
  memory.fill(s, 0, bytes);
  const old = t.slots, oldSize: u32 = old ? t.mask + 1 : 0, w = t.width;
  t.slots = s;
  t.mask = size - 1;
  t.fill = t.used;
  for (let j: u32 = 0; j < oldSize; j++) {
    const e = old + <usize>j * w;
    const k = load<u32>(e);
    if (k <= ID_DELETED) continue;
    let i = rehash(k) & t.mask;
    while (load<u32>(idSlot(t, i))) i = (i + 1) & t.mask;
    memory.copy(idSlot(t, i), e, w);
  }
  if (old) freeSlots(t, old);
  return true;
}

/** Stores key o (hash h, not present) in the first free slot; idReserve made room. Its entry. */
export function idInsert(t: IdTable, o: usize, h: u32): usize {
  if (PYHEAP_DEBUG) assert(t.slots && (t.fill + 1) * 2 <= t.mask + 1, "idInsert without idReserve");
  let i = h & t.mask;
  while (load<u32>(idSlot(t, i)) > ID_DELETED) i = (i + 1) & t.mask;
  const e = idSlot(t, i);
  if (load<u32>(e) == ID_EMPTY) t.fill++;
  store<u32>(e, <u32>o);
  t.used++;
  return e;
}

/** Deletes the key at entry e; the slots go when the last key does (unless keep). */
export function idRemove(t: IdTable, e: usize, keep: bool): void {
  store<u32>(e, ID_DELETED);
  if (t.width > 4) memory.fill(e + 4, 0, t.width - 4);
  if (--t.used == 0 && !keep) {
    // no key left: the slots go (a heap's blocks return to what they were)
    freeSlots(t, t.slots);
    t.slots = 0;
    t.mask = 0;
    t.fill = 0;
  }
}

function freeSlots(t: IdTable, s: usize): void {
  if (t.pages) pageFree(s, PURPOSE_TABLE);
  else objectFree(s);
}
