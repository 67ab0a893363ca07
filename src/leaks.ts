/**
 * heap.leaks: finding what leaks. The per-type census is the engine's (alloc/livecount.ts:
 * live objects and the bytes of their own blocks, kept as objects are born and die), so
 * nothing here walks the heap or forces a collection (objgraph's show_growth does, and
 * hides the cycle being hunted).
 */
import { FIRST_CLASS, TYPE_NAMES } from "./constants.js";
import type { Objects } from "./objects.js";
import { PyTypeError, PyValueError } from "./errors.js";

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

export class Leaks {
  readonly #o: Objects;
  /** showGrowth's peaks per type name (objgraph's peak_stats). */
  #peaks = new Map<string, number>();

  /** @internal */
  constructor(objects: Objects) {
    this.#o = objects;
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

  /** Lines as objgraph's show_growth prints them: name, count, +delta in aligned columns. */
  static formatGrowth(rows: readonly Growth[]): string[] {
    if (!Array.isArray(rows)) throw new PyValueError("formatGrowth: rows must be showGrowth's array");
    const w = Math.max(0, ...rows.map((r) => r.type.length));
    const wc = Math.max(0, ...rows.map((r) => String(r.count).length));
    const wd = Math.max(0, ...rows.map((r) => String(r.delta).length + 1));
    return rows.map((r) => `${r.type.padEnd(w)} ${String(r.count).padStart(wc)} ${`+${r.delta}`.padStart(wd)}`);
  }
}
