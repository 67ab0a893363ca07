// Arenas: allocation order (most used first), release of wholly free arenas
// (one is kept), reuse of released memory, and the statistics that add up.
import { describe, expect, it } from "vitest";
import { ARENA_SIZE, POOL_SIZE, newHeap } from "../helpers.js";
import type { Heap } from "../../src/node.js";

/** Fills exactly n new arenas with 512-byte blocks; returns their blocks by arena address. */
function fillArenas(heap: Heap, n: number): Map<number, number[]> {
  const byArena = new Map<number, number[]>();
  const per = 31; // 512-byte blocks per pool
  let capacity = 0, count = 0;
  for (;;) {
    if (count === capacity && byArena.size === n) return byArena;
    const p = heap.mem.malloc(512);
    count++;
    let a = [...byArena.keys()].find((a) => p >= a && p < a + ARENA_SIZE);
    if (a === undefined) {
      const arena = heap.mem.arenas().find((x) => p >= x.address && p < x.address + ARENA_SIZE)!;
      a = arena.address;
      byArena.set(a, []);
      capacity += arena.pools.filter((x) => x.state !== "alignment").length * per;
    }
    byArena.get(a)!.push(p);
  }
}
function arenaOf(heap: Heap, p: number): number {
  const a = heap.mem.arenas().find((a) => p >= a.address && p < a.address + ARENA_SIZE);
  if (!a) throw new Error(`0x${p.toString(16)} is in no arena`);
  return a.address;
}

describe("arenas", () => {
  it("holds 64 pools, or 63 when the base is not pool-aligned (the rest is alignment loss)", async () => {
    using heap = await newHeap();
    heap.mem.malloc(16);
    const [a] = heap.mem.arenas();
    const aligned = a.address % POOL_SIZE === 0;
    expect(a.pools.filter((p) => p.state === "alignment").length).toBe(aligned ? 0 : 1);
    expect(heap.mem.stats().bytes.arenaAlignment).toBe(aligned ? 0 : POOL_SIZE);
  });

  it("takes new pools from the most used arena (usable_arenas sorted by free pools)", async () => {
    using heap = await newHeap();
    const byArena = fillArenas(heap, 3);
    const [a1, a2, a3] = [...byArena.keys()];
    // free 10 pools' worth in a1 and 3 pools' worth in a2 (31 blocks of 512 per pool)
    const poolsOf = (blocks: number[]) => {
      const m = new Map<number, number[]>();
      for (const p of blocks) {
        const pool = p - (p % POOL_SIZE);
        if (!m.has(pool)) m.set(pool, []);
        m.get(pool)!.push(p);
      }
      return [...m.values()];
    };
    for (const pool of poolsOf(byArena.get(a1)!).slice(0, 10)) for (const p of pool) heap.mem.free(p);
    for (const pool of poolsOf(byArena.get(a2)!).slice(0, 3)) for (const p of pool) heap.mem.free(p);
    expect(heap.mem.check()).toBe(0);
    // a2 has fewer free pools, so it is first: a new class takes its pools first
    for (let i = 0; i < 3; i++) expect(arenaOf(heap, heap.mem.malloc(8 + 8 * i))).toBe(a2);
    // a2 is full again: then a1
    expect(arenaOf(heap, heap.mem.malloc(64))).toBe(a1);
    expect(a3).toBeDefined();
    expect(heap.mem.check()).toBe(0);
  });

  it("releases wholly free arenas but keeps one, and counts them as CPython does", async () => {
    using heap = await newHeap();
    const byArena = fillArenas(heap, 4);
    expect(heap.mem.stats().arenas).toMatchObject({ allocatedTotal: 4, current: 4, highWater: 4, reclaimed: 0 });
    const committed = heap.mem.stats().memory.committed;
    for (const blocks of byArena.values()) for (const p of blocks) heap.mem.free(p);
    const s = heap.mem.stats();
    expect(s.arenas).toMatchObject({ allocatedTotal: 4, current: 1, highWater: 4, reclaimed: 3 });
    expect(s.bytes.total).toBe(ARENA_SIZE);
    expect(heap.mem.check()).toBe(0);
    // the released arenas' memory is reused: filling 4 arenas again does not grow memory
    const again = fillArenas(heap, 4);
    expect(heap.mem.stats().memory.committed).toBe(committed);
    expect(heap.mem.stats().arenas.allocatedTotal).toBe(7);
    for (const blocks of again.values()) for (const p of blocks) heap.mem.free(p);
  });

  it("keeps the statistics' Total equal to arenas x arena size in every state", async () => {
    using heap = await newHeap();
    let x = 12345;
    const rand = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const live: number[] = [];
    for (let step = 0; step < 30_000; step++) {
      if (live.length && rand() < 0.45) {
        const i = Math.floor(rand() * live.length);
        heap.mem.free(live[i]);
        live[i] = live[live.length - 1];
        live.pop();
      } else {
        live.push(heap.mem.malloc(1 + Math.floor(rand() * 600)));
      }
      if (step % 3000 === 0) {
        const s = heap.mem.stats();
        expect(s.bytes.total).toBe(s.arenas.current * ARENA_SIZE);
        expect(s.allocatedBlocks).toBe(live.length);
        expect(heap.sys.getallocatedblocks()).toBe(live.length);
        expect(heap.mem.check()).toBe(0);
      }
    }
  });
});
