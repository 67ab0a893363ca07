// heap.monitor: memory over time (samples of the allocator, the live census and the
// collections), its CSV and JSON, and monitorSvg's picture.
import { describe, expect, it } from "vitest";
import { monitorCSV, monitorSvg, PyRuntimeError, PyTypeError, PyValueError } from "../../src/node.js";
import { newHeap } from "../helpers.js";

describe("heap.monitor", () => {
  it("samples every N allocations: the census per type, the allocator's figures, the collections in between", async () => {
    const h = await newHeap();
    h.monitor.start({ everyAllocations: 1000 });
    expect(h.monitor.running).toBe(true);
    const keep = [];
    for (let i = 0; i < 5000; i++) {
      const a = h.list([]);
      const b = h.list([a]);
      a.append(b); // garbage 2-cycles for the collector
      a.release();
      b.release();
      if (i % 10 === 0) keep.push(h.float(i + 0.5));
    }
    h.monitor.stop();
    const s = h.monitor.samples();
    expect(s[0].trigger).toBe("start");
    expect(s.at(-1)!.trigger).toBe("stop");
    const byAlloc = s.filter((x) => x.trigger === "allocations");
    expect(byAlloc.length).toBeGreaterThanOrEqual(15); // 5,000 x (2 lists + 2 item arrays + ...) / 1000
    for (let i = 1; i < s.length; i++) expect(s[i].t).toBeGreaterThanOrEqual(s[i - 1].t);
    const last = s.at(-1)!;
    expect(last.types.float.count).toBe(500);
    expect(last.types.float.bytes).toBe(500 * 16);
    expect(last.liveObjects).toBe(Object.values(last.types).reduce((n, t) => n + t.count, 0));
    expect(last.arenas).toBeGreaterThanOrEqual(1);
    expect(last.allocatedBytes).toBeGreaterThan(0);
    expect(last.heapBytes).toBeGreaterThanOrEqual(last.arenas * 1048576);
    const collections = s.flatMap((x) => x.collections);
    expect(collections.length).toBe(h.gc.getStats().reduce((n, g) => n + g.collections, 0));
    expect(collections.every((c) => c.pauseMs >= 0 && c.collected % 2 === 0)).toBe(true);
    for (const f of keep) f.release();
    h.close();
  });

  it("toCSV: fixed columns, then a count and bytes column per type seen; toJSON round-trips into monitorCSV and monitorSvg", async () => {
    const h = await newHeap();
    const C = h.defineClass("Thing");
    h.monitor.start();
    const t = C.new();
    h.monitor.sample();
    h.monitor.stop();
    const csv = h.monitor.toCSV();
    const lines = csv.trim().split("\n");
    expect(lines.length).toBe(1 + h.monitor.samples().length);
    expect(lines[0]).toMatch(/^t,trigger,arenas,poolsUsed,poolsEmpty,allocatedBytes,heapBytes,committedBytes,liveObjects,gc0,gc1,gc2,collections,collected,uncollectable,pauseMs,/);
    expect(lines[0]).toContain("Thing.count,Thing.bytes");
    const doc = JSON.parse(JSON.stringify(h.monitor.toJSON()));
    expect(doc.format).toBe("pyheap-monitor");
    expect(monitorCSV(doc.samples)).toBe(csv);
    const svg = monitorSvg(doc, { title: "a <test>" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("a &lt;test&gt;");
    expect(svg).toContain("<polyline");
    expect(() => monitorSvg({} as never)).toThrow(PyValueError);
    t.release();
    h.close();
  });

  it("bad options are clear errors and start nothing; a second start is refused; close stops it", async () => {
    const h = await newHeap();
    expect(() => h.monitor.start({ everyAllocations: 0 })).toThrow(PyValueError);
    expect(() => h.monitor.start({ everyMs: 1.5 })).toThrow(PyTypeError);
    expect(() => h.monitor.start(null as never)).toThrow(PyTypeError);
    expect(() => h.monitor.start({ everyMS: 10 } as never)).toThrow(PyValueError);
    expect(() => monitorCSV(null as never)).toThrow(PyTypeError);
    expect(h.monitor.running).toBe(false);
    h.monitor.start({ everyMs: 5 });
    expect(() => h.monitor.start()).toThrow(PyRuntimeError);
    await new Promise((r) => setTimeout(r, 40));
    h.close();
    expect(h.monitor.running).toBe(false);
    expect(h.monitor.samples().some((s) => s.trigger === "timer")).toBe(true);
  });
});
