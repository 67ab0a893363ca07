// heap.gc as CPython 3.11's gc module: argument checks and their messages, thresholds
// and debug flags, gc.callbacks, the DEBUG_* lines on stderr, freeze/unfreeze,
// get_referents/get_referrers, is_tracked/is_finalized, gc.garbage.
//
// Messages: CPython's text is checked as a substring; pyheap prefixes the function's
// name ("collect: ...") and may name the argument at the end. Where pyheap's error class
// differs from CPython's (it has no OverflowError), the test says so.
import { describe, expect, it } from "vitest";
import { PyTypeError, PyValueError, type GcInfo, type GcPhase, type Heap, type Ref, type UnraisableInfo } from "../../src/node.js";
import { newHeap } from "../helpers.js";

async function gcHeap(options: Parameters<typeof newHeap>[0] = {}): Promise<Heap> {
  const h = await newHeap(options);
  h.gc.disable();
  h.gc.collect();
  return h;
}

/** Releases the handles a call returned and gives their reprs. */
function reprs(refs: Ref[]): string[] {
  const out = refs.map((r) => r.repr());
  refs.forEach((r) => r.release());
  return out;
}

// deliberately wrong argument types, as a JS caller could pass them
const bad = (v: unknown) => v as number;

describe("argument checks (CPython 3.11's messages)", () => {
  it("collect(): generation 0..2, else ValueError 'invalid generation'", async () => {
    // gc.collect(3) / gc.collect(-1) -> ValueError: invalid generation
    const h = await gcHeap();
    for (const g of [3, -1, 100, -100]) {
      expect(() => h.gc.collect(g)).toThrow(PyValueError);
      expect(() => h.gc.collect(g)).toThrow(/^invalid generation$/);
    }
    expect([h.gc.collect(0), h.gc.collect(1), h.gc.collect(2), h.gc.collect()]).toEqual([0, 0, 0, 0]);
    expect(h.gc.getStats().map((s) => s.collections)).toEqual([1, 1, 3]);
  });

  it("collect(): a non-integer is a TypeError", async () => {
    // gc.collect(1.5) -> TypeError: 'float' object cannot be interpreted as an integer
    // gc.collect("1") -> TypeError: 'str' object ...; gc.collect(None) -> 'NoneType' object ...
    const h = await gcHeap();
    expect(() => h.gc.collect(1.5)).toThrow(PyTypeError);
    expect(() => h.gc.collect(1.5)).toThrow(/'float' object cannot be interpreted as an integer/);
    expect(() => h.gc.collect(bad("1"))).toThrow(/'str' object cannot be interpreted as an integer/);
    expect(() => h.gc.collect(bad(null))).toThrow(/'NoneType' object cannot be interpreted as an integer/);
    expect(() => h.gc.collect(bad(h.list()))).toThrow(/'list' object cannot be interpreted as an integer/);
    expect(() => h.gc.collect(NaN)).toThrow(PyTypeError);
    // out of a C int: CPython raises OverflowError ("Python int too large to convert to C int"); pyheap has no
    // OverflowError class and raises PyValueError
    expect(() => h.gc.collect(2 ** 31)).toThrow(PyValueError);
    expect(h.gc.getStats().map((s) => s.collections)).toEqual([0, 0, 1]); // none of these collected
  });

  it("getObjects(): generation None/-1 (every one), 0..2; other values refused", async () => {
    // gc.get_objects(3) / (1000) -> ValueError: generation parameter must be less than the number of available generations (3)
    // gc.get_objects(-2) / (-1000) -> ValueError: generation parameter cannot be negative
    // gc.get_objects(-1) -> every object, as None (-1 is the C default)
    // gc.get_objects(1.5) -> TypeError: argument should be integer or None, not 'float'; ("1") -> ... not 'str'
    const h = await gcHeap();
    const l = h.list();
    for (const g of [3, 1000]) {
      expect(() => h.gc.getObjects(g)).toThrow(PyValueError);
      expect(() => h.gc.getObjects(g)).toThrow(/^generation parameter must be less than the number of available generations \(3\)$/);
    }
    for (const g of [-2, -1000]) {
      expect(() => h.gc.getObjects(g)).toThrow(PyValueError);
      expect(() => h.gc.getObjects(g)).toThrow(/^generation parameter cannot be negative$/);
    }
    expect(() => h.gc.getObjects(1.5)).toThrow(PyTypeError);
    expect(() => h.gc.getObjects(1.5)).toThrow(/argument should be integer or None, not 'float'/);
    expect(() => h.gc.getObjects(bad("1"))).toThrow(/argument should be integer or None, not 'str'/);
    const ids = (objs: Ref[]) => {
      const out = objs.map((o) => o.id);
      objs.forEach((o) => o.release());
      return out;
    };
    expect(ids(h.gc.getObjects(-1))).toEqual([l.id]);
    expect(ids(h.gc.getObjects(null))).toEqual([l.id]);
    expect(ids(h.gc.getObjects())).toEqual([l.id]);
    expect(ids(h.gc.getObjects(0))).toEqual([l.id]);
    expect(ids(h.gc.getObjects(1))).toEqual([]);
  });

  it("setThreshold / getThreshold", async () => {
    // gc.set_threshold(1.5), ("a"), (700, 1.5), (700, 10, None) -> TypeError '<type>' object cannot be interpreted as an integer
    // gc.set_threshold(-1) is accepted; (2**31) -> OverflowError (pyheap: PyValueError)
    const h = await gcHeap();
    expect(h.gc.getThreshold()).toEqual([700, 10, 10]);
    expect(() => h.gc.setThreshold(1.5)).toThrow(/'float' object cannot be interpreted as an integer/);
    expect(() => h.gc.setThreshold(bad("a"))).toThrow(/'str' object cannot be interpreted as an integer/);
    expect(() => h.gc.setThreshold(700, 1.5)).toThrow(PyTypeError);
    expect(() => h.gc.setThreshold(700, 10, bad(null))).toThrow(/'NoneType' object cannot be interpreted as an integer/);
    expect(() => h.gc.setThreshold(2 ** 31)).toThrow(PyValueError);
    expect(h.gc.getThreshold()).toEqual([700, 10, 10]); // a refused call changes nothing
    h.gc.setThreshold(5);
    expect(h.gc.getThreshold()).toEqual([5, 10, 10]);
    h.gc.setThreshold(100, 20);
    expect(h.gc.getThreshold()).toEqual([100, 20, 10]);
    h.gc.setThreshold(1, 2, 3);
    expect(h.gc.getThreshold()).toEqual([1, 2, 3]);
    h.gc.setThreshold(-1);
    expect(h.gc.getThreshold()).toEqual([-1, 2, 3]);
  });

  it("setDebug / getDebug and the DEBUG_* constants", async () => {
    // gc.DEBUG_STATS, DEBUG_COLLECTABLE, DEBUG_UNCOLLECTABLE, DEBUG_SAVEALL, DEBUG_LEAK -> (1, 2, 4, 32, 38)
    // gc.set_debug(1.5) / ("x") / (None) -> TypeError; gc.set_debug(-1); gc.get_debug() -> -1
    const h = await gcHeap();
    const g = h.gc;
    expect([g.DEBUG_STATS, g.DEBUG_COLLECTABLE, g.DEBUG_UNCOLLECTABLE, g.DEBUG_SAVEALL, g.DEBUG_LEAK]).toEqual([1, 2, 4, 32, 38]);
    expect(g.DEBUG_LEAK).toBe(g.DEBUG_COLLECTABLE | g.DEBUG_UNCOLLECTABLE | g.DEBUG_SAVEALL);
    expect(g.getDebug()).toBe(0);
    expect(() => g.setDebug(1.5)).toThrow(PyTypeError);
    expect(() => g.setDebug(1.5)).toThrow(/'float' object cannot be interpreted as an integer/);
    expect(() => g.setDebug(bad("x"))).toThrow(/'str' object cannot be interpreted as an integer/);
    expect(() => g.setDebug(bad(null))).toThrow(/'NoneType' object cannot be interpreted as an integer/);
    expect(g.getDebug()).toBe(0);
    g.setDebug(g.DEBUG_LEAK);
    expect(g.getDebug()).toBe(38);
    g.setDebug(-1);
    expect(g.getDebug()).toBe(-1);
    g.setDebug(0);
    expect(g.getDebug()).toBe(0);
  });

  it("enable / disable / isenabled", async () => {
    const h = await newHeap();
    expect(h.gc.isenabled()).toBe(true); // a new heap collects automatically, as CPython starts
    h.gc.disable();
    expect(h.gc.isenabled()).toBe(false);
    h.gc.disable();
    expect(h.gc.isenabled()).toBe(false);
    h.gc.enable();
    expect(h.gc.isenabled()).toBe(true);
  });
});

describe("gc.callbacks", () => {
  it("each callback sees start and stop, with generation, collected, uncollectable (GCCallbackTests.test_collect)", async () => {
    const h = await gcHeap();
    const visit: [number, GcPhase, GcInfo][] = [];
    h.gc.callbacks.push((phase, info) => visit.push([1, phase, { ...info }]));
    h.gc.callbacks.push((phase, info) => visit.push([2, phase, { ...info }]));
    h.scope(() => {
      const l = h.list();
      l.append(l);
    });
    expect(h.gc.collect(1)).toBe(1);
    expect(visit).toEqual([
      [1, "start", { generation: 1, collected: 0, uncollectable: 0 }],
      [2, "start", { generation: 1, collected: 0, uncollectable: 0 }],
      [1, "stop", { generation: 1, collected: 1, uncollectable: 0 }],
      [2, "stop", { generation: 1, collected: 1, uncollectable: 0 }],
    ]);
    visit.length = 0;
    h.gc.collect(2);
    expect(visit.map((v) => v[2].generation)).toEqual([2, 2, 2, 2]); // test_collect_generation
  });

  it("uncollectable garbage, then a callback that cleans gc.garbage (GCCallbackTests.test_collect_garbage)", async () => {
    // Uncollectable(): a pair of tp_del objects referring to each other; C1055820(666): a self-loop.
    // python3 3.11: Uncollectable(); Uncollectable(); C1055820(666); gc.collect()
    //   -> stop info {collected 1, uncollectable 4}, len(gc.garbage) 4
    // then cb2 removes the Uncollectables from gc.garbage in "stop" and breaks their links:
    //   gc.garbage[:] = []; gc.collect() -> stop info {collected 0, uncollectable 4}, len(gc.garbage) 0
    //   gc.collect() -> 0
    const h = await gcHeap();
    const tpDel: number[] = [];
    const U = h.defineClass("Uncollectable", { slots: ["partner"], legacyDel: (self) => { tpDel.push(self.id); } });
    const C = h.defineClass("C1055820", { slots: ["i", "loop"] });
    const uncollectable = () => h.scope(() => {
      const a = U.new();
      const b = U.new({ partner: a });
      a.setattr("partner", b);
    });
    let cleanup = false;
    const visit: [number, GcPhase, GcInfo][] = [];
    h.gc.callbacks.push((phase, info) => visit.push([1, phase, { ...info }]));
    h.gc.callbacks.push((phase, info) => {
      visit.push([2, phase, { ...info }]);
      if (phase === "stop" && cleanup) {
        const all = Array.from(h.gc.garbage, (r) => (r as Ref).dup());
        const uc = all.filter((e) => e.type === "Uncollectable");
        h.gc.garbage.clear();
        for (const e of all) if (e.type !== "Uncollectable") h.gc.garbage.append(e);
        for (const e of uc) e.setattr("partner", null);
        all.forEach((e) => e.release());
      }
    });
    uncollectable();
    uncollectable();
    h.scope(() => {
      const c = C.new({ i: 666 });
      c.setattr("loop", c);
    });
    expect(h.gc.collect()).toBe(5);
    const stops = () => visit.filter((v) => v[1] === "stop").map((v) => v[2]);
    expect(stops()).toEqual([
      { generation: 2, collected: 1, uncollectable: 4 },
      { generation: 2, collected: 1, uncollectable: 4 },
    ]);
    expect(h.gc.garbage.length).toBe(4);
    expect(Array.from(h.gc.garbage, (r) => (r as Ref).repr()).every((r) => r.startsWith("<Uncollectable object at 0x"))).toBe(true);
    cleanup = true;
    visit.length = 0;
    h.gc.garbage.clear();
    expect(h.gc.collect()).toBe(4);
    expect(stops()).toEqual([
      { generation: 2, collected: 0, uncollectable: 4 },
      { generation: 2, collected: 0, uncollectable: 4 },
    ]);
    expect(h.gc.garbage.length).toBe(0);
    expect(tpDel.length).toBe(4); // freed by reference counting once their links were broken
    visit.length = 0;
    expect(h.gc.collect()).toBe(0);
    expect(stops()).toEqual([
      { generation: 2, collected: 0, uncollectable: 0 },
      { generation: 2, collected: 0, uncollectable: 0 },
    ]);
    expect(h.mem.check()).toBe(0);
  });

  it("collect() from a callback returns 0 (a collection is running)", async () => {
    const h = await gcHeap();
    const inner: number[] = [];
    h.gc.callbacks.push(() => inner.push(h.gc.collect()));
    h.scope(() => {
      const l = h.list();
      l.append(l);
    });
    expect(h.gc.collect()).toBe(1);
    expect(inner).toEqual([0, 0]);
  });

  it("a callback that throws goes to unraisablehook, the others still run, the collection completes", async () => {
    const h = await gcHeap();
    const seen: UnraisableInfo[] = [];
    h.sys.unraisablehook = (info) => seen.push(info);
    const calls: string[] = [];
    h.gc.callbacks.push(function failing(phase) {
      calls.push(`failing ${phase}`);
      throw new TypeError(`cb ${phase}`);
    });
    h.gc.callbacks.push((phase) => calls.push(`second ${phase}`));
    h.scope(() => {
      const l = h.list();
      l.append(l);
    });
    expect(h.gc.collect()).toBe(1);
    expect(calls).toEqual(["failing start", "second start", "failing stop", "second stop"]);
    expect(seen.map((s) => [String(s.exception), s.object, s.message])).toEqual([
      ["TypeError: cb start", undefined, "Exception ignored in: gc callback <function failing>"],
      ["TypeError: cb stop", undefined, "Exception ignored in: gc callback <function failing>"],
    ]);
    expect(h.gc.getStats()[2].collected).toBe(1);
    expect(h.mem.check()).toBe(0);
  });

  it("the default unraisablehook writes a failing callback's error to stderr", async () => {
    const lines: string[] = [];
    const h = await gcHeap({ stderr: (t) => lines.push(t) });
    h.gc.callbacks.push(function cbx() { throw new Error("cbfail"); });
    expect(h.gc.collect()).toBe(0);
    expect(lines.length).toBe(2);
    for (const l of lines) expect(l).toMatch(/^Exception ignored in: gc callback <function cbx>\nError: cbfail/);
  });

  it("automatic collections call them too, with the generation chosen", async () => {
    const h = await gcHeap();
    const infos: GcInfo[] = [];
    h.gc.callbacks.push((phase, info) => { if (phase === "stop") infos.push({ ...info }); });
    h.gc.setThreshold(3, 0);
    const S = h.defineClass("S", { slots: ["me"] });
    h.gc.enable();
    h.scope(() => {
      for (let i = 0; i < 3; i++) {
        const s = S.new();
        s.setattr("me", s);
      }
    });
    const keep = S.new(); // count[0] 4 > 3
    expect(infos).toEqual([{ generation: 0, collected: 3, uncollectable: 0 }]);
    keep.release();
  });
});

describe("DEBUG_* output on stderr (gc.set_debug), in CPython 3.11's format", () => {
  // python3 3.11 (with gc.freeze() first, after which it made a 2-cycle of A and a self-loop of a tp_del L):
  //   gc.set_debug(gc.DEBUG_STATS | gc.DEBUG_COLLECTABLE | gc.DEBUG_UNCOLLECTABLE); gc.collect(1)
  //     gc: collecting generation 1...
  //     gc: objects in each generation: 3 0 0
  //     gc: objects in permanent generation: 11588
  //     gc: collectable <A 0x7f...>
  //     gc: collectable <A 0x7f...>
  //     gc: uncollectable <L 0x7f...>
  //     gc: done, 3 unreachable, 1 uncollectable, 0.0000s elapsed
  //   gc.set_debug(gc.DEBUG_STATS); gc.collect(0)
  //     gc: collecting generation 0...
  //     gc: objects in each generation: 0 0 1
  //     gc: objects in permanent generation: 11588
  //     gc: done, 0 unreachable, 0 uncollectable, 0.0000s elapsed
  it("DEBUG_STATS | DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE", async () => {
    const lines: string[] = [];
    const h = await gcHeap({ stderr: (t) => lines.push(t) });
    const A = h.defineClass("A", { slots: ["x"] });
    const L = h.defineClass("L", { slots: ["x"], legacyDel: () => {} });
    const ids = h.scope(() => {
      const a = A.new(), c = A.new();
      a.setattr("x", c);
      c.setattr("x", a);
      const l = L.new();
      l.setattr("x", l);
      return [a.id, c.id, l.id].map((id) => `0x${id.toString(16)}`);
    });
    h.gc.setDebug(h.gc.DEBUG_STATS | h.gc.DEBUG_COLLECTABLE | h.gc.DEBUG_UNCOLLECTABLE);
    expect(h.gc.collect(1)).toBe(3);
    expect(lines.slice(0, 6)).toEqual([
      "gc: collecting generation 1...",
      "gc: objects in each generation: 3 0 0",
      "gc: objects in permanent generation: 0",
      `gc: collectable <A ${ids[0]}>`,
      `gc: collectable <A ${ids[1]}>`,
      `gc: uncollectable <L ${ids[2]}>`,
    ]);
    expect(lines[6]).toMatch(/^gc: done, 3 unreachable, 1 uncollectable, \d+\.\d{4}s elapsed$/);
    expect(lines.length).toBe(7);
    lines.length = 0;
    h.gc.setDebug(h.gc.DEBUG_STATS);
    h.gc.collect(0);
    // pyheap makes gc.garbage on first use, so it is the young object here (CPython's exists from the start)
    expect(lines.slice(0, 3)).toEqual([
      "gc: collecting generation 0...",
      "gc: objects in each generation: 1 0 1",
      "gc: objects in permanent generation: 0",
    ]);
    expect(lines[3]).toMatch(/^gc: done, 0 unreachable, 0 uncollectable, \d+\.\d{4}s elapsed$/);
    expect(lines.length).toBe(4);
  });

  it("DEBUG_STATS around callbacks: start callbacks, stats lines, done line, stop callbacks", async () => {
    const lines: string[] = [];
    const h = await gcHeap({ stderr: (t) => lines.push(t) });
    h.gc.callbacks.push((phase) => lines.push(`callback ${phase}`));
    h.gc.setDebug(h.gc.DEBUG_STATS);
    h.gc.freeze();
    h.list();
    h.gc.collect(2);
    expect(lines.map((l) => l.replace(/\d+\.\d{4}s/, "T"))).toEqual([
      "callback start",
      "gc: collecting generation 2...",
      "gc: objects in each generation: 1 0 0",
      "gc: objects in permanent generation: 0",
      "gc: done, 0 unreachable, 0 uncollectable, T elapsed",
      "callback stop",
    ]);
  });

  it("nothing is written with flags 0, nor with DEBUG_SAVEALL alone", async () => {
    const lines: string[] = [];
    const h = await gcHeap({ stderr: (t) => lines.push(t) });
    h.scope(() => {
      const l = h.list();
      l.append(l);
    });
    expect(h.gc.collect()).toBe(1);
    h.gc.setDebug(h.gc.DEBUG_SAVEALL);
    h.scope(() => {
      const l = h.list();
      l.append(l);
    });
    expect(h.gc.collect()).toBe(1);
    expect(lines).toEqual([]);
  });

  it("DEBUG_COLLECTABLE names builtin types too", async () => {
    const lines: string[] = [];
    const h = await gcHeap({ stderr: (t) => lines.push(t) });
    const ids = h.scope(() => {
      const l = h.list();
      const d = h.dict({ l });
      l.append(d);
      return [l.id, d.id];
    });
    h.gc.setDebug(h.gc.DEBUG_COLLECTABLE);
    expect(h.gc.collect()).toBe(2);
    expect(lines).toEqual([`gc: collectable <list 0x${ids[0].toString(16)}>`, `gc: collectable <dict 0x${ids[1].toString(16)}>`]);
  });
});

describe("freeze / unfreeze / getFreezeCount (test_freeze)", () => {
  it("frozen objects are ignored by collections and get_objects; unfreeze puts them in generation 2", async () => {
    const h = await gcHeap();
    const keep = h.list([1]);
    h.gc.collect(0);
    h.list().release(); // (a free list entry, not tracked)
    const cycleId = h.scope(() => {
      const l = h.list(); // reuses the free list's list: counts nothing
      l.append(l);
      return l.id;
    });
    expect(h.gc.getCount()).toEqual([1, 1, 0]);
    expect(h.gc.getFreezeCount()).toBe(0);
    h.gc.freeze();
    expect(h.gc.getFreezeCount()).toBe(2);
    expect(h.gc.getCount()).toEqual([0, 0, 0]);
    expect(h.gc.getObjects()).toEqual([]);
    expect(h.gc.collect()).toBe(0); // the garbage cycle is frozen: never examined
    expect(h.gc.getFreezeCount()).toBe(2);
    const fresh = h.list();
    h.gc.freeze();
    expect(h.gc.getFreezeCount()).toBe(3);
    h.gc.unfreeze();
    expect(h.gc.getFreezeCount()).toBe(0);
    const gen2 = h.gc.getObjects(2);
    // the permanent generation took generation 0, then 1, then 2 at each freeze
    expect(gen2.map((o) => o.id)).toEqual([cycleId, keep.id, fresh.id]);
    gen2.forEach((o) => o.release());
    expect(h.gc.collect(1)).toBe(0);
    expect(h.gc.collect(2)).toBe(1); // the cycle, now in generation 2
    expect(h.mem.check()).toBe(0);
  });

  it("a young cycle referring to a frozen object is collected; the frozen object stays (test_traverse_frozen_objects)", async () => {
    const h = await gcHeap();
    const frozen = h.list();
    h.gc.freeze();
    h.scope(() => {
      const a = h.list([frozen]);
      a.append(a);
    });
    expect(h.sys.getrefcount(frozen)).toBe(2);
    expect(h.gc.collect()).toBe(1);
    expect(h.sys.getrefcount(frozen)).toBe(1);
    h.gc.unfreeze();
    expect(h.gc.collect()).toBe(0);
    expect(h.gc.isTracked(frozen)).toBe(true);
  });

  it("a frozen object keeps the young objects it refers to alive", async () => {
    const h = await gcHeap();
    const holder = h.list();
    h.gc.freeze();
    h.scope(() => {
      const l = h.list();
      l.append(l);
      holder.append(l);
    });
    expect(h.gc.collect()).toBe(0);
    holder.clear();
    expect(h.gc.collect()).toBe(1);
  });

  it("getReferrers does not see frozen objects", async () => {
    const h = await gcHeap();
    const x = h.list();
    const holder = h.list([x]);
    h.gc.freeze();
    expect(h.gc.getReferrers(x)).toEqual([]);
    h.gc.unfreeze();
    expect(reprs(h.gc.getReferrers(x))).toEqual([holder.repr()]);
  });
});

describe("getReferents (test_get_referents) and getReferrers", () => {
  // python3 3.11, a = [1]; b = [2]; c = [3]:
  //   get_referents([a, b, c]) -> [[3], [2], [1]]      (list_traverse: last item first)
  //   get_referents((a, b, c)) -> [[3], [2], [1]]
  //   get_referents({'x': a, 'y': b}) -> [[1], [2]]     (only str keys: values only)
  //   get_referents({1: a, 'y': b}) -> [[1], 1, [2], 'y'] (value, then key)
  //   get_referents({(1, 2): a}) -> [[1], (1, 2)]
  //   get_referents([a], (b,), 5, 'str') -> [[1], [2]]
  //   get_referents(set([1, 2, 3])) -> [1, 2, 3]; frozenset(['k']) -> ['k']; dict() -> []
  //   get_referents([1, 'a', None]) -> [None, 'a', 1]
  //   get_referents(1, 'a', 2.0) -> []
  it("orders and contents as CPython's tp_traverse", async () => {
    const h = await gcHeap();
    const a = h.list([1]), b = h.list([2]), c = h.list([3]);
    const R = (...objs: Parameters<Heap["gc"]["getReferents"]>) => reprs(h.gc.getReferents(...objs));
    expect(R(h.list([a, b, c]))).toEqual(["[3]", "[2]", "[1]"]);
    expect(R(h.tuple([a, b, c]))).toEqual(["[3]", "[2]", "[1]"]);
    expect(R(h.dict({ x: a, y: b }))).toEqual(["[1]", "[2]"]);
    expect(R(h.dict([[1, a], ["y", b]]))).toEqual(["[1]", "1", "[2]", "'y'"]);
    expect(R(h.dict([[h.tuple([1, 2]), a]]))).toEqual(["[1]", "(1, 2)"]);
    expect(R(h.list([a]), h.tuple([b]), 5, "str")).toEqual(["[1]", "[2]"]);
    expect(R(h.set([1, 2, 3]))).toEqual(["1", "2", "3"]);
    expect(R(h.frozenset(["k"]))).toEqual(["'k'"]);
    expect(R(h.dict())).toEqual([]);
    expect(R(h.list([1, "a", null]))).toEqual(["None", "'a'", "1"]);
    expect(R(1, "a", 2.0)).toEqual([]);
    expect(R()).toEqual([]);
  });

  it("instances: slots in order, attributes in order, and no class (pyheap has no class objects)", async () => {
    // CPython: class S: __slots__ = ('p', 'q', 'r'); s = S(); s.p = a; s.r = c; get_referents(s) -> [[1], [3], <class 'S'>]
    //          class P: pass; p = P(); p.x = a; p.y = b; get_referents(p) -> [[1], [2], <class 'P'>]
    // pyheap's classes are not heap objects, so the class is not among the referents.
    const h = await gcHeap();
    const a = h.list([1]), b = h.list([2]), c = h.list([3]);
    const S = h.defineClass("S", { slots: ["p", "q", "r"] });
    const P = h.defineClass("P");
    expect(reprs(h.gc.getReferents(S.new({ p: a, r: c })))).toEqual(["[1]", "[3]"]);
    expect(reprs(h.gc.getReferents(P.new({ x: a, y: b })))).toEqual(["[1]", "[2]"]);
    expect(reprs(h.gc.getReferents(S.new()))).toEqual([]); // CPython: [<class 'S'>]
  });

  it("a memoryview refers to the bytes it views (CPython: to its managedbuffer)", async () => {
    const h = await gcHeap();
    expect(reprs(h.gc.getReferents(h.memoryview(h.bytes([97, 98]))))).toEqual(["b'ab'"]);
  });

  it("getReferrers: tracked containers that refer to any target, in generation order", async () => {
    // x = []; l1 = [x]; d1 = {'k': x}; t1 = (x,); s1.q = x -> [l1, d1, t1, s1] (all in generation 0, in creation order)
    const h = await gcHeap();
    const S = h.defineClass("S", { slots: ["q"] });
    const x = h.list(), y = h.list();
    const l1 = h.list([x]);
    const d1 = h.dict({ k: x });
    const t1 = h.tuple([x]);
    const s1 = S.new({ q: x });
    const ids = (refs: Ref[]) => {
      const out = refs.map((r) => r.id);
      refs.forEach((r) => r.release());
      return out;
    };
    expect(ids(h.gc.getReferrers(x))).toEqual([l1.id, d1.id, t1.id, s1.id]);
    const both = h.list([y]);
    expect(ids(h.gc.getReferrers(x, y))).toEqual([l1.id, d1.id, t1.id, s1.id, both.id]);
    h.gc.collect(0);
    const young = h.list([x]);
    expect(ids(h.gc.getReferrers(x))).toEqual([young.id, l1.id, d1.id, t1.id, s1.id]);
    expect(ids(h.gc.getReferrers(5))).toEqual([]);
    expect(ids(h.gc.getReferrers())).toEqual([]);
  });

  it("getReferrers: a str key of a str-keyed dict is not reported (values only), other keys are", async () => {
    // k = ''.join(['ke', 'y']); d = {k: []} -> d not in get_referrers(k); big = 10**20; d2 = {big: []} -> d2 in get_referrers(big)
    const h = await gcHeap();
    const k = h.str("key");
    const big = h.int(10n ** 20n);
    const d = h.dict([[k, h.list()]]);
    const d2 = h.dict([[big, h.list()]]);
    expect(reprs(h.gc.getReferrers(k))).toEqual([]);
    expect(reprs(h.gc.getReferrers(big))).toEqual([d2.repr()]);
    expect(h.gc.isTracked(d)).toBe(true);
  });

  it("untracked containers are not referrers (a dict of atomics, an untracked tuple)", async () => {
    const h = await gcHeap();
    const x = h.str("payload");
    const d = h.dict({ k: x });
    const t = h.tuple([x]);
    h.gc.collect(0);
    expect([h.gc.isTracked(d), h.gc.isTracked(t)]).toEqual([false, false]);
    expect(h.gc.getReferrers(x)).toEqual([]);
  });
});

describe("gc.garbage", () => {
  it("is one list for the heap's life, empty at first, and never collected", async () => {
    const h = await gcHeap();
    const g = h.gc.garbage;
    expect(g.type).toBe("list");
    expect(g.length).toBe(0);
    expect(h.gc.garbage).toBe(g);
    g.release(); // a permanent handle: releasing it does nothing
    expect(g.alive).toBe(true);
    g.append(g);
    expect(h.gc.collect()).toBe(0);
    expect(g.length).toBe(1);
    g.clear();
  });
});
