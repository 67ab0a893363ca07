/**
 * heap.tracemalloc: CPython 3.11's tracemalloc module for this heap. The C layer is in
 * the engine (alloc/tracemalloc.ts): one trace per block the object domain hands out
 * (its requested size and an interned traceback), the traced memory and its peak. This
 * facade checks arguments as CPython does, names the frames (heap.frames, or the JS
 * stack with { jsStack: true }) and builds the Snapshot classes of
 * tracemalloc-snapshot.ts from the engine's traces.
 */
import { ENGINE_CONSTANTS as C } from "./abi.generated.js";
import type { Engine } from "./engine.js";
import { PyMemoryError, PyRuntimeError, PyTypeError, PyValueError } from "./errors.js";
import type { Filenames } from "./frames.js";
import { Ref } from "./handles.js";
import { Snapshot, Traceback, type RawTrace } from "./tracemalloc-snapshot.js";
import { defineAliases } from "./aliases.js";

const { TM_MAX_NFRAME } = C;

export interface TracemallocStartOptions {
  /**
   * Take each allocation's frames from the JS call stack (the callers of pyheap, file
   * and line) instead of heap.frames: for JS programs that use pyheap directly. Costs
   * a stack capture per traced allocation (see the README's measurement).
   */
  jsStack?: boolean;
}

/** The file this module's code runs from (the bundle, or src/tracemalloc.ts). */
function selfFile(): string | undefined {
  return captureFrames(4)[0]?.[0];
}

/**
 * pyheap's own functions, by the names V8 reports (bundlers may prefix a class name with _ or
 * suffix a digit): the frames between the caller and the engine.
 */
const PYHEAP_TYPES = /^_?(Heap|Objects|Ref|ObjectIterator|Raw|Gc|Sys|Mem|Tracemalloc|Frames|Leaks|Monitor|WeakrefModule|Finalize|WeakValueDictionary|WeakKeyDictionary|WeakSet|PyClass|Engine)\d*$/;
const PYHEAP_FUNCTIONS = /^(g|tm_js_frames|captureFrames|withItems|iterate|deepFrom|deepToJS|fromJS|fill|walkSecure|secure)\d*$/;

/** A file URL as a path (Node's stacks name ES modules by URL); other names unchanged. */
function pathOf(file: string): string {
  if (!file.startsWith("file://") || typeof globalThis.process?.versions?.node !== "string") return file;
  try {
    const p = decodeURIComponent(new URL(file).pathname);
    return /^\/[A-Za-z]:\//.test(p) ? p.slice(1) : p;
  } catch {
    return file;
  }
}

/** (file, line) of each frame of a V8 or SpiderMonkey/JSC stack text, most recent first. */
function stackFiles(stack: string): [string, number][] {
  const out: [string, number][] = [];
  for (const line of stack.split("\n")) {
    const m = /(?:\(|@|at )((?:[a-z][a-z0-9+.-]*:\/\/?|\/|[A-Za-z]:\\)[^()]*?):(\d+)(?::\d+)?\)?\s*$/.exec(line);
    if (m) out.push([m[1], Number(m[2])]);
  }
  return out;
}

export class Tracemalloc {
  readonly #engine: () => Engine;
  readonly #files: Filenames;
  readonly #self = selfFile();
  /** Traceback ids -> their frames (an id is an address: valid until the traces are cleared). */
  #tracebacks = new Map<number, { traceback: Traceback; raw: [string, number][]; total: number }>();

  /** @internal */
  constructor(engine: () => Engine, files: Filenames) {
    this.#engine = engine;
    this.#files = files;
  }

  /** tracemalloc.start(nframe=1): no-op while tracing (the limit stays, as in CPython). */
  start(nframe = 1, options: TracemallocStartOptions = {}): void {
    if (typeof nframe !== "number" || !Number.isInteger(nframe)) {
      throw new PyTypeError(`tracemalloc.start: nframe must be an integer, not ${typeof nframe === "number" ? nframe : typeof nframe}`);
    }
    if (nframe < 1 || nframe > TM_MAX_NFRAME) throw new PyValueError(`the number of frames must be in range [1; ${TM_MAX_NFRAME}]`);
    if (options === null || typeof options !== "object") throw new PyTypeError("tracemalloc.start: options must be an object");
    if (options.jsStack !== undefined && typeof options.jsStack !== "boolean") throw new PyTypeError("tracemalloc.start: jsStack must be a boolean");
    const e = this.#engine();
    if (e.exports.tm_is_tracing()) return;
    const js = options.jsStack === true;
    e.onJsFrames = js ? (buf, max) => this.#jsFrames(e, buf, max) : () => 0;
    if (!e.exports.tm_start(nframe, js)) throw new PyMemoryError("tracemalloc.start: no memory for the traceback buffer");
  }

  /** tracemalloc.stop(): tracing off and every trace cleared. */
  stop(): void {
    this.#engine().exports.tm_stop();
    this.#tracebacks.clear();
  }

  isTracing(): boolean {
    return this.#engine().exports.tm_is_tracing() !== 0;
  }

  /** clear_traces(): the traces go (tracing goes on); current and peak are 0. */
  clearTraces(): void {
    this.#engine().exports.tm_clear();
    this.#tracebacks.clear();
  }

  getTracebackLimit(): number {
    return this.#engine().exports.tm_limit();
  }

  /** [current, peak]: bytes of the traced blocks (requested sizes); [0, 0] when not tracing. */
  getTracedMemory(): [number, number] {
    const x = this.#engine().exports;
    return [x.tm_current(), x.tm_peak()];
  }

  /** reset_peak(): peak = current (no-op when not tracing). */
  resetPeak(): void {
    this.#engine().exports.tm_reset_peak();
  }

  /** Bytes of tracemalloc's own tables (traces, tracebacks, frame stack, buffers). */
  getTracemallocMemory(): number {
    return this.#engine().exports.tm_memory();
  }

  /** The traceback where obj was allocated, or null (not tracing, or not traced). */
  getObjectTraceback(obj: Ref): Traceback | null {
    if (!(obj instanceof Ref)) throw new PyTypeError("getObjectTraceback: obj must be a handle (Ref)");
    const e = this.#engine();
    const id = obj.id; // (throws for a released handle)
    if (!e.exports.tm_is_tracing()) return null;
    const tb = e.exports.obj_traceback(id);
    return tb ? this.#traceback(e, tb).traceback : null;
  }

  /** The traceback of a heap.mem block (by pointer), or null. */
  getBlockTraceback(ptr: number): Traceback | null {
    if (typeof ptr !== "number" || !Number.isInteger(ptr) || ptr < 0 || ptr >= 2 ** 32) throw new PyTypeError("getBlockTraceback: ptr must be a pointer (a non-negative integer)");
    const e = this.#engine();
    if (!e.exports.tm_is_tracing()) return null;
    const tb = e.exports.tm_block_traceback(ptr);
    return tb ? this.#traceback(e, tb).traceback : null;
  }

  /**
   * PyTraceMalloc_Track(domain, ptr, size): traces a block of another allocator (a user
   * domain; domain 0 is the object domain's). 0, or -2 when not tracing.
   */
  track(domain: number, ptr: number, size: number): number {
    const d = this.#u32("track", "domain", domain), p = this.#u32("track", "ptr", ptr), n = this.#u32("track", "size", size);
    const r = this.#engine().exports.tm_track(d, p, n);
    if (r === -1) throw new PyMemoryError("tracemalloc.track: no memory for the trace");
    return r;
  }

  /** PyTraceMalloc_Untrack(domain, ptr): 0, or -2 when not tracing. */
  untrack(domain: number, ptr: number): number {
    const d = this.#u32("untrack", "domain", domain), p = this.#u32("untrack", "ptr", ptr);
    return this.#engine().exports.tm_untrack(d, p);
  }

  #u32(fn: string, what: string, v: unknown): number {
    if (typeof v !== "number" || !Number.isInteger(v)) throw new PyTypeError(`tracemalloc.${fn}: ${what} must be an integer`);
    if (v < 0 || v >= 2 ** 32) throw new PyValueError(`tracemalloc.${fn}: ${what} ${v} is out of range [0, 2**32)`);
    return v;
  }

  /** take_snapshot(): every trace, with its traceback. */
  takeSnapshot(): Snapshot {
    const e = this.#engine();
    const x = e.exports;
    if (!x.tm_is_tracing()) throw new PyRuntimeError("the tracemalloc module must be tracing memory allocations to take a snapshot");
    const at = x.tm_dump_traces();
    if (!at) throw new PyMemoryError("tracemalloc.takeSnapshot: no memory to copy the traces");
    try {
      const n = x.tm_dump_count();
      const rows = e.u32.slice(at >>> 2, (at >>> 2) + n * 3);
      const raw: RawTrace[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const tb = this.#traceback(e, rows[i * 3 + 2]);
        raw[i] = { domain: rows[i * 3], size: rows[i * 3 + 1], frames: tb.raw, totalNframe: tb.total };
      }
      return new Snapshot(raw, x.tm_limit());
    } finally {
      x.tm_dump_free();
    }
  }

  /** @internal The Traceback of engine traceback id tb (leaks.since). */
  tracebackOf(tb: number): Traceback {
    return this.#traceback(this.#engine(), tb).traceback;
  }

  #traceback(e: Engine, tb: number): { traceback: Traceback; raw: [string, number][]; total: number } {
    let t = this.#tracebacks.get(tb);
    if (t) return t;
    const x = e.exports;
    const n = x.tb_nframe(tb);
    const raw: [string, number][] = [];
    for (let i = 0; i < n; i++) raw.push([this.#files.name(x.tb_file(tb, i)), x.tb_line(tb, i)]);
    const total = x.tb_total(tb);
    t = { traceback: new Traceback(raw, total), raw, total };
    this.#tracebacks.set(tb, t);
    return t;
  }

  /** env.tm_js_frames: the caller's JS frames outside pyheap, most recent first. */
  #jsFrames(e: Engine, buf: number, max: number): number {
    // the stack, most recent first: this function, the engine (wasm), pyheap's host code from
    // the engine call up to the public method called, then the caller's frames
    const all = captureFrames(Math.min(max, 1000) + 32).filter((f) => !f[0].startsWith("wasm:") && !f[0].startsWith("node:"));
    const self = this.#self, dir = self ? self.slice(0, Math.max(self.lastIndexOf("/"), self.lastIndexOf("\\")) + 1) : "";
    const fromSources = /\/src\/tracemalloc\.ts$/.test(self ?? "");
    let i = 0;
    while (i < all.length) {
      const [file, , type, fn] = all[i];
      // by name when V8 gives names (a bundle may hold the caller's code too), else by file;
      // an anonymous function in pyheap's own file is pyheap's (its callbacks)
      const ours = (fromSources && file.startsWith(dir)) || (type !== undefined
        ? PYHEAP_TYPES.test(type) || PYHEAP_FUNCTIONS.test(fn ?? "") || (file === self && !fn)
        : file === self);
      if (!ours) break;
      i++;
    }
    const frames = all.slice(i).map(([f, l]) => [pathOf(f), l] as [string, number]);
    const u = e.u32;
    const n = Math.min(frames.length, max);
    for (let i = 0; i < n; i++) {
      u[(buf >>> 2) + i * 2] = this.#files.id(frames[i][0]);
      u[(buf >>> 2) + i * 2 + 1] = frames[i][1];
    }
    return frames.length;
  }
}

interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getTypeName(): string | null;
  getFunctionName(): string | null;
}
type V8Error = ErrorConstructor & {
  captureStackTrace?: (target: object) => void;
  prepareStackTrace?: (err: Error, sites: CallSite[]) => unknown;
};

/**
 * The current JS stack's (file, line) frames, most recent first, at most `limit` deep:
 * V8's structured call sites when no hook formats stacks (no stack text is made), else
 * the parsed text of an Error's stack.
 */
function captureFrames(limit: number): [string, number, string?, string?][] {
  const E = Error as V8Error;
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = limit;
  try {
    // (with a prepareStackTrace hook installed, such as source-map-support's, the text
    // goes through it and its lines are the sources'; V8's call sites give the
    // generated code's lines)
    const prepare0 = E.prepareStackTrace;
    // (Node's own default, "ErrorPrepareStackTrace", is no user hook)
    if (typeof E.captureStackTrace === "function" && (prepare0 === undefined || prepare0.name === "ErrorPrepareStackTrace")) {
      const prepare = E.prepareStackTrace;
      E.prepareStackTrace = (_err, sites) => sites;
      const holder: { stack?: unknown } = {};
      try {
        E.captureStackTrace(holder);
        const sites = holder.stack;
        if (Array.isArray(sites)) {
          const out: [string, number, string?, string?][] = [];
          for (const s of sites as CallSite[]) {
            const file = s.getFileName();
            const line = s.getLineNumber();
            if (file && line !== null) out.push([file, line, s.getTypeName() ?? "", s.getFunctionName() ?? ""]);
          }
          return out;
        }
      } finally {
        E.prepareStackTrace = prepare;
      }
    }
    return stackFiles(new Error().stack ?? "");
  } finally {
    Error.stackTraceLimit = saved;
  }
}

/** CPython's spellings (see aliases.ts). */
export interface Tracemalloc {
  /** Alias of isTracing (CPython's tracemalloc.is_tracing). */
  is_tracing: Tracemalloc["isTracing"];
  /** Alias of clearTraces (CPython's tracemalloc.clear_traces). */
  clear_traces: Tracemalloc["clearTraces"];
  /** Alias of getTracebackLimit (CPython's tracemalloc.get_traceback_limit). */
  get_traceback_limit: Tracemalloc["getTracebackLimit"];
  /** Alias of getTracedMemory (CPython's tracemalloc.get_traced_memory). */
  get_traced_memory: Tracemalloc["getTracedMemory"];
  /** Alias of resetPeak (CPython's tracemalloc.reset_peak). */
  reset_peak: Tracemalloc["resetPeak"];
  /** Alias of getTracemallocMemory (CPython's tracemalloc.get_tracemalloc_memory). */
  get_tracemalloc_memory: Tracemalloc["getTracemallocMemory"];
  /** Alias of getObjectTraceback (CPython's tracemalloc.get_object_traceback). */
  get_object_traceback: Tracemalloc["getObjectTraceback"];
  /** Alias of takeSnapshot (CPython's tracemalloc.take_snapshot). */
  take_snapshot: Tracemalloc["takeSnapshot"];
}
defineAliases(Tracemalloc, {
  is_tracing: "isTracing", clear_traces: "clearTraces", get_traceback_limit: "getTracebackLimit", get_traced_memory: "getTracedMemory", reset_peak: "resetPeak", get_tracemalloc_memory: "getTracemallocMemory", get_object_traceback: "getObjectTraceback", take_snapshot: "takeSnapshot",
});
