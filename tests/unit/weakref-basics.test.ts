// heap.weakref's references as CPython 3.11's weakref module: which objects accept them,
// the shared callback-less ref and proxy, each referent's list order and the order of
// callbacks, deref after death, proxies, hash and equality, the borrowed weakref a
// callback receives, exceptions in callbacks, repr and toJS.
//
// Expected values are what python3 3.11 printed for the Python given in the comments
// (`class C: pass`, `def cb(w): log.append(...)`).
import { describe, expect, it } from "vitest";
import { PyReferenceError, PyTypeError, type Heap, type Ref, type UnraisableInfo } from "../../src/node.js";
import { newHeap } from "../helpers.js";

async function weakHeap(options: Parameters<typeof newHeap>[0] = {}): Promise<Heap> {
  const h = await newHeap(options);
  h.gc.disable();
  h.gc.collect();
  return h;
}

/** Releases the handles and says which of `named` each one is. */
function namesOf(refs: Ref[], named: Record<string, Ref>): string[] {
  const out = refs.map((r) => Object.keys(named).find((k) => r.is(named[k])) ?? "?");
  refs.forEach((r) => r.release());
  return out;
}

/** The engine's hash of an object (hash(obj)); -1 when it fails. */
const hashOf = (h: Heap, r: Ref) => h.engine.exports.obj_hash(h.id(r));

describe("which objects accept weak references", () => {
  it("instances of classes without slots, slotted classes with __weakref__, sets, frozensets, memoryviews", async () => {
    const h = await weakHeap();
    const C = h.defineClass("C");
    const W = h.defineClass("W", { slots: ["x", "__weakref__"] });
    const objs = [C.new(), W.new(), h.set([1]), h.frozenset([1, 2]), h.memoryview(h.bytes([1, 2]))];
    for (const o of objs) {
      const w = h.weakref.ref(o);
      const p = h.weakref.proxy(o);
      expect(w.type).toBe("weakref.ReferenceType");
      expect(p.type).toBe("weakref.ProxyType");
      const d = w.deref()!;
      expect(d.is(o)).toBe(true);
      d.release();
      expect(h.weakref.getweakrefcount(o)).toBe(2);
      w.release();
      p.release();
      expect(h.weakref.getweakrefcount(o)).toBe(0);
      o.release();
    }
    expect(h.mem.check()).toBe(0);
  });

  it("refused with CPython's TypeError: int, float, str, bytes, bytearray, tuple, list, dict, None, bool, slotted classes without __weakref__, weakrefs and proxies", async () => {
    // weakref.ref([]) -> TypeError: cannot create weak reference to 'list' object (and 'int', 'float', 'str',
    // 'bytes', 'bytearray', 'tuple', 'dict', 'NoneType', 'bool', 'weakref.ReferenceType', 'weakref.ProxyType')
    const h = await weakHeap();
    const S = h.defineClass("S", { slots: ["x"] });
    const C = h.defineClass("C");
    const c = C.new();
    const cases: [Ref, string][] = [
      [h.int(1), "int"], [h.int(2n ** 80n), "int"], [h.float(1.5), "float"], [h.str("s"), "str"], [h.bytes([1]), "bytes"],
      [h.bytearray(1), "bytearray"], [h.tuple([1]), "tuple"], [h.list(), "list"], [h.dict(), "dict"], [h.None, "NoneType"],
      [h.True, "bool"], [S.new(), "S"], [h.weakref.ref(c), "weakref.ReferenceType"], [h.weakref.proxy(c), "weakref.ProxyType"],
    ];
    const before = h.sys.getallocatedblocks();
    for (const [o, name] of cases) {
      const msg = `cannot create weak reference to '${name}' object`;
      expect(() => h.weakref.ref(o)).toThrow(PyTypeError);
      expect(() => h.weakref.ref(o)).toThrow(msg);
      expect(() => h.weakref.ref(o, () => {})).toThrow(msg);
      expect(() => h.weakref.proxy(o)).toThrow(msg);
      expect(() => h.weakref.proxy(o, () => {})).toThrow(msg);
      expect(() => h.weakref.finalize(o, () => {})).toThrow(msg);
      expect(h.weakref.getweakrefcount(o)).toBe(0);
    }
    // JS primitives are converted first (and the temporary released)
    expect(() => h.weakref.ref(5)).toThrow("cannot create weak reference to 'int' object");
    expect(() => h.weakref.ref("s")).toThrow("cannot create weak reference to 'str' object");
    expect(() => h.weakref.ref(null)).toThrow("cannot create weak reference to 'NoneType' object");
    expect(h.weakref.getweakrefcount(5)).toBe(0);
    // a refused object changes nothing
    expect(h.sys.getallocatedblocks()).toBe(before);
    expect(h.weakref.getweakrefcount(c)).toBe(2);
    cases.forEach(([o]) => o.release());
    c.release();
    expect(h.mem.check()).toBe(0);
  });

  it("a callback must be callable; null and undefined mean none", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    expect(() => h.weakref.ref(o, 5 as never)).toThrow(PyTypeError);
    expect(() => h.weakref.proxy(o, "f" as never)).toThrow(PyTypeError);
    expect(() => h.weakref.finalize(o, null as never)).toThrow(PyTypeError);
    expect(h.weakref.getweakrefcount(o)).toBe(0);
    const a = h.weakref.ref(o, null), b = h.weakref.ref(o, undefined), c = h.weakref.ref(o);
    // weakref.ref(o, None) is weakref.ref(o)
    expect(a.is(b) && b.is(c)).toBe(true);
    [a, b, c, o].forEach((r) => r.release());
  });

  it("a released handle or a closed heap is a PyReferenceError", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const w = h.weakref.ref(o);
    o.release();
    expect(() => h.weakref.ref(o)).toThrow(PyReferenceError);
    w.release();
    expect(() => w.deref()).toThrow(PyReferenceError);
    h.close();
    expect(() => h.weakref.ref(h.None)).toThrow(PyReferenceError);
  });
});

describe("the shared callback-less ref and proxy", () => {
  it("ref(o) is one object however often it is asked for, with a proxy made in between (test_ref_reuse)", async () => {
    // o = C(); r1 = ref(o); p = proxy(o); r2 = ref(o) -> r1 is r2; getweakrefcount(o) == 2
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const r1 = h.weakref.ref(o);
    const p = h.weakref.proxy(o);
    const r2 = h.weakref.ref(o);
    expect(r1.is(r2)).toBe(true);
    expect(h.sys.getrefcount(r1)).toBe(2);
    expect(h.weakref.getweakrefcount(o)).toBe(2);
    const p2 = h.weakref.proxy(o);
    expect(p2.is(p)).toBe(true); // test_proxy_reuse
    // refs with callbacks are never shared
    const c1 = h.weakref.ref(o, () => {}), c2 = h.weakref.ref(o, () => {});
    expect(c1.is(c2) || c1.is(r1)).toBe(false);
    expect(h.weakref.getweakrefcount(o)).toBe(4);
    p.release();
    p2.release();
    expect(h.weakref.getweakrefcount(o)).toBe(3);
    [r1, r2].forEach((r) => r.release());
    // the shared ref died with its last handle: a new one is made
    const r3 = h.weakref.ref(o);
    expect(h.sys.getrefcount(r3)).toBe(1);
    expect(h.weakref.getweakrefcount(o)).toBe(3);
    [r3, c1, c2, o].forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("getweakrefcount: 2 refs, 4 with two proxies, 0 once they are gone (test_getweakrefcount)", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const refs = [h.weakref.ref(o), h.weakref.ref(o, () => {})];
    expect(h.weakref.getweakrefcount(o)).toBe(2);
    refs.push(h.weakref.proxy(o), h.weakref.proxy(o, () => {}));
    expect(h.weakref.getweakrefcount(o)).toBe(4);
    refs.forEach((r) => r.release());
    expect(h.weakref.getweakrefcount(o)).toBe(0);
    expect(h.weakref.getweakrefcount(1)).toBe(0);
    o.release();
  });
});

describe("list order and callback order", () => {
  it("getweakrefs: the shared ref, the shared proxy, then the others newest first", async () => {
    // o = C(); r1 = ref(o, cb); p = proxy(o); r = ref(o); r2 = ref(o, cb); p2 = proxy(o, cb)
    // getweakrefs(o) -> [r, p, p2, r2, r1]
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const cb = () => {};
    const r1 = h.weakref.ref(o, cb), p = h.weakref.proxy(o), r = h.weakref.ref(o), r2 = h.weakref.ref(o, cb), p2 = h.weakref.proxy(o, cb);
    expect(namesOf(h.weakref.getweakrefs(o), { r, p, p2, r2, r1 })).toEqual(["r", "p", "p2", "r2", "r1"]);
    // test_getweakrefs: dropping one leaves the other
    r2.release();
    expect(namesOf(h.weakref.getweakrefs(o), { r, p, p2, r1 })).toEqual(["r", "p", "p2", "r1"]);
    expect(h.weakref.getweakrefs(h.list()).length).toBe(0);
    [r1, p, r, p2, o].forEach((x) => x.release());
    expect(h.weakref.getweakrefs(h.frozenset([1]))).toEqual([]);
  });

  it("refcount death: del first, then every weakref cleared, then the callbacks newest first", async () => {
    // test_multiple_selfref_callbacks / test_weakref's callback order: the most recently registered first
    const h = await weakHeap();
    const log: string[] = [];
    const C = h.defineClass("C", { del: () => log.push("del") });
    const o = C.new();
    const refs: Ref[] = [];
    const cb = (name: string) => (w: Ref) => {
      // every weakref to o is dead when any callback runs
      log.push(`${name}:${refs.map((r) => (r.deref() === null ? "-" : "+")).join("")}:${w.deref() === null ? "dead" : "alive"}`);
    };
    refs.push(h.weakref.ref(o, cb("a")), h.weakref.ref(o), h.weakref.proxy(o, cb("b")), h.weakref.ref(o, cb("c")), h.weakref.proxy(o));
    o.release();
    expect(log).toEqual(["del", "c:-----:dead", "b:-----:dead", "a:-----:dead"]);
    refs.forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("a weakref released before its referent dies never calls back", async () => {
    const h = await weakHeap();
    const log: string[] = [];
    const o = h.defineClass("C").new();
    const w1 = h.weakref.ref(o, () => log.push("w1"));
    const w2 = h.weakref.ref(o, () => log.push("w2"));
    w2.release();
    expect(h.weakref.getweakrefcount(o)).toBe(1);
    o.release();
    expect(log).toEqual(["w1"]);
    w1.release();
  });

  it("sets and frozensets clear their weakrefs before dropping their items", async () => {
    const h = await weakHeap();
    const log: string[] = [];
    const D = h.defineClass("D", { del: () => log.push("item del") });
    const item = D.new();
    const fs = h.frozenset([item, 1]);
    item.release();
    const w = h.weakref.ref(fs, (r) => log.push(`callback, dead: ${r.deref() === null}`));
    fs.release();
    expect(log).toEqual(["callback, dead: true", "item del"]);
    w.release();
  });
});

describe("deref", () => {
  it("the referent (a new handle) while it lives, null after; the weakref stays usable", async () => {
    // o = C(); r = ref(o); r() is o; del o; r() is None
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const r = h.weakref.ref(o);
    const d = r.deref()!;
    expect(d.is(o)).toBe(true);
    expect(h.sys.getrefcount(o)).toBe(2); // o and the deref handle
    d.release();
    o.release();
    expect(r.deref()).toBeNull();
    expect(r.deref()).toBeNull();
    expect(r.repr()).toMatch(/^<weakref at 0x[0-9a-f]+; dead>$/);
    r.release();
    expect(h.mem.check()).toBe(0);
  });

  it("a deref'd handle keeps the object alive (weakrefs do not)", async () => {
    const h = await weakHeap();
    const log: string[] = [];
    const o = h.defineClass("C").new();
    const r = h.weakref.ref(o, () => log.push("cb"));
    const keep = r.deref()!;
    o.release();
    expect(log).toEqual([]);
    expect(r.deref()?.release()).toBeUndefined();
    keep.release();
    expect(log).toEqual(["cb"]);
    expect(r.deref()).toBeNull();
    r.release();
  });

  it("deref() of something that is not a weak reference is a PyTypeError", async () => {
    const h = await weakHeap();
    const l = h.list();
    expect(() => l.deref()).toThrow(PyTypeError);
    expect(() => l.deref()).toThrow("'list' object is not a weak reference");
    l.release();
  });
});

describe("proxies", () => {
  it("act as their referent: instance attributes, set methods, len, iteration, toJS", async () => {
    const h = await weakHeap();
    const C = h.defineClass("C");
    const o = C.new({ a: 1 });
    const p = h.weakref.proxy(o);
    const a = p.getattr("a");
    expect(a.toJS()).toBe(1);
    a.release();
    p.setattr("b", "two");
    expect(o.getattr("b").toJS()).toBe("two");
    expect(p.hasattr("b")).toBe(true);
    p.delattr("b");
    expect(o.hasattr("b")).toBe(false);
    expect(p.toJS()).toEqual({ a: 1 });
    const s = h.set([1, 2]);
    const ps = h.weakref.proxy(s);
    expect(ps.length).toBe(2);
    ps.add(3);
    expect(s.has(3)).toBe(true);
    expect(ps.has(2)).toBe(true);
    ps.discard(1);
    expect(Array.from(ps, (x) => (x as Ref).toJS()).sort()).toEqual([2, 3]);
    expect(ps.toJS()).toEqual(new Set([2, 3]));
    // the proxy is its own object
    expect(p.is(o)).toBe(false);
    expect(p.type).toBe("weakref.ProxyType");
    expect(p.repr()).toMatch(/^<weakproxy at 0x[0-9a-f]+ to C at 0x[0-9a-f]+>$/);
    expect(p.repr()).toContain(`to C at 0x${h.id(o).toString(16)}>`);
    expect(ps.repr()).toContain(`to set at 0x${h.id(s).toString(16)}>`);
    [p, ps, o, s].forEach((r) => r.release());
  });

  it("raise PyReferenceError once the referent died (test_basic_proxy)", async () => {
    // o = C(); p = proxy(o); del o; p.a -> ReferenceError: weakly-referenced object no longer exists
    const h = await weakHeap();
    const o = h.defineClass("C").new({ a: 1 });
    const s = h.set([1]);
    const p = h.weakref.proxy(o);
    const ps = h.weakref.proxy(s);
    o.release();
    s.release();
    const msg = "weakly-referenced object no longer exists";
    for (const use of [() => p.getattr("a"), () => p.setattr("a", 2), () => p.hasattr("a"), () => p.delattr("a"), () => p.toJS(),
      () => ps.length, () => ps.add(1), () => ps.has(1), () => [...ps], () => ps.clear()]) {
      expect(use).toThrow(PyReferenceError);
      expect(use).toThrow(msg);
    }
    // the proxy object itself is still usable
    expect(p.deref()).toBeNull();
    expect(p.type).toBe("weakref.ProxyType");
    expect(p.repr()).toMatch(/^<weakproxy at 0x[0-9a-f]+ to NoneType at 0x[0-9a-f]+>$/);
    p.release();
    ps.release();
    expect(h.mem.check()).toBe(0);
  });

  it("are unhashable; a proxy's callback receives the proxy", async () => {
    // hash(proxy(o)) -> TypeError: unhashable type: 'weakref.ProxyType'
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const seen: string[] = [];
    const p = h.weakref.proxy(o, (w) => seen.push(`${w.type} ${w.deref() === null}`));
    const d = h.dict();
    expect(() => d.set(p, 1)).toThrow("unhashable type: 'weakref.ProxyType'");
    expect(() => h.set([p])).toThrow(PyTypeError);
    o.release();
    expect(seen).toEqual(["weakref.ProxyType true"]);
    [p, d].forEach((r) => r.release());
  });
});

describe("hash and equality (dict and set keys)", () => {
  it("hash(ref) is hash(referent), computed once and kept after death", async () => {
    // fs = frozenset([1, 2]); r = ref(fs); hash(r) == hash(fs); del fs; hash(r) still works
    const h = await weakHeap();
    const fs = h.frozenset([1, 2]);
    const o = h.defineClass("C").new();
    const r = h.weakref.ref(fs), ro = h.weakref.ref(o);
    expect(hashOf(h, r)).toBe(hashOf(h, fs));
    expect(hashOf(h, ro)).toBe(hashOf(h, o));
    const hr = hashOf(h, r);
    fs.release();
    o.release();
    expect(hashOf(h, r)).toBe(hr); // cached
    expect(r.deref()).toBeNull();
    [r, ro].forEach((x) => x.release());
  });

  it("a weakref hashed for the first time after its referent died: TypeError 'weak object has gone away'", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const r = h.weakref.ref(o);
    o.release();
    const d = h.dict();
    expect(() => d.set(r, 1)).toThrow(PyTypeError);
    expect(() => d.set(r, 1)).toThrow(/^weak object has gone away$/);
    expect(() => h.set([r])).toThrow("weak object has gone away");
    expect(d.length).toBe(0);
    [r, d].forEach((x) => x.release());
  });

  it("live refs are equal when their referents are (instances: identity; frozensets: contents); dead ones only to themselves", async () => {
    // a = ref(fs1); b = ref(fs2) with fs1 == fs2 -> a == b; del fs1 -> a != b, a == a
    // ref(C()) == ref(C()) -> False
    const h = await weakHeap();
    const C = h.defineClass("C");
    const x = C.new(), y = C.new();
    const fs1 = h.frozenset([1, 2]), fs2 = h.frozenset([2, 1]);
    const d = h.dict();
    const wx = h.weakref.ref(x), wx2 = h.weakref.ref(x, () => {}), wy = h.weakref.ref(y);
    d.set(wx, "x");
    expect((d.get(wx2) as Ref).toJS()).toBe("x"); // another weakref to the same object: the same key
    expect(d.get(wy)).toBeUndefined();
    d.set(wy, "y");
    const a = h.weakref.ref(fs1), b = h.weakref.ref(fs2);
    d.set(a, "fs");
    expect((d.get(b) as Ref).toJS()).toBe("fs");
    d.set(b, "fs2"); // the same key: the value changes, the key stays a
    expect(d.length).toBe(3);
    // after death: the cached hash finds the key by identity; another dead ref is not equal
    x.release();
    fs1.release();
    expect((d.get(wx) as Ref).toJS()).toBe("x");
    expect(d.get(wx2)).toBeUndefined(); // (hashed while alive: no error)
    expect((d.get(a) as Ref).toJS()).toBe("fs2");
    expect(d.get(b)).toBeUndefined();   // b is alive, a is dead: not equal
    expect(d.has(wy)).toBe(true);
    [wx, wx2, wy, a, b, y, fs2, d].forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("a weakref to an unhashable object is unhashable", async () => {
    // hash(ref({1})) -> TypeError: unhashable type: 'set'
    const h = await weakHeap();
    const s = h.set([1]);
    const r = h.weakref.ref(s);
    expect(() => h.dict().set(r, 1)).toThrow("unhashable type: 'set'");
    [r, s].forEach((x) => x.release());
  });
});

describe("callbacks", () => {
  it("receive the weakref as a borrowed handle, valid during the call", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    let got: Ref | undefined;
    let kept: Ref | undefined;
    const w = h.weakref.ref(o, (wr) => {
      got = wr;
      expect(wr.is(w)).toBe(true);
      expect(wr.alive).toBe(true);
      expect(wr.type).toBe("weakref.ReferenceType");
      expect(wr.deref()).toBeNull();
      // held by w and by the call (as a Python frame holds its argument)
      expect(h.sys.getrefcount(wr)).toBe(2);
      kept = wr.dup();
    });
    o.release();
    expect(got!.alive).toBe(false); // borrowed: released after the call
    expect(() => got!.deref()).toThrow(PyReferenceError);
    expect(kept!.is(w)).toBe(true);
    expect(h.sys.getrefcount(w)).toBe(2);
    // releasing a borrowed handle does nothing to the object
    got!.release();
    [w, kept!].forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("the references a callback sees: CPython's (the call; PyObject_ClearWeakRefs' tuple; handle_weakrefs' own)", async () => {
    // def cb(wr): print(sys.getrefcount(wr) - 1)
    // o = C(); w = ref(o, cb); del o                          -> 2
    // o = C(); w = ref(o, cb); w2 = ref(o, cb); del o         -> 3, 3
    // o = C(); o.s = o; w = ref(o, cb); del o; gc.collect()   -> 3
    // o = C(); w = ref(o); p = proxy(o); w3 = ref(o, cb); del o -> 2
    const h = await weakHeap();
    const C = h.defineClass("C");
    const seen: number[] = [];
    const cb = (wr: Ref) => { seen.push(h.sys.getrefcount(wr)); };
    let o = C.new();
    const keep: Ref[] = [h.weakref.ref(o, cb)];
    o.release();
    o = C.new();
    keep.push(h.weakref.ref(o, cb), h.weakref.ref(o, cb));
    o.release();
    o = C.new();
    o.setattr("s", o);
    keep.push(h.weakref.ref(o, cb));
    o.release();
    h.gc.collect();
    o = C.new();
    keep.push(h.weakref.ref(o), h.weakref.proxy(o), h.weakref.ref(o, cb));
    o.release();
    expect(seen).toEqual([2, 3, 3, 3, 2]);
    keep.forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("a weakref whose only handle is released inside its own callback survives to the end of the call", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const log: string[] = [];
    const w: Ref = h.weakref.ref(o, (wr) => {
      w.release();
      log.push(`${wr.type} ${wr.deref() === null}`);
    });
    o.release();
    expect(log).toEqual(["weakref.ReferenceType true"]);
    expect(h.mem.check()).toBe(0);
  });

  it("callbacks that release other weakrefs still to be called: those are called (all were cleared first)", async () => {
    // with two or more callbacks CPython holds them all (in a tuple) while they run
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const log: string[] = [];
    const refs: Ref[] = [];
    for (const name of ["a", "b", "c"]) {
      refs.push(h.weakref.ref(o, (wr) => {
        log.push(name);
        for (const r of refs) if (r.alive && !r.is(wr)) r.release();
      }));
    }
    o.release();
    expect(log).toEqual(["c", "b", "a"]);
    refs.forEach((r) => r.release());
    expect(h.mem.check()).toBe(0);
  });

  it("an exception goes to heap.sys.unraisablehook; the other callbacks still run", async () => {
    const h = await weakHeap();
    const seen: UnraisableInfo[] = [];
    h.sys.unraisablehook = (info) => seen.push(info);
    const o = h.defineClass("C").new();
    const log: string[] = [];
    const refs = [
      h.weakref.ref(o, () => log.push("first registered")),
      h.weakref.ref(o, function boom() { throw new Error("boom"); }),
      h.weakref.ref(o, () => log.push("last registered")),
    ];
    o.release();
    expect(log).toEqual(["last registered", "first registered"]);
    expect(seen.length).toBe(1);
    expect(seen[0].message).toBe("Exception ignored in: <function boom>");
    expect((seen[0].exception as Error).message).toBe("boom");
    refs.forEach((r) => r.release());
  });

  it("an exception from a callback in a collection: the collection completes", async () => {
    const h = await weakHeap();
    const lines: string[] = [];
    const h2 = await weakHeap({ stderr: (t) => lines.push(t) });
    for (const heap of [h, h2]) {
      const C = heap.defineClass("C");
      const a = C.new();
      a.setattr("self", a);
      const w = heap.weakref.ref(a, () => { throw new TypeError("in callback"); });
      if (heap === h) h.sys.unraisablehook = () => {};
      a.release();
      expect(heap.gc.collect()).toBe(1);
      expect(w.deref()).toBeNull();
      w.release();
      expect(heap.mem.check()).toBe(0);
    }
    // the default hook writes "Exception ignored in: ..." and the error to the stderr option
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^Exception ignored in: <function>\nTypeError: in callback/);
  });
});

describe("repr and toJS", () => {
  it("repr as CPython 3.11's: <weakref at ...; to 'C' at ...>, <weakref at ...; dead>, <weakproxy at ... to C at ...>", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new();
    const fs = h.frozenset([1]);
    const w = h.weakref.ref(o), wf = h.weakref.ref(fs), p = h.weakref.proxy(fs);
    const at = (r: Ref) => `0x${h.id(r).toString(16)}`;
    expect(w.repr()).toBe(`<weakref at ${at(w)}; to 'C' at ${at(o)}>`);
    expect(wf.repr()).toBe(`<weakref at ${at(wf)}; to 'frozenset' at ${at(fs)}>`);
    expect(p.repr()).toBe(`<weakproxy at ${at(p)} to frozenset at ${at(fs)}>`);
    const l = h.list([w, p]);
    expect(l.repr()).toBe(`[${w.repr()}, ${p.repr()}]`);
    o.release();
    fs.release();
    expect(w.repr()).toBe(`<weakref at ${at(w)}; dead>`);
    expect(p.repr()).toBe(`<weakproxy at ${at(p)} to NoneType at ${at(h.None)}>`);
    [w, wf, p, l].forEach((r) => r.release());
  });

  it("toJS: a weakref converts to its referent (null once dead); a proxy to its referent", async () => {
    const h = await weakHeap();
    const o = h.defineClass("C").new({ a: 1 });
    const w = h.weakref.ref(o), p = h.weakref.proxy(o);
    const l = h.list([w, p, o]);
    const js = l.toJS() as unknown[];
    expect(js).toEqual([{ a: 1 }, { a: 1 }, { a: 1 }]);
    expect(js[0]).toBe(js[2]); // one object, one JS value
    expect(w.toJS()).toEqual({ a: 1 });
    o.setattr("me", w); // a cycle through a weakref
    const self = w.toJS() as Record<string, unknown>;
    expect(self.me).toBe(self);
    o.delattr("me");
    l.pop(2).release();
    o.release();
    expect(w.toJS()).toBeNull();
    expect(() => l.toJS()).toThrow(PyReferenceError); // the dead proxy
    l.pop(1).release();
    expect(l.toJS()).toEqual([null]);
    [w, p, l].forEach((r) => r.release());
  });
});
