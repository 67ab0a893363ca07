// sys._debugmallocstats() in CPython's format, and the figures behind it.
import { describe, expect, it } from "vitest";
import { ARENA_SIZE, newHeap } from "../helpers.js";

describe("debugmallocstats", () => {
  it("prints CPython's report with this heap's numbers", async () => {
    using heap = await newHeap();
    const ptrs = [...Array(1000)].map((_, i) => heap.mem.malloc(16 + (i % 3) * 100));
    ptrs.push(heap.mem.malloc(4000));
    const text = heap.sys.debugmallocstats();
    const lines = text.split("\n");
    expect(lines[0]).toBe("Small block threshold = 512, in 64 size classes.");
    expect(lines[2]).toBe("class   size   num pools   blocks in use  avail blocks");
    expect(lines[3]).toBe("-----   ----   ---------   -------------  ------------");
    // only classes with pools, in CPython's "%5u %6u %11zu %15zu %13zu"
    // 16-byte blocks: 1021 per pool; 120: 136; 216: 75
    expect(lines.slice(4, 7)).toEqual([
      "    1     16           1             334           687",
      "   14    120           3             333            75",
      "   26    216           5             333            42",
    ]);
    const s = heap.mem.stats();
    const at = (label: string) => lines.find((l) => l.startsWith(label))!;
    expect(at("# arenas allocated total")).toBe("# arenas allocated total           =                    1");
    expect(at("1 arenas * 1048576 bytes/arena")).toBe("1 arenas * 1048576 bytes/arena     =            1,048,576");
    expect(at("# bytes in allocated blocks")).toBe(
      `# bytes in allocated blocks        =${(334 * 16 + 333 * 120 + 333 * 216).toLocaleString("en-US").padStart(21)}`,
    );
    const totals = lines.filter((l) => l.startsWith("Total"));
    expect(totals[0]).toBe(`Total                              =${"1,048,576".padStart(21)}`);
    expect(s.bytes.total).toBe(ARENA_SIZE);
    expect(text).toContain(`# large blocks (0 or > 512 bytes)  =${"1".padStart(21)}`);
    // every "=" sits in column 35
    for (const l of lines.filter((l) => l.includes("="))) {
      if (!l.startsWith("Small")) expect(l.indexOf("=")).toBe(35);
    }
    for (const p of ptrs) heap.mem.free(p);
  });

  it("reports memory honestly: committed = in use + free, and never above the cap", async () => {
    using heap = await newHeap({ maxMemory: 64 << 20 });
    const ptrs = [...Array(5000)].map((_, i) => heap.mem.malloc(i % 10 ? 64 : 9000));
    const m = heap.mem.stats().memory;
    expect(m.committed).toBe(m.inUse + m.free);
    expect(m.committed).toBeLessThanOrEqual(64 << 20);
    expect(m.max).toBe(64 << 20);
    expect(m.inUse).toBeGreaterThanOrEqual(m.arenas + m.large + m.tables + m.static - 64);
    for (const p of ptrs) heap.mem.free(p);
    const after = heap.mem.stats().memory;
    expect(after.committed).toBe(m.committed); // wasm memory never shrinks
    expect(after.free).toBeGreaterThan(m.free);
  });
});
