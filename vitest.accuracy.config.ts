import { defineConfig } from "vitest/config";

// The long accuracy runs: one file, one test at a time (each uses both cores).
export default defineConfig({
  test: {
    include: ["test/accuracy/**/*.test.ts"],
    testTimeout: 1_800_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
