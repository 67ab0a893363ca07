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
import { staticInit, typesInit, generationsInit, noneInit } from "./object/header";
import { numbersInit } from "./object/numbers";
import { stringsInit } from "./object/strings";
import { tuplesInit } from "./object/sequences";

/** Sets the page cap, builds the allocator's tables and the immortal objects. 1 on success. */
export function init(maxPages: i32): i32 {
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

// The allocator's constants, for the host (one source of truth for the layout).
export {
  ALIGNMENT, SMALL_REQUEST_THRESHOLD, NB_SMALL_SIZE_CLASSES, POOL_SIZE, POOL_OVERHEAD, ARENA_SIZE,
  MAX_POOLS_IN_ARENA,
} from "./alloc/config";
export { MAX_REQUEST } from "./alloc/pages";

// ---- the cycle collector and the gc module (assembly/gc/) ---------------------------
// (Before the object exports: the allocation path inlines a call into the collector,
// and compiling the collector first lets that inlining happen everywhere.)
export * from "./gc/abi";

// ---- objects (assembly/object/) ---------------------------------------------------
// Object ids are addresses. Functions returning an object return a NEW reference
// unless marked "borrowed"; arguments are borrowed. 0 (or a status of 0) means
// failure, with the reason in last_error() (ERR_* in object/header.ts).
export * from "./object/abi";
