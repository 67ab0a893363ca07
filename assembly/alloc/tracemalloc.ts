// alloc/tracemalloc.ts — tracemalloc's C layer: the frame stack the host drives, the
// interned tracebacks, and one trace per traced block of the object domain.
//
// CPython counterparts (Modules/_tracemalloc.c, 3.11): tracemalloc_start/stop,
// tracemalloc_alloc/realloc/free (the hooks on the allocator domains), traceback_new
// and traceback_get_frames (here the frames come from the host's stack, not from an
// interpreter's), the tracebacks and traces hashtables, tracemalloc_traced_memory and
// tracemalloc_peak_traced_memory, _PyTraceMalloc_GetTraceback, PyTraceMalloc_Track and
// PyTraceMalloc_Untrack (domains other than 0), tracemalloc_get_tracemalloc_memory.
//
// The frame stack (static descriptor, written by the host at every push/pop/setLine):
//
//   descriptor (16 bytes)                     frames (page layer)
//   +-------+-------+-------+-------+         +--------+--------+
//   | depth |  cap  | base -+-------+-------> | file   | lineno |  x cap (oldest first)
//   +-------+-------+-------+-------+         +--------+--------+
//     epoch (+12): bumped by the host whenever the innermost frames change, so an
//     allocation whose stack did not change since the previous one reuses its traceback.
//   file: the host's filename id (0 = "<unknown>"); the host owns the names.
//
// A traceback (page layer, interned by content in `tracebacks`, its address is its id):
//   +------+--------+-------+------------------------------+
//   | hash | nframe | total | (file, lineno) x nframe      |  most recent frame first,
//   +------+--------+-------+------------------------------+  as CPython's C layer
//     u32     u16      u16
//
// A trace (an IdTable slot of 16 bytes, keyed by the block's address):
//   +-------+------+-----------+--------+
//   | block | size | traceback | domain |   size: the requested bytes, as CPython counts
//   +-------+------+-----------+--------+
//
// Invariants kept here:
//   - while tracing, every block the object domain hands out has a trace, and a freed
//     block has none (a block allocated before start() has none and frees untraced);
//   - tracedMemory is the sum of the traces' sizes, peak >= tracedMemory;
//   - a traced allocation that cannot get its trace fails (the block goes back), as
//     tracemalloc_alloc does: room for the trace is made before the block is taken;
//   - tracemalloc's own memory comes from the page layer, never from the object domain
//     (so it is not traced, and tracing never recurses).

import { pageAlloc, pageFree, pageRealloc, PURPOSE_TABLE } from "./pages";
import { setTracingHook } from "./slowpath";
import { IdTable, idTableAt, ID_TABLE_BYTES, ID_DELETED, idHash, idSlot, idFind, idReserve, idInsert, idRemove } from "./idtable";

// @ts-ignore: decorator
@external("env", "tm_js_frames")
declare function host_js_frames(buf: usize, max: u32): u32;

/** Largest traceback limit (CPython's MAX_NFRAME). */
export const TM_MAX_NFRAME: u32 = 65535;
/** Filename id of a missing frame ("<unknown>", line 0). */
export const TM_UNKNOWN_FILE: u32 = 0;

// ---- the frame stack ------------------------------------------------------------------

export const FRAMES_DEPTH: u32 = 0;
export const FRAMES_CAP: u32 = 4;
export const FRAMES_BASE: u32 = 8;
export const FRAMES_EPOCH: u32 = 12;
const frames: usize = memory.data(16, 8);

/** The descriptor's address (the host writes depth, frames and epoch itself). */
export function framesDescriptor(): usize { return frames; }

/** Room for at least n frames: true, or false (nothing changed) when memory is short. */
export function framesReserve(n: u32): bool {
  const cap = load<u32>(frames, FRAMES_CAP);
  if (n <= cap) return true;
  let size = cap ? cap : 64;
  while (size < n) size <<= 1;
  const old = load<u32>(frames, FRAMES_BASE);
  const p = old ? pageRealloc(old, <usize>size << 3, PURPOSE_TABLE) : pageAlloc(<usize>size << 3, PURPOSE_TABLE);
  if (!p) return false;
  store<u32>(frames, <u32>p, FRAMES_BASE);
  store<u32>(frames, size, FRAMES_CAP);
  return true;
}

// ---- state ----------------------------------------------------------------------------

/** Is tracing on? (read by the object domain's paths: one load and a branch when off) */
export let tmTracing: bool = false;
let maxNframe: u32 = 1;
/** Frames from the host's JS stack (an import per new stack) instead of the frame stack. */
let jsStack: bool = false;
let tracedMemory: u64 = 0;
let peakMemory: u64 = 0;

/** Traces of domain 0 and of the others (PyTraceMalloc_Track), keyed by block address. */
const TRACE_WIDTH: u32 = 16;
const TRACE_SIZE: usize = 4;
const TRACE_TB: usize = 8;
const TRACE_DOMAIN: usize = 12;
const traces: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), TRACE_WIDTH, true);
const foreign: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), TRACE_WIDTH, true);

/** Interned tracebacks, keyed by their address, probed by content. */
const tracebacks: IdTable = idTableAt(memory.data(<i32>ID_TABLE_BYTES, 8), 4, true);
const TB_HASH: usize = 0;
const TB_NFRAME: usize = 4;
const TB_TOTAL: usize = 6;
const TB_FRAMES: usize = 8;
let tracebackBytes: usize = 0;

/** The traceback of the previous traced allocation, and the stack epoch it was made at. */
let lastTb: usize = 0;
let lastEpoch: u32 = 0;

/** Scratch for a traceback being made: (file, lineno) x maxNframe, most recent first. */
let scratch: usize = 0;
let scratchCap: u32 = 0;

// ---- start, stop, clear ------------------------------------------------------------------

/** tracemalloc.start(nframe): no-op when tracing (the limit stays). 1, or 0 when memory is short. */
export function tmStart(nframe: u32, fromJs: bool): bool {
  if (tmTracing) return true;
  if (nframe > scratchCap) {
    const p = scratch ? pageRealloc(scratch, <usize>nframe << 3, PURPOSE_TABLE) : pageAlloc(<usize>nframe << 3, PURPOSE_TABLE);
    if (!p) return false;
    scratch = p;
    scratchCap = nframe;
  }
  maxNframe = nframe;
  jsStack = fromJs;
  lastTb = 0;
  tmTracing = true;
  setTracingHook(true);
  return true;
}

/** tracemalloc.stop(): tracing off, every trace and traceback gone. */
export function tmStop(): void {
  if (!tmTracing) return;
  tmTracing = false;
  setTracingHook(false);
  tmClear();
  if (scratch) pageFree(scratch, PURPOSE_TABLE);
  scratch = 0;
  scratchCap = 0;
}

/** tracemalloc.clear_traces(): the traces and tracebacks go; current and peak are 0. */
export function tmClear(): void {
  dropTable(traces);
  dropTable(foreign);
  const t = tracebacks;
  for (let i: u32 = 0; t.slots && i <= t.mask; i++) {
    const tb = load<u32>(idSlot(t, i));
    if (tb > ID_DELETED) pageFree(tb, PURPOSE_TABLE);
  }
  dropTable(t);
  tracebackBytes = 0;
  tracedMemory = 0;
  peakMemory = 0;
  lastTb = 0;
}

function dropTable(t: IdTable): void {
  if (t.slots) pageFree(t.slots, PURPOSE_TABLE);
  t.slots = 0; t.mask = 0; t.used = 0; t.fill = 0;
}

export function tmLimit(): u32 { return maxNframe; }
export function tmCurrent(): u64 { return tracedMemory; }
export function tmPeak(): u64 { return peakMemory; }
/** reset_peak(): peak = current (no-op when not tracing). */
export function tmResetPeak(): void { if (tmTracing) peakMemory = tracedMemory; }
export function tmTraceCount(): u32 { return traces.used + foreign.used; }

/** get_tracemalloc_memory(): the bytes of tracemalloc's own tables and tracebacks. */
export function tmMemory(): usize {
  let n = tracebackBytes + (<usize>scratchCap << 3) + (<usize>load<u32>(frames, FRAMES_CAP) << 3);
  if (traces.slots) n += <usize>(traces.mask + 1) * TRACE_WIDTH;
  if (foreign.slots) n += <usize>(foreign.mask + 1) * TRACE_WIDTH;
  if (tracebacks.slots) n += <usize>(tracebacks.mask + 1) << 2;
  return n;
}

// ---- tracebacks ---------------------------------------------------------------------------

function tbHashAt(p: usize, n: u32, total: u32): u32 {
  let h: u32 = 0x345678 ^ total;
  for (let i: u32 = 0; i < n << 1; i++) h = (h ^ load<u32>(p + (<usize>i << 2))) * 0x01000193;
  return h ^ (h >> 15);
}
function tbRehash(tb: usize): u32 { return load<u32>(tb, TB_HASH); }

/** The interned traceback of the n frames at `scratch` (total frames on the stack), or 0 when memory is short. */
function internTraceback(n: u32, total: u32): usize {
  const h = tbHashAt(scratch, n, total);
  const bytes = <usize>n << 3;
  const t = tracebacks;
  if (t.slots) {
    let i = h & t.mask;
    while (true) {
      const tb = <usize>load<u32>(idSlot(t, i));
      if (tb == 0) break;
      if (tb != ID_DELETED && load<u32>(tb, TB_HASH) == h && <u32>load<u16>(tb, TB_NFRAME) == n
        && <u32>load<u16>(tb, TB_TOTAL) == total && memory.compare(<usize>tb + TB_FRAMES, scratch, bytes) == 0) return tb;
      i = (i + 1) & t.mask;
    }
  }
  if (!idReserve(t, 64, tbRehash)) return 0;
  const tb = pageAlloc(TB_FRAMES + bytes, PURPOSE_TABLE);
  if (!tb) return 0;
  store<u32>(tb, h, TB_HASH);
  store<u16>(tb, <u16>n, TB_NFRAME);
  store<u16>(tb, <u16>total, TB_TOTAL);
  memory.copy(tb + TB_FRAMES, scratch, bytes);
  idInsert(t, tb, h);
  tracebackBytes += TB_FRAMES + bytes;
  return tb;
}

/** traceback_new: the traceback of the current stack (cached while the stack is unchanged), or 0. */
function currentTraceback(): usize {
  const epoch = load<u32>(frames, FRAMES_EPOCH);
  if (lastTb && epoch == lastEpoch && !jsStack) return lastTb;
  let n: u32, total: u32;
  if (jsStack) {
    // the host writes up to maxNframe frames, most recent first, and returns the total
    total = host_js_frames(scratch, maxNframe);
    n = total < maxNframe ? total : maxNframe;
  } else {
    const depth = load<u32>(frames, FRAMES_DEPTH);
    const base = <usize>load<u32>(frames, FRAMES_BASE);
    total = depth;
    n = depth < maxNframe ? depth : maxNframe;
    for (let i: u32 = 0; i < n; i++) {
      const f = base + (<usize>(depth - 1 - i) << 3);
      store<u64>(scratch + (<usize>i << 3), load<u64>(f));
    }
  }
  if (n == 0) {
    // no frame: ("<unknown>", 0), as tracemalloc's empty traceback
    store<u64>(scratch, 0);
    n = 1;
    total = 1;
  }
  if (total > TM_MAX_NFRAME) total = TM_MAX_NFRAME;
  const tb = internTraceback(n, total);
  if (tb && !jsStack) {
    lastTb = tb;
    lastEpoch = epoch;
  }
  return tb;
}

export function tbNframe(tb: usize): u32 { return load<u16>(tb, TB_NFRAME); }
export function tbTotal(tb: usize): u32 { return load<u16>(tb, TB_TOTAL); }
export function tbFile(tb: usize, i: u32): u32 { return load<u32>(tb + TB_FRAMES + (<usize>i << 3)); }
export function tbLine(tb: usize, i: u32): u32 { return load<u32>(tb + TB_FRAMES + (<usize>i << 3), 4); }

// ---- traces ---------------------------------------------------------------------------------

function traceRehash(k: usize): u32 { return idHash(k); }

/**
 * Before a traced allocation: the traceback it will get, with room made for its trace;
 * 0 when memory is short (the allocation must then fail, as tracemalloc_alloc's does).
 */
export function tmPrepare(): usize {
  if (!idReserve(traces, 256, traceRehash)) return 0;
  return currentTraceback();
}

/** ADD_TRACE after tmPrepare (cannot fail): block p of `size` requested bytes. */
export function tmAdd(p: usize, size: usize, tb: usize): void {
  const h = idHash(p);
  let e = idFind(traces, p, h);
  if (e) {
    tracedMemory -= <u64>load<u32>(e, TRACE_SIZE);
  } else {
    e = idInsert(traces, p, h);
  }
  store<u32>(e, <u32>size, TRACE_SIZE);
  store<u32>(e, <u32>tb, TRACE_TB);
  store<u32>(e, 0, TRACE_DOMAIN);
  tracedMemory += <u64>size;
  if (tracedMemory > peakMemory) peakMemory = tracedMemory;
}

/** REMOVE_TRACE: the freed block p's trace, if it has one. */
export function tmRemove(p: usize): void {
  const e = idFind(traces, p, idHash(p));
  if (!e) return;
  tracedMemory -= <u64>load<u32>(e, TRACE_SIZE);
  idRemove(traces, e, true);
}

/** The traceback of block p (its first byte), or 0 when it has no trace. */
export function tmBlockTraceback(p: usize): usize {
  const e = idFind(traces, p, idHash(p));
  return e ? <usize>load<u32>(e, TRACE_TB) : 0;
}

/**
 * PyTraceMalloc_Track(domain, ptr, size): 0, -2 when not tracing, -1 when memory is
 * short. Domain 0 is the object domain's table; the others share a second table keyed
 * by address (an address tracked in two other domains keeps the later one).
 */
export function tmTrack(domain: u32, p: usize, size: usize): i32 {
  if (!tmTracing) return -2;
  if (domain == 0) {
    const tb = tmPrepare();
    if (!tb) return -1;
    tmAdd(p, size, tb);
    return 0;
  }
  if (!idReserve(foreign, 64, traceRehash)) return -1;
  const tb = currentTraceback();
  if (!tb) return -1;
  const h = idHash(p);
  let e = idFind(foreign, p, h);
  if (e) tracedMemory -= <u64>load<u32>(e, TRACE_SIZE);
  else e = idInsert(foreign, p, h);
  store<u32>(e, <u32>size, TRACE_SIZE);
  store<u32>(e, <u32>tb, TRACE_TB);
  store<u32>(e, domain, TRACE_DOMAIN);
  tracedMemory += <u64>size;
  if (tracedMemory > peakMemory) peakMemory = tracedMemory;
  return 0;
}

/** PyTraceMalloc_Untrack(domain, ptr): 0 (also when absent), -2 when not tracing. */
export function tmUntrack(domain: u32, p: usize): i32 {
  if (!tmTracing) return -2;
  if (domain == 0) { tmRemove(p); return 0; }
  const e = idFind(foreign, p, idHash(p));
  if (e && load<u32>(e, TRACE_DOMAIN) == domain) {
    tracedMemory -= <u64>load<u32>(e, TRACE_SIZE);
    idRemove(foreign, e, true);
  }
  return 0;
}

// ---- snapshots: every trace as (domain, size, traceback), copied out ---------------------------

let dump: usize = 0;
let dumpCount: u32 = 0;

/** Copies every trace into a vector of u32 triples; its address (0 when memory is short). */
export function tmDumpTraces(): usize {
  tmDumpFree();
  const n = traces.used + foreign.used;
  const rows: usize = n ? <usize>n : 1;
  const p = pageAlloc(rows * 12, PURPOSE_TABLE);
  if (!p) return 0;
  let q = p;
  for (let k = 0; k < 2; k++) {
    const t = k ? foreign : traces;
    for (let i: u32 = 0; t.slots && i <= t.mask; i++) {
      const e = idSlot(t, i);
      if (load<u32>(e) <= ID_DELETED) continue;
      store<u32>(q, load<u32>(e, TRACE_DOMAIN));
      store<u32>(q, load<u32>(e, TRACE_SIZE), 4);
      store<u32>(q, load<u32>(e, TRACE_TB), 8);
      q += 12;
    }
  }
  dump = p;
  dumpCount = n;
  return p;
}
export function tmDumpCount(): u32 { return dumpCount; }
export function tmDumpFree(): void {
  if (dump) pageFree(dump, PURPOSE_TABLE);
  dump = 0;
  dumpCount = 0;
}
