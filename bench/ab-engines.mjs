#!/usr/bin/env node
// A/B of two builds' engines in one process: `node bench/ab-engines.mjs <old-dir> <new-dir> [rounds]`
// (each dir a checkout with build/ made by `npm run build`; e.g. `git worktree add /tmp/old <commit>`,
// symlink node_modules, `node scripts/build.mjs`). Runs assembly/bench.ts's bench_object_pairs
// loops (`x = <new object>; drop the previous`, 2M steps, inside wasm) for both engines,
// interleaved round by round, and prints the best (minimum) ns per step of each: on a noisy
// machine the minimum is the figure least disturbed by other work.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [oldDir, newDir, roundsArg] = process.argv.slice(2);
if (!oldDir || !newDir) {
  console.error("usage: node bench/ab-engines.mjs <old-dir> <new-dir> [rounds = 21]");
  process.exit(2);
}
const rounds = Number(roundsArg ?? 21);
const sides = {};
for (const [k, dir] of [["old", oldDir], ["new", newDir]]) {
  const m = await import(pathToFileURL(resolve(dir, "build/node.js")).href);
  const h = await m.Heap.create({ wasm: readFileSync(resolve(dir, "build/pyheap-bench.wasm")) });
  const S = h.defineClass("S", { slots: ["a", "b"] });
  h.gc.disable();
  sides[k] = { x: h.engine.exports, cls: S.id };
}
const kinds = { int: 0, float: 1, slots2: 2, tuple2: 3, list1: 4, dict0: 5 };
const N = 2_000_000;
const best = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, kind] of Object.entries(kinds)) {
    for (const side of round % 2 ? ["old", "new"] : ["new", "old"]) {
      const { x, cls } = sides[side];
      const t = performance.now();
      x.bench_object_pairs(kind, cls, N);
      const ns = ((performance.now() - t) * 1e6) / N;
      const key = `${name}/${side}`;
      best[key] = Math.min(best[key] ?? Infinity, ns);
    }
  }
}
console.log(`best of ${rounds} rounds, ns per step (2M steps each), ${oldDir} vs ${newDir}`);
for (const name of Object.keys(kinds)) {
  const o = best[`${name}/old`], n = best[`${name}/new`];
  console.log(`${name.padEnd(8)} old ${o.toFixed(2).padStart(7)}  new ${n.toFixed(2).padStart(7)}  new/old ${(n / o).toFixed(3)}`);
}
