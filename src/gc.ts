/**
 * heap.gc: CPython's gc module for this heap. The collector itself runs in the engine
 * (assembly/gc/collect.ts); this facade checks arguments as CPython does, runs the
 * gc callbacks, writes the DEBUG_* lines to the heap's stderr, and turns object lists
 * into handles.
 */
import { ENGINE_CONSTANTS as C } from "./abi.generated.js";
import { PyTypeError, PyValueError } from "./errors.js";
import { HANDLE_PERMANENT, Ref, type PyValue } from "./handles.js";
import type { Objects } from "./objects.js";
import { formatSize } from "./tracemalloc-snapshot.js";
import { defineAliases } from "./aliases.js";

export type GcPhase = "start" | "stop";
export interface GcInfo {
  generation: number;
  collected: number;
  uncollectable: number;
}
export type GcCallback = (phase: GcPhase, info: GcInfo) => void;
/** One collection as heap.monitor records it. */
export interface CollectionInfo extends GcInfo {
  /** Its pause, without the gc callbacks, in ms. */
  pauseMs: number;
}
export interface GcStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

const { NUM_GENERATIONS } = C;

/** The Python type name of a value that is not an integer (for CPython's TypeError texts). */
function pyType(v: unknown): string {
  if (typeof v === "number") return "float";
  if (typeof v === "string") return "str";
  if (v === null) return "NoneType";
  if (v instanceof Ref && v.alive) return v.type;
  return typeof v;
}

function intArg(fn: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new PyTypeError(`${fn}: '${pyType(v)}' object cannot be interpreted as an integer (${name})`);
  }
  if (v < -(2 ** 31) || v >= 2 ** 31) throw new PyValueError(`${fn}: ${name} ${v} is out of range of a C int`);
  return v;
}

export class Gc {
  readonly DEBUG_STATS = C.DEBUG_STATS;
  readonly DEBUG_COLLECTABLE = C.DEBUG_COLLECTABLE;
  readonly DEBUG_UNCOLLECTABLE = C.DEBUG_UNCOLLECTABLE;
  readonly DEBUG_SAVEALL = C.DEBUG_SAVEALL;
  /** CPython's DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL. */
  readonly DEBUG_LEAK = C.DEBUG_COLLECTABLE | C.DEBUG_UNCOLLECTABLE | C.DEBUG_SAVEALL;
  /** gc.callbacks: called with ("start" | "stop", info) around every collection. */
  callbacks: GcCallback[] = [];
  readonly #o: Objects;
  readonly #stderr: (text: string) => void;
  #t0 = 0;
  #garbage: Ref | undefined;

  /** @internal */
  constructor(objects: Objects, stderr: (text: string) => void) {
    this.#o = objects;
    this.#stderr = stderr;
    const e = objects.engine;
    e.onGcPhase = (phase, g, m, n) => this.#phase(phase, g, m, n);
    e.onGcDebugObject = (kind, id) => {
      this.#stderr(`gc: ${kind === 0 ? "collectable" : "uncollectable"} <${this.#o.typeName(id)} 0x${id.toString(16)}>`);
    };
  }

  get #x() {
    return this.#o.engine.exports;
  }

  #phase(phase: number, generation: number, collected: number, uncollectable: number): void {
    const x = this.#x;
    if (phase === 1) {
      const pause = performance.now() - this.#collStart;
      if (this.#tracing) this.#traceStop(generation, collected, uncollectable);
      for (const f of this.collectionListeners) f({ generation, collected, uncollectable, pauseMs: pause });
    }
    if ((phase === 0 || phase === 1) && !this.#quiet) {
      const name: GcPhase = phase === 0 ? "start" : "stop";
      for (const cb of [...this.callbacks]) {
        try {
          cb(name, { generation, collected, uncollectable });
        } catch (err) {
          try {
            this.#o.unraisable(err, undefined, `Exception ignored in: gc callback ${cb.name ? `<function ${cb.name}>` : "<function>"}`);
          } catch {
            // nothing may escape into the engine
          }
        }
      }
    }
    if (phase === 0 && this.#tracing) this.#traceStart(generation);
    if (phase === 0) this.#collStart = performance.now();
    if (!(x.gc_get_debug() & this.DEBUG_STATS)) return;
    if (phase === 0) {
      this.#stderr(`gc: collecting generation ${generation}...`);
      const sizes = [0, 1, 2].map((g) => x.gc_generation_size(g));
      this.#stderr(`gc: objects in each generation: ${sizes.join(" ")}`);
      this.#stderr(`gc: objects in permanent generation: ${x.gc_generation_size(3)}`);
      this.#t0 = performance.now();
    } else if (phase === 2) {
      const secs = (performance.now() - this.#t0) / 1000;
      this.#stderr(`gc: done, ${collected} unreachable, ${uncollectable} uncollectable, ${secs.toFixed(4)}s elapsed`);
    }
  }

  // ---- gc.trace: one line per collection (Go's GODEBUG=gctrace=1, Node's --trace-gc) ----

  #tracing = false;
  #collStart = 0;
  /** @internal Told of every collection as it ends (heap.monitor), its pause without the gc callbacks. */
  readonly collectionListeners: ((c: CollectionInfo) => void)[] = [];
  #traceSeq = 0;
  #traceEpoch = 0;
  #trace: { t0: number; examined: number; counts: number[]; bytes: number; why: string } | undefined;
  /** How many gc.collect() calls are running (a collection inside one is explicit). */
  #explicit = 0;

  /**
   * Writes one line per collection to the heap's stderr while on, e.g.
   *   gc 3 @0.412s gen 0 (automatic): 781 examined, 682 collected, 0 uncollectable, 0.123 ms; heap 40.5 KiB -> 17.0 KiB; counts 701,3,0 thresholds 700,10,10
   * (the collection's number, the time since tracing began, the generation collected and
   * why, the objects in the generations it examined, what it found, its pause without the
   * gc callbacks, the bytes in allocated blocks before and after, and the counts and
   * thresholds that triggered it). trace() with no argument answers whether it is on.
   */
  trace(on?: boolean): boolean {
    void this.#x; // (a closed heap: PyReferenceError, as every other call)
    if (on === undefined) return this.#tracing;
    if (typeof on !== "boolean") throw new PyTypeError("gc.trace: on must be a boolean");
    if (on && !this.#tracing) this.#traceEpoch = performance.now();
    this.#tracing = on;
    return on;
  }

  #traceStart(generation: number): void {
    const x = this.#x;
    let examined = 0;
    for (let g = 0; g <= generation; g++) examined += x.gc_generation_size(g);
    const counts = [0, 1, 2].map((g) => x.gc_get_count(g));
    const why = this.#quiet ? "shutdown" : this.#explicit ? "gc.collect()" : "automatic";
    this.#trace = { t0: 0, examined, counts, bytes: x.allocated_bytes(), why };
    this.#trace.t0 = performance.now();
  }

  #traceStop(generation: number, collected: number, uncollectable: number): void {
    const t1 = performance.now();
    const s = this.#trace;
    this.#trace = undefined;
    if (!s) return;
    const x = this.#x;
    const thresholds = [0, 1, 2].map((g) => x.gc_get_threshold(g));
    this.#stderr(
      `gc ${++this.#traceSeq} @${((s.t0 - this.#traceEpoch) / 1000).toFixed(3)}s gen ${generation} (${s.why}): ` +
        `${s.examined} examined, ${collected} collected, ${uncollectable} uncollectable, ${(t1 - s.t0).toFixed(3)} ms; ` +
        `heap ${formatSize(s.bytes, false)} -> ${formatSize(x.allocated_bytes(), false)}; counts ${s.counts.join(",")} thresholds ${thresholds.join(",")}`,
    );
  }

  #quiet = false;

  /** @internal heap.close(): a full collection without callbacks, and the shutdown warning. */
  shutdownCollect(): void {
    const x = this.#x;
    this.#quiet = true;
    try {
      x.gc_collect(2);
    } finally {
      this.#quiet = false;
    }
    const garbage = x.gc_garbage();
    const n = garbage ? this.#o.engine.i32[(garbage + 8) >>> 2] : 0;
    const flags = x.gc_get_debug();
    if (n && !(flags & this.DEBUG_SAVEALL)) {
      const hint = flags & this.DEBUG_UNCOLLECTABLE ? "" : "; use gc.set_debug(gc.DEBUG_UNCOLLECTABLE) to list them";
      this.#stderr(`ResourceWarning: gc: ${n} uncollectable objects at shutdown${hint}`);
      if (flags & this.DEBUG_UNCOLLECTABLE) this.#stderr(`gc: uncollectable garbage: ${this.#o.repr(garbage)}`);
    }
  }

  /** gc.collect(generation=2): the number of unreachable objects found (collected + uncollectable). */
  collect(generation: number = 2): number {
    const g = intArg("collect", "generation", generation);
    if (g < 0 || g >= NUM_GENERATIONS) throw new PyValueError("invalid generation");
    this.#explicit++;
    try {
      return this.#x.gc_collect(g);
    } finally {
      this.#explicit--;
    }
  }

  enable(): void { this.#x.gc_enable(1); }
  disable(): void { this.#x.gc_enable(0); }
  isEnabled(): boolean { return this.#x.gc_is_enabled() !== 0; }

  getThreshold(): [number, number, number] {
    const x = this.#x;
    return [x.gc_get_threshold(0), x.gc_get_threshold(1), x.gc_get_threshold(2)];
  }

  /** set_threshold(threshold0[, threshold1[, threshold2]]); threshold0 = 0 disables automatic collection. */
  setThreshold(threshold0: number, threshold1?: number, threshold2?: number): void {
    const t = [intArg("set_threshold", "threshold0", threshold0)];
    if (threshold1 !== undefined) t.push(intArg("set_threshold", "threshold1", threshold1));
    if (threshold2 !== undefined) t.push(intArg("set_threshold", "threshold2", threshold2));
    t.forEach((v, g) => this.#x.gc_set_threshold(g, v));
  }

  getCount(): [number, number, number] {
    const x = this.#x;
    return [x.gc_get_count(0), x.gc_get_count(1), x.gc_get_count(2)];
  }

  getStats(): GcStats[] {
    const x = this.#x;
    return Array.from({ length: NUM_GENERATIONS }, (_, g) => ({
      collections: x.gc_get_stat(g, C.STAT_COLLECTIONS), collected: x.gc_get_stat(g, C.STAT_COLLECTED),
      uncollectable: x.gc_get_stat(g, C.STAT_UNCOLLECTABLE),
    }));
  }

  setDebug(flags: number): void {
    const f = intArg("set_debug", "flags", flags);
    this.#x.gc_set_debug(f);
  }
  getDebug(): number { return this.#x.gc_get_debug(); }

  /** Handles (the caller releases them) to the objects of a new engine list, which is then dropped. */
  #unpack(list: number): Ref[] {
    const o = this.#o;
    try {
      return o.children(list).map((id) => o.wrapBorrowed(id));
    } finally {
      this.#x.obj_decref(list);
    }
  }

  /** gc.get_objects(generation=None): every tracked object of generations 0-2, or of one. */
  getObjects(generation?: number | null): Ref[] {
    let g = -1;
    if (generation !== undefined && generation !== null) {
      if (typeof generation !== "number" || !Number.isInteger(generation)) {
        throw new PyTypeError(`get_objects: argument should be integer or None, not '${pyType(generation)}'`);
      }
      if (generation >= NUM_GENERATIONS) throw new PyValueError(`generation parameter must be less than the number of available generations (${NUM_GENERATIONS})`);
      // -1 is CPython's default: every generation, as None
      if (generation < -1) throw new PyValueError("generation parameter cannot be negative");
      g = generation;
    }
    const x = this.#x;
    return this.#unpack(this.#o.alloc(() => x.gc_get_objects(g), "get_objects"));
  }

  /** gc.get_referrers(*objs): the tracked objects that refer to any of objs. */
  getReferrers(...objs: PyValue[]): Ref[] {
    const o = this.#o;
    const x = this.#x;
    return o.withVector(objs, (p, n) => this.#unpack(o.alloc(() => x.gc_get_referrers(p, n), "get_referrers")));
  }

  /** gc.get_referents(*objs): what the containers among objs refer to directly. */
  getReferents(...objs: PyValue[]): Ref[] {
    const o = this.#o;
    const x = this.#x;
    return o.withVector(objs, (p, n) => this.#unpack(o.alloc(() => x.gc_get_referents(p, n), "get_referents")));
  }

  isTracked(obj: PyValue): boolean {
    const o = this.#o;
    return o.with1(obj, (id) => o.engine.exports.gc_is_tracked(id) !== 0);
  }

  isFinalized(obj: PyValue): boolean {
    const o = this.#o;
    return o.with1(obj, (id) => o.engine.exports.gc_is_finalized(id) !== 0);
  }

  /** Moves every tracked object to the permanent generation, which collections ignore. */
  freeze(): void { this.#x.gc_freeze(); }
  /** Moves the permanent generation back into the oldest generation. */
  unfreeze(): void { this.#x.gc_unfreeze(); }
  getFreezeCount(): number { return this.#x.gc_freeze_count(); }

  /** gc.garbage: the list of uncollectable objects (or all garbage under DEBUG_SAVEALL). */
  get garbage(): Ref {
    if (!this.#garbage) {
      const x = this.#x;
      const id = this.#o.alloc(() => x.gc_garbage(), "gc.garbage");
      this.#garbage = new Ref(this.#o, id, HANDLE_PERMANENT);
    }
    return this.#garbage;
  }
}

/** CPython's spellings (see aliases.ts). */
export interface Gc {
  /** Alias of getThreshold (CPython's gc.get_threshold). */
  get_threshold: Gc["getThreshold"];
  /** Alias of setThreshold (CPython's gc.set_threshold). */
  set_threshold: Gc["setThreshold"];
  /** Alias of getCount (CPython's gc.get_count). */
  get_count: Gc["getCount"];
  /** Alias of getStats (CPython's gc.get_stats). */
  get_stats: Gc["getStats"];
  /** Alias of setDebug (CPython's gc.set_debug). */
  set_debug: Gc["setDebug"];
  /** Alias of getDebug (CPython's gc.get_debug). */
  get_debug: Gc["getDebug"];
  /** Alias of getObjects (CPython's gc.get_objects). */
  get_objects: Gc["getObjects"];
  /** Alias of getReferrers (CPython's gc.get_referrers). */
  get_referrers: Gc["getReferrers"];
  /** Alias of getReferents (CPython's gc.get_referents). */
  get_referents: Gc["getReferents"];
  /** Alias of isTracked (CPython's gc.is_tracked). */
  is_tracked: Gc["isTracked"];
  /** Alias of isFinalized (CPython's gc.is_finalized). */
  is_finalized: Gc["isFinalized"];
  /** Alias of getFreezeCount (CPython's gc.get_freeze_count). */
  get_freeze_count: Gc["getFreezeCount"];
  /** Alias of isEnabled (CPython's gc.isenabled). */
  isenabled: Gc["isEnabled"];
}
defineAliases(Gc, {
  get_threshold: "getThreshold", set_threshold: "setThreshold", get_count: "getCount", get_stats: "getStats", set_debug: "setDebug", get_debug: "getDebug", get_objects: "getObjects", get_referrers: "getReferrers", get_referents: "getReferents", is_tracked: "isTracked", is_finalized: "isFinalized", get_freeze_count: "getFreezeCount", isenabled: "isEnabled",
});
