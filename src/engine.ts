/**
 * The wasm engine as the host sees it: its exports, its imports, and cached views
 * of its memory that are refreshed after every grow (env.on_grow), never by reading
 * `memory.buffer` on each access.
 */
import { PyError } from "./errors.js";

export interface EngineExports {
  init(maxPages: number): number;
  mem_malloc(n: number): number;
  mem_calloc(nelem: number, elsize: number): number;
  mem_realloc(p: number, n: number): number;
  mem_free(p: number): void;
  mem_usable_size(p: number): number;
  mem_in_arena(p: number): number;
  stats_collect(): number;
  allocated_blocks(): number;
  arena_describe(i: number): number;
  arena_slots(): number;
  arena_address(i: number): number;
  heap_check(): number;
  bench_setup(n: number, seed: number): number;
  bench_pairs(impl: number, n: number): number;
  bench_window_fill(impl: number): void;
  bench_window_run(impl: number, steps: number): void;
  bench_alloc_all(impl: number, size: number): void;
  bench_free_all(impl: number): void;
  bench_free_random_half(impl: number): number;
  bench_realloc_half(impl: number, size: number): void;
  bench_teardown(impl: number): void;
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
}

function readLayout(x: WebAssembly.Exports): Layout {
  const get = (name: string) => (x[name] as WebAssembly.Global).value as number;
  return {
    alignment: get("ALIGNMENT"), smallRequestThreshold: get("SMALL_REQUEST_THRESHOLD"),
    numSizeClasses: get("NB_SMALL_SIZE_CLASSES"), poolSize: get("POOL_SIZE"), poolOverhead: get("POOL_OVERHEAD"),
    arenaSize: get("ARENA_SIZE"), maxPoolsInArena: get("MAX_POOLS_IN_ARENA"), maxRequest: get("MAX_REQUEST") >>> 0,
  };
}

export class Engine {
  readonly exports: EngineExports;
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  /** Views over the whole memory; replaced after every grow. */
  u8!: Uint8Array;
  i32!: Int32Array;
  f64!: Float64Array;

  private constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    this.exports = instance.exports as unknown as EngineExports;
    this.layout = readLayout(instance.exports);
    this.memory = memory;
    this.refresh();
  }

  static async create(instantiate: Instantiate, initialPages: number, maxPages: number): Promise<Engine> {
    const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages });
    let engine: Engine | undefined;
    const imports = {
      env: {
        memory,
        // after every grow: views of the old buffer are detached, take new ones
        on_grow: () => engine?.refresh(),
        abort: (msg: number, file: number, line: number, col: number) => {
          const text = engine ? `${engine.readString(msg)} at ${engine.readString(file)}:${line}:${col}` : "abort";
          throw new PyError(`pyheap engine aborted: ${text}`);
        },
      },
    };
    const instance = await instantiate(imports);
    engine = new Engine(instance, memory);
    if (!engine.exports.init(maxPages)) throw new PyError("pyheap engine failed to initialize");
    engine.refresh();
    return engine;
  }

  refresh(): void {
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** An AssemblyScript string (UTF-16, byte length at ptr - 4). */
  readString(ptr: number): string {
    if (!ptr) return "";
    const len = new Uint32Array(this.u8.buffer, ptr - 4, 1)[0] >>> 1;
    return String.fromCharCode(...new Uint16Array(this.u8.buffer, ptr, len));
  }
}
