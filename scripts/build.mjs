// Builds everything into build/: the engine (asc: pyheap.wasm, pyheap-debug.wasm, and
// pyheap-bench.wasm with the benchmark loops, for bench/ only, not shipped), the Node and
// browser bundles, the CLI and the benchmark (esbuild), and the type declarations (tsc).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
mkdirSync("build", { recursive: true });

const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });

const t0 = Date.now();
// (--bindings raw: asc also writes build/pyheap.d.ts, whose signatures scripts/gen-abi.mjs
// turns into src/abi.generated.ts; the wasm is the same with or without it)
run(bin("asc"), ["assembly/index.ts", "--target", "release", "--bindings", "raw"]);
rmSync("build/pyheap.js", { force: true }); // asc's JS bindings: not used, not shipped
run(process.execPath, ["scripts/gen-abi.mjs"]);
run(bin("asc"), ["assembly/index.ts", "--target", "debug"]); // Heap.create({ debug: true })
run(bin("asc"), ["assembly/bench-entry.ts", "--target", "bench"]); // bench/ only: the release engine + bench_* loops

const common = { bundle: true, format: "esm", sourcemap: true, logLevel: "warning" };
await Promise.all([
  esbuild.build({ ...common, entryPoints: ["src/node.ts"], outfile: "build/node.js", platform: "node", target: "node20" }),
  esbuild.build({ ...common, entryPoints: ["src/browser.ts"], outfile: "build/browser.js", platform: "browser", target: "es2022" }),
  esbuild.build({
    ...common, entryPoints: ["src/cli/main.ts"], outfile: "build/cli.js", platform: "node", target: "node20",
    packages: "external", banner: { js: "#!/usr/bin/env node" },
  }),
  esbuild.build({
    ...common, entryPoints: ["bench/main.ts"], outfile: "build/bench.js", platform: "node", target: "node20",
    packages: "external",
  }),
]);
run(bin("tsc"), ["-p", "tsconfig.json"]);
writeFileSync("build/.stamp", new Date().toISOString() + "\n");
console.log(`pyheap built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
