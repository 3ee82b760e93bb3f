// --set into layer lists (model.layers.N.key=value), and sweeps over such keys.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { loadSweep } from "../../src/config/sweep.js";
import { errorOf, fileWriter } from "../helpers.js";
import { runCli } from "../cli/run-cli.js";

const cnn = join(process.cwd(), "configs/mnist-cnn.yaml");
const { file } = fileWriter("dptrain-set-lists-");

describe("--set model.layers.N.key=value", () => {
  it("sets one key of one layer, leaving the others", () => {
    const { config } = loadConfig(cnn, ["model.layers.2.out=32", "model.layers.5.p=0.1"]);
    expect(config.model.layers![2]).toEqual({ type: "conv2d", out: 32, kernel: 3, stride: 1, padding: 0 });
    expect(config.model.layers![5]).toEqual({ type: "dropout", p: 0.1 });
    expect(config.model.layers![0]).toEqual({ type: "conv2d", out: 32, kernel: 3, stride: 1, padding: 0 });
    expect(loadConfig(cnn).config.model.layers![2]!).toMatchObject({ out: 64 }); // the file itself is untouched
  });

  it("an index out of range, an index into a mapping, and a bad value: one line naming the key", () => {
    expect(errorOf(() => loadConfig(cnn, ["model.layers.11.out=3"]))).toBe('--set model.layers.11.out=3: model.layers: expected an index below 11 (the list has 11 items), found "11"');
    expect(errorOf(() => loadConfig(cnn, ["train.0=3"]))).toBe("--set train.0=3: train: expected a list to index with 0, found a mapping");
    expect(errorOf(() => loadConfig(cnn, ["model.layers.2.out=big"]))).toMatch(/^--set model\.layers\.2\.out=big: model\.layers\.2\.out: expected a number, found "big"$/);
    expect(errorOf(() => loadConfig(cnn, ["model.layers.2.width=3"]))).toMatch(/^--set model\.layers\.2\.width=3: model\.layers\.2\.width: unknown key/);
  });

  it("a sweep over a layer's width gives each trial its own width", () => {
    const sweep = loadSweep(file("widths.yaml", `name: widths\nbase: ${cnn}\ngrid:\n  model.layers.7.out: [32, 64]\n`));
    expect(sweep.runs.map((r) => (r.config.model.layers![7] as { out: number }).out)).toEqual([32, 64]);
    expect(sweep.runs.map((r) => r.values)).toEqual([{ "model.layers.7.out": 32 }, { "model.layers.7.out": 64 }]);
  });

  it("dptrain train -c configs/mnist-cnn.yaml --set model.layers.2.out=32 trains; an out-of-range index is exit 2 naming it", async () => {
    const ok = await runCli(["train", "-c", "configs/mnist-cnn.yaml", "--set", "model.layers.2.out=32", "--set", "train.maxSteps=5", "--set", "eval.every=0", "--out", join(file("x", ""), "..", "run")]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const bad = await runCli(["train", "-c", "configs/mnist-cnn.yaml", "--set", "model.layers.20.out=32"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('dptrain: --set model.layers.20.out=32: model.layers: expected an index below 11 (the list has 11 items), found "20"');
  }, 120_000);
});
