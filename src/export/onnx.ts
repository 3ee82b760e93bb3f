// A trained dptrain model as an ONNX graph, written with protobufjs over the official ONNX schema
// (the onnx-proto package: onnx.proto3, IR version 8). The graph is the PyTorch-layout model:
//
//   pixels (batch, nInputs) f32 in [0, 255], each row as dptrain's datasets hold it ((C, H, W), PyTorch's order)
//     → x / 255 − mean → / std            the model's input normalization (model.safetensors metadata)
//   or features (batch, F) f32 as in the user's CSV or .npy (a model trained on f32 features)
//     → (x − mean_f) / std_f              the standardization fitted on its training rows
//     → Reshape (batch, C, H, W)          when the first weighted layer is a conv
//     → Conv / Relu / MaxPool / Flatten / Gemm … in layer order (dropout is the identity at inference)
//     → logits (batch, K)                 and, with probs, Softmax(axis 1) → probabilities (batch, K)
//
// Weights keep PyTorch's layouts (Gemm with transB: weight (OC, C); Conv weight (OC, C, KH, KW)), so
// they are the safetensors tensors byte for byte. Activations are NCHW here where dptrain's own
// kernels keep them NHWC: dptrain's flatten transposes to NCHW order, so both flatten alike.
import onnxProto from "onnx-proto";
import type { InputNorm } from "../data/normalize.js";
import type { Standardization } from "../data/standardize.js";
import { paramLayout, type ModelSpec } from "../model/spec.js";

const { onnx } = onnxProto;

/** The schema onnx-proto compiles is IR version 8, which ONNX pairs with opsets up to 17. */
export const ONNX_IR_VERSION = 8;
/** The newest opset of IR version 8; ONNX Runtime 1.30 and onnxruntime-web 1.30 both run it. */
export const DEFAULT_OPSET = 17;
/** Every op used here (Gemm, Conv, MaxPool, Relu, Flatten, Reshape, Softmax, Sub, Div) has the semantics we need from opset 11 on. */
export const MIN_OPSET = 11;

export const INPUT_NAME = "pixels";
export const LOGITS_NAME = "logits";
export const PROBS_NAME = "probabilities";

export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxExportError";
  }
}

/** What exportOnnx reads of a model: loadModelFile's result has all of it. */
export interface ExportableModel {
  spec: ModelSpec;
  /** flat params in paramLayout(spec) */
  params: Float32Array;
  normalize: InputNorm;
  /** u8 pixels (default) or f32 features */
  inputType?: "u8" | "f32";
  /** f32 features: the per-feature standardization training applied */
  standardize?: Standardization | null;
}

export interface ExportOptions {
  /** default DEFAULT_OPSET; MIN_OPSET … DEFAULT_OPSET */
  opset?: number;
  /** add a softmax output `probabilities` beside `logits` */
  probs?: boolean;
  /** one per class, stored as JSON in the metadata key dptrain.class_names (default "0", "1", …) */
  classNames?: string[];
  /** the run's config (YAML text), stored in the metadata key dptrain.config */
  config?: string;
  /** dptrain's version, stored as producer_version */
  version?: string;
}

type Attr = { name: string; ints?: number[]; i?: number };

/** model → the bytes of an ONNX ModelProto. Throws OnnxExportError for options it cannot honour. */
export function exportOnnx(model: ExportableModel, options: ExportOptions = {}): Uint8Array {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > DEFAULT_OPSET) {
    throw new OnnxExportError(`opset: expected an integer from ${MIN_OPSET} to ${DEFAULT_OPSET} (IR version ${ONNX_IR_VERSION}), found ${opset}`);
  }
  const { spec, params, normalize } = model;
  const K = spec.nClasses;
  const names = options.classNames ?? Array.from({ length: K }, (_, k) => String(k));
  if (names.length !== K) throw new OnnxExportError(`class names: expected ${K} (the model's classes), found ${names.length}`);
  const layout = paramLayout(spec);
  if (params.length < layout.nParams) throw new OnnxExportError(`params: expected ${layout.nParams} floats for this model, found ${params.length}`);

  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  let current = INPUT_NAME;
  let rank = 2;
  let counter = 0;
  const node = (opType: string, inputs: string[], attrs: Attr[] = [], output = `${opType.toLowerCase()}_${++counter}`): string => {
    nodes.push(onnx.NodeProto.create({
      opType, name: output, input: inputs, output: [output],
      attribute: attrs.map((a) => onnx.AttributeProto.create(a.ints ? { name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints } : { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i ?? 0 })),
    }));
    return output;
  };
  const floats = (name: string, dims: number[], data: Float32Array): string => {
    // raw_data is little-endian, as Float32Array bytes are on every platform Node runs on.
    initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) }));
    return name;
  };
  const int64s = (name: string, values: number[]): string => {
    initializers.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values }));
    return name;
  };
  const param = (name: string) => {
    const e = layout.entries.find((x) => x.name === name)!;
    return floats(name, e.shape, params.subarray(e.offset, e.offset + e.size));
  };

  const features = model.inputType === "f32";
  if (!features) {
    // The input normalization, with the same three f32 roundings as dptrain's gather: (x / 255 − mean) / std.
    current = node("Div", [current, floats("pixel_scale", [], Float32Array.of(255))], [], "scaled");
    if (normalize.mean !== 0) current = node("Sub", [current, floats("normalize_mean", [], Float32Array.of(normalize.mean))], [], "centered");
    if (normalize.std !== 1) current = node("Div", [current, floats("normalize_std", [], Float32Array.of(normalize.std))], [], "normalized");
  } else if (model.standardize) {
    // The standardization, with the same two f32 roundings as dptrain's loader: (x − mean_f) / std_f.
    current = node("Sub", [current, floats("feature_mean", [spec.nInputs], Float32Array.from(model.standardize.mean))], [], "centered");
    current = node("Div", [current, floats("feature_std", [spec.nInputs], Float32Array.from(model.standardize.std))], [], "standardized");
  }

  const [C, H, W] = spec.inputShape?.length === 3 ? (spec.inputShape as [number, number, number]) : [1, 1, spec.nInputs];
  const toImage = () => {
    if (rank === 4) return;
    current = node("Reshape", [current, int64s("image_shape", [-1, C, H, W])]);
    rank = 4;
  };
  const toFeatures = () => {
    if (rank === 2) return;
    current = node("Flatten", [current], [{ name: "axis", i: 1 }]);
    rank = 2;
  };

  for (const layer of spec.layers) {
    switch (layer.kind) {
      case "conv2d": {
        toImage();
        const { KH, KW, stride, pad } = layer.g;
        current = node("Conv", [current, param(`${layer.name}.weight`), param(`${layer.name}.bias`)], [
          { name: "kernel_shape", ints: [KH, KW] }, { name: "strides", ints: [stride, stride] }, { name: "pads", ints: [pad, pad, pad, pad] },
        ], layer.name);
        break;
      }
      case "maxpool2d":
        toImage();
        current = node("MaxPool", [current], [{ name: "kernel_shape", ints: [layer.g.K, layer.g.K] }, { name: "strides", ints: [layer.g.stride, layer.g.stride] }]);
        break;
      case "flatten":
        toFeatures();
        break;
      case "dense":
        toFeatures();
        current = node("Gemm", [current, param(`${layer.name}.weight`), param(`${layer.name}.bias`)], [{ name: "transB", i: 1 }], layer.name);
        break;
      case "relu":
        current = node("Relu", [current]);
        break;
      case "dropout":
        break; // identity at inference
    }
  }
  toFeatures();
  // Name the last node's output `logits` (rename, so no Identity node is needed).
  const last = nodes[nodes.length - 1]!;
  last.output = [LOGITS_NAME];
  const outputs = [LOGITS_NAME];
  if (options.probs) outputs.push(node("Softmax", [LOGITS_NAME], [{ name: "axis", i: 1 }], PROBS_NAME));

  const tensorInfo = (name: string, width: number, doc: string) => onnx.ValueInfoProto.create({
    name, docString: doc,
    type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT, shape: onnx.TensorShapeProto.create({ dim: [{ dimParam: "batch" }, { dimValue: width }] }) }) }),
  });
  const inputDoc = features
    ? `raw feature values, one row of ${spec.nInputs} per sample, in the training file's column order; the graph ${model.standardize ? "standardizes" : "takes"} them`
    : `raw pixel values in [0, 255], one row per image of ${spec.nInputs} values (${C === 1 ? `${H}×${W}, row-major` : `${C}×${H}×${W}, channel by channel`}), as dptrain predict takes them; the graph normalizes them`;
  const graph = onnx.GraphProto.create({
    name: "dptrain",
    node: nodes,
    initializer: initializers,
    input: [tensorInfo(INPUT_NAME, spec.nInputs, inputDoc)],
    output: [
      tensorInfo(LOGITS_NAME, K, `class scores before softmax, one per class (${names.join(", ")})`),
      ...(options.probs ? [tensorInfo(PROBS_NAME, K, "softmax of the logits")] : []),
    ],
    docString: `dptrain model: ${spec.layers.map((l) => l.kind).join(" → ")}`,
  });
  const metadata: Record<string, string> = {
    "dptrain.class_names": JSON.stringify(names),
    ...(features ? (model.standardize ? { "dptrain.standardize": JSON.stringify(model.standardize) } : {}) : { "dptrain.normalize": JSON.stringify(normalize) }),
    "dptrain.input_shape": JSON.stringify([C, H, W]),
    ...(options.version ? { "dptrain.version": options.version } : {}),
    ...(options.config !== undefined ? { "dptrain.config": options.config } : {}),
  };
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: opset }],
    producerName: "dptrain",
    producerVersion: options.version ?? "",
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(proto).finish();
}
