/**
 * The differential oracle: every trace of tests/oracle/traces runs on pyheap and must
 * observe exactly what CPython 3.11 observed (tests/oracle/golden, made by
 * `npm run oracle`): the same collect() results, the same del hook events in the same
 * order, the same counts, statistics, refcounts and tracking. The first difference is
 * reported with the trace's name and step.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { newHeap } from "../helpers.js";
import { describeStep, runOnPyheap, type Golden, type Observation, type Trace, type TraceGroup } from "./trace.js";

const dir = new URL("./", import.meta.url);
const groups = readdirSync(new URL("traces/", dir))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => {
    const traces = JSON.parse(readFileSync(new URL(`traces/${f}`, dir), "utf8")) as TraceGroup;
    const golden = JSON.parse(readFileSync(new URL(`golden/${f}`, dir), "utf8")) as Golden;
    return { file: f, traces, golden };
  });

const show = (o: Observation | undefined) => (o === undefined ? "nothing" : JSON.stringify(o));

/** The first difference between CPython's observations and pyheap's, as a message; undefined when equal. */
function firstDifference(trace: Trace, expected: Observation[], actual: Observation[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i], a = actual[i];
    if (e !== undefined && a !== undefined && JSON.stringify(e) === JSON.stringify(a)) continue;
    const step = Math.min(e?.[0] ?? Infinity, a?.[0] ?? Infinity);
    const context = expected.slice(Math.max(0, i - 3), i).map((o) => `      ${show(o)}`).join("\n");
    return [
      `trace ${trace.name}: first difference at observation #${i}, ${describeStep(trace, step)}`,
      `  CPython: ${show(e)}`,
      `  pyheap:  ${show(a)}`,
      ...(context ? ["  after (both):", context] : []),
    ].join("\n");
  }
  return undefined;
}

describe("oracle: pyheap observes what CPython 3.11 observes", () => {
  it("has traces and golden results for each other", () => {
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      expect(Object.keys(g.golden.results).sort(), g.file).toEqual(g.traces.traces.map((t) => t.name).sort());
    }
    const generated = groups.find((g) => g.traces.group === "generated");
    expect(generated?.traces.traces.length ?? 0).toBeGreaterThanOrEqual(300);
  });

  for (const { traces, golden } of groups) {
    describe(traces.group, () => {
      it.each(traces.traces.map((t) => [t.name, t] as const))("%s", async (_name, trace) => {
        // (closing a heap with uncollectable objects left warns on stderr: not compared)
        const heap = await newHeap({ stderr: () => {} });
        let actual: Observation[];
        try {
          actual = runOnPyheap(trace, heap);
          expect(heap.mem.check(), `${trace.name}: heap invariants`).toBe(0);
        } finally {
          heap.close();
        }
        const diff = firstDifference(trace, golden.results[trace.name], actual);
        if (diff) expect.fail(diff);
      });
    });
  }
});
