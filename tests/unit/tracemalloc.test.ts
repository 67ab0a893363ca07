// heap.tracemalloc and heap.frames: CPython 3.11's tracemalloc C layer (start/stop, the
// traced memory and its peak, object tracebacks, snapshots), checked call by call; the
// Python-level classes have their own differential test (tracemalloc-snapshot.test.ts)
// and the whole against CPython is tests/oracle/tracemalloc.test.ts.
import { describe, expect, it } from "vitest";
import { DomainFilter, Filter, PyMemoryError, PyRuntimeError, PyTypeError, PyValueError } from "../../src/node.js";
import { newHeap, testEngine } from "../helpers.js";

describe("heap.frames", () => {
  it("push, setLine and pop keep a stack, oldest first", async () => {
    const h = await newHeap();
    expect(h.frames.current()).toEqual([]);
    h.frames.push("app.py", 1);
    h.frames.push("lib.py", 10);
    h.frames.setLine(12);
    expect(h.frames.current().map(String)).toEqual(["app.py:1", "lib.py:12"]);
    expect(h.frames.depth).toBe(2);
    h.frames.pop();
    expect(h.frames.current().map(String)).toEqual(["app.py:1"]);
    h.frames.clear();
    expect(h.frames.depth).toBe(0);
    h.close();
  });

  it("bad input is a clear error and changes nothing", async () => {
    const h = await newHeap();
    expect(() => h.frames.pop()).toThrow(PyRuntimeError);
    expect(() => h.frames.setLine(3)).toThrow(PyRuntimeError);
    h.frames.push("a.py", 5);
    expect(() => h.frames.push(3 as never, 1)).toThrow(PyTypeError);
    expect(() => h.frames.push("b.py", 1.5)).toThrow(PyTypeError);
    expect(() => h.frames.push("b.py", -1)).toThrow(PyValueError);
    expect(() => h.frames.setLine("x" as never)).toThrow(PyTypeError);
    expect(h.frames.current().map(String)).toEqual(["a.py:5"]);
    h.close();
  });

  it("a stack 100,000 frames deep grows in the engine; tracebacks keep the innermost nframe and count them all", async () => {
    const h = await newHeap();
    h.tracemalloc.start(3);
    for (let i = 1; i <= 100_000; i++) h.frames.push(`f${i % 7}.py`, i);
    const x = h.float(1.5);
    const tb = h.tracemalloc.getObjectTraceback(x)!;
    expect([...tb].map(String)).toEqual(["f3.py:99998", "f4.py:99999", "f5.py:100000"]);
    expect(tb.totalNframe).toBe(65535); // CPython caps total_nframe at MAX_NFRAME
    for (let i = 0; i < 100_000; i++) h.frames.pop();
    expect(h.frames.depth).toBe(0);
    x.release();
    h.close();
  });
});

describe("heap.tracemalloc", () => {
  it("start() checks nframe as CPython does and is a no-op while tracing", async () => {
    const h = await newHeap();
    const tm = h.tracemalloc;
    expect(tm.isTracing()).toBe(false);
    expect(() => tm.start(0)).toThrow(new PyValueError("the number of frames must be in range [1; 65535]"));
    expect(() => tm.start(65536)).toThrow(PyValueError);
    expect(() => tm.start(1.5)).toThrow(PyTypeError);
    expect(() => tm.start("2" as never)).toThrow(PyTypeError);
    expect(tm.isTracing()).toBe(false);
    tm.start(5);
    tm.start(2); // (already tracing: the limit stays)
    expect(tm.getTracebackLimit()).toBe(5);
    tm.stop();
    expect(tm.isTracing()).toBe(false);
    h.close();
  });

  it("Heap.create({ tracemalloc: n }) starts tracing (PYTHONTRACEMALLOC)", async () => {
    const h = await newHeap({ tracemalloc: 4 });
    expect(h.tracemalloc.isTracing()).toBe(true);
    expect(h.tracemalloc.getTracebackLimit()).toBe(4);
    h.close();
    await expect(newHeap({ tracemalloc: 0 })).rejects.toThrow(PyValueError);
    await expect(newHeap({ tracemalloc: "3" as never })).rejects.toThrow(PyTypeError);
  });

  it("traced memory: requested sizes in, frees out, the peak kept; clearTraces and stop zero them", async () => {
    const h = await newHeap();
    const tm = h.tracemalloc;
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    tm.start();
    const p = h.mem.malloc(1000);
    const q = h.mem.malloc(24);
    expect(tm.getTracedMemory()).toEqual([1024, 1024]);
    h.mem.free(p);
    expect(tm.getTracedMemory()).toEqual([24, 1024]);
    tm.resetPeak();
    expect(tm.getTracedMemory()).toEqual([24, 24]);
    const r = h.mem.realloc(q, 100); // a realloc re-traces with the new size
    expect(tm.getTracedMemory()).toEqual([100, 100]);
    tm.clearTraces();
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    h.mem.free(r); // (untraced now: nothing to subtract)
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    const s = h.mem.malloc(8);
    tm.stop();
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    tm.resetPeak(); // (no-op when not tracing)
    h.mem.free(s);
    h.close();
  });

  it("getObjectTraceback: where an object was allocated; null before tracing, for immortals and after stop", async () => {
    const h = await newHeap();
    const tm = h.tracemalloc;
    const before = h.list([1]);
    tm.start(2);
    h.frames.push("main.py", 3);
    h.frames.push("util.py", 40);
    const a = h.list([1, 2]);
    h.frames.setLine(41);
    const b = h.float(2.5);
    h.frames.pop();
    const c = h.tuple([a, b]);
    expect(tm.getObjectTraceback(a)!.format()).toEqual(['  File "main.py", line 3', '  File "util.py", line 40']);
    expect(String(tm.getObjectTraceback(b))).toBe("main.py:3"); // (str of a traceback: its oldest frame)
    expect([...tm.getObjectTraceback(b)!].map(String)).toEqual(["main.py:3", "util.py:41"]);
    expect([...tm.getObjectTraceback(c)!].map(String)).toEqual(["main.py:3"]);
    expect(tm.getObjectTraceback(before)).toBeNull();
    const none = h.from(null) as never;
    expect(tm.getObjectTraceback(none)).toBeNull();
    expect(() => tm.getObjectTraceback(5 as never)).toThrow(PyTypeError);
    tm.stop();
    expect(tm.getObjectTraceback(a)).toBeNull();
    for (const r of [before, a, b, c]) r.release();
    h.close();
  });

  it("an empty frame stack is ('<unknown>', 0), as CPython's empty traceback", async () => {
    const h = await newHeap();
    h.tracemalloc.start();
    const x = h.list([]);
    const tb = h.tracemalloc.getObjectTraceback(x)!;
    expect(String(tb)).toBe("<unknown>:0");
    expect(tb.totalNframe).toBe(1);
    x.release();
    h.close();
  });

  it("reuse from a free list is not an allocation: the block keeps its first trace", async () => {
    const h = await newHeap();
    h.sys.clearFreelists();
    h.tracemalloc.start();
    h.frames.push("a.py", 1);
    const f = h.float(0.25);
    const id = f.id;
    f.release(); // onto the float free list (its block stays allocated, and traced)
    h.frames.setLine(2);
    const g = h.float(0.75);
    if (testEngine === "release") {
      expect(g.id).toBe(id);
      expect(String(h.tracemalloc.getObjectTraceback(g))).toBe("a.py:1");
    } else {
      // (the debug engine keeps no free lists)
      expect(String(h.tracemalloc.getObjectTraceback(g))).toBe("a.py:2");
    }
    g.release();
    h.close();
  });

  it("takeSnapshot: every traced block with its traceback; statistics group them by line", async () => {
    const h = await newHeap();
    const tm = h.tracemalloc;
    expect(() => tm.takeSnapshot()).toThrow(new PyRuntimeError("the tracemalloc module must be tracing memory allocations to take a snapshot"));
    h.gc.collect();
    h.sys.clearFreelists();
    tm.start();
    h.frames.push("app.py", 10);
    const keep = Array.from({ length: 100 }, (_, i) => h.float(i + 0.5));
    h.frames.setLine(11);
    const p = h.mem.malloc(5000);
    const snap = tm.takeSnapshot();
    expect(snap.tracebackLimit).toBe(1);
    const stats = snap.statistics("lineno");
    expect(stats.map(String)).toEqual([
      "app.py:11: size=5000 B, count=1, average=5000 B",
      "app.py:10: size=1600 B, count=100, average=16 B",
    ]);
    const total = [...snap.traces].reduce((n, t) => n + t.size, 0);
    expect(total).toBe(tm.getTracedMemory()[0]);
    for (const k of keep) k.release();
    h.mem.free(p);
    h.close();
  });

  it("track/untrack: other domains (PyTraceMalloc_Track), filtered by DomainFilter", async () => {
    const h = await newHeap();
    const tm = h.tracemalloc;
    expect(tm.track(7, 0x1000, 64)).toBe(-2);
    expect(tm.untrack(7, 0x1000)).toBe(-2);
    tm.start();
    h.frames.push("gpu.py", 5);
    expect(tm.track(7, 0x1000, 64)).toBe(0);
    expect(tm.track(7, 0x2000, 36)).toBe(0);
    expect(tm.getTracedMemory()[0]).toBe(100);
    const snap = tm.takeSnapshot();
    expect(snap.filterTraces([new DomainFilter(true, 7)]).statistics("lineno").map(String)).toEqual(["gpu.py:5: size=100 B, count=2, average=50 B"]);
    expect(snap.filterTraces([new Filter(true, "gpu.py", null, false, 7)]).traces.length).toBe(2);
    expect(tm.untrack(7, 0x1000)).toBe(0);
    expect(tm.untrack(8, 0x2000)).toBe(0); // (another domain's: not this one's trace)
    expect(tm.getTracedMemory()[0]).toBe(36);
    expect(() => tm.track(-1, 0, 1)).toThrow(PyValueError);
    expect(() => tm.track(1, 0.5, 1)).toThrow(PyTypeError);
    h.close();
  });

  it("tracemalloc's own memory is counted and bounded per trace, and is never an allocated block", async () => {
    const h = await newHeap();
    const tm = h.tracemalloc;
    h.sys.clearFreelists();
    const blocks0 = h.sys.getallocatedblocks();
    tm.start();
    h.frames.push("m.py", 1);
    const before = tm.getTracemallocMemory();
    const list = h.raw.exports;
    const ids: number[] = [];
    for (let i = 0; i < 100_000; i++) ids.push(list.float_new(i + 0.5));
    const per = (tm.getTracemallocMemory() - before) / 100_000;
    expect(per).toBeGreaterThanOrEqual(16);
    expect(per).toBeLessThanOrEqual(72); // a 16-byte slot at 25%-50% load, plus nothing per trace
    expect(h.sys.getallocatedblocks() - blocks0).toBe(100_000);
    for (const id of ids) list.obj_decref(id);
    tm.stop();
    h.close();
  });

  it("a traced allocation that cannot get its trace fails as a whole (PyMemoryError, nothing changed)", async () => {
    const h = await newHeap({ maxMemory: 4 << 20 });
    h.tracemalloc.start();
    h.frames.push("oom.py", 1);
    const keep: number[] = [];
    let failed: unknown;
    try {
      for (;;) keep.push(h.mem.malloc(64));
    } catch (e) {
      failed = e;
    }
    expect(failed).toBeInstanceOf(PyMemoryError);
    const traced = h.tracemalloc.getTracedMemory()[0];
    expect(traced).toBe(keep.length * 64); // every block handed out is traced, none more
    expect(h.mem.check()).toBe(0);
    for (const p of keep) h.mem.free(p);
    expect(h.tracemalloc.getTracedMemory()[0]).toBe(0);
    h.close();
  });

  it("{ jsStack: true } takes the frames from the JS callers", async () => {
    const h = await newHeap();
    h.tracemalloc.start(2, { jsStack: true });
    const line = Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split("\n")[1])![1]) + 1;
    const x = h.list([1]); // (this line: `line`)
    const tb = h.tracemalloc.getObjectTraceback(x)!;
    const inner = tb.at(-1);
    expect(inner.filename).toMatch(/tracemalloc\.test\.ts$/);
    expect(inner.lineno).toBe(line);
    expect(() => h.tracemalloc.start(1, { jsStack: "yes" as never })).toThrow(PyTypeError);
    x.release();
    h.close();
  });
});

describe("jsStack outside the test runner", () => {
  it.skipIf(testEngine === "debug")("finds the caller's file and line in a plain ES module and in a bundle holding pyheap too", async () => {
    const { mkdtempSync, writeFileSync, copyFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { execFileSync } = await import("node:child_process");
    const { build } = await import("esbuild");
    const dir = mkdtempSync(join(tmpdir(), "pyheap-js-"));
    try {
      const src = (from: string) => [
        `import { Heap } from ${JSON.stringify(from)};`,
        "const h = await Heap.create();",
        "h.tracemalloc.start(2, { jsStack: true });",
        "function make() {",
        "  return h.list([1]);",
        "}",
        "const x = make();",
        "console.log(JSON.stringify([...h.tracemalloc.getObjectTraceback(x)].map((f) => [f.filename, f.lineno])));",
      ].join("\n");
      writeFileSync(join(dir, "plain.mjs"), src(new URL("../../build/node.js", import.meta.url).href));
      const plain = JSON.parse(execFileSync(process.execPath, [join(dir, "plain.mjs")], { encoding: "utf8" }));
      expect(plain).toEqual([[join(dir, "plain.mjs"), 7], [join(dir, "plain.mjs"), 5]]);
      writeFileSync(join(dir, "app.ts"), src(new URL("../../src/node.ts", import.meta.url).pathname));
      await build({ entryPoints: [join(dir, "app.ts")], bundle: true, platform: "node", format: "esm", outfile: join(dir, "bundle.mjs"), logLevel: "silent" });
      copyFileSync(new URL("../../build/pyheap.wasm", import.meta.url), join(dir, "pyheap.wasm"));
      const bundled = JSON.parse(execFileSync(process.execPath, [join(dir, "bundle.mjs")], { encoding: "utf8" })) as [string, number][];
      expect(bundled.map(([f]) => f)).toEqual([join(dir, "bundle.mjs"), join(dir, "bundle.mjs")]);
      expect(bundled[0][1]).toBeGreaterThan(bundled[1][1]); // the call of make(), then the line in make()
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
