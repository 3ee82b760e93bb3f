import { defineConfig } from "vitest/config";

// The queued-sweep tests: a real redis-server, agents and controllers as processes; one at a time.
export default defineConfig({
  test: {
    include: ["test/queue/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 30_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
