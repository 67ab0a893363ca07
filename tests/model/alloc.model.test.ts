// Model-based test: random malloc/calloc/realloc/free sequences against a model.
// After every step: blocks do not overlap, every byte written is intact, alignment
// holds, the structures' invariants hold, and the statistics match the model.
// Under a small maxMemory, refused requests must change nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PyMemoryError, type Heap } from "../../src/node.js";
import { ARENA_SIZE, classOf, newHeap, sizeOfClass, snapshot } from "../helpers.js";

type Klass = number | "large";
interface Block { size: number; klass: Klass; fill: number }
class Model {
  blocks = new Map<number, Block>();
  order: number[] = []; // live pointers, for picking
  nextFill = 1;
  capped: boolean;
  constructor(capped: boolean) {
    this.capped = capped;
  }
  add(p: number, b: Block) {
    this.blocks.set(p, b);
    this.order.push(p);
  }
  remove(p: number) {
    this.blocks.delete(p);
    this.order.splice(this.order.indexOf(p), 1);
  }
  pick(i: number): number | undefined {
    return this.order.length ? this.order[i % this.order.length] : undefined;
  }
}

const patterns = new Map<number, Buffer>();
function pattern(fill: number, size: number): Buffer {
  let b = patterns.get(fill);
  if (!b || b.length < size) {
    b = Buffer.alloc(Math.max(size, 1 << 16), fill);
    patterns.set(fill, b);
  }
  return b.subarray(0, size);
}
const bytesOf = (heap: Heap, p: number, n: number) => Buffer.from(heap.mem.view(p, n).buffer, p, n);

function fillBlock(m: Model, heap: Heap, p: number, size: number): number {
  const fill = (m.nextFill = (m.nextFill % 255) + 1);
  heap.mem.view(p, size).fill(fill);
  return fill;
}

/** Which kind of block a request of n bytes gets (under a cap, a small one may go large). */
function klassFor(m: Model, heap: Heap, p: number, n: number): Klass {
  const small = n >= 1 && n <= 512;
  const inPool = heap.mem.inPool(p);
  if (!m.capped) expect(inPool).toBe(small);
  else if (!small) expect(inPool).toBe(false);
  return inPool ? classOf(n) : "large";
}

let verified = 0; // steps checked, to make sure the runs were not trivially short
let refused = 0; // PyMemoryErrors seen under the cap
function verify(m: Model, heap: Heap): void {
  verified++;
  expect(heap.mem.check()).toBe(0);
  const ptrs = [...m.blocks.keys()].sort((a, b) => a - b);
  let end = 0;
  for (const p of ptrs) {
    const b = m.blocks.get(p)!;
    expect(p % 8).toBe(0);
    expect(p).toBeGreaterThanOrEqual(end); // no overlap, usable sizes included
    const usable = heap.mem.usableSize(p);
    expect(usable).toBeGreaterThanOrEqual(b.size);
    if (b.klass !== "large") expect(usable).toBe(sizeOfClass(b.klass));
    end = p + Math.max(usable, 1);
    expect(bytesOf(heap, p, b.size).equals(pattern(b.fill, b.size))).toBe(true);
  }
  const s = heap.mem.stats();
  const perClass = new Array(64).fill(0);
  let large = 0;
  for (const b of m.blocks.values()) {
    if (b.klass === "large") large++;
    else perClass[b.klass]++;
  }
  expect(s.classes.map((c) => c.blocksInUse)).toEqual(perClass);
  expect(s.large.blocks).toBe(large);
  expect(s.allocatedBlocks).toBe(m.blocks.size);
  expect(heap.sys.getallocatedblocks()).toBe(m.blocks.size);
  expect(heap.mem.count).toBe(m.blocks.size);
  expect(s.bytes.total).toBe(s.arenas.current * ARENA_SIZE);
  expect(s.memory.committed).toBe(s.memory.inUse + s.memory.free);
  expect(s.memory.committed).toBeLessThanOrEqual(s.memory.max);
}

/** Runs an allocation; a PyMemoryError is allowed only under a cap, and changes nothing. */
function attempt(m: Model, heap: Heap, act: () => void): void {
  const before = m.capped ? snapshot(heap) : undefined;
  try {
    act();
  } catch (e) {
    if (!(e instanceof PyMemoryError) || !m.capped) throw e;
    // below the cap the guard must refuse first: TLSF itself never gets to trap
    expect((e as Error).message).not.toMatch(/refused to grow/);
    expect(snapshot(heap)).toEqual(before);
    refused++;
  }
  verify(m, heap);
}

class Malloc implements fc.Command<Model, Heap> {
  constructor(readonly n: number) {}
  check() { return true; }
  run(m: Model, heap: Heap) {
    attempt(m, heap, () => {
      const p = heap.mem.malloc(this.n);
      m.add(p, { size: this.n, klass: klassFor(m, heap, p, this.n), fill: fillBlock(m, heap, p, this.n) });
    });
  }
  toString() { return `malloc(${this.n})`; }
}

class Calloc implements fc.Command<Model, Heap> {
  constructor(readonly count: number, readonly size: number) {}
  check() { return true; }
  run(m: Model, heap: Heap) {
    attempt(m, heap, () => {
      const n = this.count * this.size;
      const p = heap.mem.calloc(this.count, this.size);
      expect(bytesOf(heap, p, n).equals(Buffer.alloc(n))).toBe(true);
      m.add(p, { size: n, klass: klassFor(m, heap, p, n), fill: fillBlock(m, heap, p, n) });
    });
  }
  toString() { return `calloc(${this.count}, ${this.size})`; }
}

class Realloc implements fc.Command<Model, Heap> {
  constructor(readonly pick: number, readonly n: number) {}
  check(m: Readonly<Model>) { return m.order.length > 0; }
  run(m: Model, heap: Heap) {
    const p = m.pick(this.pick)!;
    const old = m.blocks.get(p)!;
    attempt(m, heap, () => {
      const q = heap.mem.realloc(p, this.n);
      let klass: Klass;
      if (old.klass === "large") {
        klass = "large"; // a large block stays in the general allocator
        expect(heap.mem.inPool(q)).toBe(false);
      } else {
        const size = sizeOfClass(old.klass);
        const stays = this.n <= size && 4 * this.n > 3 * size;
        expect(q === p).toBe(stays);
        klass = stays ? old.klass : klassFor(m, heap, q, this.n);
      }
      const kept = Math.min(old.size, this.n);
      expect(bytesOf(heap, q, kept).equals(pattern(old.fill, kept))).toBe(true);
      m.remove(p);
      m.add(q, { size: this.n, klass, fill: fillBlock(m, heap, q, this.n) });
    });
  }
  toString() { return `realloc(#${this.pick}, ${this.n})`; }
}

/** realloc to the sizes where the 25% rule turns: 3/4 of the block, just above, the block, just past it. */
class ReallocEdge extends Realloc {
  constructor(pick: number, readonly edge: number) {
    super(pick, 0);
  }
  run(m: Model, heap: Heap) {
    const p = m.pick(this.pick)!;
    const b = m.blocks.get(p)!;
    const size = b.klass === "large" ? Math.max(b.size, 1) : sizeOfClass(b.klass);
    const n = [Math.floor((3 * size) / 4), Math.floor((3 * size) / 4) + 1, size, size + 1][this.edge];
    new Realloc(this.pick, n).run(m, heap);
  }
  toString() { return `reallocEdge(#${this.pick}, ${this.edge})`; }
}

class Free implements fc.Command<Model, Heap> {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>) { return m.order.length > 0; }
  run(m: Model, heap: Heap) {
    const p = m.pick(this.pick)!;
    heap.mem.free(p);
    m.remove(p);
    verify(m, heap);
  }
  toString() { return `free(#${this.pick})`; }
}

class FreeMany implements fc.Command<Model, Heap> {
  constructor(readonly fraction: number) {}
  check(m: Readonly<Model>) { return m.order.length > 0; }
  run(m: Model, heap: Heap) {
    const victims = m.order.filter((_, i) => (i * 7919) % 100 < this.fraction * 100);
    for (const p of victims) {
      heap.mem.free(p);
      m.remove(p);
    }
    verify(m, heap);
  }
  toString() { return `freeMany(${this.fraction})`; }
}

function sizes(capped: boolean) {
  return fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: 512 }) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 513, max: 20_000 }) },
    { weight: capped ? 4 : 0, arbitrary: fc.integer({ min: 200_000, max: 1_500_000 }) },
  );
}

function commands(capped: boolean) {
  const size = sizes(capped);
  return fc.commands(
    [
      size.map((n) => new Malloc(n)),
      fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })).map(([c, s]) => new Calloc(c, s)),
      fc.tuple(fc.nat(), size).map(([i, n]) => new Realloc(i, n)),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 })).map(([i, e]) => new ReallocEdge(i, e)),
      fc.nat().map((i) => new Free(i)),
      fc.double({ min: 0.2, max: 0.9, noNaN: true }).map((f) => new FreeMany(f)),
    ],
    { maxCommands: 150, size: "large" },
  );
}

/** Bulk allocation to reach many pools and arenas: a malloc burst command. */
class Burst implements fc.Command<Model, Heap> {
  constructor(readonly count: number, readonly size: number) {}
  check() { return true; }
  run(m: Model, heap: Heap) {
    attempt(m, heap, () => {
      for (let i = 0; i < this.count; i++) {
        const p = heap.mem.malloc(this.size);
        m.add(p, { size: this.size, klass: klassFor(m, heap, p, this.size), fill: fillBlock(m, heap, p, this.size) });
      }
    });
  }
  toString() { return `burst(${this.count} x ${this.size})`; }
}

/** Runs command sequences, each on a fresh heap (capped to 3 MiB when `capped`). */
function runModel(cmds: fc.Arbitrary<Iterable<fc.Command<Model, Heap>>>, capped: boolean, numRuns: number) {
  return fc.assert(
    fc.asyncProperty(cmds, async (cmds) => {
      const heap = await newHeap(capped ? { maxMemory: 3 << 20 } : {});
      try {
        fc.modelRun(() => ({ model: new Model(capped), real: heap }), cmds);
      } finally {
        heap.close();
      }
    }),
    { numRuns },
  );
}

describe("allocator against a model", () => {
  it("holds every invariant over random sequences", async () => {
    await runModel(commands(false), false, 60);
    expect(verified).toBeGreaterThan(2000);
  });

  it("holds them across many pools and arenas (bursts of frees and allocations)", async () => {
    const cmds = fc.commands(
      [
        fc.tuple(fc.integer({ min: 200, max: 2500 }), fc.integer({ min: 1, max: 512 })).map(([c, s]) => new Burst(c, s)),
        fc.double({ min: 0.3, max: 1, noNaN: true }).map((f) => new FreeMany(f)),
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 600 })).map(([i, n]) => new Realloc(i, n)),
      ],
      { maxCommands: 20, size: "medium" },
    );
    await runModel(cmds, false, 8);
  });

  it("changes nothing on PyMemoryError under a 3 MiB maxMemory, and recovers", async () => {
    await runModel(commands(true), true, 60);
    expect(refused).toBeGreaterThan(10);
  });
});
