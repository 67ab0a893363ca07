// heap.weakref's WeakValueDictionary, WeakKeyDictionary and WeakSet, built as Lib/weakref.py
// builds them (a heap dict or set of weakrefs whose callbacks remove their entries):
// entries vanish when their objects die, by refcount and in collections; the references
// they hold are CPython's (a WeakValueDictionary key: the dict's and its KeyedRef's); no
// handle, reference or block is left behind once a container and its objects are gone.
//
// Expected values are what python3 3.11 printed (`class C: pass`, gc disabled).
import { describe, expect, it } from "vitest";
import { PyTypeError, type Heap, type PyClass, type Ref } from "../../src/node.js";
import { gcHeap, liveBlocks } from "../helpers.js";



const js = (refs: Ref[]) => {
  const out = refs.map((r) => r.toJS());
  refs.forEach((r) => r.release());
  return out;
};

/** A self-referencing instance (cyclic garbage once released). */
function cyclic(C: PyClass): Ref {
  const c = C.new();
  c.setattr("self", c);
  return c;
}

describe("WeakValueDictionary", () => {
  it("maps keys to objects it does not keep alive: entries go when the values die by refcount", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C");
    const d = h.weakref.WeakValueDictionary();
    const v1 = C.new({ n: 1 }), v2 = C.new({ n: 2 });
    d.set("a", v1);
    d.set(1, v2);
    d.set("b", v2);
    expect(d.length).toBe(3);
    expect(d.get("a")!.is(v1)).toBe(true);
    d.get("a")!.release();
    expect(d.has(1)).toBe(true);
    expect(d.get("missing")).toBeUndefined();
    expect(h.sys.getrefcount(v2)).toBe(1); // weak: only v2's handle
    v2.release();
    expect(d.length).toBe(1);
    expect(d.has(1) || d.has("b")).toBe(false);
    expect(js(d.keys())).toEqual(["a"]);
    expect(js(d.values())).toEqual([{ n: 1 }]);
    d.delete("a");
    expect(d.length).toBe(0);
    v1.release();
    d.release();
    expect(h.mem.check()).toBe(0);
  });

  it("cyclic values: entries stay until the collection, whose callbacks remove them (their weakrefs count as collected)", async () => {
    // d['c'] = c (c.s = c); del c -> len(d) == 1; gc.collect() == 2 (c and its KeyedRef); len(d) == 0
    const h = await gcHeap();
    const C = h.defineClass("C");
    const d = h.weakref.WeakValueDictionary();
    const c = cyclic(C);
    d.set("c", c);
    c.release();
    expect(d.length).toBe(1);
    expect(h.gc.collect()).toBe(2);
    expect(d.length).toBe(0);
    expect(d.get("c")).toBeUndefined();
    d.release();
    expect(h.mem.check()).toBe(0);
  });

  it("holds its keys as CPython does (the dict's key and the KeyedRef's): 3 references with the caller's", async () => {
    // k = C(); v = C(); d[k] = v -> getrefcount(k) - 1 == 3, getrefcount(v) - 1 == 1; d[k] = v again -> 3
    const h = await gcHeap();
    const C = h.defineClass("C");
    const d = h.weakref.WeakValueDictionary();
    const k = C.new(), v = C.new(), v2 = C.new();
    d.set(k, v);
    expect([h.sys.getrefcount(k), h.sys.getrefcount(v)]).toEqual([3, 1]);
    d.set(k, v);
    expect(h.sys.getrefcount(k)).toBe(3);
    d.set(k, v2); // replaced: v's death no longer touches the entry
    v.release();
    const got = d.get(k)!;
    expect(got.is(v2)).toBe(true);
    got.release();
    expect(h.sys.getrefcount(k)).toBe(3);
    v2.release(); // the entry goes, and its references to k
    expect(d.length).toBe(0);
    expect(h.sys.getrefcount(k)).toBe(1);
    d.set(k, k);
    d.release(); // the container's references go with it
    expect(h.sys.getrefcount(k)).toBe(1);
    k.release();
    expect(h.mem.check()).toBe(0);
  });

  it("values that refuse weak references: PyTypeError, nothing changes; keys must be hashable", async () => {
    const h = await gcHeap();
    const d = h.weakref.WeakValueDictionary();
    const l = h.list();
    const o = h.defineClass("C").new();
    h.weakref.ref(o).release(); // (the engine's table of weakref lists is made on first use)
    const before = liveBlocks(h);
    expect(() => d.set("k", l)).toThrow("cannot create weak reference to 'list' object");
    expect(() => d.set(l, o)).toThrow("unhashable type: 'list'");
    expect(d.length).toBe(0);
    expect(h.sys.getrefcount(l)).toBe(1);
    expect(h.weakref.getweakrefcount(o)).toBe(0);
    expect(liveBlocks(h)).toBe(before);
    [l, o].forEach((r) => r.release());
    d.release();
  });

  it("items() gives live entries only; clear(); release() is idempotent; a dead value after release() calls nothing", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C");
    const d = h.weakref.WeakValueDictionary();
    const a = C.new({ n: 1 }), b = cyclic(C);
    d.set("a", a);
    d.set("b", b);
    b.release();
    // b is garbage but not collected: still an entry, still alive
    expect(d.items().map(([k, v]) => [k.toJS(), (k.release(), v.release(), 0)][0])).toEqual(["a", "b"]);
    d.clear();
    expect(d.length).toBe(0);
    d.set("a", a);
    d.release();
    d.release();
    a.release(); // the weakref died with the container: no callback
    expect(h.gc.collect()).toBe(1);
    expect(h.mem.check()).toBe(0);
  });
});

describe("WeakKeyDictionary", () => {
  it("entries go when their keys die (by refcount, and cyclic ones in a collection); the values die with them", async () => {
    const h = await gcHeap();
    const log: string[] = [];
    const C = h.defineClass("C");
    const V = h.defineClass("V", { del: () => log.push("value del") });
    const d = h.weakref.WeakKeyDictionary();
    const k1 = C.new(), k2 = cyclic(C);
    const v = V.new();
    d.set(k1, v);
    d.set(k2, 5);
    v.release();
    expect(d.length).toBe(2);
    const got = d.get(k1)!;
    expect(got.type).toBe("V");
    got.release();
    expect(d.has(k2)).toBe(true);
    expect(h.sys.getrefcount(k1)).toBe(1); // weak keys
    k1.release();
    expect(log).toEqual(["value del"]);
    expect(d.length).toBe(1);
    k2.release();
    expect(d.length).toBe(1);
    expect(h.gc.collect()).toBe(2); // k2 and its weakref
    expect(d.length).toBe(0);
    d.release();
    expect(h.mem.check()).toBe(0);
  });

  it("equal keys share an entry (the first key stays); it goes when that key dies", async () => {
    // a = frozenset([1]); b = frozenset([1]); wk[a] = 1; wk[b] = 2 -> len 1, wk[a] == 2, the key is a; del a -> len 0
    const h = await gcHeap();
    const d = h.weakref.WeakKeyDictionary();
    const a = h.frozenset([1]), b = h.frozenset([1]);
    d.set(a, 1);
    d.set(b, 2);
    expect(d.length).toBe(1);
    expect(d.get(a)!.toJS()).toBe(2);
    const [key] = d.keys();
    expect(key.is(a)).toBe(true);
    key.release();
    expect(h.weakref.getweakrefcount(b)).toBe(0); // b's weakref was dropped
    a.release();
    expect(d.length).toBe(0);
    expect(d.has(b)).toBe(false);
    b.release();
    d.release();
  });

  it("keys that refuse weak references: set/get/delete raise PyTypeError, has() is false", async () => {
    // wk[[]] = 1 -> TypeError: cannot create weak reference to 'list' object; [] in wk -> False; 5 in wk -> False
    const h = await gcHeap();
    const d = h.weakref.WeakKeyDictionary();
    const l = h.list();
    expect(() => d.set(l, 1)).toThrow(PyTypeError);
    expect(() => d.set(l, 1)).toThrow("cannot create weak reference to 'list' object");
    expect(() => d.get(l)).toThrow(PyTypeError);
    expect(() => d.delete(l)).toThrow(PyTypeError);
    expect(d.has(l)).toBe(false);
    expect(d.has(5)).toBe(false);
    expect(d.has(null)).toBe(false);
    // a set accepts weak references but is unhashable: wk[{1}] = 1 -> TypeError: unhashable type: 'set'
    const st = h.set([1]);
    expect(() => d.set(st, 1)).toThrow("unhashable type: 'set'");
    expect(h.weakref.getweakrefcount(st)).toBe(0);
    expect(d.length).toBe(0);
    [l, st].forEach((r) => r.release());
    d.release();
  });

  it("delete, clear, items", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C");
    const d = h.weakref.WeakKeyDictionary();
    const a = C.new({ n: 1 }), b = C.new({ n: 2 });
    d.set(a, "A");
    d.set(b, "B");
    expect(d.items().map(([k, v]) => { const r = [k.toJS(), v.toJS()]; k.release(); v.release(); return r; })).toEqual([[{ n: 1 }, "A"], [{ n: 2 }, "B"]]);
    d.delete(a);
    expect(d.length).toBe(1);
    expect(h.weakref.getweakrefcount(a)).toBe(0);
    expect(js(d.values())).toEqual(["B"]);
    d.clear();
    expect(d.length).toBe(0);
    expect(h.weakref.getweakrefcount(b)).toBe(0);
    [a, b].forEach((r) => r.release());
    d.release();
  });
});

describe("WeakSet", () => {
  it("members go when they die; add() twice keeps one; discard; has", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C");
    const s = h.weakref.WeakSet();
    const a = C.new({ n: 1 }), b = cyclic(C), fs = h.frozenset([1, 2]);
    s.add(a);
    s.add(a);
    s.add(b);
    s.add(fs);
    expect(s.length).toBe(3);
    expect(h.weakref.getweakrefcount(a)).toBe(1);
    expect(s.has(a) && s.has(fs)).toBe(true);
    expect(s.has(h.frozenset([2, 1]))).toBe(true); // equal members
    a.release();
    expect(s.length).toBe(2);
    b.release();
    expect(s.length).toBe(2);
    expect(h.gc.collect()).toBe(2);
    expect(s.length).toBe(1);
    expect(js(s.values())).toEqual([new Set([1, 2])]);
    expect(js([...s])).toEqual([new Set([1, 2])]);
    s.discard(fs);
    expect(s.length).toBe(0);
    s.add(fs);
    s.clear();
    expect(s.length).toBe(0);
    fs.release();
    s.release();
    expect(h.mem.check()).toBe(0);
  });

  it("objects refusing weak references: add raises, has is false; unhashable ones raise", async () => {
    // ws.add({1}) -> TypeError: unhashable type: 'set'; {1} in ws -> the same; [] in ws -> False
    const h = await gcHeap();
    const s = h.weakref.WeakSet();
    const l = h.list(), st = h.set([1]);
    expect(() => s.add(l)).toThrow("cannot create weak reference to 'list' object");
    expect(s.has(l)).toBe(false);
    expect(s.has("x")).toBe(false);
    expect(() => s.add(st)).toThrow("unhashable type: 'set'");
    expect(() => s.has(st)).toThrow("unhashable type: 'set'");
    expect(h.weakref.getweakrefcount(st)).toBe(0);
    expect(s.length).toBe(0);
    [l, st].forEach((r) => r.release());
    s.release();
  });
});

describe("no leaks", () => {
  it("handles, references and blocks are back where they were once containers and objects are gone", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C");
    const round = () => {
      const wv = h.weakref.WeakValueDictionary(), wk = h.weakref.WeakKeyDictionary(), ws = h.weakref.WeakSet();
      const objs: Ref[] = [];
      for (let i = 0; i < 200; i++) {
        const o = i % 3 === 0 ? cyclic(C) : C.new({ i });
        objs.push(o);
        wv.set(i, o);
        wv.set(`k${i}`, o);
        wk.set(o, i % 2 ? o : i);   // (an odd one is its own value: alive while wk is)
        ws.add(o);
      }
      // half die by refcount (or wait for the collection), some while the containers live
      for (let i = 0; i < objs.length; i += 2) objs[i].release();
      h.gc.collect();
      expect([wv.length, wk.length, ws.length]).toEqual([200, 100, 100]);
      for (const c of [wv, wk, ws]) c.release();
      for (let i = 1; i < objs.length; i += 2) {
        expect(h.sys.getrefcount(objs[i])).toBe(i % 3 === 0 ? 2 : 1); // (a cyclic one refers to itself)
        expect(h.weakref.getweakrefcount(objs[i])).toBe(0);
        objs[i].release();
      }
      h.gc.collect();
    };
    round(); // warm-up: attribute names, the host's tables
    const before = liveBlocks(h);
    round();
    round();
    expect(liveBlocks(h)).toBe(before);
    expect(h.mem.check()).toBe(0);
  });

  it("weakrefs, proxies and finalizers: blocks back to the baseline", async () => {
    const h = await gcHeap();
    const C = h.defineClass("C");
    const round = () => {
      const keep: Ref[] = [];
      for (let i = 0; i < 300; i++) {
        const o = i % 2 ? cyclic(C) : C.new();
        keep.push(h.weakref.ref(o), h.weakref.ref(o, () => {}), h.weakref.proxy(o, () => {}));
        h.weakref.finalize(o, () => {});
        if (i % 5 === 0) keep.push(o.dup());
        o.release();
      }
      h.gc.collect();
      keep.forEach((r) => r.release());
      h.gc.collect();
    };
    round();
    const before = liveBlocks(h);
    round();
    expect(liveBlocks(h)).toBe(before);
  });
});
