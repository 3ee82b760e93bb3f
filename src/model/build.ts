// The model a config names, as a layer list (spec.ts). softmax and mlp are shorthands; a
// sequential model's layers are checked against the input shape here, each mismatch one line
// naming the layer, its index and the shapes.
import { ConfigError } from "../config/errors.js";
import type { Config } from "../config/schema.js";
import { inputWidth, type Dataset } from "../data/split.js";
import { mlp, softmaxRegression, type Layer, type ModelSpec } from "./spec.js";

/** The model named by config.model for inputs of shape inputShape (C, H, W; nInputs = their product) and nClasses classes. */
export function specFromConfig(model: Config["model"], nInputs: number, nClasses: number, inputShape: number[] = [1, 1, nInputs]): ModelSpec {
  if (model.type === "softmax") return { ...softmaxRegression(nInputs, nClasses), inputShape };
  if (model.type === "mlp") return { ...mlp([nInputs, ...model.hidden, nClasses], model.activation), inputShape };
  return sequential(model.layers ?? [], inputShape, nClasses, model.init);
}

/** The model config.model names for a dataset's samples ((C, H, W) images or (F) features) and classes. */
export function specForDataset(model: Config["model"], dataset: Pick<Dataset, "inputShape" | "nClasses">): ModelSpec {
  return specFromConfig(model, inputWidth(dataset.inputShape), dataset.nClasses, dataset.inputShape);
}

const shapeText = (shape: number[]) => `(${shape.join(", ")})`;

function sequential(configs: NonNullable<Config["model"]["layers"]>, inputShape: number[], nClasses: number, init: Config["model"]["init"]): ModelSpec {
  const layers: Layer[] = [];
  const names = new Set<string>();
  let shape = [...inputShape];
  let linears = 0;
  let convs = 0;
  // The input rows are (C, H, W) (model/input-layout.ts); a conv or pool's output is (H, W, C).
  let channelsLast = false;
  let dropouts = 0;
  const unique = (name: string, where: string) => {
    if (names.has(name)) throw new ConfigError(`${where}: expected a module name not used before, found ${JSON.stringify(name)} again`);
    names.add(name);
  };
  configs.forEach((c, i) => {
    const label = c.type === "linear" ? ` ${c.name ?? `fc${linears + 1}`}` : c.type === "conv2d" ? ` ${c.name ?? `conv${convs + 1}`}` : "";
    const where = `model.layers[${i}] (${c.type}${label})`;
    const flat = () => {
      if (shape.length !== 1) throw new ConfigError(`${where}: expected a flat input of features, found shape ${shapeText(shape)}; put { type: flatten } before it`);
      return shape[0]!;
    };
    const spatial = () => {
      if (shape.length !== 3) throw new ConfigError(`${where}: expected an input of shape (C, H, W), found shape ${shapeText(shape)}`);
      return shape as [number, number, number];
    };
    const outSide = (size: number, kernel: number, stride: number, pad: number, what: string) => {
      const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
      if (out < 1) throw new ConfigError(`${where}: expected a ${kernel}×${kernel} ${what} to fit the input of shape ${shapeText(shape)}${pad ? ` padded by ${pad}` : ""}, found no room`);
      return out;
    };
    switch (c.type) {
      case "flatten": {
        // Conv activations are NHWC per row; PyTorch flattens (C, H, W): transpose where it differs.
        if (channelsLast && shape.length === 3 && shape[0]! > 1 && shape[1]! * shape[2]! > 1) layers.push({ kind: "flatten", positions: shape[1]! * shape[2]!, channels: shape[0]! });
        shape = [shape.reduce((a, b) => a * b, 1)];
        return;
      }
      case "conv2d": {
        const [C, H, W] = spatial();
        convs++;
        const name = c.name ?? `conv${convs}`;
        unique(name, where);
        const OH = outSide(H, c.kernel, c.stride, c.padding, "kernel");
        const OW = outSide(W, c.kernel, c.stride, c.padding, "kernel");
        const nextIsRelu = configs[i + 1]?.type === "relu";
        layers.push({ kind: "conv2d", name, outChannels: c.out, init: init === "torch" ? "torch" : nextIsRelu ? "kaiming-uniform" : "xavier-uniform", g: { C, H, W, KH: c.kernel, KW: c.kernel, stride: c.stride, pad: c.padding, OH, OW } });
        shape = [c.out, OH, OW];
        channelsLast = true;
        return;
      }
      case "maxpool2d": {
        const [C, H, W] = spatial();
        const stride = c.stride ?? c.kernel;
        const OH = outSide(H, c.kernel, stride, 0, "window");
        const OW = outSide(W, c.kernel, stride, 0, "window");
        layers.push({ kind: "maxpool2d", g: { C, H, W, K: c.kernel, stride, OH, OW } });
        shape = [C, OH, OW];
        return;
      }
      case "linear": {
        const inFeatures = flat();
        linears++;
        const name = c.name ?? `fc${linears}`;
        unique(name, where);
        const isLast = i === configs.length - 1 || configs.slice(i + 1).every((n) => n.type === "dropout");
        const nextIsRelu = configs[i + 1]?.type === "relu";
        layers.push({ kind: "dense", name, inFeatures, outFeatures: c.out, init: init === "torch" ? "torch" : nextIsRelu && !isLast ? "kaiming-uniform" : "xavier-uniform" });
        shape = [c.out];
        return;
      }
      case "relu":
        layers.push({ kind: "relu", features: shape.reduce((a, b) => a * b, 1) });
        return;
      case "dropout":
        layers.push({ kind: "dropout", p: c.p, features: shape.reduce((a, b) => a * b, 1), stream: dropouts++ });
        return;
    }
  });
  const lastDense = [...layers].reverse().find((l) => l.kind === "dense");
  if (!lastDense || layers[layers.length - 1]!.kind !== "dense") {
    throw new ConfigError(`model.layers[${configs.length - 1}] (${configs[configs.length - 1]!.type}): expected the last layer to be a linear layer giving the ${nClasses} class logits, found output shape ${shapeText(shape)}`);
  }
  if (shape.length !== 1 || shape[0] !== nClasses) {
    throw new ConfigError(`model.layers[${configs.length - 1}] (linear ${lastDense.name}): expected ${nClasses} outputs (the dataset's classes), found ${shape[0]}`);
  }
  if (layers[0]?.kind !== "dense" && layers[0]?.kind !== "conv2d") {
    const first = configs.findIndex((c) => c.type !== "flatten");
    throw new ConfigError(`model.layers[${first}] (${configs[first]!.type}): expected a conv2d or linear layer first (after flatten): the input pixels carry no gradient`);
  }
  return { nInputs: inputShape.reduce((a, b) => a * b, 1), nClasses, layers, inputShape };
}
