// Builds when build/ is missing or older than any source: `npm test`, `npm start`
// and `npm run bench` work on a fresh clone and after any edit.
import { existsSync, readdirSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const stamp = `${root}build/.stamp`;

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(`${path}/${e}`));
  return t;
}

const sources = ["assembly", "src", "bench", "scripts/build.mjs", "asconfig.json", "tsconfig.json", "package.json"];
// what scripts/build.mjs makes (a build/ from before an output was added is not fresh)
const outputs = [
  "pyheap.wasm", "pyheap-debug.wasm", "pyheap-bench.wasm", "node.js", "browser.js", "cli.js", "bench.js",
  "types/index.d.ts",
];
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
if (built < 0 || outputs.some((o) => !existsSync(`${root}build/${o}`)) || sources.some((s) => newest(`${root}${s}`) > built)) {
  execFileSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: "inherit" });
}
