// Every optimizer, and dropout, through the engine: the same bits for any worker count, and a resume from a
// checkpoint (written to a file and read back, state slots under PyTorch's names) that ends on
// the same bits as an uninterrupted run, on a generated learnable IDX set with a small MLP.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigObject } from "../../src/config/load.js";
import { loadDataset } from "../../src/data/dataset.js";
import { loadCheckpoint, readSafetensors, saveCheckpoint } from "../../src/run/checkpoint.js";
import { train, type TrainState } from "../../src/run/train.js";
import { specForDataset } from "../../src/model/build.js";
import { writeLearnableIdxSet } from "../fixtures/idx-fixtures.js";
import { nativeAvailable } from "../kernels/set-harness.js";

const dataDir = writeLearnableIdxSet({ trainCount: 600, testCount: 100, side: 12 });
const optimizers: Record<string, Record<string, unknown>> = {
  adam: { type: "adam", lr: 0.002, weightDecay: 0.01 },
  adamw: { type: "adamw", lr: 0.002 },
  adadelta: { type: "adadelta", schedule: { type: "step", gamma: 0.7 } },
  rmsprop: { type: "rmsprop", lr: 0.001, momentum: 0.5, centered: true },
};
/** The checkpoint's tensors for fc1.weight: the parameter and its state under torch's names. */
const savedAs: Record<string, string[]> = {
  adam: ["exp_avg.fc1.weight", "exp_avg_sq.fc1.weight", "fc1.weight"],
  adamw: ["exp_avg.fc1.weight", "exp_avg_sq.fc1.weight", "fc1.weight"],
  adadelta: ["acc_delta.fc1.weight", "fc1.weight", "square_avg.fc1.weight"],
  rmsprop: ["fc1.weight", "grad_avg.fc1.weight", "momentum_buffer.fc1.weight", "square_avg.fc1.weight"],
};
const configFor = (optim: Record<string, unknown>, workers: number, kernels: string, model: Record<string, unknown> = { hidden: [24, 16] }) =>
  parseConfigObject({ seed: 3, data: { dataset: "idx", dir: dataDir }, model, train: { epochs: 2, batchSize: 32 }, optim, engine: { workers, kernels } }, "test");
const bytes = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength);

describe("optimizers through the engine", () => {
  for (const [name, optim] of Object.entries(optimizers)) {
    it(`${name}: bitwise the same for 1, 2 and 3 workers with each kernel set; a resume from epoch 1's checkpoint ends on the same bits`, async () => {
      const dataset = await loadDataset("idx", dataDir);
      for (const kernels of ["ts", "wasm", ...(nativeAvailable ? ["native"] : [])]) {
        const runs = [];
        for (const w of [1, 2, 3]) runs.push(await train(configFor(optim, w, kernels), { dataset }));
        for (const r of runs.slice(1)) {
          expect(bytes(r.state.params).equals(bytes(runs[0]!.state.params)), kernels).toBe(true);
          expect(bytes(r.state.optimState).equals(bytes(runs[0]!.state.optimState)), kernels).toBe(true);
        }
        expect(runs[0]!.history[1]!.test_acc, kernels).toBeGreaterThan(0.5); // it trains
      }
      const runs = [await train(configFor(optim, 1, "wasm"), { dataset })];
      // Stop after epoch 1 (onEpoch → false), save, load, resume.
      const config = configFor(optim, 2, "wasm");
      const spec = specForDataset(config.model, dataset);
      let saved: TrainState | null = null;
      const first = await train(config, { dataset, onEpoch: () => false, onCheckpoint: (s) => void (saved = s) });
      expect(first.stopped).toBe(true);
      const file = join(mkdtempSync(join(tmpdir(), "dptrain-optim-")), "checkpoint.safetensors");
      saveCheckpoint(file, saved!, config, spec);
      expect([...readSafetensors(file).tensors.keys()].filter((k) => k.endsWith("fc1.weight")).sort()).toEqual(savedAs[name]);
      const resumed = await train(config, { dataset, resume: loadCheckpoint(file, config, spec) });
      expect(bytes(resumed.state.params).equals(bytes(runs[0]!.state.params))).toBe(true);
      expect(bytes(resumed.state.optimState).equals(bytes(runs[0]!.state.optimState))).toBe(true);
    }, 60_000);
  }

  it("a layer list with dropout: bitwise the same for 1, 2 and 3 workers with each kernel set; the masks change the run, eval has none", async () => {
    const dataset = await loadDataset("idx", dataDir);
    const layers = (p: number) => ({ type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 32 }, { type: "relu" }, { type: "dropout", p }, { type: "linear", out: 10 }] });
    for (const kernels of ["ts", "wasm", ...(nativeAvailable ? ["native"] : [])]) {
      const runs = [];
      for (const w of [1, 2, 3]) runs.push(await train(configFor({ type: "sgd", lr: 0.05, momentum: 0.9 }, w, kernels, layers(0.5)), { dataset }));
      for (const r of runs.slice(1)) expect(bytes(r.state.params).equals(bytes(runs[0]!.state.params)), kernels).toBe(true);
      const plain = await train(configFor({ type: "sgd", lr: 0.05, momentum: 0.9 }, 2, kernels, layers(0)), { dataset });
      expect(bytes(plain.state.params).equals(bytes(runs[0]!.state.params)), kernels).toBe(false);
      expect(runs[0]!.history[1]!.test_acc, kernels).toBeGreaterThan(0.5);
      // Evaluation applies no mask: the same weights score the same twice.
      expect(runs[0]!.evaluation!.loss).toBe(runs[1]!.evaluation!.loss);
    }
  }, 60_000);

  it("a small CNN (conv, ReLU, conv, max-pool, dropout, flatten, linear) with Adadelta: bitwise the same for 1, 2 and 3 workers with each kernel set", async () => {
    const dataset = await loadDataset("idx", dataDir);
    const cnn = { type: "sequential", layers: [
      { type: "conv2d", out: 4, kernel: 3 }, { type: "relu" }, { type: "conv2d", out: 8, kernel: 3 }, { type: "relu" },
      { type: "maxpool2d", kernel: 2 }, { type: "dropout", p: 0.25 }, { type: "flatten" }, { type: "linear", out: 10 },
    ] };
    for (const kernels of ["ts", "wasm", ...(nativeAvailable ? ["native"] : [])]) {
      const runs = [];
      for (const w of [1, 2, 3]) runs.push(await train(configFor({ type: "adadelta" }, w, kernels, cnn), { dataset }));
      for (const r of runs.slice(1)) {
        expect(bytes(r.state.params).equals(bytes(runs[0]!.state.params)), kernels).toBe(true);
        expect(r.evaluation!.loss, kernels).toBe(runs[0]!.evaluation!.loss);
      }
      expect(runs[0]!.history[1]!.test_acc, kernels).toBeGreaterThan(0.5);
    }
  }, 120_000);
});
