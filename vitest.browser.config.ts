import { defineConfig } from "vitest/config";

// The web page in Debian's chromium (headless, through puppeteer-core), served by dptrain serve.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
  },
});
