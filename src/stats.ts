/**
 * Allocator statistics as an object, and the report of CPython's
 * sys._debugmallocstats() built from them. The engine walks its structures
 * (assembly/alloc/stats.ts); this file only reads the numbers and presents them.
 */
import type { Engine } from "./engine.js";

export const ALIGNMENT = 8;
export const SMALL_REQUEST_THRESHOLD = 512;
export const NB_SMALL_SIZE_CLASSES = 64;
export const POOL_SIZE = 16384;
export const ARENA_SIZE = 1048576;
export const POOL_OVERHEAD = 48;
export const MAX_POOLS_IN_ARENA = 64;
/** TLSF's header in front of every block of the page layer. */
const BLOCK_OVERHEAD = 4;

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

const G = NB_SMALL_SIZE_CLASSES * 3;

export function readStats(engine: Engine): MallocStats {
  const base = engine.exports.stats_collect() >>> 3;
  const f = engine.f64;
  const g = (i: number) => f[base + G + i];
  const classes: SizeClassStats[] = [];
  let allocatedBlocks = 0, availableBlocks = 0, poolHeaders = 0, quantization = 0, blocksInUse = 0;
  for (let c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    const size = (c + 1) * ALIGNMENT;
    const s: SizeClassStats = {
      index: c, size,
      pools: f[base + 3 * c], blocksInUse: f[base + 3 * c + 1], blocksAvailable: f[base + 3 * c + 2],
    };
    classes.push(s);
    allocatedBlocks += s.blocksInUse * size;
    availableBlocks += s.blocksAvailable * size;
    poolHeaders += s.pools * POOL_OVERHEAD;
    quantization += s.pools * ((POOL_SIZE - POOL_OVERHEAD) % size);
    blocksInUse += s.blocksInUse;
  }
  const current = g(1);
  const unusedPools = g(3);
  const unusedPoolBytes = unusedPools * POOL_SIZE;
  const arenaAlignment = g(4) * POOL_SIZE;
  const rawBlocks = g(5);
  const committed = g(9);
  const free = g(11);
  return {
    alignment: ALIGNMENT,
    smallRequestThreshold: SMALL_REQUEST_THRESHOLD,
    numSizeClasses: NB_SMALL_SIZE_CLASSES,
    poolSize: POOL_SIZE,
    arenaSize: ARENA_SIZE,
    poolOverhead: POOL_OVERHEAD,
    classes,
    arenas: { allocatedTotal: g(0), reclaimed: g(0) - current, highWater: g(2), current, slots: g(16) },
    bytes: {
      allocatedBlocks, availableBlocks, unusedPools, unusedPoolBytes, poolHeaders, quantization, arenaAlignment,
      total: allocatedBlocks + availableBlocks + unusedPoolBytes + poolHeaders + quantization + arenaAlignment,
    },
    large: { blocks: rawBlocks, bytes: g(6) - rawBlocks * BLOCK_OVERHEAD },
    allocatedBlocks: blocksInUse + rawBlocks,
    memory: {
      committed, max: g(14), inUse: committed - free, static: g(10),
      arenas: g(7), large: g(6), tables: g(8), free, freeBlocks: g(12), largestFree: g(13),
    },
    arenaMapBytes: g(15),
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
  const out: ArenaPicture[] = [];
  const slots = engine.exports.arena_slots();
  for (let i = 0; i < slots; i++) {
    const ptr = engine.exports.arena_describe(i);
    if (!ptr) continue;
    const base = ptr >>> 2;
    const pools: ArenaPicture["pools"] = [];
    for (let k = 0; k < MAX_POOLS_IN_ARENA; k++) {
      const v = engine.i32[base + k];
      if (v === -1) pools.push({ state: "virgin" });
      else if (v === -2) pools.push({ state: "empty" });
      else if (v === -3) pools.push({ state: "alignment" });
      else {
        const sizeClass = v >>> 16, blocksInUse = v & 0xffff, blockSize = (sizeClass + 1) * ALIGNMENT;
        const capacity = Math.floor((POOL_SIZE - POOL_OVERHEAD) / blockSize);
        pools.push({ state: blocksInUse === capacity ? "full" : "used", sizeClass, blockSize, blocksInUse, capacity });
      }
    }
    out.push({ index: i, address: engine.exports.arena_address(i) >>> 0, pools });
  }
  return out;
}
