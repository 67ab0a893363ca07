// index.ts — the engine's exported ABI, and nothing else.
//
// Pointers and sizes are u32 (wasm32). Allocation functions return 0 when memory
// is exhausted (the host turns that into PyMemoryError); they never trap below
// the memory's maximum. Imports: env.memory (the heap's Memory, with maximum =
// maxMemory), env.abort (AssemblyScript's), env.on_grow(pages) after any growth.

import { pagesInit } from "./alloc/pages";
import { arenaInit } from "./alloc/arena";
import { obmallocInit, objMalloc, objCalloc, objRealloc, objFree, objUsableSize } from "./alloc/obmalloc";
import { statsCollect, allocatedBlocks, arenaDescribe, checkHeap } from "./alloc/stats";
import { addressInRange, arenaAt, maxarenas } from "./alloc/arena";
import { staticInit } from "./alloc/static";
import { typesInit, noneInit } from "./object/header";
import { generationsInit } from "./gc/heads";
import { numbersInit } from "./object/numbers";
import { stringsInit } from "./object/strings";
import { tuplesInit } from "./object/sequences";
import { frozensetHash, frozensetEq } from "./object/set";
import { setFrozensetProtocol } from "./object/hash";
import { deallocate } from "./object/dealloc";
import { setDeallocator } from "./object/refcount";
import { collectAutomatic } from "./gc/collect";
import { setCollector } from "./gc/alloc";

/**
 * Sets the page cap, builds the allocator's tables and the immortal objects, and makes
 * the engine's three ties by reference (so that no import cycle is needed for them):
 * allocation may collect (gc/alloc.ts), a decref may deallocate (object/refcount.ts),
 * hashing and comparing keys may reach a frozenset's (object/hash.ts). 1 on success.
 */
export function init(maxPages: i32): i32 {
  setCollector(collectAutomatic);
  setDeallocator(deallocate);
  setFrozensetProtocol(frozensetHash, frozensetEq);
  pagesInit(maxPages);
  if (!arenaInit()) return 0;
  obmallocInit();
  generationsInit();
  if (!staticInit() || !typesInit() || !noneInit() || !numbersInit() || !stringsInit() || !tuplesInit()) return 0;
  return 1;
}

export function mem_malloc(n: usize): usize { return objMalloc(n); }
export function mem_calloc(nelem: usize, elsize: usize): usize { return objCalloc(nelem, elsize); }
export function mem_realloc(p: usize, n: usize): usize { return objRealloc(p, n); }
export function mem_free(p: usize): void { objFree(p); }
export function mem_usable_size(p: usize): usize { return objUsableSize(p); }
export function mem_in_arena(p: usize): bool { return addressInRange(p); }

export function stats_collect(): usize { return statsCollect(); }
export function allocated_blocks(): u32 { return allocatedBlocks(); }
export function arena_describe(i: u32): usize { return arenaDescribe(i); }
export function arena_slots(): u32 { return maxarenas; }
export function arena_address(i: u32): usize { return i < maxarenas ? arenaAt(i).address : 0; }
export function heap_check(): i32 { return checkHeap(); }

// ---- constants: the host reads them from src/abi.generated.ts (scripts/gen-abi.mjs) and checks them at load; none is written twice ----
// The allocator's layout.
export {
  ALIGNMENT, SMALL_REQUEST_THRESHOLD, NB_SMALL_SIZE_CLASSES, POOL_SIZE, POOL_OVERHEAD, ARENA_SIZE,
  MAX_POOLS_IN_ARENA,
} from "./alloc/config";
export { MAX_REQUEST } from "./alloc/pages";
export { STATS_GLOBALS } from "./alloc/stats";
export {
  CHECK_OK, CHECK_ARENA_ORDER, CHECK_USEDPOOLS_ENTRY, CHECK_USEDPOOLS_LINKS, CHECK_USEDPOOLS_CYCLE, CHECK_ARENA_RANGE,
  CHECK_POOL_SIZE_CLASS, CHECK_POOL_ARENA_INDEX, CHECK_FREEBLOCK, CHECK_POOL_COUNT, CHECK_POOL_FULL,
  CHECK_ARENA_NFREEPOOLS, CHECK_FREEPOOLS_ENTRY, CHECK_FREEPOOLS_LENGTH, CHECK_POOL_UNLISTED, CHECK_USEDPOOLS_EXTRA,
} from "./alloc/stats";
export {
  G_ARENAS_TOTAL, G_ARENAS_CURRENT, G_ARENAS_HIGHWATER, G_UNUSED_POOLS, G_UNALIGNED_ARENAS, G_RAW_BLOCKS, G_LARGE_BYTES,
  G_ARENA_BYTES, G_TABLE_BYTES, G_COMMITTED, G_STATIC, G_FREE_BYTES, G_FREE_BLOCKS, G_FREE_LARGEST, G_CAP_BYTES,
  G_ARENA_MAP_BYTES, G_ARENA_SLOTS, G_LARGE_HELD, G_COUNT,
} from "./alloc/stats";
// Objects: type ids, type flags, error kinds, immortality.
export {
  TYPE_NONE, TYPE_BOOL, TYPE_INT, TYPE_FLOAT, TYPE_STR, TYPE_BYTES, TYPE_BYTEARRAY, TYPE_TUPLE, TYPE_LIST, TYPE_DICT,
  TYPE_SET, TYPE_FROZENSET, TYPE_MEMORYVIEW, TYPE_WEAKREF, TYPE_PROXY, TYPE_BUILTIN_END, FIRST_CLASS, MAX_TYPES,
  TF_GC, TF_HASHABLE, TF_SLOTS, TF_DEL, TF_LEGACY_DEL, TF_WEAKREF, TF_INSTANCE, IMMORTAL_REFCNT,
} from "./object/header";
export { ERR_NONE, ERR_MEMORY, ERR_INDEX, ERR_KEY, ERR_UNHASHABLE, ERR_BUFFER, ERR_RECURSION, ERR_TYPE } from "./object/errors";
export { SHARED_KEYS_MAX_SIZE } from "./object/instance";
export { MAX_DEPTH } from "./object/hash";
export { MISUSE_DEAD, MISUSE_TYPE, MISUSE_REFCNT } from "./object/debug";
// The collector: generations, debug flags, the statistics' fields.
export { NUM_GENERATIONS } from "./gc/heads";
export {
  DEBUG_STATS, DEBUG_COLLECTABLE, DEBUG_UNCOLLECTABLE, DEBUG_SAVEALL, STAT_COLLECTIONS, STAT_COLLECTED, STAT_UNCOLLECTABLE,
} from "./gc/collect";

// ---- the cycle collector and the gc module (assembly/gc/) ---------------------------
// (Before the object exports: the allocation path inlines a call into the collector,
// and compiling the collector first lets that inlining happen everywhere.)
export * from "./gc/abi";

// ---- objects (assembly/object/) ---------------------------------------------------
// Object ids are addresses. Functions returning an object return a NEW reference
// unless marked "borrowed"; arguments are borrowed. 0 (or a status of 0) means
// failure, with the reason in last_error() (ERR_* in object/header.ts).
export * from "./object/abi";
