// Trained weights against a committed list of sha256 hashes (test/fixtures/golden-weights.json):
// the MLP, a CNN and every optimizer, in every kernel set (native at each instruction set this
// CPU runs), at 1, 2 and 3 workers, and a few at 4 and 16. A refactor that changes one bit anywhere fails here.
// A change that means to change the bits regenerates the list, and says why in its commit:
//   DPTRAIN_UPDATE_GOLDEN=1 npx vitest run test/engine/golden-weights.test.ts
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDataset, parseConfigObject, train } from "../../src/index.js";
import { nativeCpuIsas } from "../../src/kernels/native/native-kernels.js";
import { packageRoot } from "../../src/paths.js";
import { writeLearnableIdxSet } from "../fixtures/idx-fixtures.js";

const goldenFile = join(packageRoot, "test", "fixtures", "golden-weights.json");
const updating = process.env.DPTRAIN_UPDATE_GOLDEN === "1";
const golden: Record<string, string> = existsSync(goldenFile) ? (JSON.parse(readFileSync(goldenFile, "utf8")) as Record<string, string>) : {};
const found: Record<string, string> = {};

const dataDir = writeLearnableIdxSet({ trainCount: 320, testCount: 64, side: 12, seed: 5 });
const cnn = { type: "sequential", layers: [
  { type: "conv2d", out: 4, kernel: 3 }, { type: "relu" }, { type: "conv2d", out: 8, kernel: 3, padding: 1 }, { type: "relu" },
  { type: "maxpool2d", kernel: 2 }, { type: "dropout", p: 0.25 }, { type: "flatten" }, { type: "linear", out: 16 }, { type: "relu" }, { type: "linear", out: 10 },
] };
// 16 channels into the second conv: the native sets run it as Winograd F(2×2, 3×3) too (channel
// counts that are multiples of their 8 or 16 lanes; wasm takes multiples of 4, so cnn's conv2 as well)
const cnn16 = { type: "sequential", layers: [
  { type: "conv2d", out: 16, kernel: 3 }, { type: "relu" }, { type: "conv2d", out: 16, kernel: 3, padding: 1 }, { type: "relu" },
  { type: "maxpool2d", kernel: 2 }, { type: "flatten" }, { type: "linear", out: 10 },
] };
const cases: Record<string, { model: Record<string, unknown>; optim: Record<string, unknown> }> = {
  "mlp-sgd": { model: { hidden: [24, 16] }, optim: { type: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 0.001 } },
  "mlp-adam": { model: { hidden: [24, 16] }, optim: { type: "adam", lr: 0.002, weightDecay: 0.01 } },
  "mlp-adamw": { model: { hidden: [24, 16] }, optim: { type: "adamw", lr: 0.002 } },
  "mlp-adadelta": { model: { hidden: [24, 16] }, optim: { type: "adadelta", schedule: { type: "step", gamma: 0.7 } } },
  "mlp-rmsprop": { model: { hidden: [24, 16] }, optim: { type: "rmsprop", lr: 0.001, momentum: 0.5, centered: true } },
  "softmax-sgd": { model: { type: "softmax" }, optim: { type: "sgd", lr: 0.1 } },
  // wide enough that engine.cut auto takes the feature cut for its first three layers (weights over
  // 32,768 floats; common/feature-plan.ts), with an optimizer that is not fused into PARAMS
  "mlpwide-adam": { model: { hidden: [240, 200, 180] }, optim: { type: "adam", lr: 0.001 } },
  // an MLP over image rows: the flatten runs with the gather under the feature cut
  "seqmlp-sgd": { model: { type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 24 }, { type: "relu" }, { type: "linear", out: 16 }, { type: "relu" }, { type: "linear", out: 10 }] }, optim: { type: "sgd", lr: 0.05, momentum: 0.5 } },
  "cnn-adadelta": { model: cnn, optim: { type: "adadelta" } },
  "cnn-sgd": { model: cnn, optim: { type: "sgd", lr: 0.05, momentum: 0.9 } },
  "cnn16-adadelta": { model: cnn16, optim: { type: "adadelta" } },
};
const isas = nativeCpuIsas();
const sets: { name: string; engine: Record<string, unknown> }[] = [
  { name: "ts", engine: { kernels: "ts" } },
  { name: "wasm", engine: { kernels: "wasm" } },
  ...isas.map((isa) => ({ name: `native-${isa}`, engine: { kernels: "native", isa } })),
];
const sha = (f: Float32Array) => createHash("sha256").update(Buffer.from(f.buffer, f.byteOffset, f.byteLength)).digest("hex");

describe("trained weights match the committed hashes", () => {
  afterAll(() => {
    if (updating) writeFileSync(goldenFile, `${JSON.stringify(Object.fromEntries(Object.entries({ ...golden, ...found }).sort()), null, 2)}\n`);
  });

  it("the list covers every kernel set and case (a missing entry fails, never passes)", () => {
    if (updating) return;
    for (const set of ["ts", "wasm", "native-avx2", "native-avx512"]) for (const name of Object.keys(cases)) expect(golden[`${set}/${name}`], `${set}/${name}`).toMatch(/^[0-9a-f]{64}$/);
  });

  for (const set of sets) {
    it(`${set.name}: every case at 1, 2 and 3 workers`, async () => {
      const dataset = await loadDataset("idx", dataDir);
      for (const [name, c] of Object.entries(cases)) {
        const key = `${set.name}/${name}`;
        for (const workers of [1, 2, 3]) {
          const config = parseConfigObject({ seed: 11, data: { dataset: "idx", dir: dataDir }, model: c.model, train: { epochs: 2, batchSize: 32 }, optim: c.optim, engine: { ...set.engine, workers } }, "golden");
          const { state } = await train(config, { dataset });
          const hash = `${sha(state.params)}`;
          if (updating && workers === 1) found[key] = hash;
          expect(hash, `${key} at ${workers} workers`).toBe(updating ? found[key] : golden[key]);
        }
        // Both cuts on the linear/ReLU models, whichever auto took above: the same bits.
        if (!["mlp-sgd", "mlp-adam", "softmax-sgd", "seqmlp-sgd", "mlpwide-adam"].includes(name)) continue;
        for (const [cut, workers] of [["rows", 2], ["rows", 3], ["features", 1], ["features", 2], ["features", 3]] as const) {
          const config = parseConfigObject({ seed: 11, data: { dataset: "idx", dir: dataDir }, model: c.model, train: { epochs: 2, batchSize: 32 }, optim: c.optim, engine: { ...set.engine, workers, cut } }, "golden");
          const { state } = await train(config, { dataset });
          expect(sha(state.params), `${key} at ${workers} workers, engine.cut ${cut}`).toBe(updating ? found[key] : golden[key]);
        }
      }
    }, 300_000);

    // More workers than this machine has cores (2 in CI): barriers sleep instead of spinning, and
    // the PARAMS chunks (engine/common/plan.ts paramChunks) outnumber the rows of small layers.
    it(`${set.name}: 4 and 16 workers (oversubscribed) give the same bits`, async () => {
      const dataset = await loadDataset("idx", dataDir);
      for (const name of ["mlp-sgd", "mlpwide-adam", "cnn-sgd"]) {
        const c = cases[name]!;
        const key = `${set.name}/${name}`;
        // auto takes the row cut beyond the cores; the feature cut too, for the wide MLP
        const cuts = name === "mlpwide-adam" ? ["auto", "features"] : ["auto"];
        for (const workers of [4, 16]) {
          for (const cut of cuts) {
            const config = parseConfigObject({ seed: 11, data: { dataset: "idx", dir: dataDir }, model: c.model, train: { epochs: 2, batchSize: 32 }, optim: c.optim, engine: { ...set.engine, workers, cut, stepTimeoutMs: 20_000 } }, "golden");
            const { state } = await train(config, { dataset });
            expect(sha(state.params), `${key} at ${workers} workers, engine.cut ${cut}`).toBe(updating ? found[key] : golden[key]);
          }
        }
      }
    }, 300_000);
  }
});
