/**
 * `npm run bench -- alloc`: the allocator patterns of peers.md, for pyheap's
 * allocator and AssemblyScript's TLSF built into the same wasm, in the same run.
 * The loops run inside wasm (assembly/bench.ts, in the benchmark engine
 * build/pyheap-bench.wasm: bench/engine.ts); the host times whole calls.
 *
 *   a        alloc then free at once, 32 B, 10M pairs          ns per pair
 *   b        window of 10,000 live blocks of 16..512 B; each step frees a random
 *            live block and allocates a new random size (10M steps)   ns per step
 *   c-alloc  1M x 48 B allocated (memory reused from a previous round)  ns per alloc
 *   c-free   then all freed, in allocation order               ns per free
 *   d        with 1M x 48 B live, a random half freed (untimed), then as many
 *            allocated again                                   ns per re-allocation
 *
 * Each figure is the median of `runs` samples (mitata); every sample starts from
 * the same state, prepared untimed. Each (workload, allocator) pair gets a fresh
 * heap, warmed up by one untimed round so that V8 has optimized the wasm code.
 */
import { measure } from "mitata";
import type { EngineExports } from "../src/engine.js";
import { benchConstant, benchExports, benchHeap, type BenchExports } from "./engine.js";

export type Impl = "pyheap" | "tlsf";
export type WorkloadName = "a" | "b" | "c-alloc" | "c-free" | "d";
export interface Result { workload: WorkloadName; impl: Impl; nsPerOp: number }

/** The loops' allocator codes: assembly/bench.ts's IMPL_* globals, read from the engine. */
let IMPL = { pyheap: 0, tlsf: 0, loop: 0 };
function readImpl(heap: Parameters<typeof benchExports>[0]): void {
  IMPL = { pyheap: benchConstant(heap, "IMPL_PYHEAP"), tlsf: benchConstant(heap, "IMPL_TLSF"), loop: benchConstant(heap, "IMPL_LOOP") };
}

type Exports = EngineExports & BenchExports;

interface Workload {
  name: WorkloadName | "a-empty" | "b-loop";
  ops: number;
  /** Untimed: bring the heap to the state the timed part starts from. */
  setup(e: Exports, impl: number): void;
  run(e: Exports, impl: number): void;
  /** Untimed: give everything back. */
  teardown(e: Exports, impl: number): void;
}

export function workloads(scale: number, window = 10_000): Workload[] {
  const N = Math.round(10_000_000 * scale), M = Math.round(1_000_000 * scale);
  let seed = 1;
  let keep = 0;
  return [
    {
      // A program always holds some live objects of a size class; here one 32-byte block.
      // Without it every pair would also move the pool to its arena and back ("a-empty").
      name: "a", ops: N,
      setup: (e, impl) => { keep = impl === IMPL.tlsf ? 0 : e.mem_malloc(32); },
      run: (e, impl) => { e.bench_pairs(impl, N); },
      teardown: (e) => { if (keep) e.mem_free(keep); },
    },
    {
      name: "a-empty", ops: N,
      setup: () => {},
      run: (e, impl) => { e.bench_pairs(impl, N); },
      teardown: () => {},
    },
    {
      name: "b", ops: N,
      setup: (e, impl) => { e.bench_setup(window, seed++); e.bench_window_fill(impl); },
      run: (e, impl) => e.bench_window_run(impl, N),
      teardown: (e, impl) => e.bench_teardown(impl),
    },
    {
      name: "b-loop", ops: N,
      setup: (e) => { e.bench_setup(window, seed++); },
      run: (e) => e.bench_window_run(IMPL.loop, N),
      teardown: (e) => e.bench_setup(0, 1),
    },
    {
      name: "c-alloc", ops: M,
      setup: (e) => { e.bench_setup(M, seed++); },
      run: (e, impl) => e.bench_alloc_all(impl, 48),
      teardown: (e, impl) => e.bench_teardown(impl),
    },
    {
      name: "c-free", ops: M,
      setup: (e, impl) => { e.bench_setup(M, seed++); e.bench_alloc_all(impl, 48); },
      run: (e, impl) => e.bench_free_all(impl),
      teardown: (e) => e.bench_setup(0, 1),
    },
    {
      name: "d", ops: M >> 1,
      setup: (e, impl) => { e.bench_setup(M, seed++); e.bench_alloc_all(impl, 48); e.bench_free_random_half(impl); },
      run: (e, impl) => e.bench_realloc_half(impl, 48),
      teardown: (e, impl) => e.bench_teardown(impl),
    },
  ];
}

export interface Measured { name: Workload["name"]; impl: Impl | "loop"; nsPerOp: number }

/** Median ns per operation of one workload on one allocator, on a fresh heap. */
export async function measureOne(w: Workload, impl: Impl | "loop", runs: number): Promise<Measured> {
  using heap = await benchHeap();
  const e = benchExports(heap);
  readImpl(heap);
  const code = IMPL[impl];
  // warm-up round: V8 tiers the wasm functions up; memory gets grown once
  w.setup(e, code);
  w.run(e, code);
  w.teardown(e, code);
  let prepared = false;
  const stats = await measure(
    function* () {
      yield {
        [0]() {
          if (prepared) w.teardown(e, code);
          w.setup(e, code);
          prepared = true;
          return code;
        },
        bench(c: number) {
          w.run(e, c);
        },
      };
    },
    { min_samples: runs, max_samples: runs, min_cpu_time: 0, warmup_samples: 0, batch_samples: 1, batch_unroll: 1 },
  );
  if (prepared) w.teardown(e, code);
  if (heap.mem.check() !== 0) throw new Error(`heap invariant broken after ${w.name}/${impl}`);
  return { name: w.name, impl, nsPerOp: stats.p50 / w.ops };
}
