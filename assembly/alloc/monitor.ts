// alloc/monitor.ts — heap.monitor's allocation clock: every N allocations of the object
// domain, the host is asked for a sample (it reads figures only; it allocates nothing).
//
// CPython counterpart: none (memray and tracemalloc sample in their own ways); the nearest is
// a PyMem_SetAllocator hook counting calls.
//
// Invariant: while monitoring, left counts down from every to 1; the allocation that takes it
// to 0 calls env.monitor_sample after its block is allocated (and traced), then it restarts.

import { setMonitorHook } from "./slowpath";

// @ts-ignore: decorator
@external("env", "monitor_sample")
declare function host_monitor_sample(): void;

let every: u32 = 0;
let left: u32 = 0;

/** Samples every n allocations (n > 0), or stops (n = 0). */
export function monitorEvery(n: u32): void {
  every = n;
  left = n;
  setMonitorHook(n != 0);
}

/** One allocation happened (the slow path calls it while monitoring). */
export function monitorTick(): void {
  if (every == 0) return;
  if (--left == 0) {
    left = every;
    host_monitor_sample();
  }
}
