/**
 * heap.mem (Mem): the PyMem domain's malloc/calloc/realloc/free, the record of the
 * blocks it handed out (what makes bad pointers harmless), zero-copy views, and the
 * allocator's statistics, arena pictures and invariant check. Heap (heap.ts) makes it.
 */
import { CHECK_NAMES } from "./constants.js";
import type { Engine } from "./engine.js";
import { PyMemoryError, PyTypeError, PyValueError } from "./errors.js";
import type { Heap } from "./heap.js";
import { readArenas, readStats, type ArenaPicture, type MallocStats } from "./stats.js";

function isPointerLike(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 32;
}

const hex = (p: number) => `0x${p.toString(16)}`;

/**
 * heap.mem: malloc/calloc/realloc/free on the PyMem domain. Blocks of 1..512 bytes
 * come from pools, others from the general allocator, as in CPython.
 *
 * Every block this facade hands out is recorded, so a pointer that is not a live
 * block of heap.mem (never allocated, already freed, an interior pointer, a block
 * of the engine's own) is refused with PyValueError and changes nothing.
 *
 * Views: mem.view() returns a Uint8Array over wasm memory, without copying. When
 * the heap's memory grows (any allocation may grow it) every earlier view of it is
 * detached by WebAssembly and reads as length 0: take a new view after allocating.
 */
export class Mem {
  readonly #heap: Heap;
  /** Live blocks: pointer -> requested size. */
  #live = new Map<number, number>();

  constructor(heap: Heap) {
    this.#heap = heap;
  }

  /** @internal */
  forget(): void {
    this.#live.clear();
  }

  #size(fn: string, n: unknown, what = "size"): number {
    if (typeof n !== "number") throw new PyTypeError(`${fn}: ${what} must be a number, not ${typeof n}`);
    if (!Number.isInteger(n)) throw new PyValueError(`${fn}: ${what} must be an integer, not ${n}`);
    if (n < 0) throw new PyValueError(`${fn}: negative ${what} ${n}`);
    return n;
  }

  #block(fn: string, ptr: unknown): number {
    if (typeof ptr !== "number") throw new PyTypeError(`${fn}: pointer must be a number, not ${typeof ptr}`);
    if (!isPointerLike(ptr) || !this.#live.has(ptr)) {
      throw new PyValueError(`${fn}(${isPointerLike(ptr) ? hex(ptr) : ptr}): not a live block of heap.mem (never allocated, or already freed)`);
    }
    return ptr;
  }

  /** Refuses sizes above the engine's largest block. */
  #fits(e: Engine, fn: string, n: number): void {
    const max = e.layout.maxRequest;
    if (n > max) throw new PyMemoryError(`${fn}: cannot allocate ${n} bytes: the largest block is ${max} bytes`);
  }

  #exhausted(fn: string, n: number): never {
    const max = this.#heap.engine.memory.buffer.byteLength;
    throw new PyMemoryError(`${fn}: cannot allocate ${n} bytes: heap memory exhausted (${max} bytes committed, maxMemory reached)`);
  }

  /** Runs an allocating export; 0 is PyMemoryError (the engine checks every growth). */
  #call(fn: string, n: number, f: () => number): number {
    const p = f() >>> 0;
    if (!p) this.#exhausted(fn, n);
    return p;
  }

  /** A block of at least n bytes (n = 0 gives a distinct minimal block). */
  malloc(n: number): number {
    const e = this.#heap.engine;
    this.#size("malloc", n);
    this.#fits(e, "malloc", n);
    const p = this.#call("malloc", n, () => e.exports.mem_malloc(n));
    this.#live.set(p, n);
    return p;
  }

  /** A zero-filled block of count * size bytes. */
  calloc(count: number, size: number): number {
    const e = this.#heap.engine;
    this.#size("calloc", count, "count");
    this.#size("calloc", size);
    const n = count * size;
    this.#fits(e, "calloc", n);
    // (0, 0) for an empty request, so that no count beyond 32 bits reaches the engine
    const p = this.#call("calloc", n, () => (n ? e.exports.mem_calloc(count, size) : e.exports.mem_calloc(0, 0)));
    this.#live.set(p, n);
    return p;
  }

  /**
   * Resizes a block, keeping its contents up to the smaller size. A pool block
   * stays where it is when n fits its size class and shrinks it by less than 25%.
   * realloc(0, n) is malloc(n). On PyMemoryError the old block is untouched.
   */
  realloc(ptr: number, n: number): number {
    const e = this.#heap.engine;
    if (ptr === 0) return this.malloc(n);
    this.#block("realloc", ptr);
    this.#size("realloc", n);
    this.#fits(e, "realloc", n);
    const p = this.#call("realloc", n, () => e.exports.mem_realloc(ptr, n));
    this.#live.delete(ptr);
    this.#live.set(p, n);
    return p;
  }

  /** Frees a block; free(0) does nothing, as in C. */
  free(ptr: number): void {
    const e = this.#heap.engine;
    if (ptr === 0) return;
    this.#block("free", ptr);
    this.#live.delete(ptr);
    e.exports.mem_free(ptr);
  }

  /** A zero-copy Uint8Array over the block (detached by the next memory grow). */
  view(ptr: number, length?: number): Uint8Array {
    const e = this.#heap.engine;
    this.#block("view", ptr);
    const size = this.#live.get(ptr)!;
    const n = length === undefined ? size : this.#size("view", length, "length");
    if (n > size) throw new PyValueError(`view(${hex(ptr)}, ${n}): the block holds ${size} bytes`);
    return new Uint8Array(e.u8.buffer, ptr, n);
  }

  /** The size the block was requested with. */
  size(ptr: number): number {
    this.#heap.engine;
    return this.#live.get(this.#block("size", ptr))!;
  }

  /** Bytes the block can actually hold (its size class, or the large block's size). */
  usableSize(ptr: number): number {
    const e = this.#heap.engine;
    return e.exports.mem_usable_size(this.#block("usableSize", ptr)) >>> 0;
  }

  /** Does the block come from a pool (1..512 bytes), rather than the general allocator? */
  inPool(ptr: number): boolean {
    const e = this.#heap.engine;
    return e.exports.mem_in_arena(this.#block("inPool", ptr)) !== 0;
  }

  /** Is ptr a live block of heap.mem? */
  has(ptr: number): boolean {
    this.#heap.engine;
    return this.#live.has(ptr);
  }

  /** Live blocks handed out by heap.mem. */
  get count(): number {
    this.#heap.engine;
    return this.#live.size;
  }

  /** The figures of sys._debugmallocstats(), as an object. */
  stats(): MallocStats {
    return readStats(this.#heap.engine);
  }

  /** Every arena, pool by pool: what the demo draws. */
  arenas(): ArenaPicture[] {
    return readArenas(this.#heap.engine);
  }

  /**
   * Walks every structure and checks its invariants (pool lists, free lists,
   * arena order, nfp2lasta). Returns 0 when all hold, else the number of the first
   * broken invariant (assembly/alloc/stats.ts checkHeap's CHECK_* codes; checkName
   * names it). For tests and debugging.
   */
  check(): number {
    return this.#heap.engine.exports.heap_check();
  }

  /** check(), named: "CHECK_OK", or the CHECK_* of the first broken invariant (e.g. "CHECK_POOL_COUNT"). */
  checkName(): string {
    const code = this.check();
    return CHECK_NAMES.get(code) ?? `CHECK_${code}`;
  }
}
