// Configs that parse but cannot run, and files that hold no config: one line, exit 2, and
// nothing written.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { readSafetensors } from "../../src/run/checkpoint.js";
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

describe("a sequential model from YAML", () => {
  it("trains, and its model.safetensors alone rebuilds the layer list for eval and predict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dptrain-seq-"));
    const cfg = join(dir, "seq.yaml");
    writeFileSync(cfg, [
      "name: seq", "data: { dataset: mnist, normalize: { mean: 0.1307, std: 0.3081 } }",
      "model:", "  type: sequential", "  layers:",
      "    - { type: flatten }", "    - { type: linear, out: 64 }", "    - { type: relu }", "    - { type: dropout, p: 0.25 }", "    - { type: linear, out: 10, name: out }",
      "train: { epochs: 1, batchSize: 128, maxSteps: 150 }", "optim: { type: adam }", "",
    ].join("\n"));
    const run = join(dir, "run");
    const r = await runCli(["train", "-c", cfg, "--out", run]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // Only the model file, away from its config.yaml: the architecture comes from its metadata.
    const alone = join(dir, "alone");
    mkdirSync(alone);
    copyFileSync(join(run, "model.safetensors"), join(alone, "model.safetensors"));
    const { metadata } = readSafetensors(join(alone, "model.safetensors"));
    expect(JSON.parse(metadata.model!).layers).toHaveLength(5);
    expect(JSON.parse(metadata.input_shape!)).toEqual([1, 28, 28]);
    const ev = JSON.parse((await runCli(["eval", "--model", join(alone, "model.safetensors"), "--json"])).stdout);
    expect(ev.test_acc).toBeGreaterThan(0.85);
    const [pred] = JSON.parse((await runCli(["predict", "--model", join(alone, "model.safetensors"), "--index", "0", "--json"])).stdout);
    expect(pred.predicted).toBe("7");
    const lib = await import("../../src/index.js");
    expect(Object.keys(lib.loadModelFile(join(alone, "model.safetensors")).named)).toEqual(["fc1.weight", "fc1.bias", "out.weight", "out.bias"]);
  }, 60_000);

  it("a layer shape mismatch is one line naming the layer, exit 2, no run directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dptrain-seq-"));
    const cfg = join(dir, "bad.yaml");
    writeFileSync(cfg, "model:\n  type: sequential\n  layers:\n    - { type: linear, out: 10 }\n");
    const r = await runCli(["train", "-c", cfg, "--out", join(dir, "run")]);
    expect(r.stderr).toBe("dptrain: model.layers[0] (linear fc1): expected a flat input of features, found shape (1, 28, 28); put { type: flatten } before it\n");
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, "run"))).toBe(false);
  });
});
