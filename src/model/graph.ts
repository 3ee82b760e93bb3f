// Forward and backward over a model's layer list, written once against the Kernels interface,
// so the same composition runs the float32 TS kernels, the WASM and native kernels (F = arena
// pointer) and the float64 finite-difference checks.
//
// A dense or conv layer followed by a ReLU runs as one fused kernel: forward writes the ReLU
// output straight into acts[i+2] (acts[i+1], the pre-activation, is never written). A dense
// layer right after such a pair masks its input gradient by that output and writes it straight
// into dacts[i+1] (dacts[i+2] is never written); anything else in between (dropout, flatten,
// pooling, a conv's col2im) runs the ReLU's backward on its own. Nothing reads the skipped
// buffers: a ReLU's backward needs only its output, and a weight gradient reads its layer's
// input (acts[i], or the im2col matrix) and dacts[i+1].
//
// A conv layer is im2col + the dense kernels: its input (H, W, C) per row becomes the matrix
// cols[j] (OH·OW, C·KH·KW), and its output (OH·OW, OC) is that matrix times the weight
// (OC, C·KH·KW)ᵀ, so activations of conv layers are NHWC per row. Its weight gradient is the
// dense weight-gradient kernel over all B·OH·OW positions of the batch (PARAMS, owned by
// output channel); its input gradient is dcols[j] = dout · weight, folded back by col2im.
// A kernel set with convForward / convInputGrad / convWeightGradSgd (native) works straight on
// the NHWC activations instead: the same sums, no im2col matrix and no col2im.
import type { ConvGeometry, DenseGradBuffers, DenseParamBuffers, DropoutKey, Kernels, LossStats, PoolGeometry, SgdHyper } from "../kernels/kernels.js";
import { viewKey, type ModelSpec } from "./spec.js";

/** Named tensors of one parameter (or gradient) buffer: views["fc1Weight"], views["fc1Bias"], … */
export type ParamViews<F> = Record<string, F>;

/**
 * acts[0]   (B, nInputs) the gathered input rows
 * acts[i+1] (B, width)   output of layer i; acts[last] are the logits
 * dacts[i]  same shape as acts[i]: gradient of the loss w.r.t. acts[i] (dacts[0] is never written)
 * cols[j]   (B, OH·OW·C·KH·KW) the im2col matrix of conv layer j's input (read again by PARAMS)
 * dcols[j]  same shape: its gradient (ROWS only; conv layers that are not first)
 */
export interface Workspace<F> {
  acts: F[];
  dacts: F[];
  cols?: F[];
  dcols?: F[];
}

/** A layer with parameters, as PARAMS sees it: weight rows of C values (a conv's C·KH·KW), OC of them. */
export interface DenseStep {
  /** PyTorch module name, e.g. "fc1", "conv1" */
  name: string;
  /** index among the model's parameter layers */
  index: number;
  layer: number;
  /** layer i reads acts[i] and writes acts[i+1] (or acts[i+2] when fusedRelu) */
  fusedRelu: boolean;
  weight: string;
  bias: string;
  C: number;
  OC: number;
  /** rows of the weight-gradient sum per batch row: 1 (dense) or OH·OW (conv) */
  positions: number;
  /** conv layers: the index of their im2col matrix in the workspace; dense: −1 */
  col: number;
  /** conv layers: the geometry (a kernel set with convWeightGradSgd reads the NHWC input, acts[layer]) */
  g?: ConvGeometry;
}

type Op =
  | ({ kind: "dense" } & DenseStep)
  | ({ kind: "conv"; g: ConvGeometry } & DenseStep)
  | { kind: "relu"; layer: number; features: number }
  | { kind: "dropout"; layer: number; features: number; p: number; stream: number }
  | { kind: "maxpool"; layer: number; g: PoolGeometry }
  | { kind: "flatten"; layer: number; positions: number; channels: number };

/**
 * Where a forward pass is in training, for dropout's masks: the mask of (row, unit) is a hash of
 * (seed, step, row, stream, unit), so it is the same for any worker count and for a re-run step.
 * Absent: evaluation (dropout is the identity).
 */
export interface TrainContext {
  seed: number;
  step: number;
  /** the global position of the first row of this call in the epoch's order */
  row0: number;
}

/** The spec as a list of ops with fusions applied, computed once per spec. */
const opCache = new WeakMap<ModelSpec, Op[]>();
function opsOf(spec: ModelSpec): Op[] {
  let ops = opCache.get(spec);
  if (ops) return ops;
  ops = [];
  let index = 0;
  let col = 0;
  for (let i = 0; i < spec.layers.length; i++) {
    const layer = spec.layers[i]!;
    if (layer.kind === "dense" || layer.kind === "conv2d") {
      const fusedRelu = spec.layers[i + 1]?.kind === "relu";
      const names = { name: layer.name, weight: viewKey(`${layer.name}.weight`), bias: viewKey(`${layer.name}.bias`) };
      if (layer.kind === "dense") {
        ops.push({ kind: "dense", ...names, index: index++, layer: i, fusedRelu, C: layer.inFeatures, OC: layer.outFeatures, positions: 1, col: -1 });
      } else {
        const g = layer.g;
        ops.push({ kind: "conv", ...names, index: index++, layer: i, fusedRelu, C: g.C * g.KH * g.KW, OC: layer.outChannels, positions: g.OH * g.OW, col: col++, g });
      }
      if (fusedRelu) i++;
    } else if (layer.kind === "relu") {
      ops.push({ kind: "relu", layer: i, features: layer.features });
    } else if (layer.kind === "dropout") {
      ops.push({ kind: "dropout", layer: i, features: layer.features, p: layer.p, stream: layer.stream });
    } else if (layer.kind === "maxpool2d") {
      ops.push({ kind: "maxpool", layer: i, g: layer.g });
    } else {
      ops.push({ kind: "flatten", layer: i, positions: layer.positions, channels: layer.channels });
    }
  }
  opCache.set(spec, ops);
  return ops;
}

/** The layers with parameters in order: the owners of parameter rows in the PARAMS phase. */
export function denseSteps(spec: ModelSpec): DenseStep[] {
  return opsOf(spec).filter((op): op is Extract<Op, { kind: "dense" | "conv" }> => op.kind === "dense" || op.kind === "conv");
}

/** Forward over B rows; `train` gives dropout its masks (without it, evaluation: dropout passes its input through). */
export function forward<F, U8, U32, F64>(k: Kernels<F, U8, U32, F64>, spec: ModelSpec, params: ParamViews<F>, ws: Workspace<F>, B: number, train?: TrainContext): void {
  for (const op of opsOf(spec)) {
    const inp = ws.acts[op.layer]!;
    switch (op.kind) {
      case "dense":
        k.denseForward(ws.acts[op.layer + (op.fusedRelu ? 2 : 1)]!, inp, params[op.weight]!, params[op.bias]!, B, op.C, op.OC, op.fusedRelu);
        break;
      case "conv": {
        const out = ws.acts[op.layer + (op.fusedRelu ? 2 : 1)]!;
        if (k.convForward) {
          k.convForward(out, inp, params[op.weight]!, params[op.bias]!, B, op.g, op.OC, op.fusedRelu);
          break;
        }
        k.im2col(ws.cols![op.col]!, inp, B, op.g);
        k.denseForward(out, ws.cols![op.col]!, params[op.weight]!, params[op.bias]!, B * op.positions, op.C, op.OC, op.fusedRelu);
        break;
      }
      case "relu":
        k.reluForward(ws.acts[op.layer + 1]!, inp, B * op.features);
        break;
      case "dropout":
        k.dropoutForward(ws.acts[op.layer + 1]!, inp, B, op.features, train ? op.p : 0, dropoutKey(train, op.stream));
        break;
      case "maxpool":
        k.maxpoolForward(ws.acts[op.layer + 1]!, inp, B, op.g);
        break;
      case "flatten":
        k.transposeRows(ws.acts[op.layer + 1]!, inp, B, op.positions, op.channels);
        break;
    }
  }
}

/** The mask hash's inputs for one dropout layer (eval: any; p = 0 keeps every unit). */
function dropoutKey(train: TrainContext | undefined, stream: number): DropoutKey {
  return { seed: train?.seed ?? 0, step: train?.step ?? 0, row0: train?.row0 ?? 0, stream };
}

/**
 * The ROWS half of backward: the loss on acts[last] (per-row losses into `losses`), then the
 * gradients of every activation, layer by layer in reverse. Parameter gradients are the PARAMS
 * phase's (weightGradSgd), over all rows at once.
 */
export function backwardRows<F, U8, U32, F64>(
  k: Kernels<F, U8, U32, F64>, spec: ModelSpec, params: ParamViews<F>,
  ws: Workspace<F>, labels: U8, losses: F, B: number, train?: TrainContext,
): LossStats {
  const last = spec.layers.length;
  const stats = k.softmaxCrossEntropy(ws.dacts[last]!, losses, ws.acts[last]!, labels, B, spec.nClasses, 1);
  const ops = opsOf(spec);
  // Nothing before the first layer with parameters needs a gradient (a leading flatten's input
  // is the pixels): its input gradient and the ops before it are skipped, so every op the loop
  // reaches has an input gradient to compute (its layer is past 0).
  const firstParams = ops.findIndex((op) => op.kind === "dense" || op.kind === "conv");
  for (let j = ops.length - 1; j >= firstParams; j--) {
    const op = ops[j]!;
    const i = op.layer;
    if (op.kind === "relu") {
      k.reluBackward(ws.dacts[i]!, ws.dacts[i + 1]!, ws.acts[i + 1]!, B * op.features);
      continue;
    }
    if (op.kind === "dropout" || op.kind === "maxpool" || op.kind === "flatten") {
      // dropout: the same mask as forward (recomputed from the hash); maxpool: to each window's
      // first maximum; flatten: NCHW back to NHWC.
      if (op.kind === "dropout") k.dropoutBackward(ws.dacts[i]!, ws.dacts[i + 1]!, B, op.features, train ? op.p : 0, dropoutKey(train, op.stream));
      else if (op.kind === "maxpool") k.maxpoolBackward(ws.dacts[i]!, ws.dacts[i + 1]!, ws.acts[i]!, B, op.g);
      else k.transposeRows(ws.dacts[i]!, ws.dacts[i + 1]!, B, op.channels, op.positions);
      continue;
    }
    // A fused ReLU's backward is done by the next dense layer's masked input gradient; where no
    // dense layer follows, it runs here: dacts[i+1] from dacts[i+2] and the ReLU output.
    if (op.fusedRelu && ops[j + 1]?.kind !== "dense") k.reluBackward(ws.dacts[i + 1]!, ws.dacts[i + 2]!, ws.acts[i + 2]!, B * op.OC * op.positions);
    if (j === firstParams) continue; // no gradient w.r.t. the input
    if (op.kind === "conv") {
      if (k.convInputGrad) {
        k.convInputGrad(ws.dacts[i]!, ws.dacts[i + 1]!, params[op.weight]!, B, op.g, op.OC);
        continue;
      }
      k.denseInputGrad(ws.dcols![op.col]!, ws.dacts[i + 1]!, params[op.weight]!, null, B * op.positions, op.C, op.OC);
      k.col2im(ws.dacts[i]!, ws.dcols![op.col]!, B, op.g);
      continue;
    }
    // The input came out of a fused dense+ReLU (layers i−2, i−1): mask by it and write the
    // gradient w.r.t. that dense layer's output, dacts[i−1].
    const prev = ops[j - 1];
    const masked = prev?.kind === "dense" && prev.fusedRelu;
    k.denseInputGrad(masked ? ws.dacts[i - 1]! : ws.dacts[i]!, ws.dacts[i + 1]!, params[op.weight]!, masked ? ws.acts[i]! : null, B, op.C, op.OC);
  }
  return stats;
}

/** Where a layer's weight gradient goes: one SGD step on θ (the fused kernel), or the gradient region as it is (the other optimizers step afterwards). */
export type GradTarget<F> = { sgd: SgdHyper; params: DenseParamBuffers<F> } | { gradScale: number; grad: DenseGradBuffers<F> };

/**
 * One layer's parameter rows [o0, o1): the weight gradient over all B rows (from its input,
 * acts[i], or a conv's im2col matrix where the kernel set convolves through im2col, and
 * dacts[i+1]), fused with SGD or stored as it is.
 */
export function weightGrad<F, U8, U32, F64>(
  k: Kernels<F, U8, U32, F64>, d: DenseStep, target: GradTarget<F>, rowSq: F64,
  ws: Workspace<F>, B: number, o0: number, o1: number,
): void {
  const dout = ws.dacts[d.layer + 1]!;
  if (d.g && "sgd" in target && k.convWeightGradSgd) return k.convWeightGradSgd(target.params, rowSq, dout, ws.acts[d.layer]!, B, d.g, d.OC, o0, o1, target.sgd);
  if (d.g && "grad" in target && k.convWeightGrad) return k.convWeightGrad(target.grad, rowSq, dout, ws.acts[d.layer]!, B, d.g, d.OC, o0, o1, target.gradScale);
  const inp = d.col < 0 ? ws.acts[d.layer]! : ws.cols![d.col]!;
  if ("sgd" in target) k.denseWeightGradSgd(target.params, rowSq, dout, inp, B * d.positions, d.C, d.OC, o0, o1, target.sgd);
  else k.denseWeightGrad(target.grad, rowSq, dout, inp, B * d.positions, d.C, d.OC, o0, o1, target.gradScale);
}
