// dptrain export → ONNX Runtime (onnxruntime-node, CPU): the exported graph must compute what
// dptrain computes, from the same raw pixels, for every layer kind dptrain trains.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { ConfigSchema } from "../../src/config/schema.js";
import { loadDataset, type Dataset } from "../../src/data/dataset.js";
import { modelInputFloats } from "../../src/model/input-layout.js";
import { applyStandardization } from "../../src/data/standardize.js";
import type { InputNorm } from "../../src/data/normalize.js";
import { loadModelFile } from "../../src/run/checkpoint.js";
import { DEFAULT_OPSET, exportOnnx, OnnxExportError } from "../../src/export/onnx.js";
import { encodeSafetensors } from "../../src/io/safetensors.js";
import { specFromConfig } from "../../src/model/build.js";
import { predictLogits } from "../../src/model/predict.js";
import { paramLayout, type ModelSpec } from "../../src/model/spec.js";
import { Rng } from "../../src/rng.js";
import { errorOf, randomArray } from "../helpers.js";
import { runCli } from "../cli/run-cli.js";

const { onnx } = onnxProto;
const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-onnx-"));

/** The model's logits for rows [0, n) of the test split, raw pixels in: ORT's and dptrain's reference forward. */
async function ortLogits(file: string, pixels: Uint8Array, n: number, nInputs: number): Promise<{ logits: Float32Array; probs?: Float32Array }> {
  const session = await ort.InferenceSession.create(file);
  const input = Float32Array.from(pixels.subarray(0, n * nInputs));
  const out = await session.run({ pixels: new ort.Tensor("float32", input, [n, nInputs]) });
  await session.release();
  return { logits: out.logits!.data as Float32Array, ...(out.probabilities ? { probs: out.probabilities.data as Float32Array } : {}) };
}

function referenceLogits(spec: ModelSpec, params: Float32Array, norm: InputNorm, pixels: Uint8Array, n: number): Float32Array {
  // rows in the datasets' (C, H, W) order, as the ONNX graph takes them; a conv first layer reads them channels last
  const inputs = modelInputFloats(pixels.subarray(0, n * spec.nInputs), spec, norm);
  return predictLogits(spec, params, inputs, n);
}

function argmaxes(logits: Float32Array, K: number): number[] {
  return Array.from({ length: logits.length / K }, (_, b) => {
    const row = logits.subarray(b * K, (b + 1) * K);
    return row.indexOf(Math.max(...row));
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe("dptrain export: trained models in ONNX Runtime", () => {
  let mnist: Dataset;
  const runs: Record<string, string> = {};
  const trainings: [string, string[]][] = [
    ["softmax", ["-c", "configs/mnist-softmax.yaml", "--set", "train.maxSteps=40"]],
    ["mlp", ["-c", "configs/mnist-mlp.yaml", "--set", "train.maxSteps=40"]],
    ["cnn", ["-c", "configs/mnist-cnn.yaml", "--set", "train.maxSteps=25"]],
  ];

  beforeAll(async () => {
    mnist = await loadDataset("mnist");
    for (const [name, args] of trainings) {
      const out = join(tmp(), name);
      const r = await runCli(["train", ...args, "--out", out]);
      expect(r.stderr, name).toBe("");
      expect(r.code, name).toBe(0);
      runs[name] = out;
    }
  }, 240_000);

  for (const [name] of trainings) {
    it(`${name}: logits within 1e-4 of dptrain's on 1,000 test images, the same argmax, and the same test accuracy as dptrain eval`, async () => {
      const run = runs[name]!;
      const ex = await runCli(["export", run, "--probs"]);
      expect(ex.stderr).toBe("");
      expect(ex.code).toBe(0);
      expect(ex.stdout).toMatch(/^wrote .*model\.onnx: opset 17, pixels \[batch, 784\] \(0–255\) → logits, probabilities \[batch, 10\]/);
      const file = join(run, "model.onnx");
      const model = loadModelFile(join(run, "model.safetensors"));
      const K = model.spec.nClasses;

      const n = 1000;
      const ours = referenceLogits(model.spec, model.params, model.normalize, (mnist.test!.inputs as Uint8Array), n);
      const theirs = await ortLogits(file, (mnist.test!.inputs as Uint8Array), n, model.spec.nInputs);
      expect(maxAbsDiff(theirs.logits, ours)).toBeLessThan(1e-4);
      expect(argmaxes(theirs.logits, K)).toEqual(argmaxes(ours, K));
      // The probabilities output is the softmax of the logits.
      const probs = theirs.probs!;
      for (let b = 0; b < n; b++) {
        const row = Array.from(ours.subarray(b * K, (b + 1) * K));
        const max = Math.max(...row);
        const sum = row.reduce((s, x) => s + Math.exp(x - max), 0);
        for (let k = 0; k < K; k++) expect(Math.abs(probs[b * K + k]! - Math.exp(row[k]! - max) / sum)).toBeLessThan(1e-5);
      }

      // Round trip: ONNX Runtime's accuracy on the whole test set is dptrain eval's, to 0.01%.
      const all = await ortLogits(file, (mnist.test!.inputs as Uint8Array), mnist.test!.count, model.spec.nInputs);
      const predicted = argmaxes(all.logits, K);
      const accuracy = predicted.filter((p, i) => p === mnist.test!.labels[i]).length / mnist.test!.count;
      const ev = await runCli(["eval", "--model", join(run, "model.safetensors"), "--json"]);
      expect(ev.code).toBe(0);
      expect(Math.abs(accuracy - (JSON.parse(ev.stdout) as { test_acc: number }).test_acc)).toBeLessThanOrEqual(1e-4);
      expect(accuracy).toBeGreaterThan(0.5); // trained, not chance
    }, 300_000); // the CNN's reference forward over 1,000 images runs on the plain TS kernels: ~30 s alone, more beside other test files
  }

  it("names inputs and outputs with a dynamic batch, and carries the class names, dptrain's version and the run's config", async () => {
    const run = runs.cnn!;
    const out = join(tmp(), "cnn.onnx");
    expect((await runCli(["export", run, "--probs", "-o", out])).code).toBe(0);
    const proto = onnx.ModelProto.decode(readFileSync(out));
    expect(Number(proto.irVersion)).toBe(8);
    expect(proto.opsetImport.map((o) => Number(o.version))).toEqual([DEFAULT_OPSET]);
    expect(proto.producerName).toBe("dptrain");
    const graph = proto.graph as InstanceType<typeof onnx.GraphProto>;
    expect(graph.input.map((i) => i.name)).toEqual(["pixels"]);
    expect(graph.output.map((o) => o.name)).toEqual(["logits", "probabilities"]);
    expect(graph.input[0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["batch", 784]);
    expect(graph.node.map((n) => n.opType)).toEqual(["Div", "Sub", "Div", "Reshape", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"]);
    const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta["dptrain.class_names"]!)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(meta["dptrain.version"]).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(meta["dptrain.config"]).toBe(readFileSync(join(run, "config.yaml"), "utf8"));
    expect(JSON.parse(meta["dptrain.normalize"]!)).toEqual({ mean: 0.1307, std: 0.3081 });
  });

  it("--opset 11 and -o write a model ONNX Runtime runs to the same logits", async () => {
    const run = runs.mlp!;
    const out = join(tmp(), "mlp-11.onnx");
    const ex = await runCli(["export", join(run, "model.safetensors"), "-o", out, "--opset", "11"]);
    expect(ex.code).toBe(0);
    const model = loadModelFile(join(run, "model.safetensors"));
    const theirs = await ortLogits(out, (mnist.test!.inputs as Uint8Array), 100, 784);
    expect(theirs.probs).toBeUndefined();
    expect(maxAbsDiff(theirs.logits, referenceLogits(model.spec, model.params, model.normalize, (mnist.test!.inputs as Uint8Array), 100))).toBeLessThan(1e-4);
  });

  it("bad input is exit 2 in one line, and an existing output file is left as it was", async () => {
    const dir = tmp();
    const keep = join(dir, "keep.onnx");
    writeFileSync(keep, "the good file");
    const corrupt = join(dir, "corrupt.safetensors");
    writeFileSync(corrupt, Buffer.from("this is not a safetensors file at all"));
    // A model file whose layer list names a layer dptrain does not have.
    const unknown = join(dir, "unknown.safetensors");
    writeFileSync(unknown, encodeSafetensors([["fc1.weight", { shape: [10, 784], data: new Float32Array(7840) }], ["fc1.bias", { shape: [10], data: new Float32Array(10) }]], {
      format: "dptrain-model", model: JSON.stringify({ type: "sequential", layers: [{ type: "batchnorm" }, { type: "linear", out: 10 }] }), inputs: "784", classes: "10",
    }));
    const cases: [string[], RegExp][] = [
      [["export", join(dir, "missing.safetensors"), "-o", keep], /missing\.safetensors: file not found/],
      [["export", corrupt, "-o", keep], /corrupt\.safetensors: /],
      [["export", unknown, "-o", keep], /unknown\.safetensors: __metadata__\.model: expected JSON describing the model/],
      [["export", join(runs.softmax!, "model.safetensors"), "-o", join(dir, "no-such-folder", "m.onnx")], /-o .*m\.onnx: expected an existing folder, found no folder/],
      [["export", join(runs.softmax!, "model.safetensors"), "-o", keep, "--opset", "99"], /--opset|opset: expected an integer from 11 to 17/],
      [["export", join(runs.softmax!, "model.safetensors"), "-o", keep, "--opset", "7"], /--opset: expected an integer >= 11/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(readFileSync(keep, "utf8")).toBe("the good file");
    }
  });
});

describe("exportOnnx (library): every conv geometry", () => {
  const rng = new Rng(7);
  const cases: [string, number[], unknown[]][] = [
    ["stride 2, padding 1, then max-pool with stride 1", [1, 12, 12], [
      { type: "conv2d", out: 4, kernel: 3, stride: 2, padding: 1 }, { type: "relu" }, { type: "maxpool2d", kernel: 2, stride: 1 },
      { type: "flatten" }, { type: "linear", out: 6 },
    ]],
    ["three input channels (rows stored C, H, W) and a 5×5 kernel", [3, 9, 9], [
      { type: "conv2d", out: 5, kernel: 5, padding: 2 }, { type: "relu" }, { type: "conv2d", out: 2, kernel: 3 }, { type: "maxpool2d", kernel: 2 },
      { type: "dropout", p: 0.3 }, { type: "flatten" }, { type: "linear", out: 7 }, { type: "relu" }, { type: "linear", out: 4 },
    ]],
  ];
  for (const [title, inputShape, layers] of cases) {
    it(`${title}: ONNX Runtime gives dptrain's logits`, async () => {
      const nInputs = inputShape.reduce((a, b) => a * b, 1);
      const nClasses = (layers[layers.length - 1] as { out: number }).out;
      const spec = specFromConfig(ConfigSchema.shape.model.parse({ type: "sequential", layers }), nInputs, nClasses, inputShape);
      const params = randomArray(Float32Array, paramLayout(spec).nParams, rng, 0.3);
      const norm = { mean: 0.5, std: 0.25 };
      const bytes = exportOnnx({ spec, params, normalize: norm }, { probs: false });
      const n = 16;
      const pixels = Uint8Array.from({ length: n * nInputs }, () => Math.floor(rng.nextFloat() * 256));
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ pixels: new ort.Tensor("float32", Float32Array.from(pixels), [n, nInputs]) });
      await session.release();
      expect(maxAbsDiff(out.logits!.data as Float32Array, referenceLogits(spec, params, norm, pixels, n))).toBeLessThan(1e-4);
    });
  }

  it("a model of f32 features: the graph standardizes them as dptrain's loader does", async () => {
    const spec = specFromConfig(ConfigSchema.shape.model.parse({ type: "mlp", hidden: [8] }), 5, 3);
    const params = randomArray(Float32Array, paramLayout(spec).nParams, rng, 0.5);
    const standardize = { mean: [1, -2, 300, 0, 0.5], std: [2, 0.01, 100, 1, 3] };
    const bytes = exportOnnx({ spec, params, normalize: { mean: 0, std: 1 }, inputType: "f32", standardize });
    const n = 8;
    const raw = Float32Array.from({ length: n * 5 }, (_, i) => standardize.mean[i % 5]! + (rng.nextFloat() * 2 - 1) * 3 * standardize.std[i % 5]!);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ pixels: new ort.Tensor("float32", raw.slice(), [n, 5]) });
    await session.release();
    const ours = predictLogits(spec, params, applyStandardization(raw.slice(), standardize), n);
    expect(maxAbsDiff(out.logits!.data as Float32Array, ours)).toBeLessThan(1e-5);
  });

  it("refuses an opset out of range and class names of the wrong count", () => {
    const spec = specFromConfig(ConfigSchema.shape.model.parse({ type: "softmax" }), 4, 3);
    const model = { spec, params: new Float32Array(paramLayout(spec).nParams), normalize: { mean: 0, std: 1 } };
    expect(() => exportOnnx(model, { opset: 18 })).toThrow(OnnxExportError);
    expect(errorOf(() => exportOnnx(model, { opset: 10 }))).toBe("opset: expected an integer from 11 to 17 (IR version 8), found 10");
    expect(errorOf(() => exportOnnx(model, { classNames: ["a", "b"] }))).toBe("class names: expected 3 (the model's classes), found 2");
  });
});
