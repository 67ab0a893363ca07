/**
 * The wasm engine as the host sees it: its exports, its imports, and cached views
 * of its memory that are refreshed after every grow (env.on_grow), never by reading
 * `memory.buffer` on each access.
 *
 * Two guards live here, because every call into and out of the engine passes here:
 *
 * - Faults. Every export is called through a guard. An exception that comes out of
 *   the engine other than a debug-engine misuse report (which is thrown before
 *   anything changed) means the heap may be half-way through a change: a wasm trap
 *   (an engine bug, or a dead id given to heap.raw in the release engine), the
 *   engine's abort, or a JS exception that unwound through wasm frames (a stack
 *   exhausted at the very call into a hook). The heap is then poisoned: that call and
 *   every later one throw PyRuntimeError ("the heap may be corrupt"), and no more
 *   hooks run. Memory exhaustion is never a trap: the engine checks every growth.
 *
 * - Hook nesting. Every import that runs host code (del hooks, weakref callbacks, gc
 *   callbacks, the DEBUG lines) runs inside enter(), which counts how deep such calls
 *   nest. A hook that releases an object whose hook releases the next... would grow
 *   the JS stack with the data; past MAX_HOOK_DEPTH nested hooks, the handlers
 *   postpone a hook (defer()) instead of running it, and the outermost hook, once it
 *   returns, runs the postponed ones in order (each starts again at depth 1). Below
 *   that depth the order is CPython's: a hook runs at the moment its object dies.
 */
import { ENGINE_CONSTANTS, type EngineFunctions } from "./abi.generated.js";
import { PyError, PyReferenceError, PyRuntimeError, PyTypeError } from "./errors.js";

/**
 * Hooks nested deeper than this are postponed to the end of the outermost one. Each
 * level costs a few KiB of JS stack (a hook, release(), the engine, the hook's call):
 * 64 levels stay far below the smallest default stack.
 */
export const MAX_HOOK_DEPTH = 64;

/**
 * The engine's exports: generated from the engine (src/abi.generated.ts, made by
 * scripts/gen-abi.mjs from asc's declarations of assembly/index.ts), never written here.
 */
export type EngineExports = EngineFunctions;
/** The same (the object layer's exports were once a separate hand-written interface). */
export type ObjectExports = EngineFunctions;

/**
 * Throws when the instantiated engine's constants are not those the host was built
 * against (a wasm file from another build): every type id, flag and layout number
 * the host uses comes from src/abi.generated.ts.
 */
function checkConstants(x: WebAssembly.Exports): void {
  for (const [name, value] of Object.entries(ENGINE_CONSTANTS)) {
    const g = x[name];
    const v = g instanceof WebAssembly.Global ? g.value : undefined;
    const actual = typeof v === "number" && typeof value === "number" && value > 0x7fffffff ? v >>> 0 : v;
    if (actual !== value) {
      throw new PyRuntimeError(`this pyheap engine does not match the host: ${name} is ${String(actual)}, the host expects ${String(value)} (a .wasm from another build?)`);
    }
  }
}

/** What a platform loader returns: an instance of the pyheap module. */
export type Instantiate = (imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>;

/** Bytes of a wasm page. */
export const PAGE = 65536;
/** wasm32 memories hold at most 65536 pages (4 GiB). */
export const MAX_PAGES = 65536;
/** The allocator's constants, read from the engine's exported globals (assembly/alloc/config.ts). */
export interface Layout {
  alignment: number;
  smallRequestThreshold: number;
  numSizeClasses: number;
  poolSize: number;
  poolOverhead: number;
  arenaSize: number;
  maxPoolsInArena: number;
  /** Largest block the engine serves (TLSF's largest block). */
  maxRequest: number;
  /** The engine's scratch area for vector calls, and its size in 32-bit words. */
  scratch: number;
  scratchWords: number;
}

function readLayout(x: WebAssembly.Exports): Layout {
  const get = (name: string) => (x[name] as WebAssembly.Global).value as number;
  return {
    alignment: get("ALIGNMENT"), smallRequestThreshold: get("SMALL_REQUEST_THRESHOLD"),
    numSizeClasses: get("NB_SMALL_SIZE_CLASSES"), poolSize: get("POOL_SIZE"), poolOverhead: get("POOL_OVERHEAD"),
    arenaSize: get("ARENA_SIZE"), maxPoolsInArena: get("MAX_POOLS_IN_ARENA"), maxRequest: get("MAX_REQUEST") >>> 0,
    scratch: get("SCRATCH") >>> 0, scratchWords: get("SCRATCH_WORDS"),
  };
}

/** The errors the debug engine's misuse reports throw: before any change, so no fault. */
const misuseReports = new WeakSet<object>();

/** What poisons a heap, and the error its calls throw from then on. */
interface FaultState {
  error: PyRuntimeError | undefined;
}

function faultError(e: unknown): PyRuntimeError {
  const what = e instanceof WebAssembly.RuntimeError ? `the engine trapped (${e.message})`
    : e instanceof PyError && e.message.startsWith("pyheap engine aborted") ? e.message
    : `an exception unwound through the engine (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`;
  const err = new PyRuntimeError(`${what}: the heap may be corrupt, and refuses every further call`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

/**
 * The exports, each called through a guard that turns a fault into PyRuntimeError and
 * poisons the heap (see the header). Functions of arity 0..4 get fixed-arity guards, so
 * that the hot paths make no argument arrays.
 */
function guardExports(raw: WebAssembly.Exports, state: FaultState, poison: (e: unknown) => PyRuntimeError): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fail = (e: unknown): never => {
    if (misuseReports.has(e as object) && !state.error) throw e;
    throw state.error ?? poison(e);
  };
  for (const [name, v] of Object.entries(raw)) {
    if (typeof v !== "function") { out[name] = v; continue; }
    const f = v as (...a: number[]) => unknown;
    let g: unknown;
    switch (f.length) {
      case 0: g = () => { let r; try { r = f(); } catch (e) { fail(e); } if (state.error) throw state.error; return r; }; break;
      case 1: g = (a: number) => { let r; try { r = f(a); } catch (e) { fail(e); } if (state.error) throw state.error; return r; }; break;
      case 2: g = (a: number, b: number) => { let r; try { r = f(a, b); } catch (e) { fail(e); } if (state.error) throw state.error; return r; }; break;
      case 3: g = (a: number, b: number, c: number) => { let r; try { r = f(a, b, c); } catch (e) { fail(e); } if (state.error) throw state.error; return r; }; break;
      default: g = (...a: number[]) => { let r; try { r = f(...a); } catch (e) { fail(e); } if (state.error) throw state.error; return r; };
    }
    out[name] = g;
  }
  return out;
}

export class Engine {
  /** The exports, guarded (see the header). */
  readonly exports: EngineExports & ObjectExports;
  /** Called by the engine for a class's hook: del (kind 0), legacyDel (1), del run by the collector (2). */
  onDel: (o: number, kind: number) => void = () => {};
  /** A collection's phases: 0 start, 1 stop, 2 the DEBUG_STATS "done" line. */
  onGcPhase: (phase: number, generation: number, collected: number, uncollectable: number) => void = () => {};
  /** DEBUG_COLLECTABLE (0) / DEBUG_UNCOLLECTABLE (1): one object. */
  onGcDebugObject: (kind: number, id: number) => void = () => {};
  /** A weakref's callback (the host's number) with the weakref, which the engine keeps alive. */
  onWeakrefCallback: (callback: number, wr: number, fromCollector: boolean) => void = () => {};
  /** A weakref died: its callback number can be forgotten. */
  onWeakrefForget: (callback: number) => void = () => {};
  /**
   * tracemalloc with { jsStack }: writes up to max frames of the JS caller's stack (file
   * id, line; most recent first) at buf and returns how many there are in all. Runs no
   * user code and never throws.
   */
  onJsFrames: (buf: number, max: number) => number = () => 0;
  /** heap.monitor's allocation clock: take a sample (reads figures only; never throws). */
  onMonitorSample: () => void = () => {};
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  /** Views over the whole memory; replaced after every grow. */
  u8!: Uint8Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f64!: Float64Array;
  /** Buffers of this memory that a grow detached (a view of one is stale). */
  readonly detached = new WeakSet<ArrayBufferLike>();
  readonly #fault: FaultState = { error: undefined };
  /** How deep calls from the engine into host code nest right now (0: none running). */
  #depth = 0;
  #deferred: (() => void)[] = [];
  #draining = false;

  private constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    this.exports = guardExports(instance.exports, this.#fault, (e) => this.#poison(e)) as unknown as EngineExports & ObjectExports;
    checkConstants(instance.exports);
    this.layout = readLayout(instance.exports);
    this.memory = memory;
    this.refresh();
  }

  /** The error every call throws once the heap is poisoned, or undefined. */
  get fault(): PyRuntimeError | undefined {
    return this.#fault.error;
  }

  #poison(e: unknown): PyRuntimeError {
    const err = faultError(e);
    this.#fault.error = err;
    this.#deferred = [];
    return err;
  }

  /** Is host code called by the engine running (a hook, a callback)? */
  get inHook(): boolean {
    return this.#depth > 0;
  }

  /** Would a hook called now nest deeper than MAX_HOOK_DEPTH (so that it should be deferred)? */
  get tooDeep(): boolean {
    return this.#depth > MAX_HOOK_DEPTH;
  }

  /** Postpones host work until the outermost hook returns (see the header). */
  defer(job: () => void): void {
    this.#deferred.push(job);
  }

  /** Runs host code that the engine called, counting the nesting; never throws. */
  #enter(f: () => void): void {
    if (this.#fault.error) return; // a poisoned heap runs no more hooks
    this.#depth++;
    try {
      f();
    } catch {
      // handlers report their own errors (unraisablehook); nothing may unwind into wasm
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0 && this.#deferred.length && !this.#draining) this.#drain();
  }

  /** Runs the postponed hooks, oldest first, each at depth 1 (new ones join the queue). */
  #drain(): void {
    this.#draining = true;
    try {
      for (let i = 0; i < this.#deferred.length; i++) {
        const job = this.#deferred[i];
        this.#enter(job);
      }
    } finally {
      this.#deferred = [];
      this.#draining = false;
    }
  }

  static async create(instantiate: Instantiate, initialPages: number, maxPages: number): Promise<Engine> {
    const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages });
    let engine: Engine | undefined;
    const imports = {
      env: {
        memory,
        // after every grow: views of the old buffer are detached, take new ones
        on_grow: () => engine?.refresh(),
        // host code: hooks and callbacks, counted and never throwing into wasm
        call_del: (o: number, kind: number) => engine && engine.#enter(() => engine!.onDel(o >>> 0, kind)),
        gc_phase: (phase: number, g: number, m: number, n: number) => engine && engine.#enter(() => engine!.onGcPhase(phase, g, m, n)),
        gc_debug_object: (kind: number, id: number) => engine && engine.#enter(() => engine!.onGcDebugObject(kind, id >>> 0)),
        weakref_callback: (cb: number, wr: number, fromCollector: number) =>
          engine && engine.#enter(() => engine!.onWeakrefCallback(cb >>> 0, wr >>> 0, fromCollector !== 0)),
        weakref_forget: (cb: number) => engine && engine.#enter(() => engine!.onWeakrefForget(cb >>> 0)),
        monitor_sample: () => {
          try {
            engine?.onMonitorSample();
          } catch {
            // (a sample that fails is skipped; nothing unwinds into wasm)
          }
        },
        tm_js_frames: (buf: number, max: number) => {
          try {
            return engine ? engine.onJsFrames(buf >>> 0, max >>> 0) : 0;
          } catch {
            return 0; // (an unreadable stack: the allocation gets ("<unknown>", 0))
          }
        },
        // the debug engine found a bad id before changing anything: throw from here
        misuse: (kind: number, id: number, expected: number) => {
          const at = `0x${(id >>> 0).toString(16)}`;
          const err = kind === 2 ? new PyTypeError(`pyheap debug: object ${at} is not of the type this operation needs (type id ${expected})`)
            : kind === 3 ? new PyReferenceError(`pyheap debug: decref of object ${at} whose refcount is already 0`)
            : new PyReferenceError(`pyheap debug: ${at} is not a live object id (never allocated, or already freed)`);
          misuseReports.add(err);
          throw err;
        },
        abort: (msg: number, file: number, line: number, col: number) => {
          const text = engine ? `${engine.readString(msg)} at ${engine.readString(file)}:${line}:${col}` : "abort";
          throw new PyError(`pyheap engine aborted: ${text}`);
        },
      },
    };
    const instance = await instantiate(imports);
    engine = new Engine(instance, memory);
    let ok = 0;
    try {
      ok = engine.exports.init(maxPages);
    } catch {
      ok = 0;
    }
    if (!ok) throw new PyError("pyheap engine failed to initialize");
    engine.refresh();
    return engine;
  }

  refresh(): void {
    if (this.u8 && this.u8.buffer !== this.memory.buffer) this.detached.add(this.u8.buffer);
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** An AssemblyScript string (UTF-16, byte length at ptr - 4). */
  readString(ptr: number): string {
    if (!ptr) return "";
    const len = new Uint32Array(this.u8.buffer, ptr - 4, 1)[0] >>> 1;
    return String.fromCharCode(...new Uint16Array(this.u8.buffer, ptr, len));
  }
}
