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
// The set: an IdTable (alloc/idtable.ts) of ids in page memory, at most half full.
// Its growth is an allocation like any other: every allocation of an object first
// reserves room for its registration (debugReserve), and fails with MemoryError,
// before anything changed, when the registry cannot grow; registering then never
// allocates, and unregistering never does.

import { IdTable, idTableAt, ID_TABLE_BYTES, idHash, idFind, idReserve, idInsert, idRemove } from "../alloc/idtable";

export const MISUSE_DEAD: i32 = 1;
export const MISUSE_TYPE: i32 = 2;
export const MISUSE_REFCNT: i32 = 3;

/** Reports a misused id to the host, which throws: nothing after this call runs. */
// @ts-ignore: decorator
@external("env", "misuse")
export declare function misuse(kind: i32, id: usize, expected: u32): void;

/** Slots of the first table: room for every immortal object made at start-up. */
const INITIAL_SLOTS: u32 = 1024;

const registry: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 4, true);
function rehash(k: usize): u32 { return idHash(k); }

/** Room for one more registration (growing the table if needed); false = no memory. */
export function debugReserve(): bool { return idReserve(registry, INITIAL_SLOTS, rehash); }

/** Records a new live object; debugReserve() made room for it. */
export function debugRegister(o: usize): void {
  assert(!idFind(registry, o, idHash(o)), "debugRegister: id registered twice");
  idInsert(registry, o, idHash(o));
}

export function debugUnregister(o: usize): void {
  const e = idFind(registry, o, idHash(o));
  if (e) idRemove(registry, e, true);
}

// @ts-ignore: decorator
@inline function plausible(o: usize): bool { return registry.slots != 0 && o >= 8 && (o & 3) == 0; }

export function debugLive(o: usize): bool { return plausible(o) && idFind(registry, o, idHash(o)) != 0; }

export function debugLiveCount(): u32 { return registry.used; }

/** The registry slot holding o, or -1 when o is not registered. */
export function debugSlot(o: usize): i32 {
  const e = plausible(o) ? idFind(registry, o, idHash(o)) : 0;
  return e ? <i32>((e - registry.slots) >> 2) : -1;
}

/** The registry's slots (for walks over every live object): the table and its size. */
export function debugTable(): usize { return registry.slots; }
export function debugTableSize(): u32 { return registry.slots ? registry.mask + 1 : 0; }
