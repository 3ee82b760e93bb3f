// Configs that parse but cannot run, and files that hold no config: one line, exit 2, and
// nothing written.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("config edges", () => {
  it("an empty config file, or one of comments only, is an error, not a run with every default", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dptrain-edges-"));
    for (const [name, text, found] of [["empty.yaml", "", "an empty file"], ["comments.yaml", "# a config\n\n", "only comments"]] as const) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = await runCli(["train", "-c", file, "--out", join(dir, "run")]);
      expect(r.stderr).toBe(`dptrain: ${file}: (top level): expected a mapping of config keys, found ${found}\n`);
      expect(r.code).toBe(2);
    }
    expect(existsSync(join(dir, "run"))).toBe(false);
  });

  it("a model or batch too large for the arena names the key to lower, before the run directory exists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dptrain-edges-"));
    const wide = await runCli(["train", "-c", "configs/mnist-mlp.yaml", "--set", "model.hidden=[30000,30000]", "--out", join(dir, "wide")]);
    expect(wide.stderr).toMatch(/^dptrain: model\.hidden: expected a model and batch whose arena fits WebAssembly's 4 GiB, found [\d.]+ GiB \(the parameters and optimizer state take [\d.]+ GiB\); lower model\.hidden\n$/);
    expect(wide.code).toBe(2);
    const big = await runCli(["train", "-c", "configs/mnist-mlp.yaml", "--set", "model.hidden=[4096,4096]", "--set", "train.batchSize=65536", "--out", join(dir, "big")]);
    expect(big.stderr).toMatch(/^dptrain: train\.batchSize: expected .*found [\d.]+ GiB \(the activations of 65536 rows take [\d.]+ GiB\); lower train\.batchSize\n$/);
    expect(big.code).toBe(2);
    expect(existsSync(join(dir, "wide")) || existsSync(join(dir, "big"))).toBe(false);
  });
});
