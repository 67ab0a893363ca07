/**
 * The fuzzer's operations. Each picks its targets from the pool, predicts what the call
 * must do from the models (only when no outer operation on the same object is in flight),
 * runs it through Fuzzer.attempt, updates the models and re-checks them.
 */
import {
  IMMORTAL_REFCNT, PyAttributeError, PyBufferError, PyIndexError, PyKeyError, PyMemoryError, PyReferenceError, PyRuntimeError,
  PyTypeError, PyValueError, Ref, type Finalize, type PyClass, type PyValue,
} from "../../src/node.js";
import type { Entry, ErrClass, Fuzzer, Model } from "./fuzzer.js";
import { OPAQUE, UNHASHABLE, canon, canonRef, predictable } from "./canon.js";
import {
  IDENT, attrName, collisionKey, entriesOf, entryOf, fresh, jsValue, key, primitive, releaseAll, value,
} from "./values.js";
import { opHostile } from "./hostile.js";

export interface Op {
  name: string;
  run: (f: Fuzzer) => void;
  /** Too slow or too disruptive to run from inside a hook. */
  heavy?: boolean;
}

const op = (name: string, run: (f: Fuzzer) => void, heavy = false): Op => ({ name, run, heavy });

// ---- helpers -----------------------------------------------------------------------------

/** Keeps a handle the operation got (sometimes), or releases it. */
function keepOrRelease(f: Fuzzer, r: Ref, p = 0.15): void {
  if (f.rng.chance(p) && !isInstanceDict(f, r)) f.add(r);
  else r.release();
}

/**
 * Might r be an instance's own attribute dict (CPython 3.11's materialized __dict__: an
 * instance whose class's shared keys are full keeps its attributes there)? The pool's
 * model of a dict cannot follow the instance's setattr and delattr, so such a dict,
 * met through gc.getReferents or gc.getObjects, is not kept. gc.getReferrers sees only
 * the generations: with objects frozen (the permanent generation), or inside a hook (a
 * collection's unreachable objects are in none), it may miss the instance, and the
 * answer is "maybe"; so it is when the heap has no room for getReferrers' list.
 */
function isInstanceDict(f: Fuzzer, r: Ref): boolean {
  if (r.type !== "dict") return false;
  if (f.heap.gc.getFreezeCount() > 0 || f.hookDepth > 0) return true;
  let holders: Ref[];
  try {
    holders = f.heap.gc.getReferrers(r);
  } catch (e) {
    if (e instanceof PyMemoryError) return true; // (a small maxMemory: no room for the answer)
    throw e;
  }
  let yes = false;
  for (const x of holders) {
    if (!["list", "tuple", "dict", "set", "frozenset", "memoryview", "weakref.ReferenceType", "weakref.ProxyType"].includes(x.type)) yes = true;
    x.release();
  }
  return yes;
}

function keysModel(ks: string[]): Model {
  return { t: "keys", keys: new Set(ks), opaque: ks.some((k) => k === OPAQUE) };
}

/** Model length of a sized entry, when it can be trusted for a prediction. */
function modelLen(f: Fuzzer, e: Entry): number | undefined {
  if (f.busy(e)) return undefined;
  const m = f.model(e);
  if (m?.t === "len") return m.len;
  if (m?.t === "keys" && !m.opaque) return m.keys.size;
  if (m?.t === "bytes") return m.data.length;
  return undefined;
}

const inRange = (i: number, len: number | undefined): boolean | undefined =>
  len === undefined ? undefined : i >= -len && i < len;

/** The expected outcome from a yes/no/unknown prediction. */
const outcome = (ok: boolean | undefined, err: ErrClass): ErrClass | null | undefined => (ok === undefined ? undefined : ok ? null : err);

function randomIndex(f: Fuzzer, len: number | undefined): number {
  const n = len ?? 4;
  const r = f.rng.next();
  if (r < 0.05) return f.rng.pick([2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 53)]);
  return f.rng.range(-n - 2, n + 1);
}

function hasKeys(m: Model | undefined): m is Extract<Model, { t: "keys" }> {
  return m?.t === "keys";
}

/** Adds a canonical key to a keys model (an opaque key makes the model stop predicting). */
function addKey(m: Model | undefined, k: string): void {
  if (!hasKeys(m)) return;
  if (k === OPAQUE) m.opaque = true;
  else m.keys.add(k);
}

/**
 * Removes a canonical key from a keys model. An opaque key (a handle to a NaN float, say)
 * may be the very object a key of the model was made as, so which key went is unknown: the
 * model stops predicting.
 */
function removeKey(m: Model | undefined, k: string): void {
  if (!hasKeys(m)) return;
  if (k === OPAQUE) m.opaque = true;
  else m.keys.delete(k);
}

/** What a call taking key k must do: refuse an unhashable key; an opaque one may go either way. */
const keyExpect = (k: string): ErrClass | null | undefined => (k === UNHASHABLE ? PyTypeError : k === OPAQUE ? undefined : null);

/** Membership of k predicted by the model: true/false, or undefined when it cannot say. */
function predictHas(f: Fuzzer, e: Entry, k: string): boolean | undefined {
  const m = f.model(e);
  if (f.busy(e) || !hasKeys(m) || m.opaque || !predictable(k)) return undefined;
  return m.keys.has(k);
}

// ---- making objects -------------------------------------------------------------------------

export function opMake(f: Fuzzer): void {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const rng = f.rng;
  const kind = rng.pick(["list", "tuple", "dict", "set", "frozenset", "from", "inst", "inst", "scalar", "cycle"] as const);
  if (kind === "from") return makeFrom(f);
  if (kind === "inst") return void makeInstance(f, rng.pick(f.cls.all));
  if (kind === "scalar") return makeScalar(f);
  if (kind === "cycle") return makeGarbageCycle(f);
  const temps: Ref[] = [];
  const n = rng.chance(0.1) ? rng.range(8, 100) : rng.int(8);
  try {
    if (kind === "list" || kind === "tuple") {
      const items = Array.from({ length: n }, () => value(f, temps));
      const r = f.attempt(`heap.${kind}`, () => (kind === "list" ? f.heap.list(items) : f.heap.tuple(items)), { since, expect: null, touch: entriesOf(f, items) });
      if (r.ok) f.add(r.value, { model: { t: "len", len: n } });
    } else if (kind === "dict") {
      const pairs = Array.from({ length: n }, () => [key(f, temps), value(f, temps)] as [PyValue, PyValue]);
      const ks = pairs.map(([k]) => canon(k));
      const r = f.attempt("heap.dict", () => f.heap.dict(pairs), { since, expect: ks.includes(UNHASHABLE) ? PyTypeError : ks.includes(OPAQUE) ? undefined : null, touch: entriesOf(f, pairs.flat()) });
      if (r.ok) f.add(r.value, { model: keysModel(ks) });
    } else {
      const items = Array.from({ length: n }, () => key(f, temps));
      const ks = items.map((k) => canon(k));
      const r = f.attempt(`heap.${kind}`, () => (kind === "set" ? f.heap.set(items) : f.heap.frozenset(items)), { since, expect: ks.includes(UNHASHABLE) ? PyTypeError : ks.includes(OPAQUE) ? undefined : null, touch: entriesOf(f, items) });
      if (r.ok) f.add(r.value, { model: keysModel(ks) });
    }
  } finally {
    releaseAll(temps);
  }
}

/** What heap.from() must do with a JS structure: its error, or the root's model. */
function fromPrediction(js: unknown): { expect: ErrClass | null | undefined; model?: Model } {
  let unknown = false;
  let unhashable = false;
  const seen = new Set<object>();
  const keyCheck = (k: unknown) => {
    const c = k instanceof Ref || k === null || typeof k !== "object" || k instanceof Uint8Array ? canon(k) : UNHASHABLE;
    if (c === UNHASHABLE) unhashable = true;
    if (c === OPAQUE) unknown = true;
  };
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== "object" || v instanceof Ref || v instanceof Uint8Array || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) v.forEach(walk);
    else if (v instanceof Map) for (const [k, x] of v) { keyCheck(k); walk(k); walk(x); }
    else if (v instanceof Set) for (const x of v) { keyCheck(x); walk(x); }
    else Object.values(v).forEach(walk);
  };
  walk(js);
  if (unhashable) return { expect: unknown ? undefined : PyTypeError };
  const expect = unknown ? undefined : null;
  if (Array.isArray(js)) return { expect, model: { t: "len", len: js.length } };
  if (js instanceof Map) return { expect, model: keysModel([...js.keys()].map((k) => canon(k))) };
  if (js instanceof Set) return { expect, model: keysModel([...js].map((k) => canon(k))) };
  if (js instanceof Uint8Array) return { expect, model: { t: "bytes", data: Array.from(js) } };
  if (js !== null && typeof js === "object" && !(js instanceof Ref)) return { expect, model: keysModel(Object.keys(js).map((k) => `s:${k}`)) };
  return { expect };
}

/** A JS structure as the log shows it (shared and cyclic parts as #n). */
export function jsText(v: unknown, seen = new Map<object, number>()): string {
  if (v instanceof Ref) return `<handle ${v.alive ? v.type : "released"}>`;
  if (typeof v === "bigint") return `${v > 2n ** 64n || v < -(2n ** 64n) ? "huge" : v}n`;
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || typeof v !== "object") return String(v);
  if (seen.has(v)) return `#${seen.get(v)}`;
  seen.set(v, seen.size);
  const tag = `#${seen.get(v)}=`;
  if (v instanceof Uint8Array) return `${tag}u8[${v.length}]`;
  if (Array.isArray(v)) return `${tag}[${v.map((x) => jsText(x, seen)).join(", ")}]`;
  if (v instanceof Map) return `${tag}Map{${[...v].map(([k, x]) => `${jsText(k, seen)} => ${jsText(x, seen)}`).join(", ")}}`;
  if (v instanceof Set) return `${tag}Set{${[...v].map((x) => jsText(x, seen)).join(", ")}}`;
  return `${tag}{${Object.entries(v).map(([k, x]) => `${k}: ${jsText(x, seen)}`).join(", ")}}`;
}

function makeFrom(f: Fuzzer): void {
  const js = jsValue(f, 0, []);
  const p = fromPrediction(js);
  f.log(`heap.from(${jsText(js)})`);
  const cyclic = /#\d+(?![\d=])/.test(jsText(js)); // a part met twice: shared, maybe cyclic
  const r = f.attempt("heap.from", () => f.heap.from(js as never), { expect: p.expect, touch: js instanceof Ref ? entriesOf(f, [js]) : [], cyclic });
  if (r.ok) f.add(r.value, { model: js instanceof Ref ? undefined : p.model });
}

/** Class.new(attrs): names checked first (the first bad one decides the error). */
export function makeInstance(f: Fuzzer, cls: PyClass): Ref | undefined {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const temps: Ref[] = [];
  const probe: { cls: PyClass } = { cls };
  const n = f.rng.int(cls.slots ? cls.slots.length + 1 : 5);
  const names = [...new Set(Array.from({ length: n }, () => attrName(f, probe as Entry)))];
  const values = names.map(() => value(f, temps));
  const attrs = Object.fromEntries(names.map((k, i) => [k, values[i]]));
  const bad = Object.keys(attrs).find((k) => (cls.slots ? !cls.slots.includes(k) : !IDENT.test(k)));
  const expect = bad === undefined ? null : cls.slots ? PyAttributeError : PyValueError;
  try {
    const r = f.attempt(`${cls.name}.new`, () => cls.new(attrs), { expect, touch: entriesOf(f, values) });
    if (!r.ok) return undefined;
    f.add(r.value, { model: { t: "attrs", present: new Set(names), complete: true } });
    return r.value;
  } finally {
    releaseAll(temps);
  }
}

function makeScalar(f: Fuzzer): void {
  const h = f.heap;
  const rng = f.rng;
  const v = primitive(rng);
  const make: Array<() => Ref> = [
    () => h.int(typeof v === "bigint" ? v : rng.int(1e9)),
    () => h.float(typeof v === "number" ? v : 0.5),
    () => h.str(typeof v === "string" ? v : `str${rng.int(1000)}`),
    () => h.str("long".repeat(rng.range(100, 400))),
  ];
  const r = f.attempt("scalar", rng.pick(make), { expect: null });
  if (r.ok) f.add(r.value);
}

/** Two or three finalizer-carrying instances in a cycle, dropped at once: the collector's garbage. */
function makeGarbageCycle(f: Fuzzer): void {
  const rng = f.rng;
  const classes = [f.cls.del, f.cls.legacy, f.cls.weakSlotted, f.cls.plain];
  const objs: Ref[] = [];
  for (let i = rng.range(2, 3); i > 0; i--) {
    const o = fresh(f, "cycle member", () => rng.pick(classes).new());
    if (o) objs.push(o);
  }
  objs.forEach((o, i) => {
    const next = objs[(i + 1) % objs.length];
    f.attempt("link the cycle", () => o.setattr(o.type === "WeakSlotted" ? "a" : "peer", next));
  });
  f.log(`garbage cycle of ${objs.map((o) => o.type).join(", ")}`);
  for (const o of objs) f.attempt("drop a cycle member", () => o.release(), { expect: null });
}

// ---- lists ----------------------------------------------------------------------------------

function opList(f: Fuzzer): void {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const e = f.pick((x) => x.kind === "list");
  if (!e) return opMake(f);
  const rng = f.rng;
  const temps: Ref[] = [];
  const len = modelLen(f, e);
  const r = e.ref;
  const changed = (d: number | "clear") => {
    const m = f.changed(e);
    if (m?.t === "len") m.len = d === "clear" ? 0 : m.len + d;
  };
  try {
    switch (rng.int(9)) {
      case 0: {
        const v = value(f, temps);
        if (f.attempt("list.append", () => r.append(v), { since, expect: null, touch: [e, ...entriesOf(f, [v])] }).ok) changed(1);
        break;
      }
      case 1: {
        const vs = Array.from({ length: rng.int(6) }, () => value(f, temps));
        const iterable: Iterable<PyValue> = rng.chance(0.3) ? new Set(vs) : vs;
        const n = iterable instanceof Set ? iterable.size : vs.length;
        if (f.attempt("list.extend", () => r.extend(iterable), { since, expect: null, touch: [e, ...entriesOf(f, vs)] }).ok) changed(n);
        break;
      }
      case 2: {
        const i = randomIndex(f, len), v = value(f, temps);
        if (f.attempt(`list.insert(${i})`, () => r.insert(i, v), { since, expect: null, touch: [e, ...entriesOf(f, [v])] }).ok) changed(1);
        break;
      }
      case 3: {
        const i = randomIndex(f, len), v = value(f, temps);
        const res = f.attempt(`list.set(${i})`, () => r.set(i, v), { since, expect: outcome(inRange(i, len), PyIndexError), touch: [e, ...entriesOf(f, [v])] });
        if (res.ok && res.calm && v instanceof Ref && v.alive && !e.removed && !f.busy(e)) {
          const got = f.attempt("list.get after set", () => r.get(i) as Ref);
          if (got.ok) {
            f.check(got.value.is(v), `list.set(${i}, x) then get(${i}) is not x`);
            got.value.release();
          }
        }
        break;
      }
      case 4: {
        const i = randomIndex(f, len);
        if (f.attempt(`list.delete(${i})`, () => r.delete(i), { since, expect: outcome(inRange(i, len), PyIndexError), touch: [e] }).ok) changed(-1);
        break;
      }
      case 5: {
        const i = rng.chance(0.5) ? undefined : randomIndex(f, len);
        const ok = len === undefined ? undefined : i === undefined ? len > 0 : inRange(i, len);
        const res = f.attempt(`list.pop(${i ?? ""})`, () => (i === undefined ? r.pop() : r.pop(i)), { since, expect: outcome(ok, PyIndexError), touch: [e] });
        if (res.ok) {
          changed(-1);
          keepOrRelease(f, res.value, 0.3);
        }
        break;
      }
      case 6: {
        const i = randomIndex(f, len);
        const res = f.attempt(`list.get(${i})`, () => r.get(i) as Ref, { since, expect: outcome(inRange(i, len), PyIndexError), touch: [e] });
        if (res.ok) keepOrRelease(f, res.value, 0.3);
        break;
      }
      case 7:
        if (rng.chance(0.3) && f.attempt("list.clear", () => r.clear(), { since, expect: null, touch: [e] }).ok) changed("clear");
        break;
      default: {
        // a handle as the iterable: list.extend(t), list(t), tuple(t), set(t) (FOUND-1, fixed)
        const src = f.pick((x) => x.kind === "tuple" || x.kind === "list" || x.kind === "set" || x.kind === "frozenset");
        if (!src) break;
        const n = modelLen(f, src);
        if (rng.chance(0.5)) {
          if (f.attempt("list.extend(a handle)", () => r.extend(src.ref as never), { since, touch: [e, src] }).ok) {
            if (n === undefined || src.id === e.id) markDirty(f, e);
            else changed(n);
          }
          break;
        }
        const which = rng.pick(["list", "tuple", "set", "frozenset"] as const);
        const made = f.attempt(`heap.${which}(a handle)`, () => f.heap[which](src.ref as never), { since, touch: [src] });
        if (made.ok) f.add(made.value, { model: which === "list" || which === "tuple" ? (n === undefined ? undefined : { t: "len", len: n }) : undefined });
      }
    }
  } finally {
    releaseAll(temps);
  }
  f.verify(e);
}

/** Forgets an entry's model contents: it is read again from the object. */
function markDirty(f: Fuzzer, e: Entry): void {
  f.reread(e);
}

// ---- dicts and sets -----------------------------------------------------------------------------

function opDict(f: Fuzzer): void {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const e = f.pick((x) => x.kind === "dict");
  if (!e) return opMake(f);
  const rng = f.rng;
  const temps: Ref[] = [];
  const r = e.ref;
  try {
    const k = key(f, temps);
    const ck = canon(k);
    const unhashable = ck === UNHASHABLE;
    const has = predictHas(f, e, ck);
    const touch = [e, ...entriesOf(f, [k])];
    switch (rng.int(7)) {
      case 0: {
        const v = value(f, temps);
        const res = f.attempt("dict.set", () => r.set(k, v), { since, expect: keyExpect(ck), touch: [...touch, ...entriesOf(f, [v])] });
        if (!res.ok) break;
        addKey(f.changed(e), ck);
        if (predictHas(f, e, ck) && f.hookEpoch === res.epoch) {
          // (get may allocate a temporary key: on a heap under maxMemory it may fail)
          const res2 = f.attempt("dict.get after set", () => r.get(k), { expect: null, touch: [e] });
          if (res2.ok && res2.calm) {
            const got = res2.value;
            f.check(got !== undefined && (!(v instanceof Ref) || !v.alive || got.is(v)), `dict.set(k, v) then get(k) is ${got ? short(got) : "absent"}`);
          }
          if (res2.ok) res2.value?.release();
        }
        break;
      }
      case 1: {
        const res = f.attempt("dict.get", () => r.get(k), { since, expect: keyExpect(ck), touch });
        if (!res.ok) break;
        if (has !== undefined) f.check((res.value !== undefined) === has, `dict.get(${ck}) is ${res.value === undefined ? "absent" : "present"}, the model says otherwise`, "model: membership");
        if (res.value) keepOrRelease(f, res.value);
        break;
      }
      case 2: {
        const res = f.attempt("dict.delete", () => r.delete(k), { since, expect: ck === OPAQUE ? undefined : unhashable ? PyTypeError : outcome(has, PyKeyError), touch });
        const m = f.changed(e);
        if (res.ok) removeKey(m, ck);
        break;
      }
      case 3: {
        const res = f.attempt("dict.has", () => r.has(k), { since, expect: keyExpect(ck), touch });
        if (res.ok && has !== undefined) f.check(res.value === has, `dict.has(${ck}) is ${res.value}, the model says ${has}`, "model: membership");
        break;
      }
      case 4: {
        const which = rng.pick(["keys", "values", "items"] as const);
        const len = modelLen(f, e);
        const res = f.attempt(`dict.${which}`, () => (which === "items" ? r.items().flat() : r[which]()), { since, expect: null, touch: [e] });
        if (!res.ok) break;
        if (len !== undefined && f.hookEpoch === res.epoch) f.check(res.value.length === len * (which === "items" ? 2 : 1), `dict.${which}() gave ${res.value.length} handles for ${len} entries`);
        for (const x of res.value) keepOrRelease(f, x, 0.05);
        break;
      }
      case 5:
        if (rng.chance(0.3) && f.attempt("dict.clear", () => r.clear(), { since, expect: null, touch: [e] }).ok) {
          const m = f.changed(e);
          if (hasKeys(m)) { m.keys.clear(); m.opaque = false; }
        }
        break;
      default:
        makeCycle(f, e, since);
    }
  } finally {
    releaseAll(temps);
  }
  f.verify(e);
}

function opSet(f: Fuzzer): void {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const e = f.pick((x) => x.kind === "set" || x.kind === "frozenset");
  if (!e) return opMake(f);
  const rng = f.rng;
  const temps: Ref[] = [];
  const r = e.ref;
  const frozen = e.kind === "frozenset";
  try {
    const k = key(f, temps);
    const ck = canon(k);
    const touch = [e, ...entriesOf(f, [k])];
    switch (rng.int(4)) {
      case 0: {
        const res = f.attempt("set.add", () => r.add(k), { since, expect: frozen ? PyTypeError : keyExpect(ck), touch });
        if (!res.ok) break;
        addKey(f.changed(e), ck);
        if (predictable(ck) && f.hookEpoch === res.epoch) f.check(r.has(k), `set.add(${ck}) then has() is false`, "model: membership");
        break;
      }
      case 1: {
        const res = f.attempt("set.discard", () => r.discard(k), { since, expect: frozen ? PyTypeError : keyExpect(ck), touch });
        if (!res.ok) break;
        const m = f.changed(e);
        removeKey(m, ck);
        if (predictable(ck) && f.hookEpoch === res.epoch) f.check(!r.has(k), `set.discard(${ck}) then has() is true`, "model: membership");
        break;
      }
      case 2: {
        const has = predictHas(f, e, ck);
        const res = f.attempt("set.has", () => r.has(k), { since, expect: keyExpect(ck), touch });
        if (res.ok && has !== undefined) f.check(res.value === has, `set.has(${ck}) is ${res.value}, the model says ${has}`, "model: membership");
        break;
      }
      default:
        if (rng.chance(0.3) && f.attempt("set.clear", () => r.clear(), { since, expect: frozen ? PyTypeError : null, touch: [e] }).ok) {
          const m = f.changed(e);
          if (hasKeys(m)) { m.keys.clear(); m.opaque = false; }
        }
    }
  } finally {
    releaseAll(temps);
  }
  f.verify(e);
}

// ---- instances ------------------------------------------------------------------------------------

function opAttr(f: Fuzzer): void {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const e = f.pick((x) => x.kind === "inst");
  if (!e) return void makeInstance(f, f.rng.pick(f.cls.all));
  const rng = f.rng;
  const r = e.ref;
  const name = attrName(f, e);
  const slots = e.cls?.slots;
  const valid = slots ? slots.includes(name) : IDENT.test(name);
  const m = f.model(e);
  const known = m?.t === "attrs" && !f.busy(e) ? (m.present.has(name) ? true : m.complete ? false : undefined) : undefined;
  const nameErr: ErrClass = slots ? PyAttributeError : PyValueError;
  const temps: Ref[] = [];
  const setPresent = (present: boolean) => {
    const mm = f.changed(e);
    if (mm?.t === "attrs") {
      if (present) mm.present.add(name);
      else mm.present.delete(name);
    }
  };
  try {
    switch (rng.int(5)) {
      case 0:
      case 1: {
        const v = rng.chance(0.15) ? r : value(f, temps); // sometimes a cycle to itself
        if (f.attempt(`setattr(${name})`, () => r.setattr(name, v), { since, expect: valid ? null : nameErr, touch: [e, ...entriesOf(f, [v])] }).ok) setPresent(true);
        break;
      }
      case 2: {
        const res = f.attempt(`getattr(${name})`, () => r.getattr(name), { since, expect: !valid ? nameErr : outcome(known, PyAttributeError), touch: [e] });
        if (res.ok) {
          setPresent(true);
          keepOrRelease(f, res.value, 0.3);
        } else if (valid && !f.busy(e)) setPresent(false);
        break;
      }
      case 3: {
        const res = f.attempt(`delattr(${name})`, () => r.delattr(name), { since, expect: !valid ? nameErr : outcome(known, PyAttributeError), touch: [e] });
        if (res.ok || (valid && !f.busy(e))) setPresent(false);
        break;
      }
      default: {
        const res = f.attempt(`hasattr(${name})`, () => r.hasattr(name), { since, expect: null, touch: [e] });
        if (res.ok && known !== undefined) f.check(res.value === (known && valid), `hasattr(${name}) is ${res.value}, the model says ${known}`, "model: attributes");
      }
    }
  } finally {
    releaseAll(temps);
  }
  f.verify(e);
}

/** Makes an object refer to itself (or two to each other), and sometimes drops the handle. */
function makeCycle(f: Fuzzer, e: Entry, since = f.hookEpoch): void {
  const other = f.pick((x) => x.kind === e.kind) ?? e;
  const r = e.ref;
  let ok = false;
  if (e.kind === "list") {
    ok = f.attempt("list.append(a cycle)", () => r.append(other.ref), { since, expect: null, touch: [e, other] }).ok;
    const m = ok ? f.changed(e) : undefined;
    if (m?.t === "len") m.len++;
  } else if (e.kind === "dict") {
    ok = f.attempt("dict.set(a cycle)", () => r.set("self", other.ref), { since, expect: null, touch: [e, other] }).ok;
    if (ok) addKey(f.changed(e), "s:self");
  } else if (e.kind === "inst") {
    const name = e.cls?.slots ? e.cls.slots[0] : "me";
    ok = f.attempt("setattr(a cycle)", () => r.setattr(name, other.ref), { since, expect: null, touch: [e, other] }).ok;
    const m = ok ? f.changed(e) : undefined;
    if (m?.t === "attrs") m.present.add(name);
  }
  f.verify(e);
  if (ok && f.rng.chance(0.5)) f.release(e);
}

function opCycle(f: Fuzzer): void {
  const e = f.pick((x) => x.kind === "list" || x.kind === "dict" || x.kind === "inst");
  if (e && f.rng.chance(0.6)) makeCycle(f, e);
  else makeGarbageCycle(f);
}

// ---- handles --------------------------------------------------------------------------------------

function opDup(f: Fuzzer): void {
  const e = f.pick();
  if (!e) return;
  const h = f.heap;
  const rc = h.sys.getrefcount(e.ref);
  const r = f.attempt("dup", () => e.ref.dup(), { expect: null });
  if (!r.ok) return;
  const after = h.sys.getrefcount(r.value);
  f.check(after === (rc === IMMORTAL_REFCNT ? rc : rc + 1), `dup: refcount ${rc} -> ${after}`, "refcount");
  f.add(r.value);
}

function opRelease(f: Fuzzer): void {
  for (let n = f.rng.range(1, 3); n > 0; n--) {
    const e = f.pick();
    if (!e) return;
    f.log(`release ${e.kind} #${e.serial}`);
    f.release(e);
  }
}

const ITERABLE = new Set(["list", "tuple", "dict", "set", "frozenset", "bytes", "bytearray", "str"]);

/** for...of, sometimes releasing the container, changing it or breaking out inside the loop. */
function opIterate(f: Fuzzer): void {
  const e = f.pick();
  if (!e) return;
  const rng = f.rng;
  const iterable = e.kind === "proxy" ? undefined : ITERABLE.has(e.kind);
  const start = f.attempt("iter()", () => e.ref[Symbol.iterator](), { expect: outcome(iterable, PyTypeError), touch: [e] });
  if (!start.ok) return;
  const it = start.value;
  const expected = e.kind === "str" ? undefined : modelLen(f, e);
  const releaseAt = rng.chance(0.25) ? rng.int((expected ?? 3) + 1) : -1;
  const breakAt = rng.chance(0.15) ? rng.int((expected ?? 3) + 1) + 1 : -1;
  const mutateAt = (e.kind === "dict" || e.kind === "set") && rng.chance(0.15) ? rng.int(expected ?? 2) + 1 : -1;
  let n = 0, mutated = false, broke = false;
  const res = f.attempt("iterate", () => {
    if (releaseAt === 0) f.release(e);
    for (const x of it) {
      n++;
      if (x instanceof Ref) keepOrRelease(f, x.dup(), 0.05); // (a loop item is the loop's: dup() keeps it)
      if (n === releaseAt) f.release(e); // the iterator holds its container
      if (n === mutateAt && !e.removed) mutated = mutateDuringIteration(f, e) || mutated;
      if (n === breakAt) {
        broke = true;
        break; // (closes the iterator: it drops the container)
      }
    }
  }, { compound: true });
  if (res.epoch !== f.hookEpoch || broke) return;
  if (mutated) f.check(!res.ok && res.error instanceof PyRuntimeError, "a dict/set changed size during iteration without PyRuntimeError", "iteration");
  else if (res.ok && expected !== undefined && releaseAt < 0) f.check(n === expected, `iteration yielded ${n} items, the model says ${expected}`, "iteration");
}

function mutateDuringIteration(f: Fuzzer, e: Entry): boolean {
  const k = `added while iterating ${f.rng.int(1e9)}`;
  const r = f.attempt("add while iterating", () => (e.kind === "dict" ? e.ref.set(k, 1) : e.ref.add(k)), { expect: null });
  if (r.ok) addKey(f.changed(e), `s:${k}`);
  return r.ok;
}

// ---- weak references ----------------------------------------------------------------------------------

function weakrefable(e: Entry): boolean | undefined {
  if (e.kind === "inst") return e.cls?.weakrefable;
  if (e.kind === "proxy") return undefined;
  return e.kind === "set" || e.kind === "frozenset" || e.kind === "memoryview";
}

function weakCallback(f: Fuzzer): (wr: Ref) => void {
  return (wr) => {
    const d = f.attempt("deref in a weakref callback", () => wr.deref(), { expect: null });
    if (d.ok && d.value) {
      d.value.release();
      f.fail("a weakref callback ran while its referent is alive");
    }
    f.hook("weakref", wr, true);
  };
}

function opWeakref(f: Fuzzer): void {
  const e = f.pick();
  if (!e) return;
  const rng = f.rng;
  const h = f.heap;
  const ok = weakrefable(e);
  const cb = rng.chance(0.6) ? weakCallback(f) : undefined;
  const expect = outcome(ok, PyTypeError);
  const choice = rng.int(3);
  if (choice === 2) {
    // the known bug FOUND-6: an object that dies during finalize() (a hook released its last
    // handle) never has its finalizer called: unless FUZZ_KNOWN has 6, a second handle holds it
    const hold = f.known(6) ? undefined : e.ref.dup();
    const res = f.attempt("weakref.finalize", () => h.weakref.finalize(hold ?? e.ref, (a: number, b: string) => {
      f.check(a === 1 && b === "two", "finalize passed the wrong arguments");
      f.hook("finalize", undefined, f.explicitFinalize === 0);
    }, 1, "two"), { expect, touch: [e] });
    hold?.release();
    if (!res.ok) return;
    f.log(`finalize on ${e.kind} #${e.serial}`);
    if (rng.chance(0.2)) res.value.atexit = false;
    f.finalizers.push({ fin: res.value as unknown as Finalize, target: e });
    if (f.finalizers.length > 24) f.finalizers.shift()!.fin.detach()?.[0].release();
    return;
  }
  const proxy = choice === 1;
  const res = f.attempt(proxy ? "weakref.proxy" : "weakref.ref", () => (proxy ? h.weakref.proxy(e.ref, cb) : h.weakref.ref(e.ref, cb)), { expect, touch: [e] });
  if (res.ok) f.add(res.value, { target: e });
}

function opWeakUse(f: Fuzzer): void {
  const rng = f.rng;
  if (f.finalizers.length && rng.chance(0.3)) return useFinalizer(f);
  const w = f.pick((x) => x.kind === "weakref" || x.kind === "proxy");
  if (!w) return opWeakref(f);
  const t = w.target && !w.target.removed ? w.target : undefined; // alive: a pool handle holds it
  if (w.kind === "weakref") {
    const res = f.attempt("deref", () => w.ref.deref(), { expect: null });
    if (!res.ok) return;
    if (t) f.check(res.value !== null && res.value.is(t.ref), "weakref.deref() of a live referent is not the referent", "weakrefs");
    if (res.value) keepOrRelease(f, res.value);
  } else {
    const use = rng.int(3); // (toJS may meet other, dead proxies inside the object)
    const res = f.attempt("proxy use", () => [() => w.ref.repr(), () => w.ref.length, () => w.ref.toJS() === undefined][use](), { touch: [w] });
    if (t && use < 2 && res.ok === false && res.error instanceof PyReferenceError) f.fail("a proxy to a live object says it died");
  }
  if (t) countWeakrefs(f, t);
}

/** getweakrefcount(obj) counts at least the live weakrefs the pool holds to it; getweakrefs agrees. */
function countWeakrefs(f: Fuzzer, t: Entry): void {
  const ids = new Set(f.pool.filter((x) => (x.kind === "weakref" || x.kind === "proxy") && x.target?.id === t.id && !x.target.removed).map((x) => x.id));
  const n = f.attempt("getweakrefcount", () => f.heap.weakref.getweakrefcount(t.ref), { expect: null });
  const list = f.attempt("getweakrefs", () => f.heap.weakref.getweakrefs(t.ref), { expect: null });
  if (n.ok) f.check(n.value >= ids.size, `getweakrefcount is ${n.value}, the pool holds ${ids.size} weakrefs to it`, "weakrefs");
  if (list.ok) {
    if (n.ok) f.check(list.value.length === n.value, `getweakrefs gave ${list.value.length}, getweakrefcount ${n.value}`, "weakrefs");
    for (const x of list.value) x.release();
  }
}

function useFinalizer(f: Fuzzer): void {
  const i = f.rng.int(f.finalizers.length);
  const { fin, target } = f.finalizers[i];
  const alive = !target.removed; // its object is alive
  switch (f.rng.int(4)) {
    case 0: {
      const was = fin.alive;
      f.explicitFinalize++;
      try {
        f.attempt("finalize.call", () => fin.call(), { compound: true });
      } finally {
        f.explicitFinalize--;
      }
      f.check(!fin.alive, `finalize is still alive after call() (was ${was})`, "finalize");
      break;
    }
    case 1: {
      const r = f.attempt("finalize.detach", () => fin.detach(), { expect: null });
      if (r.ok && r.value) {
        if (alive) f.check(r.value[0].is(target.ref), "finalize.detach() gave another object", "finalize");
        r.value[0].release();
      }
      // (a referent dead but its callback still to come, as while an earlier weakref's callback
      // runs: detach() gives None and the finalizer stays alive, as in CPython)
      if (r.ok && r.value) f.check(!fin.alive, "finalize is alive after detach() returned its object", "finalize");
      break;
    }
    case 2: {
      const was = fin.alive;
      const r = f.attempt("finalize.peek", () => fin.peek(), { expect: null });
      if (r.ok) {
        if (alive && was) f.check(r.value !== null && r.value[0].is(target.ref), "finalize.peek() of a live object gave nothing", "finalize");
        r.value?.[0].release();
      }
      break;
    }
    default:
      fin.atexit = !fin.atexit;
  }
  const at = f.finalizers.findIndex((x) => x.fin === fin); // (a hook may have dropped it already)
  if (!fin.alive && at >= 0) f.finalizers.splice(at, 1);
}

// ---- the collector --------------------------------------------------------------------------------------

function opCollect(f: Fuzzer): void {
  const gc = f.heap.gc;
  const g = f.rng.chance(0.2) ? undefined : f.rng.int(3);
  const res = f.attempt(`gc.collect(${g ?? ""})`, () => gc.collect(g), { expect: null });
  if (!res.ok) return;
  f.check(Number.isInteger(res.value) && res.value >= 0, `gc.collect() returned ${res.value}`, "gc");
  // nothing ran and nothing was made since: the same collection finds nothing
  // (on a memory-limited heap gc.garbage may have no room left for what the first one found)
  if (res.epoch !== f.hookEpoch || gc.callbacks.length || f.hookDepth || f.memoryLimited) return;
  const again = f.attempt("gc.collect again", () => gc.collect(g), { expect: null });
  if (again.ok && again.epoch === f.hookEpoch) {
    f.check(again.value === 0, () => `gc.collect(${g}) right after another (which found ${res.value}) found ${again.value} (debug flags ${gc.getDebug()}, ${gc.garbage.length} in gc.garbage, ${gc.getFreezeCount()} frozen, stats ${JSON.stringify(gc.getStats())})`, "gc");
  }
}

function gcCallback(f: Fuzzer) {
  return function fuzzGcCallback(phase: string, info: { generation: number; collected: number; uncollectable: number }): void {
    f.check(phase === "start" || phase === "stop", `gc callback phase ${phase}`, "gc");
    f.check([info.generation, info.collected, info.uncollectable].every((n) => Number.isInteger(n) && n >= 0), `gc callback info ${JSON.stringify(info)}`, "gc");
    f.hook("gc", undefined, true);
  };
}

function opGcConfig(f: Fuzzer): void {
  const rng = f.rng;
  const gc = f.heap.gc;
  switch (rng.int(6)) {
    case 0:
      f.gcEnabled = !f.gcEnabled;
      f.log(`gc ${f.gcEnabled ? "enable" : "disable"}`);
      if (f.gcEnabled) gc.enable(); else gc.disable();
      break;
    case 1: {
      const t: [number, number, number] = [rng.pick([0, 1, 2, 3, 10, 100, 700]), rng.range(1, 10), rng.range(1, 10)];
      if (f.attempt("gc.setThreshold", () => gc.setThreshold(...t), { expect: null }).ok) {
        f.check(gc.getThreshold().join() === t.join(), `getThreshold() ${gc.getThreshold()} after setThreshold(${t})`, "gc");
      }
      break;
    }
    case 2:
      if (gc.callbacks.length < 3 && rng.chance(0.6)) gc.callbacks.push(gcCallback(f));
      else gc.callbacks.splice(rng.int(gc.callbacks.length + 1), 1);
      break;
    case 3: {
      const flags = rng.pick([0, 0, gc.DEBUG_SAVEALL, gc.DEBUG_STATS, gc.DEBUG_COLLECTABLE | gc.DEBUG_UNCOLLECTABLE, gc.DEBUG_LEAK]);
      gc.setDebug(flags);
      f.check(gc.getDebug() === flags, `getDebug() ${gc.getDebug()} after setDebug(${flags})`, "gc");
      break;
    }
    case 4:
      if (rng.chance(0.3)) gc.freeze();
      else {
        gc.unfreeze();
        f.check(gc.getFreezeCount() === 0, "getFreezeCount() after unfreeze()", "gc");
      }
      break;
    default: {
      const e = f.pick();
      const count = gc.getCount(), stats = gc.getStats();
      f.check(count.length === 3 && stats.length === 3, "getCount()/getStats() shapes", "gc");
      if (e) {
        f.attempt("gc.isTracked", () => gc.isTracked(e.ref), { expect: null });
        f.attempt("gc.isFinalized", () => gc.isFinalized(e.ref), { expect: null });
      }
    }
  }
}

function opReferrers(f: Fuzzer): void {
  const rng = f.rng;
  const h = f.heap;
  const objs = Array.from({ length: rng.range(1, 3) }, () => f.pick()).filter((e): e is Entry => e !== undefined);
  if (!objs.length) return;
  const refs = objs.map((e) => e.ref);
  const referents = rng.chance(0.5);
  const res = f.attempt(referents ? "gc.getReferents" : "gc.getReferrers", () => (referents ? h.gc.getReferents(...refs) : h.gc.getReferrers(...refs)), { expect: null, touch: objs });
  if (!res.ok) return;
  const single = objs.length === 1 ? objs[0] : undefined;
  const len = single && (single.kind === "list" || single.kind === "tuple") ? modelLen(f, single) : undefined;
  if (referents && len !== undefined && res.epoch === f.hookEpoch) f.check(res.value.length === len, `getReferents(a ${len}-item ${single!.kind}) gave ${res.value.length}`, "gc referents");
  for (const r of res.value) keepOrRelease(f, r, 0.1);
  if (!single) return;
  // a fresh list holding the object is among its referrers
  const holder = fresh(f, "holder list", () => h.list([single.ref]));
  if (!holder) return;
  const again = f.attempt("gc.getReferrers(held)", () => h.gc.getReferrers(single.ref), { expect: null, since: res.epoch });
  if (again.ok) {
    if (again.calm) f.check(again.value.some((r) => r.id === holder.id), "gc.getReferrers(x) misses a list holding x", "gc referrers");
    for (const r of again.value) r.release();
  }
  holder.release();
}

function opGetObjects(f: Fuzzer): void {
  const gc = f.heap.gc;
  const g = f.rng.chance(0.5) ? undefined : f.rng.int(3);
  const res = f.attempt("gc.getObjects", () => gc.getObjects(g), { expect: null });
  if (!res.ok) return;
  const ids = new Set(res.value.map((r) => r.id));
  if (g === undefined && gc.getFreezeCount() === 0 && res.epoch === f.hookEpoch) {
    for (const e of f.pool) if (e.kind === "list") f.check(ids.has(e.id), "a live list is missing from gc.getObjects()", "gc objects");
  }
  for (const r of res.value) keepOrRelease(f, r, 0.01);
}

// ---- buffers, strings, raw ---------------------------------------------------------------------------------

function opBytes(f: Fuzzer): void {
  const rng = f.rng;
  const h = f.heap;
  const e = f.pick((x) => x.kind === "bytes" || x.kind === "bytearray" || x.kind === "memoryview");
  const data = Array.from({ length: rng.int(40) }, () => rng.int(256));
  if (!e || rng.chance(0.25)) {
    const ba = rng.chance(0.6);
    const res = f.attempt(ba ? "heap.bytearray" : "heap.bytes", () => (ba ? h.bytearray(new Uint8Array(data)) : h.bytes(data)), { expect: null });
    if (res.ok) f.add(res.value, { model: { t: "bytes", data } });
    return;
  }
  if (e.kind === "memoryview") return useMemoryview(f, e);
  const m = f.model(e);
  const len = modelLen(f, e);
  const exported = e.kind === "bytearray" ? exportState(f, e) : undefined;
  switch (rng.int(5)) {
    case 0: {
      const i = randomIndex(f, len);
      const res = f.attempt(`bytes.get(${i})`, () => e.ref.get(i) as unknown as number, { expect: outcome(inRange(i, len), PyIndexError), touch: [e] });
      if (res.ok && m?.t === "bytes") f.check(res.value === m.data.at(i), `bytes.get(${i}) is ${res.value}, the model says ${m.data.at(i)}`, "model: bytes");
      break;
    }
    case 1: {
      const i = randomIndex(f, len), b = rng.chance(0.9) ? rng.int(256) : rng.pick([256, -1]);
      const expect = e.kind === "bytes" ? PyTypeError : b > 255 || b < 0 ? PyValueError : outcome(inRange(i, len), PyIndexError);
      if (f.attempt(`bytearray.set(${i}, ${b})`, () => e.ref.set(i, b), { expect, touch: [e] }).ok) {
        const mm = f.changed(e);
        if (mm?.t === "bytes") mm.data[i < 0 ? i + mm.data.length : i] = b;
      }
      break;
    }
    case 2:
    case 3: {
      const resize = rng.chance(0.5);
      const n = rng.int(64);
      const expect = e.kind === "bytes" ? PyTypeError : exported === true ? PyBufferError : exported === false ? null : undefined;
      const add = data.slice(0, n % 8);
      if (f.attempt(resize ? `bytearray.resize(${n})` : "bytearray.extend", () => (resize ? e.ref.resize(n) : e.ref.extend(new Uint8Array(add))), { expect, touch: [e] }).ok) {
        const mm = f.changed(e);
        if (mm?.t === "bytes") mm.data = resize ? Array.from({ length: n }, (_, j) => mm.data[j] ?? 0) : [...mm.data, ...add];
      }
      break;
    }
    default: {
      const res = f.attempt("heap.memoryview", () => h.memoryview(e.ref), { expect: null, touch: [e] });
      if (!res.ok) break;
      f.views.set(e.id, (f.views.get(e.id) ?? 0) + 1);
      f.add(res.value, { base: e });
    }
  }
  f.verify(e);
}

/** Is the bytearray exported? true (a live, unreleased view in the pool), false (never viewed), or unknown. */
function exportState(f: Fuzzer, e: Entry): boolean | undefined {
  if (f.busy(e)) return undefined; // (an outer heap.memoryview(e) may hold the export already, as CPython's does while it allocates the view)
  if (f.pool.some((v) => v.kind === "memoryview" && v.base?.id === e.id && !v.base.removed && !v.ref.released)) return true;
  return f.views.has(e.id) ? undefined : false;
}

function useMemoryview(f: Fuzzer, mv: Entry): void {
  const rng = f.rng;
  const base = mv.base && !mv.base.removed ? mv.base : undefined;
  const released = mv.ref.released;
  if (rng.chance(0.3)) {
    f.attempt("memoryview.releaseView", () => mv.ref.releaseView(), { expect: null });
    f.check(mv.ref.released, "memoryview.released is false after releaseView()", "buffers");
    return;
  }
  const res = f.attempt("memoryview.data", () => Array.from(mv.ref.data), { expect: released ? PyValueError : null });
  const m = base ? f.model(base) : undefined;
  if (res.ok && m?.t === "bytes") f.check(res.value.join() === m.data.join(), `memoryview.data ${res.value} differs from its base ${m.data}`, "buffers");
  if (!res.ok || released) return;
  // bytes from a view of the heap's own memory (the allocation may grow memory)
  const copy = f.attempt("heap.bytes(mv.data)", () => f.heap.bytes(mv.ref.data), { expect: null });
  if (copy.ok) {
    f.check(Array.from(copy.value.toJS() as Uint8Array).join() === res.value.join(), "heap.bytes(mv.data) is not a copy of the view", "buffers");
    copy.value.release();
  }
}

function opIntern(f: Fuzzer): void {
  const h = f.heap;
  const s = f.rng.pick(["a", "abc", "next", `s${f.rng.int(30)}`, "日本", "x".repeat(f.rng.int(600))]);
  const a = f.attempt("sys.intern", () => h.sys.intern(s), { expect: null });
  if (!a.ok) return;
  const b = f.attempt("sys.intern again", () => h.sys.intern(f.rng.chance(0.5) ? s : a.value), { expect: null });
  if (b.ok) {
    f.check(a.value.is(b.value), "sys.intern(s) twice gave two objects", "intern");
    b.value.release();
  }
  keepOrRelease(f, a.value, 0.3);
}

/** heap.raw on ids the fuzzer holds, against the handle API. */
function opRaw(f: Fuzzer): void {
  const e = f.pick();
  if (!e) return;
  const h = f.heap;
  const raw = h.raw;
  const id = e.id;
  raw.incref(id); // ours for the whole operation: a hook may release the entry meanwhile
  try {
    const rc = raw.refcount(id);
    f.check(rc === h.sys.getrefcount(e.ref) + 0 || e.removed, "raw.refcount and sys.getrefcount differ", "raw");
    f.check(raw.type(id) === e.ref.type, "raw.type and the handle's type differ", "raw");
    if (e.kind === "list" || e.kind === "tuple" || e.kind === "dict" || e.kind === "set" || e.kind === "frozenset") {
      f.check(raw.len(id) === e.ref.length, "raw.len and length differ", "raw");
    }
    const epoch = f.hookEpoch;
    const l = f.attempt("raw.list", () => raw.list(), { expect: null });
    if (!l.ok) return;
    const appended = f.attempt("raw.append", () => raw.append(l.value, id), { expect: null }).ok;
    const rcAppended = raw.refcount(id);
    if (appended) f.check(raw.getitem(l.value, 0) === id, "raw.getitem after raw.append", "raw");
    const t = f.attempt("raw.tuple", () => raw.tuple([id, id]), { expect: null });
    // (a collection meanwhile, even without hooks, may free garbage that held the object)
    const calm = l.calm && t.calm && epoch === f.hookEpoch;
    if (t.ok && calm && rc !== IMMORTAL_REFCNT) {
      f.check(raw.refcount(id) === rc + (appended ? 3 : 2), `raw: refcount of ${e.kind} ${rc}, ${rcAppended} after raw.append, ${raw.refcount(id)} after raw.tuple([id, id]); expected ${rc + (appended ? 3 : 2)}`, "refcount");
    }
    if (t.ok) raw.decref(t.value);
    raw.decref(l.value);
    if (calm && f.hookEpoch === epoch) f.check(raw.refcount(id) === rc, "raw: refcount not back after decref", "refcount");
  } finally {
    f.attempt("raw.decref", () => raw.decref(id), { expect: null });
  }
  if (f.cfg.debug) {
    // the debug engine refuses a dead id before touching anything
    const made = f.attempt("raw.str", () => raw.str("d".repeat(600)), { expect: null });
    if (!made.ok) return;
    const dead = made.value;
    raw.decref(dead);
    f.attempt("raw.len(a dead id)", () => raw.len(dead), { expect: PyReferenceError, hostile: true });
  }
}

// ---- oracles: collisions, refcounts ----------------------------------------------------------------------------

/** Keys whose hashes collide, and keys that are equal across types. */
function opCollide(f: Fuzzer): void {
  const since = f.hookEpoch; // (arguments may be made with allocations, which run hooks)
  const rng = f.rng;
  const h = f.heap;
  const temps: Ref[] = [];
  const n = rng.range(5, 60);
  const keys: PyValue[] = [];
  for (let i = 0; i < n; i++) keys.push(rng.chance(0.5) ? i * (2 ** 31 - 1) : rng.chance(0.5) ? i * 2 ** 32 : collisionKey(f, temps));
  const ks = keys.map((k) => canon(k));
  try {
    const asDict = rng.chance(0.4);
    const res = f.attempt(asDict ? "dict of colliding keys" : "set of colliding keys", () => (asDict ? h.dict(keys.map((k) => [k, k] as [PyValue, PyValue])) : h.set(keys)), { since, expect: null, touch: entriesOf(f, keys) });
    if (!res.ok) return;
    const e = f.add(res.value, { model: keysModel(ks) });
    if (!e) return;
    keys.forEach((k, i) => {
      if (!predictable(ks[i])) return;
      // (a primitive key is converted to an object for the lookup: that may be a MemoryError)
      const has = f.attempt("has a colliding key", () => e.ref.has(k), { since, expect: null, touch: [e] });
      if (has.ok) f.check(has.value, `colliding key ${ks[i]} not found`, "collisions");
    });
    if (asDict) return;
    for (const k of keys.filter((_, i) => i % 2 === 0)) {
      if (f.attempt("discard a colliding key", () => e.ref.discard(k), { since, expect: null, touch: [e] }).ok) {
        const m = f.changed(e);
        removeKey(m, canon(k));
      }
    }
    f.verify(e);
  } finally {
    releaseAll(temps);
  }
}

/** Refcounts of a fresh object as CPython counts them: one per handle and per container slot. */
function opRefcount(f: Fuzzer): void {
  const rng = f.rng;
  const h = f.heap;
  const k = rng.int(1e6);
  const makers: Array<() => Ref> = [
    () => h.int(10 ** 9 + k), () => h.str(`unique ${k}`), () => h.float(k + 0.5), () => h.list(), () => f.cls.plain.new(),
    () => h.tuple([k + 1000]), () => h.frozenset([k]),
  ];
  const x = fresh(f, "fresh object", rng.pick(makers));
  if (!x) return;
  const held: Ref[] = [];
  const epoch = f.hookEpoch;
  let expected = 1;
  const rc = (what: string) => {
    if (f.hookEpoch !== epoch) return;
    const got = h.sys.getrefcount(x);
    f.check(got === expected, `refcount after ${what} is ${got}, CPython's is ${expected}`, "refcount (CPython)");
  };
  rc("creation");
  const hashable = x.type !== "list";
  const steps: Array<[string, () => Ref | undefined, number]> = [
    ["[x, x]", () => fresh(f, "list", () => h.list([x, x])), 2],
    ["(x,)", () => fresh(f, "tuple", () => h.tuple([x])), 1],
    ["{1: x}", () => fresh(f, "dict", () => h.dict([[1, x]])), 1],
    ["{x: x}", () => (hashable ? fresh(f, "dict", () => h.dict([[x, x]])) : undefined), 2],
    ["{x}", () => (hashable ? fresh(f, "set", () => h.set([x])) : undefined), 1],
    ["Plain(a=x)", () => fresh(f, "instance", () => f.cls.plain.new({ a: x })), 1],
    ["Slotted(a=x, b=x)", () => fresh(f, "instance", () => f.cls.slotted.new({ a: x, b: x })), 2],
    ["x.dup()", () => x.dup(), 1],
  ];
  for (const [what, make, refs] of steps) {
    if (!rng.chance(0.6)) continue;
    const c = make();
    if (!c) continue;
    held.push(c);
    expected += refs;
    rc(what);
    if (rng.chance(0.3)) {
      held.pop()!.release();
      expected -= refs;
      rc(`dropping ${what}`);
    }
  }
  releaseAll(held);
  expected = 1;
  rc("dropping every holder");
  const small = h.int(rng.int(262) - 5);
  f.check(h.sys.getrefcount(small) === IMMORTAL_REFCNT, "a small int is not immortal", "refcount (CPython)");
  keepOrRelease(f, x, 0.3);
}

// ---- memory ------------------------------------------------------------------------------------------------

function opBallast(f: Fuzzer): void {
  const rng = f.rng;
  const mem = f.heap.mem;
  if (f.ballast.length && rng.chance(0.45)) {
    const all = rng.chance(0.3);
    f.log(all ? "free all ballast" : "free some ballast");
    const n = all ? f.ballast.length : rng.range(1, f.ballast.length);
    for (let i = 0; i < n; i++) mem.free(f.ballast.splice(rng.int(f.ballast.length), 1)[0]);
    return;
  }
  if (!f.memoryLimited) {
    if (f.ballast.length < 16) {
      const r = f.attempt("ballast malloc", () => mem.malloc(rng.pick([100, 600, 65536, 1 << 20])), { expect: null });
      if (r.ok) f.ballast.push(r.value);
    }
    return;
  }
  // eat memory until the heap refuses (sometimes to the last block)
  const sizes = rng.chance(0.3) ? [1 << 20, 65536, 4096, 512, 64, 8] : [rng.pick([1 << 20, 256 << 10, 65536])];
  for (const size of sizes) {
    for (let i = 0; i < 400; i++) {
      const r = f.attempt("ballast malloc", () => mem.malloc(size));
      if (!r.ok) break;
      f.ballast.push(r.value);
      if (sizes.length === 1 && rng.chance(0.3)) break;
    }
  }
  f.log(`ballast: ${f.ballast.length} blocks`);
}

function opMem(f: Fuzzer): void {
  const rng = f.rng;
  const mem = f.heap.mem;
  const n = rng.pick([0, 1, 8, 100, 512, 513, 4000, rng.int(2000)]);
  const p = f.attempt(`malloc(${n})`, () => mem.malloc(n), { expect: null });
  if (!p.ok) return;
  const pattern = Array.from({ length: Math.min(n, 64) }, (_, i) => (i * 7 + n) & 255);
  mem.view(p.value).set(pattern);
  const m = rng.pick([0, 4, n + 1, n * 2 + 10, 600]);
  const q = f.attempt(`realloc(${m})`, () => mem.realloc(p.value, m), { expect: null });
  const ptr = q.ok ? q.value : p.value;
  const keep = Math.min(pattern.length, q.ok ? m : n);
  const got = Array.from(mem.view(ptr).subarray(0, keep));
  f.check(got.join() === pattern.slice(0, keep).join(), "realloc lost the block's contents", "mem");
  f.check(mem.size(ptr) === (q.ok ? m : n), "mem.size is not the requested size", "mem");
  mem.free(ptr);
  f.attempt("double free", () => mem.free(ptr), { expect: PyValueError });
}

// ---- heavy operations: chains, big arrays, scopes -------------------------------------------------------------------

/** Chains of hooks thousands deep: dels releasing the next, slots holding the next, weakref callbacks. */
function opChain(f: Fuzzer): void {
  const rng = f.rng;
  const n = rng.range(64, f.cfg.debug ? 1200 : 3000);
  const variant = rng.int(3);
  const before = f.linkDels;
  const epoch = f.hookEpoch;
  f.log(`chain of ${n} (${["del releases the next", "slots hold the next", "weakref callbacks"][variant]})`);
  if (variant === 2) return weakrefChain(f, n);
  const link = f.cls.link;
  const made: Ref[] = [];
  for (let i = 0; i < n; i++) {
    const prev = made[made.length - 1];
    const r = f.attempt("Link.new", () => (variant === 1 && prev ? link.new({ next: prev }) : link.new()));
    if (!r.ok) break;
    if (variant === 1 && prev) {
      prev.release(); // held by the new link's slot
      made[made.length - 1] = r.value;
    } else {
      if (prev) f.linkNext.set(prev.id, r.value);
      made.push(r.value);
      f.links.push(r.value);
    }
    if (variant === 1 && !prev) made.push(r.value);
  }
  const count = variant === 1 ? n : made.length;
  const inPool = f.pool.some((e) => e.cls === link);
  const hooksMeanwhile = f.hookEpoch !== epoch;
  f.attempt("release the chain's head", () => (variant === 1 ? made[made.length - 1] : made[0])?.release(), { compound: true });
  f.links = f.links.filter((r) => r.alive);
  if (!inPool && !hooksMeanwhile && made.length && f.pool.every((e) => e.cls !== link)) {
    const ran = f.linkDels - before;
    if (variant === 0) f.check(ran === count, `a chain of ${count} dels ran ${ran} of them`, "chains");
    else f.check(ran <= count, `a chain of ${count} links ran ${ran} dels`, "chains");
  }
}

function weakrefChain(f: Fuzzer, n: number): void {
  const h = f.heap;
  const objs: Ref[] = [];
  const refs: Ref[] = [];
  let calls = 0;
  for (let i = 0; i < n; i++) {
    const o = fresh(f, "chain object", () => f.cls.plain.new());
    if (!o) break;
    objs.push(o);
  }
  objs.forEach((o, i) => {
    const w = fresh(f, "chain weakref", () => h.weakref.ref(o, () => {
      calls++;
      objs[i + 1]?.release();
    }));
    if (w) refs.push(w);
  });
  const complete = refs.length === objs.length && objs.every((o) => o.alive);
  f.attempt("release the first object", () => objs[0]?.release(), { compound: true });
  if (complete) f.check(calls === objs.length, `a chain of ${objs.length} weakref callbacks ran ${calls}`, "chains");
  releaseAll(objs);
  releaseAll(refs);
}

function opBig(f: Fuzzer): void {
  const rng = f.rng;
  const h = f.heap;
  const n = rng.range(2000, 5000);
  const items = Array.from({ length: n }, (_, i) => (rng.chance(0.5) ? i : primitive(rng)));
  f.log(`big: ${n} items`);
  switch (rng.int(4)) {
    case 0: {
      const r = f.attempt("big list", () => h.list(items), { expect: null });
      if (r.ok) f.add(r.value, { model: { t: "len", len: n } });
      break;
    }
    case 1: {
      const ints = Array.from({ length: n }, (_, i) => i * 2 ** 32);
      const r = f.attempt("big set", () => h.set(ints), { expect: null });
      if (r.ok) f.add(r.value, { model: keysModel(ints.map((k) => canon(k))) });
      break;
    }
    case 2: {
      const e = f.pick((x) => x.kind === "list");
      if (e && f.attempt("big extend", () => e.ref.extend(items), { expect: null, touch: [e] }).ok) {
        const m = f.changed(e);
        if (m?.t === "len") m.len += n;
        f.verify(e);
      }
      break;
    }
    default: {
      const r = f.attempt("big from", () => h.from([items, items.slice(0, 100)] as never), { expect: null });
      if (r.ok) f.add(r.value, { model: { t: "len", len: 2 } });
    }
  }
}

/** heap.scope: everything made inside is released at the end, except what it returns. */
function opScope(f: Fuzzer): void {
  const h = f.heap;
  const rng = f.rng;
  const made: Ref[] = [];
  f.inScope = true;
  let res;
  try {
    res = f.attempt("heap.scope", () => h.scope(() => {
      for (let i = rng.range(1, 4); i > 0; i--) made.push(h.list([i, "x", made[made.length - 1] ?? null]));
      return rng.chance(0.7) ? made[rng.int(made.length)] : 5;
    }), { compound: true });
  } finally {
    f.inScope = false;
  }
  if (!res.ok) return;
  const kept = res.value;
  for (const r of made) f.check(r === kept ? r.alive : !r.alive, "heap.scope released the wrong handles", "scope");
  if (kept instanceof Ref) f.add(kept, { model: { t: "len", len: 3 } });
}

/**
 * A call whose argument's last handle a gc callback releases while the call runs (threshold 1:
 * the call's first allocation collects). The engine holds its arguments for the whole call;
 * once it returns the object lives on in what the call made, or dies then, with its weakref
 * callbacks and finalizers.
 */
function opInFlight(f: Fuzzer): void {
  const h = f.heap;
  const gc = h.gc;
  const rng = f.rng;
  const o = fresh(f, "in-flight object", rng.pick([() => f.cls.plain.new({ a: 1 }), () => f.cls.weakSlotted.new({ a: 2 }), () => h.frozenset([3, 4])]));
  if (!o) return;
  const type = o.type;
  let dropped = false;
  const drop = () => {
    if (!dropped) {
      dropped = true;
      o.release();
    }
  };
  let calls = 0;
  const made: Ref[] = [];
  let fin: Finalize | undefined;
  const uses: Array<[string, () => void]> = [
    ["weakref.ref", () => void made.push(h.weakref.ref(o, () => void calls++))],
    ["weakref.proxy", () => void made.push(h.weakref.proxy(o))],
    ["heap.list", () => void made.push(h.list([o, 1, o]))],
    ["heap.dict", () => void made.push(h.dict([["k", o], [o, 2]]))],
    ["heap.set", () => void made.push(h.set([o]))],
    ["Class.new", () => void made.push(f.cls.slotted.new({ a: o, b: o }))],
    ["gc.getReferrers", () => void made.push(...h.gc.getReferrers(o))],
  ];
  // the known bug FOUND-6: an object dying during finalize() never has its finalizer called
  if (f.known(6)) uses.push(["weakref.finalize", () => { fin = h.weakref.finalize(o, () => void calls++) as unknown as Finalize; }]);
  const [what, use] = rng.pick(uses);
  f.log(`in flight: ${what} while a gc callback drops the argument`);
  const [t0, t1, t2] = gc.getThreshold();
  gc.callbacks.push(drop);
  gc.setThreshold(1, t1, t2);
  gc.enable();
  let res;
  try {
    res = f.attempt(`${what} with its argument dropped in flight`, use, { compound: true });
  } finally {
    gc.callbacks.splice(gc.callbacks.indexOf(drop), 1);
    gc.setThreshold(t0, t1, t2);
    if (!f.gcEnabled) gc.disable();
    drop(); // dies now unless the call's result holds it
  }
  if (res.ok) checkInFlight(f, what, type, made, calls, fin);
  releaseAll(made);
  fin?.detach()?.[0].release();
}

function checkInFlight(f: Fuzzer, what: string, type: string, made: Ref[], calls: number, fin: Finalize | undefined): void {
  const r = made[0];
  const is = (cond: boolean, text: string) => f.check(cond, `${what} with its argument dropped in flight: ${text}`, "in flight");
  const mortal = type !== "WeakSlotted"; // (its del hook may resurrect it)
  if (what === "weakref.ref" && mortal) is(calls === 1 && r.deref() === null, `the object died: the callback ran ${calls} times, deref() ${r.deref() === null ? "null" : "alive"}`);
  else if (what === "weakref.finalize" && mortal) is(calls === 1 && !fin?.alive, `the object died: the finalizer ran ${calls} times, alive ${fin?.alive}`);
  else if (what === "weakref.proxy" && mortal) is(f.attempt("dead proxy", () => r.length).ok === false, "the proxy's object died but the proxy works");
  else if (what === "heap.list") {
    const first = r.get(0) as Ref;
    is(r.length === 3 && first.type === type, `${r.repr()}`);
    first.release();
  }
  else if (what === "heap.dict" || what === "heap.set") is(r.length === (what === "heap.dict" ? 2 : 1), `${r.repr()}`);
  else if (what === "Class.new") {
    const a = r.getattr("a");
    is(a.type === type, `getattr gave a ${a.type}`);
    a.release();
  }
}

function opInspect(f: Fuzzer): void {
  const e = f.pick();
  if (!e) return;
  const h = f.heap;
  const what = f.rng.pick(["repr", "toJS", "getsizeof", "id", "is"] as const);
  const res = f.attempt(`${what}`, () => {
    if (what === "repr") return e.ref.repr().length;
    if (what === "toJS") return e.ref.toJS() === undefined ? 0 : 1;
    if (what === "getsizeof") return h.sys.getsizeof(e.ref);
    if (what === "id") return h.id(e.ref) === e.id ? 1 : -1;
    const d = e.ref.dup(); // the same object
    try {
      return e.ref.is(d) ? 1 : -1;
    } finally {
      d.release();
    }
  }, { expect: what === "toJS" ? undefined : null, touch: [e] }); // (toJS meets dead proxies, released views)
  if (res.ok) f.check(res.value >= 0, `${what} of ${e.kind} gave ${res.value}`, "inspect");
}

/**
 * Issue 10's instruments over whatever the heap holds: tracemalloc switched on and off (the
 * traced allocation paths, their out-of-memory rule), frames pushed and popped, snapshots whose
 * traces add up to the traced memory, whyAlive's referrers and external references adding up
 * to the refcount, retainer paths ending at their object, the census never negative.
 */
function opInstrument(f: Fuzzer): void {
  const rng = f.rng;
  const h = f.heap;
  const tm = h.tracemalloc;
  switch (rng.int(8)) {
    case 6: {
      // the object map against the live census: a snapshot's object nodes per type (the
      // immortal ones aside) are typeStats' counts exactly; every edge ends at a node
      const res = f.attempt("heap snapshot", () => h.takeHeapSnapshot(), { expect: null });
      if (!res.ok) break;
      const snap = res.value;
      const n = snap.nodeCount;
      const firstEdge: number[] = [];
      let e = 0;
      for (let i = 0; i < n; i++) { firstEdge.push(e); e += snap.nodes[i * 7 + 4]; }
      f.check(e === snap.edgeCount, `snapshot: node edge counts add up to ${e}, not ${snap.edgeCount}`, "snapshot");
      f.check(snap.edges.every((v, i) => i % 3 !== 2 || (v % 7 === 0 && v / 7 < n)), "snapshot: an edge ends outside the nodes", "snapshot");
      const immortal = new Set<number>();
      for (let k = 0; k < snap.nodes[2 * 7 + 4]; k++) immortal.add(snap.edges[(firstEdge[2] + k) * 3 + 2] / 7);
      // (the census counts an object made immortal after its birth, an attribute name, and
      // not the static immortals: None, small ints)
      const counts = new Map<string, number>(), immortals = new Map<string, number>();
      for (let i = 4; i < n; i++) {
        const t = snap.strings[snap.nodes[i * 7 + 1]];
        const m = immortal.has(i) ? immortals : counts;
        m.set(t, (m.get(t) ?? 0) + 1);
      }
      const stats = new Map(h.leaks.typeStats().map((r) => [r.type, r.count]));
      for (const t of new Set([...counts.keys(), ...stats.keys()])) {
        const mortal = counts.get(t) ?? 0, census = stats.get(t) ?? 0;
        // (inside a hook, objects being deallocated are counted by the census until freed)
        if (f.hookDepth === 0) f.check(census >= mortal && census <= mortal + (immortals.get(t) ?? 0), `snapshot: ${mortal} live ${t} objects (and ${immortals.get(t) ?? 0} immortal), the census says ${census}`, "snapshot");
      }
      const ids = new Set<number>();
      for (let i = 0; i < n; i++) ids.add(snap.nodes[i * 7 + 2]);
      f.check(ids.size === n, "snapshot: two nodes share an id", "snapshot");
      break;
    }
    case 7: {
      const m = f.attempt("leaks.mark", () => h.leaks.mark(), { expect: null });
      if (!m.ok) break;
      const r = f.attempt("leaks.since", () => h.leaks.since(m.value), { expect: null });
      if (r.ok) f.check(r.value.count === 0, `leaks.since(a mark just taken) lists ${r.value.count} objects`, "leaks");
      break;
    }
    case 0: {
      if (tm.isTracing()) {
        if (rng.chance(0.5)) f.attempt("tracemalloc.stop", () => tm.stop(), { expect: null });
        else f.attempt("tracemalloc.clearTraces", () => tm.clearTraces(), { expect: null });
      } else {
        const n = rng.pick([1, 2, 5]);
        f.attempt(`tracemalloc.start(${n})`, () => tm.start(n), { expect: null });
      }
      break;
    }
    case 1: {
      if (rng.chance(0.6) || h.frames.depth === 0) f.attempt("frames.push", () => h.frames.push(`f${rng.int(5)}.py`, rng.int(100)), { expect: null });
      else f.attempt("frames.pop", () => h.frames.pop(), { expect: null });
      break;
    }
    case 2: {
      if (!tm.isTracing()) break;
      const res = f.attempt("tracemalloc.takeSnapshot", () => tm.takeSnapshot(), { expect: null });
      if (!res.ok) break;
      const sum = [...res.value.traces].reduce((n, t) => n + t.size, 0);
      const [current, peak] = tm.getTracedMemory();
      f.check(sum === current, `a snapshot's traces add up to ${sum}, get_traced_memory() says ${current}`, "tracemalloc");
      f.check(peak >= current, `traced memory peak ${peak} below current ${current}`, "tracemalloc");
      break;
    }
    case 3: {
      const e = f.pick();
      if (!e || !e.ref.alive) break;
      const res = f.attempt("leaks.whyAlive", () => h.leaks.whyAlive(e.ref), { expect: null, touch: [e] });
      if (!res.ok) break;
      const w = res.value;
      if (w.refcount !== IMMORTAL_REFCNT) {
        const inGraph = w.referrers.reduce((n, r) => n + r.count, 0);
        f.check(inGraph + w.external === w.refcount, `whyAlive: ${inGraph} referrer references + ${w.external} external != refcount ${w.refcount}`, "leaks");
        f.check(w.external >= 1, `whyAlive: ${w.external} external references, the asking handle is one`, "leaks");
      }
      if (w.path) f.check(w.path.steps.at(-1)!.id === e.id, "a retainer path does not end at its object", "leaks");
      w.release();
      break;
    }
    case 4: {
      const res = f.attempt("leaks.typeStats", () => h.leaks.typeStats(), { expect: null });
      if (res.ok) f.check(res.value.every((r) => r.count > 0 && r.count < 2 ** 31 && r.bytes >= 0 && r.bytes < 2 ** 32), "the census has a negative (wrapped) count", "leaks");
      break;
    }
    default: {
      const e = f.pick();
      if (!e || !e.ref.alive || !tm.isTracing()) break;
      f.attempt("tracemalloc.getObjectTraceback", () => tm.getObjectTraceback(e.ref), { expect: null, touch: [e] });
    }
  }
}

export const OPS: Array<[number, Op]> = [
  [14, op("make", opMake)],
  [12, op("list", opList)],
  [10, op("dict", opDict)],
  [8, op("set", opSet)],
  [10, op("attr", opAttr)],
  [4, op("cycle", opCycle)],
  [5, op("dup", opDup)],
  [10, op("release", opRelease)],
  [5, op("iterate", opIterate)],
  [5, op("weakref", opWeakref)],
  [4, op("weakref use", opWeakUse)],
  [5, op("gc.collect", opCollect)],
  [3, op("gc config", opGcConfig)],
  [2, op("gc referrers", opReferrers)],
  [0.3, op("gc.getObjects", opGetObjects, true)],
  [4, op("bytes", opBytes)],
  [2, op("intern", opIntern)],
  [3, op("raw", opRaw)],
  [10, op("hostile", opHostile)],
  [2, op("collisions", opCollide)],
  [2, op("refcount", opRefcount)],
  [1, op("ballast", opBallast, true)],
  [1, op("mem", opMem)],
  [0.3, op("chain", opChain, true)],
  [0.4, op("big", opBig, true)],
  [1, op("scope", opScope, true)],
  [1, op("in flight", opInFlight, true)],
  [2, op("inspect", opInspect)],
  [2, op("instruments", opInstrument, true)],
];

function short(r: Ref): string {
  try {
    const s = r.repr();
    return s.length > 40 ? s.slice(0, 37) + "..." : s;
  } catch {
    return "<?>";
  }
}

export { entryOf };
