/**
 * The object API's host half, per heap: Objects (the engine, the classes, attribute
 * names, scopes; objects made from JS values one at a time and wrapped in handles;
 * the engine's error codes turned into the PyError family; temporaries for engine
 * calls; del hooks) and host-defined classes (PyClass, ClassOptions).
 *
 * The engine (assembly/object/) owns the objects: hashing, equality, reference
 * counts and deallocation all happen there. The host validates arguments, turns
 * JS values into objects and back, and turns the engine's error codes into the
 * PyError family. A failed operation changes nothing: temporary objects made from
 * JS primitives are released whatever happens.
 *
 * Elsewhere: handles (Ref) in handles.ts, deep conversions in convert.ts, repr in
 * repr.ts, the engine's constants in constants.ts.
 */
import type { Engine } from "./engine.js";
import {
  ERR_BUFFER, ERR_INDEX, ERR_KEY, ERR_MEMORY, ERR_RECURSION, ERR_TYPE, ERR_UNHASHABLE, FIRST_CLASS, T, TF_DEL,
  TF_LEGACY_DEL, TF_SLOTS, TF_WEAKREF, TYPE_NAMES,
} from "./constants.js";
import { deepFrom, deepToJS, dec, enc, utf8Length, type JSLike, type JSValue } from "./convert.js";
import {
  PyAttributeError, PyBufferError, PyError, PyIndexError, PyKeyError, PyMemoryError, PyRecursionError,
  PyReferenceError, PyRuntimeError, PyTypeError, PyValueError,
} from "./errors.js";
import {
  describe, expire, releasedError, HANDLE_BORROWED, HANDLE_OWNED, HANDLE_PERMANENT, HANDLE_RELEASED, Ref, show, toBytes, type PyValue,
} from "./handles.js";
import { reprObject } from "./repr.js";

// (tests/oracle/trace.ts imports these from here)
export { Ref, type PyValue };

export interface ClassOptions {
  /** __slots__: instances hold exactly these attributes ("__weakref__" makes them weakly referenceable). */
  slots?: string[];
  /** __del__ (tp_finalize): called with a borrowed handle before the instance is freed. */
  del?: (self: Ref) => void;
  /** A legacy tp_del finalizer (the collector issue gives it its semantics). */
  legacyDel?: (self: Ref) => void;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

/**
 * @internal Where live handles were made (Heap.create({ trackHandles: true })): held
 * weakly, so that a dropped handle can still be garbage collected and caught by the
 * safety net.
 */
export class HandleLog {
  readonly #where = new WeakMap<Ref, { stack: string; weak: WeakRef<Ref> }>();
  readonly #all = new Set<WeakRef<Ref>>();

  add(r: Ref): void {
    // the frames above wrap() and the factory call: where the program asked for it
    const stack = (new Error().stack ?? "").split("\n").slice(3).map((l) => l.trim()).join("\n");
    const weak = new WeakRef(r);
    this.#where.set(r, { stack, weak });
    this.#all.add(weak);
  }

  delete(r: Ref): void {
    const e = this.#where.get(r);
    if (e) this.#all.delete(e.weak);
  }

  /** The live handles and where each was made, oldest first. */
  list(): { handle: Ref; stack: string }[] {
    const out: { handle: Ref; stack: string }[] = [];
    for (const weak of this.#all) {
      const r = weak.deref();
      if (!r || !r.alive) {
        this.#all.delete(weak);
        continue;
      }
      out.push({ handle: r, stack: this.#where.get(r)!.stack });
    }
    return out;
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
    return this.typeNameOf(this.engine.exports.obj_type(id));
  }

  /** The name of type id t (a class's own name). */
  typeNameOf(t: number): string {
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
    if (r._state === HANDLE_RELEASED) throw releasedError(r);
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

  // ---- handles: counts, the safety net, where they were made (heap.handles()) --------
  /** Owned handles made and not released yet. */
  liveHandles = 0;
  /** Handles released by the safety net: dropped by the program without release(). */
  droppedHandles = 0;
  /** The safety net (Heap.create({ releaseDropped })), when on. */
  registry: FinalizationRegistry<number> | undefined;
  /** Where each live handle was made (Heap.create({ trackHandles })), when on. */
  made: HandleLog | undefined;
  /** The scope a new handle joins when no synchronous scope is open (async scopes). */
  asyncScope: (() => Ref[] | undefined) | undefined;

  /** A handle owning the new reference `id`. */
  wrap(id: number): Ref {
    const r = new Ref(this, id, HANDLE_OWNED);
    this.liveHandles++;
    const s = this.scopes.length;
    if (s) this.scopes[s - 1].push(r);
    else if (this.asyncScope) this.asyncScope()?.push(r);
    if (this.registry) this.registry.register(r, id, r);
    if (this.made) this.made.add(r);
    return r;
  }

  /** An owned handle was released (Ref.release). */
  handleReleased(r: Ref): void {
    this.liveHandles--;
    if (this.registry) this.registry.unregister(r);
    this.made?.delete(r);
  }

  /**
   * The safety net's cleanup: a handle the program dropped without releasing it was
   * garbage collected by JS, so its reference is dropped now. (FinalizationRegistry
   * cleanups run as tasks of their own, never inside an engine call; a closed heap
   * has nothing left to drop.)
   */
  dropped(id: number): void {
    let x;
    try {
      x = this.engine.exports;
    } catch {
      return;
    }
    this.liveHandles--;
    this.droppedHandles++;
    x.obj_decref(id);
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
    if (!id) {
      const full = x.last_error() !== ERR_MEMORY;
      x.clear_error();
      throw new PyMemoryError(`cannot define class ${name}: ${full ? "the heap's class table is full" : "heap memory exhausted (its shared keys)"}`);
    }
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
      expire(self, "it was a del hook's self, valid while the hook ran");
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

  /** Is this memoryview read-only (a view of bytes)? */
  viewReadonly(id: number): boolean {
    return this.engine.exports.memoryview_readonly(id) !== 0;
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

  /** Deep copy to plain JS, iteratively (convert.ts). */
  toJS(root: number): JSValue {
    return deepToJS(this, root);
  }

  /** Python's repr, iteratively (repr.ts). */
  repr(root: number): string {
    return reprObject(this, root);
  }

  /** heap.from: deep conversion, iteratively (convert.ts). */
  from(value: JSLike): Ref {
    return deepFrom(this, value);
  }
}
