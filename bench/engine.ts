/**
 * The benchmark engine. build/pyheap-bench.wasm (assembly/bench-entry.ts, asc target
 * "bench") is the release engine, same options and PYHEAP_DEBUG=0, plus the loops of
 * assembly/bench.ts that run whole workloads inside wasm (the bench_* exports). Only the
 * harness loads it, through Heap.create's `wasm` option; build/pyheap.wasm, the engine
 * the package ships, has no bench_* export.
 */
import { readFile } from "node:fs/promises";
import { Heap, type HeapOptions } from "../src/node.js";
import type { EngineExports } from "../src/engine.js";

/** The benchmark loops (assembly/bench.ts, exported by assembly/bench-entry.ts). */
export interface BenchExports {
  bench_setup(n: number, seed: number): number;
  bench_pairs(impl: number, n: number): number;
  bench_window_fill(impl: number): void;
  bench_window_run(impl: number, steps: number): void;
  bench_alloc_all(impl: number, size: number): void;
  bench_free_all(impl: number): void;
  bench_free_random_half(impl: number): number;
  bench_realloc_half(impl: number, size: number): void;
  bench_teardown(impl: number): void;
  /** `x = <new object>; drop the previous` n times inside wasm (kinds: assembly/bench.ts). */
  bench_object_pairs(kind: number, cls: number, n: number): number;
}

const FILE = "pyheap-bench.wasm";
let compiled: Promise<WebAssembly.Module> | undefined;

/** build/pyheap-bench.wasm, compiled once: next to the bundle (build/bench.js) or, from the sources, in build/. */
function benchModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const candidates = [new URL(`./${FILE}`, import.meta.url), new URL(`../build/${FILE}`, import.meta.url)];
    for (const url of candidates) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = new Uint8Array(await readFile(url));
      } catch {
        continue;
      }
      return WebAssembly.compile(bytes);
    }
    throw new Error(`${FILE} not found (looked at ${candidates.map(String).join(", ")}); run npm run build`);
  })();
  return compiled;
}

/** A heap on the benchmark engine (the release engine plus the bench_* loops). */
export async function benchHeap(options: Omit<HeapOptions, "wasm" | "debug"> = {}): Promise<Heap> {
  return Heap.create({ ...options, wasm: await benchModule() });
}

/** The engine's exports with the bench_* loops; the heap must come from benchHeap(). */
export function benchExports(heap: Heap): EngineExports & BenchExports {
  const e = heap.engine.exports as EngineExports & Partial<BenchExports>;
  if (typeof e.bench_setup !== "function" || typeof e.bench_object_pairs !== "function") {
    throw new Error(`this heap's engine has no bench_* loops: create it with benchHeap() (build/${FILE})`);
  }
  return e as EngineExports & BenchExports;
}

/** A constant of the bench engine (assembly/bench.ts: IMPL_*, PAIRS_*), read from its globals. */
export function benchConstant(heap: Heap, name: string): number {
  const g = (heap.raw.exports as unknown as Record<string, unknown>)[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`the bench engine exports no ${name}`);
  return g.value as number;
}
