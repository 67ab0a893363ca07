// Size classes, lazy carving and the pool life cycle (used, full, empty).
import { describe, expect, it } from "vitest";
import { POOL_OVERHEAD, POOL_SIZE, classOf, newHeap, numblocks, poolOf, sizeOfClass } from "../helpers.js";

describe("size classes", () => {
  it("maps every request of 1..512 bytes to class (n-1)>>3 of (class+1)*8 bytes, 8-aligned", async () => {
    using heap = await newHeap();
    const ptrs: number[] = [];
    for (let n = 1; n <= 512; n++) {
      const p = heap.mem.malloc(n);
      expect(p % 8).toBe(0);
      expect(heap.mem.usableSize(p)).toBe(sizeOfClass(classOf(n)));
      ptrs.push(p);
    }
    const s = heap.mem.stats();
    expect(s.numSizeClasses).toBe(64);
    expect(s.classes.map((c) => c.size)).toEqual(Array.from({ length: 64 }, (_, c) => (c + 1) * 8));
    // eight requests land in each class
    for (const c of s.classes) expect(c.blocksInUse).toBe(8);
    expect(s.large.blocks).toBe(0);
    for (const p of ptrs) heap.mem.free(p);
    expect(heap.sys.getallocatedblocks()).toBe(0);
  });

  it("counts pools, blocks in use and available blocks per class", async () => {
    using heap = await newHeap();
    const size = 48, per = numblocks(size); // 340 blocks of 48 bytes per pool
    const ptrs = Array.from({ length: per + 10 }, () => heap.mem.malloc(size));
    const c = heap.mem.stats().classes[classOf(size)];
    expect(c).toEqual({ index: 5, size: 48, pools: 2, blocksInUse: per + 10, blocksAvailable: 2 * per - (per + 10) });
    for (const p of ptrs) heap.mem.free(p);
    expect(heap.mem.stats().classes[classOf(size)].pools).toBe(0);
  });
});

describe("pools", () => {
  it("carves blocks lazily, in address order, starting after the 48-byte header", async () => {
    using heap = await newHeap();
    const a = heap.mem.malloc(100); // class 12: 104-byte blocks
    expect(a % POOL_SIZE).toBe(POOL_OVERHEAD);
    const next = Array.from({ length: 5 }, () => heap.mem.malloc(97));
    expect(next).toEqual([1, 2, 3, 4, 5].map((k) => a + k * 104));
    // Only what was handed out (plus the one block on the free list) has been carved:
    // the pool reports the rest as available all the same.
    const c = heap.mem.stats().classes[12];
    expect(c.blocksInUse).toBe(6);
    expect(c.blocksAvailable).toBe(numblocks(104) - 6);
  });

  it("goes used -> full -> used: a full pool leaves its list, a free puts it back in front", async () => {
    using heap = await newHeap();
    const size = 512, per = numblocks(size); // 31
    const first = Array.from({ length: per }, () => heap.mem.malloc(size));
    const pool1 = poolOf(first[0]);
    expect(first.every((p) => poolOf(p) === pool1)).toBe(true);
    // pool1 is full: the next block comes from a new pool
    const b = heap.mem.malloc(size);
    const pool2 = poolOf(b);
    expect(pool2).not.toBe(pool1);
    expect(heap.mem.stats().classes[63].pools).toBe(2);
    // freeing into the full pool links it at the front: the next allocation reuses that block
    heap.mem.free(first[7]);
    expect(heap.mem.malloc(size)).toBe(first[7]);
    // and the pool is full again: the next one comes from pool2
    expect(poolOf(heap.mem.malloc(size))).toBe(pool2);
    expect(heap.mem.check()).toBe(0);
  });

  it("reuses freed blocks last-in first-out", async () => {
    using heap = await newHeap();
    const [a, b, c] = [heap.mem.malloc(24), heap.mem.malloc(24), heap.mem.malloc(24)];
    heap.mem.free(a);
    heap.mem.free(c);
    expect(heap.mem.malloc(24)).toBe(c);
    expect(heap.mem.malloc(24)).toBe(a);
    heap.mem.free(b);
  });

  it("keeps the free-block list one exact LIFO stack over many frees (four interleaved chains)", async () => {
    using heap = await newHeap();
    const size = 64, n = 200;
    const blocks = Array.from({ length: n }, () => heap.mem.malloc(size));
    expect(new Set(blocks.map(poolOf)).size).toBe(1);
    let x = 7;
    const order = [...blocks].sort(() => ((x = (x * 48271) % 2147483647) & 1) - 0.5);
    for (let round = 0; round < 3; round++) {
      for (const p of order) heap.mem.free(p);
      expect(heap.mem.check()).toBe(0);
      const again = Array.from({ length: n }, () => heap.mem.malloc(size));
      expect(again).toEqual([...order].reverse());
      order.reverse();
      // interleave: free 7, allocate 3, free 5, allocate 9 ... still LIFO
      const stack: number[] = [];
      const live = [...again];
      for (let k = 0; k < 20; k++) {
        for (let j = 0; j < 7 && live.length; j++) {
          const p = live.pop()!;
          heap.mem.free(p);
          stack.push(p);
        }
        for (let j = 0; j < 3 && stack.length; j++) {
          const p = heap.mem.malloc(size);
          expect(p).toBe(stack.pop());
          live.unshift(p);
        }
      }
      while (stack.length) {
        const p = heap.mem.malloc(size);
        expect(p).toBe(stack.pop());
        live.push(p);
      }
      expect(new Set(live).size).toBe(n);
      expect(heap.mem.check()).toBe(0);
      for (const p of order) if (!live.includes(p)) throw new Error("lost a block");
    }
  });

  it("gives an empty pool back to its arena, from where it can serve any class", async () => {
    using heap = await newHeap();
    const keep = heap.mem.malloc(8); // keeps the arena busy
    const p = heap.mem.malloc(40);
    const pool = poolOf(p);
    const before = heap.mem.stats();
    heap.mem.free(p);
    const after = heap.mem.stats();
    expect(after.classes[classOf(40)].pools).toBe(0);
    expect(after.bytes.unusedPools).toBe(before.bytes.unusedPools + 1);
    // the empty pool is the head of its arena's free pools: a new class takes it
    const q = heap.mem.malloc(300);
    expect(poolOf(q)).toBe(pool);
    expect(q).toBe(pool + POOL_OVERHEAD);
    expect(heap.mem.stats().classes[classOf(300)].pools).toBe(1);
    // and a pool that returns to its old class keeps its free list
    heap.mem.free(q);
    expect(heap.mem.malloc(300)).toBe(q);
    heap.mem.free(keep);
    expect(heap.mem.check()).toBe(0);
  });
});
