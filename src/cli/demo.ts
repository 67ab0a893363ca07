/**
 * `pyheap demo`: a guided tour. For now, of the allocator: a realistic mix of
 * allocations, the pools and arenas they fill, frees that empty pools and release
 * arenas, and CPython's sys._debugmallocstats() report for this heap.
 */
import { Heap } from "../node.js";
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
}
