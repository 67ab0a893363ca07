// index.ts — the engine's exported ABI, and nothing else.
//
// Pointers and sizes are u32 (wasm32). Allocation functions return 0 when memory
// is exhausted (the host turns that into PyMemoryError); they never trap below
// the memory's maximum. Imports: env.memory (the heap's Memory, with maximum =
// maxMemory), env.abort (AssemblyScript's), env.on_grow(pages) after any growth.

import { pagesInit } from "./alloc/pages";
import { arenaInit } from "./alloc/arena";
import { obmallocInit, objMalloc, objCalloc, objRealloc, objFree, objUsableSize } from "./alloc/obmalloc";
import { statsCollect, allocatedBlocks, allocatedBytes, arenaDescribe, checkHeap } from "./alloc/stats";
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
import { setObjectDomain } from "./alloc/idtable";
import { monitorEvery } from "./alloc/monitor";
import {
  framesDescriptor, framesReserve, tmStart, tmStop, tmTracing, tmClear, tmLimit, tmCurrent, tmPeak, tmResetPeak,
  tmMemory, tmTraceCount, tmTrack, tmUntrack, tmBlockTraceback, tmDumpTraces, tmDumpCount, tmDumpFree,
  tbNframe, tbTotal, tbFile, tbLine,
} from "./alloc/tracemalloc";

function tableMalloc(n: usize): usize { return objMalloc(n); }
function tableFree(p: usize): void { objFree(p); }

/**
 * Sets the page cap, builds the allocator's tables and the immortal objects, and makes
 * the engine's four ties by reference (so that no import cycle is needed for them):
 * allocation may collect (gc/alloc.ts), a decref may deallocate (object/refcount.ts),
 * hashing and comparing keys may reach a frozenset's (object/hash.ts), an IdTable in
 * the object domain allocates through it (alloc/idtable.ts; the object domain traces
 * into IdTables). 1 on success.
 */
export function init(maxPages: i32): i32 {
  setCollector(collectAutomatic);
  setDeallocator(deallocate);
  setFrozensetProtocol(frozensetHash, frozensetEq);
  setObjectDomain(tableMalloc, tableFree);
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

// ---- tracemalloc's C layer (alloc/tracemalloc.ts); the host's heap.tracemalloc and heap.frames ----
export function frames_descriptor(): usize { return framesDescriptor(); }
export function frames_reserve(n: u32): bool { return framesReserve(n); }
/** start(nframe) (1..TM_MAX_NFRAME, checked by the host); fromJs: frames from env.tm_js_frames. 0: memory short. */
export function tm_start(nframe: u32, fromJs: bool): bool { return tmStart(nframe, fromJs); }
export function tm_stop(): void { tmStop(); }
export function tm_is_tracing(): bool { return tmTracing; }
export function tm_clear(): void { tmClear(); }
export function tm_limit(): u32 { return tmLimit(); }
export function tm_current(): f64 { return <f64>tmCurrent(); }
export function tm_peak(): f64 { return <f64>tmPeak(); }
export function tm_reset_peak(): void { tmResetPeak(); }
export function tm_memory(): usize { return tmMemory(); }
export function tm_trace_count(): u32 { return tmTraceCount(); }
export function tm_track(domain: u32, p: usize, size: usize): i32 { return tmTrack(domain, p, size); }
export function tm_untrack(domain: u32, p: usize): i32 { return tmUntrack(domain, p); }
/** The traceback id of heap.mem block p, or 0 (untraced). */
export function tm_block_traceback(p: usize): usize { return tmBlockTraceback(p); }
/** Every trace as u32 triples (domain, size, traceback id) at the returned address; 0: memory short. */
export function tm_dump_traces(): usize { return tmDumpTraces(); }
export function tm_dump_count(): u32 { return tmDumpCount(); }
export function tm_dump_free(): void { tmDumpFree(); }
/** A traceback's frames, most recent first: count, total on the stack, and each (file id, line). */
export function tb_nframe(tb: usize): u32 { return tbNframe(tb); }
export function tb_total(tb: usize): u32 { return tbTotal(tb); }
export function tb_file(tb: usize, i: u32): u32 { return tbFile(tb, i); }
export function tb_line(tb: usize, i: u32): u32 { return tbLine(tb, i); }

/** heap.monitor: env.monitor_sample every n allocations of the object domain (0: off). */
export function monitor_every(n: u32): void { monitorEvery(n); }

export function stats_collect(): usize { return statsCollect(); }
export function allocated_blocks(): u32 { return allocatedBlocks(); }
/** Bytes in allocated blocks (pool blocks at their class size, large blocks as held): a walk over pool headers. */
export function allocated_bytes(): f64 { return allocatedBytes(); }
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
export { TM_MAX_NFRAME, TM_UNKNOWN_FILE, FRAMES_DEPTH, FRAMES_CAP, FRAMES_BASE, FRAMES_EPOCH } from "./alloc/tracemalloc";
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
  SNAP_SYNTHETIC, SNAP_GROUPS, SNAP_ROOT, SNAP_HANDLES, SNAP_IMMORTAL, SNAP_GARBAGE, SNAP_EDGE_ELEMENT, SNAP_EDGE_PROPERTY,
  SNAP_EDGE_SLOT, SNAP_EDGE_KEY, SNAP_EDGE_VALUE, SNAP_EDGE_DICT, SNAP_EDGE_OBJ, SNAP_EDGE_WEAK,
} from "./gc/snapshot";
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
