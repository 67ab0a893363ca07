// bench-entry.ts — the benchmark engine (build/pyheap-bench.wasm, asconfig target "bench"):
// the release ABI of index.ts, unchanged, plus the in-wasm benchmark loops of bench.ts.
// Only bench/ loads it; build/pyheap.wasm, the shipped engine, has no bench_* export.

export * from "./index";

export {
  benchSetup as bench_setup, benchPairs as bench_pairs, benchWindowFill as bench_window_fill,
  benchWindowRun as bench_window_run, benchAllocAll as bench_alloc_all, benchFreeAll as bench_free_all,
  benchFreeRandomHalf as bench_free_random_half, benchReallocHalf as bench_realloc_half,
  benchTeardown as bench_teardown, benchObjectPairs as bench_object_pairs,
} from "./bench";

// the codes bench/ passes to the loops (read as globals: bench/engine.ts benchConstants)
export {
  IMPL_PYHEAP, IMPL_TLSF, IMPL_LOOP, PAIRS_INT, PAIRS_FLOAT, PAIRS_SLOTS2, PAIRS_TUPLE2, PAIRS_LIST1, PAIRS_DICT0,
} from "./bench";
