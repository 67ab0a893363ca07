/**
 * The object API's host half: handles (Ref), conversions between JS values and
 * heap objects, Python's repr, deep copies to JS, host-defined classes.
 *
 * The engine (assembly/object/) owns the objects: hashing, equality, reference
 * counts and deallocation all happen there. This file validates arguments, turns
 * JS values into objects and back, and turns the engine's error codes into the
 * PyError family. A failed operation changes nothing: temporary objects made from
 * JS primitives are released whatever happens.
 */
import type { Engine } from "./engine.js";
import {
  PyAttributeError, PyBufferError, PyError, PyIndexError, PyKeyError, PyMemoryError, PyRecursionError,
  PyReferenceError, PyRuntimeError, PyTypeError, PyValueError,
} from "./errors.js";

/** Type ids (assembly/object/header.ts). */
export const T = {
  NONE: 1, BOOL: 2, INT: 3, FLOAT: 4, STR: 5, BYTES: 6, BYTEARRAY: 7, TUPLE: 8, LIST: 9, DICT: 10,
  SET: 11, FROZENSET: 12, MEMORYVIEW: 13, WEAKREF: 14, PROXY: 15,
} as const;
export const FIRST_CLASS = 32;
const TYPE_NAMES = [
  "", "NoneType", "bool", "int", "float", "str", "bytes", "bytearray", "tuple", "list", "dict", "set",
  "frozenset", "memoryview", "weakref.ReferenceType", "weakref.ProxyType",
];
// engine error codes (ERR_* in assembly/object/header.ts)
const ERR_MEMORY = 1, ERR_INDEX = 2, ERR_KEY = 3, ERR_UNHASHABLE = 4, ERR_BUFFER = 5, ERR_RECURSION = 6, ERR_TYPE = 7;
// class flags (TF_* in assembly/object/header.ts)
const TF_SLOTS = 4, TF_DEL = 8, TF_LEGACY_DEL = 16, TF_WEAKREF = 32;

/** The refcount that sys.getrefcount reports for immortal objects (2**32 - 1). */
export const IMMORTAL_REFCNT = 0xffffffff;

/** What an API accepts where Python accepts an object: a handle or a JS primitive. */
export type PyValue = Ref | null | boolean | number | bigint | string;
/** What heap.from accepts (deeply). */
export type JSLike = PyValue | Uint8Array | JSLike[] | Map<JSLike, JSLike> | Set<JSLike> | { [k: string]: JSLike } | undefined;
/** What toJS returns. */
export type JSValue = null | boolean | number | bigint | string | Uint8Array | JSValue[] | Map<JSValue, JSValue> | Set<JSValue> | { [k: string]: JSValue };

export interface ClassOptions {
  /** __slots__: instances hold exactly these attributes ("__weakref__" makes them weakly referenceable). */
  slots?: string[];
  /** __del__ (tp_finalize): called with a borrowed handle before the instance is freed. */
  del?: (self: Ref) => void;
  /** A legacy tp_del finalizer (the collector issue gives it its semantics). */
  legacyDel?: (self: Ref) => void;
}

const HANDLE_OWNED = 0, HANDLE_RELEASED = 1, HANDLE_BORROWED = 2, HANDLE_PERMANENT = 3;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const enc = new TextEncoder();
// ignoreBOM: a str may start with U+FEFF, which the default decoder would strip
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

/** UTF-8 length of a JS string as TextEncoder writes it (lone surrogates become U+FFFD). */
function utf8Length(s: string): number {
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

/**
 * A host-defined class. `new(attrs?)` makes an instance; slotted classes accept only
 * their slots' names.
 */
export class PyClass {
  /** @internal slot name -> index */
  readonly slotIndex: Map<string, number> | undefined;
  constructor(
    private readonly objects: Objects,
    /** The class's name (the type name of its instances). */
    readonly name: string,
    /** The engine's type id of the class. */
    readonly id: number,
    /** __slots__ (without "__weakref__"), or undefined for a class whose instances take any attribute. */
    readonly slots: readonly string[] | undefined,
    /** Do instances accept weak references (the collector issue uses this)? */
    readonly weakrefable: boolean,
    /** @internal */ readonly del: ((self: Ref) => void) | undefined,
    /** @internal */ readonly legacyDel: ((self: Ref) => void) | undefined,
  ) {
    this.slotIndex = slots ? new Map(slots.map((s, i) => [s, i])) : undefined;
  }

  /** A new instance, with the given attributes set in order. */
  new(attrs?: Record<string, PyValue>): Ref {
    const o = this.objects;
    const x = o.engine.exports;
    if (attrs !== undefined && (attrs === null || typeof attrs !== "object" || attrs instanceof Ref)) {
      throw new PyTypeError(`${this.name}.new() takes an object of attributes, not ${describe(attrs)}`);
    }
    // check every name and convert every value first: a bad one changes nothing
    const names: number[] = [];
    const values: PyValue[] = [];
    if (attrs) {
      for (const k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        names.push(o.checkAttrName(this, k, "set"));
        values.push(attrs[k]);
      }
    }
    // the values convert first, then the names are interned (a bad value leaves no new
    // name behind): the engine gets the values and, after them, the keys
    return o.withVector(values, (p, n) => {
      const make = (keys: number[]): Ref => {
        o.engine.u32.set(keys, (p >>> 2) + n);
        return o.wrap(o.alloc(() => x.inst_new_with(this.id, p, n), this.name));
      };
      return this.slotIndex ? make(names) : o.withNames(Object.keys(attrs ?? {}), make);
    }, values.length);
  }

  toString(): string {
    return `<class '${this.name}'>`;
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Ref) return v.alive ? `'${v.type}'` : "a released handle";
  if (Array.isArray(v)) return "an Array";
  return typeof v;
}

/** o[k] = value as an own property, even for k = "__proto__" (a valid Python attribute name). */
function defineOwn(o: Record<string, unknown>, k: string, value: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value, writable: true, enumerable: true, configurable: true });
  else o[k] = value;
}

/** A JS value as error messages quote it; never throws (bigints, handles, cycles, proxies...). */
export function show(v: unknown): string {
  try {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "symbol") return v.toString();
    if (v instanceof Ref) return v.alive ? `<handle to ${v.type}>` : "<released handle>";
    if (typeof v === "function") return `<function ${v.name || "(anonymous)"}>`;
    if (v !== null && typeof v === "object") return Array.isArray(v) ? "an Array" : Object.prototype.toString.call(v);
    return String(v);
  } catch {
    return typeof v;
  }
}

/** @internal Per-heap object state: the engine, classes, attribute names, scopes. */
export class Objects {
  readonly classes = new Map<number, PyClass>();
  readonly names = new Map<string, number>();
  scopes: Ref[][] = [];
  none!: Ref;
  true!: Ref;
  false!: Ref;
  #engine: () => Engine;
  /** Where exceptions from del hooks go (heap.sys.unraisablehook). */
  unraisable: (err: unknown, obj: Ref | undefined, where: string) => void = () => {};

  constructor(engine: () => Engine) {
    this.#engine = engine;
    const x = this.engine.exports;
    this.none = new Ref(this, x.none_obj(), HANDLE_PERMANENT);
    this.true = new Ref(this, x.true_obj(), HANDLE_PERMANENT);
    this.false = new Ref(this, x.false_obj(), HANDLE_PERMANENT);
    this.engine.onDel = (id, kind) => this.runDel(id, kind);
  }

  get engine(): Engine {
    return this.#engine();
  }

  // ---- errors -----------------------------------------------------------------
  typeName(id: number): string {
    const t = this.engine.exports.obj_type(id);
    return t >= FIRST_CLASS ? (this.classes.get(t)?.name ?? `class#${t}`) : TYPE_NAMES[t] ?? `type#${t}`;
  }

  /** The PyError for the engine's last error. */
  error(what: string): PyError {
    const x = this.engine.exports;
    const kind = x.last_error();
    const t = x.last_error_type();
    x.clear_error();
    switch (kind) {
      case ERR_MEMORY: return new PyMemoryError(`${what}: heap memory exhausted`);
      case ERR_INDEX: return new PyIndexError(what);
      case ERR_KEY: return new PyKeyError(what);
      case ERR_UNHASHABLE: return new PyTypeError(`unhashable type: '${t >= FIRST_CLASS ? this.classes.get(t)?.name : TYPE_NAMES[t]}'`);
      case ERR_BUFFER: return new PyBufferError(`${what}: Existing exports of data: object cannot be re-sized`);
      case ERR_RECURSION: return new PyRecursionError(`${what}: maximum recursion depth exceeded in comparison`);
      // (a weakref hashed for the first time after its referent died: weakref_hash's error)
      case ERR_TYPE: return new PyTypeError(t === T.WEAKREF ? "weak object has gone away" : `${what}: unsupported type '${TYPE_NAMES[t] ?? t}'`);
      default: return new PyRuntimeError(`${what}: the engine failed without saying why (an engine bug: please report it)`);
    }
  }

  /** Runs an engine call that allocates: 0 becomes the engine's error (PyMemoryError when memory ran out). */
  alloc(f: () => number, what = "allocation"): number {
    const id = f();
    if (!id) throw this.error(what);
    return id >>> 0;
  }

  // ---- JS -> objects (new references) ---------------------------------------------
  newInt(v: number | bigint): number {
    const x = this.engine.exports;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new PyValueError(`cannot convert float ${Number.isNaN(v) ? "NaN" : "infinity"} to integer`);
      if ((v | 0) === v) return this.alloc(() => x.int_from_i32(v), "int"); // 0 when memory is exhausted
      return this.alloc(() => x.int_from_f64(Math.trunc(v)), "int");
    }
    if (typeof v !== "bigint") throw new PyTypeError(`int() argument must be a number or bigint, not ${describe(v)}`);
    if (v >= -(2n ** 63n) && v < 2n ** 63n) return this.alloc(() => x.int_from_i64(v), "int");
    // base-2**32 digits through hexadecimal, which V8 converts in linear time (peeling
    // digits with >> 32n would copy the whole number once per digit)
    const neg = v < 0n;
    const hex = (neg ? -v : v).toString(16);
    const n = Math.ceil(hex.length / 8);
    const e = this.engine;
    const p = e.exports.mem_malloc(n * 4) >>> 0; // the allocator records no engine error
    if (!p) throw new PyMemoryError("int: heap memory exhausted");
    try {
      const u32 = e.u32, base = p >>> 2;
      for (let i = 0, end = hex.length; i < n; i++, end -= 8) u32[base + i] = parseInt(hex.slice(Math.max(0, end - 8), end), 16);
      return this.alloc(() => e.exports.int_from_digits(p, n, neg ? 1 : 0), "int");
    } finally {
      e.exports.mem_free(p);
    }
  }

  newFloat(v: number): number {
    if (typeof v !== "number") throw new PyTypeError(`float() argument must be a number, not ${describe(v)}`);
    const x = this.engine.exports;
    return this.alloc(() => x.float_new(v), "float");
  }

  newStr(s: string): number {
    if (typeof s !== "string") throw new PyTypeError(`str() argument must be a string, not ${describe(s)}`);
    const e = this.engine;
    const n = utf8Length(s);
    const id = this.alloc(() => e.exports.str_alloc(T.STR, n), "str");
    if (n) enc.encodeInto(s, e.u8.subarray(id + 16, id + 16 + n));
    return id;
  }

  newBytes(data: unknown, type: number = T.BYTES): number {
    const e = this.engine;
    const u8 = toBytes(data, e);
    // a view of this heap's own memory is detached when the allocation grows memory:
    // copy from where its bytes are (the allocation frees and moves nothing)
    const own = u8.buffer === e.memory.buffer;
    const from = u8.byteOffset, n = u8.length;
    const id = type === T.BYTES
      ? this.alloc(() => e.exports.str_alloc(T.BYTES, n), "bytes")
      : this.alloc(() => e.exports.bytearray_new(n), "bytearray");
    if (n) {
      const to = type === T.BYTES ? id + 16 : e.u32[(id + 16) >>> 2];
      if (own) e.u8.copyWithin(to, from, from + n);
      else e.u8.set(u8, to);
    }
    return id;
  }

  /** A new reference for a JS primitive (or a dup of a handle's object). */
  fromPrimitive(v: PyValue): number {
    const x = this.engine.exports;
    switch (typeof v) {
      case "boolean": return v ? x.true_obj() : x.false_obj();
      case "number": return Number.isInteger(v) ? this.newInt(v) : this.newFloat(v);
      case "bigint": return this.newInt(v);
      case "string": return this.newStr(v);
      case "object":
        if (v === null) return x.none_obj();
        if (v instanceof Ref) {
          const id = this.own(v);
          x.obj_incref(id);
          return id;
        }
    }
    throw new PyTypeError(`cannot convert ${describe(v)} to a Python object`);
  }

  /** The id of a live handle of this heap. */
  own(r: Ref): number {
    if (r._objects !== this) throw new PyValueError(`handle ${show(r)} belongs to another heap (or to none)`);
    if (r._state === HANDLE_RELEASED) throw new PyReferenceError("this handle was released");
    return r._id;
  }

  /**
   * Runs f with the borrowed id of a value: a handle passes its object, a JS primitive
   * becomes a temporary object released afterwards, whatever happens.
   */
  with1<R>(v: PyValue, f: (id: number) => R): R {
    const x = this.engine.exports; // throws once the heap is closed
    if (v instanceof Ref) return f(this.own(v));
    const id = this.fromPrimitive(v);
    try {
      return f(id);
    } finally {
      x.obj_decref(id);
    }
  }

  /** with1 for two values. */
  with2<R>(a: PyValue, b: PyValue, f: (a: number, b: number) => R): R {
    return this.with1(a, (ia) => this.with1(b, (ib) => f(ia, ib)));
  }

  #scratchBusy = false;

  /**
   * Runs f with the ids of values written at p (n words) in wasm memory, for the
   * engine's vector calls (tuple_from...): handles pass their objects, JS primitives
   * become temporaries released afterwards. `extra` words are reserved after the ids
   * for f to fill. The engine's scratch area serves when it is free and large enough;
   * a longer vector, or a call nested in one (from a hook), gets a block of its own.
   * Any number of values works: nothing is spread into function arguments.
   */
  withVector<R>(values: readonly PyValue[], f: (p: number, n: number) => R, extra = 0): R {
    const x = this.engine.exports;
    const n = values.length;
    const ids = new Array<number>(n);
    const temps: number[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v instanceof Ref) ids[i] = this.own(v);
        else {
          const id = this.fromPrimitive(v);
          temps.push(id);
          ids[i] = id;
        }
      }
      // (converting runs no host code: no id above can die before the engine holds it)
      return this.withIds(ids, f, extra);
    } finally {
      for (const t of temps) x.obj_decref(t);
    }
  }

  /**
   * Runs f with the ids written at p (n words) in wasm memory, `extra` words free after
   * them: the engine's scratch area when it is free and large enough, else a block of
   * its own (a longer vector, or a call nested in one from a hook).
   */
  withIds<R>(ids: ArrayLike<number>, f: (p: number, n: number) => R, extra = 0): R {
    const e = this.engine;
    const x = e.exports;
    const n = ids.length;
    const words = n + extra;
    const { scratch, scratchWords } = e.layout;
    const shared = !this.#scratchBusy && words <= scratchWords;
    const p = shared ? scratch : words ? x.mem_malloc(words * 4) >>> 0 : scratch;
    if (!p) throw new PyMemoryError(`cannot pass ${n} objects to the engine: heap memory exhausted`);
    if (shared) this.#scratchBusy = true;
    try {
      const u32 = e.u32, w = p >>> 2;
      if (n <= 16) for (let i = 0; i < n; i++) u32[w + i] = ids[i]; // cheaper than set() for the common few
      else u32.set(ids, w);
      return f(p, n);
    } finally {
      if (shared) this.#scratchBusy = false;
      else if (p !== scratch) x.mem_free(p);
    }
  }

  /** A handle owning the new reference `id`. */
  wrap(id: number): Ref {
    const r = new Ref(this, id, HANDLE_OWNED);
    const s = this.scopes.length;
    if (s) this.scopes[s - 1].push(r);
    return r;
  }

  /** A handle owning a new reference to a borrowed id. */
  wrapBorrowed(id: number): Ref {
    this.engine.exports.obj_incref(id);
    return this.wrap(id);
  }

  // ---- classes ----------------------------------------------------------------------
  defineClass(name: string, options: ClassOptions = {}): PyClass {
    if (typeof name !== "string" || !IDENT.test(name)) throw new PyValueError(`class name must be an identifier, not ${show(name)}`);
    if (options === null || typeof options !== "object") throw new PyTypeError("defineClass options must be an object");
    const { slots, del, legacyDel } = options;
    if (del !== undefined && typeof del !== "function") throw new PyTypeError("del must be a function");
    if (legacyDel !== undefined && typeof legacyDel !== "function") throw new PyTypeError("legacyDel must be a function");
    let own: string[] | undefined;
    let weak = slots === undefined;
    if (slots !== undefined) {
      if (!Array.isArray(slots)) throw new PyTypeError("slots must be an array of attribute names");
      own = [];
      for (const s of slots) {
        if (typeof s !== "string" || !IDENT.test(s)) throw new PyTypeError(`__slots__ items must be identifiers, not ${show(s)}`);
        if (s === "__dict__") throw new PyValueError("'__dict__' in slots is not supported: leave slots out for a class that takes any attribute");
        if (s === "__weakref__") {
          if (weak) throw new PyTypeError("__weakref__ slot disallowed: we already got one");
          weak = true;
          continue;
        }
        if (own.includes(s)) throw new PyValueError(`duplicate slot name '${s}'`);
        own.push(s);
      }
    }
    const flags = (own ? TF_SLOTS : 0) | (del ? TF_DEL : 0) | (legacyDel ? TF_LEGACY_DEL : 0) | (weak ? TF_WEAKREF : 0);
    const x = this.engine.exports;
    const id = x.class_define(flags, own ? own.length : 0);
    if (!id) throw new PyMemoryError(`cannot define class ${name}: the heap's class table is full`);
    const cls = new PyClass(this, name, id, own ? Object.freeze(own) : undefined, weak, del, legacyDel);
    this.classes.set(id, cls);
    return cls;
  }

  /** The immortal interned str id of an attribute name. */
  /**
   * Runs f with the interned ids of attribute names. A name seen before is cached and
   * immortal; a new one is interned mortally for the call and becomes immortal (and
   * cached) only when f returns: when f throws, the new names die again, so a failed
   * setattr leaves no trace (as CPython's, whose interned names die with their uses).
   */
  withNames<R>(names: readonly string[], f: (ids: number[]) => R): R {
    const x = this.engine.exports;
    const ids: number[] = [];
    const fresh: Array<[string, number]> = [];
    try {
      for (const name of names) {
        let id = this.names.get(name) ?? fresh.find(([n]) => n === name)?.[1];
        if (id === undefined) {
          const s = this.newStr(name);
          id = x.str_intern(s) >>> 0;
          if (!id) {
            x.obj_decref(s);
            x.clear_error();
            throw new PyMemoryError(`attribute name ${show(name)}: heap memory exhausted`);
          }
          fresh.push([name, id]);
        }
        ids.push(id);
      }
    } catch (e) {
      for (const [, id] of fresh) x.obj_decref(id);
      throw e;
    }
    let r: R;
    try {
      r = f(ids);
    } catch (e) {
      for (const [, id] of fresh) x.obj_decref(id);
      throw e;
    }
    for (const [name, id] of fresh) {
      x.str_immortalize(id);
      this.names.set(name, id);
    }
    return r;
  }

  /** withNames for one name. */
  withName<R>(name: string, f: (id: number) => R): R {
    return this.withNames([name], (ids) => f(ids[0]));
  }

  checkAttrName(cls: PyClass, name: unknown, op: string): number {
    if (typeof name !== "string") throw new PyTypeError(`attribute name must be string, not ${describe(name)}`);
    if (cls.slotIndex) {
      const i = cls.slotIndex.get(name);
      if (i === undefined) {
        throw new PyAttributeError(op === "set" ? `'${cls.name}' object has no attribute '${name}' and no __dict__ for setting new attributes` : `'${cls.name}' object has no attribute '${name}'`);
      }
      return i;
    }
    if (!IDENT.test(name)) throw new PyValueError(`attribute name must be an identifier, not ${show(name)}`);
    return -1;
  }

  /**
   * A class's hook, called by the engine: del at refcount death (kind 0), legacyDel (1),
   * del run by the collector (2). Nested too deep in other hooks (a chain of hooks each
   * releasing the next object), a death's hook is postponed to the end of the outermost
   * one (Engine.defer): a reference taken here keeps the object alive meanwhile (the
   * engine sees a resurrection and stops), and is dropped once the hook has run, which
   * then finishes the deallocation (a postponed legacyDel runs there, from the engine).
   * The collector's calls are never postponed: collections do not nest, and its results
   * depend on the hooks having run.
   */
  runDel(id: number, kind: number): void {
    const e = this.engine;
    const cls = this.classes.get(e.exports.obj_type(id));
    const hook = kind === 1 ? cls?.legacyDel : cls?.del;
    if (!hook) return;
    if (kind !== 2 && e.tooDeep) {
      const x = e.exports;
      x.obj_incref(id);
      e.defer(() => {
        try {
          if (kind === 0) this.#callHook(hook, id, kind);
        } finally {
          x.obj_decref(id);
        }
      });
      return;
    }
    this.#callHook(hook, id, kind);
  }

  #callHook(hook: (self: Ref) => void, id: number, kind: number): void {
    const self = new Ref(this, id, HANDLE_BORROWED);
    try {
      hook(self);
    } catch (err) {
      try {
        this.unraisable(err, self, `Exception ignored in: ${kind === 1 ? "legacyDel" : "del"} of ${self.repr()}`);
      } catch {
        // the hook itself failed: nothing may escape into the engine
      }
    } finally {
      self._state = HANDLE_RELEASED;
    }
  }

  // ---- objects -> JS ------------------------------------------------------------------
  readInt(id: number): number | bigint {
    const e = this.engine;
    const n = e.i32[(id + 8) >>> 2];
    const a = Math.abs(n);
    if (a === 0) return 0;
    const base = (id + 12) >>> 2;
    if (a === 1) return n < 0 ? -e.u32[base] : e.u32[base];
    if (a === 2) {
      const v = e.u32[base + 1] * 2 ** 32 + e.u32[base];
      if (v <= Number.MAX_SAFE_INTEGER) return n < 0 ? -v : v;
    }
    // through hexadecimal, which V8 parses in linear time (shifting in one digit at a
    // time would copy the whole number once per digit)
    const parts = new Array<string>(a);
    for (let i = a - 1, k = 0; i >= 0; i--, k++) parts[k] = e.u32[base + i].toString(16).padStart(8, "0");
    const r = BigInt("0x" + parts.join(""));
    return n < 0 ? -r : r;
  }

  readStr(id: number): string {
    const e = this.engine;
    const n = e.u32[(id + 8) >>> 2];
    return n ? dec.decode(e.u8.subarray(id + 16, id + 16 + n)) : "";
  }

  /** The bytes of a bytes, bytearray or memoryview, as a view of wasm memory (not a copy). */
  bytesView(id: number): Uint8Array {
    const e = this.engine;
    const t = e.exports.obj_type(id);
    const w = (id + 8) >>> 2;
    if (t === T.BYTES) return e.u8.subarray(id + 16, id + 16 + e.u32[w]);
    if (t === T.BYTEARRAY) return e.u8.subarray(e.u32[w + 2], e.u32[w + 2] + e.u32[w]);
    // memoryview: base, data, length, flags
    if (e.u32[w + 3] & 1) throw new PyValueError("operation forbidden on released memoryview object");
    return e.u8.subarray(e.u32[w + 1], e.u32[w + 1] + e.u32[w + 2]);
  }

  /** Borrowed children of a container, in Python's iteration order. */
  children(id: number): number[] {
    const x = this.engine.exports;
    const t = x.obj_type(id);
    const out: number[] = [];
    if (t === T.TUPLE || t === T.LIST) {
      const n = this.engine.i32[(id + 8) >>> 2];
      for (let i = 0; i < n; i++) out.push(t === T.TUPLE ? x.tuple_get(id, i) >>> 0 : x.list_get(id, i) >>> 0);
    } else if (t === T.DICT) {
      for (let p = x.dict_next(id, 0); p >= 0; p = x.dict_next(id, p + 1)) out.push(x.dict_key_at(id, p) >>> 0, x.dict_value_at(id, p) >>> 0);
    } else if (t === T.SET || t === T.FROZENSET) {
      for (let p = x.set_next(id, 0); p >= 0; p = x.set_next(id, p + 1)) out.push(x.set_key_at(id, p) >>> 0);
    }
    return out;
  }

  /** Instance attributes as [name, borrowed id] in order (unset slots left out). */
  attributes(id: number): [string, number][] {
    const x = this.engine.exports;
    const cls = this.classes.get(x.obj_type(id))!;
    const out: [string, number][] = [];
    if (cls.slots) {
      cls.slots.forEach((s, i) => {
        const v = x.slot_get(id, i) >>> 0;
        if (v) out.push([s, v]);
      });
      x.clear_error();
    } else {
      const n = x.attr_count(id);
      for (let i = 0; i < n; i++) out.push([this.readStr(x.attr_name(id, i) >>> 0), x.attr_value(id, i) >>> 0]);
    }
    return out;
  }

  /** Deep copy to plain JS, iteratively; shared and cyclic objects map to one JS value. */
  toJS(root: number): JSValue {
    const x = this.engine.exports;
    const memo = new Map<number, JSValue>();
    const work: [number, JSValue][] = [];
    const convert = (id: number): JSValue => {
      const t = x.obj_type(id);
      switch (t) {
        case T.NONE: return null;
        case T.BOOL: return id === x.true_obj();
        case T.INT: return this.readInt(id);
        case T.FLOAT: return this.engine.f64[(id + 8) >>> 3];
        case T.STR: return this.readStr(id);
        case T.BYTES:
        case T.BYTEARRAY: return this.bytesView(id).slice();
        case T.MEMORYVIEW: return this.bytesView(id).slice();
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
      if (Array.isArray(v)) for (const c of this.children(id)) v.push(convert(c));
      else if (v instanceof Map) {
        const c = this.children(id);
        for (let i = 0; i < c.length; i += 2) v.set(convert(c[i]), convert(c[i + 1]));
      } else if (v instanceof Set) for (const c of this.children(id)) v.add(convert(c));
      else for (const [k, c] of this.attributes(id)) defineOwn(v as Record<string, JSValue>, k, convert(c));
    }
    return result;
  }

  /** Python's repr, iteratively; a container met again inside itself prints as [...], {...}, (...). */
  repr(root: number): string {
    const x = this.engine.exports;
    const out: string[] = [];
    const active = new Set<number>();
    type Task = number | string | { leave: number };
    const stack: Task[] = [root];
    while (stack.length) {
      const task = stack.pop()!;
      if (typeof task === "string") { out.push(task); continue; }
      if (typeof task === "object") { active.delete(task.leave); continue; }
      const id = task;
      const t = x.obj_type(id);
      switch (t) {
        case T.NONE: out.push("None"); continue;
        case T.BOOL: out.push(id === x.true_obj() ? "True" : "False"); continue;
        case T.INT: out.push(String(this.readInt(id))); continue;
        case T.FLOAT: out.push(floatRepr(this.engine.f64[(id + 8) >>> 3])); continue;
        case T.STR: out.push(strRepr(this.readStr(id))); continue;
        case T.BYTES: out.push(bytesRepr(this.bytesView(id))); continue;
        case T.BYTEARRAY: out.push(`bytearray(${bytesRepr(this.bytesView(id), true)})`); continue;
        case T.WEAKREF:
        case T.PROXY: {
          const target = x.weakref_get(id) >>> 0;
          const at = `0x${id.toString(16)}`;
          if (t === T.WEAKREF) out.push(target ? `<weakref at ${at}; to '${this.typeName(target)}' at 0x${target.toString(16)}>` : `<weakref at ${at}; dead>`);
          // (CPython 3.11's proxy_repr: no semicolon, no quotes)
          else out.push(`<weakproxy at ${at} to ${target ? this.typeName(target) : "NoneType"} at 0x${(target || x.none_obj()).toString(16)}>`);
          continue;
        }
        case T.MEMORYVIEW: {
          const released = this.engine.u32[(id + 20) >>> 2] & 1;
          out.push(`<${released ? "released " : ""}memory at 0x${id.toString(16)}>`);
          continue;
        }
      }
      const [open, close, recursive] =
        t === T.LIST ? ["[", "]", "[...]"] :
        t === T.TUPLE ? ["(", ")", "(...)"] :
        t === T.DICT ? ["{", "}", "{...}"] :
        t === T.SET ? ["{", "}", "set(...)"] :
        t === T.FROZENSET ? ["frozenset({", "})", "frozenset(...)"] : ["", "", ""];
      if (!open) {
        out.push(`<${this.typeName(id)} object at 0x${id.toString(16)}>`);
        continue;
      }
      if (active.has(id)) { out.push(recursive); continue; }
      const kids = this.children(id);
      if (kids.length === 0) {
        out.push(t === T.SET ? "set()" : t === T.FROZENSET ? "frozenset()" : open + close);
        continue;
      }
      active.add(id);
      const tasks: Task[] = [open];
      if (t === T.DICT) {
        for (let i = 0; i < kids.length; i += 2) {
          if (i) tasks.push(", ");
          tasks.push(kids[i], ": ", kids[i + 1]);
        }
      } else {
        kids.forEach((k, i) => {
          if (i) tasks.push(", ");
          tasks.push(k);
        });
        if (t === T.TUPLE && kids.length === 1) tasks.push(",");
      }
      tasks.push(close, { leave: id });
      for (let i = tasks.length - 1; i >= 0; i--) stack.push(tasks[i]);
    }
    return out.join("");
  }

  // ---- heap.from: deep conversion, iteratively -----------------------------------------
  /**
   * What from() secures before it allocates anything (an allocation can collect, and a
   * hook run by the collection can release handles or grow memory): copies of the views
   * of this heap's memory that a JS structure holds (a growth would detach them), and a
   * reference to every handle's object (a hook may release the handle). The caller
   * drops the references when done.
   */
  #secure(value: unknown): { copies?: Map<unknown, Uint8Array>; held: Map<Ref, number> } {
    const buffer = this.engine.memory.buffer;
    const x = this.engine.exports;
    let copies: Map<unknown, Uint8Array> | undefined;
    const held = new Map<Ref, number>();
    const seen = new Set<object>();
    const stack: unknown[] = [value];
    try {
      this.#walkSecure(stack, seen, held, buffer, (v, c) => (copies ??= new Map()).set(v, c));
    } catch (e) {
      for (const id of held.values()) x.obj_decref(id);
      throw e;
    }
    return { copies, held };
  }

  #walkSecure(stack: unknown[], seen: Set<object>, held: Map<Ref, number>, buffer: ArrayBufferLike, copy: (v: unknown, c: Uint8Array) => void): void {
    const x = this.engine.exports;
    while (stack.length) {
      const v = stack.pop();
      if (v instanceof Ref) {
        if (!held.has(v)) {
          const id = this.own(v);
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

  from(value: JSLike): Ref {
    const x = this.engine.exports;
    if (value === undefined) throw new PyTypeError("cannot convert undefined to a Python object");
    const { copies, held } = this.#secure(value);
    try {
      return this.#from(value, copies, held);
    } finally {
      for (const id of held.values()) x.obj_decref(id);
    }
  }

  #from(value: JSLike, copies: Map<unknown, Uint8Array> | undefined, held: Map<Ref, number>): Ref {
    const x = this.engine.exports;
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
        return this.fromPrimitive(v as PyValue);
      }
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return this.newBytes(copies?.get(v) ?? v);
      const seen = memo.get(v);
      if (seen !== undefined) {
        x.obj_incref(seen);
        return seen;
      }
      let id: number;
      if (Array.isArray(v)) id = this.alloc(() => x.list_new(v.length), "list");
      else if (v instanceof Map) id = this.alloc(() => x.dict_new(), "dict");
      else if (v instanceof Set) id = this.alloc(() => x.set_new(0), "set");
      else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) id = this.alloc(() => x.dict_new(), "dict");
      else throw new PyTypeError(`cannot convert ${(v as object).constructor?.name ?? "object"} to a Python object`);
      // the memo holds a reference of its own until the end: a container replaced in its
      // parent (a Map's keys false and 0 are one Python key) must outlive its job
      x.obj_incref(id);
      memo.set(v, id);
      jobs.push({ id, js: v });
      return id;
    };
    try {
      return this.#fill(make, jobs, make(value));
    } finally {
      for (const id of memo.values()) x.obj_decref(id);
    }
  }

  #fill(make: (v: unknown) => number, jobs: Array<{ id: number; js: unknown }>, root: number): Ref {
    const x = this.engine.exports;
    try {
      while (jobs.length) {
        const { id, js } = jobs.pop()!;
        const put = (k: number | undefined, v: number) => {
          try {
            const t = x.obj_type(id);
            const ok = t === T.LIST ? x.list_append(id, v) : t === T.SET ? x.set_add(id, v) : x.dict_set(id, k!, v);
            if (!ok) throw this.error("from");
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
            const kid = this.newStr(k);
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
    return this.wrap(root);
  }
}

function toBytes(data: unknown, engine?: Engine): Uint8Array {
  let u8: Uint8Array;
  if (data instanceof Uint8Array) u8 = data;
  else if (data instanceof ArrayBuffer) u8 = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else if (Array.isArray(data)) {
    for (const b of data) if (!Number.isInteger(b) || b < 0 || b > 255) throw new PyValueError("bytes must be in range(0, 256)");
    return Uint8Array.from(data);
  } else throw new PyTypeError(`cannot convert ${describe(data)} to bytes: pass a Uint8Array, an ArrayBuffer or an array of byte values`);
  if (engine?.detached.has(u8.buffer)) {
    throw new PyValueError("a view of this heap's memory taken before its memory grew (it reads as empty now): take the view again after allocating");
  }
  return u8;
}

/** Python's float repr: the shortest round-trip digits, fixed between 1e-4 and 1e16. */
export function floatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mant, expText] = v.toExponential().split("e");
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let s: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) s = "0." + "0".repeat(-exp - 1) + digits;
    else if (digits.length <= exp + 1) s = digits + "0".repeat(exp + 1 - digits.length) + ".0";
    else s = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  } else {
    const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    s = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return neg ? "-" + s : s;
}

/**
 * Characters Python's str.isprintable() rejects (unicode_repr escapes them): the
 * categories Other (Cc, Cf, Cs, Co, Cn) and Separator (Zs, Zl, Zp), except the space.
 * Categories come from the JS engine's Unicode tables, which may be newer than Python's.
 */
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 0x20 || !NON_PRINTABLE.test(ch)) out += ch;
    else if (c <= 0xff) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c <= 0xffff) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += "\\U" + c.toString(16).padStart(8, "0");
  }
  return out + q;
}

/** bytes' repr; `bytearray` escapes every ' whatever the quotes (CPython's bytearray_repr does). */
function bytesRepr(b: Uint8Array, bytearray = false): string {
  let hasSingle = false, hasDouble = false;
  for (const c of b) { if (c === 0x27) hasSingle = true; else if (c === 0x22) hasDouble = true; }
  const q = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + q;
  for (const c of b) {
    if (c === q.charCodeAt(0) || c === 0x5c || (bytearray && c === 0x27)) out += "\\" + String.fromCharCode(c);
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += String.fromCharCode(c);
  }
  return out + q;
}

function checkIndex(i: unknown, what: string): number {
  if (typeof i !== "number" || !Number.isInteger(i)) throw new PyTypeError(`${what} indices must be integers, not ${describe(i)}`);
  return i;
}

/** Clamps an integer index to the engine's i32 without changing what it means. */
function i32Index(i: number): number {
  return i > 0x7fffffff ? 0x7fffffff : i < -0x80000000 ? -0x80000000 : i;
}

/**
 * A handle: one reference to one heap object, like a Python variable.
 * `release()` (or `using`) drops it; `dup()` makes another.
 *
 * One class serves every type; methods a type does not have throw PyTypeError,
 * as Python raises AttributeError/TypeError at run time.
 */
export class Ref {
  /** @internal */ _objects: Objects;
  /** @internal */ _id: number;
  /** @internal */ _state: number;

  /** @internal */
  constructor(objects: Objects, id: number, state: number) {
    this._objects = objects;
    this._id = id;
    this._state = state;
  }

  /** @internal The object's id, checking that the handle is live and the heap open. */
  get _live(): number {
    if (this._state === HANDLE_RELEASED) throw new PyReferenceError("this handle was released");
    this._objects.engine; // throws when the heap is closed
    return this._id;
  }

  /**
   * @internal The object a method works on: this handle's object, or for a weakref
   * proxy the object it refers to (PyReferenceError once that died).
   */
  get _target(): number {
    const id = this._live;
    const x = this._objects.engine.exports;
    if (x.obj_type(id) !== T.PROXY) return id;
    const o = x.weakref_get(id) >>> 0;
    if (!o) throw new PyReferenceError("weakly-referenced object no longer exists");
    return o;
  }

  /** weakref handles: the object (a new handle), or null once it died. */
  deref(): Ref | null {
    const id = this._live;
    const x = this._objects.engine.exports;
    const t = x.obj_type(id);
    if (t !== T.WEAKREF && t !== T.PROXY) throw new PyTypeError(`'${this.type}' object is not a weak reference`);
    const o = x.weakref_get(id) >>> 0;
    return o ? this._objects.wrapBorrowed(o) : null;
  }

  /** id(): the object's address in the heap. */
  get id(): number {
    return this._live;
  }

  /** The Python type name ("list", "int", a class name...). */
  get type(): string {
    return this._objects.typeName(this._live);
  }

  /** Is this handle still usable? */
  get alive(): boolean {
    if (this._state === HANDLE_RELEASED) return false;
    try {
      this._objects.engine; // throws once the heap is closed
    } catch {
      return false;
    }
    return true;
  }

  /** Drops this handle's reference; the object is freed if it was the last. Idempotent. */
  release(): void {
    if (this._state === HANDLE_RELEASED || this._state === HANDLE_PERMANENT) return;
    const owned = this._state === HANDLE_OWNED;
    this._state = HANDLE_RELEASED;
    if (owned) this._objects.engine.exports.obj_decref(this._id);
  }

  [Symbol.dispose](): void {
    if (this._state === HANDLE_RELEASED) return;
    try {
      this.release();
    } catch (e) {
      if (!(e instanceof PyReferenceError)) throw e; // heap already closed: nothing to drop
    }
  }

  /** A second handle to the same object (one more reference). */
  dup(): Ref {
    return this._objects.wrapBorrowed(this._live);
  }

  /** Python's `is`: the same object. JS primitives compare as the objects they convert to. */
  is(other: PyValue): boolean {
    const id = this._live;
    return this._objects.with1(other, (o) => o === id);
  }

  /** A deep copy as plain JS (see README: int -> number or bigint, dict -> Map...). */
  toJS(): JSValue {
    return this._objects.toJS(this._target);
  }

  /** Python's repr(). */
  repr(): string {
    return this._objects.repr(this._live);
  }

  toString(): string {
    return this._state === HANDLE_RELEASED ? "<released handle>" : this.repr();
  }

  #t(): number {
    return this._objects.engine.exports.obj_type(this._target);
  }

  #no(method: string): never {
    throw new PyTypeError(`'${this.type}' object has no method '${method}'`);
  }

  #expect(method: string, ...types: number[]): number {
    const id = this._target;
    const t = this._objects.engine.exports.obj_type(id);
    if (!types.includes(t)) this.#no(method);
    return id;
  }

  // ---- sized ------------------------------------------------------------------------
  /** len(): items of a sequence or mapping, bytes of a bytes-like object. */
  get length(): number {
    const id = this._target;
    const e = this._objects.engine;
    switch (e.exports.obj_type(id)) {
      case T.TUPLE:
      case T.LIST:
      case T.DICT:
      case T.SET:
      case T.FROZENSET:
      case T.STR:
        if (e.exports.obj_type(id) === T.STR) return [...this._objects.readStr(id)].length;
        return e.i32[(id + 8) >>> 2];
      case T.BYTES:
      case T.BYTEARRAY:
      case T.MEMORYVIEW:
        return this._objects.bytesView(id).length;
    }
    throw new PyTypeError(`object of type '${this.type}' has no len()`);
  }

  // ---- list / tuple / dict / bytes: get -------------------------------------------------------
  /**
   * list/tuple: item i (negative counts from the end); dict: the value for key k,
   * undefined when absent; bytes/bytearray: byte i as a number.
   */
  get(key: PyValue): Ref | undefined;
  get(i: number): Ref | number;
  get(key: PyValue): Ref | number | undefined {
    const o = this._objects;
    const id = this._target;
    const x = o.engine.exports;
    const t = x.obj_type(id);
    if (t === T.LIST || t === T.TUPLE) {
      const i = i32Index(checkIndex(key, t === T.LIST ? "list" : "tuple"));
      const v = (t === T.LIST ? x.list_get(id, i) : x.tuple_get(id, i)) >>> 0;
      if (!v) throw o.error(`${t === T.LIST ? "list" : "tuple"} index out of range`);
      return o.wrapBorrowed(v);
    }
    if (t === T.DICT) {
      return o.with1(key, (k) => {
        const v = x.dict_get(id, k) >>> 0;
        if (!v) {
          if (x.last_error()) throw o.error("dict.get");
          return undefined;
        }
        return o.wrapBorrowed(v);
      });
    }
    if (t === T.BYTES || t === T.BYTEARRAY) {
      const b = o.bytesView(id);
      let i = checkIndex(key, "byte");
      if (i < 0) i += b.length;
      if (i < 0 || i >= b.length) throw new PyIndexError(`${t === T.BYTES ? "index" : "bytearray index"} out of range`);
      return b[i];
    }
    this.#no("get");
  }

  /** list: item i = v; dict: d[k] = v; bytearray: byte i = v (0..255). */
  set(key: PyValue, value: PyValue): void {
    const o = this._objects;
    const id = this._target;
    const x = o.engine.exports;
    const t = x.obj_type(id);
    if (t === T.LIST) {
      const i = i32Index(checkIndex(key, "list"));
      o.with1(value, (v) => {
        if (!x.list_set(id, i, v)) throw o.error("list assignment index out of range");
      });
      return;
    }
    if (t === T.DICT) {
      o.with2(key, value, (k, v) => {
        if (!x.dict_set(id, k, v)) throw o.error("dict.set");
      });
      return;
    }
    if (t === T.BYTEARRAY) {
      let i = checkIndex(key, "bytearray");
      if (typeof value !== "number" || !Number.isInteger(value)) throw new PyTypeError(`'${describe(value)}' object cannot be interpreted as an integer`);
      if (value < 0 || value > 255) throw new PyValueError("byte must be in range(0, 256)");
      const b = o.bytesView(id);
      if (i < 0) i += b.length;
      if (i < 0 || i >= b.length) throw new PyIndexError("bytearray index out of range");
      b[i] = value;
      return;
    }
    this.#no("set");
  }

  /** list: del l[i]; dict: del d[k] (PyKeyError when absent). */
  delete(key: PyValue): void {
    const o = this._objects;
    const id = this._target;
    const x = o.engine.exports;
    const t = x.obj_type(id);
    if (t === T.LIST) {
      const i = i32Index(checkIndex(key, "list"));
      if (!x.list_delete(id, i)) throw o.error("list assignment index out of range");
      return;
    }
    if (t === T.DICT) {
      o.with1(key, (k) => {
        if (!x.dict_delete(id, k)) throw o.error(typeof key === "string" ? strRepr(key) : key instanceof Ref ? key.repr() : String(key));
      });
      return;
    }
    this.#no("delete");
  }

  // ---- list ------------------------------------------------------------------------
  append(value: PyValue): void {
    const id = this.#expect("append", T.LIST);
    const o = this._objects;
    const x = o.engine.exports;
    o.with1(value, (v) => {
      if (!x.list_append(id, v)) throw o.error("list.append");
    });
  }

  /** list.extend(values); bytearray.extend(bytes). */
  extend(values: Iterable<PyValue> | Uint8Array | ArrayBuffer): void {
    const o = this._objects;
    if (this.#t() === T.BYTEARRAY) {
      const id = this._target;
      const add = toBytes(values, o.engine);
      const copy = add.slice(); // the source may be a view of this heap's memory
      const e = o.engine;
      const n = o.bytesView(id).length;
      if (!e.exports.bytearray_resize(id, n + copy.length)) throw o.error("bytearray.extend");
      o.bytesView(id).set(copy, n);
      return;
    }
    const id = this.#expect("extend", T.LIST);
    if (values === null || values === undefined || typeof (values as Iterable<PyValue>)[Symbol.iterator] !== "function") {
      throw new PyTypeError(`'${describe(values)}' object is not iterable`);
    }
    // convert everything first, so that a bad item changes nothing
    if (values instanceof Ref) o.own(values); // a handle of this heap, live, before its iteration runs
    const items = [...(values as Iterable<PyValue>)];
    const x = o.engine.exports;
    try {
      o.withVector(items, (p, n) => {
        if (!x.list_extend(id, p, n)) throw o.error("list.extend");
      });
    } finally {
      // l.extend(t): the handles t's own iteration made are ours to drop
      if (values instanceof Ref) for (const v of items) if (v instanceof Ref) v.release();
    }
  }

  /** list.insert(i, v): i is clamped to the list, as in Python. */
  insert(index: number, value: PyValue): void {
    const id = this.#expect("insert", T.LIST);
    const i = i32Index(checkIndex(index, "list"));
    const o = this._objects;
    const x = o.engine.exports;
    o.with1(value, (v) => {
      if (!x.list_insert(id, i, v)) throw o.error("list.insert");
    });
  }

  /** list.pop(i = -1): the item; its reference moves from the list to the handle. */
  pop(index = -1): Ref {
    const id = this.#expect("pop", T.LIST);
    const o = this._objects;
    const x = o.engine.exports;
    const i = i32Index(checkIndex(index, "list"));
    if (o.engine.i32[(id + 8) >>> 2] === 0) throw new PyIndexError("pop from empty list");
    const v = x.list_pop(id, i) >>> 0;
    if (!v) throw o.error("pop index out of range");
    return o.wrap(v);
  }

  /** list/dict/set clear(). */
  clear(): void {
    const id = this._target;
    const x = this._objects.engine.exports;
    switch (x.obj_type(id)) {
      case T.LIST: x.list_clear(id); return;
      case T.DICT: x.dict_clear(id); return;
      case T.SET: x.set_clear(id); return;
    }
    this.#no("clear");
  }

  // ---- dict --------------------------------------------------------------------------
  /** dict: key in d; set/frozenset: v in s. An unhashable argument raises PyTypeError. */
  has(key: PyValue): boolean {
    const id = this._target;
    const o = this._objects;
    const x = o.engine.exports;
    const t = x.obj_type(id);
    if (t === T.DICT) {
      return o.with1(key, (k) => {
        const v = x.dict_get(id, k);
        if (!v && x.last_error()) throw o.error("dict.has");
        return v !== 0;
      });
    }
    if (t === T.SET || t === T.FROZENSET) {
      return o.with1(key, (k) => {
        const r = x.set_has(id, k);
        if (r < 0) throw o.error("set.has");
        return r === 1;
      });
    }
    this.#no("has");
  }

  /** dict.keys() as handles the caller releases. */
  keys(): Ref[] {
    const id = this.#expect("keys", T.DICT);
    const c = this._objects.children(id);
    const out: Ref[] = [];
    for (let i = 0; i < c.length; i += 2) out.push(this._objects.wrapBorrowed(c[i]));
    return out;
  }

  values(): Ref[] {
    const id = this.#expect("values", T.DICT);
    const c = this._objects.children(id);
    const out: Ref[] = [];
    for (let i = 1; i < c.length; i += 2) out.push(this._objects.wrapBorrowed(c[i]));
    return out;
  }

  items(): [Ref, Ref][] {
    const id = this.#expect("items", T.DICT);
    const c = this._objects.children(id);
    const out: [Ref, Ref][] = [];
    for (let i = 0; i < c.length; i += 2) out.push([this._objects.wrapBorrowed(c[i]), this._objects.wrapBorrowed(c[i + 1])]);
    return out;
  }

  // ---- set ---------------------------------------------------------------------------
  add(value: PyValue): void {
    const id = this.#expect("add", T.SET);
    const o = this._objects;
    const x = o.engine.exports;
    o.with1(value, (v) => {
      if (!x.set_add(id, v)) throw o.error("set.add");
    });
  }

  discard(value: PyValue): void {
    const id = this.#expect("discard", T.SET);
    const o = this._objects;
    const x = o.engine.exports;
    o.with1(value, (v) => {
      if (!x.set_discard(id, v)) throw o.error("set.discard");
    });
  }

  // ---- instances ------------------------------------------------------------------------
  #cls(method: string): PyClass {
    const t = this.#t();
    const cls = t >= FIRST_CLASS ? this._objects.classes.get(t) : undefined;
    if (!cls) this.#no(method);
    return cls;
  }

  getattr(name: string): Ref {
    const cls = this.#cls("getattr");
    const o = this._objects;
    const x = o.engine.exports;
    const i = o.checkAttrName(cls, name, "get");
    const id = this._target;
    // a name never interned in this heap is nobody's attribute: fail without interning it
    const nid = i >= 0 ? 0 : o.names.get(name);
    const v = (i >= 0 ? x.slot_get(id, i) : nid === undefined ? 0 : x.attr_get(id, nid)) >>> 0;
    if (!v) {
      x.clear_error();
      throw new PyAttributeError(`'${cls.name}' object has no attribute '${name}'`);
    }
    return o.wrapBorrowed(v);
  }

  setattr(name: string, value: PyValue): void {
    const cls = this.#cls("setattr");
    const o = this._objects;
    const x = o.engine.exports;
    const i = o.checkAttrName(cls, name, "set");
    const id = this._target;
    // the name is interned once the value converted: a bad value leaves no new name behind
    o.with1(value, (v) => {
      if (i >= 0) x.slot_set(id, i, v);
      else o.withName(name, (nid) => { if (!x.attr_set(id, nid, v)) throw o.error("setattr"); });
    });
  }

  delattr(name: string): void {
    const cls = this.#cls("delattr");
    const o = this._objects;
    const x = o.engine.exports;
    const i = o.checkAttrName(cls, name, "del");
    const id = this._target;
    const nid = i >= 0 ? 0 : o.names.get(name); // (as in getattr: never interned, never set)
    const ok = i >= 0 ? x.slot_delete(id, i) : nid === undefined ? 0 : x.attr_delete(id, nid);
    if (!ok) {
      x.clear_error();
      throw new PyAttributeError(i >= 0 ? name : `'${cls.name}' object has no attribute '${name}'`);
    }
  }

  hasattr(name: string): boolean {
    const cls = this.#cls("hasattr");
    const o = this._objects;
    const x = o.engine.exports;
    if (typeof name !== "string") throw new PyTypeError(`attribute name must be string, not ${describe(name)}`);
    const id = this._target;
    if (cls.slotIndex) {
      const i = cls.slotIndex.get(name);
      if (i === undefined) return false;
      const v = x.slot_get(id, i);
      x.clear_error();
      return v !== 0;
    }
    const nid = this._objects.names.get(name);
    if (nid === undefined) return false; // never used as an attribute name in this heap
    const v = x.attr_get(id, nid);
    x.clear_error();
    return v !== 0;
  }

  // ---- bytearray -------------------------------------------------------------------------
  /** bytearray: sets the length (new bytes are 0). PyBufferError while a memoryview exports it. */
  resize(n: number): void {
    const id = this.#expect("resize", T.BYTEARRAY);
    if (typeof n !== "number" || !Number.isInteger(n)) throw new PyTypeError(`resize() argument must be an integer, not ${describe(n)}`);
    if (n < 0 || n > 0xffffffff) throw new PyValueError(`cannot resize a bytearray to ${n} bytes`);
    const o = this._objects;
    if (!o.engine.exports.bytearray_resize(id, n)) throw o.error("bytearray.resize");
  }

  // ---- memoryview ------------------------------------------------------------------------
  /**
   * memoryview: the viewed bytes, as a zero-copy Uint8Array over the heap's memory.
   * Take it again after any allocation (memory growth detaches earlier views).
   */
  get data(): Uint8Array {
    const id = this.#expect("data", T.MEMORYVIEW);
    return this._objects.bytesView(id);
  }

  /**
   * memoryview: Python's memoryview.release(): ends the export now (the bytearray can
   * resize again) and drops the view's reference to its base. The handle stays valid
   * (`released` is true, `data` throws). Releasing a handle does not end the export:
   * the view's death does, when its last reference goes.
   */
  releaseView(): void {
    const id = this.#expect("releaseView", T.MEMORYVIEW);
    this._objects.engine.exports.memoryview_release(id);
  }

  /** memoryview: is the view released? */
  get released(): boolean {
    const id = this.#expect("released", T.MEMORYVIEW);
    return (this._objects.engine.u32[(id + 20) >>> 2] & 1) !== 0;
  }

  // ---- iteration ---------------------------------------------------------------------------
  /**
   * for...of as Python iterates: list/tuple items, dict keys, set elements (each a
   * handle the caller releases), bytes as numbers, str as one-character strings.
   *
   * The iterator holds a reference to the container from its creation until it is
   * exhausted or closed (as CPython's iterators hold theirs), so releasing the
   * container's handles inside the loop is safe. for...of, spreading and destructuring
   * close it; an iterator driven by hand holds the container until it is run to its
   * end or closed with return().
   */
  [Symbol.iterator](): IterableIterator<Ref | number | string> {
    const o = this._objects;
    const id = this._target;
    const t = o.engine.exports.obj_type(id);
    if (t === T.STR) return o.readStr(id)[Symbol.iterator]();
    if (t === T.LIST || t === T.TUPLE || t === T.DICT || t === T.SET || t === T.FROZENSET || t === T.BYTES || t === T.BYTEARRAY) {
      return new ObjectIterator(o, id, t);
    }
    throw new PyTypeError(`'${this.type}' object is not iterable`);
  }
}

/** The iterator of a container or bytes object (see Ref[Symbol.iterator]): it owns one reference. */
class ObjectIterator implements IterableIterator<Ref | number> {
  readonly #o: Objects;
  #id: number;
  readonly #t: number;
  #pos = 0;
  /** dict/set: the size when iteration started (a change is PyRuntimeError, as in Python). */
  readonly #size: number;

  constructor(o: Objects, id: number, t: number) {
    this.#o = o;
    this.#t = t;
    o.engine.exports.obj_incref(id);
    this.#id = id;
    this.#size = t === T.DICT || t === T.SET || t === T.FROZENSET ? o.engine.i32[(id + 8) >>> 2] : 0;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Ref | number> {
    const id = this.#id;
    if (!id) return { done: true, value: undefined };
    const o = this.#o;
    const e = o.engine;
    const x = e.exports;
    const t = this.#t;
    if (t === T.LIST || t === T.TUPLE) {
      if (this.#pos < e.i32[(id + 8) >>> 2]) {
        const i = this.#pos++;
        return { done: false, value: o.wrapBorrowed((t === T.LIST ? x.list_get(id, i) : x.tuple_get(id, i)) >>> 0) };
      }
    } else if (t === T.BYTES || t === T.BYTEARRAY) {
      const b = o.bytesView(id);
      if (this.#pos < b.length) return { done: false, value: b[this.#pos++] };
    } else {
      if (e.i32[(id + 8) >>> 2] !== this.#size) {
        this.return();
        throw new PyRuntimeError(`${t === T.DICT ? "dictionary" : "Set"} changed size during iteration`);
      }
      const p = t === T.DICT ? x.dict_next(id, this.#pos) : x.set_next(id, this.#pos);
      if (p >= 0) {
        this.#pos = p + 1;
        return { done: false, value: o.wrapBorrowed((t === T.DICT ? x.dict_key_at(id, p) : x.set_key_at(id, p)) >>> 0) };
      }
    }
    this.return();
    return { done: true, value: undefined };
  }

  /** Closes the iterator: its reference to the container is dropped. */
  return(): IteratorResult<Ref | number> {
    const id = this.#id;
    if (id) {
      this.#id = 0;
      let x;
      try {
        x = this.#o.engine.exports;
      } catch {
        x = undefined; // the heap was closed meanwhile: nothing left to drop
      }
      x?.obj_decref(id);
    }
    return { done: true, value: undefined };
  }
}

export { HANDLE_BORROWED, HANDLE_OWNED, HANDLE_PERMANENT, HANDLE_RELEASED, ERR_KEY, ERR_TYPE };
