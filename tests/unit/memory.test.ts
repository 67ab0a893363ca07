// Out of memory under maxMemory, memory growth, views, several heaps, loading.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Heap, PyMemoryError } from "../../src/node.js";
import { newHeap, snapshot } from "../helpers.js";

describe("out of memory under maxMemory", () => {
  it("fails cleanly, keeps the heap consistent, and recovers after frees", async () => {
    const cap = 4 << 20;
    using heap = await newHeap({ maxMemory: cap });
    const live: number[] = [];
    let i = 0, error: unknown;
    try {
      for (;; i++) {
        const p = heap.mem.malloc(i % 7 === 0 ? 3000 + (i % 5000) : 1 + (i % 512));
        heap.mem.view(p, 1)[0] = i & 0xff;
        live.push(p);
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PyMemoryError);
    expect((error as Error).message).toMatch(/cannot allocate \d+ bytes/);
    expect(live.length).toBeGreaterThan(2000);
    expect(heap.mem.check()).toBe(0);
    expect(heap.mem.stats().memory.committed).toBeLessThanOrEqual(cap);
    expect(heap.sys.getallocatedblocks()).toBe(live.length);
    // a refused request changes nothing, again and again
    const before = snapshot(heap);
    for (let k = 0; k < 3; k++) expect(() => heap.mem.malloc(1 << 20)).toThrow(PyMemoryError);
    expect(snapshot(heap)).toEqual(before);
    // contents intact
    live.forEach((p, k) => expect(heap.mem.view(p, 1)[0]).toBe(k & 0xff));
    // free half: allocation works again, up to the cap
    for (const p of live.splice(0, live.length >> 1)) heap.mem.free(p);
    for (let k = 0; k < 1000; k++) live.push(heap.mem.malloc(1 + (k % 600)));
    expect(heap.mem.check()).toBe(0);
    for (const p of live) heap.mem.free(p);
    expect(heap.sys.getallocatedblocks()).toBe(0);
    // everything freed: the largest free block of the page layer can be had (TLSF
    // searches one size bucket up, so up to 1/16 of a block may stay out of reach)
    const { largestFree } = heap.mem.stats().memory;
    expect(largestFree).toBeGreaterThan(1 << 20);
    heap.mem.free(heap.mem.malloc(Math.floor((largestFree * 15) / 16) - 64));
  });

  it("refuses a request larger than the cap without touching anything", async () => {
    using heap = await newHeap({ maxMemory: 1 << 20 });
    const before = snapshot(heap);
    expect(() => heap.mem.malloc(2 << 20)).toThrow(PyMemoryError);
    expect(() => heap.mem.calloc(1 << 10, 1 << 11)).toThrow(PyMemoryError);
    expect(snapshot(heap)).toEqual(before);
  });
});

describe("memory growth", () => {
  it("never grows 1 MiB at a time past 64 MiB, and never past the cap", async () => {
    const cap = 200 << 20;
    using heap = await newHeap({ maxMemory: cap });
    const steps: number[] = [];
    let committed = heap.mem.stats().memory.committed;
    for (let i = 0; i < 180; i++) {
      heap.mem.malloc((1 << 20) - 64);
      const now = heap.mem.stats().memory.committed;
      if (now !== committed) steps.push(now - committed);
      committed = now;
    }
    expect(committed).toBeLessThanOrEqual(cap);
    let total = heap.mem.stats().memory.committed - steps.reduce((a, b) => a + b, 0);
    for (const step of steps) {
      if (total >= 64 << 20) expect(step).toBeGreaterThan(1 << 20);
      total += step;
    }
    expect(steps.length).toBeLessThan(20);
  });

  it("detaches earlier views when memory grows; new views see the same bytes", async () => {
    using heap = await newHeap();
    const p = heap.mem.malloc(32);
    const v = heap.mem.view(p);
    v.fill(9);
    const before = heap.mem.stats().memory.committed;
    const big = heap.mem.malloc(64 << 20); // forces a grow
    expect(heap.mem.stats().memory.committed).toBeGreaterThan(before);
    expect(v.byteLength).toBe(0); // detached, as WebAssembly does
    expect([...heap.mem.view(p)]).toEqual(Array(32).fill(9));
    heap.mem.view(big, 16).fill(1);
    heap.mem.free(big);
  });

  it("commits initialMemory at once", async () => {
    using heap = await newHeap({ initialMemory: 32 << 20 });
    const c = heap.mem.stats().memory.committed;
    expect(c).toBe(32 << 20);
    const ptrs = [...Array(20)].map(() => heap.mem.malloc(1 << 20));
    expect(heap.mem.stats().memory.committed).toBe(c);
    for (const p of ptrs) heap.mem.free(p);
  });
});

describe("loading", () => {
  it("loads the packaged wasm by default, or bytes, or a compiled module; heaps are independent", async () => {
    const bytes = readFileSync(new URL("../../build/pyheap.wasm", import.meta.url));
    using a = await Heap.create();
    using b = await Heap.create({ wasm: new Uint8Array(bytes) });
    using c = await Heap.create({ wasm: new WebAssembly.Module(bytes) });
    const pa = a.mem.malloc(100);
    b.mem.malloc(100);
    b.mem.malloc(100);
    expect(a.sys.getallocatedblocks()).toBe(1);
    expect(b.sys.getallocatedblocks()).toBe(2);
    expect(c.sys.getallocatedblocks()).toBe(0);
    expect(() => c.mem.free(pa)).toThrow(); // a's block is not c's
    a.close();
    expect(b.sys.getallocatedblocks()).toBe(2);
  });
});
