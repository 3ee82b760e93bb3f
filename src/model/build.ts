// The model a config names, as a layer list (spec.ts). softmax and mlp are shorthands; a
// sequential model's layers are checked against the input shape here, each mismatch one line
// naming the layer, its index and the shapes.
import { ConfigError } from "../config/errors.js";
import type { Config } from "../config/schema.js";
import { mlp, softmaxRegression, type Layer, type ModelSpec } from "./spec.js";

/** The model named by config.model for inputs of shape inputShape (C, H, W; nInputs = their product) and nClasses classes. */
export function specFromConfig(model: Config["model"], nInputs: number, nClasses: number, inputShape: number[] = [1, 1, nInputs]): ModelSpec {
  if (model.type === "softmax") return softmaxRegression(nInputs, nClasses);
  if (model.type === "mlp") return mlp([nInputs, ...model.hidden, nClasses], model.activation);
  return sequential(model.layers ?? [], inputShape, nClasses);
}

const shapeText = (shape: number[]) => `(${shape.join(", ")})`;

function sequential(configs: NonNullable<Config["model"]["layers"]>, inputShape: number[], nClasses: number): ModelSpec {
  const layers: Layer[] = [];
  const names = new Set<string>();
  let shape = [...inputShape];
  let linears = 0;
  let dropouts = 0;
  configs.forEach((c, i) => {
    const where = `model.layers[${i}] (${c.type}${c.type === "linear" ? ` ${c.name ?? `fc${linears + 1}`}` : ""})`;
    const flat = () => {
      if (shape.length !== 1) throw new ConfigError(`${where}: expected a flat input of features, found shape ${shapeText(shape)}; put { type: flatten } before it`);
      return shape[0]!;
    };
    switch (c.type) {
      case "flatten":
        shape = [shape.reduce((a, b) => a * b, 1)];
        return;
      case "linear": {
        const inFeatures = flat();
        linears++;
        const name = c.name ?? `fc${linears}`;
        if (names.has(name)) throw new ConfigError(`${where}: expected a module name not used before, found ${JSON.stringify(name)} again`);
        names.add(name);
        const isLast = i === configs.length - 1 || configs.slice(i + 1).every((n) => n.type === "dropout");
        const nextIsRelu = configs[i + 1]?.type === "relu";
        layers.push({ kind: "dense", name, inFeatures, outFeatures: c.out, init: nextIsRelu && !isLast ? "kaiming-uniform" : "xavier-uniform" });
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
  if (layers[0]?.kind !== "dense") {
    const first = configs.findIndex((c) => c.type !== "flatten");
    throw new ConfigError(`model.layers[${first}] (${configs[first]!.type}): expected a linear layer first (after flatten): the input pixels carry no gradient`);
  }
  return { nInputs: inputShape.reduce((a, b) => a * b, 1), nClasses, layers, inputShape };
}
