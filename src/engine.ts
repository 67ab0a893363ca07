/**
 * The wasm engine as the host sees it: its exports, its imports, and cached views
 * of its memory that are refreshed after every grow (env.on_grow), never by reading
 * `memory.buffer` on each access.
 */
import { PyError, PyReferenceError, PyTypeError } from "./errors.js";

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
  /** `x = <new object>; drop the previous` n times inside wasm (kinds: assembly/bench.ts). */
  bench_object_pairs(kind: number, cls: number, n: number): number;
}

/** The object layer's exports (assembly/object/abi.ts). Ids are addresses. */
export interface ObjectExports {
  last_error(): number;
  last_error_type(): number;
  clear_error(): void;
  none_obj(): number;
  true_obj(): number;
  false_obj(): number;
  empty_tuple(): number;
  empty_str(): number;
  empty_bytes(): number;
  obj_incref(o: number): void;
  obj_decref(o: number): void;
  obj_refcnt(o: number): number;
  obj_type(o: number): number;
  obj_sizeof(o: number): number;
  obj_is_gc(o: number): number;
  obj_is_tracked(o: number): number;
  obj_hash(o: number): bigint;
  obj_eq(a: number, b: number): number;
  int_from_i32(v: number): number;
  int_from_i64(v: bigint): number;
  int_from_f64(x: number): number;
  int_from_digits(p: number, n: number, negative: number): number;
  float_new(x: number): number;
  str_alloc(type: number, len: number): number;
  str_intern(o: number): number;
  str_intern_immortal(o: number): number;
  intern_count(): number;
  bytearray_new(n: number): number;
  bytearray_resize(o: number, n: number): number;
  memoryview_new(base: number): number;
  memoryview_release(o: number): void;
  tuple_new(n: number): number;
  tuple_init(t: number, i: number, v: number): void;
  tuple_get(t: number, i: number): number;
  list_new(capacity: number): number;
  list_append(l: number, v: number): number;
  list_get(l: number, i: number): number;
  list_set(l: number, i: number, v: number): number;
  list_insert(l: number, i: number, v: number): number;
  list_pop(l: number, i: number): number;
  list_delete(l: number, i: number): number;
  list_clear(l: number): void;
  dict_new(): number;
  dict_set(d: number, k: number, v: number): number;
  dict_get(d: number, k: number): number;
  dict_delete(d: number, k: number): number;
  dict_clear(d: number): void;
  dict_next(d: number, pos: number): number;
  dict_key_at(d: number, pos: number): number;
  dict_value_at(d: number, pos: number): number;
  set_new(frozen: number): number;
  set_add(s: number, k: number): number;
  set_has(s: number, k: number): number;
  set_discard(s: number, k: number): number;
  set_clear(s: number): void;
  set_next(s: number, pos: number): number;
  set_key_at(s: number, pos: number): number;
  class_define(flags: number, nslots: number): number;
  class_count(): number;
  inst_new(cls: number): number;
  inst_new2(cls: number, a: number, b: number): number;
  slot_get(o: number, i: number): number;
  slot_set(o: number, i: number, v: number): void;
  slot_delete(o: number, i: number): number;
  attr_get(o: number, name: number): number;
  attr_set(o: number, name: number, v: number): number;
  attr_delete(o: number, name: number): number;
  attr_count(o: number): number;
  attr_name(o: number, i: number): number;
  attr_value(o: number, i: number): number;
  gc_count0(): number;
  dealloc_count(): bigint;
  freelist_count(kind: number): number;
  freelists_clear(): void;
  debug_live_count(): number;
  debug_is_live(o: number): number;
  // the collector (assembly/gc/abi.ts)
  gc_collect(generation: number): number;
  gc_enable(on: number): void;
  gc_is_enabled(): number;
  gc_is_collecting(): number;
  gc_set_threshold(g: number, t: number): void;
  gc_get_threshold(g: number): number;
  gc_get_count(g: number): number;
  gc_get_stat(g: number, field: number): number;
  gc_set_debug(flags: number): void;
  gc_get_debug(): number;
  gc_garbage(): number;
  gc_generation_size(g: number): number;
  gc_freeze(): void;
  gc_unfreeze(): void;
  gc_freeze_count(): number;
  gc_is_tracked(o: number): number;
  gc_is_finalized(o: number): number;
  gc_get_objects(generation: number): number;
  gc_get_referrers(p: number): number;
  gc_get_referents(list: number, o: number): number;
  weakref_new(o: number, callback: number, proxy: number): number;
  weakref_get(wr: number): number;
  weakref_callback(wr: number): number;
  weakref_count(o: number): number;
  weakref_list(o: number): number;
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
  readonly exports: EngineExports & ObjectExports;
  /** Called by the engine for a class's del (kind 0) or legacyDel (kind 1) hook. */
  onDel: (o: number, kind: number) => void = () => {};
  /** A collection's phases: 0 start, 1 stop, 2 the DEBUG_STATS "done" line. */
  onGcPhase: (phase: number, generation: number, collected: number, uncollectable: number) => void = () => {};
  /** DEBUG_COLLECTABLE (0) / DEBUG_UNCOLLECTABLE (1): one object. */
  onGcDebugObject: (kind: number, id: number) => void = () => {};
  /** A weakref's callback (the host's number) with the weakref, which the engine keeps alive. */
  onWeakrefCallback: (callback: number, wr: number) => void = () => {};
  /** A weakref died: its callback number can be forgotten. */
  onWeakrefForget: (callback: number) => void = () => {};
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  /** Views over the whole memory; replaced after every grow. */
  u8!: Uint8Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f64!: Float64Array;

  private constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory) {
    this.exports = instance.exports as unknown as EngineExports & ObjectExports;
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
        // a class's del hook; the host catches everything it throws (an exception
        // unwinding through wasm would leave a deallocation half done)
        call_del: (o: number, kind: number) => engine?.onDel(o, kind),
        gc_phase: (phase: number, g: number, m: number, n: number) => engine?.onGcPhase(phase, g, m, n),
        gc_debug_object: (kind: number, id: number) => engine?.onGcDebugObject(kind, id >>> 0),
        weakref_callback: (cb: number, wr: number) => engine?.onWeakrefCallback(cb >>> 0, wr >>> 0),
        weakref_forget: (cb: number) => engine?.onWeakrefForget(cb >>> 0),
        // the debug engine found a bad id before changing anything: throw from here
        misuse: (kind: number, id: number, expected: number) => {
          const at = `0x${(id >>> 0).toString(16)}`;
          if (kind === 2) throw new PyTypeError(`pyheap debug: object ${at} is not of the type this operation needs (type id ${expected})`);
          if (kind === 3) throw new PyReferenceError(`pyheap debug: decref of object ${at} whose refcount is already 0`);
          throw new PyReferenceError(`pyheap debug: ${at} is not a live object id (never allocated, or already freed)`);
        },
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
