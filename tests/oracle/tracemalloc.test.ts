/**
 * tracemalloc against CPython 3.11: one program, written out as a Python file whose
 * functions allocate floats, tuples, slotted instances, dicts, bytes and lists at known
 * lines, called from known lines of the module. python3 runs it under
 * tracemalloc.start(2); pyheap runs the same allocations with heap.frames mirroring the
 * Python frames. Per traceback (module line, function line): the counts equal CPython's,
 * and the sizes are pyheap's own (a constant number of traced bytes per object of the
 * kind); after the program frees every other object and collects (which empties the free
 * lists on both sides), compareTo's count diffs equal CPython's.
 *
 * CPython's results are in tracemalloc.golden.json (committed, so that npm test needs no
 * python3); when python3 3.11 is on the machine, the golden is checked to be current.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newHeap } from "../helpers.js";
import type { Heap, Ref } from "../../src/node.js";

const FILE = "tm_program.py";
const N = 60;
const KINDS = ["float", "tuple", "slotted", "dict1", "dict0", "bytes", "list2"] as const;
type Kind = (typeof KINDS)[number];
const PY_EXPR: Record<Kind, string> = {
  float: "i + 0.5",
  tuple: "(KEEP, i)",
  slotted: "S()",
  dict1: "{'a': i}",
  dict0: "{}",
  bytes: "b'\\x00' * TEN", // (bytes(10) would also leave its argument tuple on the tuple free list)
  list2: "[KEEP, KEEP]",
};

interface Program {
  source: string;
  /** Per kind: the line of its allocation in its function, and the module line calling it. */
  lines: Record<Kind, { fn: number; call: number; base: number }>;
  freeLine: number;
}

/** The Python program, with the line of every allocation and call. */
function program(): Program {
  const out: string[] = [];
  const line = (s: string) => out.push(s) && out.length;
  line("import gc, json, sys, tracemalloc");
  line("class S:");
  line("    __slots__ = ('a', 'b')");
  line("TEN = 10");
  line(`KEEP = [None] * ${N * KINDS.length}`);
  const fn = {} as Record<Kind, number>;
  for (const k of KINDS) {
    line(`def make_${k}(k, n):`);
    line("    for i in range(n):");
    fn[k] = line(`        KEEP[k + i] = ${PY_EXPR[k]}`);
  }
  line("def free_half():");
  line(`    for j in range(0, ${N * KINDS.length}, 2):`);
  const freeLine = line("        KEEP[j] = None");
  line("def stats(snap):");
  line("    snap = snap.filter_traces([tracemalloc.Filter(True, __file__, all_frames=True)])");
  line("    return [[[[f.filename.rsplit('/', 1)[-1], f.lineno] for f in s.traceback], s.count] for s in snap.statistics('traceback') if all(f.filename == __file__ for f in s.traceback)]");
  line("gc.collect()");
  line("tracemalloc.start(2)");
  const lines = {} as Program["lines"];
  KINDS.forEach((k, i) => {
    lines[k] = { fn: fn[k], call: line(`make_${k}(${i * N}, ${N})`), base: i * N };
  });
  line("first = tracemalloc.take_snapshot()");
  line("free_half()");
  line("gc.collect()");
  line("second = tracemalloc.take_snapshot()");
  line("diff = [[[f.filename.rsplit('/', 1)[-1], f.lineno], d.count, d.count_diff] for d in second.filter_traces([tracemalloc.Filter(True, __file__)]).compare_to(first.filter_traces([tracemalloc.Filter(True, __file__)]), 'lineno') for f in d.traceback]");
  line("print(json.dumps({'version': sys.version.split()[0], 'first': stats(first), 'diff': diff}))");
  return { source: out.join("\n") + "\n", lines, freeLine };
}

type Stats = [[string, number][], number][];
interface Golden {
  version: string;
  first: Stats;
  diff: [[string, number], number, number][];
}

/** The same program on pyheap: its allocations through the handle API, its frames through heap.frames. */
function runOnPyheap(h: Heap, p: Program) {
  const S = h.defineClass("S", { slots: ["a", "b"] });
  const keep = h.list(new Array(N * KINDS.length).fill(null));
  const a = h.str("a");
  const make: Record<Kind, (i: number) => Ref> = {
    float: (i) => h.float(i + 0.5),
    tuple: (i) => h.tuple([keep, i]),
    slotted: () => S.new(),
    dict1: (i) => h.dict([[a, i]]),
    dict0: () => h.dict(),
    bytes: () => h.bytes(new Uint8Array(10)),
    list2: () => h.list([keep, keep]),
  };
  h.gc.collect();
  const tm = h.tracemalloc;
  tm.start(2);
  for (const k of KINDS) {
    const { fn, call, base } = p.lines[k];
    h.frames.push(FILE, call);
    h.frames.push(FILE, fn);
    for (let i = 0; i < N; i++) {
      const r = make[k](i);
      keep.set(base + i, r);
      r.release();
    }
    h.frames.pop();
    h.frames.pop();
  }
  const first = tm.takeSnapshot();
  for (let j = 0; j < N * KINDS.length; j += 2) keep.set(j, null);
  h.gc.collect();
  const second = tm.takeSnapshot();
  return { first, second, keep };
}

function goldenNow(p: Program): Golden | undefined {
  let version = "";
  try {
    version = execFileSync("python3", ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
  if (!version.startsWith("3.11.")) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "pyheap-tm-"));
  try {
    writeFileSync(join(dir, FILE), p.source);
    return JSON.parse(execFileSync("python3", [join(dir, FILE)], { encoding: "utf8" })) as Golden;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const goldenFile = new URL("./tracemalloc.golden.json", import.meta.url);
const prog = program();

describe("tracemalloc against CPython 3.11", () => {
  // (TRACEMALLOC_GOLDEN_WRITE=1 rewrites the golden from python3's answer)
  const live = goldenNow(prog);
  if (live && process.env.TRACEMALLOC_GOLDEN_WRITE) writeFileSync(goldenFile, JSON.stringify(live, null, 1) + "\n");
  const golden = JSON.parse(readFileSync(goldenFile, "utf8")) as Golden;

  it.skipIf(!live)("the golden file is CPython 3.11's current answer", () => {
    expect({ first: golden.first, diff: golden.diff }).toEqual({ first: live!.first, diff: live!.diff });
  });

  it("per traceback (2 frames), the counts of live traced blocks are CPython's", async () => {
    const h = await newHeap();
    const { first } = runOnPyheap(h, prog);
    const ours: Stats = first.statistics("traceback")
      .filter((s) => [...s.traceback].every((f) => f.filename === FILE))
      .map((s) => [[...s.traceback].map((f) => [f.filename, f.lineno] as [string, number]), s.count]);
    const key = (s: Stats) => [...s].map(([tb, n]) => `${tb.map(([f, l]) => `${f}:${l}`).join(" < ")} x${n}`).sort();
    expect(key(ours)).toEqual(key(golden.first));
    h.close();
  });

  it("sizes are pyheap's own: a constant number of traced bytes per object of each kind", async () => {
    const h = await newHeap();
    const { first } = runOnPyheap(h, prog);
    const stats = first.statistics("lineno");
    for (const k of KINDS) {
      const s = stats.find((x) => x.traceback.at(-1)!.lineno === prog.lines[k].fn)!;
      expect(s, k).toBeDefined();
      const perObject = s.size / N;
      expect(Number.isInteger(perObject), `${k}: ${s.size} bytes for ${N} objects`).toBe(true);
      expect(perObject).toBeGreaterThan(0);
    }
    // a float's block is 16 bytes, a slotted instance's 24 + its GC head
    expect(stats.find((x) => x.traceback.at(-1)!.lineno === prog.lines.float.fn)!.size).toBe(16 * N);
    h.close();
  });

  it("after frees and a collection, compareTo's count diffs per line are CPython's", async () => {
    const h = await newHeap();
    const { first, second } = runOnPyheap(h, prog);
    const diff = second.compareTo(first, "lineno")
      .filter((d) => d.traceback.at(-1)!.filename === FILE)
      .map((d) => `${d.traceback.at(-1)!.lineno}: ${d.count} (${d.countDiff})`)
      .sort();
    expect(diff).toEqual(golden.diff.map(([[, l], n, dn]) => `${l}: ${n} (${dn})`).sort());
    h.close();
  });
});
