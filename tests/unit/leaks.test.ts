// heap.leaks: the engine's live census per type (alloc/livecount.ts) and objgraph's show_growth.
import { describe, expect, it } from "vitest";
import { Leaks, PyRuntimeError, PyTypeError } from "../../src/node.js";
import { newHeap, testEngine } from "../helpers.js";

const countOf = (rows: { type: string; count: number }[], type: string) => rows.find((r) => r.type === type)?.count ?? 0;
const bytesOf = (rows: { type: string; bytes: number }[], type: string) => rows.find((r) => r.type === type)?.bytes ?? 0;

describe("heap.leaks.typeStats", () => {
  it("counts every live object with a block, per type; the bytes are their own blocks", async () => {
    const h = await newHeap();
    h.sys.clearFreelists();
    const base = h.leaks.typeStats();
    const Node = h.defineClass("Node", { slots: ["next"] });
    const floats = Array.from({ length: 50 }, (_, i) => h.float(i + 0.5));
    const lists = Array.from({ length: 20 }, () => h.list([1, 2]));
    const nodes = Array.from({ length: 7 }, () => Node.new());
    const s = h.str("a string of some length");
    const rows = h.leaks.typeStats();
    expect(countOf(rows, "float") - countOf(base, "float")).toBe(50);
    expect(bytesOf(rows, "float") - bytesOf(base, "float")).toBe(50 * 16);
    expect(countOf(rows, "list") - countOf(base, "list")).toBe(20);
    expect(countOf(rows, "Node")).toBe(7);
    expect(bytesOf(rows, "Node")).toBe(7 * h.sys.getsizeof(nodes[0]));
    expect(countOf(rows, "str") - countOf(base, "str")).toBe(1);
    expect(rows.map((r) => r.count)).toEqual([...rows.map((r) => r.count)].sort((a, b) => b - a));
    for (const r of [...floats, ...lists, ...nodes, s]) r.release();
    h.sys.clearFreelists();
    const after = h.leaks.typeStats();
    for (const t of ["float", "list", "str"]) expect(countOf(after, t), t).toBe(countOf(base, t));
    expect(countOf(after, "Node")).toBe(0);
    h.close();
  });

  it("a free list's objects are not live; leaving it they are again", async () => {
    const h = await newHeap();
    h.sys.clearFreelists();
    const n0 = countOf(h.leaks.typeStats(), "float");
    const f = h.float(1.25);
    f.release(); // onto the free list (release engine) or freed (debug engine)
    expect(countOf(h.leaks.typeStats(), "float")).toBe(n0);
    const g = h.float(2.5);
    expect(countOf(h.leaks.typeStats(), "float")).toBe(n0 + 1);
    g.release();
    expect(testEngine === "debug" || h.sys.freelists().float === 1).toBe(true);
    h.close();
  });

  it("a collected cycle and a million-long cascade leave the counts where they were", async () => {
    const h = await newHeap();
    h.gc.disable();
    h.gc.collect();
    h.sys.clearFreelists();
    const base = h.leaks.typeStats();
    const x = h.raw;
    let head = x.list(0);
    const root = head;
    for (let i = 0; i < 100_000; i++) {
      const next = x.list(0);
      x.append(head, next);
      x.decref(next);
      head = next;
    }
    x.append(head, root); // a ring: only the collector frees it
    expect(countOf(h.leaks.typeStats(), "list") - countOf(base, "list")).toBe(100_001);
    x.decref(root);
    expect(h.gc.collect()).toBe(100_001);
    h.sys.clearFreelists();
    expect(h.leaks.typeStats()).toEqual(base);
    h.close();
  });
});

describe("heap.leaks.showGrowth", () => {
  it("objgraph's show_growth: the types past their peak, largest growth first; no collection forced", async () => {
    const h = await newHeap();
    expect(h.leaks.showGrowth()).toEqual([]); // a fresh heap: only immortal objects
    const early = [h.list([]), h.str("x1")];
    expect(h.leaks.showGrowth(100)).toEqual([{ type: "list", count: 1, delta: 1 }, { type: "str", count: 1, delta: 1 }]);
    expect(h.leaks.showGrowth()).toEqual([]); // nothing grew
    const C = h.defineClass("Cache");
    const collections = h.gc.getStats().map((s) => s.collections);
    const keep = Array.from({ length: 30 }, () => C.new());
    const more = Array.from({ length: 10 }, () => h.list([]));
    const grown = h.leaks.showGrowth();
    expect(grown[0]).toEqual({ type: "Cache", count: 30, delta: 30 });
    expect(grown.find((g) => g.type === "list")!.delta).toBe(10);
    expect(h.gc.getStats().map((s) => s.collections)).toEqual(collections);
    for (const r of more) r.release();
    expect(h.leaks.showGrowth()).toEqual([]); // below the peak is not growth
    const lines = Leaks.formatGrowth([{ type: "Cache", count: 30, delta: 30 }, { type: "list", count: 1234, delta: 7 }]);
    // objgraph: '%-*s%9d %+9d'
    expect(lines).toEqual(["Cache       30       +30", "list      1234        +7"]);
    expect(() => Leaks.formatGrowth([{}] as never)).toThrow(PyTypeError);
    expect(() => h.leaks.showGrowth(-1)).toThrow(PyTypeError);
    for (const r of [...keep, ...early]) r.release();
    h.close();
  });
});

describe("heap.leaks.retainerPath and whyAlive", () => {
  it("the shortest chain from a root, each edge in Python notation", async () => {
    const h = await newHeap();
    const Node = h.defineClass("Node");
    const leaf = Node.new();
    const mid = Node.new({ a: 1, b: leaf });
    const list = h.list([0, 1, 2, mid]);
    const cache = h.dict([["cache", list]]);
    mid.release();
    list.release();
    const path = h.leaks.retainerPath(leaf)!;
    expect(String(path)).toBe("dict['cache'] -> list[3] -> Node.b -> Node");
    expect(path.steps[0].id).toBe(cache.id);
    expect(path.steps.at(-1)!.id).toBe(leaf.id);
    // another handle to the object makes it a root itself; the one asking does not count
    const again = leaf.dup();
    expect(String(h.leaks.retainerPath(leaf))).toBe("Node");
    again.release();
    // slots, tuples, sets' members and dict keys
    const S = h.defineClass("S", { slots: ["x", "y"] });
    const fs = h.frozenset([leaf]);
    const tuple = h.tuple([fs]);
    const s = S.new({ y: tuple });
    cache.set("s", s);
    for (const r of [s, fs, tuple]) r.release();
    cache.set("cache", null);
    expect(String(h.leaks.retainerPath(leaf))).toBe("dict['s'] -> S.y -> tuple[0] -> frozenset<key> -> Node");
    leaf.release();
    cache.release();
    h.close();
  });

  it("garbage awaiting collection has no retainer path; references held through heap.raw are roots", async () => {
    const h = await newHeap();
    h.gc.disable();
    const a = h.list([]);
    const b = h.list([a]);
    a.append(b);
    b.release();
    expect(h.leaks.retainerPath(a)).toBeNull(); // only the asking handle holds it: the cycle is garbage
    const raw = h.raw.list(0);
    h.raw.append(raw, a.id);
    expect(String(h.leaks.retainerPath(a))).toBe("list[0] -> list");
    h.raw.decref(raw);
    a.release();
    expect(h.gc.collect()).toBe(2);
    h.close();
  });

  it("whyAlive: every referrer with its references, and the external ones, adding up to the refcount", async () => {
    const h = await newHeap();
    const obj = h.list([]);
    const holder = h.list([obj, 1, obj]);
    const d = h.dict([["k", obj]]);
    const extra = obj.dup();
    const w = h.leaks.whyAlive(obj);
    expect(w.refcount).toBe(h.sys.getrefcount(obj));
    const byId = new Map(w.referrers.map((r) => [r.referrer.id, r]));
    expect(byId.get(holder.id)).toMatchObject({ count: 2, edges: ["[0]", "[2]"] });
    expect(byId.get(d.id)).toMatchObject({ count: 1, edges: ["['k']"] });
    expect(w.external).toBe(2); // obj and extra
    expect(w.referrers.reduce((n, r) => n + r.count, 0) + w.external).toBe(w.refcount);
    expect(String(w.path)).toBe("list"); // held by a handle besides the asking one
    w.release();
    expect(h.sys.getrefcount(obj)).toBe(w.refcount);
    expect(() => h.leaks.whyAlive(3 as never)).toThrow(PyTypeError);
    // an immortal object is its own root
    const none = h.from(null) as never as import("../../src/node.js").Ref;
    expect(String(h.leaks.retainerPath(none))).toBe("NoneType");
    const wn = h.leaks.whyAlive(none);
    expect([wn.referrers.length, wn.external, String(wn.path)]).toEqual([0, 0, "NoneType"]);
    for (const r of [extra, d, holder, obj]) r.release();
    h.close();
  });

  it("sees referrers no gc list reaches: an untracked tuple, a dict's str key", async () => {
    const h = await newHeap();
    const f = h.float(1.5);
    const t = h.tuple([f, f]);
    h.gc.collect(); // untracks the tuple of atoms (as CPython's _PyTuple_MaybeUntrack)
    expect(h.gc.isTracked(t)).toBe(false);
    const w = h.leaks.whyAlive(f);
    expect(w.referrers.map((r) => [r.referrer.type, r.edges, r.count])).toEqual([["tuple", ["[0]", "[1]"], 2]]);
    expect(w.external).toBe(1);
    expect(String(w.path)).toBe("tuple[0] -> float");
    w.release();
    const k = h.str("a key of its own");
    const d = h.dict([[k, 1]]);
    const wk = h.leaks.whyAlive(k);
    expect(wk.referrers.map((r) => [r.referrer.type, r.edges, r.count])).toEqual([["dict", ["<key>"], 1]]);
    expect(wk.external).toBe(1);
    wk.release();
    for (const r of [f, t, k, d]) r.release();
    h.close();
  });

  it("refuses inside a collection, where an object may be half built", async () => {
    const h = await newHeap();
    const l = h.list([1.5]);
    let err: unknown;
    h.gc.callbacks.push(() => { try { h.leaks.whyAlive(l).release(); } catch (e) { err = e; } });
    h.gc.collect();
    expect(err).toBeInstanceOf(PyRuntimeError);
    expect(h.leaks.retainerPath(l)).toBeNull(); // (after the collection: it runs; its own handle is no root)
    l.release();
    h.close();
  });

  it("walks a 300,000-long chain without recursion", async () => {
    const h = await newHeap();
    const x = h.raw;
    const root = x.list(0);
    let head = root;
    for (let i = 0; i < 300_000; i++) {
      const next = x.list(0);
      x.append(head, next);
      x.decref(next);
      head = next;
    }
    const tail = x.handle(head);
    const path = h.leaks.retainerPath(tail)!;
    expect(path.length).toBe(300_001);
    expect(path.steps[0].id).toBe(root);
    expect(path.steps[1].edge).toBe("[0]");
    tail.release();
    x.decref(root);
    h.close();
  });
});
