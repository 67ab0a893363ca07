/**
 * heap.handles(): the handles a heap has given out and not had back, and the warning
 * close() writes from it.
 */
import type { Ref } from "./handles.js";

/** One live handle, with where it was made (Heap.create({ trackHandles: true })). */
export interface LiveHandle {
  readonly handle: Ref;
  /** The stack where the handle was made, one frame per line, innermost first. */
  readonly stack: string;
}

export class HandleReport {
  /** @internal */
  constructor(
    /** Owned handles not released yet (dropped ones JS has not collected yet included). */
    readonly live: number,
    /** Handles the safety net released: dropped by the program, collected by JS. */
    readonly dropped: number,
    /** Each live handle and where it was made, oldest first; undefined without trackHandles. */
    readonly handles: readonly LiveHandle[] | undefined,
  ) {}

  /**
   * Lines for a person: the counts, then (with trackHandles) the places that made the
   * most live handles, `limit` of them, each with its count and a type seen there.
   */
  format(title = "pyheap:", limit = 10): string[] {
    const lines = [`${title} ${this.live} handle${this.live === 1 ? "" : "s"} never released` +
      (this.dropped ? ` (${this.dropped} more dropped without release() were released by the safety net)` : "")];
    if (!this.handles) {
      lines.push("  Heap.create({ trackHandles: true }) records where each handle is made (heap.handles() lists them);");
      lines.push("  { releaseDropped: true } releases the handles a program drops without release() once JS collects them.");
      return lines;
    }
    const by = new Map<string, { n: number; types: Set<string> }>();
    for (const { handle, stack } of this.handles) {
      const where = stack.split("\n").slice(0, 3).join(" < ") || "(unknown)";
      const e = by.get(where) ?? { n: 0, types: new Set<string>() };
      e.n++;
      if (e.types.size < 3) e.types.add(handle.alive ? handle.type : "?");
      by.set(where, e);
    }
    const rows = [...by].sort((a, b) => b[1].n - a[1].n);
    for (const [where, { n, types }] of rows.slice(0, limit)) lines.push(`  ${n} x ${[...types].join(", ")}: ${where}`);
    if (rows.length > limit) lines.push(`  ... and ${rows.length - limit} more places`);
    return lines;
  }

  toString(): string {
    return this.format().join("\n");
  }
}
