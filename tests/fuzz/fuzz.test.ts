// The fuzzer (tests/fuzz/fuzzer.ts says what it checks), in both engines.
//
// In `npm test`: a bounded run with fixed seeds, and one run per known bug
// (tests/fuzz/FOUND-<n>.md) with that bug's operations enabled: those fail until the bug
// is fixed. Longer runs and replays take environment variables (`npm run fuzz` sets them):
//   FUZZ_STEPS       total steps, split over the engines (default: the bounded run)
//   FUZZ_SEED        first seed (default 1); FUZZ_SEEDS: how many (default from FUZZ_STEPS)
//   FUZZ_SEED_STEPS  steps per seed (default 800 bounded, 2000 long)
//   FUZZ_ENGINE      release, debug or release,debug (default both)
//   FUZZ_CHECK_EVERY invariant period (default 64)
//   FUZZ_KNOWN       known bugs to exercise too: numbers of FOUND-<n>.md ("1,3") or "all"
//   FUZZ_REPORT      a file prefix to write the figures to, as JSON (scripts/fuzz.mjs merges them)
// A failure prints its seed, step and last operations, and the line that replays it.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatStats, fuzz, type FuzzStats, type RunOptions } from "./fuzzer.js";

const env = process.env;
const long = env.FUZZ_STEPS !== undefined || env.FUZZ_SEED !== undefined || env.FUZZ_SEEDS !== undefined;
const engines = (env.FUZZ_ENGINE ?? "release,debug").split(",").map((s) => s.trim());
const stepsPerSeed = Number(env.FUZZ_SEED_STEPS ?? (long ? 2000 : 800));
const seeds = Number(env.FUZZ_SEEDS ?? Math.max(1, Math.ceil(Number(env.FUZZ_STEPS ?? stepsPerSeed) / stepsPerSeed / engines.length)));
const firstSeed = Number(env.FUZZ_SEED ?? 1);
const checkEvery = Number(env.FUZZ_CHECK_EVERY ?? 64);
const ALL_KNOWN = [2, 6]; // the open ones (FOUND-1, 3, 4, 5 are fixed)
const known = env.FUZZ_KNOWN === "all" ? ALL_KNOWN : (env.FUZZ_KNOWN ?? "").split(",").filter(Boolean).map(Number);

/** The bounded run: seeds per engine (the debug engine is slower: it checks every id, and its census). */
const BOUNDED: Record<string, number> = { release: 40, debug: 30 };

function report(engine: string, stats: FuzzStats): void {
  console.log(formatStats(stats, `${engine} engine`));
  if (env.FUZZ_REPORT) writeFileSync(`${env.FUZZ_REPORT}.${engine}.json`, JSON.stringify(stats));
}

async function run(o: RunOptions): Promise<FuzzStats> {
  return fuzz({ checkEvery, ...o });
}

const failures = (s: FuzzStats) => `fuzz failures:\n\n${s.failures.join("\n\n")}`;

describe("fuzz", () => {
  for (const engine of engines) {
    const n = long ? seeds : BOUNDED[engine];
    it(`${engine} engine: ${n} seeds of ${stepsPerSeed} steps from seed ${firstSeed}`, async () => {
      const stats = await run({ firstSeed, seeds: n, stepsPerSeed, debug: engine === "debug", known });
      if (long || stats.failures.length) report(engine, stats);
      expect(stats.failures.length, failures(stats)).toBe(0);
      expect(stats.steps).toBe(n * stepsPerSeed);
    }, long ? 24 * 3600_000 : 120_000);
  }
});

/**
 * Bugs the fuzzer found whose operations stay off in the main runs (tests/fuzz/FOUND-<n>.md),
 * each with a seed that met it: the fuzzer with that bug's operations enabled must pass.
 * FOUND-2 and FOUND-6 are fixed, so these are regression runs; FOUND-1, 3, 4 and 5 are fixed
 * and exercised by the main runs.
 */
const FOUND: Array<[number, string, Omit<RunOptions, "known">]> = [
  [2, "a forged handle as an iterable is a plain TypeError", { firstSeed: 16, seeds: 1, stepsPerSeed: 100, debug: false }],
  [6, "an object dying during weakref.finalize() never has its finalizer called", { firstSeed: 6, seeds: 1, stepsPerSeed: 50, debug: false }],
];

describe.skipIf(long)("bugs found by the fuzzer, their seeds run again (regressions)", () => {
  for (const [n, what, o] of FOUND) {
    it(`FOUND-${n}: ${what} (seed ${o.firstSeed}, ${o.debug ? "debug" : "release"} engine)`, async () => {
      const stats = await run({ ...o, known: [n] });
      expect(stats.failures.length, failures(stats)).toBe(0);
    }, 120_000);
  }
});
