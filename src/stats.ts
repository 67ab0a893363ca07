/**
 * Allocator statistics as an object, and the report of CPython's
 * sys._debugmallocstats() built from them. The engine walks its structures
 * (assembly/alloc/stats.ts); this file only reads the numbers and presents them.
 */
import { ENGINE_CONSTANTS as C } from "./abi.generated.js";
import type { Engine } from "./engine.js";

export interface SizeClassStats {
  /** Size class index (0..63). */
  index: number;
  /** Block size in bytes: (index + 1) * 8. */
  size: number;
  /** Pools currently serving this class (used or full). */
  pools: number;
  blocksInUse: number;
  /** Free blocks in this class's pools (carved or not yet carved). */
  blocksAvailable: number;
}

export interface MallocStats {
  alignment: number;
  smallRequestThreshold: number;
  numSizeClasses: number;
  poolSize: number;
  arenaSize: number;
  poolOverhead: number;
  /** All 64 size classes, including those with no pool. */
  classes: SizeClassStats[];
  arenas: {
    /** Arenas ever allocated (CPython's ntimes_arena_allocated). */
    allocatedTotal: number;
    /** Arenas released to the page layer (allocatedTotal - current). */
    reclaimed: number;
    highWater: number;
    current: number;
    /** Arena slots in the arena vector (it doubles, from 16). */
    slots: number;
  };
  /** The lines of CPython's report; they add up to arenas.current * arenaSize. */
  bytes: {
    allocatedBlocks: number;
    availableBlocks: number;
    unusedPools: number;
    unusedPoolBytes: number;
    poolHeaders: number;
    quantization: number;
    arenaAlignment: number;
    total: number;
  };
  /** Blocks of 0 or more than 512 bytes, served by the general allocator (TLSF). */
  large: { blocks: number; bytes: number };
  /** sys.getallocatedblocks(): pool blocks in use plus large blocks. */
  allocatedBlocks: number;
  /** The wasm memory as a whole. */
  memory: {
    /** Bytes grown so far; wasm memory never shrinks. */
    committed: number;
    /** The cap (maxMemory), or 4 GiB. */
    max: number;
    /** Committed bytes not in a free block of the page layer. */
    inUse: number;
    /** Static data and the page layer's root. */
    static: number;
    /** Bytes of the page layer held by arenas, large blocks, and the allocator's tables (headers included). */
    arenas: number;
    large: number;
    tables: number;
    /** Free bytes in the page layer, reusable by arenas and large blocks before memory grows. */
    free: number;
    freeBlocks: number;
    /**
     * The largest free block. TLSF looks for blocks one size bucket above the
     * request, so a request may fail when it is within 1/16 of this size.
     */
    largestFree: number;
  };
  arenaMapBytes: number;
}

/** The scalars after the per-class triples in the engine's stats buffer (assembly/alloc/stats.ts G_*). */
const Global = {
  ArenasTotal: C.G_ARENAS_TOTAL, ArenasCurrent: C.G_ARENAS_CURRENT, ArenasHighwater: C.G_ARENAS_HIGHWATER,
  UnusedPools: C.G_UNUSED_POOLS, UnalignedArenas: C.G_UNALIGNED_ARENAS, RawBlocks: C.G_RAW_BLOCKS,
  LargeBytes: C.G_LARGE_BYTES, ArenaBytes: C.G_ARENA_BYTES, TableBytes: C.G_TABLE_BYTES, Committed: C.G_COMMITTED,
  Static: C.G_STATIC, FreeBytes: C.G_FREE_BYTES, FreeBlocks: C.G_FREE_BLOCKS, FreeLargest: C.G_FREE_LARGEST,
  CapBytes: C.G_CAP_BYTES, ArenaMapBytes: C.G_ARENA_MAP_BYTES, ArenaSlots: C.G_ARENA_SLOTS, LargeHeld: C.G_LARGE_HELD,
} as const;
type Global = (typeof Global)[keyof typeof Global];

export function readStats(engine: Engine): MallocStats {
  const { alignment, smallRequestThreshold, numSizeClasses, poolSize, poolOverhead, arenaSize } = engine.layout;
  const base = engine.exports.stats_collect() >>> 3;
  const f = engine.f64;
  const g = (i: Global) => f[base + C.STATS_GLOBALS + i];
  const classes: SizeClassStats[] = [];
  let allocatedBlocks = 0, availableBlocks = 0, poolHeaders = 0, quantization = 0, blocksInUse = 0;
  for (let c = 0; c < numSizeClasses; c++) {
    const size = (c + 1) * alignment;
    const s: SizeClassStats = {
      index: c, size,
      pools: f[base + 3 * c], blocksInUse: f[base + 3 * c + 1], blocksAvailable: f[base + 3 * c + 2],
    };
    classes.push(s);
    allocatedBlocks += s.blocksInUse * size;
    availableBlocks += s.blocksAvailable * size;
    poolHeaders += s.pools * poolOverhead;
    quantization += s.pools * ((poolSize - poolOverhead) % size);
    blocksInUse += s.blocksInUse;
  }
  const current = g(Global.ArenasCurrent);
  const unusedPools = g(Global.UnusedPools);
  const unusedPoolBytes = unusedPools * poolSize;
  const arenaAlignment = g(Global.UnalignedArenas) * poolSize;
  const rawBlocks = g(Global.RawBlocks);
  const committed = g(Global.Committed);
  const free = g(Global.FreeBytes);
  return {
    alignment, smallRequestThreshold, numSizeClasses, poolSize, arenaSize, poolOverhead,
    classes,
    arenas: {
      allocatedTotal: g(Global.ArenasTotal), reclaimed: g(Global.ArenasTotal) - current,
      highWater: g(Global.ArenasHighwater), current, slots: g(Global.ArenaSlots),
    },
    bytes: {
      allocatedBlocks, availableBlocks, unusedPools, unusedPoolBytes, poolHeaders, quantization, arenaAlignment,
      total: allocatedBlocks + availableBlocks + unusedPoolBytes + poolHeaders + quantization + arenaAlignment,
    },
    large: { blocks: rawBlocks, bytes: g(Global.LargeBytes) },
    allocatedBlocks: blocksInUse + rawBlocks,
    memory: {
      committed, max: g(Global.CapBytes), inUse: committed - free, static: g(Global.Static),
      arenas: g(Global.ArenaBytes), large: g(Global.LargeHeld), tables: g(Global.TableBytes),
      free, freeBlocks: g(Global.FreeBlocks), largestFree: g(Global.FreeLargest),
    },
    arenaMapBytes: g(Global.ArenaMapBytes),
  };
}

const num = (n: number) => n.toLocaleString("en-US");

/** CPython's printone: label left-justified, '=', the value right-aligned with commas. */
function line(label: string, value: number): string {
  return `${label.padEnd(35)}=${num(value).padStart(21)}\n`;
}

/** The report of sys._debugmallocstats(), with this heap's numbers. */
export function formatDebugMallocStats(s: MallocStats): string {
  let out = `Small block threshold = ${s.smallRequestThreshold}, in ${s.numSizeClasses} size classes.\n\n`;
  out += "class   size   num pools   blocks in use  avail blocks\n";
  out += "-----   ----   ---------   -------------  ------------\n";
  for (const c of s.classes) {
    if (!c.pools) continue;
    out += `${String(c.index).padStart(5)} ${String(c.size).padStart(6)} ${String(c.pools).padStart(11)} ` +
      `${String(c.blocksInUse).padStart(15)} ${String(c.blocksAvailable).padStart(13)}\n`;
  }
  out += "\n";
  out += line("# arenas allocated total", s.arenas.allocatedTotal);
  out += line("# arenas reclaimed", s.arenas.reclaimed);
  out += line("# arenas highwater mark", s.arenas.highWater);
  out += line("# arenas allocated current", s.arenas.current);
  out += line(`${s.arenas.current} arenas * ${s.arenaSize} bytes/arena`, s.arenas.current * s.arenaSize);
  out += "\n";
  out += line("# bytes in allocated blocks", s.bytes.allocatedBlocks);
  out += line("# bytes in available blocks", s.bytes.availableBlocks);
  out += line(`${s.bytes.unusedPools} unused pools * ${s.poolSize} bytes`, s.bytes.unusedPoolBytes);
  out += line("# bytes lost to pool headers", s.bytes.poolHeaders);
  out += line("# bytes lost to quantization", s.bytes.quantization);
  out += line("# bytes lost to arena alignment", s.bytes.arenaAlignment);
  out += line("Total", s.bytes.total);
  out += "\n";
  // CPython's radix tree becomes one flat table on wasm32 (assembly/alloc/arena.ts).
  out += "arena map counts\n";
  out += line("# arena map mid nodes", 0);
  out += line("# arena map bot nodes", 1);
  out += "\n";
  out += line("# bytes lost to arena map root", 0);
  out += line("# bytes lost to arena map mid", 0);
  out += line("# bytes lost to arena map bot", s.arenaMapBytes);
  out += line("Total", s.arenaMapBytes);
  out += "\n";
  out += "pyheap large blocks and memory\n";
  out += line("# large blocks (0 or > 512 bytes)", s.large.blocks);
  out += line("# bytes in large blocks", s.large.bytes);
  out += line("# bytes of memory committed", s.memory.committed);
  out += line("# bytes of memory in use", s.memory.inUse);
  out += line("# bytes free for reuse", s.memory.free);
  out += line("# bytes of memory maximum", s.memory.max);
  return out;
}

/** One arena slot, pool by pool (see assembly/alloc/stats.ts arenaDescribe). */
export interface ArenaPicture {
  /** Slot in the arena vector. */
  index: number;
  /** Address of the arena's 1 MiB block. */
  address: number;
  pools: Array<
    | { state: "virgin" | "empty" | "alignment" }
    | { state: "used" | "full"; sizeClass: number; blockSize: number; blocksInUse: number; capacity: number }
  >;
}

export function readArenas(engine: Engine): ArenaPicture[] {
  const { alignment, poolSize, poolOverhead, maxPoolsInArena } = engine.layout;
  const out: ArenaPicture[] = [];
  const slots = engine.exports.arena_slots();
  for (let i = 0; i < slots; i++) {
    const ptr = engine.exports.arena_describe(i);
    if (!ptr) continue;
    const base = ptr >>> 2;
    const pools: ArenaPicture["pools"] = [];
    for (let k = 0; k < maxPoolsInArena; k++) {
      const v = engine.i32[base + k];
      if (v === -1) pools.push({ state: "virgin" });
      else if (v === -2) pools.push({ state: "empty" });
      else if (v === -3) pools.push({ state: "alignment" });
      else {
        const sizeClass = v >>> 16, blocksInUse = v & 0xffff, blockSize = (sizeClass + 1) * alignment;
        const capacity = Math.floor((poolSize - poolOverhead) / blockSize);
        pools.push({ state: blocksInUse === capacity ? "full" : "used", sizeClass, blockSize, blocksInUse, capacity });
      }
    }
    out.push({ index: i, address: engine.exports.arena_address(i) >>> 0, pools });
  }
  return out;
}
