/**
 * heap.weakref: CPython's weakref module for this heap. Weak references, their lists
 * and their clearing live in the engine (assembly/object/weakref.ts, assembly/gc/handle_weakrefs.ts); the host keeps the
 * callbacks (JS functions, by number), hands each one its weakref as a borrowed
 * handle, and implements weakref.finalize on top of a ref with a callback, as
 * Lib/weakref.py does.
 */
import { PyReferenceError, PyTypeError } from "./errors.js";
import { ERR_TYPE } from "./constants.js";
import { defineAliases } from "./aliases.js";
import { expire, HANDLE_BORROWED, HANDLE_RELEASED, Ref, type PyValue } from "./handles.js";
import type { Objects } from "./objects.js";

export type WeakCallback = (wr: Ref) => void;

/** weakref.finalize(obj, fn, ...args): calls fn(...args) once, when obj dies or when called. */
export class Finalize<A extends unknown[] = unknown[]> {
  /** Run at heap.close() (interpreter shutdown) if still alive; default true. */
  atexit = true;
  /** @internal creation order */ readonly index: number;
  #wr: Ref | undefined;
  #fn: ((...args: A) => unknown) | undefined;
  #args: A | undefined;
  readonly #module: WeakrefModule;

  /** @internal */
  constructor(module: WeakrefModule, index: number, wr: Ref, fn: (...args: A) => unknown, args: A) {
    this.#module = module;
    this.index = index;
    this.#wr = wr;
    this.#fn = fn;
    this.#args = args;
  }

  /** Is the finalizer still to be called? */
  get alive(): boolean {
    return this.#fn !== undefined;
  }

  /** Calls it now if alive (then it is dead): returns what fn returned, else undefined. */
  call(): unknown {
    const fn = this.#fn, args = this.#args;
    if (!fn) return undefined;
    this.#kill();
    // once shutdown's atexit pass is over, finalizers die without running (finalize._shutdown)
    if (this.#module.shutdown) return undefined;
    return fn(...args!);
  }

  /** If alive: kills it and returns [obj (a new handle), fn, args]; else null. */
  detach(): [Ref, (...args: A) => unknown, A] | null {
    const r = this.peek();
    if (r) this.#kill();
    return r;
  }

  /** If alive: [obj (a new handle), fn, args]; else null. */
  peek(): [Ref, (...args: A) => unknown, A] | null {
    if (!this.#fn || !this.#wr) return null;
    const obj = this.#wr.deref();
    if (!obj) return null;
    return [obj, this.#fn, this.#args!];
  }

  #kill(): void {
    this.#fn = undefined;
    this.#args = undefined;
    const wr = this.#wr;
    this.#wr = undefined;
    this.#module.forgetFinalizer(this as object);
    if (wr?.alive) wr.release();
  }

  /** @internal Called by the weakref's callback: obj died. */
  fire(): void {
    const fn = this.#fn, args = this.#args;
    if (!fn) return;
    this.#kill();
    if (this.#module.shutdown) return;
    fn(...args!);
  }
}

export class WeakrefModule {
  readonly #o: Objects;
  readonly #callbacks = new Map<number, WeakCallback>();
  /** Run when a weakref with a callback dies (called or not): the weak containers' keys. */
  readonly #drops = new Map<number, () => void>();
  #next = 1;
  readonly #finalizers = new Set<Finalize<never>>();
  #finalizerIndex = 0;
  /** A finalizer was made since the atexit pass last chose its list (finalize._dirty). */
  #dirty = false;
  #shutdown = false;

  /** Callbacks postponed (Engine.defer) whose weakref died meanwhile: their drops wait for them. */
  readonly #postponed = new Map<number, (() => void) | undefined>();

  /** @internal */
  constructor(objects: Objects) {
    this.#o = objects;
    const e = objects.engine;
    e.onWeakrefCallback = (cb, wr, fromCollector) => this.#call(cb, wr, fromCollector);
    e.onWeakrefForget = (cb) => {
      this.#callbacks.delete(cb);
      const drop = this.#drops.get(cb);
      if (!drop) return;
      this.#drops.delete(cb);
      if (this.#postponed.has(cb)) this.#postponed.set(cb, drop);   // after the callback runs
      else drop();
    };
  }

  /**
   * A weakref's callback. At a referent's death, nested too deep in other hooks, it is
   * postponed to the end of the outermost hook (Engine.defer), holding its weakref
   * meanwhile; the collector's are never postponed (collections do not nest).
   */
  #call(cb: number, wr: number, fromCollector: boolean): void {
    const fn = this.#callbacks.get(cb);
    if (!fn) return;
    const e = this.#o.engine;
    if (!fromCollector && e.tooDeep) {
      const x = e.exports;
      x.obj_incref(wr);
      this.#postponed.set(cb, undefined);
      e.defer(() => {
        try {
          this.#invoke(fn, wr);
        } finally {
          const drop = this.#postponed.get(cb);
          this.#postponed.delete(cb);
          x.obj_decref(wr);
          drop?.();
        }
      });
      return;
    }
    this.#invoke(fn, wr);
  }

  #invoke(fn: WeakCallback, wr: number): void {
    const handle = new Ref(this.#o, wr, HANDLE_BORROWED);
    try {
      fn(handle);
    } catch (err) {
      try {
        this.#o.unraisable(err, undefined, `Exception ignored in: ${fn.name ? `<function ${fn.name}>` : "<function>"}`);
      } catch {
        // nothing may escape into the engine
      }
    } finally {
      handle._state = HANDLE_RELEASED;
      expire(handle, "it was a weakref callback's argument, valid while the callback ran");
    }
  }

  #new(what: string, obj: PyValue, callback: WeakCallback | undefined | null, proxy: boolean, drop?: () => void): Ref {
    if (callback !== undefined && callback !== null && typeof callback !== "function") {
      throw new PyTypeError(`${what}: callback must be callable, not ${typeof callback}`);
    }
    const o = this.#o;
    return o.with1(obj, (id) => {
      const x = o.engine.exports;
      let cb = 0;
      if (callback) {
        cb = this.#next++;
        this.#callbacks.set(cb, callback);
        if (drop) this.#drops.set(cb, drop);
      }
      const wr = x.weakref_new(id, cb, proxy ? 1 : 0) >>> 0;
      if (!wr) {
        if (cb) {
          this.#callbacks.delete(cb);
          this.#drops.delete(cb);
        }
        if (x.last_error() === ERR_TYPE) {
          x.clear_error();
          throw new PyTypeError(`cannot create weak reference to '${o.typeName(id)}' object`);
        }
        throw o.error(what);
      }
      return o.wrap(wr);
    });
  }

  /** weakref.ref(obj, callback?): a weakref handle; deref() gives the object or null. */
  ref(obj: PyValue, callback?: WeakCallback | null): Ref {
    return this.#new("ref", obj, callback, false);
  }

  /** @internal ref(obj), or null when obj does not accept weak references (`except TypeError`). */
  refOrNull(obj: PyValue): Ref | null {
    try {
      return this.ref(obj);
    } catch (e) {
      if (e instanceof PyTypeError) return null;
      throw e;
    }
  }

  /** @internal A ref whose callback owns something to drop when the weakref dies (called or not). */
  refOwning(obj: PyValue, callback: WeakCallback, drop: () => void): Ref {
    return this.#new("ref", obj, callback, false, drop);
  }

  /** weakref.proxy(obj, callback?): a handle that acts as obj; PyReferenceError once obj died. */
  proxy(obj: PyValue, callback?: WeakCallback | null): Ref {
    return this.#new("proxy", obj, callback, true);
  }

  getWeakrefCount(obj: PyValue): number {
    const o = this.#o;
    return o.with1(obj, (id) => o.engine.exports.weakref_count(id));
  }

  /** The weakrefs and proxies to obj, as handles the caller releases. */
  getWeakrefs(obj: PyValue): Ref[] {
    const o = this.#o;
    return o.with1(obj, (id) => {
      const x = o.engine.exports;
      const list = o.alloc(() => x.weakref_list(id), "getweakrefs");
      try {
        return o.children(list).map((w) => o.wrapBorrowed(w));
      } finally {
        x.obj_decref(list);
      }
    });
  }

  /** weakref.finalize(obj, fn, ...args). */
  finalize<A extends unknown[]>(obj: PyValue, fn: (...args: A) => unknown, ...args: A): Finalize<A> {
    if (typeof fn !== "function") throw new PyTypeError("finalize: func must be callable");
    // the caller's reference, as CPython holds it: obj cannot die (a hook run by the
    // weakref's allocation may release its handle) before the finalizer exists to fire
    const held = obj instanceof Ref ? this.#o.own(obj) : 0;
    const x = this.#o.engine.exports;
    if (held) x.obj_incref(held);
    try {
      let f: Finalize<A> | undefined;
      const wr = this.#new("finalize", obj, () => {
        try {
          f?.fire();
        } catch (err) {
          // (CPython names the finalize object, dead by then)
          this.#o.unraisable(err, undefined, "Exception ignored in: <finalize object; dead>");
        }
      }, false);
      f = new Finalize<A>(this, this.#finalizerIndex++, wr, fn, args);
      this.#finalizers.add(f as unknown as Finalize<never>);
      this.#dirty = true;
      return f;
    } finally {
      if (held) x.obj_decref(held); // obj may die here: its finalizer runs now
    }
  }

  /** @internal Is the heap past its atexit pass (finalizers no longer run)? */
  get shutdown(): boolean {
    return this.#shutdown;
  }

  /** @internal */
  forgetFinalizer(f: object): void {
    this.#finalizers.delete(f as Finalize<never>);
  }

  /**
   * weakref.WeakValueDictionary: `new heap.weakref.WeakValueDictionary()` (or called
   * without new, as in Python); release() it (or `using`) when done.
   */
  readonly WeakValueDictionary: WeakContainerClass<WeakValueDictionary> = containerClass(WeakValueDictionary, this);
  /** weakref.WeakKeyDictionary: `new heap.weakref.WeakKeyDictionary()`; release() it when done. */
  readonly WeakKeyDictionary: WeakContainerClass<WeakKeyDictionary> = containerClass(WeakKeyDictionary, this);
  /** weakref.WeakSet: `new heap.weakref.WeakSet()`; release() it when done. */
  readonly WeakSet: WeakContainerClass<WeakSet> = containerClass(WeakSet, this);

  /** @internal The heap's objects (for the weak containers' constructors). */
  get objects(): Objects {
    return this.#o;
  }

  /**
   * @internal heap.close(): the atexit finalizers, newest first, as Lib/weakref.py's
   * _exitfunc: automatic collection is off meanwhile; a finalizer made by one that runs is
   * chosen next (the list is chosen again when one was made); afterwards no finalizer runs
   * any more (finalize._shutdown): those left (atexit false) die uncalled, even when the
   * final collection frees their objects.
   */
  runAtexit(): void {
    const x = this.#o.engine.exports;
    const reenable = this.#finalizers.size > 0 && x.gc_is_enabled() !== 0;
    if (reenable) x.gc_enable(0);
    try {
      let pending: Finalize<never>[] | undefined;
      while (true) {
        if (!pending || this.#dirty) {
          pending = [...this.#finalizers].filter((f) => f.atexit).sort((a, b) => a.index - b.index);
          this.#dirty = false;
        }
        const f = pending.pop();
        if (!f) break;
        try {
          f.call();
        } catch (err) {
          this.#o.unraisable(err, undefined, "Exception ignored in: <finalize object>");
        }
      }
    } finally {
      this.#shutdown = true;
      if (reenable) x.gc_enable(1);
    }
  }
}

export { PyReferenceError };

/**
 * The weak containers of Lib/weakref.py, built as Python builds them: a heap dict or
 * set whose entries hold weakrefs with callbacks that remove the entry when the
 * referent dies. Each container owns its heap object; release() drops it.
 */
abstract class WeakContainer {
  protected readonly o: Objects;
  protected readonly module: WeakrefModule;
  /** The heap dict (or set) holding the weakrefs. */
  protected readonly store: Ref;
  #released = false;

  /** @internal */
  constructor(module: WeakrefModule, objects: Objects, store: Ref) {
    this.module = module;
    this.o = objects;
    this.store = store;
  }

  get length(): number {
    return this.store.length;
  }

  /** Drops the container's heap object (and every weakref in it). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.store.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** weakref.WeakValueDictionary: an entry lives as long as its value. */
export class WeakValueDictionary extends WeakContainer {
  /** @internal */
  /** @internal (made by heap.weakref.WeakValueDictionary and its kin) */
  constructor(module: WeakrefModule, objects: Objects) {
    super(module, objects, objects.wrap(objects.alloc(() => objects.engine.exports.dict_new(), "WeakValueDictionary")));
  }

  set(key: PyValue, value: Ref): void {
    const o = this.o;
    // KeyedRef: the callback removes the key only if the entry still holds this weakref
    // the key is held (as KeyedRef.key) until the weakref dies, whether or not it fires
    const k = key instanceof Ref ? key.dup() : o.wrap(o.fromPrimitive(key));
    let wr: Ref;
    try {
      wr = this.module.refOwning(value, (dead) => {
        const cur = this.store.alive ? this.store.get(k) : undefined;
        if (cur) {
          if (cur.is(dead)) this.store.delete(k);
          cur.release();
        }
      }, () => k.release());
    } catch (e) {
      k.release();
      throw e;
    }
    try {
      this.store.set(k, wr);
    } finally {
      wr.release();
    }
  }

  /** The value (a new handle), or undefined when absent or dead. */
  get(key: PyValue): Ref | undefined {
    const wr = this.store.get(key);
    if (!wr) return undefined;
    try {
      return (wr as Ref).deref() ?? undefined;
    } finally {
      (wr as Ref).release();
    }
  }

  has(key: PyValue): boolean {
    const v = this.get(key);
    v?.release();
    return v !== undefined;
  }

  delete(key: PyValue): void {
    this.store.delete(key);
  }

  clear(): void {
    this.store.clear();
  }

  keys(): Ref[] {
    return this.items().map(([k, v]) => (v.release(), k));
  }

  values(): Ref[] {
    return this.items().map(([k, v]) => (k.release(), v));
  }

  /** [key, value] handles for the entries whose values are alive. */
  items(): [Ref, Ref][] {
    const out: [Ref, Ref][] = [];
    for (const [k, wr] of this.store.items()) {
      const v = wr.deref();
      wr.release();
      if (v) out.push([k, v]);
      else k.release();
    }
    return out;
  }
}

/** weakref.WeakKeyDictionary: an entry lives as long as its key (keys compare by value). */
export class WeakKeyDictionary extends WeakContainer {
  /** @internal */
  /** @internal (made by heap.weakref.WeakValueDictionary and its kin) */
  constructor(module: WeakrefModule, objects: Objects) {
    super(module, objects, objects.wrap(objects.alloc(() => objects.engine.exports.dict_new(), "WeakKeyDictionary")));
  }

  #ref(key: Ref): Ref {
    // the callback removes the entry of this very weakref (a dead weakref equals only itself)
    return this.module.ref(key, (dead) => {
      if (this.store.alive && this.store.has(dead)) this.store.delete(dead);
    });
  }

  set(key: Ref, value: PyValue): void {
    const wr = this.#ref(key);
    try {
      this.store.set(wr, value);   // an equal live key keeps its own weakref, as a dict keeps its first key
    } finally {
      wr.release();
    }
  }

  get(key: Ref): Ref | undefined {
    const wr = this.module.ref(key);
    try {
      return this.store.get(wr);
    } finally {
      wr.release();
    }
  }

  /** key in d: false for a key that does not accept weak references (as Lib/weakref.py's). */
  has(key: PyValue): boolean {
    const wr = this.module.refOrNull(key);
    if (!wr) return false;
    try {
      return this.store.has(wr);
    } finally {
      wr.release();
    }
  }

  delete(key: Ref): void {
    const wr = this.module.ref(key);
    try {
      this.store.delete(wr);
    } finally {
      wr.release();
    }
  }

  clear(): void {
    this.store.clear();
  }

  /** [key, value] handles for the live entries. */
  items(): [Ref, Ref][] {
    const out: [Ref, Ref][] = [];
    for (const [wr, v] of this.store.items()) {
      const k = wr.deref();
      wr.release();
      if (k) out.push([k, v]);
      else v.release();
    }
    return out;
  }

  keys(): Ref[] {
    return this.items().map(([k, v]) => (v.release(), k));
  }

  values(): Ref[] {
    return this.items().map(([k, v]) => (k.release(), v));
  }
}

/** weakref.WeakSet: members live as long as something else holds them. */
export class WeakSet extends WeakContainer {
  /** @internal */
  /** @internal (made by heap.weakref.WeakValueDictionary and its kin) */
  constructor(module: WeakrefModule, objects: Objects) {
    super(module, objects, objects.wrap(objects.alloc(() => objects.engine.exports.set_new(0), "WeakSet")));
  }

  add(item: Ref): void {
    const wr = this.module.ref(item, (dead) => {
      if (this.store.alive) this.store.discard(dead);
    });
    try {
      this.store.add(wr);
    } finally {
      wr.release();
    }
  }

  /** item in s: false for an object that does not accept weak references (as Lib/weakref.py's). */
  has(item: PyValue): boolean {
    const wr = this.module.refOrNull(item);
    if (!wr) return false;
    try {
      return this.store.has(wr);
    } finally {
      wr.release();
    }
  }

  discard(item: Ref): void {
    const wr = this.module.ref(item);
    try {
      this.store.discard(wr);
    } finally {
      wr.release();
    }
  }

  clear(): void {
    this.store.clear();
  }

  /** Handles to the live members. */
  values(): Ref[] {
    const out: Ref[] = [];
    for (const wr of this.store) {
      const v = (wr as Ref).deref();
      (wr as Ref).release();
      if (v) out.push(v);
    }
    return out;
  }

  [Symbol.iterator](): Iterator<Ref> {
    return this.values()[Symbol.iterator]();
  }
}

/** CPython's spellings (see aliases.ts). */
export interface WeakrefModule {
  /** Alias of getWeakrefCount (CPython's weakref.getweakrefcount). */
  getweakrefcount: WeakrefModule["getWeakrefCount"];
  /** Alias of getWeakrefs (CPython's weakref.getweakrefs). */
  getweakrefs: WeakrefModule["getWeakrefs"];
}
defineAliases(WeakrefModule, { getweakrefcount: "getWeakrefCount", getweakrefs: "getWeakrefs" });

/**
 * A weak container class of one heap: constructed with `new` (or called, as Python
 * calls it); `instanceof` works with it and with the exported class.
 */
export interface WeakContainerClass<C> {
  new (): C;
  (): C;
  readonly prototype: C;
}

function containerClass<C>(cls: new (module: WeakrefModule, objects: Objects) => C, module: WeakrefModule): WeakContainerClass<C> {
  // a plain function: `new F()` returns the object F returns, and F() works without new
  const F = function (): C {
    return new cls(module, module.objects);
  } as unknown as WeakContainerClass<C>;
  Object.defineProperty(F, "name", { value: cls.name });
  (F as unknown as { prototype: object }).prototype = cls.prototype;
  return F;
}
