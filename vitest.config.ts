import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/accuracy/**", "test/queue/**", "test/browser/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // 2-core machines: more files at once only contend for the same cores the engine tests use.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
