// model.type: sequential: layer lists from YAML, PyTorch names, shape checks with one-line
// errors, the shorthands' equivalence, and the float64 gradient with dropout masks fixed.
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigObject } from "../../src/config/load.js";
import { specFromConfig } from "../../src/model/build.js";
import { mlp, paramLayout } from "../../src/model/spec.js";
import { initParams } from "../../src/model/init.js";
import { namedParams } from "../../src/model/views.js";
import { errorOf } from "../helpers.js";
import { modelGradientCheck } from "../kernels/model-gradient.js";
import { ts64Set } from "../kernels/set-harness.js";

const model = (layers: unknown[]) => parseConfigObject({ model: { type: "sequential", layers } }, "test").model;
const build = (layers: unknown[], shape = [1, 28, 28], classes = 10) => specFromConfig(model(layers), shape.reduce((a, b) => a * b, 1), classes, shape);

describe("sequential models", () => {
  it("names linear layers fc1, fc2, … in order (an explicit name wins), with nn.Linear shapes", () => {
    const spec = build([{ type: "flatten" }, { type: "linear", out: 128 }, { type: "relu" }, { type: "dropout", p: 0.5 }, { type: "linear", out: 10, name: "head" }]);
    expect(spec.layers.map((l) => l.kind)).toEqual(["dense", "relu", "dropout", "dense"]);
    expect(paramLayout(spec).entries.map((e) => `${e.name} [${e.shape}]`)).toEqual(["fc1.weight [128,784]", "fc1.bias [128]", "head.weight [10,128]", "head.bias [10]"]);
    expect(spec.inputShape).toEqual([1, 28, 28]);
  });

  it("the mlp shorthand and its layer list are the same model", () => {
    const list = build([{ type: "flatten" }, { type: "linear", out: 520 }, { type: "relu" }, { type: "linear", out: 320 }, { type: "relu" }, { type: "linear", out: 10 }]);
    const short = mlp([784, 520, 320, 10], "relu");
    expect(list.layers).toEqual(short.layers);
  });

  it("shape mismatches are one line naming the layer, its index and the shapes", () => {
    expect(errorOf(() => build([{ type: "linear", out: 10 }]))).toBe("model.layers[0] (linear fc1): expected a flat input of features, found shape (1, 28, 28); put { type: flatten } before it");
    expect(errorOf(() => build([{ type: "flatten" }, { type: "linear", out: 64 }, { type: "relu" }, { type: "linear", out: 12 }]))).toBe("model.layers[3] (linear fc2): expected 10 outputs (the dataset's classes), found 12");
    expect(errorOf(() => build([{ type: "flatten" }, { type: "linear", out: 10 }, { type: "relu" }]))).toBe("model.layers[2] (relu): expected the last layer to be a linear layer giving the 10 class logits, found output shape (10)");
    expect(errorOf(() => build([{ type: "flatten" }, { type: "dropout", p: 0.2 }, { type: "linear", out: 10 }]))).toBe("model.layers[1] (dropout): expected a conv2d or linear layer first (after flatten): the input pixels carry no gradient");
    expect(errorOf(() => build([{ type: "flatten" }, { type: "linear", out: 20, name: "a" }, { type: "linear", out: 10, name: "a" }]))).toBe('model.layers[2] (linear a): expected a module name not used before, found "a" again');
    expect(errorOf(() => model([{ type: "conv9" }]))).toBe('test: model.layers.0.type: expected one of "conv2d", "maxpool2d", "flatten", "linear", "relu", "dropout", found "conv9"');
    expect(errorOf(() => parseConfigObject({ model: { type: "sequential" } }, "test"))).toBe("test: model.layers: expected a list of layers (model.type is sequential), found nothing");
    expect(errorOf(() => parseConfigObject({ model: { type: "mlp", layers: [{ type: "relu" }] } }, "test"))).toMatch(/^test: model\.layers: expected no layers with type mlp \(set model\.type: sequential\)/);
    expect(errorOf(() => model([{ type: "dropout", p: 1 }]))).toMatch(/^test: model\.layers\.0\.p: expected a number < 1, found 1$/);
  });

  it("backward with dropout masks fixed by the step matches float64 finite differences", () => {
    const spec = build([{ type: "flatten" }, { type: "linear", out: 9 }, { type: "relu" }, { type: "dropout", p: 0.4 }, { type: "linear", out: 7 }, { type: "dropout", p: 0.2 }, { type: "linear", out: 5 }], [1, 3, 5], 5);
    expect(modelGradientCheck(ts64Set(), spec, 4, 1, { seed: 3, step: 11, row0: 40 })).toBeLessThan(1e-6);
  });

  it("PyTorch's examples/mnist Net: conv1, conv2, fc1, fc2 with torch's shapes; the flatten is 9216 = 64·12·12", () => {
    const spec = specFromConfig(loadConfig("configs/mnist-cnn.yaml").config.model, 784, 10, [1, 28, 28]);
    expect(paramLayout(spec).entries.map((e) => `${e.name} [${e.shape}]`)).toEqual([
      "conv1.weight [32,1,3,3]", "conv1.bias [32]", "conv2.weight [64,32,3,3]", "conv2.bias [64]",
      "fc1.weight [128,9216]", "fc1.bias [128]", "fc2.weight [10,128]", "fc2.bias [10]",
    ]);
    expect(spec.layers.map((l) => l.kind)).toEqual(["conv2d", "relu", "conv2d", "relu", "maxpool2d", "dropout", "flatten", "dense", "relu", "dropout", "dense"]);
    expect(errorOf(() => build([{ type: "conv2d", out: 8, kernel: 30 }, { type: "flatten" }, { type: "linear", out: 10 }]))).toBe("model.layers[0] (conv2d conv1): expected a 30×30 kernel to fit the input of shape (1, 28, 28), found no room");
    expect(errorOf(() => build([{ type: "flatten" }, { type: "conv2d", out: 8, kernel: 3 }]))).toBe("model.layers[1] (conv2d conv1): expected an input of shape (C, H, W), found shape (784)");
  });

  it("a small CNN's backward (padding, stride, max-pool, dropout, NCHW flatten) matches float64 finite differences", () => {
    const spec = build([
      { type: "conv2d", out: 3, kernel: 3, padding: 1 }, { type: "relu" }, { type: "conv2d", out: 4, kernel: 2, stride: 2 }, { type: "relu" },
      { type: "maxpool2d", kernel: 2 }, { type: "dropout", p: 0.3 }, { type: "flatten" }, { type: "linear", out: 6 }, { type: "relu" }, { type: "linear", out: 3 },
    ], [2, 8, 8], 3);
    expect(modelGradientCheck(ts64Set(), spec, 3, 2, { seed: 1, step: 5, row0: 9 })).toBeLessThan(1e-6);
  });

  it("model.init: torch gives torch.nn's default init: weights and biases U(±1/√fan_in)", () => {
    const spec = specFromConfig(parseConfigObject({ model: { type: "sequential", init: "torch", layers: [{ type: "conv2d", out: 4, kernel: 3 }, { type: "relu" }, { type: "flatten" }, { type: "linear", out: 10 }] } }, "test").model, 64, 10, [1, 8, 8]);
    const flat = new Float32Array(paramLayout(spec).nParams);
    initParams(flat, spec, 7);
    const views = namedParams(flat, paramLayout(spec).entries);
    for (const [name, fanIn] of [["conv1", 9], ["fc1", 144]] as const) {
      for (const part of ["weight", "bias"]) {
        const v = views[`${name}.${part}`]!;
        const bound = 1 / Math.sqrt(fanIn);
        expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
        expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound / 2);
      }
    }
  });
});
