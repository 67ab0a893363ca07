// Loads a .heapsnapshot with real Chromium's own DevTools heap-snapshot loader (the
// code behind the Memory panel), so that tests can check what DevTools makes of a
// snapshot: its class list, retained sizes, distances and edges.
//
// How: headless Chromium (playwright-core) opens the DevTools heap-snapshot worker
// module itself as a page (devtools://devtools/bundled/entrypoints/heap_snapshot_worker/
// heap_snapshot_worker.js: same devtools:// origin as devtools_app.html, but without
// booting the DevTools UI), imports it, and runs its HeapSnapshotLoader and
// JSHeapSnapshot in the page's main thread (the "second thread" of the dominator
// computation is a SecondaryInitManager on a MessageChannel, as in DevTools' own tests).
// The snapshot text is served once from a local http server and streamed into
// loader.write() by fetch() in the page, which is some 4x faster than passing tens of MB
// through page.evaluate arguments. (devtools_app.html's CSP blocks fetch to http://, the
// bare module page has none; the context bypasses CSP anyway.)
import { existsSync } from "node:fs";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";

/** The Chromium to use: $PYHEAP_CHROMIUM, /usr/bin/chromium or /usr/bin/chromium-browser, the first that exists. */
export const chromiumPath: string | undefined = [
  process.env.PYHEAP_CHROMIUM,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
].find((p): p is string => !!p && existsSync(p));

const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];
const WORKER = "devtools://devtools/bundled/entrypoints/heap_snapshot_worker/heap_snapshot_worker.js";

export interface DevToolsEdge {
  /** "context", "element", "property", "internal", "hidden", "shortcut", "weak" */
  type: string;
  /** the property name, or for element and hidden edges the index as a string ("0") */
  name: string;
  toId: number;
  toName: string;
}

export interface DevToolsNode {
  id: number;
  /** DevTools' display name (node.name(): for "Object" objects DevTools makes up "{a, b}"; "concatenated string"s are joined up) */
  name: string;
  /** the node type: "object", "synthetic", "string", ... */
  type: string;
  selfSize: number;
  retainedSize: number;
  /** BFS distance from the root; -5 (DevTools' private noDistance) when unreachable, >= 100000000 when only reachable through synthetic roots while the root also has user roots */
  distance: number;
  edges: DevToolsEdge[];
}

export interface LoadedSnapshot {
  nodeCount: number;
  edgeCount: number;
  /** JSHeapSnapshot.getStatistics() as returned: { total, native: { total, typedArrays }, v8heap: { total, code, jsArrays, strings, system } } */
  statistics: unknown;
  /** aggregatesWithFilter({}) by class name (DevTools keys them ",name"; classes split by allocation location are summed). Nodes with self size 0 are not counted. */
  classes: Record<string, { count: number; self: number; maxRet: number }>;
  /** the nodes whose DevTools name is query.name and/or whose id is query.id, at most query.limit of them */
  nodes(query: { name?: string; id?: number; limit?: number }): Promise<DevToolsNode[]>;
  /** nodes that the DevTools distance BFS (from the root, not following weak edges) did not reach: distance < 0 */
  unreachableCount: number;
  /** console warnings from the load, e.g. "Heap snapshot: 2 nodes are unreachable from the root. ..." */
  warnings: string[];
  close(): Promise<void>;
}

// Runs in the page. A string, so that the test runner's transform leaves import() alone.
const LOAD = (url: string) => `(async () => {
  const W = await import(${JSON.stringify(WORKER)});
  const loader = new W.HeapSnapshotLoader.HeapSnapshotLoader(undefined);
  const res = await fetch(${JSON.stringify(url)});
  if (!res.ok) throw new Error("snapshot fetch: HTTP " + res.status);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loader.write(value);
  }
  loader.close();
  const ch = new MessageChannel();
  new W.HeapSnapshot.SecondaryInitManager(ch.port2);
  const snap = await loader.buildSnapshot(ch.port1);

  const describe = (node) => {
    const edges = [];
    for (const it = node.edges(); it.hasNext(); it.next()) {
      const edge = it.item(), to = edge.node();
      edges.push({ type: edge.type(), name: edge.name(), toId: to.id(), toName: to.name() });
    }
    return { id: node.id(), name: node.name(), type: node.type(), selfSize: node.selfSize(),
      retainedSize: node.retainedSize(), distance: node.distance(), edges };
  };
  globalThis.__pyheapQuery = ({ name, id, limit }) => {
    const out = [];
    if (id !== undefined) {
      const index = snap.nodeIndexForId(id);
      if (index === undefined) return out;
      const node = snap.createNode(index);
      if (name === undefined || node.name() === name) out.push(describe(node));
      return out;
    }
    // allNodes() starts at the root node; the root is node 0 unless snapshot.root_index says otherwise
    const node = snap.createNode(0);
    for (let i = 0; i < snap.nodeCount && !(limit !== undefined && out.length >= limit); i++) {
      node.nodeIndex = i * snap.nodeFieldCount;
      if (name === undefined || node.name() === name) out.push(describe(node));
    }
    return out;
  };

  const classes = {};
  for (const a of Object.values(snap.aggregatesWithFilter({}))) {
    const c = (classes[a.name] ??= { count: 0, self: 0, maxRet: 0 });
    c.count += a.count; c.self += a.self; c.maxRet += a.maxRet;
  }
  let unreachableCount = 0;
  for (let i = 0; i < snap.nodeCount; i++) if (snap.nodeDistances[i] < 0) unreachableCount++;
  return {
    nodeCount: snap.nodeCount,
    edgeCount: snap.containmentEdges.length / snap.edgeFieldsCount,
    statistics: snap.getStatistics(),
    classes,
    unreachableCount,
  };
})()`;

function serve(text: string | AsyncIterable<string>): Promise<{ server: Server; url: string; failure: () => unknown }> {
  let served = false;
  let failure: unknown;
  const server = createServer((req, res) => {
    if (served || req.url !== "/snapshot.heapsnapshot") {
      res.writeHead(404).end();
      return;
    }
    served = true;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "access-control-allow-origin": "*" });
    if (typeof text === "string") {
      res.end(text);
      return;
    }
    void (async () => {
      try {
        for await (const chunk of text) if (!res.write(chunk)) await once(res, "drain");
        res.end();
      } catch (e) {
        failure = e;
        res.destroy(e instanceof Error ? e : new Error(String(e)));
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/snapshot.heapsnapshot`, failure: () => failure });
    });
  });
}

/**
 * Loads the snapshot text (a string, or chunks of it) into DevTools' JSHeapSnapshot in a
 * fresh headless Chromium, and returns DevTools' figures for it. The browser stays open,
 * for nodes() queries, until close().
 */
export async function loadInDevTools(text: string | AsyncIterable<string>): Promise<LoadedSnapshot> {
  if (!chromiumPath) throw new Error("Chromium not found: apt-get install chromium (or set PYHEAP_CHROMIUM)");
  const { server, url, failure } = await serve(text);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: FLAGS });
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const warnings: string[] = [];
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "warning" || m.type() === "error") warnings.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(WORKER);
    type Summary = Omit<LoadedSnapshot, "nodes" | "close" | "warnings">;
    let summary: Summary;
    try {
      summary = (await page.evaluate(LOAD(url))) as Summary;
    } catch (e) {
      const cause = failure();
      throw cause ?? new Error(`DevTools could not load the snapshot: ${e instanceof Error ? e.message : e}${errors.length ? `\n${errors.join("\n")}` : ""}`);
    }
    const b = browser;
    return {
      ...summary,
      warnings,
      // one JSON string back: much faster over CDP than a structured result of 100k objects
      nodes: async (query) =>
        JSON.parse((await page.evaluate(`JSON.stringify(globalThis.__pyheapQuery(${JSON.stringify(query)}))`)) as string) as DevToolsNode[],
      close: async () => {
        await b.close();
      },
    };
  } catch (e) {
    await browser?.close();
    throw e;
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
