import { readFileSync } from "node:fs";
import { Heap, type HeapOptions } from "../src/node.js";

export const POOL_SIZE = 16384;
export const POOL_OVERHEAD = 48;
export const ARENA_SIZE = 1 << 20;
export const numblocks = (size: number) => Math.floor((POOL_SIZE - POOL_OVERHEAD) / size);
export const classOf = (n: number) => (n - 1) >> 3;
export const sizeOfClass = (c: number) => (c + 1) * 8;
export const poolOf = (p: number) => p - (p % POOL_SIZE);

/**
 * The engine the tests run on: the release build, or the debug build (its asserts and
 * id checks on) when PYHEAP_TEST_ENGINE=debug (vitest.config.ts's "debug" project).
 */
export const testEngine: "release" | "debug" = process.env.PYHEAP_TEST_ENGINE === "debug" ? "debug" : "release";

/** The built engine, compiled once for all heaps of a test file. */
export const wasmModule = new WebAssembly.Module(
  readFileSync(new URL(testEngine === "debug" ? "../build/pyheap-debug.wasm" : "../build/pyheap.wasm", import.meta.url)),
);

export function newHeap(options: HeapOptions = {}): Promise<Heap> {
  return Heap.create({ wasm: wasmModule, warnUnreleased: false, ...options });
}

/** Everything observable about the allocator, for "nothing changed" checks. */
export function snapshot(heap: Heap) {
  return { stats: heap.mem.stats(), blocks: heap.sys.getallocatedblocks(), count: heap.mem.count, check: heap.mem.check() };
}

/** A heap with automatic collection off and nothing to collect: the collector tests' start. */
export async function gcHeap(options: HeapOptions = {}): Promise<Heap> {
  const h = await newHeap(options);
  h.gc.disable();
  h.gc.collect();
  return h;
}

/** Allocated blocks with the free lists emptied: what live objects use (a leak raises it). */
export function liveBlocks(h: Heap): number {
  h.sys.clearFreelists();
  return h.sys.getallocatedblocks();
}
