// heap.gc.trace(): one line per collection, in the spirit of Go's GODEBUG=gctrace=1.
import { describe, expect, it } from "vitest";
import { PyTypeError } from "../../src/node.js";
import { newHeap } from "../helpers.js";

const LINE = /^gc (\d+) @(\d+\.\d{3})s gen (\d) \((automatic|gc\.collect\(\)|shutdown)\): (\d+) examined, (\d+) collected, (\d+) uncollectable, (\d+\.\d{3}) ms; heap (\S+ \S+) -> (\S+ \S+); counts (\d+),(\d+),(\d+) thresholds (\d+),(\d+),(\d+)$/;

describe("gc.trace", () => {
  it("one line per collection: generation, why, examined, collected, pause, heap, counts and thresholds", async () => {
    const lines: string[] = [];
    const h = await newHeap({ stderr: (t) => lines.push(t) });
    expect(h.gc.trace()).toBe(false);
    h.gc.trace(true);
    const seen: string[] = [];
    h.gc.callbacks.push((phase) => seen.push(phase)); // (callbacks run outside the timed pause)
    for (let i = 0; i < 2000; i++) {
      const a = h.list([]);
      const b = h.list([a]);
      a.append(b);
      a.release();
      b.release();
    }
    const automatic = lines.length;
    expect(automatic).toBeGreaterThan(2);
    expect(h.gc.collect()).toBeGreaterThanOrEqual(0);
    const parsed = lines.map((l) => LINE.exec(l));
    parsed.forEach((m, i) => expect(m, lines[i]).not.toBeNull());
    expect(parsed.map((m) => Number(m![1]))).toEqual(lines.map((_, i) => i + 1));
    const first = parsed[0]!;
    expect(first[3]).toBe("0");
    expect(first[4]).toBe("automatic");
    expect(Number(first[11])).toBe(701); // count[0] passed threshold 0
    expect(first.slice(14, 17).map(Number)).toEqual([700, 10, 10]);
    expect(Number(first[6]) % 2).toBe(0); // 2-cycles
    const last = parsed.at(-1)!;
    expect(last[3]).toBe("2");
    expect(last[4]).toBe("gc.collect()");
    expect(seen.length).toBe(2 * lines.length);
    h.gc.trace(false);
    h.gc.collect();
    expect(lines.length).toBe(automatic + 1);
    expect(() => h.gc.trace("yes" as never)).toThrow(PyTypeError);
    h.close();
  });

  it("Heap.create({ gcTrace: true }) traces from the start, shutdown's collection included", async () => {
    const lines: string[] = [];
    const h = await newHeap({ gcTrace: true, stderr: (t) => lines.push(t) });
    h.gc.collect(1);
    h.close();
    expect(lines.map((l) => LINE.exec(l)?.slice(3, 5))).toEqual([["1", "gc.collect()"], ["2", "shutdown"]]);
    await expect(newHeap({ gcTrace: 1 as never })).rejects.toThrow(PyTypeError);
  });
});
