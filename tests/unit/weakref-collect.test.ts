// Weak references and the cycle collector (handle_weakrefs), callbacks that re-enter the
// heap, and deep cases.
//
// In a collection (CPython 3.11's gc_collect_main): every weakref to an unreachable object
// is cleared before any callback runs; the callbacks of weakrefs that are not garbage
// themselves run, then the del hooks; a weakref that is garbage never calls back; the
// weakrefs the callbacks free count as collected. Callbacks may allocate, release handles,
// make weakrefs and call gc.collect() (0 inside a collection).
//
// Expected values are what python3 3.11 printed for the Python in the comments.
import { describe, expect, it } from "vitest";
import type { Heap, PyClass, Ref } from "../../src/node.js";
import { newHeap, gcHeap } from "../helpers.js";


/** An attribute's value as JS (the handle getattr makes is released). */
function attr(obj: Ref, name: string): unknown {
  const v = obj.getattr(name);
  try {
    return v.toJS();
  } finally {
    v.release();
  }
}

function cyclic(C: PyClass, attrs?: Record<string, number | string>): Ref {
  const c = C.new(attrs);
  c.setattr("self", c);
  return c;
}

const inGeneration = (h: Heap, g: number, r: Ref) => {
  const objs = h.gc.getObjects(g);
  const found = objs.some((o) => o.is(r));
  objs.forEach((o) => o.release());
  return found;
};

describe("weakrefs in a collection", () => {
  it("the callback of a live weakref runs before the del hooks; the referent is dead in it", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const D = h.defineClass("D", { del: (self) => log.push(`del ${attr(self, "n")}`) });
    const a = D.new({ n: "a" }), b = D.new({ n: "b" });
    a.setattr("peer", b);
    b.setattr("peer", a);
    const wa = h.weakref.ref(a, (w) => log.push(`callback a, dead: ${w.deref() === null}`));
    const wb = h.weakref.ref(b, (w) => log.push(`callback b, dead: ${w.deref() === null}`));
    a.release();
    b.release();
    expect(log).toEqual([]);
    expect(h.gc.collect()).toBe(2);
    expect(log.slice(0, 2).sort()).toEqual(["callback a, dead: true", "callback b, dead: true"]);
    expect(log.slice(2).sort()).toEqual(["del a", "del b"]);
    [wa, wb].forEach((w) => w.release());
    expect(h.mem.check()).toBe(0);
  });

  it("test_bug1055820b: every weakref to the garbage is cleared before any callback runs", async () => {
    // Cs = [C1055820(0), C1055820(1)]; WRs = [ref(c, callback) for c in Cs]; Cs = None; gc.collect()
    //   -> both callbacks ran, and each saw [wr() for wr in WRs] == [None, None]
    const h = await gcHeap();
    const C = h.defineClass("C");
    const ouch: (Ref | null)[][] = [];
    const WRs: Ref[] = [];
    const callback = () => { ouch.push(WRs.map((w) => w.deref())); };
    const Cs = h.list(); // the instances live in Cs only
    for (let i = 0; i < 2; i++) {
      const c = cyclic(C, { i });
      Cs.append(c);
      WRs.push(h.weakref.ref(c, callback));
      c.release();
    }
    expect(h.gc.collect()).toBe(0);
    expect(ouch).toEqual([]);
    Cs.release();
    expect(h.gc.collect()).toBe(2);
    expect(ouch).toEqual([[null, null], [null, null]]);
    WRs.forEach((w) => w.release());
  });

  it("a weakref that is garbage itself never calls back (test_callback_in_cycle, test_callback_in_cycle_resurrection)", async () => {
    // c1.c = c2; c2.c = c1; c1.wr = ref(c2, cb); c2.wr = ref(c1, cb); x only c1 holds, with an external weakref
    //   -> gc.collect() == 5 (c1, c2, c1.wr, c2.wr, x); only the external callback runs; a second collect() == 0
    const h = await gcHeap();
    const log: string[] = [];
    const C = h.defineClass("C");
    const c1 = C.new(), c2 = C.new(), x = C.new();
    c1.setattr("c", c2);
    c2.setattr("c", c1);
    const w1 = h.weakref.ref(c2, () => log.push("c1.wr")), w2 = h.weakref.ref(c1, () => log.push("c2.wr"));
    c1.setattr("wr", w1);
    c2.setattr("wr", w2);
    c1.setattr("x", x);
    const ext = h.weakref.ref(x, () => log.push("external"));
    [w1, w2, c1, c2, x].forEach((r) => r.release());
    expect(h.gc.collect()).toBe(5);
    expect(log).toEqual(["external"]);
    expect(ext.deref()).toBeNull();
    expect(h.gc.collect()).toBe(0);
    ext.release();
    expect(h.mem.check()).toBe(0);
  });

  it("a garbage weakref whose referent lives is cleared (bpo-38006): no callback, ever", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const C = h.defineClass("C");
    const target = C.new();
    const l = h.list();
    l.append(l);
    const w = h.weakref.ref(target, () => log.push("callback"));
    l.append(w);
    w.release();
    l.release();
    expect(h.weakref.getweakrefcount(target)).toBe(1);
    expect(h.gc.collect()).toBe(2); // the list and the weakref
    expect(h.weakref.getweakrefcount(target)).toBe(0);
    target.release();
    expect(log).toEqual([]);
  });

  it("the weakrefs the callbacks free count as collected", async () => {
    // o.s = o; holder = [ref(o, lambda wr: holder.clear())]; del o; gc.collect() -> 2
    const h = await gcHeap();
    const C = h.defineClass("C");
    const o = cyclic(C);
    const holder: Ref[] = [];
    holder.push(h.weakref.ref(o, () => holder.pop()!.release()));
    o.release();
    expect(h.gc.collect()).toBe(2);
    expect(holder).toEqual([]);
    expect(h.gc.getStats()[2].collected).toBe(2);
    expect(h.mem.check()).toBe(0);
  });

  it("a weakref in an older generation called back by a young collection moves to the next generation", async () => {
    // z = Z() (Lazarus); w = ref(z, cb); gc.collect(); del z (resurrected: young again); z.s = z; del z
    // gc.collect(0) -> 1; w is in generation 1, no longer in 2
    const h = await gcHeap();
    const saved: Ref[] = [];
    const Z = h.defineClass("Z", { del: (self) => { saved.push(self.dup()); } });
    let z = Z.new();
    const w = h.weakref.ref(z, () => {});
    h.gc.collect();
    expect(inGeneration(h, 2, w)).toBe(true);
    z.release(); // resurrected: tracked again at the young end, its weakref untouched
    z = saved.pop()!;
    expect(inGeneration(h, 0, z)).toBe(true);
    const d = w.deref()!;
    expect(d.is(z)).toBe(true);
    d.release();
    z.setattr("s", z);
    z.release();
    expect(h.gc.collect(0)).toBe(1);
    expect([inGeneration(h, 1, w), inGeneration(h, 2, w)]).toEqual([true, false]);
    w.release();
  });

  it("resurrection: in a collection the weakrefs are cleared (callbacks first) although del resurrects; by refcount they are not", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const saved: Ref[] = [];
    const Z = h.defineClass("Z", { del: (self) => { log.push("del"); saved.push(self.dup()); } });
    // in a collection
    let z = cyclic(Z);
    let w = h.weakref.ref(z, () => log.push("callback"));
    z.release();
    expect(h.gc.collect()).toBe(0);
    expect(log).toEqual(["callback", "del"]);
    expect(w.deref()).toBeNull();
    z = saved.pop()!;
    expect(h.weakref.getweakrefcount(z)).toBe(0);
    w.release();
    w = h.weakref.ref(z, () => log.push("second callback"));
    z.delattr("self");
    z.release(); // finalized already: no del; it dies and calls back
    expect(log).toEqual(["callback", "del", "second callback"]);
    w.release();
    // by refcount: del resurrects before the weakrefs are cleared
    log.length = 0;
    z = Z.new();
    w = h.weakref.ref(z, () => log.push("callback"));
    z.release();
    expect(log).toEqual(["del"]);
    const back = w.deref()!;
    expect(back.is(saved[0])).toBe(true);
    back.release();
    saved.pop()!.release(); // its second death: no del, the callback
    expect(log).toEqual(["del", "callback"]);
    w.release();
    expect(h.mem.check()).toBe(0);
  });

  it("uncollectable (legacyDel) garbage keeps its weakrefs; DEBUG_SAVEALL garbage loses them", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const L = h.defineClass("L", { legacyDel: () => log.push("legacyDel") });
    const C = h.defineClass("C");
    const g = cyclic(L);
    const wg = h.weakref.ref(g, () => log.push("g callback"));
    g.release();
    expect(h.gc.collect()).toBe(1);
    const back = wg.deref()!;
    const g0 = h.gc.garbage.get(0) as Ref;
    expect(back.is(g0)).toBe(true);
    g0.release();
    expect(log).toEqual([]);
    h.gc.setDebug(h.gc.DEBUG_SAVEALL);
    const c = cyclic(C);
    const wc = h.weakref.ref(c, () => log.push("c callback"));
    c.release();
    expect(h.gc.collect()).toBe(1);
    expect(log).toEqual(["c callback"]);
    expect(wc.deref()).toBeNull(); // cleared, though gc.garbage keeps the object
    expect(h.gc.garbage.length).toBe(2);
    h.gc.setDebug(0);
    back.delattr("self");
    h.gc.garbage.clear();
    back.release(); // by refcount now: the callback, then legacyDel
    expect(log).toEqual(["c callback", "g callback", "legacyDel"]);
    [wg, wc].forEach((w) => w.release());
    h.gc.collect();
    expect(h.mem.check()).toBe(0);
  });
});

describe("callbacks that re-enter the heap", () => {
  it("test_sf_bug_840829: a callback that runs gc.collect() while its referent is being freed", async () => {
    // c = C(); wr = ref(c, lambda ignore: gc.collect()); del c; del wr
    // c1 = C(); c1.i = C(); wr = ref(c1.i, lambda ignore: gc.collect()); c2 = C(); c2.c1 = c1; del c1; del c2
    const h = await gcHeap();
    const C = h.defineClass("C");
    const results: number[] = [];
    const c = C.new();
    let wr = h.weakref.ref(c, () => { results.push(h.gc.collect()); });
    c.release();
    wr.release();
    const c1 = C.new();
    const i = C.new();
    c1.setattr("i", i);
    wr = h.weakref.ref(i, () => { results.push(h.gc.collect()); });
    i.release();
    const c2 = C.new();
    c2.setattr("c1", c1);
    c1.release();
    c2.release();
    expect(results).toEqual([0, 0]); // nothing to find: the dying objects are untracked
    wr.release();
    expect(h.mem.check()).toBe(0);
  });

  it("a callback in a collection: gc.collect() returns 0; it may allocate, make cycles and weakrefs, release handles", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const C = h.defineClass("C");
    const D = h.defineClass("D", { del: () => log.push("del D") });
    const other = D.new();
    const made: Ref[] = [];
    const o = cyclic(C);
    const w = h.weakref.ref(o, () => {
      log.push(`nested collect: ${h.gc.collect()}`);
      const l = h.list([1, 2, 3]);
      l.append(l);
      l.release(); // new cyclic garbage, for the next collection
      const n = C.new();
      made.push(n, h.weakref.ref(n, () => log.push("new weakref's callback")));
      other.release(); // a refcount death inside the collection
    });
    o.release();
    expect(h.gc.collect()).toBe(1);
    expect(log).toEqual(["nested collect: 0", "del D"]);
    expect(h.gc.collect()).toBe(1); // the list made in the callback
    made[0].release();
    expect(log).toEqual(["nested collect: 0", "del D", "new weakref's callback"]);
    [made[1], w].forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("a callback at refcount death may free other objects: their callbacks run nested, in order", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const C = h.defineClass("C");
    const a = C.new(), b = C.new();
    const refs: Ref[] = [];
    refs.push(h.weakref.ref(a, () => { log.push("a1"); b.release(); log.push("a1 done"); }));
    refs.push(h.weakref.ref(a, () => log.push("a2")));
    refs.push(h.weakref.ref(b, () => log.push("b")));
    a.release();
    expect(log).toEqual(["a2", "a1", "b", "a1 done"]);
    refs.forEach((r) => r.release());
  });

  it("an automatic collection started by a callback's allocations does not see the dying object", async () => {
    const h = await newHeap();
    h.gc.setThreshold(1);
    const C = h.defineClass("C");
    const D = h.defineClass("D", { del: (self) => log.push(`del ${attr(self, "n")}`) });
    const log: string[] = [];
    const starts: number[] = [];
    h.gc.callbacks.push((phase, info) => { if (phase === "start") starts.push(info.generation); });
    const o = D.new({ n: "o" });
    const w1 = h.weakref.ref(o, () => {
      for (let i = 0; i < 50; i++) {
        const c = cyclic(C);
        c.release();
      }
    });
    const w2 = h.weakref.ref(o, () => log.push("w2"));
    starts.length = 0;
    o.release();
    expect(starts.length).toBeGreaterThan(0);
    expect(log).toEqual(["del o", "w2"]);
    [w1, w2].forEach((r) => r.release());
    h.gc.collect();
    expect(h.mem.check()).toBe(0);
  });

  it("test_gc_during_ref_creation / test_gc_during_proxy_creation: a collection while a weakref is made", async () => {
    // gc.set_threshold(1, 1, 1); a = A(); a.a = a; a.wr = makeref(referenced); a = A(); weakref.ref(referenced, callback)
    for (const proxy of [false, true]) {
      const h = await newHeap();
      h.gc.setThreshold(1, 1, 1);
      h.gc.collect();
      const A = h.defineClass("A");
      const referenced = A.new();
      let a = cyclic(A);
      const made = proxy ? h.weakref.proxy(referenced) : h.weakref.ref(referenced);
      a.setattr("wr", made);
      made.release();
      a.release();
      a = A.new();
      const w = h.weakref.ref(referenced, () => {});
      h.gc.collect();
      expect(h.weakref.getweakrefcount(referenced)).toBe(1);
      [w, a, referenced].forEach((r) => r.release());
      expect(h.mem.check()).toBe(0);
      h.close();
    }
  });
});

describe("deep cases", () => {
  const N = 100_000;

  it("a weakref with a callback to each of 100,000 objects in a ring, collected at once: every callback runs", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C", { slots: ["next", "__weakref__"] });
    let calls = 0, dead = 0;
    const cb = (w: Ref) => { calls++; if (w.deref() === null) dead++; };
    const first = C.new();
    const refs: Ref[] = [h.weakref.ref(first, cb)];
    let prev = first.dup();
    for (let i = 1; i < N; i++) {
      const n = C.new();
      refs.push(h.weakref.ref(n, cb));
      prev.setattr("next", n);
      prev.release();
      prev = n;
    }
    prev.setattr("next", first);
    prev.release();
    first.release();
    expect(h.gc.collect()).toBe(N);
    expect([calls, dead]).toEqual([N, N]);
    expect(refs.every((r) => r.deref() === null)).toBe(true);
    refs.forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
    expect(h.gc.collect()).toBe(0);
  });

  it("100,000 objects in a ring each holding its own weakref: garbage weakrefs, no callback", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C", { slots: ["next", "wr", "__weakref__"] });
    let calls = 0;
    const first = C.new();
    let prev = first.dup();
    for (let i = 0; i < N; i++) {
      const n = i === 0 ? first.dup() : C.new();
      const w = h.weakref.ref(n, () => { calls++; });
      n.setattr("wr", w);
      w.release();
      if (i > 0) prev.setattr("next", n);
      prev.release();
      prev = n;
    }
    prev.setattr("next", first);
    prev.release();
    first.release();
    expect(h.gc.collect()).toBe(2 * N);
    expect(calls).toBe(0);
    expect(h.mem.check()).toBe(0);
  });

  it("100,000 weakrefs to one object: callbacks newest first at its death", async () => {
    const h = await gcHeap();
    const o = h.defineClass("C").new();
    const order: number[] = [];
    const refs: Ref[] = [];
    for (let i = 0; i < N; i++) refs.push(h.weakref.ref(o, () => order.push(i)));
    expect(h.weakref.getweakrefcount(o)).toBe(N);
    o.release();
    expect(order.length).toBe(N);
    expect(order[0]).toBe(N - 1);
    expect(order[N - 1]).toBe(0);
    expect(order.every((v, i) => v === N - 1 - i)).toBe(true);
    refs.forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("a chain of 100,000 objects freed by refcount: each one's callback, head to tail, no recursion", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C", { slots: ["next", "i", "__weakref__"] });
    const order: number[] = [];
    const refs: Ref[] = [];
    let head = C.new({ i: N - 1 });
    refs.push(h.weakref.ref(head, () => order.push(N - 1)));
    for (let i = N - 2; i >= 0; i--) {
      const n = C.new({ i, next: head });
      refs.push(h.weakref.ref(n, () => order.push(i)));
      head.release();
      head = n;
    }
    head.release();
    expect(order.length).toBe(N);
    expect(order.every((v, i) => v === i)).toBe(true);
    refs.forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });
});
