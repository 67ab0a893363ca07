// Deallocation without recursion: chains and nestings far deeper than any call stack
// are freed in one loop, completely; del hooks run in CPython's order and at most once.
import { describe, expect, it } from "vitest";
import type { Heap, Ref } from "../../src/node.js";
import { newHeap } from "../helpers.js";

/** Blocks in use once the free lists are emptied (they keep dead objects' blocks). */
function liveBlocks(h: Heap): number {
  h.sys.clearFreelists();
  return h.sys.getallocatedblocks();
}

describe("deep structures are freed without a stack overflow", () => {
  it("a 10-million-long chain of slotted instances", async () => {
    using h = await newHeap();
    const Node = h.defineClass("Node", { slots: ["next"] });
    const raw = h.raw;
    const base = liveBlocks(h);
    const N = 10_000_000;
    const head = raw.new(Node);
    let cur = head;
    for (let i = 1; i < N; i++) {
      const next = raw.new(Node);
      raw.setslot(cur, 0, next); // the chain holds next...
      raw.decref(next); // ...and only the chain
      cur = next;
    }
    expect(h.sys.getallocatedblocks()).toBe(base + N);
    expect(raw.refcount(cur)).toBe(1);
    raw.decref(head);
    expect(liveBlocks(h)).toBe(base);
    expect(h.mem.check()).toBe(0);
  });

  it("a list nested a million deep", async () => {
    using h = await newHeap();
    const raw = h.raw;
    const base = liveBlocks(h);
    let inner = raw.list();
    for (let i = 0; i < 1_000_000; i++) {
      const outer = raw.list(1);
      raw.append(outer, inner);
      raw.decref(inner);
      inner = outer;
    }
    raw.decref(inner);
    expect(liveBlocks(h)).toBe(base);
    expect(h.mem.check()).toBe(0);
  });

  it("a dict nested a million deep", async () => {
    using h = await newHeap();
    const raw = h.raw;
    const base = liveBlocks(h);
    const key = raw.str("child");
    let inner = raw.dict();
    for (let i = 0; i < 1_000_000; i++) {
      const outer = raw.dict();
      raw.dictSet(outer, key, inner);
      raw.decref(inner);
      inner = outer;
    }
    expect(raw.refcount(key)).toBe(1_000_001);
    raw.decref(inner);
    expect(raw.refcount(key)).toBe(1);
    raw.decref(key);
    expect(liveBlocks(h)).toBe(base);
    expect(h.mem.check()).toBe(0);
  });

  it("tuples, frozensets and instances nested 300,000 deep through handles", async () => {
    using h = await newHeap();
    const Box = h.defineClass("Box");
    Box.new({ item: null }).release(); // makes the attribute name "item" (immortal) and the intern table
    const base = liveBlocks(h);
    let inner: Ref = h.list();
    for (let i = 0; i < 100_000; i++) {
      const t = h.tuple([inner, i]);
      const b = Box.new({ item: t });
      const s = h.frozenset([b]);
      for (const r of [inner, t, b]) r.release();
      inner = s;
    }
    inner.release();
    expect(liveBlocks(h)).toBe(base);
    expect(h.mem.check()).toBe(0);
  });

  it("toJS of a million-deep list works iteratively", async () => {
    using h = await newHeap();
    const raw = h.raw;
    let inner = raw.list();
    for (let i = 0; i < 1_000_000; i++) {
      const outer = raw.list(1);
      raw.append(outer, inner);
      raw.decref(inner);
      inner = outer;
    }
    let js = raw.toJS(inner) as unknown[];
    let depth = 0;
    while (js.length) {
      js = js[0] as unknown[];
      depth++;
    }
    expect(depth).toBe(1_000_000);
    raw.decref(inner);
  });
});

describe("del hooks", () => {
  it("a dying list's instances are finalized last item first (CPython's list_dealloc)", async () => {
    using h = await newHeap();
    const order: number[] = [];
    const Item = h.defineClass("Item", {
      slots: ["n"],
      del: (self) => {
        using n = self.getattr("n");
        order.push(n.toJS() as number);
      },
    });
    const l = h.scope(() => h.list([...Array(10).keys()].map((n) => Item.new({ n }))));
    expect(order).toEqual([]);
    l.release();
    expect(order).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it("clear(), delete and a dying dict finalize in CPython's order too", async () => {
    using h = await newHeap();
    const order: string[] = [];
    const Item = h.defineClass("Item", {
      slots: ["n"],
      del: (self) => {
        using n = self.getattr("n");
        order.push(n.toJS() as string);
      },
    });
    const l = h.scope(() => h.list(["a", "b", "c"].map((n) => Item.new({ n }))));
    l.clear(); // detached first, then dropped from the last
    expect(order).toEqual(["c", "b", "a"]);
    order.length = 0;
    const d = h.scope(() => h.dict([[Item.new({ n: "k1" }), Item.new({ n: "v1" })], [Item.new({ n: "k2" }), Item.new({ n: "v2" })]]));
    d.release(); // key then value, in entry order
    expect(order).toEqual(["k1", "v1", "k2", "v2"]);
  });

  it("a hook sees its container consistent: the item is already gone", async () => {
    using h = await newHeap();
    const lengths: number[] = [];
    let list: Ref | undefined;
    const Item = h.defineClass("Item", { del: () => lengths.push(list!.length) });
    list = h.scope(() => h.list([Item.new(), Item.new(), Item.new()]));
    list.delete(0);
    list.set(0, null);
    list.pop().release();
    expect(lengths).toEqual([2, 2, 1]);
  });

  it("a hook that resurrects its object keeps it alive; the hook runs only once", async () => {
    using h = await newHeap();
    const graveyard = h.list();
    let calls = 0;
    const Phoenix = h.defineClass("Phoenix", {
      slots: ["name"],
      del: (self) => {
        calls++;
        using d = self.dup();
        graveyard.append(d);
      },
    });
    const base = liveBlocks(h);
    const p = Phoenix.new({ name: "fawkes" });
    p.release();
    expect(calls).toBe(1);
    expect(graveyard.length).toBe(1);
    using back = graveyard.get(0)!;
    expect(back.type).toBe("Phoenix");
    using name = back.getattr("name");
    expect(name.toJS()).toBe("fawkes");
    name.release();
    expect(h.sys.getrefcount(back)).toBe(2); // the graveyard and this handle
    back.release();
    graveyard.clear(); // dies for good: the hook does not run again
    expect(calls).toBe(1);
    expect(liveBlocks(h)).toBe(base);
    expect(h.mem.check()).toBe(0);
  });

  it("a resurrected item inside a dying container survives it", async () => {
    using h = await newHeap();
    const saved = h.list();
    let calls = 0;
    const Item = h.defineClass("Item", {
      slots: ["n"],
      del: (self) => {
        calls++;
        using n = self.getattr("n");
        if (n.toJS() === 1) saved.append(self);
      },
    });
    const l = h.scope(() => h.list([0, 1, 2].map((n) => Item.new({ n }))));
    l.release();
    expect(calls).toBe(3);
    expect(saved.length).toBe(1);
    expect(saved.repr()).toMatch(/^\[<Item object at 0x[0-9a-f]+>\]$/);
    saved.clear();
    expect(calls).toBe(3);
  });

  it("an exception in a hook goes to sys.unraisablehook and the object is still freed", async () => {
    const lines: string[] = [];
    using h = await newHeap({ stderr: (t) => lines.push(t) });
    const Bad = h.defineClass("Bad", { del: () => { throw new Error("boom"); } });
    const base = liveBlocks(h);
    const b = Bad.new();
    b.release();
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("Exception ignored in: del of <Bad object at 0x");
    expect(lines[0]).toContain("boom");
    expect(liveBlocks(h)).toBe(base);
  });

  it("the borrowed handle a hook receives is dead after the hook", async () => {
    using h = await newHeap();
    let kept: Ref | undefined;
    const C = h.defineClass("C", { del: (self) => { kept = self; } });
    C.new().release();
    expect(kept!.alive).toBe(false);
    expect(() => kept!.repr()).toThrow("released");
  });
});
