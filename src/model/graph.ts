// Forward and backward over a model's layer list, written once against the Kernels interface,
// so the same composition runs the float32 TS kernels, the WASM and native kernels (F = arena
// pointer) and the float64 finite-difference checks.
//
// A dense layer followed by a ReLU runs as one fused kernel: forward writes the ReLU output
// straight into acts[i+2] (acts[i+1], the pre-activation, is never written), and the next dense
// layer's input gradient is masked by that output and written straight into dacts[i+1]
// (dacts[i+2] is never written). Nothing reads the skipped buffers: a ReLU's backward needs only
// its output, and a dense layer's weight gradient reads acts[i] and dacts[i+1]. A dropout between
// them breaks the fusion of the mask: its backward runs on its own, then the ReLU's.
import type { DenseParamBuffers, DropoutKey, Kernels, LossStats, SgdHyper } from "../kernels/kernels.js";
import { viewKey, type ModelSpec } from "./spec.js";

/** Named tensors of one parameter (or gradient) buffer: views["fc1Weight"], views["fc1Bias"], … */
export type ParamViews<F> = Record<string, F>;

/**
 * acts[0]   (B, nInputs) the gathered input rows
 * acts[i+1] (B, width)   output of layer i; acts[last] are the logits
 * dacts[i]  same shape as acts[i]: gradient of the loss w.r.t. acts[i] (dacts[0] is never written)
 */
export interface Workspace<F> {
  acts: F[];
  dacts: F[];
}

/** A dense layer with the indices of its input activation and its weight/bias view names. */
export interface DenseStep {
  /** PyTorch module name, e.g. "fc1" */
  name: string;
  /** index among the model's dense layers */
  index: number;
  layer: number;
  /** layer i reads acts[i] and writes acts[i+1] (or acts[i+2] when fusedRelu) */
  fusedRelu: boolean;
  weight: string;
  bias: string;
  C: number;
  OC: number;
}

type Op =
  | ({ kind: "dense" } & DenseStep)
  | { kind: "relu"; layer: number; features: number }
  | { kind: "dropout"; layer: number; features: number; p: number; stream: number };

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
  for (let i = 0; i < spec.layers.length; i++) {
    const layer = spec.layers[i]!;
    if (layer.kind === "dense") {
      const fusedRelu = spec.layers[i + 1]?.kind === "relu";
      const index = ops.filter((op) => op.kind === "dense").length;
      ops.push({ kind: "dense", name: layer.name, index, layer: i, fusedRelu, weight: viewKey(`${layer.name}.weight`), bias: viewKey(`${layer.name}.bias`), C: layer.inFeatures, OC: layer.outFeatures });
      if (fusedRelu) i++;
    } else if (layer.kind === "relu") {
      ops.push({ kind: "relu", layer: i, features: layer.features });
    } else {
      ops.push({ kind: "dropout", layer: i, features: layer.features, p: layer.p, stream: layer.stream });
    }
  }
  opCache.set(spec, ops);
  return ops;
}

/** The dense layers in order: the owners of parameter rows in the PARAMS phase. */
export function denseSteps(spec: ModelSpec): DenseStep[] {
  return opsOf(spec).filter((op): op is { kind: "dense" } & DenseStep => op.kind === "dense");
}

/** Forward over B rows; `train` gives dropout its masks (without it, evaluation: dropout passes its input through). */
export function forward<F, U8, U32, F64>(k: Kernels<F, U8, U32, F64>, spec: ModelSpec, params: ParamViews<F>, ws: Workspace<F>, B: number, train?: TrainContext): void {
  for (const op of opsOf(spec)) {
    const inp = ws.acts[op.layer]!;
    if (op.kind === "dense") {
      k.denseForward(ws.acts[op.layer + (op.fusedRelu ? 2 : 1)]!, inp, params[op.weight]!, params[op.bias]!, B, op.C, op.OC, op.fusedRelu);
    } else if (op.kind === "relu") {
      k.reluForward(ws.acts[op.layer + 1]!, inp, B * op.features);
    } else {
      k.dropoutForward(ws.acts[op.layer + 1]!, inp, B, op.features, train ? op.p : 0, dropoutKey(train, op.stream));
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
  for (let j = ops.length - 1; j >= 0; j--) {
    const op = ops[j]!;
    const i = op.layer;
    if (op.kind === "relu") {
      if (i > 0) k.reluBackward(ws.dacts[i]!, ws.dacts[i + 1]!, ws.acts[i + 1]!, B * op.features);
      continue;
    }
    if (op.kind === "dropout") {
      // The same mask as forward (recomputed from the hash): dacts[i] = dacts[i+1] · mask / (1 − p).
      if (i > 0) k.dropoutBackward(ws.dacts[i]!, ws.dacts[i + 1]!, B, op.features, train ? op.p : 0, dropoutKey(train, op.stream));
      continue;
    }
    // A fused ReLU's backward is done by the next dense layer's masked input gradient; where no
    // dense layer follows, it runs here: dacts[i+1] from dacts[i+2] and the ReLU output.
    if (op.fusedRelu && ops[j + 1]?.kind !== "dense") k.reluBackward(ws.dacts[i + 1]!, ws.dacts[i + 2]!, ws.acts[i + 2]!, B * op.OC);
    if (i === 0) continue; // no gradient w.r.t. the input pixels
    // The input came out of a fused dense+ReLU (layers i−2, i−1): mask by it and write the
    // gradient w.r.t. that dense layer's output, dacts[i−1].
    const prev = ops[j - 1];
    const masked = prev?.kind === "dense" && prev.fusedRelu;
    k.denseInputGrad(masked ? ws.dacts[i - 1]! : ws.dacts[i]!, ws.dacts[i + 1]!, params[op.weight]!, masked ? ws.acts[i]! : null, B, op.C, op.OC);
  }
  return stats;
}

/** One dense layer's parameter rows [o0, o1): weight gradient over all B rows (from acts[i] and dacts[i+1]), fused with SGD. */
export function weightGradSgd<F, U8, U32, F64>(
  k: Kernels<F, U8, U32, F64>, d: DenseStep, buffers: DenseParamBuffers<F>, rowSq: F64,
  ws: Workspace<F>, B: number, o0: number, o1: number, hyper: SgdHyper,
): void {
  k.denseWeightGradSgd(buffers, rowSq, ws.dacts[d.layer + 1]!, ws.acts[d.layer]!, B, d.C, d.OC, o0, o1, hyper);
}
