// alloc/slowpath.ts — the one flag the object domain's allocation path tests: is any hook on
// (tracemalloc's tracing, the monitor's sampling)? One load and a branch when none is.
//
// CPython counterpart: PyMem_SetAllocator's hooks (tracemalloc installs its functions in
// place of the allocator's); here the hooks are fixed and the flag chooses.
//
// Invariant: allocSlow == tmTracing || monitoring (alloc/tracemalloc.ts, alloc/monitor.ts
// set their own flag and call slowPathUpdate).

export let allocSlow: bool = false;
let tracing: bool = false;
let monitoring: bool = false;

export function setTracingHook(on: bool): void { tracing = on; allocSlow = tracing || monitoring; }
export function setMonitorHook(on: bool): void { monitoring = on; allocSlow = tracing || monitoring; }
