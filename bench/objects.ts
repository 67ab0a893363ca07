/**
 * `npm run bench -- objects`: what an object costs, created and freed, in time and
 * in bytes, through pyheap's two APIs, against CPython 3.11 and plain V8 objects.
 *
 * Time (ns per object created AND freed). Each loop does what CPython does for
 * `for _ in repeat(None, n): x = <expr>`: make the new object, then drop the
 * previous one (rebinding x frees it), so one or two objects of the kind are live
 * at any time and no pool ever empties. n = 1M x scale per sample, median of runs
 * samples (mitata); each loop is warmed up first, and V8 runs a full GC before and
 * after each sample, untimed (a sample pays only for the JS garbage it makes).
 *
 *   handle   the handle API: heap.int(...), heap.tuple([A, B]), S.new({ a, b })...,
 *            each dropped with .release()
 *   raw      heap.raw: ids and raw.decref (raw.new2 for the 2-slot instance; the
 *            raw-setslot row is raw.new + two raw.setslot)
 *   exports  raw.exports: the engine's functions called directly (the JS -> wasm floor)
 *   wasm     the same loop inside the engine (bench_object_pairs): what an object costs
 *            with no JS -> wasm call at all (on a heap of the benchmark engine,
 *            build/pyheap-bench.wasm: bench/engine.ts; every other row runs on the
 *            shipped build/pyheap.wasm)
 *   cpython  bench/peers/objects.py in a python3 subprocess: the same loops in
 *            CPython, net of the empty loop (peers.md's method)
 *   v8       plain JS values in this process: BigInt, boxed number, string concat,
 *            [a, b], [a], new Map(), class instances; each stored where it escapes,
 *            replaced on the next step (V8's GC time included)
 *
 * Bytes per object: 1M x scale objects kept alive; pyheap: the delta of
 * heap.mem.stats() bytes in allocated blocks (+ large blocks) / n, and
 * heap.sys.getsizeof; CPython: the same delta of sys._debugmallocstats' "bytes in
 * allocated blocks", tracemalloc's delta, sys.getsizeof; V8: used_heap_size delta
 * after a forced GC.
 *
 * Cascade: a list of 1,000 lists of 999 empty lists (1M objects) built with
 * heap.raw; timed: the raw.decref that drops the root's last reference, ns per
 * object freed. CPython: `del root` of the same structure, in the same run.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { measure } from "mitata";
import { Heap, type PyClass, type Ref } from "../src/node.js";
import type { Raw } from "../src/raw.js";
import type { ObjectExports } from "../src/engine.js";
import { benchExports, benchHeap, benchConstant } from "./engine.js";

export type Workload =
  | "int" | "float" | "str" | "tuple2" | "list1" | "dict0" | "slots2" | "slots2-empty" | "inst1" | "cascade";
export type Impl = "handle" | "raw" | "raw-setslot" | "exports" | "wasm" | "cpython" | "v8";
export interface Result {
  workload: Workload;
  impl: Impl;
  nsPerOp: number;
  /** pyheap (on the raw rows): allocated-block bytes; cpython: pymalloc allocated-block bytes; v8: heap bytes. */
  bytesPerObject?: number;
  /** sys.getsizeof of one object (pyheap: heap.sys.getsizeof). */
  getsizeof?: number;
  /** cpython: tracemalloc's delta per object (requested sizes). */
  tracemallocBytes?: number;
}

export interface Options {
  runs: number;
  scale: number;
  only?: string;
  python: string;
  cpython: boolean;
}

const OBJECT_WORKLOADS = ["int", "float", "str", "tuple2", "list1", "dict0", "slots2", "slots2-empty", "inst1"] as const;
type ObjectWorkload = (typeof OBJECT_WORKLOADS)[number];

const LABEL: Record<ObjectWorkload, string> = {
  int: "int (non-small)",
  float: "float",
  str: "str, 4 chars",
  tuple2: "2-tuple",
  list1: "1-item list",
  dict0: "empty dict",
  slots2: "2-slot instance, slots set",
  "slots2-empty": "2-slot instance, slots unset",
  inst1: "plain instance, 1 attribute",
};

/** What each implementation runs, for the legend. */
const WHAT: Record<ObjectWorkload, { handle: string; raw: string; exports: string; v8: string }> = {
  int: { handle: "heap.int(1001)", raw: "raw.int(1001)", exports: "int_from_i32", v8: "a + b (BigInt)" },
  float: { handle: "heap.float(2.5)", raw: "raw.float(2.5)", exports: "float_new", v8: "f + g, boxed (heap number)" },
  str: { handle: 'heap.str("abcd")', raw: 'raw.str("abcd")', exports: "–", v8: "s + t (new flat string)" },
  tuple2: { handle: "heap.tuple([A, B])", raw: "raw.tuple([a, b])", exports: "tuple_new + 2 tuple_init", v8: "[a, b]" },
  list1: { handle: "heap.list([A])", raw: "raw.list(1) + raw.append", exports: "list_new + list_append", v8: "[a]" },
  dict0: { handle: "heap.dict()", raw: "raw.dict()", exports: "dict_new", v8: "new Map()" },
  slots2: { handle: "S.new({ a: A, b: B })", raw: "raw.new2(S.id, a, b)", exports: "inst_new2", v8: "new S(a, b)" },
  "slots2-empty": { handle: "S.new()", raw: "raw.new(S.id)", exports: "inst_new", v8: "new S() (fields undefined)" },
  inst1: { handle: "P.new({ a: A })", raw: 'raw.new(P.id) + raw.setattr(o, "a", a)', exports: "inst_new + attr_set", v8: "new P(a)" },
};

/** The objects every pyheap loop works with, on a fresh heap. */
interface Ctx {
  heap: Heap;
  raw: Raw;
  x: ObjectExports;
  /** class S: __slots__ = ("a", "b") */
  S: PyClass;
  /** class P: takes any attribute */
  P: PyClass;
  /** handles to the ints 1000 and 2000, and their ids */
  A: Ref;
  B: Ref;
  a: number;
  b: number;
  /** the interned name "a" (for attr_set) */
  nameA: number;
}

/** A heap with the two classes and the ints; on the benchmark engine for the in-wasm loops. */
async function context(engine: "release" | "bench" = "release"): Promise<Ctx> {
  const heap = engine === "bench" ? await benchHeap() : await Heap.create();
  const raw = heap.raw;
  const x = raw.exports;
  const S = heap.defineClass("S", { slots: ["a", "b"] });
  const P = heap.defineClass("P");
  const A = heap.int(1000), B = heap.int(2000);
  // the engine's id of the attribute name "a", read back from an instance that has it
  const probe = raw.new(P.id);
  raw.setattr(probe, "a", A.id);
  const nameA = x.attr_name(probe, 0) >>> 0;
  raw.decref(probe);
  return { heap, raw, x, S, P, A, B, a: A.id, b: B.id, nameA };
}

// ---- the timed loops ------------------------------------------------------------------
// One literal function per (workload, impl), written out: a shared loop calling a
// closure would be megamorphic and add a call to every step.
type Loop = (c: Ctx, n: number) => void;

const HANDLE: Record<ObjectWorkload, Loop> = {
  int(c, n) {
    const h = c.heap;
    let prev = h.int(1001);
    for (let i = 0; i < n; i++) { const o = h.int(1001); prev.release(); prev = o; }
    prev.release();
  },
  float(c, n) {
    const h = c.heap;
    let prev = h.float(2.5);
    for (let i = 0; i < n; i++) { const o = h.float(2.5); prev.release(); prev = o; }
    prev.release();
  },
  str(c, n) {
    const h = c.heap;
    let prev = h.str("abcd");
    for (let i = 0; i < n; i++) { const o = h.str("abcd"); prev.release(); prev = o; }
    prev.release();
  },
  tuple2(c, n) {
    const { heap: h, A, B } = c;
    let prev = h.tuple([A, B]);
    for (let i = 0; i < n; i++) { const o = h.tuple([A, B]); prev.release(); prev = o; }
    prev.release();
  },
  list1(c, n) {
    const { heap: h, A } = c;
    let prev = h.list([A]);
    for (let i = 0; i < n; i++) { const o = h.list([A]); prev.release(); prev = o; }
    prev.release();
  },
  dict0(c, n) {
    const h = c.heap;
    let prev = h.dict();
    for (let i = 0; i < n; i++) { const o = h.dict(); prev.release(); prev = o; }
    prev.release();
  },
  slots2(c, n) {
    const { S, A, B } = c;
    let prev = S.new({ a: A, b: B });
    for (let i = 0; i < n; i++) { const o = S.new({ a: A, b: B }); prev.release(); prev = o; }
    prev.release();
  },
  "slots2-empty"(c, n) {
    const S = c.S;
    let prev = S.new();
    for (let i = 0; i < n; i++) { const o = S.new(); prev.release(); prev = o; }
    prev.release();
  },
  inst1(c, n) {
    const { P, A } = c;
    let prev = P.new({ a: A });
    for (let i = 0; i < n; i++) { const o = P.new({ a: A }); prev.release(); prev = o; }
    prev.release();
  },
};

const RAW: Record<ObjectWorkload, Loop> = {
  int(c, n) {
    const r = c.raw;
    let prev = r.int(1001);
    for (let i = 0; i < n; i++) { const o = r.int(1001); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  float(c, n) {
    const r = c.raw;
    let prev = r.float(2.5);
    for (let i = 0; i < n; i++) { const o = r.float(2.5); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  str(c, n) {
    const r = c.raw;
    let prev = r.str("abcd");
    for (let i = 0; i < n; i++) { const o = r.str("abcd"); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  tuple2(c, n) {
    const { raw: r, a, b } = c;
    let prev = r.tuple([a, b]);
    for (let i = 0; i < n; i++) { const o = r.tuple([a, b]); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  list1(c, n) {
    const { raw: r, a } = c;
    let prev = r.list(1);
    r.append(prev, a);
    for (let i = 0; i < n; i++) { const o = r.list(1); r.append(o, a); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  dict0(c, n) {
    const r = c.raw;
    let prev = r.dict();
    for (let i = 0; i < n; i++) { const o = r.dict(); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  slots2(c, n) {
    const { raw: r, a, b } = c;
    const s = c.S.id;
    let prev = r.new2(s, a, b);
    for (let i = 0; i < n; i++) { const o = r.new2(s, a, b); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  "slots2-empty"(c, n) {
    const r = c.raw;
    const s = c.S.id;
    let prev = r.new(s);
    for (let i = 0; i < n; i++) { const o = r.new(s); r.decref(prev); prev = o; }
    r.decref(prev);
  },
  inst1(c, n) {
    const { raw: r, a } = c;
    const p = c.P.id;
    let prev = r.new(p);
    r.setattr(prev, "a", a);
    for (let i = 0; i < n; i++) { const o = r.new(p); r.setattr(o, "a", a); r.decref(prev); prev = o; }
    r.decref(prev);
  },
};

const RAW_SETSLOT: Loop = (c, n) => {
  const { raw: r, a, b } = c;
  const s = c.S.id;
  let prev = r.new(s);
  r.setslot(prev, 0, a);
  r.setslot(prev, 1, b);
  for (let i = 0; i < n; i++) {
    const o = r.new(s);
    r.setslot(o, 0, a);
    r.setslot(o, 1, b);
    r.decref(prev);
    prev = o;
  }
  r.decref(prev);
};

/** bench_object_pairs's kinds: the names of assembly/bench.ts's PAIRS_* globals. */
const IN_WASM: Partial<Record<ObjectWorkload, string>> = {
  int: "PAIRS_INT", float: "PAIRS_FLOAT", slots2: "PAIRS_SLOTS2", tuple2: "PAIRS_TUPLE2", list1: "PAIRS_LIST1", dict0: "PAIRS_DICT0",
};

const EXPORTS: Partial<Record<ObjectWorkload, Loop>> = {
  int(c, n) {
    const x = c.x;
    let prev = x.int_from_i32(1001);
    for (let i = 0; i < n; i++) { const o = x.int_from_i32(1001); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
  float(c, n) {
    const x = c.x;
    let prev = x.float_new(2.5);
    for (let i = 0; i < n; i++) { const o = x.float_new(2.5); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
  tuple2(c, n) {
    const { x, a, b } = c;
    let prev = x.tuple_new(2);
    x.tuple_init(prev, 0, a);
    x.tuple_init(prev, 1, b);
    for (let i = 0; i < n; i++) {
      const o = x.tuple_new(2);
      x.tuple_init(o, 0, a);
      x.tuple_init(o, 1, b);
      x.obj_decref(prev);
      prev = o;
    }
    x.obj_decref(prev);
  },
  list1(c, n) {
    const { x, a } = c;
    let prev = x.list_new(1);
    x.list_append(prev, a);
    for (let i = 0; i < n; i++) { const o = x.list_new(1); x.list_append(o, a); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
  dict0(c, n) {
    const x = c.x;
    let prev = x.dict_new();
    for (let i = 0; i < n; i++) { const o = x.dict_new(); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
  slots2(c, n) {
    const { x, a, b } = c;
    const s = c.S.id;
    let prev = x.inst_new2(s, a, b);
    for (let i = 0; i < n; i++) { const o = x.inst_new2(s, a, b); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
  "slots2-empty"(c, n) {
    const x = c.x;
    const s = c.S.id;
    let prev = x.inst_new(s);
    for (let i = 0; i < n; i++) { const o = x.inst_new(s); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
  inst1(c, n) {
    const { x, a, nameA } = c;
    const p = c.P.id;
    let prev = x.inst_new(p);
    x.attr_set(prev, nameA, a);
    for (let i = 0; i < n; i++) { const o = x.inst_new(p); x.attr_set(o, nameA, a); x.obj_decref(prev); prev = o; }
    x.obj_decref(prev);
  },
};

// ---- V8: plain JS values ----------------------------------------------------------------
// Each new value is stored in `sink` (module scope: it escapes, so V8 must allocate it)
// and replaced two steps later, as CPython's x is rebound.
const sink: unknown[] = [{}, {}];
class S2 { a: unknown; b: unknown; constructor(a?: unknown, b?: unknown) { this.a = a; this.b = b; } }
class P1 { a: unknown; constructor(a: unknown) { this.a = a; } }
const va = { v: 1000 }, vb = { v: 2000 };
const bigs = [1000n, 1001n], one = 1n;
const floats = [1.5, 2.5], g = 1.0;
const strs = ["ab", "cd"], tail = "cd";

const V8: Record<ObjectWorkload, (n: number) => void> = {
  int(n) { for (let i = 0; i < n; i++) sink[i & 1] = bigs[i & 1] + one; },
  float(n) { for (let i = 0; i < n; i++) sink[i & 1] = floats[i & 1] + g; },
  str(n) { for (let i = 0; i < n; i++) sink[i & 1] = strs[i & 1] + tail; },
  tuple2(n) { for (let i = 0; i < n; i++) sink[i & 1] = [va, vb]; },
  list1(n) { for (let i = 0; i < n; i++) sink[i & 1] = [va]; },
  dict0(n) { for (let i = 0; i < n; i++) sink[i & 1] = new Map(); },
  slots2(n) { for (let i = 0; i < n; i++) sink[i & 1] = new S2(va, vb); },
  "slots2-empty"(n) { for (let i = 0; i < n; i++) sink[i & 1] = new S2(); },
  inst1(n) { for (let i = 0; i < n; i++) sink[i & 1] = new P1(va); },
};
const V8_LOOP = (n: number) => { for (let i = 0; i < n; i++) sink[i & 1] = i; };

const V8_MAKE: Record<ObjectWorkload, (i: number) => unknown> = {
  int: (i) => bigs[i & 1] + one,
  float: (i) => floats[i & 1] + g,
  str: (i) => strs[i & 1] + tail,
  tuple2: () => [va, vb],
  list1: () => [va],
  dict0: () => new Map(),
  slots2: () => new S2(va, vb),
  "slots2-empty": () => new S2(),
  inst1: () => new P1(va),
};

let forceGC: (() => void) | undefined;
function v8gc(): (() => void) | undefined {
  if (!forceGC) {
    try {
      v8.setFlagsFromString("--expose-gc");
      forceGC = vm.runInNewContext("gc") as () => void;
    } catch {
      return undefined;
    }
  }
  return forceGC;
}

function v8Bytes(w: ObjectWorkload, n: number): number | undefined {
  const gc = v8gc();
  if (!gc) return undefined;
  const make = V8_MAKE[w];
  const keep: unknown[] = new Array(n).fill(va); // generic elements: doubles get boxed
  gc();
  gc();
  const h0 = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < n; i++) keep[i] = make(i);
  gc();
  gc();
  const h1 = v8.getHeapStatistics().used_heap_size;
  if (keep.length !== n) throw new Error("unreachable");
  return (h1 - h0) / n;
}

// ---- pyheap: bytes per object -------------------------------------------------------------
const RAW_MAKE: Record<ObjectWorkload, (c: Ctx) => number> = {
  int: (c) => c.raw.int(1001),
  float: (c) => c.raw.float(2.5),
  str: (c) => c.raw.str("abcd"),
  tuple2: (c) => c.raw.tuple([c.a, c.b]),
  list1: (c) => { const l = c.raw.list(1); c.raw.append(l, c.a); return l; },
  dict0: (c) => c.raw.dict(),
  slots2: (c) => c.raw.new2(c.S.id, c.a, c.b),
  "slots2-empty": (c) => c.raw.new(c.S.id),
  inst1: (c) => { const o = c.raw.new(c.P.id); c.raw.setattr(o, "a", c.a); return o; },
};

function heapBytes(heap: Heap): number {
  const s = heap.mem.stats();
  return s.bytes.allocatedBlocks + s.large.bytes;
}

function pyheapBytes(c: Ctx, w: ObjectWorkload, n: number): { bytes: number; sizeof: number } {
  const { heap, raw } = c;
  heap.sys.clearFreelists(); // every object below comes from the allocator
  const keep = new Uint32Array(n);
  const b0 = heapBytes(heap);
  for (let i = 0; i < n; i++) keep[i] = RAW_MAKE[w](c);
  const b1 = heapBytes(heap);
  const h = raw.handle(keep[0]);
  const sizeof = heap.sys.getsizeof(h);
  h.release();
  for (let i = n - 1; i >= 0; i--) raw.decref(keep[i]);
  heap.sys.clearFreelists();
  if (heapBytes(heap) !== b0) throw new Error(`${w}: ${heapBytes(heap) - b0} bytes left allocated after freeing`);
  return { bytes: (b1 - b0) / n, sizeof };
}

// ---- timing ---------------------------------------------------------------------------------
const MITATA = { min_samples: 0, max_samples: 0, min_cpu_time: 0, warmup_samples: 0, batch_samples: 1, batch_unroll: 1 };

/**
 * Median ns per op of run() over `runs` samples (prepare() untimed before each).
 * warm(), when given, runs first, untimed: 20 short calls, so that V8 optimizes the
 * loop function as a whole, not only the loop it entered by on-stack replacement.
 */
async function timeIt(runs: number, ops: number, run: () => void, prepare?: () => void, warm?: () => void): Promise<number> {
  if (warm) for (let i = 0; i < 20; i++) warm();
  const stats = await measure(
    function* () {
      yield {
        [0]() {
          prepare?.();
          return 0;
        },
        bench(_: number) {
          run();
        },
      };
    },
    // mitata's own first call (untimed) is one more warm-up round. A full GC before and
    // after each sample (untimed): no sample pays for the JS garbage of another one
    { ...MITATA, min_samples: runs, max_samples: runs, ...(forceGC ? { gc: forceGC, inner_gc: true } : {}) },
  );
  return stats.p50 / ops;
}

// ---- cascade --------------------------------------------------------------------------------
/** root = [[[] for _ in range(inner)] for _ in range(outer)] through heap.raw; returns the root's id. */
function buildCascade(raw: Raw, outer: number, inner: number): number {
  const root = raw.list();
  for (let i = 0; i < outer; i++) {
    const l = raw.list();
    for (let j = 0; j < inner; j++) {
      const e = raw.list();
      raw.append(l, e);
      raw.decref(e);
    }
    raw.append(root, l);
    raw.decref(l);
  }
  return root;
}

// ---- CPython ---------------------------------------------------------------------------------
interface PyOut {
  python: string;
  implementation: string;
  emptyLoopNs: number | null;
  workloads: Partial<Record<ObjectWorkload, {
    expr: string; nsPerOp: number; tracemalloc: number; blocks: number | null; getsizeof: number;
  }>>;
  cascade: { objects: number; nsPerObject: number };
}

function runPython(opts: Options, only: readonly ObjectWorkload[]): PyOut | string {
  const script = fileURLToPath(new URL("../bench/peers/objects.py", import.meta.url));
  const args = [script, "--runs", String(opts.runs), "--scale", String(opts.scale), "--only", only.join(",")];
  const r = spawnSync(opts.python, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${opts.python} not found` : `${opts.python} failed to start: ${r.error.message}`;
  }
  if (r.status !== 0) return `${opts.python} ${script} exited with status ${r.status ?? r.signal}`;
  try {
    return JSON.parse(r.stdout) as PyOut;
  } catch {
    return `${opts.python} printed no JSON`;
  }
}

// ---- the suite --------------------------------------------------------------------------------
const fmt = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(n < 10 ? 2 : 1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !(b > 0) ? "–" : `${(a / b).toFixed(2)}x`;
const say = (s: string) => process.stderr.write(`  ${s}\n`);

export async function objects(opts: Options): Promise<{ results: Result[]; report: string }> {
  const n = Math.max(1, Math.round(1_000_000 * opts.scale));
  const warmN = 20_000; // x 20 calls: V8 optimizes each loop function as a whole, at any scale
  v8gc(); // a forced GC around each sample, and V8's bytes per object
  const onlyList = opts.only?.split(",").map((s) => s.trim());
  // the slots goal compares against CPython's S(): measure it with the 2-slot instance
  if (onlyList?.includes("slots2") && !onlyList.includes("slots2-empty")) onlyList.push("slots2-empty");
  const picked = (w: string) => !onlyList || onlyList.includes(w);
  const work = OBJECT_WORKLOADS.filter(picked);
  const results: Result[] = [];
  const get = (w: Workload, impl: Impl) => results.find((r) => r.workload === w && r.impl === impl);

  // pyheap: handle, raw, exports; and bytes per object
  for (const w of work) {
    const c = await context();
    const impls: [Impl, Loop][] = [["handle", HANDLE[w]], ["raw", RAW[w]]];
    if (w === "slots2") impls.push(["raw-setslot", RAW_SETSLOT]);
    if (EXPORTS[w]) impls.push(["exports", EXPORTS[w]]);
    const kindName = IN_WASM[w];
    // the in-wasm loop is an export of the benchmark engine only: its own heap
    const cw = kindName === undefined ? undefined : await context("bench");
    if (cw) {
      const objectPairs = benchExports(cw.heap).bench_object_pairs;
      const kind = benchConstant(cw.heap, kindName!);
      impls.push(["wasm", (cx, k) => void objectPairs(kind, cx.S.id, k)]);
    }
    for (const [impl, loop] of impls) {
      const cx = impl === "wasm" ? cw! : c;
      const blocks0 = heapBytes(cx.heap);
      const ns = await timeIt(opts.runs, n, () => loop(cx, n), undefined, () => loop(cx, warmN));
      if (heapBytes(cx.heap) > blocks0 + 4096) throw new Error(`${w}/${impl}: objects leaked`);
      results.push({ workload: w, impl, nsPerOp: ns });
      say(`${w} ${impl}: ${fmt(ns)} ns`);
    }
    if (cw) {
      if (cw.heap.mem.check() !== 0) throw new Error(`heap invariant broken after ${w}/wasm`);
      cw.heap.close();
    }
    const { bytes, sizeof } = pyheapBytes(c, w, n);
    Object.assign(get(w, "raw")!, { bytesPerObject: bytes, getsizeof: sizeof });
    if (c.heap.mem.check() !== 0) throw new Error(`heap invariant broken after ${w}`);
    c.heap.close();
  }

  // V8
  const v8loop = work.length ? await timeIt(opts.runs, n, () => V8_LOOP(n), undefined, () => V8_LOOP(warmN)) : undefined;
  for (const w of work) {
    const loop = V8[w];
    const ns = await timeIt(opts.runs, n, () => loop(n), undefined, () => loop(warmN));
    results.push({ workload: w, impl: "v8", nsPerOp: ns, bytesPerObject: v8Bytes(w, n) });
    say(`${w} v8: ${fmt(ns)} ns`);
  }

  // the cascade, through heap.raw
  const outer = Math.max(1, Math.round(1000 * opts.scale)), inner = 999;
  const cascadeObjects = 1 + outer + outer * inner;
  if (picked("cascade")) {
    using heap = await Heap.create();
    const raw = heap.raw;
    const before = heapBytes(heap);
    let root = 0;
    const ns = await timeIt(opts.runs, cascadeObjects, () => {
      raw.decref(root);
      root = 0;
    }, () => {
      if (root) raw.decref(root);
      root = buildCascade(raw, outer, inner);
    });
    if (root) raw.decref(root);
    heap.sys.clearFreelists();
    if (heapBytes(heap) !== before) throw new Error("cascade: objects left allocated");
    if (heap.mem.check() !== 0) throw new Error("heap invariant broken after the cascade");
    results.push({ workload: "cascade", impl: "raw", nsPerOp: ns });
    say(`cascade raw: ${fmt(ns)} ns per object`);
  }

  // CPython, in a subprocess (after the JS runs: nothing else competes for the 2 cores)
  let py: PyOut | undefined;
  let pyMissing = "";
  if (!opts.cpython) pyMissing = "CPython skipped (--no-cpython)";
  else {
    const out = runPython(opts, work);
    if (typeof out === "string") pyMissing = `CPython rows skipped: ${out} (install python3, or pass --python <cmd>)`;
    else py = out;
  }
  if (py) {
    for (const w of work) {
      const p = py.workloads[w];
      if (!p) continue;
      results.push({
        workload: w, impl: "cpython", nsPerOp: p.nsPerOp, bytesPerObject: p.blocks ?? undefined,
        getsizeof: p.getsizeof, tracemallocBytes: p.tracemalloc,
      });
    }
    if (picked("cascade")) results.push({ workload: "cascade", impl: "cpython", nsPerOp: py.cascade.nsPerObject });
  }

  // ---- report ----
  const ns = (w: Workload, impl: Impl) => get(w, impl)?.nsPerOp;
  let out = "";
  const pyName = py ? `CPython ${py.python}` : "CPython";
  out += `ns per object created and freed (\`x = <new object>\` in a loop: the previous one is freed)\n\n`;
  out += `| workload | handle | raw | raw.exports | in wasm | ${pyName} | V8 | CPython/handle | CPython/raw | CPython/exports | CPython/wasm | V8/raw |\n`;
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  const row = (label: string, w: ObjectWorkload, rawImpl: Impl, withOthers: boolean) => {
    const h = withOthers ? ns(w, "handle") : undefined, r = ns(w, rawImpl), e = withOthers ? ns(w, "exports") : undefined;
    const m = withOthers ? ns(w, "wasm") : undefined;
    const c = ns(w, "cpython"), v = withOthers ? ns(w, "v8") : undefined;
    out += `| ${label} | ${fmt(h)} | ${fmt(r)} | ${fmt(e)} | ${fmt(m)} | ${fmt(c)} | ${fmt(v)} | ${ratio(c, h)} | ${ratio(c, r)} | ${ratio(c, e)} | ${ratio(c, m)} | ${ratio(v, r)} |\n`;
  };
  for (const w of work) {
    row(LABEL[w] + (w === "slots2" ? " (raw.new2)" : ""), w, "raw", true);
    if (w === "slots2") row(LABEL[w] + " (raw.new + 2 setslot)", w, "raw-setslot", false);
  }
  out += "\n";
  out += "| workload | handle API | heap.raw | raw.exports | CPython | V8 |\n|---|---|---|---|---|---|\n";
  for (const w of work) {
    const d = WHAT[w];
    out += `| ${LABEL[w]} | \`${d.handle}\` | \`${d.raw}\` | ${d.exports === "–" ? "–" : `\`${d.exports}\``} | \`${py?.workloads[w]?.expr ?? "–"}\` | \`${d.v8}\` |\n`;
  }
  out += "\nJS rows include their loop; the JS loop alone (a store per step) costs " +
    `${fmt(v8loop)} ns. CPython rows are net of its empty loop (\`for _ in repeat(None, n): pass\`` +
    `${py?.emptyLoopNs ? `, ${fmt(py.emptyLoopNs)} ns` : ""}). A = heap.int(1000), B = heap.int(2000); a, b their ids.\n\n`;

  out += "bytes per object (1M objects kept alive)\n\n";
  out += "| workload | pyheap getsizeof | pyheap blocks | CPython getsizeof | CPython blocks | CPython tracemalloc | V8 heap | pyheap/CPython blocks | pyheap/CPython tracemalloc |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const w of work) {
    const p = get(w, "raw"), c = get(w, "cpython"), v = get(w, "v8");
    out += `| ${LABEL[w]} | ${p?.getsizeof ?? "–"} | ${fmt(p?.bytesPerObject)} | ${c?.getsizeof ?? "–"} | ${fmt(c?.bytesPerObject)} | ` +
      `${fmt(c?.tracemallocBytes)} | ${fmt(v?.bytesPerObject)} | ${ratio(p?.bytesPerObject, c?.bytesPerObject)} | ` +
      `${ratio(p?.bytesPerObject, c?.tracemallocBytes)} |\n`;
  }
  out += "\nblocks: bytes in allocated blocks (pyheap: heap.mem.stats(), 8-byte size classes; CPython: " +
    "sys._debugmallocstats(), 16-byte classes), delta per object. tracemalloc: requested bytes (GC head included). " +
    "V8: used_heap_size delta after a forced GC (pointer compression: 4-byte fields).\n\n";

  const cr = ns("cascade", "raw"), cc = ns("cascade", "cpython");
  if (picked("cascade")) {
    out += `cascade: dropping a list of ${outer.toLocaleString("en-US")} lists of ${inner} empty lists ` +
      `(${cascadeObjects.toLocaleString("en-US")} objects): pyheap raw.decref ${fmt(cr)} ns per object, ` +
      `CPython \`del root\` ${fmt(cc)} ns per object (CPython/pyheap ${ratio(cc, cr)})\n\n`;
  }

  // ---- goals ----
  const verdict = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "met" : "**NOT met**");
  out += "goals:\n";
  if (picked("slots2")) {
    const r = ns("slots2", "raw"), bare = ns("slots2-empty", "cpython"), init = ns("slots2", "cpython");
    const e = ns("slots2", "exports");
    const ok = r !== undefined && bare !== undefined ? bare / r >= 3 : undefined;
    if (ok === undefined) out += `- 2-slot instance via heap.raw (raw.new2) at least 3x faster than CPython's S(): not measured (no CPython figures)\n`;
    else out += `- 2-slot instance via heap.raw (raw.new2) at least 3x faster than CPython's S(): ${verdict(ok)} — ` +
      `${fmt(r)} ns vs S() ${fmt(bare)} ns = ${ratio(bare, r)} (S() with slots unset, peers.md's 44-47 ns); ` +
      `like for like, vs S(a, b) whose __init__ sets both slots: ${fmt(init)} ns = ${ratio(init, r)}; ` +
      `raw.exports' inst_new2 + obj_decref: ${fmt(e)} ns = ${ratio(bare, e)} S()\n`;
  }
  {
    const rows = work.map((w) => ({ w, p: get(w, "raw")?.bytesPerObject, c: get(w, "cpython")?.bytesPerObject, t: get(w, "cpython")?.tracemallocBytes }));
    const have = rows.filter((r) => r.p !== undefined && r.c !== undefined);
    if (have.length) {
      // sizes differ by multiples of 8 bytes; the measurements carry ~0.001 B of noise per
      // object (unrelated allocations during the fill): compare with 0.05 B of slack
      const over = (p: number, c: number) => p > c / 2 + 0.05;
      const missB = have.filter((r) => over(r.p!, r.c!)), missT = have.filter((r) => r.t !== undefined && over(r.p!, r.t));
      const list = (m: typeof rows, key: "c" | "t") => m.map((r) => `${r.w} ${(r.p! / r[key]!).toFixed(2)}`).join(", ");
      out += `- bytes per object at most half of CPython's: ${verdict(missB.length === 0)} against CPython's allocated blocks` +
        `${missB.length ? ` (over half: ${list(missB, "c")})` : ` (all ${have.length} workloads)`}; ` +
        `against tracemalloc's requested bytes: ${missT.length ? `over half for ${list(missT, "t")}` : "all at most half"}\n`;
    } else out += "- bytes per object at most half of CPython's: not measured\n";
  }
  if (picked("cascade")) out += `- refcount cascade at most 5 ns per object: ${verdict(cr === undefined ? undefined : cr <= 5)} — ${fmt(cr)} ns\n`;
  out += `\nmedians of ${opts.runs} runs, ${n.toLocaleString("en-US")} objects per sample (scale ${opts.scale}), ` +
    `node ${process.version}${py ? `, ${py.implementation} ${py.python}` : ""}\n`;
  if (pyMissing) out += `${pyMissing}\n`;
  return { results, report: out };
}
