/** `npm run bench -- <suite> [--runs N] [--scale X]`. Suites: alloc, objects, gc, tracemalloc. */
import { mkdirSync, writeFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { measureOne, workloads, type Measured, type Result } from "./alloc.js";
import { objects, type Options as ObjectsOptions } from "./objects.js";
import { gcBench, type Options as GcOptions } from "./gc.js";
import { tracemallocBench, type Options as TracemallocOptions } from "./tracemalloc.js";

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 1);

async function alloc(opts: { runs: number; scale: number; window: number; only?: string; out: string }) {
  const rows: Array<{ name: string; pyheap: Measured; tlsf: Measured }> = [];
  let loop: Measured | undefined, empty: { pyheap: Measured; tlsf: Measured } | undefined;
  const only = opts.only?.split(",");
  for (const w of workloads(opts.scale, opts.window)) {
    if (only && !only.some((o) => w.name === o || w.name.startsWith(`${o}-`))) continue;
    if (w.name === "b-loop") {
      loop = await measureOne(w, "loop", opts.runs);
      continue;
    }
    const pyheap = await measureOne(w, "pyheap", opts.runs);
    const tlsf = await measureOne(w, "tlsf", opts.runs);
    if (w.name === "a-empty") empty = { pyheap, tlsf };
    else rows.push({ name: w.name, pyheap, tlsf });
    process.stderr.write(`  ${w.name}: pyheap ${fmt(pyheap.nsPerOp)} ns, tlsf ${fmt(tlsf.nsPerOp)} ns\n`);
  }
  const what: Record<string, string> = {
    a: "ns per alloc+free pair, 32 B",
    b: `ns per step, ${opts.window.toLocaleString("en-US")} live, 16..512 B`,
    "c-alloc": "ns per alloc, 1M x 48 B",
    "c-free": "ns per free, in order",
    d: "ns per re-alloc after freeing a random half",
  };
  let table = "| pattern | what | pyheap | TLSF | TLSF/pyheap |\n|---|---|---:|---:|---:|\n";
  for (const r of rows) {
    table += `| (${r.name}) | ${what[r.name]} | ${fmt(r.pyheap.nsPerOp)} | ${fmt(r.tlsf.nsPerOp)} | ${(r.tlsf.nsPerOp / r.pyheap.nsPerOp).toFixed(2)}x |\n`;
  }
  console.log(table);
  if (empty) {
    console.log(`(a) on an empty heap, where each pair also moves the pool to its arena and back: ` +
      `pyheap ${fmt(empty.pyheap.nsPerOp)} ns, TLSF ${fmt(empty.tlsf.nsPerOp)} ns`);
  }
  if (loop) console.log(`(b) the loop alone (random numbers, slot loads and stores): ${fmt(loop.nsPerOp)} ns per step`);
  console.log(`medians of ${opts.runs} runs, scale ${opts.scale}, node ${process.version}`);
  const results: Result[] = rows.flatMap((r) => [
    { workload: r.name as Result["workload"], impl: "pyheap" as const, nsPerOp: r.pyheap.nsPerOp },
    { workload: r.name as Result["workload"], impl: "tlsf" as const, nsPerOp: r.tlsf.nsPerOp },
  ]);
  mkdirSync(opts.out.replace(/\/[^/]*$/, ""), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(results, null, 2) + "\n");
  console.log(`wrote ${opts.out}`);
}

const program = new Command().name("pyheap-bench").description("pyheap benchmarks");
program
  .command("alloc")
  .description("allocator patterns (a)-(d): pyheap vs AssemblyScript's TLSF, loops inside wasm")
  .option("--runs <n>", "samples per figure (median)", num, 7)
  .option("--scale <x>", "scale the operation counts (1 = peers.md sizes)", num, 1)
  .option("--window <n>", "(b): live blocks in the window", (v) => Math.round(num(v)), 10_000)
  .option("--only <list>", "only these patterns, e.g. b,d")
  .option("--out <file>", "JSON results", "bench/results/alloc.json")
  .action(alloc);
program
  .command("objects")
  .description("objects created and freed (handle API, heap.raw, CPython 3.11, V8), bytes per object, the refcount cascade")
  .option("--runs <n>", "samples per figure (median)", (v) => Math.round(num(v)), 7)
  .option("--scale <x>", "scale the object counts (1 = 1M objects per sample)", num, 1)
  .option("--only <list>", "only these workloads: int,float,str,tuple2,list1,dict0,slots2,slots2-empty,inst1,cascade")
  .option("--python <cmd>", "the CPython to compare with", "python3")
  .option("--no-cpython", "skip the CPython subprocess")
  .option("--out <file>", "JSON results", "bench/results/objects.json")
  .action(async (opts: ObjectsOptions & { out: string }) => {
    const { results, report } = await objects(opts);
    console.log(report);
    mkdirSync(opts.out.replace(/\/[^/]*$/, ""), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(results, null, 2) + "\n");
    console.log(`wrote ${opts.out}`);
  });
program
  .command("gc")
  .description("the cycle collector: gc.collect() of peers.md's 1M-object graphs (heap.raw) and the pauses of automatic collections, vs CPython 3.11")
  .option("--runs <n>", "samples per figure (median; a fresh heap / interpreter each)", (v) => Math.round(num(v)), 5)
  .option("--scale <x>", "scale the graphs (1 = 1M objects)", num, 1)
  .option("--only <list>", "only these graphs: slots-pairs,list-pairs,inst-pairs,slots-ring,live-lists")
  .option("--steps <n>", "pauses: steps of the allocation loop", (v) => Math.round(num(v)), 2_000_000)
  .option("--no-pauses", "skip the pause distribution")
  .option("--python <cmd>", "the CPython to compare with", "python3")
  .option("--no-cpython", "skip the CPython subprocesses")
  .option("--out <file>", "JSON results (the pauses go to <file>-pauses.json)", "bench/results/gc.json")
  .action(async (opts: GcOptions & { out: string }) => {
    const { results, pauses, report } = await gcBench(opts);
    console.log(report);
    mkdirSync(opts.out.replace(/\/[^/]*$/, ""), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(results, null, 2) + "\n");
    console.log(`wrote ${opts.out}`);
    if (pauses) {
      const file = opts.out.replace(/(\.json)?$/, "-pauses.json");
      writeFileSync(file, JSON.stringify(pauses, null, 2) + "\n");
      console.log(`wrote ${file}`);
    }
  });
program
  .command("tracemalloc")
  .description("what tracing costs: untraced vs traced object creation (heap.frames, jsStack), CPython with and without tracemalloc, bytes per trace; heap snapshot write time for 1M objects vs V8's")
  .option("--runs <n>", "samples per figure (median; a fresh heap each)", (v) => Math.round(num(v)), 5)
  .option("--steps <n>", "loop steps per sample", (v) => Math.round(num(v)), 1_000_000)
  .option("--python <cmd>", "the CPython to compare with", "python3")
  .option("--no-cpython", "skip the CPython subprocess")
  .option("--out <file>", "JSON results", "bench/results/tracemalloc.json")
  .action(async (opts: TracemallocOptions & { out: string }) => {
    const { results, report } = await tracemallocBench(opts);
    console.log(report);
    mkdirSync(opts.out.replace(/\/[^/]*$/, ""), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(results, null, 2) + "\n");
    console.log(`wrote ${opts.out}`);
  });
program.parseAsync().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
