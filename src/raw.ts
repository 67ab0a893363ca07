/**
 * heap.raw: the object API on integer ids, with explicit reference counts and no
 * handle objects, for VM implementers and benchmark harnesses.
 *
 * Conventions (as in CPython's C API):
 *   - constructors and pop() return a NEW reference: the caller decrefs it;
 *   - get/getitem/getslot/getattr return a BORROWED id: valid while its container
 *     holds it (incref to keep it);
 *   - arguments are borrowed: storing increfs.
 * Failures the engine detects (index out of range, missing key, unhashable key,
 * memory) throw the PyError family and change nothing. Ids are NOT validated in
 * release builds: a wrong or dead id corrupts the heap. Heap.create({ debug: true })
 * loads the engine build that checks every id (PyReferenceError).
 */
import type { ObjectExports } from "./engine.js";
import { PyMemoryError, PyReferenceError, PyTypeError } from "./errors.js";
import { FIRST_CLASS, T } from "./constants.js";
import type { JSValue } from "./convert.js";
import { show, type Ref } from "./handles.js";
import { PyClass, type Objects } from "./objects.js";

/** Stands in for the exports once the heap is closed: every call throws. */
const closedExports = new Proxy({} as ObjectExports, {
  get: () => () => {
    throw new PyReferenceError("this heap is closed");
  },
});

export class Raw {
  readonly #o: Objects;
  /** The engine's exports, held directly: the hot paths make no closure and no getter call. */
  #x: ObjectExports;
  constructor(objects: Objects) {
    this.#o = objects;
    this.#x = objects.engine.exports;
  }

  /** @internal Called by heap.close(). */
  close(): void {
    this.#x = closedExports;
  }

  #check(r: number, what: string): number {
    if (!r) throw this.#o.error(what);
    return r >>> 0;
  }

  // ---- singletons and reference counts ----
  get None(): number { return this.#x.none_obj(); }
  get True(): number { return this.#x.true_obj(); }
  get False(): number { return this.#x.false_obj(); }
  incref(id: number): void { this.#x.obj_incref(id); }
  decref(id: number): void { this.#x.obj_decref(id); }
  refcount(id: number): number { return this.#x.obj_refcnt(id) >>> 0; }
  /** The Python type name. */
  type(id: number): string { return this.#o.typeName(id); }
  sizeof(id: number): number { return this.#x.obj_sizeof(id) >>> 0; }

  // ---- constructors (new references) ----
  int(v: number | bigint): number {
    if (typeof v === "number" && (v | 0) === v) return this.#check(this.#x.int_from_i32(v), "int");
    return this.#o.newInt(v);
  }
  float(x: number): number {
    if (typeof x !== "number") return this.#o.newFloat(x); // throws PyTypeError
    return this.#check(this.#x.float_new(x), "float");
  }
  str(s: string): number { return this.#o.newStr(s); }
  bytes(data: Uint8Array): number { return this.#o.newBytes(data); }
  /** A tuple of the given ids (each incref'd; the debug engine checks them all first). */
  tuple(items: number[]): number {
    const o = this.#o;
    if (!Array.isArray(items)) throw new PyTypeError(`raw.tuple: items must be an array of ids, not ${typeof items}`);
    for (const id of items) {
      if (!isId(id)) throw new PyTypeError(`raw.tuple: items must be object ids, not ${show(id)}`);
    }
    return o.withIds(items, (p, n) => this.#check(this.#x.tuple_from(p, n), "tuple"));
  }
  list(capacity = 0): number { return this.#check(this.#x.list_new(capacity), "list"); }
  dict(): number { return this.#check(this.#x.dict_new(), "dict"); }
  set(frozen = false): number { return this.#check(this.#x.set_new(frozen ? 1 : 0), "set"); }
  /** An instance of a class (a PyClass or its id), slots unset. */
  new(cls: PyClass | number): number {
    const id = cls instanceof PyClass ? cls.id : cls;
    if (!this.#o.classes.has(id)) throw new PyTypeError(`raw.new: ${show(id)} is not a class of this heap`);
    return this.#o.alloc(() => this.#x.inst_new(id), "instance");
  }
  /** An instance of a slotted class with its first two slots set: one engine call. */
  new2(cls: number, a: number, b: number): number { return this.#check(this.#x.inst_new2(cls, a, b), "instance"); }

  // ---- list ----
  append(list: number, v: number): void { this.#check(this.#x.list_append(list, v), "list.append"); }
  /** Borrowed. */
  getitem(seq: number, i: number): number {
    const x = this.#x;
    return this.#check(x.obj_type(seq) === T.TUPLE ? x.tuple_get(seq, i) : x.list_get(seq, i), "index out of range");
  }
  setitem(list: number, i: number, v: number): void { this.#check(this.#x.list_set(list, i, v), "list assignment index out of range"); }
  insert(list: number, i: number, v: number): void { this.#check(this.#x.list_insert(list, i, v), "list.insert"); }
  /** New reference (moved out of the list). */
  pop(list: number, i = -1): number { return this.#check(this.#x.list_pop(list, i), "pop index out of range"); }
  delitem(list: number, i: number): void { this.#check(this.#x.list_delete(list, i), "list assignment index out of range"); }
  clear(obj: number): void {
    const x = this.#x;
    const t = x.obj_type(obj);
    if (t === T.LIST) x.list_clear(obj);
    else if (t === T.DICT) x.dict_clear(obj);
    else if (t === T.SET) x.set_clear(obj);
    else throw new PyTypeError(`raw.clear: '${this.type(obj)}' has no clear()`);
  }
  /** len() of a tuple, list, dict or set (PyTypeError for other types). */
  len(obj: number): number {
    const n = this.#x.obj_len(obj);
    if (n < 0) throw new PyTypeError(`object of type '${this.type(obj)}' has no len()`);
    return n;
  }

  // ---- dict ----
  dictSet(d: number, k: number, v: number): void { this.#check(this.#x.dict_set(d, k, v), "dict.set"); }
  /** Borrowed value, or 0 when absent. */
  dictGet(d: number, k: number): number {
    const r = this.#x.dict_get(d, k) >>> 0;
    if (!r && this.#x.last_error()) throw this.#o.error("dict.get");
    return r;
  }
  dictDelete(d: number, k: number): void { this.#check(this.#x.dict_delete(d, k), "KeyError"); }

  // ---- set ----
  /** true when added, false when already present. */
  setAdd(s: number, k: number): boolean { return this.#check(this.#x.set_add(s, k), "set.add") === 1; }
  setHas(s: number, k: number): boolean {
    const r = this.#x.set_has(s, k);
    if (r < 0) throw this.#o.error("set.has");
    return r === 1;
  }
  setDiscard(s: number, k: number): boolean { return this.#check(this.#x.set_discard(s, k), "set.discard") === 1; }

  // ---- instances ----
  /** Borrowed slot value; PyAttributeError-free: 0 when unset. */
  getslot(obj: number, i: number): number {
    const r = this.#x.slot_get(obj, i) >>> 0;
    if (!r) this.#x.clear_error();
    return r;
  }
  setslot(obj: number, i: number, v: number): void { this.#x.slot_set(obj, i, v); }
  /** Borrowed attribute value of a class without slots, or 0 when unset. */
  getattr(obj: number, name: string): number {
    const nid = this.#o.names.get(name);
    if (nid === undefined) {
      // a name never interned here is nobody's attribute: answer without interning it
      // (after the engine's look at obj: the debug engine refuses a bad id all the same)
      this.#plainInstance(obj, "getattr");
      return 0;
    }
    const r = this.#x.attr_get(obj, nid) >>> 0;
    if (!r) this.#x.clear_error();
    return r;
  }
  setattr(obj: number, name: string, v: number): void {
    const nid = this.#o.names.get(name);
    if (nid !== undefined) {
      this.#check(this.#x.attr_set(obj, nid, v), "setattr");
      return;
    }
    // check obj (and, in the debug engine, v) before a new name is interned
    this.#plainInstance(obj, "setattr");
    this.#x.obj_type(v);
    this.#o.withName(name, (id) => this.#check(this.#x.attr_set(obj, id, v), "setattr"));
  }
  /** obj is an instance of a class without slots (PyTypeError otherwise; debug engine: a live id). */
  #plainInstance(obj: number, what: string): void {
    const cls = this.#o.classes.get(this.#x.obj_type(obj));
    if (!cls || cls.slots) throw new PyTypeError(`raw.${what}: ${this.type(obj)} is not an instance of a class without slots`);
  }

  // ---- conversions ----
  /** A handle owning a new reference to id. */
  handle(id: number): Ref { return this.#o.wrapBorrowed(id); }
  toJS(id: number): JSValue { return this.#o.toJS(id); }
  repr(id: number): string { return this.#o.repr(id); }
  /** The class of an instance id, or undefined for built-in types. */
  classOf(id: number): PyClass | undefined {
    const t = this.#x.obj_type(id);
    return t >= FIRST_CLASS ? this.#o.classes.get(t) : undefined;
  }

  /** The engine's exports, for the tightest loops (see docs/ARCHITECTURE.md's ABI table). */
  get exports(): ObjectExports { return this.#x; }
  /** Len of the live object set (debug engine only; 0 in release). */
  debugLiveCount(): number { return this.#x.debug_live_count(); }

  /**
   * The debug engine's reference census (0 and an empty map in release): every
   * reference between live objects counted against every refcount. `unsound` is the
   * number of objects whose refcount is below their referrers' references (a coming
   * use-after-free; 0 in a sound heap); `held` maps each object with references from
   * outside the heap (handles, the engine's own holds) to how many. With every handle
   * released, `held` is empty, or something leaked a reference.
   */
  debugCensus(): { unsound: number; held: Map<number, number> } {
    const x = this.#x;
    const unsound = x.debug_ref_census();
    if (unsound < 0) throw new PyMemoryError("debugCensus: no memory for the counts");
    const held = new Map<number, number>();
    try {
      for (let o = x.debug_census_next_held(0) >>> 0; o; o = x.debug_census_next_held(x.debug_census_next_slot()) >>> 0) {
        held.set(o, x.debug_census_external(o));
      }
    } finally {
      x.debug_census_done();
    }
    return { unsound, held };
  }
}

/** An object id as the engine takes one: a u32 (what it points at is the engine's to check). */
function isId(v: unknown): v is number {
  return typeof v === "number" && (v >>> 0) === v; // only a u32 survives >>> 0 unchanged
}
