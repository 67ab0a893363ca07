// The CLI tour (pyheap demo): every step runs, the heap's invariants hold, and the lessons
// print what they claim (tracemalloc's lines, the leak hunt's path and fix).
import { describe, expect, it } from "vitest";
import { demo } from "../../src/cli/demo.js";
import { ASCII } from "../../src/cli/picture.js";

describe("pyheap demo", () => {
  it("runs all ten steps on a small mix", async () => {
    let out = "";
    await demo({ seed: 7, blocks: 20_000, glyphs: ASCII, write: (s) => { out += s; } });
    for (let n = 1; n <= 10; n++) expect(out, `step ${n}`).toContain(`== ${n}.`);
    expect(out).toContain("heap invariants: all hold");
    expect(out).toMatch(/app\.py:2: size=\S+ \S+, count=6002, average=17 B/);
    expect(out).toMatch(/app\.py:3: size=\S+ \S+, count=\d+, average=\d+ B/);
    expect(out).toMatch(/Session\s+1000\s+\+1000/);
    expect(out).toContain("why is a finished request's Session alive?  dict[1500] -> Session");
    expect(out).toContain("(nothing grew)");
    expect(out).toContain("the weak cache holds 0 entries");
  });
});

describe("the pyheap command", () => {
  it("prints the package's version with --version and -V", async () => {
    const { execFileSync } = await import("node:child_process");
    const { readFileSync } = await import("node:fs");
    const cli = new URL("../../build/cli.js", import.meta.url);
    const version = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
    for (const flag of ["--version", "-V"]) expect(execFileSync(process.execPath, [cli.pathname, flag], { encoding: "utf8" }).trim()).toBe(version);
  });
});
