// No import cycles in the engine (assembly/) or the host (src/): scripts/check-imports.mjs.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/check-imports.mjs", import.meta.url));

interface Cycle { layer: string; files: string[]; allowed: boolean; typeOnly: boolean; example: string[] }

function check(...args: string[]): { status: number | null; cycles: Cycle[]; files: number } {
  const r = spawnSync(process.execPath, [script, "--json", ...args], { encoding: "utf8" });
  if (r.error) throw r.error;
  const out = JSON.parse(r.stdout) as { files: number; cycles: Cycle[] };
  return { status: r.status, cycles: out.cycles, files: out.files };
}

describe("import graph", () => {
  it("the checker reads both trees (--report always exits 0)", () => {
    const r = check("--report");
    expect(r.status).toBe(0);
    expect(r.files).toBeGreaterThan(20);
  });

  it("has no run-time import cycle outside the allow-list (the engine none at all)", () => {
    const r = check();
    expect(r.cycles.filter((c) => c.layer === "engine")).toEqual([]);
    const cycles = r.cycles.filter((c) => !c.allowed && !c.typeOnly).map((c) => `${c.layer}: ${c.example.join(" -> ")} (${c.files.length} files)`);
    expect(cycles).toEqual([]);
    expect(r.status).toBe(0);
  });
});
