// Finalizers in cycles (PEP 442): del hooks run once each, in the order of CPython
// 3.11's finalize_garbage; resurrection; legacy finalizers (tp_del) make a cycle
// uncollectable and land in gc.garbage; DEBUG_SAVEALL; re-entrant collections.
//
// Each order below is what python3 3.11 printed for the Python construction given in
// the comment, run with gc.disable() and this class:
//
//   log = []
//   class D:
//       __slots__ = ('name', 'x', 'y')
//       def __init__(self, name): self.name = name
//       def __del__(self): log.append(self.name)
//
// The constructions are made inside a function, so that its locals die at return;
// here, inside heap.scope, which releases every handle made in it.
import { describe, expect, it } from "vitest";
import type { Heap, PyClass, Ref, UnraisableInfo } from "../../src/node.js";
import { newHeap } from "../helpers.js";

async function gcHeap(options: Parameters<typeof newHeap>[0] = {}): Promise<Heap> {
  const h = await newHeap(options);
  h.gc.disable();
  h.gc.collect();
  return h;
}

/** D: a slotted class whose del hook logs its name. */
function logging(h: Heap, log: string[]): { D: PyClass; d: (name: string) => Ref } {
  const D = h.defineClass("D", { slots: ["name", "x", "y"], del: (self) => log.push(attrJS(self, "name") as string) });
  return { D, d: (name) => D.new({ name }) };
}

const link = (a: Ref, b: Ref, attr = "x") => a.setattr(attr, b);

/** An attribute's value as JS (the handle getattr makes is released). */
function attrJS(obj: Ref, name: string): unknown {
  const v = obj.getattr(name);
  try {
    return v.toJS();
  } finally {
    v.release();
  }
}

describe("del hooks in cycles: each once, in CPython 3.11's order", () => {
  interface OrderRow {
    name: string;
    python: string[];
    build: (h: Heap, d: (name: string) => Ref) => void;
    generations: number[];
    /** gc.collect(g) for each g of `generations`, then the log, as python3 3.11 printed them. */
    results: number[];
    order: string[];
  }
  const rows: OrderRow[] = [
    {
      name: "a ring of three: creation (tracking) order",
      python: ["a = D('a'); b = D('b'); c = D('c'); a.x = b; b.x = c; c.x = a"],
      build: (h, d) => {
        const a = d("a"), b = d("b"), c = d("c");
        link(a, b);
        link(b, c);
        link(c, a);
      },
      generations: [2],
      results: [3],
      order: ["a", "b", "c"],
    },
    {
      name: "generations 0..g merge into g: older objects after younger ones",
      python: [
        "x1 = D('x1'); x2 = D('x2'); x1.x = x2; x2.x = x1",
        "gc.collect(0)",
        "y1 = D('y1'); y2 = D('y2'); y1.x = y2; y2.x = y1; x1.y = y1",
      ],
      build: (h, d) => {
        const x1 = d("x1"), x2 = d("x2");
        link(x1, x2);
        link(x2, x1);
        h.gc.collect(0);
        const y1 = d("y1"), y2 = d("y2");
        link(y1, y2);
        link(y2, y1);
        link(x1, y1, "y");
      },
      generations: [2],
      results: [4],
      order: ["y1", "y2", "x1", "x2"],
    },
    {
      name: "a full collection: generation 2, then 0, then 1",
      python: [
        "x1 = D('x1'); x2 = D('x2'); x1.x = x2; x2.x = x1",
        "gc.collect(1)",
        "z = D('z'); z.x = z",
        "gc.collect(0)",
        "y1 = D('y1'); y2 = D('y2'); y1.x = y2; y2.x = y1; x1.y = y1; z.y = y2",
      ],
      build: (h, d) => {
        const x1 = d("x1"), x2 = d("x2");
        link(x1, x2);
        link(x2, x1);
        h.gc.collect(1);
        const z = d("z");
        link(z, z);
        h.gc.collect(0);
        const y1 = d("y1"), y2 = d("y2");
        link(y1, y2);
        link(y2, y1);
        link(x1, y1, "y");
        link(z, y2, "y");
      },
      generations: [2],
      results: [5],
      order: ["x1", "x2", "y1", "y2", "z"],
    },
    {
      name: "move_unreachable reorders survivors: what an outside object reaches goes behind it",
      python: [
        "a = D('a'); b = D('b'); r = D('r'); r.x = b; a.x = b; b.x = a; keep.append(r)",
        "gc.collect(0)   # young [a, b, r] -> generation 1 [r, b, a]",
        "keep.clear()    # r dies at once (refcount), logging 'r'",
      ],
      build: (h, d) => {
        const r = h.scope(() => {
          const a = d("a"), b = d("b"), r = d("r");
          link(r, b);
          link(a, b);
          link(b, a);
          return r;
        });
        h.gc.collect(0);
        r.release();
      },
      generations: [1],
      results: [2],
      order: ["r", "b", "a"],
    },
    {
      name: "the same without the intermediate collection keeps creation order",
      python: ["a = D('a'); b = D('b'); r = D('r'); r.x = b; a.x = b; b.x = a; keep.append(r)", "keep.clear()"],
      build: (h, d) => {
        const r = h.scope(() => {
          const a = d("a"), b = d("b"), r = d("r");
          link(r, b);
          link(a, b);
          link(b, a);
          return r;
        });
        r.release();
      },
      generations: [1],
      results: [2],
      order: ["r", "a", "b"],
    },
    {
      name: "objects hanging off a cycle are finalized in list order, not by their container",
      python: ["c1 = D('c1'); c2 = D('c2'); p = D('p'); q = D('q'); l = [q, p]; c1.x = c2; c2.x = c1; c1.y = l"],
      build: (h, d) => {
        const c1 = d("c1"), c2 = d("c2"), p = d("p"), q = d("q");
        const l = h.list([q, p]);
        link(c1, c2);
        link(c2, c1);
        link(c1, l, "y");
      },
      generations: [2],
      results: [5], // c1, c2, p, q and the list
      order: ["c1", "c2", "p", "q"],
    },
  ];

  for (const row of rows) {
    it(`${row.name}: ${row.order.join(", ")}`, async () => {
      const h = await gcHeap();
      const log: string[] = [];
      const { d } = logging(h, log);
      h.scope(() => row.build(h, d));
      const before = log.length;
      const results = row.generations.map((g) => h.gc.collect(g));
      expect(results).toEqual(row.results);
      expect(log).toEqual(row.order);
      expect(before).toBeLessThanOrEqual(log.length);
      expect(h.mem.check()).toBe(0);
      expect(h.gc.collect()).toBe(0);
      expect(log).toEqual(row.order); // nothing ran twice
    });
  }

  it("a hook that breaks its cycle: the others die inside it, and nothing is left to count", async () => {
    // class E(D): def __del__(self): log.append(self.name + '<'); del self.x; log.append(self.name + '>')
    // a = E('a'); b = D('b'); a.x = b; b.x = a          -> collect() 0, log ['a<', 'b', 'a>']
    // a = E('a'); b = D('b'); c = D('c'); a.x = b; b.x = c; c.x = a -> 0, ['a<', 'b', 'c', 'a>']
    const h = await gcHeap();
    const log: string[] = [];
    const { d } = logging(h, log);
    const E = h.defineClass("E", {
      slots: ["name", "x"],
      del: (self) => {
        const n = attrJS(self, "name") as string;
        log.push(`${n}<`);
        self.delattr("x");
        log.push(`${n}>`);
      },
    });
    h.scope(() => {
      const a = E.new({ name: "a" }), b = d("b");
      link(a, b);
      link(b, a);
    });
    expect(h.gc.collect()).toBe(0);
    expect(log).toEqual(["a<", "b", "a>"]);
    log.length = 0;
    h.scope(() => {
      const a = E.new({ name: "a" }), b = d("b"), c = d("c");
      link(a, b);
      link(b, c);
      link(c, a);
    });
    const s0 = h.gc.getStats()[2];
    expect(h.gc.collect()).toBe(0);
    expect(log).toEqual(["a<", "b", "c", "a>"]);
    expect(h.gc.getStats()[2]).toEqual({ collections: s0.collections + 1, collected: s0.collected, uncollectable: 0 });
    expect(h.mem.check()).toBe(0);
  });

  it("a 1000-ring: every hook once, in ring order", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const { d } = logging(h, log);
    h.scope(() => {
      const first = d("0");
      let prev = first;
      for (let i = 1; i < 1000; i++) {
        const n = d(String(i));
        link(prev, n);
        prev = n;
      }
      link(prev, first);
    });
    expect(h.gc.collect()).toBe(1000);
    expect(log).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
  });

  it("isFinalized: false before, true once the hook ran", async () => {
    const h = await gcHeap();
    const kept: Ref[] = [];
    const Z = h.defineClass("Z", { slots: ["me"], del: (self) => { kept.push(self.dup()); } });
    expect(h.gc.isFinalized(3)).toBe(false);
    expect(h.gc.isFinalized(h.list())).toBe(false);
    h.scope(() => {
      const z = Z.new();
      expect(h.gc.isFinalized(z)).toBe(false);
      z.setattr("me", z);
    });
    expect(h.gc.collect()).toBe(0);
    expect(kept.length).toBe(1);
    expect(h.gc.isFinalized(kept[0])).toBe(true);
    expect(h.gc.isTracked(kept[0])).toBe(true);
  });
});

describe("resurrection", () => {
  it("does not block the cleanup of other objects, and is not counted (test_resurrection_does_not_block_cleanup_of_other_objects)", async () => {
    // N = 100; A() self-loops; Z(A) with __del__ appending self to zs; CPython 3.11:
    //   100 A()                -> collect 100, stats collected +100, uncollectable +0
    //   Z()                    -> collect 0, stats +0
    //   100 A() + Z()          -> collect 100, stats +100
    //   zs.clear()             -> collect 2, stats +2 (the two Zs, not finalized again)
    const h = await gcHeap();
    const zs: Ref[] = [];
    let dels = 0;
    const A = h.defineClass("A", { slots: ["me"] });
    const Z = h.defineClass("Z", { slots: ["me"], del: (self) => { dels++; zs.push(self.dup()); } });
    const make = (cls: PyClass) => h.scope(() => { const o = cls.new(); o.setattr("me", o); });
    const stats = () => h.gc.getStats()[2];
    let s = stats();
    for (let i = 0; i < 100; i++) make(A);
    expect(h.gc.collect()).toBe(100);
    expect([stats().collected - s.collected, stats().uncollectable - s.uncollectable]).toEqual([100, 0]);
    s = stats();
    make(Z);
    expect(h.gc.collect()).toBe(0);
    expect([stats().collected - s.collected, stats().uncollectable - s.uncollectable]).toEqual([0, 0]);
    s = stats();
    for (let i = 0; i < 100; i++) make(A);
    make(Z);
    expect(h.gc.collect()).toBe(100);
    expect([stats().collected - s.collected, stats().uncollectable - s.uncollectable]).toEqual([100, 0]);
    expect(dels).toBe(2);
    expect(zs.every((z) => h.gc.isFinalized(z))).toBe(true);
    s = stats();
    for (const z of zs.splice(0)) z.release();
    expect(h.gc.collect()).toBe(2);
    expect([stats().collected - s.collected, stats().uncollectable - s.uncollectable]).toEqual([2, 0]);
    expect(dels).toBe(2); // only once per object (test_resurrection_only_happens_once_per_object)
    expect(h.mem.check()).toBe(0);
  });

  it("is transitive: everything the resurrected object reaches survives, intact (test_resurrection_is_transitive)", async () => {
    // laz = Laz(); cargo = [laz, {'k': [1]}]; laz.cargo = cargo; laz.me = laz
    //   -> collect 0, len(zs) 1, zs[0].cargo[1] == {'k': [1]}, is_finalized True
    //   x = zs.pop(); del x -> collect 4 (laz, cargo, the dict, [1])
    const h = await gcHeap();
    const zs: Ref[] = [];
    const Laz = h.defineClass("Laz", { slots: ["cargo", "me"], del: (self) => { zs.push(self.dup()); } });
    let cargoId = 0;
    h.scope(() => {
      const laz = Laz.new();
      const cargo = h.list([laz, h.dict({ k: h.list([1]) })]);
      cargoId = cargo.id;
      laz.setattr("cargo", cargo);
      laz.setattr("me", laz);
    });
    expect(h.gc.collect()).toBe(0);
    expect(zs.length).toBe(1);
    const cargo = zs[0].getattr("cargo");
    expect(cargo.id).toBe(cargoId);
    h.scope(() => {
      expect((cargo.get(0) as Ref).is(zs[0])).toBe(true);
      expect((cargo.get(1) as Ref).toJS()).toEqual(new Map([["k", [1]]]));
    });
    expect(h.gc.isFinalized(zs[0])).toBe(true);
    // the survivors went to the old generation (generation 2 for a full collection)
    const objs = h.gc.getObjects(2);
    expect(objs.filter((o) => o.is(zs[0]) || o.is(cargo)).length).toBe(2);
    objs.forEach((o) => o.release());
    cargo.release();
    expect(h.gc.collect()).toBe(0);
    zs.pop()!.release();
    expect(h.gc.collect()).toBe(4);
    expect(h.mem.check()).toBe(0);
  });

  it("a hook that resurrects a partner: the whole cycle survives, each hook having run once", async () => {
    const h = await gcHeap();
    const saved: Ref[] = [];
    const log: string[] = [];
    const R = h.defineClass("R", {
      slots: ["name", "x"],
      del: (self) => {
        const name = attrJS(self, "name") as string;
        log.push(name);
        if (name === "a") saved.push(self.getattr("x")); // b, which reaches a
      },
    });
    const s0 = h.gc.getStats()[2];
    h.scope(() => {
      const a = R.new({ name: "a" }), b = R.new({ name: "b" });
      link(a, b);
      link(b, a);
    });
    expect(h.gc.collect()).toBe(0);
    expect(log).toEqual(["a", "b"]);
    expect(h.gc.getStats()[2].collected).toBe(s0.collected);
    const a = saved[0].getattr("x");
    expect(attrJS(a, "name")).toBe("a");
    expect([h.gc.isFinalized(a), h.gc.isFinalized(saved[0])]).toEqual([true, true]);
    a.release();
    saved.pop()!.release();
    expect(h.gc.collect()).toBe(2);
    expect(log).toEqual(["a", "b"]);
  });

  it("a resurrected object stored in a heap list survives, and dies with the list later", async () => {
    const h = await gcHeap();
    const live = h.list();
    let dels = 0;
    const Z = h.defineClass("Z", { slots: ["me"], del: (self) => { dels++; live.append(self); } });
    h.scope(() => { const z = Z.new(); z.setattr("me", z); });
    expect(h.gc.collect()).toBe(0);
    expect(live.length).toBe(1);
    live.clear();
    expect(h.gc.collect()).toBe(1);
    expect(dels).toBe(1);
    expect(h.mem.check()).toBe(0);
  });
});

describe("legacy finalizers (tp_del): uncollectable cycles and gc.garbage", () => {
  /** A (plain slotted) and L (with a legacy finalizer); names print as CPython's repr would show them. */
  function classes(h: Heap, legacyCalls: string[] = []) {
    const A = h.defineClass("A", { slots: ["x", "name"] });
    const L = h.defineClass("L", { slots: ["x", "name"], legacyDel: (self) => legacyCalls.push(attrJS(self, "name") as string) });
    return { A, L };
  }
  const names = (h: Heap) => {
    const out: string[] = [];
    for (const o of h.gc.garbage) {
      const r = o as Ref;
      out.push(`${r.type}${attrJS(r, "name") as string}`);
      r.release();
    }
    return out;
  };

  it("a cycle through a legacy object: uncollectable, only the legacy object in gc.garbage (test_legacy_finalizer)", async () => {
    // l = L('1'); a = A('2'); l.x = a; a.x = l -> collect 2, stats collected +0, uncollectable +2, gc.garbage [L1]
    const h = await gcHeap();
    const calls: string[] = [];
    const { A, L } = classes(h, calls);
    h.scope(() => {
      const l = L.new({ name: "1" }), a = A.new({ name: "2" });
      link(l, a);
      link(a, l);
    });
    const s0 = h.gc.getStats()[2];
    expect(h.gc.collect()).toBe(2);
    const s1 = h.gc.getStats()[2];
    expect([s1.collected - s0.collected, s1.uncollectable - s0.uncollectable]).toEqual([0, 2]);
    expect(names(h)).toEqual(["L1"]);
    expect(calls).toEqual([]); // the collector never calls tp_del
    // gc.garbage holds it now: reachable, so not found again
    expect(h.gc.collect()).toBe(0);
    expect(names(h)).toEqual(["L1"]);
    const l = h.gc.garbage.get(0) as Ref;
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(0);
    // breaking the cycle by hand frees it by reference counting, which does call tp_del
    l.setattr("x", null);
    l.release();
    expect(calls).toEqual(["1"]);
    expect(h.gc.collect()).toBe(0);
    expect(h.mem.check()).toBe(0);
  });

  it("everything a legacy object reaches is uncollectable too; other garbage is collected", async () => {
    // a = A('a'); b = A('b'); a.x = b; b.x = a; l = L('l'); l.x = l; a.name = l -> collect 3, gc.garbage [Ll]
    const h = await gcHeap();
    const { A, L } = classes(h);
    h.scope(() => {
      const a = A.new({ name: "a" }), b = A.new({ name: "b" });
      link(a, b);
      link(b, a);
      const l = L.new({ name: "l" });
      link(l, l);
      a.setattr("name", l);
    });
    const s0 = h.gc.getStats()[2];
    expect(h.gc.collect()).toBe(3);
    const s1 = h.gc.getStats()[2];
    expect([s1.collected - s0.collected, s1.uncollectable - s0.uncollectable]).toEqual([2, 1]);
    expect(names(h)).toEqual(["Ll"]);
  });

  it("the uncollectable stay tracked, in the old generation", async () => {
    // after gc.collect(0), the tp_del cycle is in gc.get_objects(1)
    const h = await gcHeap();
    const { A, L } = classes(h);
    h.scope(() => {
      const l = L.new({ name: "1" }), a = A.new({ name: "2" });
      link(l, a);
      link(a, l);
    });
    expect(h.gc.collect(0)).toBe(2);
    const gen1 = h.gc.getObjects(1);
    expect(gen1.map((o) => o.type).sort()).toEqual(["A", "L"]);
    gen1.forEach((o) => o.release());
  });

  it("DEBUG_SAVEALL: all the garbage goes to gc.garbage, collectable first (test_saveall)", async () => {
    // gc.set_debug(gc.DEBUG_SAVEALL)
    // a = A('a'); b = A('b'); a.x = b; b.x = a; l = L('l'); c = A('c'); l.x = c; c.x = l
    //   -> collect 4, gc.garbage [Aa, Ab, Ll, Ac]
    const h = await gcHeap();
    const { A, L } = classes(h);
    expect(h.gc.garbage.length).toBe(0);
    h.gc.setDebug(h.gc.DEBUG_SAVEALL);
    h.scope(() => {
      const a = A.new({ name: "a" }), b = A.new({ name: "b" });
      link(a, b);
      link(b, a);
      const l = L.new({ name: "l" }), c = A.new({ name: "c" });
      link(l, c);
      link(c, l);
    });
    expect(h.gc.collect()).toBe(4);
    expect(names(h)).toEqual(["Aa", "Ab", "Ll", "Ac"]);
    // gc.garbage keeps them alive: nothing to find next time (gc.garbage holds every one)
    expect(h.gc.collect()).toBe(0);
    h.gc.setDebug(0);
    for (const o of h.gc.garbage) {
      (o as Ref).setattr("x", null);
      (o as Ref).release();
    }
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(0);
    expect(h.mem.check()).toBe(0);
  });

  it("DEBUG_SAVEALL with a self-referencing list: it is the only item of gc.garbage", async () => {
    // test_saveall: gc.garbage == [] ; l = []; l.append(l); del l; gc.collect(); gc.garbage == [[[...]]]
    const h = await gcHeap();
    h.gc.setDebug(h.gc.DEBUG_SAVEALL);
    const id = h.scope(() => {
      const l = h.list();
      l.append(l);
      return l.id;
    });
    expect(h.gc.collect()).toBe(1);
    expect(h.gc.garbage.length).toBe(1);
    const item = h.gc.garbage.get(0) as Ref;
    expect(item.id).toBe(id);
    expect(item.repr()).toBe("[[...]]");
    item.release();
    h.gc.setDebug(0);
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(1);
  });

  it("DEBUG_SAVEALL still runs del hooks, once", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const { d } = logging(h, log);
    h.gc.setDebug(h.gc.DEBUG_SAVEALL);
    h.scope(() => {
      const a = d("a"), b = d("b");
      link(a, b);
      link(b, a);
    });
    expect(h.gc.collect()).toBe(2);
    expect(log).toEqual(["a", "b"]);
    expect(h.gc.garbage.length).toBe(2);
    h.gc.setDebug(0);
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(2);
    expect(log).toEqual(["a", "b"]);
  });
});

describe("exceptions in del hooks", () => {
  it("go to heap.sys.unraisablehook; the collection completes", async () => {
    const h = await gcHeap();
    const seen: UnraisableInfo[] = [];
    h.sys.unraisablehook = (info) => seen.push(info);
    const B = h.defineClass("B", { slots: ["x"], del: () => { throw new RangeError("boom"); } });
    h.scope(() => {
      const a = B.new(), b = B.new();
      link(a, b);
      link(b, a);
    });
    expect(h.gc.collect()).toBe(2);
    expect(seen.length).toBe(2);
    for (const info of seen) {
      expect(info.exception).toBeInstanceOf(RangeError);
      expect(info.message).toMatch(/^Exception ignored in: del of <B object at 0x[0-9a-f]+>$/);
    }
    expect(h.mem.check()).toBe(0);
  });

  it("the default hook writes them to the heap's stderr", async () => {
    const lines: string[] = [];
    const h = await gcHeap({ stderr: (t) => lines.push(t) });
    const B = h.defineClass("B", { slots: ["x"], del: () => { throw new Error("kaboom"); } });
    h.scope(() => { const a = B.new(); link(a, a); });
    expect(h.gc.collect()).toBe(1);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^Exception ignored in: del of <B object at 0x[0-9a-f]+>\nError: kaboom/);
  });
});

describe("re-entrancy: del hooks that allocate, make cycles and collect", () => {
  it("collect() inside a collection returns 0; new cycles wait for the next collection", async () => {
    const h = await gcHeap();
    const errors: unknown[] = [];
    h.sys.unraisablehook = (info) => errors.push(info.exception);
    const inner: number[] = [];
    const N = h.defineClass("N", { slots: ["x"] });
    const D = h.defineClass("D", {
      slots: ["x", "y"],
      del: (self) => {
        inner.push(h.gc.collect(), h.gc.collect(0));
        h.scope(() => {
          const a = N.new(), b = N.new();
          link(a, b);
          link(b, a);
          const l = h.list([1, 2, h.dict({ k: h.list() })]);
          l.append(l);
          self.setattr("y", h.list(["junk"])); // dies when self is cleared
        });
        h.tuple([h.str("s"), 1.5]).release();
        const objs = h.gc.getObjects();
        expect(objs.some((o) => o.is(self))).toBe(false); // gh-125859: the garbage is in no generation
        objs.forEach((o) => o.release());
        expect(h.gc.getReferrers(self)).toEqual([]);
      },
    });
    h.scope(() => {
      const a = D.new(), b = D.new();
      link(a, b);
      link(b, a);
    });
    expect(h.gc.collect()).toBe(2);
    expect(errors).toEqual([]); // (the expectations inside the hooks held)
    expect(inner).toEqual([0, 0, 0, 0]);
    expect(h.mem.check()).toBe(0);
    // each hook left: a 2-cycle, a list cycle holding a dict holding a list (5 objects)
    const types = h.gc.getObjects().map((o) => {
      const t = o.type;
      o.release();
      return t;
    });
    expect(types.sort()).toEqual(["N", "N", "N", "N", "dict", "dict", "list", "list", "list", "list"]);
    expect(h.gc.collect()).toBe(10);
    expect(h.mem.check()).toBe(0);
    expect(h.gc.getObjects()).toEqual([]);
  });

  it("hooks run by an automatic collection: collect() returns 0 there, allocations start no collection", async () => {
    const h = await gcHeap();
    const inner: number[] = [];
    const N = h.defineClass("N", { slots: ["x"] });
    const D = h.defineClass("D", {
      slots: ["x"],
      del: () => {
        inner.push(h.gc.collect());
        h.scope(() => {
          for (let i = 0; i < 50; i++) {
            const n = N.new();
            link(n, n);
          }
        });
      },
    });
    const starts: number[] = [];
    h.gc.callbacks.push((phase, info) => { if (phase === "start") starts.push(info.generation); });
    h.scope(() => {
      for (let i = 0; i < 3; i++) {
        const a = D.new(), b = D.new();
        link(a, b);
        link(b, a);
      }
    });
    expect(h.gc.getCount()).toEqual([6, 0, 0]);
    h.gc.setThreshold(5);
    h.gc.enable();
    const keep = [h.list()]; // count[0] 7 > 5: a generation-0 collection, inside this allocation
    h.gc.disable();
    expect(starts).toEqual([0]);
    expect(inner).toEqual([0, 0, 0, 0, 0, 0]);
    // 300 N self-cycles were made inside the collection, after it reset the count, and
    // the 6 Ds were freed after them: 300 - 6; the cycles wait for the next collection
    expect(h.gc.getCount()).toEqual([294, 1, 0]);
    expect(h.mem.check()).toBe(0);
    expect(h.gc.collect()).toBe(300);
    keep.forEach((k) => k.release());
    expect(h.gc.collect()).toBe(0);
    expect(h.gc.getObjects()).toEqual([]);
    expect(h.mem.check()).toBe(0);
  });

  it("hooks run by a reference-counting teardown may collect, explicitly or by allocating", async () => {
    // 100 nested lists, each holding two Ds: releasing the outermost tears them all down; each
    // D's hook collects (finding the 30 cycles the previous hook made) and makes 30 more
    const h = await gcHeap();
    const N = h.defineClass("N", { slots: ["x"] });
    const found: number[] = [];
    const D = h.defineClass("D", {
      slots: ["x"],
      del: () => {
        found.push(h.gc.collect());
        h.scope(() => {
          for (let i = 0; i < 30; i++) {
            const n = N.new();
            link(n, n);
          }
        });
      },
    });
    const nest = () => h.scope(() => {
      const outer = h.list();
      let cur = outer;
      for (let i = 0; i < 100; i++) {
        const next = h.list([D.new(), D.new()]);
        cur.append(next);
        cur = next;
      }
      return outer;
    });
    nest().release();
    expect(found).toEqual([0, ...Array.from({ length: 199 }, () => 30)]);
    expect(h.mem.check()).toBe(0);
    expect(h.gc.collect()).toBe(30);
    // the same with automatic collections (threshold 10) starting inside the hooks' allocations
    const outer = nest();
    const collected: number[] = [];
    h.gc.callbacks.push((phase, info) => { if (phase === "stop") collected.push(info.collected); });
    h.gc.setThreshold(10);
    h.gc.enable();
    found.length = 0;
    outer.release();
    h.gc.disable();
    expect(found.length).toBe(200);
    expect(collected.length).toBeGreaterThan(200);
    expect(h.mem.check()).toBe(0);
    h.gc.callbacks.length = 0;
    // every one of the 200 * 30 cycles was found exactly once, by one collection or by the last
    const last = h.gc.collect();
    expect(collected.reduce((a, b) => a + b, 0) + last).toBe(6000);
    expect(h.gc.getObjects()).toEqual([]);
    expect(h.mem.check()).toBe(0);
  });

  it("a hook that freezes the heap mid-collection", async () => {
    const h = await gcHeap();
    const keep = h.list([1]);
    const F = h.defineClass("F", { slots: ["x"], del: () => h.gc.freeze() });
    h.scope(() => {
      const a = F.new(), b = F.new();
      link(a, b);
      link(b, a);
      const c = h.list();
      c.append(c);
    });
    expect(h.gc.collect()).toBe(3);
    expect(h.gc.getFreezeCount()).toBe(1); // keep
    h.gc.unfreeze();
    expect(h.gc.getObjects(2).map((o) => { const same = o.is(keep); o.release(); return same; })).toEqual([true]);
    expect(h.mem.check()).toBe(0);
  });
});
