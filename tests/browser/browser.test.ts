// The built package in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): load build/browser.js, create heaps, allocate, write, free.
// Skipped only outside CI when no Chromium is installed (.ci/run installs it).
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const executable = [process.env.PYHEAP_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p) => p && existsSync(p),
);
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];
const TYPES: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".map": "application/json" };

describe.skipIf(!executable && !process.env.CI)("in a browser", () => {
  let server: Server, browser: Browser, base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!executable) throw new Error("Chromium not found: apt-get install chromium (or set PYHEAP_CHROMIUM)");
    server = createServer((req, res) => {
      const path = new URL(req.url!, "http://x").pathname;
      requests.push(path);
      const file = path === "/" ? null : `${root}build${path}`; // build/ is the package root in the browser
      if (!file) {
        res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>pyheap</title>");
        return;
      }
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream" });
      res.end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: executable, args: FLAGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it("creates heaps, allocates, writes, frees, and reports stats and errors", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    // A string, so that the test runner's transform leaves the browser's import() alone.
    const result = await page.evaluate(`(async () => {
      const { Heap, PyMemoryError, PyValueError } = await import("/browser.js");
      const heap = await Heap.create();
      const ptrs = [];
      for (let i = 0; i < 10000; i++) {
        const p = heap.mem.malloc(1 + (i % 700));
        heap.mem.view(p).fill(i & 0xff);
        ptrs.push(p);
      }
      const intact = ptrs.every((p, i) => heap.mem.view(p).every((b) => b === (i & 0xff)));
      const blocks = heap.sys.getallocatedblocks();
      const report = heap.sys.debugmallocstats().split("\\n")[0];
      for (const p of ptrs) heap.mem.free(p);
      let doubleFree = "";
      try { heap.mem.free(ptrs[0]); } catch (e) { doubleFree = e instanceof PyValueError ? "PyValueError" : String(e); }
      const small = await Heap.create({ maxMemory: 2 << 20 });
      let oom = "";
      try { for (;;) small.mem.malloc(100000); } catch (e) { oom = e instanceof PyMemoryError ? "PyMemoryError" : String(e); }
      const after = { blocks: heap.sys.getallocatedblocks(), check: heap.mem.check(), smallCheck: small.mem.check() };
      heap.close();
      small.close();
      return { intact, blocks, report, doubleFree, oom, after };
    })()`);
    expect(errors).toEqual([]);
    expect(result).toEqual({
      intact: true,
      blocks: 10_000,
      report: "Small block threshold = 512, in 64 size classes.",
      doubleFree: "PyValueError",
      oom: "PyMemoryError",
      after: { blocks: 0, check: 0, smallCheck: 0 },
    });
    // two heaps, one fetch: the module streamed once is reused
    expect(requests.filter((r) => r === "/pyheap.wasm")).toHaveLength(1);
    await page.close();
  });

  it("runs objects with reference counting, and loads the debug engine", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    const result = await page.evaluate(`(async () => {
      const { Heap, PyReferenceError, PyTypeError } = await import("/browser.js");
      const heap = await Heap.create();
      const freed = [];
      const Node = heap.defineClass("Node", { slots: ["value", "next"], del: (self) => freed.push(self.getattr("value").toJS()) });
      const xs = heap.from([1, 2.5, "é", null, [true], new Map([[1, "one"]])]);
      const repr = xs.repr();
      const head = heap.scope(() => {
        const a = Node.new({ value: 1 });
        a.setattr("next", Node.new({ value: 2 }));
        return a;
      });
      const rc = heap.sys.getrefcount(head);
      const size = heap.sys.getsizeof(head);
      head.release();
      let unhashable = "";
      try { heap.set([heap.list()]); } catch (e) { unhashable = e instanceof PyTypeError ? e.message : String(e); }
      const dbg = await Heap.create({ debug: true });
      const l = dbg.raw.list();
      dbg.raw.decref(l);
      let misuse = "";
      try { dbg.raw.append(l, dbg.raw.None); } catch (e) { misuse = e instanceof PyReferenceError ? "PyReferenceError" : String(e); }
      return { repr, rc, size, freed, unhashable, misuse };
    })()`);
    expect(errors).toEqual([]);
    expect(result).toEqual({
      repr: "[1, 2.5, 'é', None, [True], {1: 'one'}]",
      rc: 1,
      size: 24,
      freed: [1, 2],
      unhashable: "unhashable type: 'list'",
      misuse: "PyReferenceError",
    });
    expect(requests.filter((r) => r === "/pyheap-debug.wasm")).toHaveLength(1);
    await page.close();
  });
});
