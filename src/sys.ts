/**
 * heap.sys (Sys): CPython's sys helpers for one heap (getrefcount, getsizeof, intern,
 * the free lists, _debugmallocstats, getallocatedblocks) and unraisablehook, where
 * exceptions that cannot propagate (thrown by del hooks) go. Heap (heap.ts) makes it.
 */
import { T } from "./constants.js";
import { PyMemoryError, PyTypeError } from "./errors.js";
import { Ref, type PyValue } from "./handles.js";
import type { Heap } from "./heap.js";
import { formatDebugMallocStats, readStats } from "./stats.js";
import { defineAliases } from "./aliases.js";

/** What heap.sys.unraisablehook receives (Python's sys.UnraisableHookArgs). */
export interface UnraisableInfo {
  exception: unknown;
  object: Ref | undefined;
  message: string;
}

/** heap.sys: CPython's sys helpers. */

export class Sys {
  readonly #heap: Heap;
  /**
   * Called with exceptions that cannot propagate (thrown by del hooks). The default
   * writes "Exception ignored in: ..." and the error to the heap's stderr option.
   */
  unraisablehook: (info: UnraisableInfo) => void;

  constructor(heap: Heap) {
    this.#heap = heap;
    this.unraisablehook = (info) => {
      const e = info.exception;
      const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
      heap.writeStderr(`${info.message}\n${text}`);
    };
  }

  /**
   * sys.getrefcount(obj): the object's exact reference count, each live handle
   * counting one (no extra reference for the call). Immortal objects (None, True,
   * False, small ints, empty tuple/str/bytes) report 2**32 - 1.
   */
  getRefcount(obj: PyValue): number {
    const o = this.#heap.objects;
    return o.with1(obj, (id) => o.engine.exports.obj_refcnt(id) >>> 0);
  }

  /** sys.getsizeof(obj): bytes the object occupies in this heap, GC head and owned buffers included. */
  getSizeof(obj: PyValue): number {
    const o = this.#heap.objects;
    return o.with1(obj, (id) => o.engine.exports.obj_sizeof(id) >>> 0);
  }

  /** sys.intern(s): the interned str equal to s (mortal: it dies with its last reference). */
  intern(s: string | Ref): Ref {
    const o = this.#heap.objects;
    const x = o.engine.exports;
    let id: number;
    if (s instanceof Ref) {
      id = o.own(s);
      if (x.obj_type(id) !== T.STR) throw new PyTypeError(`intern() argument must be str, not ${s.type}`);
      x.obj_incref(id);
    } else id = o.newStr(s);
    const r = x.str_intern(id) >>> 0;
    if (!r) {
      x.obj_decref(id);
      throw new PyMemoryError("intern: heap memory exhausted");
    }
    return o.wrap(r);
  }

  /** Strings in the intern table. */
  internedCount(): number {
    return this.#heap.engine.exports.intern_count();
  }

  /** Free-list lengths (CPython's float, tuple, list and dict free lists). */
  freelists(): { float: number; tuple: number; list: number; dict: number } {
    const x = this.#heap.engine.exports;
    return { float: x.freelist_count(0), tuple: x.freelist_count(1), list: x.freelist_count(2), dict: x.freelist_count(3) };
  }

  /** Empties the free lists (a full collection does this in CPython). */
  clearFreelists(): void {
    this.#heap.engine.exports.freelists_clear();
  }

  /** The report of CPython's sys._debugmallocstats(), for this heap. */
  debugMallocStats(): string {
    return formatDebugMallocStats(readStats(this.#heap.engine));
  }

  /** sys.getallocatedblocks(): blocks in use in pools plus large blocks. */
  getAllocatedBlocks(): number {
    return this.#heap.engine.exports.allocated_blocks() >>> 0;
  }
}

/** CPython's spellings (see aliases.ts). */
export interface Sys {
  /** Alias of getRefcount (CPython's sys.getrefcount). */
  getrefcount: Sys["getRefcount"];
  /** Alias of getSizeof (CPython's sys.getsizeof). */
  getsizeof: Sys["getSizeof"];
  /** Alias of getAllocatedBlocks (CPython's sys.getallocatedblocks). */
  getallocatedblocks: Sys["getAllocatedBlocks"];
  /** Alias of debugMallocStats (CPython's sys._debugmallocstats). */
  debugmallocstats: Sys["debugMallocStats"];
  /** Alias of debugMallocStats (CPython's sys._debugmallocstats). */
  _debugmallocstats: Sys["debugMallocStats"];
}
defineAliases(Sys, {
  getrefcount: "getRefcount", getsizeof: "getSizeof", getallocatedblocks: "getAllocatedBlocks",
  debugmallocstats: "debugMallocStats", _debugmallocstats: "debugMallocStats",
});
