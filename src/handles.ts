/**
 * Handles: Ref (one reference to one heap object, like a Python variable, with the
 * methods of every type) and ObjectIterator (for...of over a container), the handle
 * states, and the checks of the JS arguments they take, which the factory shares:
 * describe and show (how error messages name a value), toBytes (a bytes-like value),
 * index checks. They reach the engine through Objects (objects.ts).
 */
import type { Engine } from "./engine.js";
import { FIRST_CLASS, T } from "./constants.js";
import { PyAttributeError, PyIndexError, PyReferenceError, PyRuntimeError, PyTypeError, PyValueError } from "./errors.js";
import type { JSValue } from "./convert.js";
import { jsonFriendly } from "./json.js";
import type { Objects, PyClass } from "./objects.js";
import { strRepr } from "./repr.js";

/** What an API accepts where Python accepts an object: a handle or a JS primitive. */
export type PyValue = Ref | null | boolean | number | bigint | string;

export const HANDLE_OWNED = 0, HANDLE_RELEASED = 1, HANDLE_BORROWED = 2, HANDLE_PERMANENT = 3;

/**
 * Handles pyheap released by itself, with why: a loop item once its loop moved on, a
 * callback's argument once the callback returned. Using one says so.
 */
const expired = new WeakMap<Ref, string>();

/** Marks a handle as released by pyheap, for the reason `why` (see expired). */
export function expire(r: Ref, why: string): void {
  expired.set(r, why);
}

/** The error for using a released handle. */
export function releasedError(r: Ref): PyReferenceError {
  const why = expired.get(r);
  return new PyReferenceError(why ? `this handle was released: ${why} (dup() it to keep the object)` : "this handle was released");
}

/** Node's util.inspect hook (a registered symbol: no import of node:util). */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
/** The longest repr console.log shows of a handle before it is cut. */
const INSPECT_MAX = 200;

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Ref) return v.alive ? `'${v.type}'` : "a released handle";
  if (Array.isArray(v)) return "an Array";
  return typeof v;
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

export function toBytes(data: unknown, engine?: Engine): Uint8Array {
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
    if (this._state === HANDLE_RELEASED) throw releasedError(this);
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
    if (owned) {
      this._objects.handleReleased(this);
      this._objects.engine.exports.obj_decref(this._id); // (a closed heap: PyReferenceError)
    }
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

  /** repr(), or "<released handle>". */
  toString(): string {
    return this.alive ? this.repr() : "<released handle>";
  }

  /**
   * What JSON.stringify writes: toJS() made JSON-friendly (dict -> object when every key
   * is a str, else [key, value] pairs; set, tuple, bytes -> arrays; an int beyond 2**53 ->
   * its digits as a string; a cycle -> its repr).
   */
  toJSON(): unknown {
    return jsonFriendly(this.toJS());
  }

  /** console.log(handle) in Node: `<list [1, 2, 3]>`, the repr cut at 200 characters. */
  [INSPECT](): string {
    if (!this.alive) return "<released handle>";
    let r: string;
    try {
      r = this.repr();
    } catch (e) {
      r = `(repr failed: ${e instanceof Error ? e.message : String(e)})`;
    }
    if (r.length > INSPECT_MAX) r = r.slice(0, INSPECT_MAX) + "…";
    return `<${this.type} ${r}>`;
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
    const v = this.#item(key, "get");
    return typeof v === "number" ? v : v === undefined ? undefined : this._objects.wrapBorrowed(v.id);
  }

  /**
   * get() as a JS value (toJS of the item) instead of a handle: nothing to release.
   * dict: undefined when the key is absent.
   */
  getJS(key: PyValue): JSValue | undefined {
    const v = this.#item(key, "getJS");
    return typeof v === "number" ? v : v === undefined ? undefined : this._objects.toJS(v.id);
  }

  /** The item get() reads: a borrowed id (boxed), a byte, or undefined (no such dict key). */
  #item(key: PyValue, method: string): { id: number } | number | undefined {
    const o = this._objects;
    const id = this._target;
    const x = o.engine.exports;
    const t = x.obj_type(id);
    if (t === T.LIST || t === T.TUPLE) {
      const i = i32Index(checkIndex(key, t === T.LIST ? "list" : "tuple"));
      const v = (t === T.LIST ? x.list_get(id, i) : x.tuple_get(id, i)) >>> 0;
      if (!v) throw o.error(`${t === T.LIST ? "list" : "tuple"} index out of range`);
      return { id: v };
    }
    if (t === T.DICT) {
      return o.with1(key, (k) => {
        const v = x.dict_get(id, k) >>> 0;
        if (!v) {
          if (x.last_error()) throw o.error("dict.get");
          return undefined;
        }
        // (the key's temporary, if any, is dropped after this: the value is the dict's)
        return { id: v };
      });
    }
    if (t === T.BYTES || t === T.BYTEARRAY || t === T.MEMORYVIEW) {
      const b = o.bytesView(id);
      let i = checkIndex(key, t === T.MEMORYVIEW ? "memoryview" : "byte");
      if (i < 0) i += b.length;
      if (i < 0 || i >= b.length) throw new PyIndexError(t === T.MEMORYVIEW ? "index out of bounds on dimension 1" : `${t === T.BYTES ? "index" : "bytearray index"} out of range`);
      return b[i];
    }
    this.#no(method);
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
    if (t === T.MEMORYVIEW) {
      const b = o.bytesView(id); // (a released view: PyValueError)
      if (o.viewReadonly(id)) throw new PyTypeError("cannot modify read-only memory");
      let i = checkIndex(key, "memoryview");
      if (typeof value !== "number") throw new PyTypeError("memoryview: invalid type for format 'B'");
      if (!Number.isInteger(value) || value < 0 || value > 255) throw new PyValueError("memoryview: invalid value for format 'B'");
      if (i < 0) i += b.length;
      if (i < 0 || i >= b.length) throw new PyIndexError("index out of bounds on dimension 1");
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
  /** list.append(v); bytearray.append(byte). */
  append(value: PyValue): void {
    if (this.#t() === T.BYTEARRAY) {
      if (typeof value !== "number" || !Number.isInteger(value)) throw new PyTypeError(`'${describe(value)}' object cannot be interpreted as an integer`);
      if (value < 0 || value > 255) throw new PyValueError("byte must be in range(0, 256)");
      const id = this._target;
      const o = this._objects;
      const n = o.bytesView(id).length;
      if (!o.engine.exports.bytearray_resize(id, n + 1)) throw o.error("bytearray.append");
      o.bytesView(id)[n] = value;
      return;
    }
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
    const items = values instanceof Ref ? ownedItems(values) : [...(values as Iterable<PyValue>)];
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

  /** pop() as a JS value (toJS of the item, whose reference is then dropped). */
  popJS(index = -1): JSValue {
    const id = this.#expect("popJS", T.LIST);
    const o = this._objects;
    const x = o.engine.exports;
    const i = i32Index(checkIndex(index, "list"));
    if (o.engine.i32[(id + 8) >>> 2] === 0) throw new PyIndexError("pop from empty list");
    const v = x.list_pop(id, i) >>> 0;
    if (!v) throw o.error("pop index out of range");
    try {
      return o.toJS(v);
    } finally {
      x.obj_decref(v);
    }
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

  /** Instances: getattr(obj, name) as a new handle; PyAttributeError when unset. */
  getattr(name: string): Ref {
    return this._objects.wrapBorrowed(this.#attr(name, "getattr"));
  }

  /** getattr() as a JS value (toJS of the attribute): nothing to release. */
  getattrJS(name: string): JSValue {
    return this._objects.toJS(this.#attr(name, "getattrJS"));
  }

  /** The borrowed id of attribute `name`. */
  #attr(name: string, method: string): number {
    const cls = this.#cls(method);
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
    return v;
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
    // A name the heap has never seen is not interned for a deletion that must fail: bad
    // input changes nothing. (CPython 3.11 interns it and adds it to the class's shared
    // keys even so; the engine does that for a name it is given: see docs/ARCHITECTURE.md.)
    const nid = i >= 0 ? 0 : o.names.get(name);
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
    const b = this._objects.bytesView(id);
    // a view of an immutable bytes is read-only, as in CPython: writing into the heap
    // would change a str-like key under every dict that holds it, so this is a copy
    return this._objects.viewReadonly(id) ? b.slice() : b;
  }

  /**
   * memoryview: is it read-only (a view of bytes)? Then `data` is a copy, and set()
   * raises PyTypeError "cannot modify read-only memory", as CPython does.
   */
  get readonly(): boolean {
    const id = this.#expect("readonly", T.MEMORYVIEW);
    this._objects.bytesView(id); // (a released view: PyValueError, as in CPython)
    return this._objects.viewReadonly(id);
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

  /** memoryview: is the view released (releaseView(), or this handle released)? */
  get released(): boolean {
    if (!this.alive) return true;
    const id = this.#expect("released", T.MEMORYVIEW);
    return (this._objects.engine.u32[(id + 20) >>> 2] & 1) !== 0;
  }

  // ---- iteration ---------------------------------------------------------------------------
  /**
   * for...of as Python iterates: list/tuple items, dict keys, set elements, bytes as
   * numbers, str as one-character strings.
   *
   * Each item handle is the loop variable's, as in Python's `for x in l`: it needs no
   * release, and is released when the loop moves to the next item or ends (break,
   * return and throw included). dup() it to keep the object past that. Spreading
   * (`[...l]`) therefore gives released handles: use toJS(), or dup() in a loop.
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

/**
 * The items of a handle's own iteration as handles that are the caller's to release
 * (list(t), l.extend(t): the loop items would be released as the loop moves on).
 */
export function ownedItems(r: Ref): PyValue[] {
  const out: PyValue[] = [];
  try {
    for (const v of r as Iterable<PyValue>) out.push(v instanceof Ref ? v.dup() : v);
  } catch (e) {
    for (const v of out) if (v instanceof Ref) v.release();
    throw e;
  }
  return out;
}

/** The iterator of a container or bytes object (see Ref[Symbol.iterator]): it owns one reference. */
class ObjectIterator implements IterableIterator<Ref | number> {
  readonly #o: Objects;
  #id: number;
  readonly #t: number;
  #pos = 0;
  /** The item handed out last: released when the loop moves on or ends. */
  #item: Ref | undefined;
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

  /** A loop item's handle, released when the loop moves on (see Ref[Symbol.iterator]). */
  #yield(v: number): IteratorResult<Ref> {
    const r = this.#o.wrapBorrowed(v);
    this.#item = r;
    return { done: false, value: r };
  }

  #dropItem(): void {
    const r = this.#item;
    if (!r) return;
    this.#item = undefined;
    if (!r.alive) return;
    expire(r, "it was a loop item, and the loop moved on");
    r[Symbol.dispose]();
  }

  next(): IteratorResult<Ref | number> {
    this.#dropItem();
    const id = this.#id;
    if (!id) return { done: true, value: undefined };
    const o = this.#o;
    const e = o.engine;
    const x = e.exports;
    const t = this.#t;
    if (t === T.LIST || t === T.TUPLE) {
      if (this.#pos < e.i32[(id + 8) >>> 2]) {
        const i = this.#pos++;
        return this.#yield((t === T.LIST ? x.list_get(id, i) : x.tuple_get(id, i)) >>> 0);
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
        return this.#yield((t === T.DICT ? x.dict_key_at(id, p) : x.set_key_at(id, p)) >>> 0);
      }
    }
    this.return();
    return { done: true, value: undefined };
  }

  /** Closes the iterator: its reference to the container is dropped. */
  return(): IteratorResult<Ref | number> {
    this.#dropItem();
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
