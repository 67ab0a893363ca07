// The host's view of the engine's ABI (src/abi.generated.ts) is generated from the built
// engine by scripts/gen-abi.mjs: it must be current, and an engine whose constants differ
// from it is refused at load.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ENGINE_CONSTANTS } from "../../src/abi.generated.js";
import { newHeap, wasmModule } from "../helpers.js";

describe("the generated ABI", () => {
  it("src/abi.generated.ts is what scripts/gen-abi.mjs makes from build/", () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL("../../scripts/gen-abi.mjs", import.meta.url)), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("every export of the engine is in it, functions and constants", () => {
    const text = readFileSync(new URL("../../src/abi.generated.ts", import.meta.url), "utf8");
    for (const e of WebAssembly.Module.exports(wasmModule)) {
      if (e.name === "memory") continue;
      if (e.kind === "function") expect(text).toContain(`\n  ${e.name}(`);
      else expect(Object.keys(ENGINE_CONSTANTS)).toContain(e.name);
    }
  });

  it("heap.mem.checkName() names heap_check's answer from the engine's CHECK_* constants", async () => {
    using h = await newHeap();
    expect(h.mem.check()).toBe(ENGINE_CONSTANTS.CHECK_OK);
    expect(h.mem.checkName()).toBe("CHECK_OK");
    expect(Object.keys(ENGINE_CONSTANTS).filter((k) => k.startsWith("CHECK_")).length).toBeGreaterThan(10);
  });
});
