/**
 * `pyheap demo`: a guided tour. First the allocator: a realistic mix of allocations,
 * the pools and arenas they fill, frees that empty pools and release arenas, and
 * CPython's sys._debugmallocstats() report for this heap. Then objects: reference
 * counts rising and falling as names bind and unbind, a list freed the moment its
 * last name lets go, and what __slots__ saves.
 */
import { Leaks, Heap, type Ref } from "../node.js";
import { renderArenas, type Glyphs } from "./picture.js";

export interface DemoOptions {
  seed: number;
  blocks: number;
  glyphs: Glyphs;
  write: (s: string) => void;
  progress?: (label: string, total: number) => { update(n: number): void; stop(): void };
}

/** Sizes as a Python program asks for them: mostly small objects, some buffers. */
function sizeMix(rand: () => number): number {
  const r = rand();
  if (r < 0.35) return 16 + Math.floor(rand() * 17);        // ints, floats, small tuples
  if (r < 0.65) return 33 + Math.floor(rand() * 32);        // instances, short strings
  if (r < 0.85) return 65 + Math.floor(rand() * 128);       // lists, dicts, str
  if (r < 0.98) return 193 + Math.floor(rand() * 320);      // larger dicts, item arrays
  return 513 + Math.floor(rand() * 8000);                   // buffers: the general allocator
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

const kib = (n: number) => `${(n / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 })} KiB`;

export async function demo(o: DemoOptions): Promise<void> {
  const w = o.write;
  const rand = xorshift(o.seed);
  using heap = await Heap.create();
  const summary = (title: string) => {
    const s = heap.mem.stats();
    w(`\n== ${title}\n`);
    w(`  blocks in use ${heap.sys.getallocatedblocks().toLocaleString("en-US")}` +
      ` (${s.large.blocks.toLocaleString("en-US")} large)` +
      `, arenas ${s.arenas.current} (highwater ${s.arenas.highWater}, reclaimed ${s.arenas.reclaimed})` +
      `, memory committed ${kib(s.memory.committed)}, in use ${kib(s.memory.inUse)}, free for reuse ${kib(s.memory.free)}\n`);
    w(renderArenas(heap.mem.arenas(), o.glyphs));
  };

  w("pyheap demo: CPython's pymalloc, rebuilt in WebAssembly\n");
  w("  64 size classes of 8 bytes up to 512; 16 KiB pools of one class; 1 MiB arenas of 64 pools.\n");
  w("  Larger requests go to a general allocator (TLSF). Each character below is one pool.\n");

  const ptrs: number[] = [];
  const bar = o.progress?.("allocating", o.blocks);
  for (let i = 0; i < o.blocks; i++) {
    const n = sizeMix(rand);
    const p = heap.mem.malloc(n);
    heap.mem.view(p, Math.min(n, 8)).fill(i & 0xff);
    ptrs.push(p);
    if (bar && i % 4096 === 0) bar.update(i);
  }
  bar?.update(o.blocks);
  bar?.stop();
  summary(`1. ${o.blocks.toLocaleString("en-US")} blocks allocated: arenas fill from the first, pool by pool`);

  // Free 70% at random: pools go from full to used, some become empty.
  for (let i = ptrs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [ptrs[i], ptrs[j]] = [ptrs[j], ptrs[i]];
  }
  const keep = Math.floor(ptrs.length * 0.3);
  for (const p of ptrs.splice(keep)) heap.mem.free(p);
  summary("2. 70% freed at random: pools are partly used, empty pools wait in their arena");

  w("\n== sys._debugmallocstats() at this point\n\n");
  w(heap.sys.debugmallocstats());

  // Allocate again: the most used arenas are filled first (usable_arenas order).
  for (let i = 0; i < keep; i++) ptrs.push(heap.mem.malloc(sizeMix(rand)));
  summary("3. as many allocated again: they go to the used pools of the fullest arenas first");

  // Keep only the 2,000 blocks at the lowest addresses (they sit in the first arenas):
  // arenas that become wholly free are released, except one kept empty for reuse.
  ptrs.sort((a, b) => a - b);
  for (const p of ptrs.splice(2000)) heap.mem.free(p);
  summary("4. all but the 2,000 lowest blocks freed: wholly free arenas go back to the page layer, one empty arena is kept");

  for (const p of ptrs) heap.mem.free(p);
  const s = heap.mem.stats();
  summary("5. everything freed");
  w(`\n  The page layer now holds ${kib(s.memory.free)} free in ${s.memory.freeBlocks} block(s) ` +
    `(largest ${kib(s.memory.largestFree)}): wasm memory never shrinks, so later arenas and large blocks reuse it.\n`);
  const bad = heap.mem.check();
  w(`  heap invariants: ${bad === 0 ? "all hold" : `BROKEN (#${bad})`}\n`);
  if (bad) throw new Error(`heap invariant ${bad} broken`);
  await objectLessons(w);
}

/** The first lessons about objects: each handle is a name, like a Python variable. */
async function objectLessons(w: (s: string) => void): Promise<void> {
  using heap = await Heap.create();
  const rc = (r: Ref) => heap.sys.getrefcount(r);
  w("\n== 6. reference counts: every name (handle) and every container slot holding an object counts one\n\n");
  const list1 = heap.list([1, 2, 3]);
  w(`  >>> list1 = [1, 2, 3]              refcount ${rc(list1)}\n`);
  const list2 = list1.dup();
  w(`  >>> list2 = list1                  refcount ${rc(list1)}   (a second name)\n`);
  const outer = heap.list([list1]);
  w(`  >>> outer = [list1]                refcount ${rc(list1)}   (a list slot)\n`);
  outer.release();
  w(`  >>> del outer                      refcount ${rc(list1)}   (outer died, and dropped its slot)\n`);
  list2.release();
  w(`  >>> del list2                      refcount ${rc(list1)}\n`);
  w(`  (pyheap's getrefcount counts exactly the references; CPython's adds 1 for its own argument.\n`);
  w(`   Immortal objects such as None and small ints report ${heap.sys.getrefcount(null)}: their count never moves.)\n`);

  w("\n== 7. list1 = None frees the list at once: no collector needed when the count reaches 0\n\n");
  const freed: string[] = [];
  const Tracked = heap.defineClass("Tracked", { slots: ["name"], del: (self) => freed.push(self.getattr("name").toJS() as string) });
  // heap.scope releases the handles made inside it: the list keeps the only reference
  heap.scope(() => list1.append(Tracked.new({ name: "item in list1" })));
  const before = heap.sys.getallocatedblocks();
  w(`  list1 holds ${list1.length} items; ${before} blocks are allocated\n`);
  list1.release();
  w(`  >>> list1 = None\n`);
  const lists = heap.sys.freelists().list;
  w(`  at once: __del__ ran for [${freed.join(", ")}]; ${before - heap.sys.getallocatedblocks()} blocks went back to the allocator\n`);
  w(`  (the item and the item array; the list object itself waits on the list free list for the next list,\n`);
  w(`   as in CPython: ${lists} list${lists === 1 ? "" : "s"} there now)\n`);

  w("\n== 8. __slots__ saves memory (sys.getsizeof side by side)\n\n");
  const Plain = heap.defineClass("Plain");
  const Slotted = heap.defineClass("Slotted", { slots: ["x", "y"] });
  // a program makes many: past a class's first ~28 instances each has room for its shared
  // keys plus one (CPython 3.11's key sharing), which is what a million of them cost
  const many = Array.from({ length: 40 }, () => Plain.new({ x: 1, y: 2 }));
  const p = Plain.new({ x: 1, y: 2 });
  const q = Slotted.new({ x: 1, y: 2 });
  const sp = heap.sys.getsizeof(p), sq = heap.sys.getsizeof(q), first = heap.sys.getsizeof(many[0]);
  w(`  class Plain: x, y as values by the class's shared keys ${String(sp).padStart(4)} bytes   (CPython 3.11: 56 + 32 of values; the first instance: ${first})\n`);
  w(`  class Slotted: __slots__ = ("x", "y")                  ${String(sq).padStart(4)} bytes   (CPython 3.11: 48)\n`);
  w(`  a slotted instance is ${(sp / sq).toFixed(1)}x smaller here; a million of them take ${kib(sq * 1e6)} instead of ${kib(sp * 1e6)}.\n`);
  for (const x of many) x.release();
  p.release();
  q.release();
  await tracemallocLesson(w);
  await leakHunt(w);
}

/** tracemalloc: which line allocated what, as an interpreter driving heap.frames would see it. */
async function tracemallocLesson(w: (s: string) => void): Promise<void> {
  using heap = await Heap.create();
  w("\n== 9. tracemalloc: which line allocated the memory (heap.frames says where the program is)\n\n");
  w("  app.py:                                  an interpreter on pyheap calls, as it runs:\n");
  w("    1  def load(n):                          heap.frames.push(\"app.py\", 5) / push(\"app.py\", 2)\n");
  w("    2      rows = [[i + 0.5] for i in ...]   (allocations here are traced to line 2)\n");
  w("    3      index = {i: r for ...}           heap.frames.setLine(3)\n");
  w("    4      return rows, index               heap.frames.pop()\n");
  w("    5  data = load(2000)\n\n");
  heap.gc.collect();
  heap.tracemalloc.start(2);
  heap.frames.push("app.py", 5);
  heap.frames.push("app.py", 2);
  const rows = heap.from(Array.from({ length: 2000 }, (_, i) => [i + 0.5]));
  heap.frames.setLine(3);
  const index = heap.dict();
  for (let i = 0; i < 2000; i++) {
    const r = rows.get(i) as Ref;
    index.set(i, r);
    r.release();
  }
  heap.frames.pop();
  heap.frames.pop();
  const snap = heap.tracemalloc.takeSnapshot();
  w("  >>> for stat in tracemalloc.take_snapshot().statistics('lineno'): print(stat)\n");
  for (const stat of snap.statistics("lineno")) w(`  ${String(stat)}\n`);
  const [current, peak] = heap.tracemalloc.getTracedMemory();
  w(`  >>> tracemalloc.get_traced_memory()\n  (${current}, ${peak})\n`);
  w(`  (line 2: 2,001 lists, their item arrays and 2,000 floats; line 3: the dict, its table and the ints\n`);
  w(`   above 256 (small ints are immortal, never allocated). The peak is higher than the current figure:\n`);
  w(`   each time the dict's table grew, the old and the new table were both alive for a moment.\n`);
  w(`   The traces live in the engine: ${heap.tracemalloc.getTracemallocMemory().toLocaleString("en-US")} bytes of tracemalloc memory.)\n`);
  rows.release();
  index.release();
  heap.tracemalloc.stop();
}

/** A leak hunt: an unbounded cache found by showGrowth, explained by retainerPath, fixed with a WeakValueDictionary. */
async function leakHunt(w: (s: string) => void): Promise<void> {
  using heap = await Heap.create();
  w("\n== 10. a leak hunt: what grows, who holds it, and the fix\n\n");
  w("  cache = {}\n");
  w("  def handle(request_id):\n");
  w("      session = Session(user=request_id)    # (pyheap: a new int for the key and one for the attribute)\n");
  w("      cache[request_id] = session           # \"for speed\": every session is remembered\n\n");
  const Session = heap.defineClass("Session");
  const cache = heap.dict();
  const handle = (i: number, cached: { set(k: number, v: Ref): void }) => {
    const s = Session.new({ user: i });
    cached.set(i, s); // "for speed", every session is remembered
    s.release();      // the request ends: its handle goes
  };
  heap.leaks.showGrowth();
  for (let i = 0; i < 1000; i++) handle(1000 + i, cache);
  w("  after 1,000 requests:  >>> objgraph.show_growth()\n");
  for (const line of Leaks.formatGrowth(heap.leaks.showGrowth(3))) w(`    ${line}\n`);
  for (let i = 0; i < 1000; i++) handle(2000 + i, cache);
  w("  after 1,000 more:\n");
  for (const line of Leaks.formatGrowth(heap.leaks.showGrowth(3))) w(`    ${line}\n`);
  const one = cache.get(1500)!;
  w(`  why is a finished request's Session alive?  ${String(heap.leaks.retainerPath(one))}\n`);
  one.release();
  w("  the fix: a WeakValueDictionary keeps a session only while something else does\n");
  cache.release();
  const weak = heap.weakref.WeakValueDictionary();
  for (let i = 0; i < 1000; i++) handle(3000 + i, { set: (k, v) => weak.set(k, v) });
  w("  after 1,000 requests with the weak cache:\n");
  const grown = heap.leaks.showGrowth(3);
  w(grown.length ? Leaks.formatGrowth(grown).map((l) => `    ${l}\n`).join("") : "    (nothing grew)\n");
  w(`  the weak cache holds ${weak.length} entries: each went when its session did.\n`);
  weak.release();
}
