// npm run fuzz: a long run of the fuzzer (tests/fuzz/fuzzer.ts), one vitest process per
// engine in parallel, then the merged figures: seeds, steps, operations by kind, faults
// injected, hooks run, PyErrors by class, checks passed, and the failures (exit code 1
// when there is any).
//
//   npm run fuzz -- [--steps N] [--seed S] [--seed-steps N] [--engine release,debug] [--known 2,6] [--check-every K]
//
// Defaults: 300,000 steps in all, 2,000 per seed, from seed 1, both engines (FUZZ_STEPS,
// FUZZ_SEED, FUZZ_SEED_STEPS, FUZZ_ENGINE, FUZZ_KNOWN and FUZZ_CHECK_EVERY set them too).
// A failure's message gives the command that replays its seed alone.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = process.env;

function options() {
  const o = {
    steps: Number(env.FUZZ_STEPS ?? 300000),
    seed: Number(env.FUZZ_SEED ?? 1),
    seedSteps: Number(env.FUZZ_SEED_STEPS ?? 2000),
    engines: (env.FUZZ_ENGINE ?? "release,debug").split(","),
    known: env.FUZZ_KNOWN ?? "",
    checkEvery: env.FUZZ_CHECK_EVERY,
  };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (flag === "--help" || flag === "-h") {
      console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
      process.exit(0);
    }
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--steps") o.steps = Number(value);
    else if (flag === "--seed") o.seed = Number(value);
    else if (flag === "--seed-steps") o.seedSteps = Number(value);
    else if (flag === "--engine") o.engines = value.split(",");
    else if (flag === "--known") o.known = value;
    else if (flag === "--check-every") o.checkEvery = value;
    else throw new Error(`unknown option ${flag} (--help lists them)`);
  }
  if (![o.steps, o.seed, o.seedSteps].every(Number.isInteger) || o.steps < 1 || o.seedSteps < 1) throw new Error("steps and seeds must be positive integers");
  return o;
}

/** One engine's run: vitest on tests/fuzz with the environment the test file reads. */
function runEngine(engine, o, seeds, dir) {
  const log = join(dir, `${engine}.log`);
  const childEnv = {
    ...env, FUZZ_ENGINE: engine, FUZZ_SEED: String(o.seed), FUZZ_SEEDS: String(seeds), FUZZ_SEED_STEPS: String(o.seedSteps),
    FUZZ_KNOWN: o.known, FUZZ_REPORT: join(dir, "report"), NO_COLOR: "1",
  };
  if (o.checkEvery) childEnv.FUZZ_CHECK_EVERY = o.checkEvery;
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, "run", "tests/fuzz/fuzz.test.ts", "-t", "^fuzz"], { cwd: root, env: childEnv });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => {
      writeFileSync(log, out);
      resolve({ engine, code, log });
    });
  });
}

function merge(reports) {
  const into = { seeds: 0, steps: 0, ms: 0, ops: {}, faults: {}, hooks: {}, pyErrors: {}, checks: {}, failures: [] };
  for (const r of reports) {
    into.seeds += r.seeds;
    into.steps += r.steps;
    into.ms = Math.max(into.ms, r.ms); // the engines ran side by side
    for (const k of ["ops", "faults", "hooks", "pyErrors", "checks"]) {
      for (const [key, n] of Object.entries(r[k])) into[k][key] = (into[k][key] ?? 0) + n;
    }
    into.failures.push(...r.failures);
  }
  return into;
}

const num = (n) => n.toLocaleString("en");

function table(title, m) {
  const rows = Object.entries(m).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, n]) => a + n, 0);
  return [`${title} (${num(total)}):`, ...rows.map(([k, n]) => `  ${k.padEnd(34)} ${num(n).padStart(12)}`)].join("\n");
}

async function main() {
  const o = options();
  const seeds = Math.max(1, Math.ceil(o.steps / o.seedSteps / o.engines.length));
  const dir = mkdtempSync(join(tmpdir(), "pyheap-fuzz-"));
  console.log(`fuzzing: ${o.engines.join(" and ")} engine${o.engines.length > 1 ? "s" : ""}, ${seeds} seeds each from seed ${o.seed}, ${num(o.seedSteps)} steps per seed${o.known ? `, known bugs ${o.known}` : ""}...`);
  const t0 = performance.now();
  const runs = await Promise.all(o.engines.map((e) => runEngine(e, o, seeds, dir)));
  const wall = (performance.now() - t0) / 1000;
  const reports = [];
  for (const r of runs) {
    try {
      reports.push(JSON.parse(readFileSync(join(dir, `report.${r.engine}.json`), "utf8")));
    } catch {
      console.error(`the ${r.engine} engine's run produced no figures (vitest exit ${r.code}); its output:\n${readFileSync(r.log, "utf8")}`);
      process.exitCode = 1;
    }
  }
  const s = merge(reports);
  console.log([
    `== fuzz: ${s.seeds} seeds (from seed ${o.seed}, ${o.engines.join(" + ")}), ${num(s.steps)} steps, ${wall.toFixed(1)} s wall, failures ${s.failures.length}`,
    table("operations by kind", s.ops),
    table("faults injected", s.faults),
    table("hooks run", s.hooks),
    table("PyErrors seen, by class", s.pyErrors),
    table("checks passed", s.checks),
    ...s.failures.map((f, i) => `-- failure ${i + 1}:\n${f}`),
    `failures: ${s.failures.length}`,
  ].join("\n"));
  if (s.failures.length || runs.some((r) => r.code !== 0)) {
    process.exitCode = 1;
    console.log(`vitest's output: ${runs.map((r) => r.log).join(", ")}`);
  } else rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});
