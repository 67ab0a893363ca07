/**
 * `npm run bench -- gc`: the cycle collector against CPython 3.11's, in the same run.
 *
 * Full collections (peers.md's collection table). Each graph, 1M x scale objects, is
 * built through heap.raw on a fresh heap with automatic collection disabled
 * (heap.gc.disable()); timed: heap.gc.collect() alone (performance.now()). The count it
 * returns is checked: every object for the garbage graphs, 0 for the live one; after a
 * garbage graph the heap's allocated blocks are back where they were before it was
 * built (everything freed). Median of `runs` samples, a fresh heap each (one untimed
 * warm-up on a small graph first; V8 collects the previous heap between samples).
 *
 *   slots-pairs  garbage: 2-object cycles of slotted instances (raw.new(S) twice,
 *                raw.setslot(a, 0, b), raw.setslot(b, 0, a))
 *   list-pairs   garbage: 2-object cycles of lists (raw.list, raw.append both ways)
 *   inst-pairs   garbage: 2-object cycles of plain instances (raw.new(P) + raw.setattr "x")
 *   slots-ring   garbage: one ring of slotted instances, each slot 0 the next
 *   live-lists   live: a list of 1,000 lists of 999 empty lists, the root held
 *
 * CPython: bench/peers/gc.py in a fresh python3 per sample (peers.md's method),
 * alternating with pyheap's samples (machine noise hits both alike); the interpreter's
 * own objects are frozen out (gc.freeze()) before the graph is built, so both
 * collectors examine the graph alone.
 *
 * Pauses: the automatic collections of an allocation-heavy loop, default thresholds,
 * collection enabled. Per step: t = S(a, b) replaces the previous t (freed); every 8th
 * step a survivor is appended to a kept list; every 16th a garbage 2-cycle
 * x = S(None, None); x.a = S(x, None). Each collection is timed from its "start" to its
 * "stop" callback (heap.gc.callbacks and performance.now(); CPython: gc.callbacks and
 * perf_counter_ns, same loop). Reported per generation: count, median, p90, p99, max (µs).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { Heap } from "../src/node.js";
import type { Raw } from "../src/raw.js";

export const GRAPHS = ["slots-pairs", "list-pairs", "inst-pairs", "slots-ring", "live-lists"] as const;
export type Graph = (typeof GRAPHS)[number];
export type Impl = "pyheap" | "cpython";

export interface Result {
  workload: Graph;
  impl: Impl;
  objects: number;
  /** median gc.collect() time */
  ms: number;
  nsPerObject: number;
  /** what gc.collect() returned (the same in every sample) */
  returned: number;
}

export interface PauseSummary {
  impl: Impl;
  /** 0, 1, 2, or "all" */
  generation: number | "all";
  count: number;
  medianUs: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  totalMs: number;
}

export interface PauseReport {
  steps: number;
  summaries: PauseSummary[];
  /** the whole loop, collections included, ms */
  loopMs: Partial<Record<Impl, number>>;
}

export interface Options {
  runs: number;
  scale: number;
  only?: string;
  steps: number;
  pauses: boolean;
  python: string;
  cpython: boolean;
}

const LABEL: Record<Graph, string> = {
  "slots-pairs": "garbage: 2-object cycles of `__slots__` instances",
  "list-pairs": "garbage: 2-object cycles of lists",
  "inst-pairs": "garbage: 2-object cycles of plain instances",
  "slots-ring": "garbage: one ring of `__slots__` instances",
  "live-lists": "live: list of 1,000 lists of 999 empty lists",
};

/** peers.md's CPython 3.11.7 figures (ms per 1M objects), for the legend. */
const PEERS_MS: Record<Graph, string> = {
  "slots-pairs": "68", "list-pairs": "97", "inst-pairs": "130", "slots-ring": "69–72", "live-lists": "31",
};

// ---- building the graphs through heap.raw ------------------------------------------------------
interface Ctx {
  heap: Heap;
  raw: Raw;
  /** class S: __slots__ = ("a", "b") */
  S: number;
  /** class P: any attribute */
  P: number;
}

async function context(): Promise<Ctx> {
  const heap = await Heap.create();
  const S = heap.defineClass("S", { slots: ["a", "b"] }).id;
  const P = heap.defineClass("P").id;
  // intern the attribute name "x" now: it stays, and must not count as the graph's bytes
  const probe = heap.raw.new(P);
  heap.raw.setattr(probe, "x", heap.raw.None);
  heap.raw.decref(probe);
  return { heap, raw: heap.raw, S, P };
}

/** Objects in the graph built for n requested. */
function objectsOf(g: Graph, n: number): number {
  if (g === "slots-ring") return n;
  if (g === "live-lists") return 1 + Math.max(1, Math.round(n / 1000)) * 1000;
  return Math.floor(n / 2) * 2;
}

/** Builds graph g; returns the id the caller holds (live-lists' root) or 0 (garbage). */
function build(c: Ctx, g: Graph, n: number): number {
  const { raw: r, S, P } = c;
  switch (g) {
    case "slots-pairs": {
      for (let i = n >> 1; i > 0; i--) {
        const a = r.new(S), b = r.new(S);
        r.setslot(a, 0, b);
        r.setslot(b, 0, a);
        r.decref(a);
        r.decref(b);
      }
      return 0;
    }
    case "list-pairs": {
      for (let i = n >> 1; i > 0; i--) {
        const a = r.list(), b = r.list();
        r.append(b, a);
        r.append(a, b);
        r.decref(a);
        r.decref(b);
      }
      return 0;
    }
    case "inst-pairs": {
      for (let i = n >> 1; i > 0; i--) {
        const a = r.new(P), b = r.new(P);
        r.setattr(a, "x", b);
        r.setattr(b, "x", a);
        r.decref(a);
        r.decref(b);
      }
      return 0;
    }
    case "slots-ring": {
      const first = r.new(S);
      let cur = first;
      for (let i = n - 1; i > 0; i--) {
        const o = r.new(S);
        r.setslot(cur, 0, o);   // cur's slot now holds o's only reference besides ours
        r.decref(o);
        cur = o;                 // borrowed: the ring holds it
      }
      r.setslot(cur, 0, first);
      r.decref(first);
      return 0;
    }
    case "live-lists": {
      const outer = Math.max(1, Math.round(n / 1000)), inner = 999;
      const root = r.list();
      for (let i = 0; i < outer; i++) {
        const l = r.list();
        for (let j = 0; j < inner; j++) {
          const e = r.list();
          r.append(l, e);
          r.decref(e);
        }
        r.append(root, l);
        r.decref(l);
      }
      return root;
    }
  }
}

function heapBytes(heap: Heap): number {
  const s = heap.mem.stats();
  return s.bytes.allocatedBlocks + s.large.bytes;
}

let forceGC: (() => void) | undefined;
function v8gc(): void {
  if (!forceGC) {
    try {
      v8.setFlagsFromString("--expose-gc");
      forceGC = vm.runInNewContext("gc") as () => void;
    } catch {
      forceGC = () => {};
    }
  }
  forceGC();
}

/** One sample: a fresh heap, graph g of n objects, gc.collect() timed. */
async function sample(g: Graph, n: number): Promise<{ ms: number; returned: number }> {
  v8gc();   // the previous sample's heap (its wasm memory) goes before this one grows
  const c = await context();
  try {
    const { heap } = c;
    heap.gc.disable();
    heap.gc.collect();
    heap.sys.clearFreelists();
    const before = heapBytes(heap);
    const root = build(c, g, n);
    const t0 = performance.now();
    const returned = heap.gc.collect();
    const ms = performance.now() - t0;
    const expected = g === "live-lists" ? 0 : objectsOf(g, n);
    if (returned !== expected) throw new Error(`${g}: gc.collect() returned ${returned}, expected ${expected}`);
    if (root) c.raw.decref(root);
    heap.sys.clearFreelists();
    const after = heapBytes(heap);
    if (after !== before) throw new Error(`${g}: ${after - before} bytes still allocated after the graph died`);
    return { ms, returned };
  } finally {
    c.heap.close();
  }
}

// ---- pauses ---------------------------------------------------------------------------------------
/** [generation, µs] of each automatic collection during the loop, and the loop's ms. */
async function pyheapPauses(steps: number): Promise<{ pauses: Array<[number, number]>; loopMs: number }> {
  v8gc();
  const c = await context();
  try {
    const { heap, raw: r, S } = c;
    const none = r.None;
    const a = r.int(1000), b = r.int(2000);
    const loop = (k: number) => {
      const keep = r.list();
      let t = r.new2(S, a, b);
      for (let i = 0; i < k; i++) {
        const o = r.new2(S, a, b);
        r.decref(t);
        t = o;
        if (!(i & 7)) {
          const s = r.new2(S, a, b);
          r.append(keep, s);
          r.decref(s);
        }
        if (!(i & 15)) {
          const x = r.new2(S, none, none);
          const y = r.new2(S, x, none);
          r.setslot(x, 0, y);
          r.decref(y);
          r.decref(x);
        }
      }
      r.decref(t);
      r.decref(keep);
    };
    loop(10_000);   // warm-up (V8 optimizes the loop)
    heap.gc.collect();
    const pauses: Array<[number, number]> = [];
    let t0 = 0;
    heap.gc.callbacks.push((phase, info) => {
      if (phase === "start") t0 = performance.now();
      else pauses.push([info.generation, (performance.now() - t0) * 1000]);
    });
    const start = performance.now();
    loop(steps);
    const loopMs = performance.now() - start;
    heap.gc.callbacks.length = 0;
    r.decref(a);
    r.decref(b);
    return { pauses, loopMs };
  } finally {
    c.heap.close();
  }
}

function summarize(impl: Impl, pauses: Array<[number, number]>): PauseSummary[] {
  const out: PauseSummary[] = [];
  const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  for (const gen of [0, 1, 2, "all"] as const) {
    const us = pauses.filter(([g]) => gen === "all" || g === gen).map(([, u]) => u).sort((x, y) => x - y);
    if (!us.length) continue;
    out.push({
      impl, generation: gen, count: us.length, medianUs: r3(median(us)), p90Us: r3(pct(us, 0.9)), p99Us: r3(pct(us, 0.99)),
      maxUs: r3(us[us.length - 1]), totalMs: r3(us.reduce((s, u) => s + u, 0) / 1000),
    });
  }
  return out;
}

// ---- CPython ----------------------------------------------------------------------------------------
const SCRIPT = fileURLToPath(new URL("../bench/peers/gc.py", import.meta.url));

function runPython(python: string, args: string[]): Record<string, unknown> | string {
  const r = spawnSync(python, [SCRIPT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${python} not found` : `${python} failed to start: ${r.error.message}`;
  }
  if (r.status !== 0) return `${python} ${SCRIPT} ${args.join(" ")} exited with status ${r.status ?? r.signal}`;
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    return `${python} printed no JSON`;
  }
}

// ---- the suite ----------------------------------------------------------------------------------------
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), k = s.length;
  return k % 2 ? s[k >> 1] : (s[k / 2 - 1] + s[k / 2]) / 2;
}
const fmt = (n: number | undefined, d?: number) =>
  n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(d ?? (n < 10 ? 2 : 1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !(b > 0) ? "–" : `${(a / b).toFixed(2)}x`;
const say = (s: string) => process.stderr.write(`  ${s}\n`);
/** JSON numbers to 3 decimals (µs and ms: nanosecond resolution at most). */
const r3 = (n: number) => Math.round(n * 1000) / 1000;

export async function gcBench(opts: Options): Promise<{ results: Result[]; pauses?: PauseReport; report: string }> {
  const n = Math.max(2, Math.round(1_000_000 * opts.scale));
  const only = opts.only?.split(",").map((s) => s.trim());
  for (const o of only ?? []) if (!(GRAPHS as readonly string[]).includes(o)) throw new Error(`unknown graph ${o} (${GRAPHS.join(", ")})`);
  const graphs = GRAPHS.filter((g) => !only || only.includes(g));
  const results: Result[] = [];
  let pyMissing = opts.cpython ? "" : "CPython skipped (--no-cpython)";
  let pyVersion = "";

  // pyheap and CPython samples alternate (a noisy machine slows both alike); CPython runs
  // in a fresh interpreter per sample, while this process waits
  const bareMs: number[] = [];
  for (const g of graphs) {
    await sample(g, Math.min(n, 50_000));   // warm-up: V8 optimizes the builder, the engine's code tiers up
    const ms: number[] = [], cms: number[] = [];
    let returned = 0, creturned = 0, cobjects = 0;
    for (let i = 0; i < opts.runs; i++) {
      const s = await sample(g, n);
      ms.push(s.ms);
      returned = s.returned;
      if (!opts.cpython || pyMissing) continue;
      const out = runPython(opts.python, ["collect", "--graph", g, "--scale", String(opts.scale)]);
      if (typeof out === "string") {
        pyMissing = `CPython rows skipped: ${out} (install python3, or pass --python <cmd>)`;
        continue;
      }
      cms.push((out.ns as number) / 1e6);
      creturned = out.returned as number;
      cobjects = out.objects as number;
      bareMs.push((out.bareCollectNs as number) / 1e6);
      pyVersion = `${out.implementation as string} ${out.python as string}`;
    }
    const m = median(ms), objects = objectsOf(g, n);
    results.push({ workload: g, impl: "pyheap", objects, ms: r3(m), nsPerObject: r3((m * 1e6) / objects), returned });
    say(`${g} pyheap: ${fmt(m)} ms (${ms.map((x) => x.toFixed(1)).join(", ")})`);
    if (cms.length === opts.runs) {
      const expected = g === "live-lists" ? 0 : cobjects;
      if (creturned !== expected) throw new Error(`${g}: CPython's gc.collect() returned ${creturned}, expected ${expected}`);
      const c = median(cms);
      results.push({ workload: g, impl: "cpython", objects: cobjects, ms: r3(c), nsPerObject: r3((c * 1e6) / cobjects), returned: creturned });
      say(`${g} cpython: ${fmt(c)} ms (${cms.map((x) => x.toFixed(1)).join(", ")})`);
    }
  }

  // pauses
  let pauses: PauseReport | undefined;
  if (opts.pauses) {
    const p = await pyheapPauses(opts.steps);
    pauses = { steps: opts.steps, summaries: summarize("pyheap", p.pauses), loopMs: { pyheap: r3(p.loopMs) } };
    say(`pauses pyheap: ${p.pauses.length} collections, loop ${fmt(p.loopMs)} ms`);
    if (opts.cpython && !pyMissing) {
      const out = runPython(opts.python, ["pauses", "--steps", String(opts.steps)]);
      if (typeof out === "string") pyMissing = `CPython rows skipped: ${out} (install python3, or pass --python <cmd>)`;
      else {
        const cp = (out.pauses as Array<[number, number]>).map(([g, ns]) => [g, ns / 1000] as [number, number]);
        pauses.summaries.push(...summarize("cpython", cp));
        pauses.loopMs.cpython = r3((out.loopNs as number) / 1e6);
        pyVersion ||= `${out.implementation as string} ${out.python as string}`;
        say(`pauses cpython: ${cp.length} collections, loop ${fmt(pauses.loopMs.cpython)} ms`);
      }
    }
  }

  // ---- report ----
  const get = (g: Graph, impl: Impl) => results.find((r) => r.workload === g && r.impl === impl);
  const pyName = pyVersion ? pyVersion.replace(/^cpython/, "CPython") : "CPython";
  let out = `gc.collect() of a graph built with automatic collection disabled (${n.toLocaleString("en-US")} objects requested; fresh heap / interpreter per sample)\n\n`;
  out += `| graph | objects | pyheap ms | pyheap ns/object | ${pyName} ms | ${pyName} ns/object | returned | CPython/pyheap | peers.md CPython ms |\n`;
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const g of graphs) {
    const p = get(g, "pyheap"), c = get(g, "cpython");
    out += `| ${LABEL[g]} | ${(p ?? c)!.objects.toLocaleString("en-US")} | ${fmt(p?.ms)} | ${fmt(p?.nsPerObject)} | ` +
      `${fmt(c?.ms)} | ${fmt(c?.nsPerObject)} | ${p?.returned.toLocaleString("en-US") ?? "–"}` +
      `${c ? ` / ${c.returned.toLocaleString("en-US")}` : ""} | ${ratio(c?.ms, p?.ms)} | ${PEERS_MS[g]} |\n`;
  }
  out += "\nreturned: pyheap / CPython. CPython/pyheap > 1: pyheap is faster. CPython's interpreter objects are frozen " +
    `(gc.freeze()) before the graph is built${bareMs.length ? `; a full collection of the bare interpreter costs ${fmt(median(bareMs))} ms` : ""}.\n\n`;

  if (pauses) {
    out += `pauses of automatic collections: ${opts.steps.toLocaleString("en-US")} steps of t = S(a, b), every 8th a survivor kept, ` +
      "every 16th a garbage 2-cycle; default thresholds (700, 10, 10); µs from the start to the stop callback\n\n";
    out += "| impl | generation | collections | median µs | p90 µs | p99 µs | max µs | total ms |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    for (const s of pauses.summaries) {
      out += `| ${s.impl === "cpython" ? pyName : "pyheap"} | ${s.generation} | ${s.count} | ${fmt(s.medianUs)} | ${fmt(s.p90Us)} | ` +
        `${fmt(s.p99Us)} | ${fmt(s.maxUs)} | ${fmt(s.totalMs)} |\n`;
    }
    const pg = (impl: Impl, gen: number | "all") => pauses!.summaries.find((s) => s.impl === impl && s.generation === gen);
    const line = [0, 1, 2, "all"].map((gen) => {
      const p = pg("pyheap", gen as 0), c = pg("cpython", gen as 0);
      return p && c ? `gen ${gen} median ${ratio(c.medianUs, p.medianUs)}, p99 ${ratio(c.p99Us, p.p99Us)}` : undefined;
    }).filter(Boolean);
    if (line.length) out += `\nCPython/pyheap: ${line.join("; ")}\n`;
    out += `whole loop, collections included: pyheap ${fmt(pauses.loopMs.pyheap)} ms` +
      `${pauses.loopMs.cpython !== undefined ? `, CPython ${fmt(pauses.loopMs.cpython)} ms` : ""}\n\n`;
  }
  out += `medians of ${opts.runs} runs, scale ${opts.scale}, node ${process.version}${pyVersion ? `, ${pyVersion}` : ""}\n`;
  if (pyMissing) out += `${pyMissing}\n`;
  return { results, pauses, report: out };
}
