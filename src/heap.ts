/**
 * Heap: one pyheap engine (its own wasm instance and memory), and the facades
 * that expose it: heap.mem (the PyMem domain, mem.ts), heap.sys (sys.ts), and the
 * object API (handles and the factory: objects.ts, handles.ts).
 *
 * The host validates, converts and presents; the engine does the work.
 */
import { Engine, MAX_PAGES, PAGE, type Instantiate } from "./engine.js";
import { PyMemoryError, PyReferenceError, PyRuntimeError, PyTypeError, PyValueError } from "./errors.js";
export { IMMORTAL_REFCNT };
import { IMMORTAL_REFCNT, T } from "./constants.js";
import { ENGINE_CONSTANTS } from "./abi.generated.js";
const C_TM_MAX_NFRAME = ENGINE_CONSTANTS.TM_MAX_NFRAME;
import type { JSLike } from "./convert.js";
import { ownedItems, Ref, type PyValue } from "./handles.js";
import { Mem } from "./mem.js";
import { HandleLog, Objects, PyClass, type ClassOptions } from "./objects.js";
import { HandleReport } from "./handle-report.js";
import { asyncScopeOf, runScope } from "./scope.js";
import { Raw } from "./raw.js";
import { Gc } from "./gc.js";
import { Sys } from "./sys.js";
import { WeakrefModule } from "./weakref.js";
import { Filenames, Frames } from "./frames.js";
import { Tracemalloc } from "./tracemalloc.js";
import { Leaks } from "./leaks.js";
import { Monitor } from "./monitor.js";
import { takeHeapSnapshot, snapshotStream, writeSnapshotFile, type HeapSnapshotData } from "./heapsnapshot.js";

/** Where the engine's wasm comes from. */
export type WasmSource = BufferSource | WebAssembly.Module;

export interface HeapOptions {
  /** Cap on the heap's memory in bytes (rounded down to 64 KiB pages); default 4 GiB. */
  maxMemory?: number;
  /** Memory to commit at once, in bytes (rounded up to 64 KiB pages). */
  initialMemory?: number;
  /** The engine as bytes or a compiled module, instead of the packaged pyheap.wasm. */
  wasm?: WasmSource;
  /**
   * Load the debug engine (pyheap-debug.wasm): every id given to the engine is
   * checked (PyReferenceError for a dead or foreign id, PyTypeError for the wrong
   * type) and free lists are off. Slower; for developing VMs on heap.raw.
   */
  debug?: boolean;
  /** Where diagnostics go (unraisable exceptions...); default console.error. */
  stderr?: (text: string) => void;
  /** Start tracemalloc at once with this many frames (CPython's PYTHONTRACEMALLOC=N). */
  tracemalloc?: number;
  /** Write one line per collection to stderr from the start (heap.gc.trace(true)). */
  gcTrace?: boolean;
  /**
   * The safety net: a handle the program drops without release() has its reference
   * dropped once JS garbage collects it (a FinalizationRegistry), and is counted in
   * heap.handles().dropped. Default false: registering every handle with a
   * FinalizationRegistry makes creating and releasing one about 2.4x slower in V8
   * (README, "Handles"); turn it on while developing, or in a program that cannot
   * release every handle.
   */
  releaseDropped?: boolean;
  /** Record where each handle was made, for heap.handles() and the warning at close. Default false. */
  trackHandles?: boolean;
  /** Warn on stderr at close() when handles were never released. Default true. */
  warnUnreleased?: boolean;
}

/** Loads the packaged engine: set by the Node and browser entry points. */
export type DefaultLoader = (imports: WebAssembly.Imports, debug: boolean) => Promise<WebAssembly.Instance>;
let defaultLoader: DefaultLoader | undefined;
export function setDefaultLoader(loader: DefaultLoader): void {
  defaultLoader = loader;
}

const MIN_PAGES = 2;
const compiled = new WeakMap<object, WebAssembly.Module>();

function instantiateFrom(wasm: WasmSource | undefined, debug: boolean): Instantiate {
  if (wasm === undefined) {
    const loader = defaultLoader;
    if (!loader) throw new PyValueError("no default pyheap.wasm loader: import 'pyheap' (Node or browser entry) or pass { wasm }");
    return (imports) => loader(imports, debug);
  }
  if (wasm instanceof WebAssembly.Module) return (imports) => WebAssembly.instantiate(wasm, imports);
  if (!(wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm))) {
    throw new PyTypeError("options.wasm must be bytes (ArrayBuffer or a typed array) or a WebAssembly.Module");
  }
  return async (imports) => {
    let module = compiled.get(wasm);
    if (!module) {
      module = await WebAssembly.compile(wasm);
      compiled.set(wasm, module);
    }
    return WebAssembly.instantiate(module, imports);
  };
}

function bytesOption(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw new PyTypeError(`${name} must be a number of bytes, not ${typeof value}`);
  if (!Number.isFinite(value) || value <= 0) throw new PyValueError(`${name} must be a positive number of bytes, not ${value}`);
  if (value > MAX_PAGES * PAGE) throw new PyValueError(`${name} ${value} is above wasm32's 4 GiB`);
  return value;
}

export class Heap {
  /** The PyMem domain: raw blocks for users who manage memory by hand. */
  readonly mem: Mem;
  /** CPython's sys helpers for this heap. */
  readonly sys: Sys;
  /** The object API on integer ids with explicit reference counting (for VMs and benchmarks). */
  readonly raw: Raw;
  /** CPython's gc module for this heap: the cycle collector. */
  readonly gc: Gc;
  /** CPython's weakref module for this heap. */
  readonly weakref: WeakrefModule;
  /** The call stack allocations are attributed to (an interpreter drives it). */
  readonly frames: Frames;
  /** CPython's tracemalloc module for this heap. */
  readonly tracemalloc: Tracemalloc;
  /** Finding leaks: the live census per type, growth, (soon) retainer paths. */
  readonly leaks: Leaks;
  /** Memory over time: samples of the allocator, the live census and the collections. */
  readonly monitor: Monitor;
  #engine: Engine | undefined;
  /** @internal */
  readonly objects: Objects;
  #stderr: (text: string) => void;

  private constructor(engine: Engine, options: HeapOptions) {
    this.#engine = engine;
    this.#stderr = options.stderr ?? ((text: string) => console.error(text));
    this.mem = new Mem(this);
    this.sys = new Sys(this);
    this.objects = new Objects(() => this.engine);
    this.objects.unraisable = (err, obj, where) => this.sys.unraisablehook({ exception: err, object: obj, message: where });
    this.raw = new Raw(this.objects);
    this.gc = new Gc(this.objects, (text) => this.#stderr(text));
    this.weakref = new WeakrefModule(this.objects);
    const files = new Filenames();
    this.frames = new Frames(() => this.engine, files);
    this.tracemalloc = new Tracemalloc(() => this.engine, files);
    this.leaks = new Leaks(this.objects, this.tracemalloc);
    this.monitor = new Monitor(this.objects, this.mem, this.gc);
    const o = this.objects;
    if (options.releaseDropped === true) o.registry = new FinalizationRegistry((id: number) => o.dropped(id));
    if (options.trackHandles) o.made = new HandleLog();
    this.#warnUnreleased = options.warnUnreleased !== false;
    o.asyncScope = () => asyncScopeOf(o);
  }

  readonly #warnUnreleased: boolean;

  /**
   * The handles this heap has given out and not had back: how many are live, how many
   * the safety net released for the program, and (with trackHandles) each live one
   * with where it was made.
   */
  handles(): HandleReport {
    this.engine;
    const o = this.objects;
    return new HandleReport(o.liveHandles, o.droppedHandles, o.made?.list());
  }

  /** @internal Writes a line where the heap's diagnostics go (the stderr option). */
  writeStderr(text: string): void {
    this.#stderr(text);
  }

  /** Loads a new engine: each heap is its own wasm instance with its own memory. */
  static async create(options: HeapOptions = {}): Promise<Heap> {
    if (options === null || typeof options !== "object") throw new PyTypeError("Heap.create options must be an object");
    const maxMemory = bytesOption("maxMemory", options.maxMemory);
    const initialMemory = bytesOption("initialMemory", options.initialMemory);
    const maxPages = maxMemory === undefined ? MAX_PAGES : Math.floor(maxMemory / PAGE);
    if (maxPages < MIN_PAGES) throw new PyValueError(`maxMemory must be at least ${MIN_PAGES * PAGE} bytes`);
    if (options.debug !== undefined && typeof options.debug !== "boolean") throw new PyTypeError("debug must be a boolean");
    if (options.stderr !== undefined && typeof options.stderr !== "function") throw new PyTypeError("stderr must be a function (text) => void");
    const nframe = options.tracemalloc;
    if (nframe !== undefined && (typeof nframe !== "number" || !Number.isInteger(nframe))) throw new PyTypeError("tracemalloc must be a number of frames");
    if (nframe !== undefined && (nframe < 1 || nframe > C_TM_MAX_NFRAME)) throw new PyValueError(`the number of frames must be in range [1; ${C_TM_MAX_NFRAME}]`);
    const initialPages = Math.max(MIN_PAGES, initialMemory === undefined ? 0 : Math.ceil(initialMemory / PAGE));
    if (initialPages > maxPages) throw new PyValueError(`initialMemory (${initialMemory}) is above maxMemory (${maxMemory})`);
    let engine: Engine;
    try {
      engine = await Engine.create(instantiateFrom(options.wasm, options.debug === true), initialPages, maxPages);
    } catch (e) {
      if (e instanceof RangeError) throw new PyMemoryError(`cannot reserve the heap's memory: ${e.message}`);
      throw e;
    }
    for (const k of ["releaseDropped", "trackHandles", "warnUnreleased"] as const) {
      if (options[k] !== undefined && typeof options[k] !== "boolean") throw new PyTypeError(`${k} must be a boolean`);
    }
    const heap = new Heap(engine, options);
    if (options.gcTrace !== undefined && typeof options.gcTrace !== "boolean") throw new PyTypeError("gcTrace must be a boolean");
    if (options.gcTrace) heap.gc.trace(true);
    if (nframe !== undefined) heap.tracemalloc.start(nframe);
    return heap;
  }

  /** @internal The live engine; throws PyReferenceError once the heap is closed. */
  get engine(): Engine {
    const e = this.#engine;
    if (!e) throw new PyReferenceError("this heap is closed");
    return e;
  }

  get closed(): boolean {
    return this.#engine === undefined;
  }

  /**
   * Frees the instance and its memory; every later call throws PyReferenceError.
   * Not from inside a hook or callback the engine is running (a del hook, a weakref or
   * gc callback): that is PyRuntimeError (reported to sys.unraisablehook like anything
   * a hook throws), and the running operation completes. A heap poisoned by an engine
   * fault closes without its shutdown (atexit finalizers, final collection).
   */
  close(): void {
    const e = this.#engine;
    if (!e || this.#closing) return;
    if (e.inHook) throw new PyRuntimeError("heap.close() cannot run inside a del hook, weakref callback or gc callback: close the heap once the operation that runs them has returned");
    this.#closing = true;
    this.monitor.stop(); // (its last sample, its timer cleared)
    if (this.#warnUnreleased && this.objects.liveHandles > 0) {
      const report = this.handles();
      this.#stderr(report.format("pyheap: heap closed with").join("\n"));
    }
    // interpreter shutdown: weakref.finalize's atexit callbacks (newest first), then a
    // final collection without gc callbacks, then CPython's warning about gc.garbage
    try {
      if (!e.fault) {
        this.weakref.runAtexit();
        this.gc.shutdownCollect();
      }
    } finally {
      this.#engine = undefined;
      this.#closing = false;
      this.mem.forget();
      this.raw.close();
    }
  }

  #closing = false;

  // ---- objects --------------------------------------------------------------------
  /** None (an immortal object; releasing this handle does nothing). */
  get None(): Ref { this.engine; return this.objects.none; }
  get True(): Ref { this.engine; return this.objects.true; }
  get False(): Ref { this.engine; return this.objects.false; }

  /** int(v): arbitrary precision; a non-integral number is truncated as int() does. */
  int(v: number | bigint): Ref { return this.objects.wrap(this.objects.newInt(v)); }
  float(x: number): Ref { return this.objects.wrap(this.objects.newFloat(x)); }
  str(s: string): Ref { return this.objects.wrap(this.objects.newStr(s)); }
  /** bytes from a Uint8Array (copied), an ArrayBuffer or an array of byte values. */
  bytes(data: Uint8Array | ArrayBuffer | number[]): Ref { return this.objects.wrap(this.objects.newBytes(data)); }
  /** bytearray from bytes (copied) or a length (zero-filled). */
  bytearray(data: Uint8Array | ArrayBuffer | number[] | number = 0): Ref {
    const o = this.objects;
    if (typeof data === "number") {
      if (!Number.isInteger(data) || data < 0 || data > 0xffffffff) throw new PyValueError(`bytearray length must be a non-negative integer, not ${data}`);
      const x = this.engine.exports;
      return o.wrap(o.alloc(() => x.bytearray_new(data), "bytearray"));
    }
    return o.wrap(o.newBytes(data, T.BYTEARRAY));
  }

  tuple(items: Iterable<PyValue> = []): Ref {
    const o = this.objects;
    const x = this.engine.exports;
    return withItems(o, "tuple", items, (list) => o.withVector(list, (p, n) => o.wrap(o.alloc(() => x.tuple_from(p, n), "tuple"))));
  }

  list(items: Iterable<PyValue> = []): Ref {
    const o = this.objects;
    const x = this.engine.exports;
    return withItems(o, "list", items, (list) => o.withVector(list, (p, n) => o.wrap(o.alloc(() => x.list_from(p, n), "list"))));
  }

  /** dict from a Map, an iterable of [key, value] pairs, or a plain object (str keys). */
  dict(entries?: Map<PyValue, PyValue> | Iterable<readonly [PyValue, PyValue]> | Record<string, PyValue>): Ref {
    const o = this.objects;
    const x = this.engine.exports;
    let pairs: (readonly [PyValue, PyValue])[] = [];
    if (entries !== undefined) {
      if (entries === null || typeof entries !== "object" || entries instanceof Ref) throw new PyTypeError(`dict() takes a Map, pairs or an object, not ${entries === null ? "null" : typeof entries}`);
      if (typeof (entries as Iterable<unknown>)[Symbol.iterator] === "function") {
        pairs = [...(entries as Iterable<readonly [PyValue, PyValue]>)];
        pairs.forEach((p, i) => {
          if (!Array.isArray(p) || p.length !== 2) throw new PyValueError(`dictionary update sequence element #${i} is not a [key, value] pair`);
        });
      } else pairs = Object.entries(entries as Record<string, PyValue>);
    }
    const flat: PyValue[] = new Array(pairs.length * 2);
    pairs.forEach(([k, v], i) => { flat[2 * i] = k; flat[2 * i + 1] = v; });
    return o.withVector(flat, (p, n) => o.wrap(o.alloc(() => x.dict_from(p, n >> 1), "dict")));
  }

  set(items: Iterable<PyValue> = []): Ref { return this.#set(items, false); }
  frozenset(items: Iterable<PyValue> = []): Ref { return this.#set(items, true); }

  #set(items: Iterable<PyValue>, frozen: boolean): Ref {
    const o = this.objects;
    const x = this.engine.exports;
    return withItems(o, frozen ? "frozenset" : "set", items, (list) =>
      o.withVector(list, (p, n) => o.wrap(o.alloc(() => x.set_from(p, n, frozen ? 1 : 0), frozen ? "frozenset" : "set"))));
  }

  /** Deep conversion: null, boolean, number, bigint, string, Uint8Array, Array, Map, Set, plain object. */
  from(value: JSLike): Ref { return this.objects.from(value); }

  /** memoryview(obj) over a bytes or bytearray; .data is a zero-copy Uint8Array. */
  memoryview(obj: Ref): Ref {
    const o = this.objects;
    if (!(obj instanceof Ref)) throw new PyTypeError(`memoryview: a bytes-like object is required, not ${obj === null ? "null" : typeof obj}`);
    const id = o.own(obj);
    const x = this.engine.exports;
    const t = x.obj_type(id);
    if (t !== T.BYTES && t !== T.BYTEARRAY) throw new PyTypeError(`memoryview: a bytes-like object is required, not '${o.typeName(id)}'`);
    return o.wrap(o.alloc(() => x.memoryview_new(id), "memoryview"));
  }

  /** A host-defined class (see ClassOptions). */
  defineClass(name: string, options?: ClassOptions): PyClass { return this.objects.defineClass(name, options); }

  /**
   * Runs fn and releases every handle created during it, except the one it returns
   * (which then belongs to the enclosing scope, if any). fn may be async: the scope
   * then ends when its promise settles, and includes the handles made after each
   * `await` (exactly in Node; in browsers, any made while it is pending: see scope.ts).
   */
  scope<R>(fn: () => R): R {
    return runScope(this.objects, fn);
  }

  /** id(obj): the object's address. */
  id(obj: PyValue): number { return this.objects.with1(obj, (id) => id); }

  // ---- heap snapshots (heapsnapshot.ts) ------------------------------------------------
  /**
   * Writes a heap snapshot that Chrome DevTools' Memory panel opens (Node): every live
   * object, its references, and the roots that hold it. Returns the file's name (by
   * default v8.writeHeapSnapshot's: Heap.<date>.<time>.<pid>.0.<seq>.heapsnapshot, in the
   * current directory). Written in chunks; the heap is not changed.
   */
  writeHeapSnapshot(filename?: string): string {
    this.engine; // (a closed heap: PyReferenceError before any file is made)
    return writeSnapshotFile(() => this.takeHeapSnapshot(), filename);
  }

  /**
   * The same snapshot as a byte stream (Node and browsers). It is taken at once: the
   * stream shows the heap as it was at this call, however slowly it is read.
   */
  getHeapSnapshot(): ReadableStream<Uint8Array> {
    return snapshotStream(this.takeHeapSnapshot());
  }

  /** @internal The snapshot's rows (tests, benchmarks). */
  takeHeapSnapshot(): HeapSnapshotData {
    return takeHeapSnapshot(this.engine, this.objects);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function iterate(what: string, items: Iterable<PyValue>): PyValue[] {
  if (typeof items === "string") return [...items];   // list("abc") == ['a', 'b', 'c']
  if (items instanceof Ref) return ownedItems(items);
  if (items === null || typeof items !== "object" || typeof (items as Iterable<PyValue>)[Symbol.iterator] !== "function") {
    throw new PyTypeError(`${what}() argument must be iterable, not ${items === null ? "null" : typeof items}`);
  }
  return [...items];
}

/**
 * Runs f with the items of an iterable. A handle's own iteration (list(t), l.extend(t))
 * yields new handles: they are released after f, whatever happens.
 */
export function withItems<R>(o: Objects, what: string, items: Iterable<PyValue>, f: (list: PyValue[]) => R): R {
  if (items instanceof Ref) o.own(items); // a handle of this heap, live, before its iteration runs
  const list = iterate(what, items);
  if (!(items instanceof Ref)) return f(list);
  try {
    return f(list);
  } finally {
    for (const v of list) if (v instanceof Ref) v.release();
  }
}
