/**
 * Random values for the fuzzer's operations: primitives (with the awkward ones: -0,
 * NaN, huge bigints, lone surrogates, keys whose hashes collide), pool handles, keys,
 * attribute names, and deep JS structures for heap.from().
 */
import type { PyValue, Ref } from "../../src/node.js";
import type { Entry, Fuzzer } from "./fuzzer.js";
import type { Rng } from "./rng.js";

const FLOATS = [0.5, -0.25, NaN, -0, Infinity, -Infinity, 1e300, 5e-324, 0.1, 1e16, 2.5e-5, 4503599627370497.5];
const STRINGS = ["", "a", "abc", "ü", "日本語", "😀", "\ufeffbom", "a\u0000b", "\ud800", "x".repeat(40), "'quote\"", "key", "\n\t"];
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BAD_NAMES = ["1x", "a b", "", "ü", "x-y", "a.b", " a", "a\u0000"];
const MAX_FRESH_NAMES = 300;

export function primitive(rng: Rng): PyValue {
  switch (rng.int(13)) {
    case 0: return rng.int(262) - 5; // the immortal small ints
    case 1: return rng.range(257, 1e6);
    case 2: return -rng.int(1e9);
    case 3: return rng.int(1 << 20) * 2 ** 32; // i << 32
    case 4: return BigInt(rng.int(1e6)) << 32n;
    case 5: {
      const b = 2n ** BigInt(64 + rng.int(300)) + BigInt(rng.int(1000));
      return rng.chance(0.5) ? -b : b;
    }
    case 6: return rng.pick(FLOATS);
    case 7: return rng.chance(0.5);
    case 8: return null;
    case 9: return rng.pick(STRINGS);
    case 10: return `s${rng.int(50)}`;
    case 11: return (2 ** 31 - 1) * rng.int(1000); // every one hashes to 0
    default: return rng.int(10);
  }
}

/** A fresh handle made by `make`, or undefined when the heap refused (the error is judged). */
export function fresh(f: Fuzzer, what: string, make: () => Ref): Ref | undefined {
  const r = f.attempt(what, make);
  return r.ok ? r.value : undefined;
}

/** A value for a call: a pool handle, a primitive, or a temporary float/collision object. */
export function value(f: Fuzzer, temps: Ref[]): PyValue {
  const rng = f.rng;
  const r = rng.next();
  if (r < 0.4 && f.pool.length) return rng.pick(f.pool).ref;
  if (r < 0.45) return temp(f, temps, () => f.heap.float(rng.pick([1, 0, 2, -0, 2 ** 31, NaN])));
  return primitive(rng);
}

const HASHABLE = new Set(["int", "float", "str", "bytes", "tuple", "frozenset", "inst", "none", "bool"]);

/** A key: mostly hashable, with the colliding ones (1 == 1.0 == True, i << 32, frozensets). */
export function key(f: Fuzzer, temps: Ref[]): PyValue {
  const rng = f.rng;
  const r = rng.next();
  if (r < 0.25) {
    const e = f.pick((x) => HASHABLE.has(x.kind));
    if (e) return e.ref;
  }
  if (r < 0.32 && f.pool.length) return rng.pick(f.pool).ref;
  if (r < 0.42) return collisionKey(f, temps);
  return primitive(rng);
}

export function collisionKey(f: Fuzzer, temps: Ref[]): PyValue {
  const rng = f.rng;
  const h = f.heap;
  const k = rng.int(8);
  switch (rng.int(6)) {
    case 0: return temp(f, temps, () => h.frozenset([k * 2 ** 32]));
    case 1: return temp(f, temps, () => h.frozenset([k]));
    case 2: return temp(f, temps, () => h.tuple([k, k * 2 ** 32]));
    case 3: return temp(f, temps, () => h.float(k));
    case 4: return rng.pick([1, true, 1n, 0, false, -0, 2 ** 31, 2 ** 32 + 1]);
    default: return k * (2 ** 31 - 1);
  }
}

function temp(f: Fuzzer, temps: Ref[], make: () => Ref): PyValue {
  const t = fresh(f, "temporary", make);
  if (!t) return 7;
  temps.push(t);
  return t;
}

export function releaseAll(refs: Ref[]): void {
  for (const r of refs) r.release();
  refs.length = 0;
}

/** The pool entry of a value, if it is a pool handle. */
export function entryOf(f: Fuzzer, v: unknown): Entry | undefined {
  return f.pool.find((e) => e.ref === v);
}

export function entriesOf(f: Fuzzer, vs: readonly unknown[]): Entry[] {
  const out: Entry[] = [];
  for (const v of vs) {
    const e = entryOf(f, v);
    if (e && !out.includes(e)) out.push(e);
  }
  return out;
}

/** An attribute name for an instance: its slots, common names, new names, bad names. */
export function attrName(f: Fuzzer, e: Entry): string {
  const rng = f.rng;
  const slots = e.cls?.slots;
  const r = rng.next();
  if (slots && r < 0.8) return rng.pick(slots);
  if (r < 0.75) return rng.pick(f.names);
  if (r < 0.85 && f.freshNames < MAX_FRESH_NAMES) {
    const n = `n${f.freshNames++}`;
    f.names.push(n);
    return n;
  }
  return rng.pick(BAD_NAMES);
}

/** A JS structure for heap.from(): nested, with shared and cyclic parts. */
export function jsValue(f: Fuzzer, depth: number, shared: object[]): unknown {
  const rng = f.rng;
  const r = rng.next();
  if (shared.length && r < 0.1) return rng.pick(shared); // shared, or cyclic when an ancestor
  if (depth > 3 || r < 0.45) return rng.chance(0.15) && f.pool.length ? rng.pick(f.pool).ref : primitive(rng);
  const n = rng.int(5);
  let out: unknown;
  switch (rng.int(5)) {
    case 0: {
      const a: unknown[] = [];
      shared.push(a);
      for (let i = 0; i < n; i++) a.push(jsValue(f, depth + 1, shared));
      out = a;
      break;
    }
    case 1: {
      const m = new Map<unknown, unknown>();
      shared.push(m);
      for (let i = 0; i < n; i++) {
        const k = rng.chance(0.9) ? primitive(rng) : jsValue(f, depth + 1, shared);
        // (two JS keys equal in Python, false and 0, 1 and 1n...: from() once freed the first value, FOUND-5)
        m.set(k, jsValue(f, depth + 1, shared));
      }
      out = m;
      break;
    }
    case 2: {
      const s = new Set<unknown>();
      shared.push(s);
      for (let i = 0; i < n; i++) s.add(rng.chance(0.9) ? primitive(rng) : jsValue(f, depth + 1, shared));
      out = s;
      break;
    }
    case 3: {
      const o: Record<string, unknown> = rng.chance(0.2) ? Object.create(null) : {};
      shared.push(o);
      for (let i = 0; i < n; i++) o[rng.pick(["a", "b", "k" + i, "constructor", "0", "toString"])] = jsValue(f, depth + 1, shared);
      out = o;
      break;
    }
    default:
      out = new Uint8Array(Array.from({ length: n }, () => rng.int(256)));
  }
  return out;
}
