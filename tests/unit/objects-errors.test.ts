// Every bad input to the object API raises the right PyError and changes nothing:
// the reference counts and contents of every object involved, the blocks in use
// (free lists aside) and the allocator's invariants are the same before and after.
import { describe, expect, it } from "vitest";
import {
  PyAttributeError, PyBufferError, PyError, PyIndexError, PyKeyError, PyMemoryError, PyRecursionError,
  PyReferenceError, PyTypeError, PyValueError, type PyClass, type PyValue, type Ref,
} from "../../src/node.js";
import { newHeap } from "../helpers.js";

type ErrorClass = new (...args: never[]) => PyError;
type Any = never; // a deliberately wrong argument, past the type checker

/** A heap with one object of each kind, and handles that must be refused. */
async function fixture() {
  const h = await newHeap();
  const other = await newHeap();
  const a = h.str("a");
  const big = h.int(2n ** 70n);
  const l = h.list([a, big, 1.5]);
  const empty = h.list();
  const d = h.dict([[a, l], [1, "one"]]);
  const s = h.set([a, 1]);
  const fs = h.frozenset([a, 2]);
  const t = h.tuple([a, 3]);
  const unhashableTuple = h.tuple([1, l]);
  const b = h.bytes([1, 2, 3]);
  const ba = h.bytearray([1, 2, 3]);
  const exported = h.bytearray([4, 5, 6]);
  const mv = h.memoryview(exported);
  const Point = h.defineClass("Point", { slots: ["x", "y"] });
  const p = Point.new({ x: a });
  const Plain = h.defineClass("Plain");
  const q = Plain.new({ x: a });
  let deep = h.tuple([0]);
  for (let i = 0; i < 5000; i++) {
    const next = h.tuple([deep]);
    deep.release();
    deep = next;
  }
  const dead = h.str("released");
  dead.release();
  const foreign = other.list([1]);
  const objs = { a, big, l, empty, d, s, fs, t, unhashableTuple, b, ba, exported, mv, p, q, deep };
  return { h, other, objs, Point, Plain, dead, foreign, ...objs };
}
type Fx = Awaited<ReturnType<typeof fixture>>;

/** What a failed call must leave unchanged. */
function state(fx: Fx) {
  const { h, objs } = fx;
  const f = h.sys.freelists();
  return {
    refcounts: Object.fromEntries(Object.entries(objs).map(([k, o]) => [k, h.sys.getrefcount(o)])),
    contents: Object.fromEntries(Object.entries(objs).filter(([k]) => k !== "deep").map(([k, o]) => [k, o.toJS()])),
    attrs: [fx.p, fx.q].map((o) => o.toJS()),
    // blocks in use, those waiting on free lists aside (a temporary container may die onto one)
    liveBlocks: h.sys.getallocatedblocks() - (f.float + f.tuple + f.list + f.dict),
    interned: h.sys.internedCount(),
    check: h.mem.check(),
  };
}

const cases: Array<[string, ErrorClass, (fx: Fx) => unknown]> = [
  // ---- wrong types ----
  ["list.append on a dict", PyTypeError, (fx) => fx.d.append(1)],
  ["dict.keys on a list", PyTypeError, (fx) => fx.l.keys()],
  ["get on a str", PyTypeError, (fx) => fx.a.get(0)],
  ["set on a tuple (immutable)", PyTypeError, (fx) => fx.t.set(0, 1)],
  ["set on bytes (immutable)", PyTypeError, (fx) => fx.b.set(0, 1)],
  ["frozenset.add", PyTypeError, (fx) => fx.fs.add(5)],
  ["frozenset.discard", PyTypeError, (fx) => fx.fs.discard(2)],
  ["frozenset.clear", PyTypeError, (fx) => fx.fs.clear()],
  ["list index '0'", PyTypeError, (fx) => fx.l.get("0" as Any)],
  ["list index 1.5", PyTypeError, (fx) => fx.l.get(1.5)],
  ["list index 0n", PyTypeError, (fx) => fx.l.get(0n as Any)],
  ["list.set index null", PyTypeError, (fx) => fx.l.set(null, 1)],
  ["list.delete index 0.5", PyTypeError, (fx) => fx.l.delete(0.5)],
  ["list.insert index '1'", PyTypeError, (fx) => fx.l.insert("1" as Any, 1)],
  ["list.pop index 1.5", PyTypeError, (fx) => fx.l.pop(1.5)],
  ["list.append(undefined)", PyTypeError, (fx) => fx.l.append(undefined as Any)],
  ["list.append({})", PyTypeError, (fx) => fx.l.append({} as Any)],
  ["list.append(a Symbol)", PyTypeError, (fx) => fx.l.append(Symbol("s") as Any)],
  ["list.extend(5)", PyTypeError, (fx) => fx.l.extend(5 as Any)],
  ["bytearray.set(0, 'x')", PyTypeError, (fx) => fx.ba.set(0, "x")],
  ["bytearray.set(0, 1.5)", PyTypeError, (fx) => fx.ba.set(0, 1.5)],
  ["bytearray.resize(1.5)", PyTypeError, (fx) => fx.ba.resize(1.5)],
  ["heap.int('x')", PyTypeError, (fx) => fx.h.int("x" as Any)],
  ["heap.float('x')", PyTypeError, (fx) => fx.h.float("x" as Any)],
  ["heap.float(1n)", PyTypeError, (fx) => fx.h.float(1n as Any)],
  ["heap.str(5)", PyTypeError, (fx) => fx.h.str(5 as Any)],
  ["heap.bytes(123)", PyTypeError, (fx) => fx.h.bytes(123 as Any)],
  ["heap.bytes('abc')", PyTypeError, (fx) => fx.h.bytes("abc" as Any)],
  ["heap.tuple(5)", PyTypeError, (fx) => fx.h.tuple(5 as Any)],
  ["heap.list(null)", PyTypeError, (fx) => fx.h.list(null as Any)],
  ["heap.dict('abc')", PyTypeError, (fx) => fx.h.dict("abc" as Any)],
  ["heap.dict([[1]])", PyValueError, (fx) => fx.h.dict([[1]] as Any)],
  ["heap.memoryview(a list)", PyTypeError, (fx) => fx.h.memoryview(fx.l)],
  ["heap.memoryview('x')", PyTypeError, (fx) => fx.h.memoryview("x" as Any)],
  ["sys.intern(a list)", PyTypeError, (fx) => fx.h.sys.intern(fx.l)],
  ["sys.intern(5)", PyTypeError, (fx) => fx.h.sys.intern(5 as Any)],
  ["len(int)", PyTypeError, (fx) => fx.big.length],
  ["iter(int)", PyTypeError, (fx) => [...fx.big]],
  ["getattr on a list", PyTypeError, (fx) => fx.l.getattr("x")],
  ["getattr(5)", PyTypeError, (fx) => fx.p.getattr(5 as Any)],
  ["setattr with a bad name on a plain class", PyValueError, (fx) => fx.q.setattr("not a name", 1)],
  ["defineClass('bad name')", PyValueError, (fx) => fx.h.defineClass("bad name")],
  ["defineClass with duplicate slots", PyValueError, (fx) => fx.h.defineClass("D", { slots: ["a", "a"] })],
  ["defineClass with slots 'ab'", PyTypeError, (fx) => fx.h.defineClass("D", { slots: "ab" as Any })],
  ["Class.new(5)", PyTypeError, (fx) => fx.Point.new(5 as Any)],
  // ---- non-finite or out-of-range numbers ----
  ["heap.int(NaN)", PyValueError, (fx) => fx.h.int(NaN)],
  ["heap.int(Infinity)", PyValueError, (fx) => fx.h.int(Infinity)],
  ["heap.int(-Infinity)", PyValueError, (fx) => fx.h.int(-Infinity)],
  ["heap.bytearray(-1)", PyValueError, (fx) => fx.h.bytearray(-1)],
  ["heap.bytearray(1.5)", PyValueError, (fx) => fx.h.bytearray(1.5)],
  ["bytearray.resize(-1)", PyValueError, (fx) => fx.ba.resize(-1)],
  ["bytearray.resize(2**32)", PyValueError, (fx) => fx.ba.resize(2 ** 32)],
  ["bytearray.resize(2**32 - 1): memory", PyMemoryError, (fx) => fx.ba.resize(2 ** 32 - 1)],
  ["heap.bytearray(2**32 - 1): memory", PyMemoryError, (fx) => fx.h.bytearray(2 ** 32 - 1)],
  // ---- byte values ----
  ["bytearray.set(0, 256)", PyValueError, (fx) => fx.ba.set(0, 256)],
  ["bytearray.set(0, -1)", PyValueError, (fx) => fx.ba.set(0, -1)],
  ["heap.bytes([256])", PyValueError, (fx) => fx.h.bytes([256])],
  ["heap.bytes([1.5])", PyValueError, (fx) => fx.h.bytes([1.5])],
  ["heap.bytearray([1, 300])", PyValueError, (fx) => fx.h.bytearray([1, 300])],
  ["bytearray.extend([1, 256])", PyValueError, (fx) => fx.ba.extend([1, 256])],
  // ---- index out of range ----
  ["list.get(3)", PyIndexError, (fx) => fx.l.get(3)],
  ["list.get(-4)", PyIndexError, (fx) => fx.l.get(-4)],
  ["list.get(2**40)", PyIndexError, (fx) => fx.l.get(2 ** 40)],
  ["list.set(3, 2**80)", PyIndexError, (fx) => fx.l.set(3, 2n ** 80n)],
  ["list.set(-4, x)", PyIndexError, (fx) => fx.l.set(-4, fx.a)],
  ["list.delete(3)", PyIndexError, (fx) => fx.l.delete(3)],
  ["list.pop(3)", PyIndexError, (fx) => fx.l.pop(3)],
  ["list.pop(-4)", PyIndexError, (fx) => fx.l.pop(-4)],
  ["pop from an empty list", PyIndexError, (fx) => fx.empty.pop()],
  ["get from an empty list", PyIndexError, (fx) => fx.empty.get(0)],
  ["tuple.get(2)", PyIndexError, (fx) => fx.t.get(2)],
  ["bytes.get(3)", PyIndexError, (fx) => fx.b.get(3)],
  ["bytearray.get(-4)", PyIndexError, (fx) => fx.ba.get(-4)],
  ["bytearray.set(3, 1)", PyIndexError, (fx) => fx.ba.set(3, 1)],
  // ---- missing keys and attributes ----
  ["dict.delete('zzz')", PyKeyError, (fx) => fx.d.delete("zzz")],
  ["dict.delete(2**80)", PyKeyError, (fx) => fx.d.delete(2n ** 80n)],
  ["dict.delete on an empty dict", PyKeyError, (fx) => fx.h.scope(() => fx.h.dict().delete(1))],
  ["slotted setattr of an unknown attribute", PyAttributeError, (fx) => fx.p.setattr("z", 1)],
  ["slotted getattr of an unknown attribute", PyAttributeError, (fx) => fx.p.getattr("z")],
  ["slotted getattr of an unset slot", PyAttributeError, (fx) => fx.p.getattr("y")],
  ["slotted delattr of an unset slot", PyAttributeError, (fx) => fx.p.delattr("y")],
  ["slotted delattr of an unknown attribute", PyAttributeError, (fx) => fx.p.delattr("z")],
  ["Class.new with an unknown slot", PyAttributeError, (fx) => fx.Point.new({ x: 1, z: 2 })],
  ["Class.new with a bad value after a good one", PyTypeError, (fx) => fx.Point.new({ x: fx.a, y: undefined as Any })],
  ["plain getattr of a missing attribute", PyAttributeError, (fx) => fx.q.getattr("missing")],
  ["plain getattr of a name set on another instance only", PyAttributeError, (fx) => fx.h.scope(() => fx.Plain.new().getattr("x"))],
  ["plain delattr of a missing attribute", PyAttributeError, (fx) => fx.q.delattr("missing")],
  ["plain setattr of a new name with a bad value", PyTypeError, (fx) => fx.q.setattr("fresh", undefined as Any)],
  ["plain Class.new with a bad value for a new name", PyTypeError, (fx) => fx.Plain.new({ x: 1, fresh: {} as Any })],
  // ---- unhashable keys ----
  ["dict.set(list, v)", PyTypeError, (fx) => fx.d.set(fx.l, 1)],
  ["dict.set(key, v) with the key a tuple holding a list", PyTypeError, (fx) => fx.d.set(fx.unhashableTuple, 1)],
  ["dict.get(dict)", PyTypeError, (fx) => fx.d.get(fx.d)],
  ["dict.has(set)", PyTypeError, (fx) => fx.d.has(fx.s)],
  ["dict.delete(bytearray)", PyTypeError, (fx) => fx.d.delete(fx.ba)],
  ["dict.set on an empty dict with a list key", PyTypeError, (fx) => fx.h.scope(() => fx.h.dict().set(fx.l, 1))],
  ["set.add(list)", PyTypeError, (fx) => fx.s.add(fx.l)],
  ["set.has(dict)", PyTypeError, (fx) => fx.s.has(fx.d)],
  ["set.discard(set)", PyTypeError, (fx) => fx.s.discard(fx.s)],
  ["frozenset.has(bytearray)", PyTypeError, (fx) => fx.fs.has(fx.ba)],
  ["set.add(memoryview)", PyTypeError, (fx) => fx.s.add(fx.mv)],
  // ---- a nesting too deep to hash ----
  ["dict.set(5000-deep tuple)", PyRecursionError, (fx) => fx.d.set(fx.deep, 1)],
  ["dict.get(5000-deep tuple)", PyRecursionError, (fx) => fx.d.get(fx.deep)],
  ["dict.has(5000-deep tuple)", PyRecursionError, (fx) => fx.d.has(fx.deep)],
  ["set.add(5000-deep tuple)", PyRecursionError, (fx) => fx.s.add(fx.deep)],
  ["heap.frozenset([5000-deep tuple])", PyRecursionError, (fx) => fx.h.frozenset([1, fx.deep])],
  ["heap.dict([[5000-deep tuple, 1]])", PyRecursionError, (fx) => fx.h.dict([["x", 1], [fx.deep, 1]])],
  // ---- buffers ----
  ["bytearray.resize while a memoryview exports it", PyBufferError, (fx) => fx.exported.resize(10)],
  ["bytearray.resize to its own size while exported", PyBufferError, (fx) => fx.exported.resize(3)],
  ["bytearray.extend while a memoryview exports it", PyBufferError, (fx) => fx.exported.extend([7])],
  // ---- released handles ----
  ...(
    [
      ["id", (r) => r.id], ["type", (r) => r.type], ["length", (r) => r.length], ["get", (r) => r.get(0)],
      ["set", (r) => r.set(0, 1)], ["delete", (r) => r.delete(0)], ["append", (r) => r.append(1)],
      ["extend", (r) => r.extend([1])], ["insert", (r) => r.insert(0, 1)], ["pop", (r) => r.pop()],
      ["clear", (r) => r.clear()], ["has", (r) => r.has(1)], ["keys", (r) => r.keys()], ["values", (r) => r.values()],
      ["items", (r) => r.items()], ["add", (r) => r.add(1)], ["discard", (r) => r.discard(1)],
      ["getattr", (r) => r.getattr("x")], ["setattr", (r) => r.setattr("x", 1)], ["delattr", (r) => r.delattr("x")],
      ["hasattr", (r) => r.hasattr("x")], ["resize", (r) => r.resize(1)], ["data", (r) => r.data],
      ["for...of", (r) => [...r]], ["dup", (r) => r.dup()], ["is", (r) => r.is(null)],
      ["toJS", (r) => r.toJS()], ["repr", (r) => r.repr()],
    ] as Array<[string, (r: Ref) => unknown]>
  ).map(([m, f]): [string, ErrorClass, (fx: Fx) => unknown] => [`released handle: ${m}`, PyReferenceError, (fx) => f(fx.dead)]),
  ["released handle as an argument: list.append", PyReferenceError, (fx) => fx.l.append(fx.dead)],
  ["released handle as an argument: dict.set", PyReferenceError, (fx) => fx.d.set("k", fx.dead)],
  ["released handle as an argument: heap.list", PyReferenceError, (fx) => fx.h.list([1, fx.dead])],
  ["released handle as an argument: heap.from", PyReferenceError, (fx) => fx.h.from([[1, 2], fx.dead])],
  ["released handle as an argument: is", PyReferenceError, (fx) => fx.l.is(fx.dead)],
  ["released handle as an argument: getrefcount", PyReferenceError, (fx) => fx.h.sys.getrefcount(fx.dead)],
  ["released handle as an argument: memoryview", PyReferenceError, (fx) => fx.h.memoryview(fx.dead)],
  ["released handle as an argument: sys.intern", PyReferenceError, (fx) => fx.h.sys.intern(fx.dead)],
  ["released handle as an argument: heap.id", PyReferenceError, (fx) => fx.h.id(fx.dead)],
  // ---- handles of another heap ----
  ["another heap's handle: list.append", PyValueError, (fx) => fx.l.append(fx.foreign)],
  ["another heap's handle: dict.set", PyValueError, (fx) => fx.d.set(fx.foreign, 1)],
  ["another heap's handle: heap.tuple", PyValueError, (fx) => fx.h.tuple([2n ** 90n, fx.foreign])],
  ["another heap's handle: heap.from", PyValueError, (fx) => fx.h.from({ a: [1], b: fx.foreign })],
  ["another heap's handle: getrefcount", PyValueError, (fx) => fx.h.sys.getrefcount(fx.foreign)],
  ["another heap's handle: memoryview", PyValueError, (fx) => fx.h.memoryview(fx.other.bytes([1]))],
  ["another heap's handle: setattr", PyValueError, (fx) => fx.p.setattr("y", fx.foreign)],
  // ---- heap.from ----
  ["heap.from(undefined)", PyTypeError, (fx) => fx.h.from(undefined)],
  ["heap.from(a function)", PyTypeError, (fx) => fx.h.from((() => 1) as Any)],
  ["heap.from(a Date)", PyTypeError, (fx) => fx.h.from(new Date() as Any)],
  ["heap.from(a Symbol)", PyTypeError, (fx) => fx.h.from(Symbol("s") as Any)],
  ["heap.from with a Date deep inside", PyTypeError, (fx) => fx.h.from([1, "s", [2n ** 80n, { k: [new Date()] }]] as Any)],
  ["heap.from with undefined in an object", PyTypeError, (fx) => fx.h.from({ a: [1, 2.5], b: undefined })],
  ["heap.from with undefined in a Map value", PyTypeError, (fx) => fx.h.from(new Map<string, unknown>([["k", [1]], ["v", undefined]]) as Any)],
  ["heap.from with a class instance in a Set", PyTypeError, (fx) => fx.h.from(new Set([1, new (class A {})()]) as Any)],
  ["heap.from with an unhashable list in a Set", PyTypeError, (fx) => fx.h.from(new Set<unknown>([1, [2, "x"], 3]) as Any)],
  ["heap.from with an unhashable Set in a Set", PyTypeError, (fx) => fx.h.from([new Set([new Set([1])])] as Any)],
  ["heap.from with an unhashable Map key", PyTypeError, (fx) => fx.h.from(new Map<unknown, unknown>([["ok", 1], [[1], 2]]) as Any)],
  ["heap.from with a list handle in a Set", PyTypeError, (fx) => fx.h.from(new Set<PyValue>([fx.l]) as Any)],
  // ---- conversions failing in the middle ----
  ["list.extend with a bad item in the middle", PyTypeError, (fx) => fx.l.extend([1, 2n ** 80n, "x", undefined as Any, 4])],
  ["list.extend with a Date in the middle", PyTypeError, (fx) => fx.l.extend([fx.a, new Date() as Any, 2.5])],
  ["heap.list with a bad item at the end", PyTypeError, (fx) => fx.h.list([fx.a, 2n ** 80n, {} as Any])],
  ["heap.dict with an unhashable key in the middle", PyTypeError, (fx) => fx.h.dict([[1, "a"], ["b", 2n ** 90n], [fx.l, "c"], ["d", 1]])],
  ["heap.set with an unhashable item in the middle", PyTypeError, (fx) => fx.h.set([1, "x", fx.d, 2])],
  ["heap.frozenset with an unhashable item at the end", PyTypeError, (fx) => fx.h.frozenset([2n ** 80n, fx.a, fx.ba])],
  ["dict.set with a bad value", PyTypeError, (fx) => fx.d.set(2n ** 80n, undefined as Any)],
];

describe("bad input to the object API", () => {
  it.each(cases.map(([name, cls, act]) => [name, cls.name, cls, act] as const))("%s: %s, nothing changed", async (_name, _cls, cls, act) => {
    const fx = await fixture();
    const before = state(fx);
    let err: unknown;
    try {
      act(fx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(PyError);
    expect((err as Error).name).toBe(cls.name);
    expect((err as Error).message.length).toBeGreaterThan(0);
    expect(state(fx)).toEqual(before);
    fx.h.close();
    fx.other.close();
  });
});

describe("messages are Python's", () => {
  it.each([
    ["unhashable type: 'list'", (fx: Fx) => fx.d.set(fx.l, 1)],
    ["unhashable type: 'dict'", (fx: Fx) => fx.s.add(fx.d)],
    ["unhashable type: 'set'", (fx: Fx) => fx.s.has(fx.s)],
    ["unhashable type: 'bytearray'", (fx: Fx) => fx.d.get(fx.ba)],
    ["list index out of range", (fx: Fx) => fx.l.get(3)],
    ["pop from empty list", (fx: Fx) => fx.empty.pop()],
    ["'zzz'", (fx: Fx) => fx.d.delete("zzz")],
    ["'Point' object has no attribute 'y'", (fx: Fx) => fx.p.getattr("y")],
    ["'Plain' object has no attribute 'missing'", (fx: Fx) => fx.q.getattr("missing")],
    ["cannot convert float NaN to integer", (fx: Fx) => fx.h.int(NaN)],
    ["cannot convert float infinity to integer", (fx: Fx) => fx.h.int(Infinity)],
    ["byte must be in range(0, 256)", (fx: Fx) => fx.ba.set(0, 256)],
    ["maximum recursion depth exceeded", (fx: Fx) => fx.d.set(fx.deep, 1)],
    ["Existing exports of data: object cannot be re-sized", (fx: Fx) => fx.exported.resize(1)],
    ["this handle was released", (fx: Fx) => fx.dead.repr()],
    ["belongs to another heap", (fx: Fx) => fx.l.append(fx.foreign)],
  ])("%s", async (message, act) => {
    const fx = await fixture();
    expect(() => act(fx)).toThrow(message);
    fx.h.close();
    fx.other.close();
  });
});

describe("after an error the heap works on", () => {
  it("hashing is at depth 0 again after a PyRecursionError", async () => {
    const fx = await fixture();
    const { h, d } = fx;
    expect(() => d.set(fx.deep, 1)).toThrow(PyRecursionError);
    let t = h.tuple([1]);
    for (let i = 0; i < 900; i++) t = h.tuple([t]); // under the 1,000 limit
    d.set(t, "deep but fine");
    expect(d.get(t)!.toJS()).toBe("deep but fine");
  });

  it("a bytearray resizes again once its memoryview is released", async () => {
    const fx = await fixture();
    expect(() => fx.exported.resize(10)).toThrow(PyBufferError);
    fx.mv.release();
    fx.exported.resize(10);
    expect([...fx.exported]).toEqual([4, 5, 6, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("a closed heap", () => {
  it("refuses every call with PyReferenceError", async () => {
    const h = await newHeap();
    const l = h.list([1]);
    const P: PyClass = h.defineClass("P", { slots: ["x"] });
    const p = P.new({ x: 1 });
    h.close();
    expect(h.closed).toBe(true);
    const calls: Array<() => unknown> = [
      () => l.append(1), () => l.get(0), () => l.repr(), () => l.toJS(), () => l.length, () => l.type, () => l.id,
      () => l.dup(), () => [...l], () => p.getattr("x"), () => p.setattr("x", 2), () => h.int(1), () => h.str("x"),
      () => h.list(), () => h.dict(), () => h.None, () => h.from([1]), () => h.defineClass("Q"), () => P.new(),
      () => h.sys.getrefcount(l), () => h.sys.getsizeof(1), () => h.sys.intern("x"), () => h.sys.freelists(),
      () => h.sys.getallocatedblocks(), () => h.raw.list(), () => h.raw.None, () => h.scope(() => h.list()),
      () => h.memoryview(l), () => h.id(l),
    ];
    for (const call of calls) expect(call).toThrow(PyReferenceError);
    expect(l.alive).toBe(false);
    expect(() => l.release()).toThrow(PyReferenceError);
    expect(() => p[Symbol.dispose]()).not.toThrow(); // `using` at the end of a block: nothing left to drop
  });
});

describe("a heap that is not the handle's", () => {
  it("refuses the handle even where only its id would be read", async () => {
    using h1 = await newHeap();
    using h2 = await newHeap();
    const x = h2.str("x");
    expect(() => h1.id(x)).toThrow(PyValueError);
    expect(() => h1.sys.getsizeof(x)).toThrow(PyValueError);
    expect(() => h1.list([x])).toThrow(PyValueError);
    expect(h2.sys.getrefcount(x)).toBe(1);
  });
});
