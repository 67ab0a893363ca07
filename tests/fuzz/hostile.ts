/**
 * Hostile inputs: values of the wrong type, Proxies and getters that throw, huge and
 * non-finite numbers, released handles, handles of another (or a closed) heap, bad
 * names, keys nested too deep. Every call must throw a PyError or succeed; a value's own
 * exception (TrapError, thrown by the Proxy or getter itself) may propagate unchanged.
 */
import { PyRecursionError, PyReferenceError, PyTypeError, PyValueError, Ref } from "../../src/node.js";
import type { Entry, ErrClass, Fuzzer } from "./fuzzer.js";
import { fresh } from "./values.js";

/** What a hostile Proxy, getter or iterator throws. */
export class TrapError extends Error {}

/** How a value must be refused where an object (a PyValue) is expected. */
type Nature = "type" | "released" | "foreign" | "trap" | "valid";

function trapProxy(): object {
  const trap = () => {
    throw new TrapError("a Proxy trap");
  };
  return new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap, has: trap, getOwnPropertyDescriptor: trap });
}

function trapIterable(): Iterable<unknown> {
  return {
    [Symbol.iterator]() {
      let i = 0;
      return {
        next() {
          if (i++ > 1) throw new TrapError("an iterator's next()");
          return { done: false, value: i };
        },
      };
    },
  };
}

function hostileValue(f: Fuzzer): [string, unknown, Nature] {
  const released = f.releasedRef;
  const all: Array<[string, () => unknown, Nature]> = [
    ["undefined", () => undefined, "type"],
    ["a symbol", () => Symbol("s"), "type"],
    ["{}", () => ({}), "type"],
    ["[]", () => [], "type"],
    ["a Map", () => new Map([[1, 2]]), "type"],
    ["a function", () => () => 1, "type"],
    ["a Date", () => new Date(0), "type"],
    ["a Uint8Array", () => new Uint8Array(3), "type"],
    ["an object with a throwing getter", () => ({ get x() { throw new TrapError("a getter"); } }), "type"],
    ["a throwing Proxy", trapProxy, "trap"],
    ["a throwing iterable", trapIterable, "type"],
    ["2n ** 100000n", () => 2n ** 100000n, "valid"],
    ["-(2n ** 5000n)", () => -(2n ** 5000n), "valid"],
    ["NaN", () => NaN, "valid"],
    ["-0", () => -0, "valid"],
    ["Infinity", () => Infinity, "valid"],
    ["Number.MAX_VALUE", () => Number.MAX_VALUE, "valid"],
    ["2 ** 53 + 2", () => 2 ** 53 + 2, "valid"],
    ["a released handle", () => released, "released"],
    ["another heap's handle", () => f.foreign, "foreign"],
    ["a closed heap's handle", () => f.closedRef, "valid"], // (PyValueError or PyReferenceError)
    ["'not an identifier'", () => "not an identifier", "valid"],
    ["''", () => "", "valid"],
    ["'ü'", () => "ü", "valid"],
  ];
  // a forged handle (an object with Ref's prototype): refused as a foreign one (FOUND-2)
  all.push(["a forged handle", () => Object.create(Ref.prototype), "foreign"]);
  const [label, make, nature] = f.rng.pick(all);
  return [label, make(), nature];
}

const VALUE_EXPECT: Record<Nature, ErrClass | undefined> = {
  type: PyTypeError, released: PyReferenceError, foreign: PyValueError, trap: undefined, valid: undefined,
};

type Target = "list" | "dict" | "set" | "inst" | "bytearray" | "none";

interface Call {
  name: string;
  target: Target;
  /** Is the hostile value converted as an object (PyValue), so that its nature decides the error? */
  value?: boolean;
  run: (f: Fuzzer, t: Ref, v: never) => unknown;
  /** Only in the debug engine (a bad id reaches the release engine unchecked). */
  debugOnly?: (v: unknown) => boolean;
}

const c = (name: string, target: Target, run: Call["run"], value = false, debugOnly?: Call["debugOnly"]): Call => ({ name, target, run, value, debugOnly });

const CALLS: Call[] = [
  // the value as an object
  c("list.append(v)", "list", (_, t, v) => t.append(v), true),
  c("list.insert(0, v)", "list", (_, t, v) => t.insert(0, v), true),
  c("list.set(0, v)", "list", (_, t, v) => t.set(0, v), true),
  c("list.extend([1, v])", "list", (_, t, v) => t.extend([1, v]), true),
  c("heap.list([v])", "none", (f, _, v) => f.heap.list([v]), true),
  c("heap.tuple([1, v])", "none", (f, _, v) => f.heap.tuple([1, v]), true),
  c("heap.set([v])", "none", (f, _, v) => f.heap.set([v]), true),
  c("heap.frozenset([2, v])", "none", (f, _, v) => f.heap.frozenset([2, v]), true),
  c("heap.dict([[1, v]])", "none", (f, _, v) => f.heap.dict([[1, v]]), true),
  c("heap.dict([[v, 1]])", "none", (f, _, v) => f.heap.dict([[v, 1]]), true),
  c("dict.set('k', v)", "dict", (_, t, v) => t.set("k", v), true),
  c("dict.set(v, 1)", "dict", (_, t, v) => t.set(v, 1), true),
  c("dict.get(v)", "dict", (_, t, v) => t.get(v), true),
  c("dict.has(v)", "dict", (_, t, v) => t.has(v), true),
  c("dict.delete(v)", "dict", (_, t, v) => t.delete(v), true),
  c("set.add(v)", "set", (_, t, v) => t.add(v), true),
  c("set.has(v)", "set", (_, t, v) => t.has(v), true),
  c("set.discard(v)", "set", (_, t, v) => t.discard(v), true),
  c("setattr('x', v)", "inst", (_, t, v) => t.setattr("x", v), true),
  c("Plain.new({ x: v })", "none", (f, _, v) => f.cls.plain.new({ x: v }), true),
  c("Slotted.new({ a: 1, b: v })", "none", (f, _, v) => f.cls.slotted.new({ a: 1, b: v }), true),
  c("handle.is(v)", "list", (_, t, v) => t.is(v), true),
  c("heap.id(v)", "none", (f, _, v) => f.heap.id(v), true),
  c("sys.getrefcount(v)", "none", (f, _, v) => f.heap.sys.getrefcount(v), true),
  c("sys.getsizeof(v)", "none", (f, _, v) => f.heap.sys.getsizeof(v), true),
  c("gc.isTracked(v)", "none", (f, _, v) => f.heap.gc.isTracked(v), true),
  c("gc.getReferrers(1, v)", "none", (f, _, v) => f.heap.gc.getReferrers(1, v), true),
  c("gc.getReferents(v)", "none", (f, _, v) => f.heap.gc.getReferents(v), true),
  c("weakref.ref(v)", "none", (f, _, v) => f.heap.weakref.ref(v), true),
  c("weakref.getweakrefcount(v)", "none", (f, _, v) => f.heap.weakref.getweakrefcount(v), true),
  // the value anywhere else
  c("heap.list(v)", "none", (f, _, v) => f.heap.list(v)),
  c("heap.tuple(v)", "none", (f, _, v) => f.heap.tuple(v)),
  c("heap.set(v)", "none", (f, _, v) => f.heap.set(v)),
  c("heap.dict(v)", "none", (f, _, v) => f.heap.dict(v)),
  c("heap.from(v)", "none", (f, _, v) => f.heap.from(v)),
  c("heap.from([[v], { k: v }])", "none", (f, _, v) => f.heap.from([[v], { k: v }] as never)),
  c("heap.from(new Map([[v, 1]]))", "none", (f, _, v) => f.heap.from(new Map([[v, 1]]) as never)),
  c("heap.bytes(v)", "none", (f, _, v) => f.heap.bytes(v)),
  c("heap.bytearray(v)", "none", (f, _, v) => f.heap.bytearray(v)),
  c("heap.memoryview(v)", "none", (f, _, v) => f.heap.memoryview(v)),
  c("heap.int(v)", "none", (f, _, v) => f.heap.int(v)),
  c("heap.float(v)", "none", (f, _, v) => f.heap.float(v)),
  c("heap.str(v)", "none", (f, _, v) => f.heap.str(v)),
  c("sys.intern(v)", "none", (f, _, v) => f.heap.sys.intern(v)),
  c("heap.scope(v)", "none", (f, _, v) => f.heap.scope(v)),
  c("list.extend(v)", "list", (_, t, v) => t.extend(v)),
  c("list.get(v)", "list", (_, t, v) => t.get(v)),
  c("list.delete(v)", "list", (_, t, v) => t.delete(v)),
  c("list.pop(v)", "list", (_, t, v) => t.pop(v)),
  c("list.insert(v, 1)", "list", (_, t, v) => t.insert(v, 1)),
  c("bytearray.set(v, 1)", "bytearray", (_, t, v) => t.set(v, 1)),
  c("bytearray.set(0, v)", "bytearray", (_, t, v) => t.set(0, v)),
  c("bytearray.extend(v)", "bytearray", (_, t, v) => t.extend(v)),
  c("bytearray.resize(v)", "bytearray", (_, t, v) => t.resize(v)),
  c("getattr(v)", "inst", (_, t, v) => t.getattr(v)),
  c("setattr(v, 1)", "inst", (_, t, v) => t.setattr(v, 1)),
  c("delattr(v)", "inst", (_, t, v) => t.delattr(v)),
  c("hasattr(v)", "inst", (_, t, v) => t.hasattr(v)),
  c("Plain.new(v)", "none", (f, _, v) => f.cls.plain.new(v)),
  c("Slotted.new({ [v]: 1 })", "none", (f, _, v) => f.cls.slotted.new({ [typeof v === "string" ? v : typeof v]: 1 })),
  c("gc.collect(v)", "none", (f, _, v) => f.heap.gc.collect(v)),
  c("gc.getObjects(v)", "none", (f, _, v) => f.heap.gc.getObjects(v)),
  c("weakref.ref(obj, v)", "inst", (f, t, v) => f.heap.weakref.ref(t, v)),
  c("weakref.proxy(v)", "none", (f, _, v) => f.heap.weakref.proxy(v)),
  c("weakref.finalize(obj, v)", "inst", (f, t, v) => f.heap.weakref.finalize(t, v)),
  c("weakref.finalize(v, fn)", "none", (f, _, v) => f.heap.weakref.finalize(v, () => 0)),
  c("mem.malloc(v)", "none", (f, _, v) => f.heap.mem.malloc(v)),
  c("mem.calloc(v, 2)", "none", (f, _, v) => f.heap.mem.calloc(v, 2)),
  c("mem.free(v)", "none", (f, _, v) => f.heap.mem.free(v)),
  c("mem.realloc(v, 8)", "none", (f, _, v) => f.heap.mem.realloc(v, 8)),
  c("mem.view(v)", "none", (f, _, v) => f.heap.mem.view(v)),
  c("raw.int(v)", "none", (f, _, v) => f.heap.raw.int(v)),
  c("raw.float(v)", "none", (f, _, v) => f.heap.raw.float(v)),
  c("raw.str(v)", "none", (f, _, v) => f.heap.raw.str(v)),
  // (a bigint or a symbol among the ids was a plain TypeError: FOUND-3)
  c("raw.tuple(v)", "none", (f, _, v) => f.heap.raw.tuple(v), false, (v) => typeof v === "number"),
  c("raw.tuple([v])", "none", (f, _, v) => f.heap.raw.tuple([v]), false, (v) => typeof v === "number"),
  c("raw.new(v)", "none", (f, _, v) => f.heap.raw.new(v)),
  c("defineClass(v)", "none", (f, _, v) => f.heap.defineClass(v)),
  c("defineClass('H', { slots: [v] })", "none", (f, _, v) => f.heap.defineClass("H", { slots: [v] })),
];

/** Calls on a target that is not usable: released (PyReferenceError) or of another heap. */
const RELEASED_TARGET: Array<[string, (t: Ref) => unknown]> = [
  ["append", (t) => t.append(1)], ["length", (t) => t.length], ["getattr", (t) => t.getattr("x")],
  ["repr", (t) => t.repr()], ["dup", (t) => t.dup()], ["iterate", (t) => [...t]], ["toJS", (t) => t.toJS()],
  ["set", (t) => t.set(0, 1)], ["keys", (t) => t.keys()], ["has", (t) => t.has(1)], ["deref", (t) => t.deref()],
];

const KIND_OF: Record<Exclude<Target, "none">, (e: Entry) => boolean> = {
  list: (e) => e.kind === "list",
  dict: (e) => e.kind === "dict",
  set: (e) => e.kind === "set",
  inst: (e) => e.kind === "inst" && e.cls?.slots === undefined,
  bytearray: (e) => e.kind === "bytearray",
};

function scratch(f: Fuzzer, t: Target): Ref | undefined {
  const h = f.heap;
  const make = { list: () => h.list([1, 2]), dict: () => h.dict([["k", 1]]), set: () => h.set([1]), inst: () => f.cls.plain.new({ x: 1 }), bytearray: () => h.bytearray(4), none: () => h.None };
  const r = f.attempt("scratch target", make[t]);
  return r.ok ? r.value : undefined;
}

/** Releases whatever a successful hostile call returned (handles, ids, blocks, finalizers). */
function dispose(f: Fuzzer, call: Call, result: unknown): void {
  if (result instanceof Ref) result.release();
  else if (Array.isArray(result)) {
    for (const x of result) if (x instanceof Ref) x.release();
  } else if (typeof result === "number" && call.name.startsWith("mem.") && call.name !== "mem.free(v)") f.heap.mem.free(result);
  else if (typeof result === "number" && call.name.startsWith("raw.")) f.heap.raw.decref(result);
  else if (result && typeof result === "object" && "detach" in result) (result as { detach(): [Ref] | null }).detach()?.[0].release();
}

/** Calls that iterate their argument: a forged handle there is still a plain TypeError (FOUND-2, open). */
const ITERATING = new Set(["heap.list(v)", "heap.tuple(v)", "heap.set(v)", "list.extend(v)"]);
function forged(v: unknown): boolean {
  try {
    return v instanceof Ref && v._objects === undefined;
  } catch {
    return false; // a throwing Proxy
  }
}

/** A call that hits an open bug (tests/fuzz/FOUND-<n>.md) with this value: left out unless FUZZ_KNOWN has n. */
function knownBug(f: Fuzzer, call: Call, v: unknown): boolean {
  return !f.known(2) && forged(v) && ITERATING.has(call.name);
}

export function opHostile(f: Fuzzer): void {
  const r = f.rng.next();
  if (r < 0.1) return unusableTarget(f);
  if (r < 0.13) return deepKey(f);
  const [label, v, nature] = hostileValue(f);
  const call = f.rng.pick(CALLS.filter((x) => !(x.debugOnly?.(v) && !f.cfg.debug) && !knownBug(f, x, v)));
  const entry = call.target === "none" ? undefined : f.pick(KIND_OF[call.target]);
  const target = entry?.ref ?? (call.target === "none" ? f.heap.None : scratch(f, call.target));
  if (!target) return;
  f.log(`hostile: ${call.name} with ${label}`);
  const res = f.attempt(`${call.name} with v = ${label}`, () => call.run(f, target, v as never), {
    hostile: true,
    expect: call.value ? VALUE_EXPECT[nature] : undefined,
    touch: entry ? [entry] : [],
  });
  if (res.ok) {
    dispose(f, call, res.value);
    if (entry) f.reread(entry);
  }
  if (!entry) target.release();
}

function unusableTarget(f: Fuzzer): void {
  const [what, call] = f.rng.pick(RELEASED_TARGET);
  const kind = f.rng.int(3);
  const t = [f.releasedRef, f.closedRef, f.foreign][kind];
  const expect = kind === 2 ? undefined : PyReferenceError; // (a foreign handle works on its own heap)
  f.log(`hostile: ${what} on a ${["released", "closed heap's", "foreign"][kind]} handle`);
  const res = f.attempt(`${what} on an unusable handle`, () => call(t), { hostile: true, expect });
  if (res.ok) dispose(f, c(what, "none", () => 0), res.value);
  // a foreign handle given to this heap is refused
  if (kind === 2) {
    const e = f.pick(KIND_OF.list);
    if (e) f.attempt("list.append(a foreign handle)", () => e.ref.append(f.foreign), { hostile: true, expect: PyValueError, touch: [e] });
  }
}

/** A key nested more than 1,000 deep: PyRecursionError, with nothing changed. */
function deepKey(f: Fuzzer): void {
  const h = f.heap;
  let deep: Ref | undefined = fresh(f, "deep tuple", () => h.tuple([0]));
  for (let i = 0; i < 1500 && deep; i++) {
    const inner: Ref = deep;
    const next = f.attempt("deep tuple", () => h.tuple([inner]));
    inner.release();
    deep = next.ok ? next.value : undefined;
  }
  if (!deep) return;
  const key = deep;
  const e = f.pick((x) => x.kind === "dict" || x.kind === "set");
  const t = e?.ref ?? fresh(f, "scratch dict", () => h.dict());
  if (!t) return key.release();
  f.log("hostile: a key nested 1500 deep");
  f.attempt("a key nested 1500 deep", () => (t.type === "dict" ? t.set(key, 1) : t.add(key)), { hostile: true, expect: PyRecursionError, touch: e ? [e] : [] });
  if (!e) t.release();
  key.release();
}
