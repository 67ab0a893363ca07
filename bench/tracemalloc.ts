/**
 * `npm run bench -- tracemalloc`: what tracing costs. The loop, per step, makes a 2-slot
 * instance and a tuple holding it twice, dropping the previous pair (CPython:
 * `x = S(); t = (x, x)`), through heap.raw on a fresh heap per sample, at a frame depth of
 * 30 (heap.frames; CPython: 30 Python frames):
 *
 *   untraced      tracing off (the allocation paths' one branch)
 *   traced 1      tracemalloc.start(1), frames from heap.frames
 *   traced 25     tracemalloc.start(25)
 *   jsStack 1     tracemalloc.start(1, { jsStack: true }): a JS stack capture per traced allocation
 *
 * CPython 3.11 runs the same loop untraced, under start(1) and start(25), in the same run
 * (bench/peers/tracing.py). Also: bytes of tracemalloc's own memory per traced live
 * object (1M floats kept alive), pyheap's getTracemallocMemory() against CPython's
 * get_tracemalloc_memory(). The tuple comes from its free list after the first step, on both
 * sides, so each step traces one allocation (the instance) and one free.
 *
 * Heap snapshots: heap.writeHeapSnapshot() of a heap of 1M objects (500,000 slotted
 * instances each holding a float of its own, in one list), against V8's own
 * v8.writeHeapSnapshot() of a JS heap holding 500,000 objects each with a boxed number
 * object, in the same run: ms, file size, and the time to take the snapshot alone
 * (the engine's walk and the naming, before any text).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { fileURLToPath } from "node:url";
import { Heap } from "../src/node.js";

export interface Options {
  runs: number;
  steps: number;
  python: string;
  cpython: boolean;
}

type Mode = "untraced" | "traced1" | "traced25" | "js1";
const MODES: Mode[] = ["untraced", "traced1", "traced25", "js1"];
const LABEL: Record<Mode, string> = {
  untraced: "untraced",
  traced1: "tracemalloc.start(1)",
  traced25: "tracemalloc.start(25)",
  js1: "start(1, { jsStack: true })",
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function sample(mode: Mode, steps: number): Promise<number> {
  const h = await Heap.create();
  const S = h.defineClass("S", { slots: ["a", "b"] });
  const raw = h.raw;
  for (let i = 0; i < 30; i++) h.frames.push(`frame${i}.py`, 10 + i);
  if (mode === "traced1") h.tracemalloc.start(1);
  else if (mode === "traced25") h.tracemalloc.start(25);
  else if (mode === "js1") h.tracemalloc.start(1, { jsStack: true });
  const n = mode === "js1" ? Math.max(1000, Math.floor(steps / 20)) : steps;
  const cls = S.id;
  let x = raw.new(cls), t = raw.tuple([x, x]);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const x2 = raw.new(cls);
    const t2 = raw.tuple([x2, x2]);
    raw.decref(t);
    raw.decref(x);
    x = x2;
    t = t2;
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  raw.decref(t);
  raw.decref(x);
  h.close();
  return ns;
}

async function bytesPerTrace(steps: number): Promise<number> {
  const h = await Heap.create();
  h.tracemalloc.start(1);
  h.frames.push("keep.py", 1);
  const before = h.tracemalloc.getTracemallocMemory();
  const x = h.raw.exports;
  const ids: number[] = [];
  for (let i = 0; i < steps; i++) ids.push(x.float_new(i + 0.5));
  const per = (h.tracemalloc.getTracemallocMemory() - before) / steps;
  for (const id of ids) x.obj_decref(id);
  h.close();
  return per;
}

interface CPython {
  version: string;
  untraced: number;
  traced1: number;
  traced25: number;
  bytesPerTrace: number;
}

function cpython(o: Options): CPython | string {
  const script = fileURLToPath(new URL("../bench/peers/tracing.py", import.meta.url));
  const r = spawnSync(o.python, [script, "--runs", String(o.runs), "--steps", String(o.steps)], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `CPython skipped (${o.python}: ${r.error?.message ?? r.stderr.trim().split("\n").at(-1)})`;
  return JSON.parse(r.stdout) as CPython;
}

interface SnapshotFigures { objects: number; takeMs: number; writeMs: number; bytes: number; v8Ms: number; v8Bytes: number; v8Nodes: number }

async function snapshotFigures(runs: number): Promise<SnapshotFigures> {
  const dir = mkdtempSync(join(tmpdir(), "pyheap-bench-snap-"));
  try {
    const h = await Heap.create();
    const Node = h.defineClass("Node", { slots: ["value"] });
    const items = h.list([]);
    for (let i = 0; i < 500_000; i++) {
      const n = Node.new({ value: i + 0.5 });
      items.append(n);
      n.release();
    }
    const takes: number[] = [], writes: number[] = [], v8s: number[] = [];
    let bytes = 0, objects = 0;
    const file = join(dir, "pyheap.heapsnapshot");
    for (let k = 0; k < runs; k++) {
      let t = performance.now();
      objects = h.takeHeapSnapshot().nodeCount;
      takes.push(performance.now() - t);
      t = performance.now();
      h.writeHeapSnapshot(file);
      writes.push(performance.now() - t);
      bytes = statSync(file).size;
    }
    items.release();
    h.close();
    // V8's own, in the same process: 500,000 objects each holding a Number object
    const js = Array.from({ length: 500_000 }, (_, i) => ({ value: new Number(i + 0.5) }));
    const v8file = join(dir, "v8.heapsnapshot");
    let v8Bytes = 0, v8Nodes = 0;
    for (let k = 0; k < runs; k++) {
      const t = performance.now();
      writeHeapSnapshot(v8file);
      v8s.push(performance.now() - t);
      v8Bytes = statSync(v8file).size;
    }
    const head = readFileSync(v8file, { encoding: "utf8", flag: "r" }).slice(0, 4096);
    v8Nodes = Number(/"node_count":(\d+)/.exec(head)?.[1] ?? 0);
    if (js.length !== 500_000) throw new Error("unreachable");
    return { objects, takeMs: median(takes), writeMs: median(writes), bytes, v8Ms: median(v8s), v8Bytes, v8Nodes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function tracemallocBench(o: Options) {
  const ours = {} as Record<Mode, number>;
  await sample("untraced", 10_000); // warm-up
  for (const mode of MODES) {
    const xs: number[] = [];
    for (let i = 0; i < o.runs; i++) xs.push(await sample(mode, o.steps));
    ours[mode] = median(xs);
    process.stderr.write(`  ${mode}: ${ours[mode].toFixed(1)} ns/step (${xs.map((v) => v.toFixed(1)).join(", ")})\n`);
  }
  const perTrace = await bytesPerTrace(o.steps);
  const snap = await snapshotFigures(Math.max(1, Math.min(o.runs, 3)));
  process.stderr.write(`  heap snapshot: ${snap.writeMs.toFixed(0)} ms (${snap.takeMs.toFixed(0)} ms to take), V8 ${snap.v8Ms.toFixed(0)} ms\n`);
  const py = o.cpython ? cpython(o) : "CPython skipped (--no-cpython)";
  const c = typeof py === "string" ? undefined : py;
  const f = (v: number | undefined) => (v === undefined ? "–" : v.toFixed(1));
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "–" : `${(a / b).toFixed(2)}x`);
  let report = `ns per step of \`x = S(); t = (x, x)\` (the previous pair freed), 30 frames deep, heap.raw on a fresh heap; medians of ${o.runs}\n\n`;
  report += `| mode | pyheap ns | pyheap / untraced | CPython ${c?.version ?? ""} ns | CPython / untraced |\n|---|---:|---:|---:|---:|\n`;
  for (const m of MODES) {
    const cv = m === "js1" ? undefined : c?.[m];
    report += `| ${LABEL[m]} | ${f(ours[m])} | ${ratio(ours[m], ours.untraced)} | ${f(cv)} | ${ratio(cv, c?.untraced)} |\n`;
  }
  report += `\nbytes of tracemalloc's own memory per traced live object (1M floats kept): pyheap ${perTrace.toFixed(1)}, CPython ${f(c?.bytesPerTrace)}\n`;
  const mb = (b: number) => (b / 1048576).toFixed(1);
  report += `\nheap snapshot of ${snap.objects.toLocaleString("en-US")} nodes (1M objects: 500,000 slotted instances each with a float, in one list): heap.writeHeapSnapshot() ${snap.writeMs.toFixed(0)} ms `;
  report += `(of which taking it, the engine's walk and the naming: ${snap.takeMs.toFixed(0)} ms), ${mb(snap.bytes)} MB, ${(snap.objects / snap.writeMs / 1000).toFixed(2)} M nodes/s; `;
  report += `V8's v8.writeHeapSnapshot() of a Node heap holding 500,000 objects each with a Number object, same run: ${snap.v8Ms.toFixed(0)} ms, ${mb(snap.v8Bytes)} MB, ${snap.v8Nodes.toLocaleString("en-US")} nodes, ${(snap.v8Nodes / snap.v8Ms / 1000).toFixed(2)} M nodes/s\n`;
  report += `steps per sample ${o.steps.toLocaleString("en-US")} (jsStack: 1/20 of them), node ${process.version}\n`;
  if (typeof py === "string") report += `${py}\n`;
  const results = {
    pyheap: { ...ours, bytesPerTrace: perTrace, snapshot: snap },
    cpython: c ?? null,
    steps: o.steps,
    runs: o.runs,
  };
  return { results, report };
}
