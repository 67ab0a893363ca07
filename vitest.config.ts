import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The custom reporter prints CI's closing line: "N passed, N failed, N skipped".
    reporters: ["default", "./tests/summary-reporter.ts"],
    projects: [
      // everything, on the release engine (build/pyheap.wasm)
      { extends: true, test: { name: "release", include: ["tests/**/*.test.ts"] } },
      // the unit and model tests again on the debug engine (build/pyheap-debug.wasm: its
      // asserts and id checks on, no free lists); the oracle's gc counts depend on free
      // lists, the fuzzer and the browser test choose their engines themselves
      {
        extends: true,
        test: { name: "debug", include: ["tests/unit/**/*.test.ts", "tests/model/**/*.test.ts"], env: { PYHEAP_TEST_ENGINE: "debug" } },
      },
    ],
  },
});
