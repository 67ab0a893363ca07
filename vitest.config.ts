import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The custom reporter prints CI's closing line: "N passed, N failed, N skipped".
    reporters: ["default", "./tests/summary-reporter.ts"],
  },
});
