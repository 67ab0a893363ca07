/**
 * Conversions between JS values and heap objects, deep and iterative: heap.from (JS
 * structures to new objects: deepFrom, behind Objects.from) and toJS (a deep copy to
 * plain JS: deepToJS, behind Objects.toJS and Ref.toJS), with the types they take and
 * give, and the text codecs and UTF-8 length the factory's str uses. One object at a
 * time (an int, a str...) is the factory's (objects.ts).
 */
import { T } from "./constants.js";
import { PyReferenceError, PyTypeError } from "./errors.js";
import { Ref, type PyValue } from "./handles.js";
import type { Objects } from "./objects.js";

/** What heap.from accepts (deeply). */
export type JSLike = PyValue | Uint8Array | JSLike[] | Map<JSLike, JSLike> | Set<JSLike> | { [k: string]: JSLike } | undefined;
/** What toJS returns. */
export type JSValue = null | boolean | number | bigint | string | Uint8Array | JSValue[] | Map<JSValue, JSValue> | Set<JSValue> | { [k: string]: JSValue };

export const enc = new TextEncoder();
// ignoreBOM: a str may start with U+FEFF, which the default decoder would strip
export const dec = new TextDecoder("utf-8", { ignoreBOM: true });

/** UTF-8 length of a JS string as TextEncoder writes it (lone surrogates become U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** o[k] = value as an own property, even for k = "__proto__" (a valid Python attribute name). */
function defineOwn(o: Record<string, unknown>, k: string, value: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value, writable: true, enumerable: true, configurable: true });
  else o[k] = value;
}

/** Deep copy to plain JS, iteratively; shared and cyclic objects map to one JS value. */
export function deepToJS(o: Objects, root: number): JSValue {
  const x = o.engine.exports;
  const memo = new Map<number, JSValue>();
  const work: [number, JSValue][] = [];
  const convert = (id: number): JSValue => {
    const t = x.obj_type(id);
    switch (t) {
      case T.NONE: return null;
      case T.BOOL: return id === x.true_obj();
      case T.INT: return o.readInt(id);
      case T.FLOAT: return o.engine.f64[(id + 8) >>> 3];
      case T.STR: return o.readStr(id);
      case T.BYTES:
      case T.BYTEARRAY: return o.bytesView(id).slice();
      case T.MEMORYVIEW: return o.bytesView(id).slice();
      case T.WEAKREF:
      case T.PROXY: {
        // what the weakref refers to (null once it died; a dead proxy cannot be used)
        const target = x.weakref_get(id) >>> 0;
        if (target) return convert(target);
        if (t === T.PROXY) throw new PyReferenceError("weakly-referenced object no longer exists");
        return null;
      }
    }
    const seen = memo.get(id);
    if (seen !== undefined) return seen;
    let v: JSValue;
    if (t === T.TUPLE || t === T.LIST) v = [];
    else if (t === T.DICT) v = new Map();
    else if (t === T.SET || t === T.FROZENSET) v = new Set();
    else v = {};
    memo.set(id, v);
    work.push([id, v]);
    return v;
  };
  const result = convert(root);
  while (work.length) {
    const [id, v] = work.pop()!;
    if (Array.isArray(v)) for (const c of o.children(id)) v.push(convert(c));
    else if (v instanceof Map) {
      const c = o.children(id);
      for (let i = 0; i < c.length; i += 2) v.set(convert(c[i]), convert(c[i + 1]));
    } else if (v instanceof Set) for (const c of o.children(id)) v.add(convert(c));
    else for (const [k, c] of o.attributes(id)) defineOwn(v as Record<string, JSValue>, k, convert(c));
  }
  return result;
}

// ---- heap.from: deep conversion, iteratively -----------------------------------------
/**
 * What from() secures before it allocates anything (an allocation can collect, and a
 * hook run by the collection can release handles or grow memory): copies of the views
 * of this heap's memory that a JS structure holds (a growth would detach them), and a
 * reference to every handle's object (a hook may release the handle). The caller
 * drops the references when done.
 */
function secure(o: Objects, value: unknown): { copies?: Map<unknown, Uint8Array>; held: Map<Ref, number> } {
  const buffer = o.engine.memory.buffer;
  const x = o.engine.exports;
  let copies: Map<unknown, Uint8Array> | undefined;
  const held = new Map<Ref, number>();
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  try {
    walkSecure(o, stack, seen, held, buffer, (v, c) => (copies ??= new Map()).set(v, c));
  } catch (e) {
    for (const id of held.values()) x.obj_decref(id);
    throw e;
  }
  return { copies, held };
}

function walkSecure(o: Objects, stack: unknown[], seen: Set<object>, held: Map<Ref, number>, buffer: ArrayBufferLike, copy: (v: unknown, c: Uint8Array) => void): void {
  const x = o.engine.exports;
  while (stack.length) {
    const v = stack.pop();
    if (v instanceof Ref) {
      if (!held.has(v)) {
        const id = o.own(v);
        x.obj_incref(id);
        held.set(v, id);
      }
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (ArrayBuffer.isView(v)) {
      if (v.buffer === buffer) copy(v, new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
      continue;
    }
    if (v instanceof ArrayBuffer || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) { const c = v[i]; if (c !== null && typeof c === "object") stack.push(c); }
    } else if (v instanceof Set) for (const c of v) stack.push(c);
    else if (v instanceof Map) for (const [k, c] of v) stack.push(k, c);
    else for (const c of Object.values(v)) stack.push(c);
  }
}

export function deepFrom(o: Objects, value: JSLike): Ref {
  const x = o.engine.exports;
  if (value === undefined) throw new PyTypeError("cannot convert undefined to a Python object");
  const { copies, held } = secure(o, value);
  try {
    return fromJS(o, value, copies, held);
  } finally {
    for (const id of held.values()) x.obj_decref(id);
  }
}

function fromJS(o: Objects, value: JSLike, copies: Map<unknown, Uint8Array> | undefined, held: Map<Ref, number>): Ref {
  const x = o.engine.exports;
  const memo = new Map<object, number>();
  type Job = { id: number; js: unknown };
  const jobs: Job[] = [];
  // a new reference for v; containers are created empty and filled by a job
  const make = (v: unknown): number => {
    if (v instanceof Ref) {
      const id = held.get(v)!; // held since before the first allocation
      x.obj_incref(id);
      return id;
    }
    if (v === null || typeof v !== "object") {
      if (v === undefined) throw new PyTypeError("cannot convert undefined to a Python object");
      return o.fromPrimitive(v as PyValue);
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return o.newBytes(copies?.get(v) ?? v);
    const seen = memo.get(v);
    if (seen !== undefined) {
      x.obj_incref(seen);
      return seen;
    }
    let id: number;
    if (Array.isArray(v)) id = o.alloc(() => x.list_new(v.length), "list");
    else if (v instanceof Map) id = o.alloc(() => x.dict_new(), "dict");
    else if (v instanceof Set) id = o.alloc(() => x.set_new(0), "set");
    else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) id = o.alloc(() => x.dict_new(), "dict");
    else throw new PyTypeError(`cannot convert ${(v as object).constructor?.name ?? "object"} to a Python object`);
    // the memo holds a reference of its own until the end: a container replaced in its
    // parent (a Map's keys false and 0 are one Python key) must outlive its job
    x.obj_incref(id);
    memo.set(v, id);
    jobs.push({ id, js: v });
    return id;
  };
  try {
    return fill(o, make, jobs, make(value));
  } finally {
    for (const id of memo.values()) x.obj_decref(id);
  }
}

function fill(o: Objects, make: (v: unknown) => number, jobs: Array<{ id: number; js: unknown }>, root: number): Ref {
  const x = o.engine.exports;
  try {
    while (jobs.length) {
      const { id, js } = jobs.pop()!;
      const put = (k: number | undefined, v: number) => {
        try {
          const t = x.obj_type(id);
          const ok = t === T.LIST ? x.list_append(id, v) : t === T.SET ? x.set_add(id, v) : x.dict_set(id, k!, v);
          if (!ok) throw o.error("from");
        } finally {
          x.obj_decref(v);
          if (k !== undefined) x.obj_decref(k);
        }
      };
      if (Array.isArray(js)) for (const item of js) put(undefined, make(item));
      else if (js instanceof Set) for (const item of js) put(undefined, make(item));
      else if (js instanceof Map) {
        for (const [k, v] of js) {
          const kid = make(k);
          let vid: number;
          try { vid = make(v); } catch (e) { x.obj_decref(kid); throw e; }
          put(kid, vid);
        }
      } else {
        for (const [k, v] of Object.entries(js as object)) {
          const kid = o.newStr(k);
          let vid: number;
          try { vid = make(v); } catch (e) { x.obj_decref(kid); throw e; }
          put(kid, vid);
        }
      }
    }
  } catch (e) {
    // every container made so far hangs from root (or from a container that does)
    x.obj_decref(root);
    throw e;
  }
  return o.wrap(root);
}
