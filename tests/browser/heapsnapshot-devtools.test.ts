// pyheap's heap snapshots loaded by real Chromium's own DevTools heap-snapshot loader (the
// one the Memory panel runs; tests/helpers/devtools.ts): class counts and self sizes as
// pyheap's census and sys.getsizeof say, the retained size of a known subtree, every node
// reachable from the root, the Comparison view's ids.
// Skipped only outside CI when no Chromium is installed (.ci/run installs it).
import { describe, expect, it } from "vitest";
import { chromiumPath, loadInDevTools } from "../helpers/devtools.js";
import { newHeap } from "../helpers.js";

async function* text(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const dec = new TextDecoder();
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) yield dec.decode(chunk, { stream: true });
  yield dec.decode();
}

describe.skipIf(!chromiumPath && !process.env.CI)("heap snapshots in Chromium's DevTools", () => {
  it("shows pyheap's classes, self sizes and retained sizes", async () => {
    const h = await newHeap();
    h.sys.clearFreelists();
    const Node = h.defineClass("Node", { slots: ["next", "value"] });
    // the known subtree: cache['items'] -> list of 1,000 Nodes, each with a float of its own
    const items = h.list([]);
    let expectRetained = 0, nodeSize = 0, floatSize = 0;
    for (let i = 0; i < 1000; i++) {
      const v = h.float(i + 0.25);
      const n = Node.new({ value: v });
      nodeSize = h.sys.getsizeof(n);
      floatSize = h.sys.getsizeof(v);
      expectRetained += nodeSize + floatSize;
      items.append(n);
      n.release();
      v.release();
    }
    expectRetained += h.sys.getsizeof(items);
    const cache = h.dict([["items", items]]);
    items.release();
    // and enough else to span several chunks of the file
    const floats = h.list(Array.from({ length: 40_000 }, (_, i) => i + 0.5));
    const stats = new Map(h.leaks.typeStats().map((r) => [r.type, r]));
    const snap = await loadInDevTools(text(h.getHeapSnapshot()));
    try {
      expect(snap.unreachableCount).toBe(0);
      expect(snap.warnings.filter((w) => /unreachable/.test(w))).toEqual([]);
      expect(snap.classes.Node.count).toBe(1000);
      expect(snap.classes.Node.self).toBe(1000 * nodeSize);
      expect(snap.classes.float.count).toBe(stats.get("float")!.count);
      expect(snap.classes.float.self).toBe(stats.get("float")!.count * floatSize);
      expect(snap.classes.list.count).toBe(stats.get("list")!.count);
      const lists = await snap.nodes({ name: "list" });
      const list = lists.find((n) => n.edges.length === 1000)!;
      expect(list.selfSize).toBe(expectRetained - 1000 * (nodeSize + floatSize));
      expect(list.retainedSize).toBe(expectRetained);
      expect(list.edges.slice(0, 2).map((e) => [e.type, e.name, e.toName])).toEqual([["element", "0", "Node"], ["element", "1", "Node"]]);
      const [dict] = (await snap.nodes({ name: "dict" })).filter((n) => n.edges.some((e) => e.name === "items"));
      expect(dict.edges.map((e) => [e.type, e.name, e.toName])).toEqual([["property", "items", "list"], ["internal", "<key>", "str"]]);
      expect(dict.retainedSize).toBeGreaterThanOrEqual(expectRetained + h.sys.getsizeof(cache));
      const [node] = await snap.nodes({ name: "Node", limit: 1 });
      expect(node.edges.map((e) => [e.type, e.name, e.toName])).toEqual([["property", "value", "float"]]);
    } finally {
      await snap.close();
      cache.release();
      floats.release();
      h.close();
    }
  }, 120_000);
});
