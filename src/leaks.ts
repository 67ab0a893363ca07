/**
 * heap.leaks: finding what leaks. The per-type census is the engine's (alloc/livecount.ts:
 * live objects and the bytes of their own blocks, kept as objects are born and die), so
 * nothing here walks the heap or forces a collection (objgraph's show_growth does, and
 * hides the cycle being hunted).
 */
import { FIRST_CLASS, IMMORTAL_REFCNT, T, TYPE_NAMES } from "./constants.js";
import type { Objects } from "./objects.js";
import { PyMemoryError, PyTypeError, PyValueError } from "./errors.js";
import { Ref } from "./handles.js";
import type { Tracemalloc } from "./tracemalloc.js";
import { refuseInCollection } from "./heapsnapshot.js";
import { formatSize, type Traceback } from "./tracemalloc-snapshot.js";

export interface TypeStat {
  /** The type's name (the class name for instances; classes of one name are one row). */
  type: string;
  /** Live objects. */
  count: number;
  /** The bytes of their own blocks (GC heads included; item tables are their own blocks). */
  bytes: number;
}

export interface Growth {
  type: string;
  count: number;
  /** How far the count passed its previous peak. */
  delta: number;
}

/** One step of a retainer path: an object, and the edge from it to the next one. */
export interface RetainerStep {
  /** The object's type name. */
  type: string;
  /** Its id (a handle: heap.raw.handle(id) while it lives). */
  id: number;
  /** The reference to the next object in Python notation: [3], ['k'], .b, <key>; "" for the target. */
  edge: string;
}

/** The shortest chain of references from a root (held from outside the graph) to an object. */
export class RetainerPath {
  /** Root first, the object last. */
  readonly steps: readonly RetainerStep[];
  /** @internal */
  constructor(steps: RetainerStep[]) {
    this.steps = steps;
  }
  get length(): number {
    return this.steps.length;
  }
  /** e.g. "dict['cache'] -> list[3] -> Node.b -> Node" */
  toString(): string {
    return this.steps.map((s) => `${s.type}${s.edge}`).join(" -> ");
  }
}

export interface Referrer {
  /** A new handle to the referrer (released by WhyAlive.release()). */
  referrer: Ref;
  /** Each reference it holds, in Python notation. */
  edges: string[];
  count: number;
}

export interface WhyAlive {
  /** sys.getrefcount(obj): the referrers' counts plus external. */
  refcount: number;
  referrers: Referrer[];
  /** References held from outside the object graph (host handles, heap.raw owners), the question's own handle included. */
  external: number;
  /** The shortest chain from a root, or null when no root reaches it (garbage awaiting collection). */
  path: RetainerPath | null;
  /** Releases the referrer handles. */
  release(): void;
}

/** A point in a heap's life (leaks.mark()): every object allocated later is after it. */
export class LeakMark {
  /** @internal */ readonly _leaks: Leaks;
  /** @internal The first id an object allocated after the mark may have. */ readonly _id: number;
  /** When the mark was taken (performance.now()). */
  readonly time: number;
  /** @internal */
  constructor(leaks: Leaks, id: number, time: number) {
    this._leaks = leaks;
    this._id = id;
    this.time = time;
  }
}

export interface SinceType {
  type: string;
  count: number;
  /** The bytes of their own blocks (as typeStats counts them). */
  bytes: number;
}

export interface SinceTraceback extends SinceType {
  /** Where they were allocated, or null for objects allocated while tracemalloc was not tracing. */
  traceback: Traceback | null;
}

/** leaks.since(mark): the objects allocated after the mark that are still alive. */
export class SinceReport {
  /** @internal */
  constructor(
    readonly count: number,
    readonly bytes: number,
    /** Per type, most bytes first. */
    readonly byType: SinceType[],
    /** Per type and allocating traceback, most bytes first. */
    readonly byTraceback: SinceTraceback[],
  ) {}

  /** Lines for people: `<type> at <file>:<line>: size=..., count=...` (tracemalloc's size format), at most limit. */
  format(limit = 10): string[] {
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) throw new PyTypeError("format: limit must be a non-negative integer");
    return this.byTraceback.slice(0, limit).map((r) => {
      const f = r.traceback?.at(-1);
      const where = f ? `${f.filename}:${f.lineno}` : "(not traced)";
      return `${r.type} at ${where}: size=${formatSize(r.bytes, false)}, count=${r.count}, average=${formatSize(Math.round(r.bytes / r.count), false)}`;
    });
  }
}

export class Leaks {
  readonly #o: Objects;
  readonly #tm: Tracemalloc;
  /** showGrowth's peaks per type name (objgraph's peak_stats). */
  #peaks = new Map<string, number>();

  /** @internal */
  constructor(objects: Objects, tracemalloc: Tracemalloc) {
    this.#o = objects;
    this.#tm = tracemalloc;
  }

  /**
   * Marks this moment: leaks.since(mark) will list the objects allocated after it that are
   * still alive. Gives every live object its lasting id (the heap-snapshot ids); from then
   * on the heap keeps them (about 16 bytes per object). Forces no collection.
   */
  mark(): LeakMark {
    const x = this.#o.engine.exports;
    refuseInCollection(this.#o.engine, "leaks.mark()");
    const id = x.snap_mark() >>> 0;
    if (!id) throw new PyMemoryError("leaks.mark(): the heap's memory is exhausted (ids need about 16 bytes per object)");
    return new LeakMark(this, id, performance.now());
  }

  /**
   * The objects allocated after mark that are still alive, grouped by type and, for those
   * allocated while tracemalloc was tracing, by the traceback that allocated them (the
   * type x line matrix). Forces no collection: a cycle awaiting collection is counted.
   */
  since(mark: LeakMark): SinceReport {
    if (!(mark instanceof LeakMark)) throw new PyTypeError("since: mark must be what leaks.mark() returned");
    if (mark._leaks !== this) throw new PyValueError("since: this mark belongs to another heap");
    const o = this.#o;
    const x = o.engine.exports;
    refuseInCollection(o.engine, "leaks.since()");
    if (!x.snap_since(mark._id)) throw new PyMemoryError("leaks.since(): the heap's memory is exhausted");
    let rows: Uint32Array;
    try {
      const n = x.since_count() >>> 0;
      rows = new Uint32Array(o.engine.u32.buffer, x.since_records() >>> 0, n * 3).slice();
    } finally {
      x.since_end();
    }
    const byType = new Map<number, SinceType>();
    const byTb = new Map<string, SinceTraceback & { tb: number; t: number }>();
    let count = 0, bytes = 0;
    for (let i = 0; i < rows.length; i += 3) {
      const t = rows[i], b = rows[i + 1], tb = rows[i + 2];
      count++;
      bytes += b;
      let r = byType.get(t);
      if (!r) byType.set(t, (r = { type: o.typeNameOf(t), count: 0, bytes: 0 }));
      r.count++;
      r.bytes += b;
      const key = `${t}:${tb}`;
      let q = byTb.get(key);
      if (!q) byTb.set(key, (q = { type: r.type, traceback: null, count: 0, bytes: 0, tb, t }));
      q.count++;
      q.bytes += b;
    }
    const order = (a: SinceType, b: SinceType) => b.bytes - a.bytes || b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
    const tbs: SinceTraceback[] = [...byTb.values()].map(({ type, count, bytes, tb }) => ({
      type, count, bytes, traceback: tb ? this.#tm.tracebackOf(tb) : null,
    }));
    return new SinceReport(count, bytes, [...byType.values()].sort(order), tbs.sort(order));
  }

  /** Live objects and bytes per type, most numerous first (objgraph's most_common_types, with bytes). */
  typeStats(): TypeStat[] {
    const x = this.#o.engine.exports;
    const rows = new Map<string, TypeStat>();
    const n = x.class_count();
    for (let t = 0; t < n; t++) {
      const count = x.type_live_count(t);
      if (!count) continue;
      const type = t >= FIRST_CLASS ? (this.#o.classes.get(t)?.name ?? `class#${t}`) : (TYPE_NAMES[t] || `type#${t}`);
      const row = rows.get(type);
      if (row) {
        row.count += count;
        row.bytes += x.type_live_bytes(t);
      } else rows.set(type, { type, count, bytes: x.type_live_bytes(t) });
    }
    return [...rows.values()].sort((a, b) => b.count - a.count || b.bytes - a.bytes || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  /**
   * objgraph's show_growth: the types whose live count passed its peak since the previous
   * call (the first call: every type), largest growth first, at most `limit`; the peaks
   * move up. `formatGrowth` prints them as objgraph does.
   */
  showGrowth(limit = 10): Growth[] {
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) throw new PyTypeError("showGrowth: limit must be a non-negative integer");
    const out: Growth[] = [];
    for (const { type, count } of this.typeStats()) {
      const peak = this.#peaks.get(type) ?? 0;
      if (count > peak) {
        out.push({ type, count, delta: count - peak });
        this.#peaks.set(type, count);
      }
    }
    out.sort((a, b) => b.delta - a.delta || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    return out.slice(0, limit);
  }

  #target(fn: string, obj: unknown): number {
    if (!(obj instanceof Ref)) throw new PyTypeError(`${fn}: obj must be a handle (Ref)`);
    return obj.id; // (throws for a released handle)
  }

  /**
   * The shortest chain of references from a root to obj, where a root is an object held
   * from outside the heap's object graph (a host handle, or a reference held through
   * heap.raw); the handle passed in does not count as a root. null when no root reaches obj
   * (it is garbage awaiting collection). A breadth-first search in the engine, no recursion.
   */
  retainerPath(obj: Ref): RetainerPath | null {
    const id = this.#target("retainerPath", obj);
    const x = this.#o.engine.exports;
    // an immortal object (None, small ints, the empty str...) is alive by itself: its own root
    if (x.obj_refcnt(id) >>> 0 === IMMORTAL_REFCNT) return new RetainerPath([{ type: this.#o.typeName(id), id, edge: "" }]);
    try {
      refuseInCollection(this.#o.engine, "a retainer walk");
      const r = x.retainers_walk(id, 1);
      if (r === 0) throw new PyMemoryError("retainerPath: no memory for the walk");
      return r === 2 ? null : this.#path(id);
    } finally {
      x.retainers_end();
    }
  }

  /**
   * Why obj is alive: every strong referrer with the references it holds, the references
   * held from outside the graph, adding up to sys.getrefcount(obj), and the retainer path.
   */
  whyAlive(obj: Ref): WhyAlive {
    const id = this.#target("whyAlive", obj);
    const x = this.#o.engine.exports;
    const o = this.#o;
    const referrers: Referrer[] = [];
    let path: RetainerPath | null;
    let inRefs: number;
    if (x.obj_refcnt(id) >>> 0 === IMMORTAL_REFCNT) {
      // immortal: its count never moves, and is no sum of references
      return { refcount: IMMORTAL_REFCNT, referrers, external: 0, path: this.retainerPath(obj), release: () => {} };
    }
    try {
      refuseInCollection(this.#o.engine, "a retainer walk");
      const r = x.retainers_walk(id, 1);
      if (r === 0) throw new PyMemoryError("whyAlive: no memory for the walk");
      path = r === 2 ? null : this.#path(id);
      inRefs = x.retainers_in_refs(id);
      const n = x.retainers_referrer_count();
      const seen = new Map<number, Referrer>();
      for (let i = 0; i < n; i++) {
        const p = x.retainers_referrer(i) >>> 0;
        const count = x.retainers_referrer_refs(i);
        const known = seen.get(p);
        if (known) {
          known.count += count;
          continue;
        }
        const entry: Referrer = { referrer: o.wrapBorrowed(p), edges: this.#edges(p, id), count };
        seen.set(p, entry);
        referrers.push(entry);
      }
    } finally {
      x.retainers_end();
    }
    const refcount = x.obj_refcnt(id) >>> 0;
    return {
      refcount,
      referrers,
      external: refcount - inRefs,
      path,
      release: () => { for (const r of referrers) r.referrer.release(); },
    };
  }

  #path(target: number): RetainerPath {
    const x = this.#o.engine.exports;
    const chain: number[] = [target];
    for (let p = x.retainers_parent(target) >>> 0; p; p = x.retainers_parent(p) >>> 0) chain.push(p);
    chain.reverse();
    return new RetainerPath(chain.map((id, i) => ({
      type: this.#o.typeName(id),
      id,
      edge: i + 1 < chain.length ? (this.#edges(id, chain[i + 1])[0] ?? "<?>") : "",
    })));
  }

  /** The references from parent to child, in Python notation. */
  #edges(parent: number, child: number): string[] {
    const o = this.#o;
    const x = o.engine.exports;
    const out: string[] = [];
    const t = x.obj_type(parent);
    if (t === T.TUPLE || t === T.LIST) {
      const n = x.obj_len(parent);
      for (let i = 0; i < n; i++) if ((t === T.TUPLE ? x.tuple_get(parent, i) : x.list_get(parent, i)) >>> 0 === child) out.push(`[${i}]`);
    } else if (t === T.DICT) {
      for (let pos = x.dict_next(parent, 0); pos >= 0; pos = x.dict_next(parent, pos + 1)) {
        const k = x.dict_key_at(parent, pos) >>> 0;
        if (k === child) out.push(`<key>`);
        if (x.dict_value_at(parent, pos) >>> 0 === child) out.push(`[${o.repr(k)}]`);
      }
    } else if (t === T.SET || t === T.FROZENSET) {
      out.push("<key>");
    } else if (t === T.MEMORYVIEW) {
      out.push(".obj");
    } else if (t >= FIRST_CLASS) {
      const cls = o.classes.get(t);
      if (cls?.slots) {
        cls.slots.forEach((name, i) => { if (x.slot_get(parent, i) >>> 0 === child) out.push(`.${name}`); });
      } else {
        const n = x.attr_count(parent);
        for (let i = 0; i < n; i++) if (x.attr_value(parent, i) >>> 0 === child) out.push(`.${o.readStr(x.attr_name(parent, i) >>> 0)}`);
        if (!out.length && x.obj_type(child) === T.DICT) out.push(".__dict__");
      }
    }
    if (!out.length) out.push("<internal>");
    return out;
  }

  /** Lines as objgraph's show_growth prints them: '%-*s%9d %+9d' (the name padded to the longest). */
  static formatGrowth(rows: readonly Growth[]): string[] {
    if (!Array.isArray(rows) || !rows.every((r) => typeof r?.type === "string" && Number.isInteger(r.count) && Number.isInteger(r.delta))) {
      throw new PyTypeError("formatGrowth: rows must be showGrowth's array of { type, count, delta }");
    }
    const w = Math.max(0, ...rows.map((r) => r.type.length));
    return rows.map((r) => `${r.type.padEnd(w)}${String(r.count).padStart(9)} ${(r.delta >= 0 ? `+${r.delta}` : String(r.delta)).padStart(9)}`);
  }
}
