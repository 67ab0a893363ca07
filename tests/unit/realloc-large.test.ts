// realloc's 25% rule, large-block routing, calloc, and free routing.
import { describe, expect, it } from "vitest";
import { newHeap } from "../helpers.js";

describe("realloc", () => {
  it("keeps a pool block when the new size fits its class and shrinks it by less than 25%", async () => {
    using heap = await newHeap();
    const p = heap.mem.malloc(100); // class of 104 bytes
    heap.mem.view(p).set(Array.from({ length: 100 }, (_, i) => i));
    expect(heap.mem.realloc(p, 104)).toBe(p); // grows within the block
    expect(heap.mem.realloc(p, 79)).toBe(p); // 4*79 = 316 > 3*104 = 312
    const q = heap.mem.realloc(p, 78); // 312 is not > 312: moves to the 80-byte class
    expect(q).not.toBe(p);
    expect(heap.mem.usableSize(q)).toBe(80);
    expect([...heap.mem.view(q)]).toEqual(Array.from({ length: 78 }, (_, i) => i));
    const r = heap.mem.realloc(q, 105); // larger than the block: moves
    expect(heap.mem.usableSize(r)).toBe(112);
    expect([...heap.mem.view(r, 78)]).toEqual(Array.from({ length: 78 }, (_, i) => i));
    expect(heap.sys.getallocatedblocks()).toBe(1);
    expect(heap.mem.count).toBe(1);
    expect(heap.mem.has(r) && !heap.mem.has(q)).toBe(true);
  });

  it("moves a pool block to a large block and back, keeping the contents", async () => {
    using heap = await newHeap();
    const p = heap.mem.malloc(300);
    heap.mem.view(p).fill(7);
    const big = heap.mem.realloc(p, 5000);
    expect(heap.mem.stats().large.blocks).toBe(1);
    expect([...heap.mem.view(big, 300)].every((b) => b === 7)).toBe(true);
    // A large block stays large whatever its new size, as in CPython
    const still = heap.mem.realloc(big, 10);
    expect(heap.mem.stats().large.blocks).toBe(1);
    expect([...heap.mem.view(still)]).toEqual(Array(10).fill(7));
    heap.mem.free(still);
    expect(heap.sys.getallocatedblocks()).toBe(0);
  });

  it("realloc(0, n) is malloc(n); realloc(p, 0) gives a distinct zero-byte block", async () => {
    using heap = await newHeap();
    const p = heap.mem.realloc(0, 40);
    expect(heap.mem.usableSize(p)).toBe(40);
    const z = heap.mem.realloc(p, 0);
    expect(z).not.toBe(0);
    expect(heap.mem.size(z)).toBe(0);
    expect(heap.mem.stats().large.blocks).toBe(1);
    heap.mem.free(z);
    expect(heap.sys.getallocatedblocks()).toBe(0);
  });
});

describe("large blocks", () => {
  it("routes 0 and more than 512 bytes to the general allocator, 1..512 to pools", async () => {
    using heap = await newHeap();
    const small = [1, 8, 511, 512].map((n) => heap.mem.malloc(n));
    const large = [0, 513, 4096, 1 << 20].map((n) => heap.mem.malloc(n));
    const s = heap.mem.stats();
    expect(s.large.blocks).toBe(4);
    expect(s.large.bytes).toBeGreaterThanOrEqual(513 + 4096 + (1 << 20));
    expect(s.classes.reduce((n, c) => n + c.blocksInUse, 0)).toBe(4);
    const arenas = heap.mem.arenas();
    const inArena = (p: number) => arenas.some((a) => p >= a.address && p < a.address + (1 << 20));
    expect(small.every(inArena)).toBe(true);
    expect(large.some(inArena)).toBe(false);
    expect(heap.sys.getallocatedblocks()).toBe(8);
    // two zero-byte blocks are distinct
    const z = heap.mem.malloc(0);
    expect(z).not.toBe(large[0]);
    for (const p of [...small, ...large, z]) heap.mem.free(p);
    expect(heap.mem.stats().large).toEqual({ blocks: 0, bytes: 0 });
    expect(heap.sys.getallocatedblocks()).toBe(0);
  });

  it("calloc of zero bytes gives a distinct zero-byte block, whatever the count", async () => {
    using heap = await newHeap();
    const a = heap.mem.calloc(2 ** 40, 0);
    const b = heap.mem.calloc(0, 8);
    expect(a).not.toBe(b);
    expect(heap.mem.size(a)).toBe(0);
    expect(heap.mem.stats().large.blocks).toBe(2);
    heap.mem.free(a);
    heap.mem.free(b);
  });

  it("calloc zero-fills pool blocks and large blocks that held data", async () => {
    using heap = await newHeap();
    for (const size of [24, 2000]) {
      const p = heap.mem.malloc(size);
      heap.mem.view(p).fill(0xab);
      heap.mem.free(p);
      const q = heap.mem.calloc(size / 8, 8);
      expect(q).toBe(p); // the same block, reused
      expect(heap.mem.view(q).every((b) => b === 0)).toBe(true);
      heap.mem.free(q);
    }
  });

  it("frees pointers of either kind through one entry point, in any order", async () => {
    using heap = await newHeap();
    const ptrs = [];
    for (let i = 0; i < 2000; i++) ptrs.push(heap.mem.malloc(i % 3 === 0 ? 700 + i : 1 + (i % 512)));
    for (const p of ptrs.reverse()) heap.mem.free(p);
    const s = heap.mem.stats();
    expect(s.large.blocks + s.allocatedBlocks).toBe(0);
    expect(heap.mem.check()).toBe(0);
  });
});
