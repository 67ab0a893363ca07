// object/debug.ts — the debug build's registry of live objects (PYHEAP_DEBUG=1).
//
// CPython counterpart: none exactly; the nearest are the debug build's checks
// (_PyObject_ASSERT, PYTHONMALLOC=debug's dead-byte patterns). pyheap's debug engine
// (build/pyheap-debug.wasm, Heap.create({ debug: true })) records every live object
// in a hash set, and every exported function checks each id it receives: a dead,
// never-allocated or interior id, or an object of the wrong type, is reported to the
// host (env.misuse, which throws PyReferenceError / PyTypeError) before anything
// changes. Free lists are off in this build, so a freed object is really gone.
//
// In the release build PYHEAP_DEBUG is 0 and all of this compiles away.
//
// The set: open addressing over u32 ids, 0 = empty, 1 = deleted, at most half full.
// Its growth is an allocation like any other: every allocation of an object first
// reserves room for its registration (debugReserve), and fails with MemoryError,
// before anything changed, when the registry cannot grow; registering then never
// allocates, and unregistering never does.

import { pageAlloc, pageFree, PURPOSE_TABLE } from "../alloc/pages";

export const MISUSE_DEAD: i32 = 1;
export const MISUSE_TYPE: i32 = 2;
export const MISUSE_REFCNT: i32 = 3;

/** Reports a misused id to the host, which throws: nothing after this call runs. */
// @ts-ignore: decorator
@external("env", "misuse")
export declare function misuse(kind: i32, id: usize, expected: u32): void;

/** Slots of the first table: room for every immortal object made at start-up. */
const INITIAL_SLOTS: u32 = 1024;

let table: usize = 0;
let mask: u32 = 0;
let used: u32 = 0;
let fill: u32 = 0;

// @ts-ignore: decorator
@inline function slotHash(o: usize): u32 { return <u32>(o >> 3) * 0x9e3779b1; }

/** A table with room for twice the live ids (tombstones dropped); false = no memory. */
function grow(): bool {
  let size: u32 = INITIAL_SLOTS;
  while (size < (used + 1) * 4) size <<= 1;
  const t = pageAlloc(<usize>size << 2, PURPOSE_TABLE);
  if (!t) return false;
  memory.fill(t, 0, <usize>size << 2);
  const old = table, oldSize = old ? mask + 1 : 0;
  table = t;
  mask = size - 1;
  fill = used;
  for (let i: u32 = 0; i < oldSize; i++) {
    const o = load<u32>(old + (<usize>i << 2));
    if (o > 1) insert(o);
  }
  if (old) pageFree(old, PURPOSE_TABLE);
  return true;
}

function insert(o: usize): void {
  let i = slotHash(o) & mask;
  while (load<u32>(table + (<usize>i << 2)) > 1) i = (i + 1) & mask;
  store<u32>(table + (<usize>i << 2), <u32>o);
}

/** Room for one more registration (growing the table if needed); false = no memory. */
export function debugReserve(): bool {
  return (table && (fill + 1) * 2 <= mask + 1) || grow();
}

/** Records a new live object; debugReserve() made room for it. */
export function debugRegister(o: usize): void {
  if (!table || (fill + 1) * 2 > mask + 1) unreachable(); // an allocation that did not reserve: an engine bug
  let i = slotHash(o) & mask;
  while (true) {
    const s = load<u32>(table + (<usize>i << 2));
    if (s <= 1) {
      if (s == 0) fill++;
      store<u32>(table + (<usize>i << 2), <u32>o);
      used++;
      return;
    }
    i = (i + 1) & mask;
  }
}

export function debugUnregister(o: usize): void {
  if (!table) return;
  let i = slotHash(o) & mask;
  while (true) {
    const s = load<u32>(table + (<usize>i << 2));
    if (s == 0) return;
    if (s == <u32>o) { store<u32>(table + (<usize>i << 2), 1); used--; return; }
    i = (i + 1) & mask;
  }
}

export function debugLive(o: usize): bool {
  if (!table || o < 8 || (o & 3) != 0) return false;
  let i = slotHash(o) & mask;
  while (true) {
    const s = load<u32>(table + (<usize>i << 2));
    if (s == 0) return false;
    if (s == <u32>o) return true;
    i = (i + 1) & mask;
  }
}

export function debugLiveCount(): u32 { return used; }

/** The registry slot holding o, or -1 when o is not registered. */
export function debugSlot(o: usize): i32 {
  if (!table || o < 8 || (o & 3) != 0) return -1;
  let i = slotHash(o) & mask;
  while (true) {
    const s = load<u32>(table + (<usize>i << 2));
    if (s == 0) return -1;
    if (s == <u32>o) return <i32>i;
    i = (i + 1) & mask;
  }
}

/** The registry's slots (for walks over every live object): the table and its size. */
export function debugTable(): usize { return table; }
export function debugTableSize(): u32 { return table ? mask + 1 : 0; }
