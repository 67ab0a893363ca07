// Deep structures: the collector's walks (update_refs, subtract_refs, move_unreachable,
// move_legacy_finalizer_reachable, delete_garbage) keep their work on the GC lists, and
// deallocation tears containers down with an explicit stack, so a million-long ring or
// a million-deep nesting is collected without growing the call stack. Afterwards the
// heap's invariants hold and every block is back (free lists emptied).
import { describe, expect, it } from "vitest";
import type { Heap, Ref } from "../../src/node.js";
import { gcHeap, liveBlocks } from "../helpers.js";

const N = 1_000_000;

/** An attribute's value as JS (the handle getattr makes is released). */
function attrJS(obj: Ref, name: string): unknown {
  const v = obj.getattr(name);
  try {
    return v.toJS();
  } finally {
    v.release();
  }
}



/** Links n new objects made by make() with link(prev, next); returns the first and the last handle. */
function chain(n: number, make: () => Ref, link: (prev: Ref, next: Ref) => void): [Ref, Ref] {
  const first = make();
  let prev = first.dup();
  for (let i = 1; i < n; i++) {
    const next = make();
    link(prev, next);
    prev.release();
    prev = next;
  }
  return [first, prev];
}

describe("a million objects in one cycle", () => {
  it("a 1,000,000-long ring of slotted instances", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["next"] });
    const base = liveBlocks(h);
    const [first, last] = chain(N, () => S.new(), (p, n) => p.setattr("next", n));
    last.setattr("next", first);
    first.release();
    last.release();
    expect(h.gc.getCount()).toEqual([N, 0, 0]);
    expect(h.gc.collect()).toBe(N);
    expect(h.gc.getStats()[2].collected).toBe(N);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
    expect(h.gc.getObjects()).toEqual([]);
  });

  it("a 1,000,000-deep nesting of lists whose innermost holds the outermost", async () => {
    const h = await gcHeap();
    const base = liveBlocks(h);
    const [outer, inner] = chain(N, () => h.list(), (p, n) => p.append(n));
    inner.append(outer);
    outer.release();
    inner.release();
    expect(h.gc.collect()).toBe(N);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  });

  it("a 1,000,000-deep nesting of tuples closed by a list", async () => {
    const h = await gcHeap();
    const base = liveBlocks(h);
    const l = h.list();
    let t = h.tuple([l]);
    for (let i = 1; i < N; i++) {
      const next = h.tuple([t]);
      t.release();
      t = next;
    }
    l.append(t);
    t.release();
    l.release();
    expect(h.gc.collect()).toBe(N + 1);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  });

  it("a 200,000-long ring of dicts built with automatic collection on: spread over the generations, found by a full one", async () => {
    const h = await gcHeap();
    const base = liveBlocks(h);
    const n = 200_000;
    const full: number[] = [];
    h.gc.callbacks.push((phase, info) => { if (phase === "stop" && info.generation === 2) full.push(info.collected); });
    h.gc.enable();
    const [first, last] = chain(n, () => h.dict(), (p, nx) => p.set("next", nx)); // reachable while built
    last.set("next", first);
    first.release();
    last.release();
    expect(full.every((c) => c === 0)).toBe(true);
    // young collections cannot free a cycle that reaches into older generations; survivors
    // must pile up to a quarter of generation 2 before the full collection that frees it
    const S = h.defineClass("S", { slots: ["a"] });
    const keep: Ref[] = [];
    while (!full.some((c) => c >= n) && keep.length < 1_000_000) keep.push(S.new());
    h.gc.disable();
    h.gc.callbacks.length = 0;
    expect(full.some((c) => c === n)).toBe(true);
    expect(keep.length).toBeGreaterThan(n / 8);
    keep.forEach((k) => k.release());
    expect(h.gc.collect()).toBe(0);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  }, 60_000);
});

describe("deep but reachable: move_unreachable's worst case", () => {
  it("a 1,000,000 chain tracked innermost first and held by its outermost: all survive, then die by refcount", async () => {
    // young = [l0, l1, ..., lN] with l(i+1) = [l(i)]: every list but the last is tentatively
    // unreachable, then moved back one at a time as the scan reaches it from the outside
    const h = await gcHeap();
    const base = liveBlocks(h);
    let l = h.list();
    for (let i = 1; i < N; i++) {
      const next = h.list([l]);
      l.release();
      l = next;
    }
    expect(h.gc.collect(0)).toBe(0);
    expect(h.gc.getCount()).toEqual([0, 1, 0]);
    const gen1 = h.gc.getObjects(1);
    expect(gen1.length).toBe(N);
    // moved back in the order the scan reached them: the outermost first
    expect(gen1[0].id).toBe(l.id);
    gen1.forEach((o) => o.release());
    expect(h.gc.collect()).toBe(0);
    l.release(); // a million-deep teardown, without recursion
    expect(h.gc.getObjects()).toEqual([]);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  });
});

describe("deep uncollectable and finalized garbage", () => {
  it("a legacy finalizer reaching a 1,000,000-deep chain: all uncollectable, only it in gc.garbage", async () => {
    const h = await gcHeap();
    const calls: number[] = [];
    const L = h.defineClass("L", { slots: ["x"], legacyDel: (self) => { calls.push(self.id); } });
    expect(h.gc.garbage.length).toBe(0); // made now, so that the baseline includes it
    const base = liveBlocks(h);
    const lid = h.scope(() => {
      const legacy = L.new();
      const [outer, inner] = chain(N, () => h.list(), (p, n) => p.append(n));
      legacy.setattr("x", outer);
      inner.append(legacy);
      outer.release();
      inner.release();
      return legacy.id;
    });
    expect(h.gc.collect()).toBe(N + 1);
    expect(h.gc.getStats()[2].uncollectable).toBe(N + 1);
    expect(h.gc.garbage.length).toBe(1);
    const legacy = h.gc.garbage.get(0) as Ref;
    expect(legacy.id).toBe(lid);
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(0); // still held by the handle
    legacy.setattr("x", null); // breaks the cycle: the chain dies by refcount
    expect(calls).toEqual([]);
    legacy.release();
    expect(calls).toEqual([lid]);
    expect(h.gc.collect()).toBe(0);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  });

  it("a 100,000 ring with del hooks: each runs once, in ring order", async () => {
    const h = await gcHeap();
    const n = 100_000;
    const order: number[] = [];
    const D = h.defineClass("D", { slots: ["i", "next"], del: (self) => { order.push(attrJS(self, "i") as number); } });
    const base = liveBlocks(h);
    let i = 0;
    const [first, last] = chain(n, () => D.new({ i: i++ }), (p, nx) => p.setattr("next", nx));
    last.setattr("next", first);
    first.release();
    last.release();
    expect(h.gc.collect()).toBe(n);
    expect(order.length).toBe(n);
    expect(order.every((v, k) => v === k)).toBe(true);
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  });

  it("DEBUG_SAVEALL over a 1,000,000 ring: all in gc.garbage, freed when it is cleared and the ring broken", async () => {
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["next"] });
    expect(h.gc.garbage.length).toBe(0);
    const base = liveBlocks(h);
    const [first, last] = chain(N, () => S.new(), (p, n) => p.setattr("next", n));
    last.setattr("next", first);
    first.release();
    last.release();
    h.gc.setDebug(h.gc.DEBUG_SAVEALL);
    expect(h.gc.collect()).toBe(N);
    expect(h.gc.garbage.length).toBe(N);
    h.gc.setDebug(0);
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(N);
    h.gc.garbage.clear(); // (its item array shrinks back)
    expect(h.mem.check()).toBe(0);
    expect(liveBlocks(h)).toBe(base);
  });
});
