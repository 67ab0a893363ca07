// Model-based test of the object layer: random operations on lists, dicts, tuples,
// instances (a slotted class and a plain one, both with a del hook) and handles,
// against a model that counts references.
//
// The model keeps every live object: its kind, its contents (list and tuple items,
// dict entries with the identity of each stored key, instance attributes) and the
// handles the test holds. Reference counts are simulated, not derived from
// reachability: a decref that reaches 0 frees the object and decrefs its children in
// the engine's (CPython's) order, so objects in unreachable cycles stay alive, as
// they do under reference counting alone.
//
// After every step (inside heap.scope too):
//   - the engine freed exactly as many objects as the model (dealloc_count), and the
//     del hooks ran for exactly the instances the model freed, in the model's order,
//     each seeing a refcount of 1;
//   - every live container holds exactly the model's objects (ids compared), and a
//     dict keeps the first of two equal keys;
//   - every live object's refcount is the model's: handles held + references from
//     every live container (heap.sys.getrefcount through each handle, the raw
//     refcount for objects only containers hold); immortals report 2**32 - 1;
//   - failed operations throw the expected PyError and change nothing, temporaries
//     made from JS values included.
// At the end of a run every handle is released and heap.mem.check() must be 0.
//
// Under a small maxMemory (blocks of heap.mem as ballast; "squeeze" runs operations
// with no memory left at all) any operation may throw PyMemoryError instead: it must
// change nothing but the temporaries it made and freed, and an operation that cannot
// fail (pop, delete: shrinking) must not. Every operation calls the heap before it
// updates the model, so the model stays as it was when one fails.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IMMORTAL_REFCNT, PyAttributeError, PyIndexError, PyKeyError, PyMemoryError, PyReferenceError, PyTypeError,
  type Heap, type PyClass, type PyValue, type Ref,
} from "../../src/node.js";
import { newHeap } from "../helpers.js";

// ---- the model ----------------------------------------------------------------------------
type Kind = "list" | "dict" | "tuple" | "inst" | "int" | "float" | "str" | "bool" | "none";
type ClassName = "Slotted" | "Plain";
const SLOTS = ["x", "y", "z"];
const NAMES = ["x", "y", "z", "w"]; // "w" is not a slot of Slotted

interface MObj {
  serial: number;
  /** The engine's id; 0 until seen (a temporary made from a JS value, stored in a container). */
  id: number;
  kind: Kind;
  immortal: boolean;
  value?: bigint | number | string;
  items?: MObj[];
  entries?: [MObj, MObj][];
  attrs?: Map<string, MObj>;
  cls?: ClassName;
  /** Handles the test holds. */
  handles: number;
  /** The simulated reference count (mortal objects). */
  rc: number;
}
interface Handle { ref: Ref; obj: MObj; live: boolean }
type X = Heap["raw"]["exports"];

const show = (o: MObj) => `${o.cls ?? o.kind}#${o.serial}@0x${o.id.toString(16)}`;
function fail(msg: string): never {
  throw new Error(msg);
}

class Model {
  live = new Set<MObj>(); // mortal objects only
  byId = new Map<number, MObj>();
  immortals = new Map<string, MObj>();
  handles: Handle[] = [];
  released: Ref[] = []; // a few released handles, to use again
  scopes: Handle[][] = [];
  given: Handle[] = []; // handles to release once the current operation is done
  temps = 0; // temporaries the current operation may make (a bound, for PyMemoryError)
  freed = 0n; // objects the model freed since the start
  dels: number[] = []; // instances freed since the last check, in order
  serial = 0;
  constructor(readonly x: X) {}

  mortal(kind: Kind, fields: Partial<MObj> = {}): MObj {
    const o: MObj = { serial: ++this.serial, id: 0, kind, immortal: false, handles: 0, rc: 0, ...fields };
    this.live.add(o);
    return o;
  }

  immortal(key: string, kind: Kind, value: MObj["value"], id: number): MObj {
    let o = this.immortals.get(key);
    if (!o) {
      o = { serial: ++this.serial, id: 0, kind, immortal: true, value, handles: 0, rc: 0 };
      if (kind === "tuple") o.items = [];
      this.immortals.set(key, o);
      this.learn(o, id >>> 0);
    }
    return o;
  }

  /** Records (or checks) the engine id of o; no two live objects share one. */
  learn(o: MObj, id: number): void {
    if (o.id) {
      if (o.id !== id) fail(`${show(o)}: the engine has it at 0x${id.toString(16)}`);
      return;
    }
    const other = this.byId.get(id);
    if (other && other !== o) fail(`new ${show(o)} got the id of ${show(other)}, which the model says is alive`);
    o.id = id;
    this.byId.set(id, o);
  }

  incref(o: MObj): void {
    if (!o.immortal) o.rc++;
  }

  decref(o: MObj): void {
    if (o.immortal) return;
    if (o.rc <= 0) fail(`model: decref of dead ${show(o)}`);
    if (--o.rc === 0) this.dealloc(o);
  }

  /** The engine's teardown: del hook first, then each child as CPython's tp_dealloc drops it. */
  dealloc(o: MObj): void {
    if (o.kind === "inst") this.dels.push(o.id);
    this.live.delete(o);
    if (this.byId.get(o.id) === o) this.byId.delete(o.id);
    this.freed++;
    const kids = deallocOrder(o);
    o.items = o.entries = o.attrs = undefined;
    for (const c of kids) this.decref(c);
  }

  /**
   * The object a JS value converts to (Objects.fromPrimitive): an immortal, or a new
   * object holding one reference, the temporary's. With `peek`, a detached stand-in
   * that only answers hashable() and keyEq().
   */
  prim(p: PyValue, peek = false): MObj {
    const x = this.x;
    if (p === null) return this.immortal("None", "none", undefined, x.none_obj());
    if (p === true) return this.immortal("True", "bool", 1n, x.true_obj());
    if (p === false) return this.immortal("False", "bool", 0n, x.false_obj());
    let kind: Kind, value: MObj["value"];
    if (typeof p === "string") {
      if (p === "") return this.immortal("str:", "str", "", x.empty_str());
      [kind, value] = ["str", p];
    } else if (typeof p === "number" && !Number.isInteger(p)) {
      [kind, value] = ["float", p];
    } else {
      const v = BigInt(p as number | bigint);
      if (v >= -5n && v <= 256n) return this.immortal(`int:${v}`, "int", v, x.int_from_i32(Number(v)));
      [kind, value] = ["int", v];
    }
    if (peek) return { serial: 0, id: 0, kind, value, immortal: false, handles: 0, rc: 0 };
    const o = this.mortal(kind, { value });
    o.rc = 1;
    return o;
  }

  /** Objects.with: the objects for the arguments, temporaries made in order. */
  args(rs: Resolved[]): { objs: MObj[]; temps: MObj[] } {
    const objs: MObj[] = [];
    const temps: MObj[] = [];
    for (const r of rs) {
      if (r.handle) objs.push(r.handle.obj);
      else {
        const o = this.prim(r.val);
        objs.push(o);
        if (!o.immortal) temps.push(o);
      }
    }
    return { objs, temps };
  }

  drop(temps: MObj[]): void {
    for (const t of temps) this.decref(t);
  }

  /** A handle for ref; `incref` = false when a reference moves to it. */
  addHandle(ref: Ref, o: MObj, incref = true): Handle {
    this.learn(o, ref.id);
    o.handles++;
    if (incref) this.incref(o);
    const h: Handle = { ref, obj: o, live: true };
    this.handles.push(h);
    if (this.scopes.length) this.scopes[this.scopes.length - 1].push(h);
    return h;
  }

  release(h: Handle): void {
    if (!h.live) fail("model: release of a released handle");
    h.live = false;
    this.handles.splice(this.handles.indexOf(h), 1);
    this.released.push(h.ref);
    if (this.released.length > 8) this.released.shift();
    h.obj.handles--;
    this.decref(h.obj);
  }

  pick(n: number, kinds?: readonly Kind[]): Handle | undefined {
    const c = kinds ? this.handles.filter((h) => kinds.includes(h.obj.kind)) : this.handles;
    return c.length ? c[n % c.length] : undefined;
  }

  // ---- contents ----
  dictSet(d: MObj, k: MObj, v: MObj): void {
    const e = d.entries!.find(([ek]) => keyEq(ek, k));
    if (e) {
      // the stored key stays: only the value changes
      const old = e[1];
      this.incref(v);
      e[1] = v;
      this.decref(old);
    } else {
      this.incref(k);
      this.incref(v);
      d.entries!.push([k, v]);
    }
  }

  setattr(o: MObj, name: string, v: MObj): void {
    const old = o.attrs!.get(name);
    this.incref(v);
    o.attrs!.set(name, v); // an existing attribute keeps its place
    if (old) this.decref(old);
  }
}

/** The children a dying object drops, in the engine's order (assembly/object/dealloc.ts). */
function deallocOrder(o: MObj): MObj[] {
  if (o.items) return [...o.items].reverse(); // list, tuple: last to first
  if (o.entries) return o.entries.flat(); // dict: entry order, key then value
  if (o.attrs) {
    if (o.cls === "Slotted") return SLOTS.flatMap((s) => (o.attrs!.has(s) ? [o.attrs!.get(s)!] : []));
    // the class's shared keys' order (CPython 3.11's key sharing: setup() set NAMES in
    // order on a first instance, so every name is a key and no instance falls back to a dict)
    return NAMES.flatMap((s) => (o.attrs!.has(s) ? [o.attrs!.get(s)!] : []));
  }
  return [];
}

function hashable(o: MObj): boolean {
  if (o.kind === "list" || o.kind === "dict") return false;
  if (o.kind === "tuple") return o.items!.every(hashable);
  return true;
}

const numeric = (o: MObj) => o.kind === "int" || o.kind === "bool" || o.kind === "float";

/** == as dict lookups see it (identity first, numbers across int/bool/float, tuples by items). */
function keyEq(a: MObj, b: MObj): boolean {
  if (a === b) return true;
  if (numeric(a) && numeric(b)) {
    const fa = a.kind === "float", fb = b.kind === "float";
    if (fa === fb) return a.value === b.value;
    const f = (fa ? a.value : b.value) as number;
    const i = (fa ? b.value : a.value) as bigint;
    return Number.isInteger(f) && BigInt(f) === i;
  }
  if (a.kind !== b.kind) return false;
  if (a.kind === "str") return a.value === b.value;
  if (a.kind === "tuple") return a.items!.length === b.items!.length && a.items!.every((c, i) => keyEq(c, b.items![i]));
  return false;
}

const TYPE_NAME: Record<Kind, string> = {
  list: "list", dict: "dict", tuple: "tuple", inst: "", int: "int", float: "float", str: "str", bool: "bool", none: "NoneType",
};

// ---- operations -----------------------------------------------------------------------------
/**
 * An argument: a held handle (picked among those that fit), a JS value, a fresh
 * instance or a fresh tuple of JS values. A handle given away (fresh objects always
 * are) is released after the operation, so that containers become the owners.
 */
type Arg =
  | { p: PyValue }
  | { h: number; of: "any" | "hashable" | "tuple"; give?: true }
  | { fresh: ClassName }
  | { tuple: PyValue[] };
interface Resolved { val: PyValue; handle?: Handle }
type Method = "append" | "pop" | "keys" | "setattr" | "getattr" | "clear" | "get" | "set" | "length";
type Op =
  | { op: "newList" | "newTuple"; items: Arg[] }
  | { op: "newDict"; pairs: [Arg, Arg][] }
  | { op: "newInst"; cls: ClassName; attrs: [string, Arg][] | undefined }
  | { op: "newScalar"; as: "int" | "float" | "str"; value: number | bigint | string }
  | { op: "append"; t: number; v: Arg }
  | { op: "extend"; t: number; vs: Arg[] }
  | { op: "setItem" | "insert"; t: number; i: number; v: Arg }
  | { op: "pop"; t: number; i: number | undefined }
  | { op: "popMany"; t: number; count: number }
  | { op: "delItem" | "getItem"; t: number; i: number }
  | { op: "clear"; t: number }
  | { op: "dictSet"; t: number; k: Arg; v: Arg }
  | { op: "dictDelete" | "dictGet"; t: number; k: Arg }
  | { op: "dictView"; t: number; which: "keys" | "values" | "items" }
  | { op: "dictBurst"; t: number; steps: [0 | 1 | 2, number, number][] }
  | { op: "setattr"; t: number; name: string; v: Arg }
  | { op: "delattr" | "getattr"; t: number; name: string }
  | { op: "rawStore"; t: number; i: number; j: number }
  | { op: "dup" | "release"; h: number }
  | { op: "releaseSome"; fraction: number }
  | { op: "wrongType"; h: number; method: Method }
  | { op: "useReleased"; h: number; v: Arg }
  | { op: "scope"; ops: Op[]; ret: number | undefined; throws: boolean }
  | { op: "ballast"; size: number; count: number }
  | { op: "unballast"; fraction: number }
  | { op: "squeeze"; ops: Op[] };

interface Real {
  heap: Heap;
  cls: Record<ClassName, PyClass>;
  dels: { id: number; rc: number }[];
  base: bigint;
  capped: boolean;
  ballast: number[]; // heap.mem blocks that use up memory under a cap
}

type ErrorClass = new (message: string) => Error;
const stats = { steps: 0, errors: 0, memoryErrors: 0, freed: 0n, dels: 0, scopes: 0, leaked: 0 };

/** Runs f, which must throw `expected` (then it returns undefined) or, without one, succeed. */
function outcome<R>(expected: ErrorClass | undefined, what: string, f: () => R): R | undefined {
  let r: R;
  try {
    r = f();
  } catch (e) {
    if (expected && e instanceof expected) {
      stats.errors++;
      return undefined;
    }
    throw e;
  }
  if (expected) fail(`${what}: expected ${expected.name}, nothing was thrown`);
  return r;
}

function resolve(m: Model, r: Real, a: Arg): Resolved {
  if ("p" in a) {
    if (!m.prim(a.p, true).immortal) m.temps++;
    return { val: a.p };
  }
  if ("fresh" in a) {
    const handle = m.addHandle(r.cls[a.fresh].new(), m.mortal("inst", { cls: a.fresh, attrs: new Map() }));
    m.given.push(handle);
    return { val: handle.ref, handle };
  }
  if ("tuple" in a) {
    // equal tuples made again and again: a dict must keep the first as its key
    const handle = newSequence(m, r, "tuple", a.tuple.map((p) => resolve(m, r, { p })));
    m.given.push(handle);
    return { val: handle.ref, handle };
  }
  const filter = a.of === "any" ? () => true : a.of === "tuple" ? (o: MObj) => o.kind === "tuple" : hashable;
  const c = m.handles.filter((h) => filter(h.obj));
  if (!c.length) return { val: 1 };
  const handle = c[a.h % c.length];
  if (a.give) m.given.push(handle);
  return { val: handle.ref, handle };
}

/** The object of a resolved argument, without making the temporary. */
const peek = (m: Model, r: Resolved) => r.handle?.obj ?? m.prim(r.val, true);

const norm = (i: number, n: number) => {
  const k = i < 0 ? i + n : i;
  return k >= 0 && k < n ? k : -1;
};

const SUPPORTS: Record<Method, Kind[]> = {
  append: ["list"], pop: ["list"], keys: ["dict"], setattr: ["inst"], getattr: ["inst"], clear: ["list", "dict"],
  get: ["list", "tuple", "dict"], set: ["list", "dict"], length: ["list", "tuple", "dict", "str"],
};

class ScopeAbort extends Error {}

/** heap.list / heap.tuple of the resolved items: the handle of the new sequence. */
function newSequence(m: Model, r: Real, kind: "list" | "tuple", rs: Resolved[]): Handle {
  const values = rs.map((x) => x.val);
  const ref = kind === "list" ? r.heap.list(values) : r.heap.tuple(values);
  const { objs, temps } = m.args(rs);
  const o = kind === "tuple" && !objs.length
    ? m.immortal("tuple:()", "tuple", undefined, m.x.empty_tuple())
    : m.mortal(kind, { items: [] });
  for (const c of objs) {
    if (o.immortal) break;
    m.incref(c);
    o.items!.push(c);
  }
  const h = m.addHandle(ref, o);
  m.drop(temps);
  return h;
}

/** Applies one operation to the heap and to the model, then checks everything. */
function step(m: Model, r: Real, op: Op): void {
  m.given = [];
  m.temps = 0;
  try {
    apply(m, r, op);
  } catch (e) {
    if (!(r.capped && e instanceof PyMemoryError)) throw e;
    outOfMemory(m, r);
  }
  for (const h of m.given.splice(0)) {
    if (!h.live) continue;
    h.ref.release();
    m.release(h);
  }
  verify(m, r);
}

/**
 * After a PyMemoryError the model is as before the operation: the heap may only have
 * freed the temporaries it made, and the one object it was building (an instance
 * whose attribute table could not grow runs its del hook).
 */
function outOfMemory(m: Model, r: Real): void {
  stats.memoryErrors++;
  if (m.dels.length) fail("model: an operation that failed had freed instances");
  const freed = r.heap.raw.exports.dealloc_count() - r.base - m.freed;
  if (freed < 0n || freed > BigInt(m.temps + 1)) fail(`a failed operation freed ${freed} objects (temporaries: ${m.temps})`);
  m.freed += freed;
  const dels = r.dels.splice(0);
  if (dels.length > 1 || dels.some((d) => m.byId.has(d.id))) fail(`a failed operation ran del hooks of ${JSON.stringify(dels)}`);
  const check = r.heap.mem.check();
  if (check !== 0) fail(`heap.mem.check() = ${check} after a PyMemoryError`);
}

function apply(m: Model, r: Real, op: Op): void {
  const heap = r.heap;
  switch (op.op) {
    case "newList":
    case "newTuple":
      newSequence(m, r, op.op === "newList" ? "list" : "tuple", op.items.map((a) => resolve(m, r, a)));
      return;
    case "newDict": {
      const rs = op.pairs.flat().map((a) => resolve(m, r, a));
      const pairs: [PyValue, PyValue][] = [];
      for (let i = 0; i < rs.length; i += 2) pairs.push([rs[i].val, rs[i + 1].val]);
      const bad = pairs.some((_, i) => !hashable(peek(m, rs[2 * i])));
      const ref = outcome(bad ? PyTypeError : undefined, "dict(pairs)", () => heap.dict(pairs));
      // the dict gets the pairs up to the first unhashable key, then dies
      const { objs, temps } = m.args(rs);
      const d = m.mortal("dict", { entries: [] });
      m.incref(d); // the engine's reference, which the handle takes
      for (let i = 0; i < objs.length && hashable(objs[i]); i += 2) m.dictSet(d, objs[i], objs[i + 1]);
      if (ref) m.addHandle(ref, d, false);
      else m.decref(d);
      m.drop(temps);
      return;
    }
    case "newInst": {
      const chosen = new Map<string, Resolved>();
      for (const [name, a] of op.attrs ?? []) chosen.set(name, resolve(m, r, a));
      const attrs: Record<string, PyValue> | undefined = op.attrs && {};
      for (const [name, x] of chosen) attrs![name] = x.val;
      const bad = op.cls === "Slotted" && [...chosen.keys()].some((n) => !SLOTS.includes(n));
      // a bad name is refused before any value is converted
      const ref = outcome(bad ? PyAttributeError : undefined, `${op.cls}.new`, () => r.cls[op.cls].new(attrs));
      if (!ref) return;
      const { objs, temps } = m.args([...chosen.values()]);
      const o = m.mortal("inst", { cls: op.cls, attrs: new Map() });
      [...chosen.keys()].forEach((name, i) => m.setattr(o, name, objs[i]));
      m.addHandle(ref, o);
      m.drop(temps);
      return;
    }
    case "newScalar": {
      const ref = op.as === "int" ? heap.int(op.value as number | bigint) : op.as === "float" ? heap.float(op.value as number) : heap.str(op.value as string);
      let o: MObj;
      if (op.as === "float") o = m.mortal("float", { value: op.value as number });
      else {
        o = m.prim(op.value);
        if (!o.immortal) o.rc = 0;
      }
      m.addHandle(ref, o);
      return;
    }
    case "append":
    case "extend": {
      const l = m.pick(op.t, ["list"]);
      if (!l) return;
      const rs = (op.op === "append" ? [op.v] : op.vs).map((a) => resolve(m, r, a));
      if (op.op === "append") l.ref.append(rs[0].val);
      else l.ref.extend(rs.map((x) => x.val));
      const { objs, temps } = m.args(rs);
      for (const c of objs) {
        m.incref(c);
        l.obj.items!.push(c);
      }
      m.drop(temps);
      return;
    }
    case "setItem":
    case "insert": {
      const l = m.pick(op.t, ["list"]);
      if (!l) return;
      const rs = [resolve(m, r, op.v)];
      const items = l.obj.items!;
      const k = norm(op.i, items.length);
      const bad = op.op === "setItem" && k < 0;
      outcome(bad ? PyIndexError : undefined, op.op, () => (op.op === "setItem" ? l.ref.set(op.i, rs[0].val) : l.ref.insert(op.i, rs[0].val)));
      const { objs, temps } = m.args(rs);
      if (op.op === "insert") {
        m.incref(objs[0]);
        const at = Math.min(Math.max(op.i < 0 ? op.i + items.length : op.i, 0), items.length);
        items.splice(at, 0, objs[0]);
      } else if (!bad) {
        // the new item is stored before the old one is dropped
        m.incref(objs[0]);
        const old = items[k];
        items[k] = objs[0];
        m.decref(old);
      }
      m.drop(temps);
      return;
    }
    case "pop": {
      const l = m.pick(op.t, ["list"]);
      if (!l) return;
      const items = l.obj.items!;
      const k = norm(op.i ?? -1, items.length);
      const ref = outcome(k < 0 ? PyIndexError : undefined, "pop", () => (op.i === undefined ? l.ref.pop() : l.ref.pop(op.i)));
      if (ref) m.addHandle(ref, items.splice(k, 1)[0], false); // the list's reference moves to the handle
      return;
    }
    case "popMany":
      // a list shrinks: its item block moves to a smaller one (which may fail under a cap)
      for (let k = 0; k < op.count; k++) step(m, r, { op: "pop", t: op.t, i: undefined });
      return;
    case "delItem": {
      const l = m.pick(op.t, ["list"]);
      if (!l) return;
      const items = l.obj.items!;
      const k = norm(op.i, items.length);
      outcome(k < 0 ? PyIndexError : undefined, "delete", () => l.ref.delete(op.i));
      if (k >= 0) m.decref(items.splice(k, 1)[0]);
      return;
    }
    case "getItem": {
      const s = m.pick(op.t, ["list", "tuple"]);
      if (!s) return;
      const k = norm(op.i, s.obj.items!.length);
      const ref = outcome(k < 0 ? PyIndexError : undefined, "get", () => s.ref.get(op.i) as Ref);
      if (ref) m.addHandle(ref, s.obj.items![k]);
      return;
    }
    case "clear": {
      const c = m.pick(op.t, ["list", "dict"]);
      if (!c) return;
      c.ref.clear();
      // detached first, then dropped: list items last to first, dict entries in order
      if (c.obj.items) {
        const old = c.obj.items;
        c.obj.items = [];
        for (let i = old.length - 1; i >= 0; i--) m.decref(old[i]);
      } else {
        const old = c.obj.entries!;
        c.obj.entries = [];
        for (const [k, v] of old) {
          m.decref(k);
          m.decref(v);
        }
      }
      return;
    }
    case "dictSet": {
      const d = m.pick(op.t, ["dict"]);
      if (!d) return;
      const rs = [resolve(m, r, op.k), resolve(m, r, op.v)];
      const bad = !hashable(peek(m, rs[0]));
      outcome(bad ? PyTypeError : undefined, "dict.set", () => d.ref.set(rs[0].val, rs[1].val));
      const { objs, temps } = m.args(rs);
      if (!bad) m.dictSet(d.obj, objs[0], objs[1]);
      m.drop(temps);
      return;
    }
    case "dictDelete":
    case "dictGet": {
      const d = m.pick(op.t, ["dict"]);
      if (!d) return;
      const rs = [resolve(m, r, op.k)];
      const key = peek(m, rs[0]);
      const entries = d.obj.entries!;
      const bad = !hashable(key);
      const at = bad ? -1 : entries.findIndex(([k]) => keyEq(k, key));
      if (op.op === "dictDelete") {
        outcome(bad ? PyTypeError : at < 0 ? PyKeyError : undefined, "dict.delete", () => d.ref.delete(rs[0].val));
        const { temps } = m.args(rs);
        if (at >= 0) {
          const [k, v] = entries.splice(at, 1)[0];
          m.decref(k);
          m.decref(v);
        }
        m.drop(temps);
      } else {
        const ref = outcome(bad ? PyTypeError : undefined, "dict.get", () => d.ref.get(rs[0].val));
        const { temps } = m.args(rs);
        if (!bad && (ref === undefined) !== at < 0) fail(`dict.get: found ${ref !== undefined}, the model says ${at >= 0}`);
        if (ref) m.addHandle(ref, entries[at][1]);
        m.drop(temps);
      }
      return;
    }
    case "dictView": {
      const d = m.pick(op.t, ["dict"]);
      if (!d) return;
      const entries = d.obj.entries!;
      if (op.which === "items") {
        const got = d.ref.items();
        if (got.length !== entries.length) fail(`items(): ${got.length} pairs, the model has ${entries.length}`);
        got.forEach(([k, v], i) => {
          m.addHandle(k, entries[i][0]);
          m.addHandle(v, entries[i][1]);
        });
      } else {
        const got = op.which === "keys" ? d.ref.keys() : d.ref.values();
        if (got.length !== entries.length) fail(`${op.which}(): ${got.length} handles, the model has ${entries.length}`);
        got.forEach((h, i) => m.addHandle(h, entries[i][op.which === "keys" ? 0 : 1]));
      }
      return;
    }
    case "dictBurst": {
      // set / delete / get on one dict with keys that collide: probe chains and dummies
      for (const [what, k, v] of op.steps) {
        const key = BURST_KEYS[k % BURST_KEYS.length];
        if (what === 0) step(m, r, { op: "dictSet", t: op.t, k: key, v: { p: BURST_VALUES[v % BURST_VALUES.length] } });
        else step(m, r, { op: what === 1 ? "dictDelete" : "dictGet", t: op.t, k: key });
      }
      return;
    }
    case "setattr": {
      const o = m.pick(op.t, ["inst"]);
      if (!o) return;
      const rs = [resolve(m, r, op.v)];
      if (o.obj.cls === "Slotted" && !SLOTS.includes(op.name)) {
        // refused before the value is converted
        outcome(PyAttributeError, "setattr", () => o.ref.setattr(op.name, rs[0].val));
        return;
      }
      o.ref.setattr(op.name, rs[0].val);
      const { objs, temps } = m.args(rs);
      m.setattr(o.obj, op.name, objs[0]);
      m.drop(temps);
      return;
    }
    case "delattr":
    case "getattr": {
      const o = m.pick(op.t, ["inst"]);
      if (!o) return;
      const v = o.obj.attrs!.get(op.name);
      if (op.op === "delattr") {
        outcome(v ? undefined : PyAttributeError, "delattr", () => o.ref.delattr(op.name));
        if (v) {
          o.obj.attrs!.delete(op.name);
          m.decref(v);
        }
      } else {
        const ref = outcome(v ? undefined : PyAttributeError, "getattr", () => o.ref.getattr(op.name));
        if (ref) m.addHandle(ref, v!);
      }
      return;
    }
    case "rawStore": {
      // heap.raw stores a borrowed id: one the container itself holds (x[i] = x[j], also i == j)
      const c = m.pick(op.t, ["list", "dict", "inst"]);
      if (!c) return;
      const o = c.obj;
      const raw = heap.raw;
      const mod = (k: number, n: number) => ((k % n) + n) % n;
      if (o.items) {
        const n = o.items.length;
        if (!n) return;
        const a = mod(op.i, n), b = mod(op.j, n);
        raw.setitem(o.id, a, raw.getitem(o.id, b));
        const v = o.items[b];
        m.incref(v);
        const old = o.items[a];
        o.items[a] = v;
        m.decref(old);
      } else if (o.entries) {
        const n = o.entries.length;
        if (!n) return;
        const k = o.entries[mod(op.i, n)][0];
        const [kj, v] = o.entries[mod(op.j, n)];
        raw.dictSet(o.id, k.id, raw.dictGet(o.id, kj.id));
        m.dictSet(o, k, v);
      } else {
        const names = o.cls === "Slotted" ? SLOTS : NAMES;
        const from = names[mod(op.i, names.length)], to = names[mod(op.j, names.length)];
        const v = o.attrs!.get(from);
        if (!v) return;
        if (o.cls === "Slotted") raw.setslot(o.id, SLOTS.indexOf(to), raw.getslot(o.id, SLOTS.indexOf(from)));
        else raw.setattr(o.id, to, raw.getattr(o.id, from));
        m.setattr(o, to, v);
      }
      return;
    }
    case "dup": {
      const h = m.pick(op.h);
      if (h) m.addHandle(h.ref.dup(), h.obj);
      return;
    }
    case "release": {
      const h = m.pick(op.h);
      if (!h) return;
      h.ref.release();
      m.release(h);
      return;
    }
    case "releaseSome": {
      const victims = m.handles.filter((_, i) => (i * 7919) % 100 < op.fraction * 100);
      for (const h of victims) {
        h.ref.release();
        m.release(h);
      }
      return;
    }
    case "wrongType": {
      const h = m.pick(op.h);
      if (!h || SUPPORTS[op.method].includes(h.obj.kind)) return;
      const ref = h.ref;
      const call: Record<Method, () => unknown> = {
        append: () => ref.append(1000), pop: () => ref.pop(), keys: () => ref.keys(), setattr: () => ref.setattr("x", 1000),
        getattr: () => ref.getattr("x"), clear: () => ref.clear(), get: () => ref.get(0), set: () => ref.set(0, 1000),
        length: () => ref.length,
      };
      outcome(PyTypeError, `${op.method} on ${h.obj.kind}`, call[op.method]);
      return;
    }
    case "useReleased": {
      // a released handle: release() again does nothing, anything else is PyReferenceError,
      // and temporaries converted before it is met are dropped
      if (!m.released.length) return;
      const dead = m.released[op.h % m.released.length];
      dead.release();
      outcome(PyReferenceError, "dup of a released handle", () => dead.dup());
      const rs = [resolve(m, r, op.v)];
      outcome(PyReferenceError, "list([v, released])", () => heap.list([rs[0].val, dead]));
      m.drop(m.args(rs).temps);
      return;
    }
    case "scope": {
      stats.scopes++;
      m.scopes.push([]);
      let ret: Handle | undefined;
      let ok = true;
      try {
        const result = heap.scope(() => {
          for (const sub of op.ops) step(m, r, sub);
          if (op.throws) throw new ScopeAbort();
          ret = op.ret === undefined ? undefined : m.pick(op.ret);
          return ret?.ref;
        });
        if (result !== ret?.ref) fail("scope() returned something else");
      } catch (e) {
        if (!(e instanceof ScopeAbort)) throw e;
        ok = false;
      }
      // the scope's handles are released in creation order, except the one returned,
      // which then belongs to the enclosing scope
      const created = m.scopes.pop()!;
      for (const h of created) {
        if (ok && h === ret) continue;
        if (h.live) m.release(h);
        if (h.ref.alive) fail(`a handle made in the scope is still alive: ${show(h.obj)}`);
      }
      if (ok && ret && created.includes(ret) && m.scopes.length) m.scopes[m.scopes.length - 1].push(ret);
      return;
    }
    case "ballast": {
      // use memory up with heap.mem blocks until the cap refuses one; size 0: every
      // block size, large ones first, then each size class (no room left anywhere)
      const sizes = op.size ? [op.size] : [1 << 16, 4096, ...Array.from({ length: 64 }, (_, i) => 512 - 8 * i)];
      for (const size of sizes) {
        for (let i = 0; i < op.count; i++) {
          try {
            r.ballast.push(heap.mem.malloc(size));
          } catch (e) {
            if (!(e instanceof PyMemoryError)) throw e;
            break;
          }
        }
      }
      return;
    }
    case "squeeze": {
      // operations with no memory left at all, then the memory back
      const mark = r.ballast.length;
      apply(m, r, { op: "ballast", size: 0, count: 1 << 20 });
      for (const sub of op.ops) step(m, r, sub);
      for (const p of r.ballast.splice(mark)) heap.mem.free(p);
      return;
    }
    case "unballast": {
      const keep: number[] = [];
      r.ballast.forEach((p, i) => ((i * 7919) % 100 < op.fraction * 100 ? heap.mem.free(p) : keep.push(p)));
      r.ballast = keep;
      return;
    }
  }
}

// ---- checks -----------------------------------------------------------------------------------
function verify(m: Model, r: Real): void {
  stats.steps++;
  const heap = r.heap;
  const raw = heap.raw;
  const x = raw.exports;

  // what was freed
  const freed = x.dealloc_count() - r.base;
  if (freed !== m.freed) fail(`the engine freed ${freed} objects, the model ${m.freed}`);
  const got = r.dels.splice(0);
  const want = m.dels.splice(0);
  stats.dels += want.length;
  expect(got.map((d) => d.id), "del hooks run (instance ids, in order)").toEqual(want);
  for (const d of got) if (d.rc !== 1) fail(`del hook of 0x${d.id.toString(16)} saw refcount ${d.rc}`);

  // contents of every live container; ids of temporaries are learnt here
  const incoming = new Map<MObj, number>();
  const child = (o: MObj, c: MObj, id: number, where: string) => {
    if (!id) fail(`${show(o)}${where}: empty in the engine, the model has ${show(c)}`);
    m.learn(c, id);
    incoming.set(c, (incoming.get(c) ?? 0) + 1);
  };
  for (const o of m.live) {
    const id = o.id;
    if (o.items) {
      const n = raw.len(id);
      if (n !== o.items.length) fail(`${show(o)} has ${n} items, the model ${o.items.length}`);
      o.items.forEach((c, i) => child(o, c, (o.kind === "list" ? x.list_get(id, i) : x.tuple_get(id, i)) >>> 0, `[${i}]`));
    } else if (o.entries) {
      const n = raw.len(id);
      if (n !== o.entries.length) fail(`${show(o)} has ${n} entries, the model ${o.entries.length}`);
      let i = 0;
      for (let p = x.dict_next(id, 0); p >= 0; p = x.dict_next(id, p + 1), i++) {
        if (i >= n) fail(`${show(o)}: iteration gives more than len() = ${n} entries`);
        const [k, v] = o.entries[i];
        child(o, k, x.dict_key_at(id, p) >>> 0, ` key ${i}`);
        child(o, v, x.dict_value_at(id, p) >>> 0, ` value ${i}`);
      }
      if (i !== n) fail(`${show(o)}: iteration gave ${i} entries, len() ${n}`);
    } else if (o.attrs) {
      if (o.cls === "Slotted") {
        SLOTS.forEach((s, i) => {
          const v = x.slot_get(id, i) >>> 0;
          const c = o.attrs!.get(s);
          if (!c) {
            if (v) fail(`${show(o)}.${s} is set in the engine, unset in the model`);
          } else child(o, c, v, `.${s}`);
        });
        x.clear_error();
      } else {
        const n = x.attr_count(id);
        const names = [...o.attrs.keys()];
        if (n !== names.length) fail(`${show(o)} has ${n} attributes, the model ${names.length}`);
        names.forEach((s, i) => {
          const name = raw.toJS(x.attr_name(id, i) >>> 0);
          if (name !== s) fail(`${show(o)}: attribute ${i} is ${String(name)}, the model says ${s}`);
          child(o, o.attrs!.get(s)!, x.attr_value(id, i) >>> 0, `.${s}`);
        });
      }
    }
  }

  // reference counts
  for (const o of m.live) {
    if (!o.id) fail(`${show(o)} is alive but no handle or container shows it`);
    const expected = o.handles + (incoming.get(o) ?? 0);
    if (o.rc !== expected) fail(`model: ${show(o)} counts ${o.rc}, handles + references make ${expected}`);
    const type = raw.type(o.id);
    if (type !== (o.cls ?? TYPE_NAME[o.kind])) fail(`${show(o)} has type ${type} in the engine`);
    const rc = raw.refcount(o.id);
    if (rc !== o.rc) fail(`${show(o)}: refcount ${rc}, the model says ${o.rc}`);
  }
  for (const o of incoming.keys()) {
    if (o.immortal && raw.refcount(o.id) !== IMMORTAL_REFCNT) fail(`immortal ${show(o)} is not immortal`);
  }
  for (const h of m.handles) {
    const o = h.obj;
    if (!h.ref.alive || h.ref.id !== o.id) fail(`a handle of ${show(o)} is released or moved`);
    const rc = heap.sys.getrefcount(h.ref);
    if (rc !== (o.immortal ? IMMORTAL_REFCNT : o.rc)) fail(`getrefcount(${show(o)}) = ${rc}, the model says ${o.immortal ? "immortal" : o.rc}`);
    if (o.value !== undefined) {
      const js = h.ref.toJS();
      const v = o.kind === "int" || o.kind === "bool" ? BigInt(js as number | bigint | boolean) : js;
      if (v !== o.value) fail(`${show(o)} holds ${String(js)}, the model says ${String(o.value)}`);
    }
  }
}

// ---- generators -----------------------------------------------------------------------------
const prims: PyValue[] = [0, 1, 7, 256, -5, true, false, null, 257, -6, 1000, 2 ** 40, 2n ** 70n, 0.5, -2.25, "", "a", "b", "key", "é"];
// 0, 8, 16, 1000 and 2**40 share their slot in a dict's first table: long probe chains;
// hash(-1) == hash(-2) as in CPython, so (-1,) and (-2,) are different keys of one hash
const keyPrims: PyValue[] = [0, 1, 8, 16, -1, -2, true, false, null, 1000, 2 ** 40, 0.5, "", "a", "b", "key"];
const BURST_KEYS: Arg[] = [
  ...[0, 8, 16, 24, 1000, 2 ** 40, true, 9, 1000.5, "a", -1, -2].map((p): Arg => ({ p })),
  ...[[-1], [-2], [0, "a"]].map((t): Arg => ({ tuple: t })),
];
const BURST_VALUES: PyValue[] = [0, 1, 300, "v", null];

const pickN = fc.nat({ max: 1 << 16 });
const handleArg = (of: "any" | "hashable" | "tuple") =>
  fc.tuple(pickN, fc.nat({ max: 4 })).map(([h, g]): Arg => (g < 2 ? { h, of, give: true } : { h, of }));
const fresh = fc.constantFrom<ClassName>("Slotted", "Plain").map((c): Arg => ({ fresh: c }));
const arg: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 3, arbitrary: handleArg("any") },
  { weight: 1, arbitrary: fresh },
  { weight: 2, arbitrary: fc.constantFrom(...prims).map((p): Arg => ({ p })) },
);
const keyArg: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...keyPrims).map((p): Arg => ({ p })) },
  { weight: 2, arbitrary: handleArg("hashable") },
  { weight: 2, arbitrary: handleArg("tuple") },
  { weight: 1, arbitrary: handleArg("any") },
  { weight: 1, arbitrary: fresh },
  { weight: 2, arbitrary: fc.constantFrom<PyValue[]>([0], ["a"], [0, "a"], [1000, "key"], [0.5], [null, true], [-1], [-2]).map((t): Arg => ({ tuple: t })) },
);
const index = fc.integer({ min: -4, max: 5 });
const name = fc.constantFrom(...NAMES);

const popMany: fc.Arbitrary<Op> = fc.record({ op: fc.constant("popMany" as const), t: pickN, count: fc.integer({ min: 2, max: 12 }) });
const baseOps: fc.WeightedArbitrary<Op>[] = [
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("newList" as const, "newTuple" as const), items: fc.array(arg, { maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("newDict" as const), pairs: fc.array(fc.tuple(keyArg, arg), { maxLength: 3 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("newInst" as const),
      cls: fc.constantFrom<ClassName>("Slotted", "Plain"),
      attrs: fc.option(fc.array(fc.tuple(name, arg), { maxLength: 4 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom(5, 300, -7, 2 ** 40, 2n ** 70n).map((value): Op => ({ op: "newScalar", as: "int", value })),
      fc.constantFrom(1, 1000, 0.5).map((value): Op => ({ op: "newScalar", as: "float", value })),
      fc.constantFrom("", "a", "key", "é").map((value): Op => ({ op: "newScalar", as: "str", value })),
    ),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("append" as const), t: pickN, v: arg }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("extend" as const), t: pickN, vs: fc.array(arg, { maxLength: 10 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("setItem" as const, "insert" as const), t: pickN, i: index, v: arg }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("pop" as const), t: pickN, i: fc.option(index, { nil: undefined }) }) },
  { weight: 1, arbitrary: popMany },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom("delItem" as const, "getItem" as const), t: pickN, i: index }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("clear" as const), t: pickN }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("dictSet" as const), t: pickN, k: keyArg, v: arg }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom("dictDelete" as const, "dictGet" as const), t: pickN, k: keyArg }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("dictView" as const), t: pickN, which: fc.constantFrom("keys" as const, "values" as const, "items" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("dictBurst" as const),
      t: pickN,
      steps: fc.array(fc.tuple(fc.constantFrom<0 | 1 | 2>(0, 0, 1, 2), fc.nat(), fc.nat()), { minLength: 2, maxLength: 12 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("setattr" as const), t: pickN, name, v: arg }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("delattr" as const), t: pickN, name }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("getattr" as const), t: pickN, name }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("rawStore" as const), t: pickN, i: fc.integer({ min: -3, max: 3 }), j: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("dup" as const), h: pickN }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant("release" as const), h: pickN }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("releaseSome" as const), fraction: fc.constantFrom(0.3, 0.6, 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("wrongType" as const),
      h: pickN,
      method: fc.constantFrom<Method>("append", "pop", "keys", "setattr", "getattr", "clear", "get", "set", "length"),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("useReleased" as const), h: pickN, v: arg }) },
];
/** Under a cap: fill memory with heap.mem blocks, give some back. */
const ballastOps: fc.WeightedArbitrary<Op>[] = [
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("ballast" as const),
      size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 512 }), fc.integer({ min: 513, max: 100_000 })),
      count: fc.constantFrom(10, 1000, 100_000),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("unballast" as const), fraction: fc.constantFrom(0.05, 0.3, 1) }) },
];

/** Operations, with heap.scope around some of them (two deep at most). */
function opsArbitrary(capped: boolean): fc.Arbitrary<Op> {
  let base = fc.oneof(...baseOps, ...(capped ? ballastOps : []));
  if (capped) {
    // popMany shrinks lists, which must not fail when memory is short
    const inner = fc.oneof({ weight: 4, arbitrary: fc.oneof(...baseOps) }, { weight: 1, arbitrary: popMany });
    const squeeze = fc.record({ op: fc.constant("squeeze" as const), ops: fc.array(inner, { minLength: 1, maxLength: 6 }) });
    base = fc.oneof({ weight: 8, arbitrary: base }, { weight: 1, arbitrary: squeeze });
  }
  const scopeOf = (inner: fc.Arbitrary<Op>): fc.Arbitrary<Op> =>
    fc.record({
      op: fc.constant("scope" as const),
      ops: fc.array(inner, { maxLength: 8 }),
      ret: fc.option(pickN, { nil: undefined }),
      throws: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    });
  return fc.oneof(
    { weight: 20, arbitrary: base },
    { weight: 1, arbitrary: scopeOf(fc.oneof({ weight: 8, arbitrary: base }, { weight: 1, arbitrary: scopeOf(base) })) },
  );
}

const showValue = (_k: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);
class Step implements fc.Command<Model, Real> {
  constructor(readonly op: Op) {}
  check() { return true; }
  run(m: Model, r: Real) { step(m, r, this.op); }
  toString() { return JSON.stringify(this.op, showValue); }
}

async function setup(capped: boolean): Promise<{ m: Model; r: Real }> {
  const heap = await newHeap(capped ? { maxMemory: 3 << 20 } : {});
  const dels: Real["dels"] = [];
  const del = (self: Ref) => dels.push({ id: self.id, rc: heap.sys.getrefcount(self) });
  const cls = {
    Slotted: heap.defineClass("Slotted", { slots: SLOTS, del }),
    Plain: heap.defineClass("Plain", { del }),
  };
  // attribute names are interned once per heap, and become the Plain class's shared keys
  // in this order: do it before counting
  const warm = cls.Plain.new(Object.fromEntries(NAMES.map((n) => [n, null])));
  warm.release();
  dels.length = 0;
  const x = heap.raw.exports;
  return { m: new Model(x), r: { heap, cls, dels, base: x.dealloc_count(), capped, ballast: [] } };
}

/** numRuns command sequences of up to maxCommands steps, each on a fresh heap (capped: 3 MiB). */
async function runModel(numRuns: number, maxCommands: number, capped = false): Promise<typeof stats> {
  Object.assign(stats, { steps: 0, errors: 0, memoryErrors: 0, freed: 0n, dels: 0, scopes: 0, leaked: 0 });
  const cmds = fc.commands([opsArbitrary(capped).map((op) => new Step(op))], { maxCommands, size: "large" });
  await fc.assert(
    fc.asyncProperty(cmds, async (cmds) => {
      const { m, r } = await setup(capped);
      try {
        fc.modelRun(() => ({ model: m, real: r }), cmds);
        // the end: every handle released; what stays alive is held by cycles only
        for (const h of [...m.handles]) {
          h.ref.release();
          m.release(h);
        }
        verify(m, r);
        stats.freed += m.freed;
        stats.leaked += m.live.size;
        expect(r.heap.mem.check()).toBe(0);
      } finally {
        r.heap.close();
      }
    }),
    { numRuns },
  );
  return { ...stats };
}

describe("objects and reference counts against a model", () => {
  it("holds every count, content and free over random operations", async () => {
    const s = await runModel(200, 80);
    // the runs did something: many steps, frees, del hooks, expected errors, scopes and cycles
    expect(s.steps).toBeGreaterThan(5000);
    expect(s.freed).toBeGreaterThan(2000n);
    expect(s.dels).toBeGreaterThan(300);
    expect(s.errors).toBeGreaterThan(200);
    expect(s.scopes).toBeGreaterThan(50);
    expect(s.leaked).toBeGreaterThan(20);
  });

  it("holds them over long sequences (bigger graphs, more cycles)", async () => {
    const s = await runModel(60, 500);
    expect(s.steps).toBeGreaterThan(10_000);
  });

  it("changes nothing but its temporaries when an operation runs out of memory (3 MiB maxMemory)", async () => {
    const s = await runModel(150, 150, true);
    expect(s.memoryErrors).toBeGreaterThan(100);
  });
});
