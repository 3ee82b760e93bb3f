// A model is data: a list of layers. Forward walks it, backward walks it reversed (model/graph.ts).
// Shape letters used across dptrain: B batch rows, C input features, OC output features, K classes.

import type { ConvGeometry, PoolGeometry } from "../kernels/kernels.js";

export type Activation = "relu";

/** kaiming-uniform U(±√(6/fan_in)), xavier-uniform U(±√(6/(fan_in+fan_out))), both with zero bias; torch: U(±1/√fan_in) for weight and bias */
export type LayerInit = "kaiming-uniform" | "xavier-uniform" | "torch";

export type Layer =
  | {
      kind: "dense";
      /** PyTorch-style module name, e.g. "fc1"; params are `${name}.weight` (OC, C) and `${name}.bias` (OC) */
      name: string;
      inFeatures: number;
      outFeatures: number;
      /** kaiming-uniform before a ReLU, xavier-uniform for the logits layer; torch: torch.nn.Linear's default */
      init: LayerInit;
    }
  | {
      kind: "conv2d";
      /** PyTorch-style module name, e.g. "conv1"; params `${name}.weight` (OC, C, KH, KW) and `${name}.bias` (OC) */
      name: string;
      g: ConvGeometry;
      outChannels: number;
      init: LayerInit;
    }
  /** activations are NHWC per row: input (H, W, C), output (OH, OW, C) */
  | { kind: "maxpool2d"; g: PoolGeometry }
  /** (H·W, C) → (C, H·W): NHWC activations into PyTorch's flatten order */
  | { kind: "flatten"; positions: number; channels: number }
  | { kind: "relu"; features: number }
  /** inverted dropout (training only): keep with probability 1 − p, scaled by 1 / (1 − p); stream = its index among the model's dropouts (the mask hash's) */
  | { kind: "dropout"; p: number; features: number; stream: number };

export interface ModelSpec {
  nInputs: number;
  nClasses: number;
  layers: Layer[];
  /** (C, H, W) of one input, where a layer list was checked against it (sequential models) */
  inputShape?: number[];
}

/** mlp([784, 520, 320, 240, 120, 10], "relu"): dense layers fc1..fc5 with ReLU between them. */
export function mlp(dims: number[], activation: Activation): ModelSpec {
  if (dims.length < 2) throw new RangeError(`mlp needs at least [inputs, classes], got [${dims.join(", ")}]`);
  for (const d of dims) if (!Number.isInteger(d) || d < 1) throw new RangeError(`mlp dims must be positive integers, got [${dims.join(", ")}]`);
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const isLast = i + 2 === dims.length;
    layers.push({
      kind: "dense",
      name: `fc${i + 1}`,
      inFeatures: dims[i]!,
      outFeatures: dims[i + 1]!,
      init: isLast ? "xavier-uniform" : "kaiming-uniform",
    });
    if (!isLast && activation === "relu") layers.push({ kind: "relu", features: dims[i + 1]! });
  }
  return { nInputs: dims[0]!, nClasses: dims[dims.length - 1]!, layers };
}

/** Softmax regression is the one-layer MLP: fc1 (K, C), then softmax-cross-entropy. */
export function softmaxRegression(nInputs: number, nClasses: number): ModelSpec {
  return mlp([nInputs, nClasses], "relu");
}

export interface ParamEntry {
  /** PyTorch name, e.g. "fc1.weight" */
  name: string;
  /** view name in the arena, e.g. "fc1Weight" */
  key: string;
  /** [OC, C] for weights (nn.Linear layout), [OC] for biases */
  shape: number[];
  /** offset in floats from the start of a parameter buffer */
  offset: number;
  size: number;
}

export interface ParamLayout {
  entries: ParamEntry[];
  /** floats in one parameter buffer, entries padded to PARAM_ALIGN_FLOATS */
  nParams: number;
}

/** Each tensor starts on a 64-byte boundary so SIMD rows and cache lines line up. */
export const PARAM_ALIGN_FLOATS = 16;

export function viewKey(name: string): string {
  return name.replace(/\.(\w)/g, (_, ch: string) => ch.toUpperCase());
}

export function paramLayout(spec: ModelSpec): ParamLayout {
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, key: viewKey(name), shape, offset, size });
    offset += Math.ceil(size / PARAM_ALIGN_FLOATS) * PARAM_ALIGN_FLOATS;
  };
  for (const layer of spec.layers) {
    if (layer.kind === "conv2d") {
      add(`${layer.name}.weight`, [layer.outChannels, layer.g.C, layer.g.KH, layer.g.KW]);
      add(`${layer.name}.bias`, [layer.outChannels]);
    }
    if (layer.kind !== "dense") continue;
    add(`${layer.name}.weight`, [layer.outFeatures, layer.inFeatures]);
    add(`${layer.name}.bias`, [layer.outFeatures]);
  }
  return { entries, nParams: offset };
}

/** Width of each activation: widths[0] = inputs, widths[i+1] = output of layer i. */
export function activationWidths(spec: ModelSpec): number[] {
  const widths = [spec.nInputs];
  for (const layer of spec.layers) widths.push(layerWidth(layer));
  return widths;
}

/** Floats per row of a layer's output. */
export function layerWidth(layer: Layer): number {
  switch (layer.kind) {
    case "dense":
      return layer.outFeatures;
    case "conv2d":
      return layer.g.OH * layer.g.OW * layer.outChannels;
    case "maxpool2d":
      return layer.g.OH * layer.g.OW * layer.g.C;
    case "flatten":
      return layer.positions * layer.channels;
    default:
      return layer.features;
  }
}

/** Floats per row of each conv layer's im2col matrix (OH·OW, C·KH·KW), in layer order. */
export function colWidths(spec: ModelSpec): number[] {
  return spec.layers.flatMap((l) => (l.kind === "conv2d" ? [l.g.OH * l.g.OW * l.g.C * l.g.KH * l.g.KW] : []));
}

/** Multiply-adds per row of one forward pass (for FLOP counts: training ≈ 3× forward). */
export function macsPerRow(spec: ModelSpec): number {
  let macs = 0;
  for (const layer of spec.layers) {
    if (layer.kind === "dense") macs += layer.inFeatures * layer.outFeatures;
    if (layer.kind === "conv2d") macs += layer.g.OH * layer.g.OW * layer.outChannels * layer.g.C * layer.g.KH * layer.g.KW;
  }
  return macs;
}

/** Parameter rows of the model: one per output feature (dense) or output channel (conv2d), weight row + bias. The PARAMS phase's unit of work. */
export function paramRows(spec: ModelSpec): number {
  let rows = 0;
  for (const layer of spec.layers) {
    if (layer.kind === "dense") rows += layer.outFeatures;
    if (layer.kind === "conv2d") rows += layer.outChannels;
  }
  return rows;
}
