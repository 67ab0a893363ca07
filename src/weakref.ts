/**
 * heap.weakref: CPython's weakref module for this heap. Weak references, their lists
 * and their clearing live in the engine (assembly/gc/weakref.ts); the host keeps the
 * callbacks (JS functions, by number), hands each one its weakref as a borrowed
 * handle, and implements weakref.finalize on top of a ref with a callback, as
 * Lib/weakref.py does.
 */
import { PyReferenceError, PyTypeError } from "./errors.js";
import { HANDLE_BORROWED, HANDLE_RELEASED, Ref, type Objects, type PyValue } from "./objects.js";

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
    fn(...args!);
  }
}

export class WeakrefModule {
  readonly #o: Objects;
  readonly #callbacks = new Map<number, WeakCallback>();
  #next = 1;
  readonly #finalizers = new Set<Finalize<never>>();
  #finalizerIndex = 0;

  /** @internal */
  constructor(objects: Objects) {
    this.#o = objects;
    const e = objects.engine;
    e.onWeakrefCallback = (cb, wr) => this.#call(cb, wr);
    e.onWeakrefForget = (cb) => void this.#callbacks.delete(cb);
  }

  #call(cb: number, wr: number): void {
    const fn = this.#callbacks.get(cb);
    if (!fn) return;
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
    }
  }

  #new(what: string, obj: PyValue, callback: WeakCallback | undefined | null, proxy: boolean): Ref {
    if (callback !== undefined && callback !== null && typeof callback !== "function") {
      throw new PyTypeError(`${what}: callback must be callable, not ${typeof callback}`);
    }
    const o = this.#o;
    return o.with([obj], (id) => {
      const x = o.engine.exports;
      let cb = 0;
      if (callback) {
        cb = this.#next++;
        this.#callbacks.set(cb, callback);
      }
      const wr = x.weakref_new(id, cb, proxy ? 1 : 0) >>> 0;
      if (!wr) {
        if (cb) this.#callbacks.delete(cb);
        const kind = x.last_error();
        x.clear_error();
        if (kind === 7) throw new PyTypeError(`cannot create weak reference to '${o.typeName(id)}' object`);
        throw o.error(what);
      }
      return o.wrap(wr);
    });
  }

  /** weakref.ref(obj, callback?): a weakref handle; deref() gives the object or null. */
  ref(obj: PyValue, callback?: WeakCallback | null): Ref {
    return this.#new("ref", obj, callback, false);
  }

  /** weakref.proxy(obj, callback?): a handle that acts as obj; PyReferenceError once obj died. */
  proxy(obj: PyValue, callback?: WeakCallback | null): Ref {
    return this.#new("proxy", obj, callback, true);
  }

  getweakrefcount(obj: PyValue): number {
    const o = this.#o;
    return o.with([obj], (id) => o.engine.exports.weakref_count(id));
  }

  /** The weakrefs and proxies to obj, as handles the caller releases. */
  getweakrefs(obj: PyValue): Ref[] {
    const o = this.#o;
    return o.with([obj], (id) => {
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
    let f: Finalize<A> | undefined;
    const wr = this.#new("finalize", obj, () => f?.fire(), false);
    f = new Finalize<A>(this, this.#finalizerIndex++, wr, fn, args);
    this.#finalizers.add(f as unknown as Finalize<never>);
    return f;
  }

  /** @internal */
  forgetFinalizer(f: object): void {
    this.#finalizers.delete(f as Finalize<never>);
  }

  /** @internal heap.close(): the atexit finalizers, newest first (Lib/weakref.py's _exitfunc). */
  runAtexit(): void {
    const pending = [...this.#finalizers].filter((f) => f.atexit).sort((a, b) => a.index - b.index);
    while (pending.length) {
      const f = pending.pop()!;
      try {
        f.call();
      } catch (err) {
        this.#o.unraisable(err, undefined, "Exception ignored in: <finalize object>");
      }
    }
  }
}

export { PyReferenceError };
