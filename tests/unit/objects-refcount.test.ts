// Reference counts: what every operation does to the counts of the objects it
// touches, as heap.sys.getrefcount reports them (the exact count: each live handle
// counts one, and the call adds nothing, unlike CPython's +1 for its argument).
import { describe, expect, it } from "vitest";
import { IMMORTAL_REFCNT, type Heap, type Ref } from "../../src/node.js";
import { newHeap } from "../helpers.js";

/**
 * One row: `setup` makes the objects whose counts are watched (named) and returns
 * the operation; `delta` is what the operation must add to each count. Whatever
 * the operation returns (a handle, an array of handles) is held while the counts
 * are read and released afterwards; `afterRelease` (optional) is the delta once it is.
 */
interface Row {
  name: string;
  setup: (h: Heap) => { objs: Record<string, Ref>; act: () => unknown };
  delta: Record<string, number>;
  afterRelease?: Record<string, number>;
}

/** Every handle in a value an operation returned (a Ref, arrays of Refs, pairs). */
function handlesIn(v: unknown): Ref[] {
  if (Array.isArray(v)) return v.flatMap(handlesIn);
  return v && typeof v === "object" && "release" in v ? [v as Ref] : [];
}

const rows: Row[] = [
  // ---- list ----
  {
    name: "list.append(x): x +1, the list unchanged",
    setup: (h) => {
      const l = h.list(), x = h.str("x");
      return { objs: { l, x }, act: () => l.append(x) };
    },
    delta: { l: 0, x: 1 },
  },
  {
    name: "list.extend([a, b, a]): a +2, b +1",
    setup: (h) => {
      const l = h.list(), a = h.str("a"), b = h.list();
      return { objs: { l, a, b }, act: () => l.extend([a, b, a]) };
    },
    delta: { l: 0, a: 2, b: 1 },
  },
  {
    name: "list.insert(0, x): x +1",
    setup: (h) => {
      const x = h.float(1.5), l = h.list([1, 2]);
      return { objs: { l, x }, act: () => l.insert(0, x) };
    },
    delta: { l: 0, x: 1 },
  },
  {
    name: "list.set(0, b) over a: b +1, a -1",
    setup: (h) => {
      const a = h.str("a"), b = h.str("b"), l = h.list([a]);
      return { objs: { l, a, b }, act: () => l.set(0, b) };
    },
    delta: { l: 0, a: -1, b: 1 },
  },
  {
    name: "list.set(0, a) over a itself: a unchanged",
    setup: (h) => {
      const a = h.str("a"), l = h.list([a]);
      return { objs: { l, a }, act: () => l.set(0, a) };
    },
    delta: { l: 0, a: 0 },
  },
  {
    name: "list.pop(): the list's reference moves to the returned handle",
    setup: (h) => {
      const a = h.str("a"), b = h.str("b"), l = h.list([a, b]);
      return { objs: { l, a, b }, act: () => l.pop() };
    },
    delta: { l: 0, a: 0, b: 0 },
    afterRelease: { l: 0, a: 0, b: -1 },
  },
  {
    name: "list.pop(0): the first item moves out",
    setup: (h) => {
      const a = h.str("a"), b = h.str("b"), l = h.list([a, b]);
      return { objs: { l, a, b }, act: () => l.pop(0) };
    },
    delta: { a: 0, b: 0 },
    afterRelease: { a: -1, b: 0 },
  },
  {
    name: "list.delete(-1): the item -1",
    setup: (h) => {
      const a = h.str("a"), l = h.list([a, a]);
      return { objs: { l, a }, act: () => l.delete(-1) };
    },
    delta: { l: 0, a: -1 },
  },
  {
    name: "list.clear(): -1 for each item held",
    setup: (h) => {
      const a = h.str("a"), b = h.tuple([1]), l = h.list([a, b, a]);
      return { objs: { l, a, b }, act: () => l.clear() };
    },
    delta: { l: 0, a: -2, b: -1 },
  },
  {
    name: "list.get(0): +1 for the returned handle",
    setup: (h) => {
      const a = h.str("a"), l = h.list([a]);
      return { objs: { l, a }, act: () => l.get(0) };
    },
    delta: { l: 0, a: 1 },
    afterRelease: { l: 0, a: 0 },
  },
  {
    name: "for...of over a list: each loop item holds +1 while current, nothing after the loop",
    setup: (h) => {
      const a = h.str("a"), b = h.str("b"), l = h.list([a, b, a]);
      return {
        objs: { l, a, b },
        act: () => {
          const seen: number[] = [];
          for (const x of l) seen.push(h.sys.getrefcount(x as Ref));
          expect(seen).toEqual([4, 3, 4]); // a: a's handle, 2 in l, the loop item; b: 1 fewer in l
        },
      };
    },
    delta: { l: 0, a: 0, b: 0 },
    afterRelease: { l: 0, a: 0, b: 0 },
  },
  {
    name: "heap.list([a, b, a]): a +2, b +1",
    setup: (h) => {
      const a = h.str("a"), b = h.dict();
      return { objs: { a, b }, act: () => h.list([a, b, a]) };
    },
    delta: { a: 2, b: 1 },
    afterRelease: { a: 0, b: 0 },
  },
  // ---- tuple ----
  {
    name: "heap.tuple([a, b, a]): +1 per item",
    setup: (h) => {
      const a = h.str("a"), b = h.list();
      return { objs: { a, b }, act: () => h.tuple([a, b, a]) };
    },
    delta: { a: 2, b: 1 },
    afterRelease: { a: 0, b: 0 },
  },
  {
    name: "tuple.get(1): +1 for the returned handle",
    setup: (h) => {
      const a = h.str("a"), t = h.tuple([1, a]);
      return { objs: { t, a }, act: () => t.get(1) };
    },
    delta: { t: 0, a: 1 },
    afterRelease: { t: 0, a: 0 },
  },
  // ---- dict ----
  {
    name: "dict.set(k, v): k +1, v +1",
    setup: (h) => {
      const d = h.dict(), k = h.str("k"), v = h.list();
      return { objs: { d, k, v }, act: () => d.set(k, v) };
    },
    delta: { d: 0, k: 1, v: 1 },
  },
  {
    name: "dict.set(k2 == k, v2): old value -1, new +1, the original key kept",
    setup: (h) => {
      const k = h.int(1000), k2 = h.float(1000), v = h.str("v"), v2 = h.str("v2");
      const d = h.dict([[k, v]]);
      return { objs: { d, k, k2, v, v2 }, act: () => d.set(k2, v2) };
    },
    delta: { d: 0, k: 0, k2: 0, v: -1, v2: 1 },
  },
  {
    name: "dict.set(k, same value): nothing changes",
    setup: (h) => {
      const k = h.str("k"), v = h.str("v"), d = h.dict([[k, v]]);
      return { objs: { d, k, v }, act: () => d.set(k, v) };
    },
    delta: { d: 0, k: 0, v: 0 },
  },
  {
    name: "dict.delete(k): key -1, value -1 (an equal key object unchanged)",
    setup: (h) => {
      const k = h.str("key"), probe = h.str("key"), v = h.float(2.5), d = h.dict([[k, v]]);
      return { objs: { d, k, probe, v }, act: () => d.delete(probe) };
    },
    delta: { d: 0, k: -1, probe: 0, v: -1 },
  },
  {
    name: "dict.clear(): -1 for every key and value",
    setup: (h) => {
      const k1 = h.str("a"), k2 = h.str("b"), v = h.list(), d = h.dict([[k1, v], [k2, v]]);
      return { objs: { d, k1, k2, v }, act: () => d.clear() };
    },
    delta: { d: 0, k1: -1, k2: -1, v: -2 },
  },
  {
    name: "dict.get(k): the value +1 for the returned handle, the key unchanged",
    setup: (h) => {
      const k = h.str("k"), v = h.list(), d = h.dict([[k, v]]);
      return { objs: { d, k, v }, act: () => d.get(k) };
    },
    delta: { d: 0, k: 0, v: 1 },
    afterRelease: { v: 0 },
  },
  {
    name: "dict.get(missing) and dict.has(k): nothing changes",
    setup: (h) => {
      const k = h.str("k"), v = h.list(), d = h.dict([[k, v]]);
      return { objs: { d, k, v }, act: () => [d.get("absent"), d.has(k)].filter((r) => typeof r === "object") };
    },
    delta: { d: 0, k: 0, v: 0 },
  },
  {
    name: "dict.keys(): +1 per returned key handle",
    setup: (h) => {
      const k1 = h.str("a"), k2 = h.str("b"), v = h.list(), d = h.dict([[k1, v], [k2, v]]);
      return { objs: { d, k1, k2, v }, act: () => d.keys() };
    },
    delta: { d: 0, k1: 1, k2: 1, v: 0 },
    afterRelease: { k1: 0, k2: 0, v: 0 },
  },
  {
    name: "dict.values(): +1 per returned value handle",
    setup: (h) => {
      const k1 = h.str("a"), k2 = h.str("b"), v = h.list(), d = h.dict([[k1, v], [k2, v]]);
      return { objs: { d, k1, k2, v }, act: () => d.values() };
    },
    delta: { d: 0, k1: 0, k2: 0, v: 2 },
    afterRelease: { v: 0 },
  },
  {
    name: "dict.items(): +1 per key and per value handle",
    setup: (h) => {
      const k1 = h.str("a"), k2 = h.str("b"), v = h.list(), d = h.dict([[k1, v], [k2, v]]);
      return { objs: { d, k1, k2, v }, act: () => d.items() };
    },
    delta: { d: 0, k1: 1, k2: 1, v: 2 },
    afterRelease: { k1: 0, k2: 0, v: 0 },
  },
  {
    name: "for...of over a dict: each key holds +1 while current, nothing after the loop",
    setup: (h) => {
      const k1 = h.str("a"), k2 = h.str("b"), v = h.list(), d = h.dict([[k1, v], [k2, v]]);
      return {
        objs: { d, k1, k2, v },
        act: () => {
          const kept: Ref[] = [];
          for (const k of d) kept.push((k as Ref).dup()); // dup() keeps a loop item
          return kept;
        },
      };
    },
    delta: { d: 0, k1: 1, k2: 1, v: 0 },
    afterRelease: { k1: 0, k2: 0 },
  },
  {
    name: "heap.dict([[k, v], [k2, v]]): keys +1, the value +2",
    setup: (h) => {
      const k = h.str("a"), k2 = h.str("b"), v = h.list();
      return { objs: { k, k2, v }, act: () => h.dict([[k, v], [k2, v]]) };
    },
    delta: { k: 1, k2: 1, v: 2 },
    afterRelease: { k: 0, k2: 0, v: 0 },
  },
  // ---- set ----
  {
    name: "set.add(x): x +1",
    setup: (h) => {
      const s = h.set(), x = h.str("x");
      return { objs: { s, x }, act: () => s.add(x) };
    },
    delta: { s: 0, x: 1 },
  },
  {
    name: "set.add(y == x present): nothing changes, the set keeps x",
    setup: (h) => {
      const x = h.str("x"), y = h.str("x"), s = h.set([x]);
      return { objs: { s, x, y }, act: () => s.add(y) };
    },
    delta: { s: 0, x: 0, y: 0 },
  },
  {
    name: "set.discard(x): x -1; discarding an absent value changes nothing",
    setup: (h) => {
      const x = h.str("x"), y = h.str("y"), s = h.set([x]);
      return { objs: { s, x, y }, act: () => { s.discard(x); s.discard(y); } };
    },
    delta: { s: 0, x: -1, y: 0 },
  },
  {
    name: "set.clear(): -1 per element",
    setup: (h) => {
      const x = h.str("x"), y = h.tuple([1, 2]), s = h.set([x, y]);
      return { objs: { s, x, y }, act: () => s.clear() };
    },
    delta: { s: 0, x: -1, y: -1 },
  },
  {
    name: "set.has(x): nothing changes",
    setup: (h) => {
      const x = h.str("x"), s = h.set([x]);
      return { objs: { s, x }, act: () => s.has(x) };
    },
    delta: { s: 0, x: 0 },
  },
  {
    name: "heap.set([x, x]) / heap.frozenset([x]): +1 per set holding x",
    setup: (h) => {
      const x = h.str("x");
      return { objs: { x }, act: () => [h.set([x, x]), h.frozenset([x])] };
    },
    delta: { x: 2 },
    afterRelease: { x: 0 },
  },
  // ---- instances ----
  {
    name: "slotted setattr: the value +1; replacing it: old -1, new +1",
    setup: (h) => {
      const C = h.defineClass("Point", { slots: ["x", "y"] });
      const o = C.new(), a = h.str("a"), b = h.str("b");
      o.setattr("x", a);
      return { objs: { o, a, b }, act: () => { o.setattr("x", b); o.setattr("y", b); } };
    },
    delta: { o: 0, a: -1, b: 2 },
  },
  {
    name: "slotted delattr: the value -1",
    setup: (h) => {
      const C = h.defineClass("Point", { slots: ["x", "y"] });
      const a = h.str("a"), o = C.new({ x: a, y: a });
      return { objs: { o, a }, act: () => o.delattr("y") };
    },
    delta: { o: 0, a: -1 },
  },
  {
    name: "plain setattr: the value +1; replacing it: old -1, new +1",
    setup: (h) => {
      const C = h.defineClass("Plain");
      const o = C.new(), a = h.str("a"), b = h.str("b");
      o.setattr("x", a);
      return { objs: { o, a, b }, act: () => { o.setattr("x", b); o.setattr("z", b); } };
    },
    delta: { o: 0, a: -1, b: 2 },
  },
  {
    name: "plain delattr: the value -1",
    setup: (h) => {
      const C = h.defineClass("Plain");
      const a = h.str("a"), o = C.new({ x: a, y: a });
      return { objs: { o, a }, act: () => o.delattr("x") };
    },
    delta: { o: 0, a: -1 },
  },
  {
    name: "getattr: +1 for the returned handle",
    setup: (h) => {
      const C = h.defineClass("Plain");
      const a = h.str("a"), o = C.new({ x: a });
      return { objs: { o, a }, act: () => o.getattr("x") };
    },
    delta: { o: 0, a: 1 },
    afterRelease: { a: 0 },
  },
  {
    name: "Class.new({x: a, y: a}) holds a twice",
    setup: (h) => {
      const C = h.defineClass("Pair", { slots: ["x", "y"] });
      const a = h.list();
      return { objs: { a }, act: () => C.new({ x: a, y: a }) };
    },
    delta: { a: 2 },
    afterRelease: { a: 0 },
  },
  // ---- memoryview ----
  {
    name: "memoryview(b): the base +1 until the view's handle is released",
    setup: (h) => {
      const b = h.bytearray([1, 2, 3]);
      return { objs: { b }, act: () => h.memoryview(b) };
    },
    delta: { b: 1 },
    afterRelease: { b: 0 },
  },
  {
    name: "memoryview of bytes: the base +1 until released",
    setup: (h) => {
      const b = h.bytes([1, 2, 3]);
      return { objs: { b }, act: () => h.memoryview(b) };
    },
    delta: { b: 1 },
    afterRelease: { b: 0 },
  },
  // ---- handles ----
  {
    name: "dup(): +1; the dup's release: back",
    setup: (h) => {
      const a = h.str("a");
      return { objs: { a }, act: () => a.dup() };
    },
    delta: { a: 1 },
    afterRelease: { a: 0 },
  },
  {
    name: "release() twice drops one reference only",
    setup: (h) => {
      const a = h.str("a");
      const keep = a.dup();
      return { objs: { keep }, act: () => { a.release(); a.release(); } };
    },
    delta: { keep: -1 },
  },
  {
    name: "heap.from([a, a, {k: a}]): a +3",
    setup: (h) => {
      const a = h.str("a");
      return { objs: { a }, act: () => h.from([a, a, { k: a }]) };
    },
    delta: { a: 3 },
    afterRelease: { a: 0 },
  },
  {
    name: "is(), id(), repr(), toJS(), getsizeof(), has(), length: nothing changes",
    setup: (h) => {
      const a = h.str("a"), l = h.list([a]), s = h.set([a]);
      return {
        objs: { a, l, s },
        act: () => { l.is(a); h.id(l); l.repr(); l.toJS(); h.sys.getsizeof(l); s.has(a); void l.length; },
      };
    },
    delta: { a: 0, l: 0, s: 0 },
  },
];

describe("refcount effects", () => {
  it.each(rows.map((r) => [r.name, r] as const))("%s", async (_name, row) => {
    using h = await newHeap();
    const { objs, act } = row.setup(h);
    const rc = () => Object.fromEntries(Object.keys(row.delta).map((k) => [k, h.sys.getrefcount(objs[k])]));
    const before = rc();
    const result = act();
    const plus = (d: Record<string, number>) => Object.fromEntries(Object.keys(row.delta).map((k) => [k, before[k] + (d[k] ?? row.delta[k])]));
    expect(rc()).toEqual(plus(row.delta));
    for (const r of handlesIn(result)) r.release();
    if (row.afterRelease) expect(rc()).toEqual(plus(row.afterRelease));
  });
});

describe("dict keys", () => {
  it("d[1] = a then d[True] = b keeps the key 1, and d[1.0] finds it", async () => {
    using h = await newHeap();
    const a = h.str("a"), b = h.str("b");
    const d = h.dict();
    d.set(1, a);
    d.set(true, b);
    expect(d.repr()).toBe("{1: 'b'}");
    expect(d.keys()[0].type).toBe("int");
    using got = d.get(h.float(1))!;
    expect(got.is(b)).toBe(true);
    got.release();
    expect(h.sys.getrefcount(a)).toBe(1);
    expect(h.sys.getrefcount(b)).toBe(2);
  });

  it("a mortal key object stays the one stored first", async () => {
    using h = await newHeap();
    const k = h.int(1000), k2 = h.float(1000);
    const d = h.dict([[k, "x"]]);
    d.set(k2, "y");
    const [key] = d.keys();
    expect(key.is(k)).toBe(true);
    expect(key.is(k2)).toBe(false);
    expect(d.repr()).toBe("{1000: 'y'}");
    expect(h.sys.getrefcount(k)).toBe(3); // k, the dict, key
  });
});

describe("handles and scopes", () => {
  it("`using` releases at the end of the block", async () => {
    using h = await newHeap();
    const l = h.list();
    {
      using x = h.str("x");
      l.append(x);
      expect(h.sys.getrefcount(x)).toBe(2);
    }
    expect(h.sys.getrefcount(l.get(0)!)).toBe(2); // the list and this handle
  });

  it("heap.scope releases every handle created inside except the returned one", async () => {
    using h = await newHeap();
    const outer = h.list();
    let inside: Ref[] = [];
    const kept = h.scope(() => {
      const a = h.str("a"), b = h.str("b"), c = h.list([a, b]);
      outer.append(a);
      inside = [a, b];
      return c;
    });
    expect(inside.every((r) => !r.alive)).toBe(true);
    expect(kept.alive).toBe(true);
    expect(h.sys.getrefcount(kept)).toBe(1);
    const a = outer.get(0)!;
    expect(h.sys.getrefcount(a)).toBe(3); // outer, kept, this handle
    expect(kept.repr()).toBe("['a', 'b']");
  });

  it("nested scopes: the returned handle belongs to the enclosing scope", async () => {
    using h = await newHeap();
    let inner: Ref | undefined;
    const blocks = h.sys.getallocatedblocks();
    h.scope(() => {
      inner = h.scope(() => h.list([h.str("x")]));
      expect(inner.alive).toBe(true);
      return undefined;
    });
    expect(inner!.alive).toBe(false);
    h.sys.clearFreelists();
    expect(h.sys.getallocatedblocks()).toBe(blocks);
  });

  it("a scope that throws releases everything it created", async () => {
    using h = await newHeap();
    const blocks = h.sys.getallocatedblocks();
    let made: Ref | undefined;
    expect(() => h.scope(() => {
      made = h.str("a");
      throw new Error("boom");
    })).toThrow("boom");
    expect(made!.alive).toBe(false);
    expect(h.sys.getallocatedblocks()).toBe(blocks);
  });

  it("heap.from shares an object met twice: one object, two references", async () => {
    using h = await newHeap();
    const inner = [1, 2];
    const l = h.from([inner, inner]);
    const a = l.get(0)!, b = l.get(1)!;
    expect(a.is(b)).toBe(true);
    expect(h.sys.getrefcount(a)).toBe(4); // the list twice, a, b
  });
});

describe("freeing", () => {
  /** The instance's name attribute, without keeping a handle to it. */
  const nameOf = (self: Ref) => {
    using n = self.getattr("name");
    return n.toJS() as string;
  };

  it("an object is freed exactly when its last reference goes", async () => {
    using h = await newHeap();
    const log: string[] = [];
    const C = h.defineClass("Logged", { slots: ["name"], del: (self) => log.push(nameOf(self)) });
    const o = C.new({ name: "o" });
    const l = h.list([o, o]);
    const d = h.dict([[0, o]]); // 0: an immortal key, freeing nothing
    const base = h.sys.getallocatedblocks();
    o.release();
    l.delete(0);
    l.set(0, null); // (clear() would free the item array: a block)
    expect(log).toEqual([]);
    expect(h.sys.getallocatedblocks()).toBe(base);
    d.delete(0);
    expect(log).toEqual(["o"]);
    expect(h.sys.getallocatedblocks()).toBe(base - 2); // the instance and its name, a str
    expect(h.sys.getrefcount(d)).toBe(1);
  });

  it("a container's death frees what only it held, and nothing else", async () => {
    using h = await newHeap();
    const log: string[] = [];
    const C = h.defineClass("Logged", { slots: ["name"], del: (self) => log.push(nameOf(self)) });
    const shared = C.new({ name: "shared" });
    const l = h.scope(() => h.list([C.new({ name: "a" }), shared, h.tuple([C.new({ name: "b" })])]));
    expect(h.sys.getrefcount(shared)).toBe(2);
    l.release();
    expect(log).toEqual(["b", "a"]); // the last item first: the tuple (and b in it), then a
    expect(h.sys.getrefcount(shared)).toBe(1);
    shared.release();
    expect(log).toEqual(["b", "a", "shared"]);
  });

  it("released handles of the last references free at once, and getallocatedblocks shows it", async () => {
    using h = await newHeap();
    const base = h.sys.getallocatedblocks();
    const s = h.str("a string that needs its own block");
    const l = h.list([s]);
    s.release();
    expect(h.sys.getallocatedblocks()).toBe(base + 3); // str, list, its item array
    l.release();
    h.sys.clearFreelists();
    expect(h.sys.getallocatedblocks()).toBe(base);
  });
});

describe("immortal objects", () => {
  const immortals: Array<[string, (h: Heap) => Ref]> = [
    ["None", (h) => h.None],
    ["True", (h) => h.True],
    ["False", (h) => h.False],
    ["0", (h) => h.int(0)],
    ["-5", (h) => h.int(-5)],
    ["256", (h) => h.int(256)],
    ["()", (h) => h.tuple()],
    ["''", (h) => h.str("")],
    ["b''", (h) => h.bytes([])],
  ];

  it.each(immortals)("%s reports 2**32 - 1, whatever holds it", async (_name, make) => {
    using h = await newHeap();
    const o = make(h);
    expect(IMMORTAL_REFCNT).toBe(4294967295);
    expect(h.sys.getrefcount(o)).toBe(4294967295);
    const l = h.list([o, o]);
    const d = h.dict([[o, o]]);
    const t = h.tuple([o]);
    const dup = o.dup();
    const got = l.get(0)!;
    expect(h.sys.getrefcount(o)).toBe(4294967295);
    for (const r of [l, d, t, dup, got]) r.release();
    o.release();
    o.release();
    expect(h.sys.getrefcount(make(h))).toBe(4294967295);
  });

  it("small ints are the same objects everywhere; 257 and -6 are not immortal", async () => {
    using h = await newHeap();
    expect(h.int(-5).is(-5)).toBe(true);
    expect(h.int(256).is(256)).toBe(true);
    expect(h.sys.getrefcount(-5)).toBe(4294967295);
    expect(h.sys.getrefcount(256)).toBe(4294967295);
    expect(h.sys.getrefcount(257)).toBe(1); // the temporary made for the call
    expect(h.sys.getrefcount(-6)).toBe(1);
    expect(h.int(257).is(257)).toBe(false);
  });

  it("releasing heap.None and the booleans does nothing: they stay usable", async () => {
    using h = await newHeap();
    h.None.release();
    h.True.release();
    expect(h.None.alive).toBe(true);
    expect(h.None.repr()).toBe("None");
    expect(h.True.repr()).toBe("True");
  });
});
