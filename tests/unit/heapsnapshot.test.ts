// Heap snapshots (assembly/gc/snapshot.ts + src/heapsnapshot.ts): every live object a node,
// named edges, lasting ids, the synthetic groups; and leaks.mark()/since(). The Chromium
// DevTools load of the same files is tests/browser/heapsnapshot-devtools.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PyRuntimeError, PyTypeError, PyValueError, type HeapSnapshotData } from "../../src/node.js";
import { newHeap } from "../helpers.js";

interface GNode { i: number; type: string; name: string; id: number; self: number; edges: { type: string; name: string | number; to: number }[] }

/** The snapshot as a graph of plain objects (what a reader of the file sees). */
function graph(s: HeapSnapshotData): GNode[] {
  const json = JSON.parse([...s.chunks()].join(""));
  const nt: string[] = json.snapshot.meta.node_types[0];
  const et: string[] = json.snapshot.meta.edge_types[0];
  const out: GNode[] = [];
  let e = 0;
  for (let i = 0; i < json.snapshot.node_count; i++) {
    const [t, name, id, self, ec] = json.nodes.slice(i * 7, i * 7 + 5);
    const edges = [];
    for (let k = 0; k < ec; k++, e++) {
      const [ty, nm, to] = json.edges.slice(e * 3, e * 3 + 3);
      const type = et[ty];
      edges.push({ type, name: type === "element" || type === "hidden" ? nm : json.strings[nm], to: to / 7 });
    }
    out.push({ i, type: nt[t], name: json.strings[name], id, self, edges });
  }
  expect(e).toBe(json.snapshot.edge_count);
  return out;
}

describe("heap snapshots", () => {
  it("has every live object as a node, named by type, with getsizeof as self size", async () => {
    const h = await newHeap();
    h.sys.clearFreelists();
    const Node = h.defineClass("Node", { slots: ["next", "value"] });
    const Plain = h.defineClass("Plain");
    const f = h.float(3.25);                       // untracked, held by a handle only
    const l = h.list([1.5, 2.5, "hello"]);
    const d = h.dict([["cache", l], [7, "seven"]]);
    const n = Node.new({ value: h.float(9.5) });
    const p = Plain.new({ x: "attr value" });
    const s = h.takeHeapSnapshot();
    const g = graph(s);
    expect(g[0]).toMatchObject({ type: "synthetic", name: "" });
    expect(g.slice(1, 4).map((x) => x.name)).toEqual(["(handles)", "(immortal)", "(garbage awaiting collection)"]);
    const counts = new Map<string, number>();
    for (const x of g.slice(4)) counts.set(x.name, (counts.get(x.name) ?? 0) + 1);
    const immortal = new Set(g[2].edges.map((e) => e.to));
    const mortal = new Map<string, number>();
    for (const x of g.slice(4)) if (!immortal.has(x.i)) mortal.set(x.name, (mortal.get(x.name) ?? 0) + 1);
    for (const r of h.leaks.typeStats()) expect(mortal.get(r.type) ?? 0, r.type).toBeLessThanOrEqual(r.count);
    expect(mortal.get("float")).toBe(h.leaks.typeStats().find((r) => r.type === "float")!.count);
    expect(mortal.get("list")).toBe(1);
    expect(counts.get("Node")).toBe(1);
    expect(counts.get("Plain")).toBe(1);
    // the list: three elements, its self size sys.getsizeof
    const list = g.find((x) => x.name === "list")!;
    expect(list.self).toBe(h.sys.getsizeof(l));
    expect(list.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([["element", 0, "float"], ["element", 1, "float"], ["element", 2, "str"]]);
    // the dict: a str key is a property, another key names its value [repr]; the keys are internal <key> edges
    const dict = g.find((x) => x.name === "dict" && x.edges.some((e) => e.name === "cache"))!;
    expect(dict.self).toBe(h.sys.getsizeof(d));
    expect(dict.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([
      ["property", "cache", "list"], ["internal", "<key>", "str"], ["internal", "[7]", "str"], ["internal", "<key>", "int"],
    ]);
    const node = g.find((x) => x.name === "Node")!;
    expect(node.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([["property", "value", "float"]]);
    expect(node.self).toBe(h.sys.getsizeof(n));
    const plain = g.find((x) => x.name === "Plain")!;
    expect(plain.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([["property", "x", "str"]]);
    // the float held by nothing but its handle hangs from (handles)
    const handles = new Set(g[1].edges.map((e) => e.to));
    const floats = g.filter((x) => x.name === "float" && handles.has(x.i));
    expect(floats.length).toBeGreaterThanOrEqual(1);
    expect(floats.every((x) => x.self === h.sys.getsizeof(f))).toBe(true);
    for (const r of [f, l, d, n, p]) r.release();
    h.close();
  });

  it("names __dict__, set members and a weakref's referent (a weak edge)", async () => {
    const h = await newHeap();
    const C = h.defineClass("C", { slots: ["__weakref__", "a"] });
    const target = C.new();
    const wr = h.weakref.ref(target);
    const st = h.set(["m1", "m2"]);
    const mv = h.memoryview(h.bytes(new Uint8Array([1, 2, 3])));
    const Wide = h.defineClass("Wide");
    const wide = Wide.new(Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`a${i}`, i])));  // past the 30 shared keys: a dict of its own
    const g = graph(h.takeHeapSnapshot());
    const wn = g.find((x) => x.name === "Wide")!;
    expect(wn.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([["internal", "__dict__", "dict"]]);
    expect(g[wn.edges[0].to].edges.filter((e) => e.type === "property").map((e) => e.name)).toEqual(Array.from({ length: 31 }, (_, i) => `a${i}`));
    const w = g.find((x) => x.name === "weakref.ReferenceType")!;
    expect(w.edges).toEqual([{ type: "weak", name: "__referent__", to: g.find((x) => x.name === "C")!.i }]);
    const set = g.find((x) => x.name === "set")!;
    expect(set.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([["internal", "<key>", "str"], ["internal", "<key>", "str"]]);
    const m = g.find((x) => x.name === "memoryview")!;
    expect(m.edges.map((e) => [e.type, e.name, g[e.to].name])).toEqual([["internal", "obj", "bytes"]]);
    // a weak edge does not hold: the C instance is a root (its handle), not reached through the weakref only
    expect(g[1].edges.some((e) => g[e.to].name === "C")).toBe(true);
    for (const r of [target, wr, st, mv, wide]) r.release();
    h.close();
  });

  it("hangs a cycle awaiting collection from (garbage awaiting collection), and every node from the root", async () => {
    const h = await newHeap();
    h.gc.disable();
    const a = h.list([]), b = h.list([a]);
    a.append(b);
    a.release();
    b.release();
    const g = graph(h.takeHeapSnapshot());
    const garbage = g[3].edges.map((e) => g[e.to].name);
    expect(garbage).toEqual(["list", "list"]);
    // every node is reachable from the root (breadth-first over strong edges)
    const seen = new Set([0]);
    const q = [0];
    while (q.length) for (const e of g[q.shift()!].edges) if (e.type !== "weak" && !seen.has(e.to)) { seen.add(e.to); q.push(e.to); }
    expect(seen.size).toBe(g.length);
    expect(h.gc.collect()).toBe(2);
    const after = graph(h.takeHeapSnapshot());
    expect(after[3].edges).toEqual([]);
    h.close();
  });

  it("keeps an object's id across snapshots, gives new objects higher ids, and a reused address a new one", async () => {
    const h = await newHeap();
    h.sys.clearFreelists();
    const Marker = h.defineClass("Marker", { slots: ["tag"] });
    const m1 = Marker.new({ tag: 1 });
    const g1 = graph(h.takeHeapSnapshot());
    const id1 = g1.find((x) => x.name === "Marker")!.id;
    const max1 = Math.max(...g1.map((x) => x.id));
    const g2 = graph(h.takeHeapSnapshot());
    expect(g2.find((x) => x.name === "Marker")!.id).toBe(id1);
    expect(g2.map((x) => x.id).sort((a, b) => a - b)).toEqual(g1.map((x) => x.id).sort((a, b) => a - b));
    const addr = m1.id;
    m1.release();
    const m2 = Marker.new({ tag: 2 });
    expect(m2.id).toBe(addr); // pymalloc hands the same block back
    const g3 = graph(h.takeHeapSnapshot());
    const id3 = g3.find((x) => x.name === "Marker")!.id;
    expect(id3).not.toBe(id1);
    expect(id3).toBeGreaterThan(max1);
    expect(new Set(g3.map((x) => x.id)).size).toBe(g3.length);
    m2.release();
    h.close();
  });

  it("writes the file in chunks, and the stream gives the same bytes; the heap is unchanged", async () => {
    const h = await newHeap();
    const keep = h.list(Array.from({ length: 1000 }, (_, i) => i + 0.5));
    const dir = mkdtempSync(join(tmpdir(), "pyheap-snap-"));
    try {
      const before = h.sys.getrefcount(keep);
      const stats = JSON.stringify(h.leaks.typeStats());
      const file = h.writeHeapSnapshot(join(dir, "a.heapsnapshot"));
      expect(file).toBe(join(dir, "a.heapsnapshot"));
      expect(h.sys.getrefcount(keep)).toBe(before);
      expect(JSON.stringify(h.leaks.typeStats())).toBe(stats);
      const text = readFileSync(file, "utf8");
      const json = JSON.parse(text);
      expect(Object.keys(json)).toEqual(["snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples", "locations", "strings"]);
      const chunks: Uint8Array[] = [];
      const reader = h.getHeapSnapshot().getReader();
      keep.append(1); // the stream was taken already: this does not show in it
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
      const streamed = Buffer.concat(chunks).toString("utf8");
      const a = JSON.parse(streamed);
      expect(a.snapshot.node_count).toBe(json.snapshot.node_count);
      expect(a.nodes.filter((_: number, i: number) => i % 7 === 2)).toEqual(json.nodes.filter((_: number, i: number) => i % 7 === 2));
      // default name, as v8.writeHeapSnapshot's, in the current directory
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const name = h.writeHeapSnapshot();
        expect(name).toMatch(/^Heap\.\d{8}\.\d{6}\.\d+\.0\.\d{3}\.heapsnapshot$/);
        expect(JSON.parse(readFileSync(join(dir, name), "utf8")).snapshot.node_count).toBeGreaterThan(1000);
      } finally {
        process.chdir(cwd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      keep.release();
      h.close();
    }
  });

  it("changes nothing when the file cannot be written or the name is bad (no ids given, no file left)", async () => {
    const h = await newHeap();
    const Node = h.defineClass("Node", { slots: ["v"] });
    const keep = h.scope(() => h.list(Array.from({ length: 5000 }, (_, i) => Node.new({ v: i + 0.5 }))));
    const dir = mkdtempSync(join(tmpdir(), "pyheap-snap-"));
    try {
      const before = JSON.stringify(h.mem.stats());
      expect(() => h.writeHeapSnapshot(join(dir, "no-such-dir", "x.heapsnapshot"))).toThrow(PyRuntimeError);
      expect(() => h.writeHeapSnapshot("" as string)).toThrow(PyTypeError);
      expect(() => h.writeHeapSnapshot(123 as unknown as string)).toThrow(PyTypeError);
      expect(() => h.writeHeapSnapshot(dir)).toThrow(PyRuntimeError);   // a directory
      expect(JSON.stringify(h.mem.stats())).toBe(before);
      // inside a collection: refused after the file was opened; the file goes again
      let err: unknown;
      h.gc.callbacks.push(() => { try { h.writeHeapSnapshot(join(dir, "in-gc.heapsnapshot")); } catch (e) { err = e; } });
      h.gc.collect();
      expect(err).toBeInstanceOf(PyRuntimeError);
      expect(existsSync(join(dir, "in-gc.heapsnapshot"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      keep.release();
      h.close();
    }
  });

  it("walks a 1,000,000-long chain and a 100,000-deep nesting without recursion", async () => {
    const h = await newHeap();
    const Link = h.defineClass("Link", { slots: ["next"] });
    let head = Link.new();
    for (let i = 0; i < 1_000_000; i++) {
      const n = Link.new({ next: head });
      head.release();
      head = n;
    }
    let nest = h.list([]);
    for (let i = 0; i < 100_000; i++) {
      const o = h.list([nest]);
      nest.release();
      nest = o;
    }
    const s = h.takeHeapSnapshot();
    expect(s.nodeCount).toBeGreaterThan(1_100_000);
    let links = 0;
    for (let i = 0; i < s.nodeCount; i++) if (s.strings[s.nodes[i * 7 + 1]] === "Link") links++;
    expect(links).toBe(1_000_001);
    head.release();
    nest.release();
    h.close();
  }, 120_000);

  it("refuses inside a collection (an object may be half built), and changes nothing", async () => {
    const h = await newHeap();
    const seen: unknown[] = [];
    h.gc.callbacks.push((phase) => {
      if (phase !== "start") return;
      for (const f of [() => h.takeHeapSnapshot(), () => h.leaks.mark()]) {
        try { f(); seen.push("ran"); } catch (e) { seen.push(e); }
      }
    });
    h.gc.collect();
    expect(seen.length).toBe(2);
    for (const e of seen) expect(e).toBeInstanceOf(PyRuntimeError);
    expect(String((seen[0] as Error).message)).toMatch(/while a collection runs/);
    expect(h.takeHeapSnapshot().nodeCount).toBeGreaterThan(3);
    h.close();
  });
});

describe("heap.leaks.mark() and since()", () => {
  it("lists the objects allocated after the mark that are still alive, by type and allocating line", async () => {
    const h = await newHeap();
    const before = h.list([1.25]);
    h.tracemalloc.start(1);
    const m = h.leaks.mark();
    expect(h.leaks.since(m).count).toBe(0);
    h.frames.push("app.py", 10);
    const floats = Array.from({ length: 100 }, (_, i) => h.float(i + 0.5));
    h.frames.setLine(11);
    const l = h.list(floats);
    h.frames.setLine(12);
    h.list([1, 2]).release(); // allocated and freed: not listed
    h.frames.pop();
    const r = h.leaks.since(m);
    expect(r.byType).toEqual([{ type: "float", count: 100, bytes: 1600 }, { type: "list", count: 1, bytes: h.leaks.typeStats().find((x) => x.type === "list")!.bytes / 2 }]);
    expect(r.count).toBe(101);
    expect(r.byTraceback.map((x) => [x.type, String(x.traceback), x.count])).toEqual([["float", "app.py:10", 100], ["list", "app.py:11", 1]]);
    expect(r.format()).toEqual(["float at app.py:10: size=1600 B, count=100, average=16 B", "list at app.py:11: size=32 B, count=1, average=32 B"]);
    for (const f of floats) f.release();
    expect(h.leaks.since(m).byType).toEqual([{ type: "float", count: 100, bytes: 1600 }, expect.objectContaining({ type: "list" })]);
    l.release();
    expect(h.leaks.since(m).count).toBe(0);
    // a second mark: later objects only
    const m2 = h.leaks.mark();
    const t = h.tuple([before, before]);
    expect(h.leaks.since(m2).byType.map((x) => x.type)).toEqual(["tuple"]);
    expect(h.leaks.since(m).byType.map((x) => x.type)).toEqual(["tuple"]);
    t.release();
    before.release();
    h.close();
  });

  it("counts a cycle awaiting collection (no collection is forced), and objects allocated untraced", async () => {
    const h = await newHeap();
    h.gc.disable();
    const m = h.leaks.mark();
    const a = h.list([]);
    a.append(a);
    a.release();
    const r = h.leaks.since(m);
    expect(r.byTraceback).toEqual([{ type: "list", traceback: null, count: 1, bytes: 32 }]);
    expect(r.format()).toEqual(["list at (not traced): size=32 B, count=1, average=32 B"]);
    h.gc.collect();
    expect(h.leaks.since(m).count).toBe(0);
    h.close();
  });

  it("refuses a mark of another heap or a non-mark", async () => {
    const h = await newHeap(), other = await newHeap();
    const m = other.leaks.mark();
    expect(() => h.leaks.since(m)).toThrow(PyValueError);
    expect(() => h.leaks.since({} as never)).toThrow(PyTypeError);
    expect(() => h.leaks.since(h.leaks.mark()).format(-1)).toThrow(PyTypeError);
    h.close();
    other.close();
  });
});
