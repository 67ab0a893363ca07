// Automatic collection (CPython 3.11's _PyObject_GC_Link and gc_collect_generations):
// count[0] counts container allocations minus deallocations; the allocation that
// takes it past threshold 0 collects the oldest generation whose count is over its
// threshold, except generation 2 while long_lived_pending < long_lived_total / 4.
//
// The sequences below were produced by python3 3.11 with this program (slotted
// instances: one container per allocation, no free list), and the same loop here:
//
//   class S: __slots__ = ('a',)
//   starts = []; gens = []; i = 0
//   def cb(phase, info):
//       if phase == 'start': starts.append(i); gens.append(info['generation'])
//   gc.callbacks.append(cb)
//   keep = [None] * (BASE + N + 10); base = [None] * (BASE + 10)
//   gc.freeze()                      # the interpreter's own objects out of the way
//   gc.set_threshold(10, 10, 10)
//   for j in range(BASE): base[j] = S()
//   gc.collect()
//   gc.enable()
//   for i in range(1, N + 1): keep[i] = S()
//
// CPython's callbacks allocate an info dict: after a full collection (which empties
// the dict free list) that one allocation counts, so CPython's next interval is 10
// allocations instead of 11; pyheap's callbacks allocate nothing in the heap. Counted
// from the first collection, CPython's full collections therefore come one allocation
// earlier after the first full one; everything else is identical.
import { describe, expect, it } from "vitest";
import type { Heap, Ref } from "../../src/node.js";
import { gcHeap, testEngine } from "../helpers.js";


/** Records (allocation index, generation) at each collection's start. */
function recorder(h: Heap) {
  const rec = { i: 0, starts: [] as number[], gens: [] as number[] };
  h.gc.callbacks.push((phase, info) => {
    if (phase === "start") {
      rec.starts.push(rec.i);
      rec.gens.push(info.generation);
    }
  });
  return rec;
}

/** Run-length groups of the collected generations: [[0, 11], [1, 1], ...]. */
function groups(gens: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const g of gens) {
    const last = out[out.length - 1];
    if (last && last[0] === g) last[1]++;
    else out.push([g, 1]);
  }
  return out;
}

describe("the allocation that takes count[0] past threshold 0 collects", () => {
  it("with threshold 10: at allocations 11, 22, 33... (one container each)", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    const rec = recorder(h);
    h.gc.setThreshold(10);
    h.gc.enable();
    const keep: Ref[] = [];
    for (rec.i = 1; rec.i <= 100; rec.i++) {
      keep.push(S.new());
      if (rec.i === 10) expect(h.gc.getCount()).toEqual([10, 0, 0]);
    }
    expect(rec.starts).toEqual([11, 22, 33, 44, 55, 66, 77, 88, 99]);
    expect(rec.gens).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(h.gc.getCount()).toEqual([1, 9, 0]);
  });

  it("runs inside the allocation, before the new object is tracked", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    h.gc.setThreshold(10);
    h.gc.enable();
    const keep = Array.from({ length: 10 }, () => S.new());
    const eleventh = S.new();
    h.gc.disable();
    expect(h.gc.getCount()).toEqual([0, 1, 0]); // the new object was counted, then the count reset
    const gen = (g: number) => {
      const objs = h.gc.getObjects(g);
      const ids = objs.map((o) => o.id);
      objs.forEach((o) => o.release());
      return ids;
    };
    expect(gen(0)).toEqual([eleventh.id]);
    expect(gen(1)).toEqual(keep.map((k) => k.id));
  });

  it("finds the garbage made since: cycles are freed by allocation alone", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["me"] });
    const rec = recorder(h);
    const stops: number[] = [];
    h.gc.callbacks.push((phase, info) => { if (phase === "stop") stops.push(info.collected); });
    h.gc.setThreshold(100);
    h.gc.enable();
    const blocks0 = h.sys.getallocatedblocks();
    for (rec.i = 1; rec.i <= 20_000; rec.i++) {
      const s = S.new();
      s.setattr("me", s);
      s.release();
    }
    h.gc.disable();
    expect(rec.starts.length).toBeGreaterThan(150);
    expect(stops.reduce((a, b) => a + b, 0)).toBeGreaterThan(19_000);
    // what is left: at most one threshold's worth of cycles, plus survivors in older generations
    expect(h.sys.getallocatedblocks() - blocks0).toBeLessThan(1100);
    const left = 20_000 - stops.reduce((a, b) => a + b, 0);
    expect(h.gc.collect()).toBe(left);
    expect(h.sys.getallocatedblocks()).toBeLessThanOrEqual(blocks0);
    expect(h.mem.check()).toBe(0);
  });

  it.skipIf(testEngine === "debug")("count[0] is allocations minus deallocations, so released objects delay collection", async () => { // (free lists)
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    const rec = recorder(h);
    h.gc.setThreshold(10);
    h.gc.enable();
    for (rec.i = 1; rec.i <= 1000; rec.i++) S.new().release(); // +1 -1 each time
    expect(rec.starts).toEqual([]);
    expect(h.gc.getCount()).toEqual([0, 0, 0]);
    // and free-list reuse counts nothing either
    h.list().release();
    for (rec.i = 1; rec.i <= 1000; rec.i++) h.list().release();
    expect(rec.starts).toEqual([]);
    expect(h.gc.getCount()).toEqual([1, 0, 0]);
  });
});

describe("disable, enable, threshold 0", () => {
  it("disable() stops automatic collection only; enable() collects at the next allocation", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    const rec = recorder(h);
    h.gc.setThreshold(10);
    expect(h.gc.isenabled()).toBe(false);
    const keep: Ref[] = [];
    for (rec.i = 1; rec.i <= 5000; rec.i++) keep.push(S.new());
    expect(rec.starts).toEqual([]);
    expect(h.gc.getCount()).toEqual([5000, 0, 0]);
    rec.i = -1;
    expect(h.gc.collect(0)).toBe(0); // explicit collections still run
    expect(rec.starts).toEqual([-1]);
    for (rec.i = 1; rec.i <= 20; rec.i++) keep.push(S.new());
    expect(rec.starts).toEqual([-1]);
    h.gc.enable();
    expect(h.gc.isenabled()).toBe(true);
    expect(rec.starts).toEqual([-1]); // enabling collects nothing by itself
    rec.i = 1;
    keep.push(S.new()); // count[0] 21 > 10
    expect(rec.starts).toEqual([-1, 1]);
  });

  it("threshold 0 disables automatic collection (test_threshold_zero)", async () => {
    // gc.set_threshold(0): 50000 allocations never trigger a collection
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    const rec = recorder(h);
    h.gc.enable();
    h.gc.setThreshold(0);
    expect(h.gc.getThreshold()).toEqual([0, 10, 10]);
    const keep: Ref[] = [];
    for (rec.i = 1; rec.i <= 50_000; rec.i++) keep.push(S.new());
    expect(rec.starts).toEqual([]);
    expect(h.gc.isenabled()).toBe(true);
    h.gc.setThreshold(10);
    rec.i = 0;
    keep.push(S.new());
    expect(rec.starts).toEqual([0]);
  });

  it("with GC disabled, 10000 allocations never trigger (test_indirect_calls_with_gc_disabled)", async () => {
    const h = await gcHeap();
    const rec = recorder(h);
    h.gc.setThreshold(1000, 0, 0);
    const keep: Ref[] = [];
    for (rec.i = 1; rec.i <= 10_000; rec.i++) keep.push(h.list());
    expect(rec.starts).toEqual([]);
    h.gc.enable();
    keep.push(h.list());
    expect(rec.gens).toEqual([0]); // count[1] and count[2] are 0: not above their threshold 0
    for (let k = 0; k < 1001; k++) keep.push(h.list());
    expect(rec.gens).toEqual([0, 1]); // count[1] 1 > 0
    for (let k = 0; k < 1001; k++) keep.push(h.list());
    expect(rec.gens).toEqual([0, 1, 2]); // count[2] 1 > 0, and 10002 promoted >= 0 / 4
  });
});

describe("older generations: thresholds (10, 10) and the 25% rule", () => {
  function run(BASE: number, N: number) {
    return async () => {
      const h = await gcHeap();
      const S = h.defineClass("S", { slots: ["a"] });
      const rec = recorder(h);
      h.gc.setThreshold(10, 10, 10);
      const base: Ref[] = [];
      for (let j = 0; j < BASE; j++) base.push(S.new());
      h.gc.collect();
      rec.starts.length = 0;
      rec.gens.length = 0;
      expect(h.gc.getCount()).toEqual([0, 0, 0]);
      h.gc.enable();
      const keep: Ref[] = [];
      for (rec.i = 1; rec.i <= N; rec.i++) keep.push(S.new());
      h.gc.disable();
      const intervals = new Set(rec.starts.slice(1).map((s, k) => s - rec.starts[k]));
      return { h, rec, intervals, first: rec.starts[0], full: rec.starts.filter((_, k) => rec.gens[k] === 2).map((s) => s - rec.starts[0]) };
    };
  }

  it("from an empty generation 2: eleven gen-0 collections per gen-1 one, eleven gen-1 per full one", async () => {
    // python3 3.11, BASE = 0, N = 3000:
    //   groups [(0, 11), (1, 1)] x 11, (2, 1), [(0, 11), (1, 1)] x 11, (2, 1), (0, 7)
    //   full collections at 1452 and 2914 allocations after the first collection
    const { h, intervals, first, full, rec } = await run(0, 3000)();
    expect(first).toBe(11);
    expect(intervals).toEqual(new Set([11]));
    const cycle: [number, number][] = [];
    for (let k = 0; k < 11; k++) cycle.push([0, 11], [1, 1]);
    expect(groups(rec.gens)).toEqual([...cycle, [2, 1], ...cycle, [2, 1], [0, 6]]); // CPython: (0, 7): one allocation ahead
    expect(full).toEqual([1452, 2915]); // CPython 2914 (see the header)
    expect(h.gc.getCount()).toEqual([8, 6, 0]);
  });

  it("the 25% rule postpones full collections while few objects were promoted (bpo-4074)", async () => {
    // python3 3.11, BASE = 10000, N = 6000:
    //   the first full collection waits until long_lived_pending >= 10000 / 4: at 2508 allocations after
    //   the first collection (19 gen-1 collections: 19 * 132 = 2508); the second at 5686
    const { h, full, rec } = await run(10_000, 6000)();
    expect(full).toEqual([2508, 5687]); // CPython 5686 (see the header)
    const cycle = (n: number) => {
      const c: [number, number][] = [];
      for (let k = 0; k < n; k++) c.push([0, 11], [1, 1]);
      return c;
    };
    expect(groups(rec.gens)).toEqual([...cycle(19), [2, 1], ...cycle(24), [2, 1], ...cycle(2), [0, 3]]);
    expect(h.gc.getCount()).toEqual([5, 3, 2]);
  });

  it("while the rule holds, count[2] goes past threshold 2 and gen-1 collections go on", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    const rec = recorder(h);
    h.gc.setThreshold(10, 10, 10);
    const base: Ref[] = [];
    for (let j = 0; j < 10_000; j++) base.push(S.new());
    h.gc.collect();
    rec.gens.length = 0;
    h.gc.enable();
    const keep: Ref[] = [];
    let maxCount2 = 0;
    for (rec.i = 1; rec.i <= 2000; rec.i++) {
      keep.push(S.new());
      maxCount2 = Math.max(maxCount2, h.gc.getCount()[2]);
    }
    h.gc.disable();
    expect(rec.gens.includes(2)).toBe(false);
    expect(rec.gens.filter((g) => g === 1).length).toBe(15);
    expect(maxCount2).toBe(15);
  });

  it("getCount: count[1] counts gen-0 collections, count[2] gen-1 collections", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["a"] });
    const rec = recorder(h);
    h.gc.setThreshold(2, 3, 100);
    h.gc.enable();
    const keep: Ref[] = [];
    const counts: [number, number, number][] = [];
    for (rec.i = 1; rec.i <= 15; rec.i++) {
      keep.push(S.new());
      counts.push(h.gc.getCount());
    }
    h.gc.disable();
    expect(rec.gens).toEqual([0, 0, 0, 0, 1]);
    expect(rec.starts).toEqual([3, 6, 9, 12, 15]);
    expect(counts).toEqual([
      [1, 0, 0], [2, 0, 0], [0, 1, 0],
      [1, 1, 0], [2, 1, 0], [0, 2, 0],
      [1, 2, 0], [2, 2, 0], [0, 3, 0],
      [1, 3, 0], [2, 3, 0], [0, 4, 0],
      [1, 4, 0], [2, 4, 0], [0, 0, 1],
    ]);
  });
});
