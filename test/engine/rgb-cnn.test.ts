// conv2d on C > 1 input channels (RGB images) in every kernel set: the same bits for 1, 2 and 3
// workers within a set, close agreement between sets, and learning. The first conv reads its
// rows channels last (model/input-layout.ts); the second conv and the pool run as ever.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfigObject } from "../../src/config/load.js";
import type { Dataset, Split } from "../../src/data/split.js";
import { nativeCpuIsas } from "../../src/kernels/native/native-kernels.js";
import { train } from "../../src/run/train.js";
import { memoryRowSource } from "../../src/data/row-source.js";
import { Rng } from "../../src/rng.js";

const [C, H, W] = [3, 10, 10];

/** Class c ∈ {0, 1, 2}: channel c is brighter in a blob at a random place, over noise in every channel. */
function rgbSplit(n: number, seed: number): Split {
  const rng = new Rng(seed);
  const labels = Uint8Array.from({ length: n }, () => rng.nextInt(3));
  const inputs = new Uint8Array(n * C * H * W);
  for (let r = 0; r < n; r++) {
    const [y0, x0] = [rng.nextInt(H - 3), rng.nextInt(W - 3)];
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          const blob = c === labels[r] && h >= y0 && h < y0 + 4 && w >= x0 && w < x0 + 4;
          inputs[((r * C + c) * H + h) * W + w] = Math.min(255, rng.nextInt(120) + (blob ? 120 : 0));
        }
      }
    }
  }
  return { inputs, labels, count: n };
}

const dataset: Dataset = {
  name: "rgb", inputShape: [C, H, W], inputType: "u8", nClasses: 3, classNames: ["red", "green", "blue"],
  train: rgbSplit(480, 1), validation: rgbSplit(96, 2), test: rgbSplit(150, 3), standardize: null,
};

const layers = [
  { type: "conv2d", out: 8, kernel: 3, padding: 1 }, { type: "relu" }, { type: "conv2d", out: 8, kernel: 3 }, { type: "relu" },
  { type: "maxpool2d", kernel: 2 }, { type: "flatten" }, { type: "linear", out: 3 },
];

const sets = ["ts", "wasm", ...(nativeCpuIsas().length > 0 ? ["native"] : [])] as const;

const configFor = (kernels: string, workers: number, extra: { augment?: object; epochs?: number } = {}) => parseConfigObject({
  seed: 2, data: { normalize: { mean: 0.4, std: 0.25 }, ...(extra.augment ? { augment: extra.augment } : {}) }, model: { type: "sequential", layers },
  train: { epochs: extra.epochs ?? 3, batchSize: 32 }, optim: { lr: 0.05, momentum: 0.9 }, engine: { workers, kernels },
}, "rgb");
const sha = (params: Float32Array) => createHash("sha256").update(params).digest("hex");

describe("conv2d on RGB input in every kernel set", () => {
  const finals = new Map<string, Float32Array>();
  for (const kernels of sets) {
    it(`${kernels}: 1, 2 and 3 workers give the same weights; it learns`, async () => {
      const hashes = new Set<string>();
      for (const workers of [1, 2, 3]) {
        const result = await train(configFor(kernels, workers), { dataset });
        hashes.add(sha(result.state.params));
        if (workers === 2) {
          finals.set(kernels, result.state.params);
          const last = result.history[result.history.length - 1]!;
          expect(last.val_acc).toBeGreaterThan(0.85);
          expect(last.test_acc).toBeGreaterThan(0.85);
        }
      }
      expect(hashes.size).toBe(1);
    }, 240_000);
  }
  it("the sets agree closely (not bitwise: FMA and summation order)", () => {
    const ts = finals.get("ts")!;
    for (const [name, params] of finals) {
      let worst = 0;
      for (let i = 0; i < ts.length; i++) worst = Math.max(worst, Math.abs(params[i]! - ts[i]!));
      expect(worst, name).toBeLessThan(5e-3);
    }
  });
});

describe("data.stream with a conv first layer on RGB rows", () => {
  it("the streamed batches reach the first conv channels last, as the in-memory rows do: the same weights", async () => {
    // the rows stream from memory through the same ring and feeder a file's would
    const streamed: Dataset = { ...dataset, train: { ...dataset.train, inputs: new Uint8Array(0), source: memoryRowSource(dataset.train.inputs, C * H * W) } };
    for (const kernels of sets) {
      const memory = await train(configFor(kernels, 2, { augment: { shift: 1 } }), { dataset });
      const ring = await train(configFor(kernels, 2, { augment: { shift: 1 } }), { dataset: streamed });
      expect(sha(ring.state.params), kernels).toBe(sha(memory.state.params));
    }
  }, 240_000);
});

describe("data.augment (shift, flip, rotation) in every kernel set", () => {
  const augment = { shift: 2, flip: true, rotate: 12 };
  for (const kernels of sets) {
    it(`${kernels}: 1, 2 and 3 workers give the same weights, other than without augmentation; a resume after epoch 1 ends on the same bits`, async () => {
      const hashes = new Set<string>();
      for (const workers of [1, 2, 3]) hashes.add(sha((await train(configFor(kernels, workers, { augment }), { dataset })).state.params));
      expect(hashes.size).toBe(1);
      const plain = sha((await train(configFor(kernels, 2), { dataset })).state.params);
      expect(hashes.has(plain)).toBe(false);
      const first = await train(configFor(kernels, 2, { augment, epochs: 1 }), { dataset });
      const resumed = await train(configFor(kernels, 3, { augment }), { dataset, resume: first.state });
      expect(hashes.has(sha(resumed.state.params))).toBe(true);
      const last = resumed.history[resumed.history.length - 1]!;
      expect(last.test_acc).toBeGreaterThan(0.8);
    }, 240_000);
  }
});
