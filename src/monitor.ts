/**
 * heap.monitor: memory over time. Each sample holds its time, the allocator's figures, the
 * live objects and their bytes per type (the engine's census: no heap walk), the gc counts,
 * and the collections since the previous sample. Samples are taken every N allocations of
 * the object domain (the engine's clock calls env.monitor_sample), every M milliseconds (a
 * timer), or on demand (sample()). toJSON() / toCSV() export them; monitorSvg() (plot.ts)
 * and the CLI's `pyheap plot` draw them.
 */
import { FIRST_CLASS, TYPE_NAMES } from "./constants.js";
import type { Engine } from "./engine.js";
import { PyRuntimeError, PyTypeError, PyValueError } from "./errors.js";
import type { CollectionInfo, Gc } from "./gc.js";
import type { Mem } from "./mem.js";
import type { Objects } from "./objects.js";

export interface MonitorOptions {
  /** A sample every this many allocations of the object domain (objects, their tables, heap.mem). */
  everyAllocations?: number;
  /** A sample every this many milliseconds (a timer; Node's is unref'd). */
  everyMs?: number;
}

export interface MonitorSample {
  /** Milliseconds since start(). */
  t: number;
  /** Why it was taken: "allocations", "timer", "start", "stop" or "manual". */
  trigger: string;
  arenas: number;
  poolsUsed: number;
  poolsEmpty: number;
  /** Bytes in allocated pool blocks plus large blocks. */
  allocatedBytes: number;
  /** Bytes of the arenas (arenas x 1 MiB) plus large blocks: what the allocator holds. */
  heapBytes: number;
  /** The wasm memory committed. */
  committedBytes: number;
  liveObjects: number;
  /** Per type name: live objects and the bytes of their own blocks. */
  types: Record<string, { count: number; bytes: number }>;
  /** gc.get_count(). */
  gcCounts: [number, number, number];
  /** The collections that ended since the previous sample. */
  collections: CollectionInfo[];
}

export interface MonitorJSON {
  format: "pyheap-monitor";
  version: 1;
  samples: MonitorSample[];
}

const FIXED_COLUMNS = [
  "t", "trigger", "arenas", "poolsUsed", "poolsEmpty", "allocatedBytes", "heapBytes", "committedBytes", "liveObjects",
  "gc0", "gc1", "gc2", "collections", "collected", "uncollectable", "pauseMs",
] as const;

function positive(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new PyTypeError(`monitor.start: ${name} must be a positive integer`);
  if (v < 1 || v >= 2 ** 31) throw new PyValueError(`monitor.start: ${name} must be in [1, 2**31), not ${v}`);
  return v;
}

export class Monitor {
  readonly #o: Objects;
  readonly #mem: Mem;
  readonly #gc: Gc;
  #samples: MonitorSample[] = [];
  #pending: CollectionInfo[] = [];
  #t0 = 0;
  #running = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #listener = (c: CollectionInfo) => { this.#pending.push(c); };

  /** @internal */
  constructor(objects: Objects, mem: Mem, gc: Gc) {
    this.#o = objects;
    this.#mem = mem;
    this.#gc = gc;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts sampling (the samples of a previous run are dropped); a first sample is taken at once. */
  start(options: MonitorOptions = {}): void {
    if (options === null || typeof options !== "object") throw new PyTypeError("monitor.start: options must be an object");
    for (const k of Object.keys(options)) {
      if (k !== "everyAllocations" && k !== "everyMs") throw new PyValueError(`monitor.start: unknown option ${JSON.stringify(k)} (everyAllocations, everyMs)`);
    }
    const every = positive("everyAllocations", options.everyAllocations);
    const ms = positive("everyMs", options.everyMs);
    if (this.#running) throw new PyRuntimeError("monitor.start: already running (stop() first)");
    const e = this.#o.engine;
    this.#samples = [];
    this.#pending = [];
    this.#t0 = performance.now();
    this.#running = true;
    this.#gc.collectionListeners.push(this.#listener);
    if (every !== undefined) {
      e.onMonitorSample = () => this.#take("allocations");
      e.exports.monitor_every(every);
    }
    if (ms !== undefined) {
      this.#timer = setInterval(() => {
        if (!this.#running) return;
        try {
          this.#take("timer");
        } catch {
          this.stop(); // (the heap was closed)
        }
      }, ms);
      (this.#timer as { unref?: () => void }).unref?.();
    }
    this.#take("start");
  }

  /** Stops sampling, with a last sample. */
  stop(): void {
    if (!this.#running) return;
    try {
      this.#take("stop");
    } catch {
      // (a closed heap: no last sample)
    }
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const i = this.#gc.collectionListeners.indexOf(this.#listener);
    if (i >= 0) this.#gc.collectionListeners.splice(i, 1);
    try {
      const e = this.#o.engine;
      e.exports.monitor_every(0);
      e.onMonitorSample = () => {};
    } catch {
      // (closed)
    }
  }

  /** Takes a sample now (also when not running). */
  sample(): MonitorSample {
    return this.#take("manual");
  }

  #take(trigger: string): MonitorSample {
    const e: Engine = this.#o.engine;
    const x = e.exports;
    const st = this.#mem.stats();
    const types: MonitorSample["types"] = {};
    let live = 0;
    const n = x.class_count();
    for (let t = 0; t < n; t++) {
      const count = x.type_live_count(t);
      if (!count) continue;
      const name = t >= FIRST_CLASS ? (this.#o.classes.get(t)?.name ?? `class#${t}`) : (TYPE_NAMES[t] || `type#${t}`);
      const row = (types[name] ??= { count: 0, bytes: 0 });
      row.count += count;
      row.bytes += x.type_live_bytes(t);
      live += count;
    }
    let poolsUsed = 0;
    for (const c of st.classes) poolsUsed += c.pools;
    const s: MonitorSample = {
      t: performance.now() - this.#t0,
      trigger,
      arenas: st.arenas.current,
      poolsUsed,
      poolsEmpty: st.bytes.unusedPools,
      allocatedBytes: st.bytes.allocatedBlocks + st.large.bytes,
      heapBytes: st.arenas.current * st.arenaSize + st.large.bytes,
      committedBytes: st.memory.committed,
      liveObjects: live,
      types,
      gcCounts: [x.gc_get_count(0), x.gc_get_count(1), x.gc_get_count(2)],
      collections: this.#pending,
    };
    this.#pending = [];
    if (this.#running) this.#samples.push(s);
    return s;
  }

  /** The samples of the current (or last) run, oldest first. */
  samples(): MonitorSample[] {
    return [...this.#samples];
  }

  toJSON(): MonitorJSON {
    return { format: "pyheap-monitor", version: 1, samples: this.samples() };
  }

  /**
   * One row per sample: the fixed columns, then `<type>.count` and `<type>.bytes` for every
   * type seen in any sample (types by name, in first-seen order).
   */
  toCSV(): string {
    return monitorCSV(this.#samples);
  }
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** toCSV's text for any samples (a MonitorJSON's, say). */
export function monitorCSV(samples: readonly MonitorSample[]): string {
  if (!Array.isArray(samples as unknown)) throw new PyTypeError("monitorCSV: samples must be an array (heap.monitor.samples() or toJSON().samples)");
  const typeNames: string[] = [];
  const seen = new Set<string>();
  for (const s of samples) for (const k of Object.keys(s.types)) if (!seen.has(k)) { seen.add(k); typeNames.push(k); }
  const header = [...FIXED_COLUMNS, ...typeNames.flatMap((t) => [`${t}.count`, `${t}.bytes`])];
  const rows = samples.map((s) => {
    const col = s.collections;
    return [
      s.t.toFixed(3), s.trigger, s.arenas, s.poolsUsed, s.poolsEmpty, s.allocatedBytes, s.heapBytes, s.committedBytes, s.liveObjects,
      s.gcCounts[0], s.gcCounts[1], s.gcCounts[2], col.length,
      col.reduce((n, c) => n + c.collected, 0), col.reduce((n, c) => n + c.uncollectable, 0),
      col.reduce((n, c) => n + c.pauseMs, 0).toFixed(3),
      ...typeNames.flatMap((t) => [s.types[t]?.count ?? 0, s.types[t]?.bytes ?? 0]),
    ].map(csvCell).join(",");
  });
  return [header.map(csvCell).join(","), ...rows].join("\n") + "\n";
}
