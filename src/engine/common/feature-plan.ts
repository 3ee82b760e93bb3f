// Both threads: the coordinator (which cut a run uses) and every step worker (what it computes).
// The feature cut (engine.cut: features; docs/architecture.md "The feature cut"): for a model
// of linear layers with ReLUs, each worker owns a contiguous range of every layer's output
// features, and computes for ALL the batch's rows
//   forward     its outputs of each of the first T layers (denseForward with ldOut),
//   backward    its columns of those layers' input gradients (denseInputGrad with ld), and
//   PARAMS      the weight rows of its outputs (the weight-gradient kernel, as under the row cut),
// with a barrier wherever a layer reads what every worker wrote (worker/step-handlers.ts). The
// last layers, whose weights are small, run by rows with the loss (featureLayerCount). Each
// worker reads only its own rows of W in forward and in PARAMS, and it writes θ_{t+1} of exactly
// those rows, so the next step's forward finds them in its own core's cache: under the row cut
// every worker streams all of W each step, half of it just written by another core.
// Which worker computes an output never changes its bits (FEATURE INDEPENDENCE, kernels.ts).
import { denseSteps, type DenseStep } from "../../model/graph.js";
import type { Layer, ModelSpec } from "../../model/spec.js";
import { paramRowBases, type ParamSegment } from "./plan.js";
import type { StepCut } from "./protocol.js";
import { validEnds } from "./row-split.js";

/**
 * Output ranges start on multiples of this, cut at the nearest such multiple to an even share:
 * each output of a layer costs the same, so the shares of a layer differ by at most 4 outputs,
 * and the seed MLP's layers (520, 320, 240, 120 wide) split exactly in two. Alternated 2-worker
 * runs of the seed MLP with 4, 8 and 16 (3 rounds): 4 was the fastest in each, by 1–3%; a
 * barrier waits for the larger share. (With 16 and cuts rounded down, the 120-wide layer had
 * been shared 48/72.)
 */
export const FEATURE_ALIGN = 4;

/**
 * Worker w's outputs [o0, o1) of a layer of n outputs among `workers`: even shares, or, given
 * the step's ends (row-split.ts: fractions, moved toward each worker's speed), each worker's
 * fraction of the outputs, cut at multiples of FEATURE_ALIGN as well.
 */
export function featureRange(n: number, workers: number, w: number, ends: ArrayLike<number> | null = null): [number, number] {
  const at = ends === null ? null : validEnds(ends, workers);
  const fraction = (i: number) => (at === null ? (i * n) / workers : at[i - 1]! * n);
  const cut = (i: number) => (i <= 0 ? 0 : i >= workers ? n : Math.min(n, Math.round(fraction(i) / FEATURE_ALIGN) * FEATURE_ALIGN));
  return [cut(w), cut(w + 1)];
}

/**
 * Why `spec` cannot run the feature cut, or null when it can: every layer must be a dense layer,
 * each but the last followed by a ReLU (fused into it), so the only work between layers is what
 * the dense kernels do. A leading flatten (an image input into the first linear layer) runs by
 * rows with the gather.
 */
export function featureCutRefusal(spec: ModelSpec): string | null {
  const dense = denseSteps(spec);
  const lead = leadingFlatten(spec) === null ? 0 : 1;
  const refusal = "it takes a model of linear layers with a ReLU between each two (no conv, pooling or dropout)";
  if (spec.layers.length !== lead + dense.length * 2 - 1) return refusal;
  for (let i = 0; i < dense.length; i++) {
    const d = dense[i]!;
    if (d.positions !== 1 || d.layer !== lead + 2 * i || d.fusedRelu !== i < dense.length - 1) return refusal;
  }
  return null;
}

/** The model's first layer where it is a flatten (layer 0 → 1), whose output the first linear layer reads; else null. */
export function leadingFlatten(spec: ModelSpec): Extract<Layer, { kind: "flatten" }> | null {
  const first = spec.layers[0];
  return first?.kind === "flatten" ? first : null;
}

/**
 * A layer whose weight has at most this many floats runs by rows (each worker its rows, all of W):
 * so small a W costs little to stream from another core, and run by rows the last layers and the
 * loss need no barrier between them. On the seed MLP (fc4 has 28,800 weights, fc5 1,200) the
 * step took the same time within noise with 0, 2 or 3 such layers (docs/benchmarks.md "The
 * feature cut"); a model whose first layer is this small gains nothing from the feature cut.
 */
export const ROW_TAIL_WEIGHTS = 32768;

/**
 * How many leading layers the feature cut shares by outputs, T ≥ 1: the layers after them (the
 * longest run of last layers with weights of at most ROW_TAIL_WEIGHTS floats) run by rows with
 * the loss, so the step needs no barrier between them.
 */
export function featureLayerCount(spec: ModelSpec): number {
  const dense = denseSteps(spec);
  let T = dense.length;
  while (T > 1 && weights(dense[T - 1]!) <= ROW_TAIL_WEIGHTS) T--;
  return T;
}

const weights = (d: DenseStep) => d.OC * d.C;

/** One dense layer's share of one worker under the feature cut: outputs [o0, o1), which are also the parameter rows it updates. */
export type FeatureShare = ParamSegment;

/** plan[w][l]: worker w's outputs of dense layer l (possibly empty), for `workers` workers (and the step's ends: featureRange). */
export function featurePlan(spec: ModelSpec, workers: number, ends: ArrayLike<number> | null = null): FeatureShare[][] {
  const dense = denseSteps(spec);
  const bases = paramRowBases(dense);
  return Array.from({ length: workers }, (_, w) =>
    dense.map((d, l) => {
      const [o0, o1] = featureRange(d.OC, workers, w, ends);
      return { dense: d, o0, o1, rowBase: bases[l]! };
    }),
  );
}

/**
 * engine.cut for a run: "auto" takes the feature cut where the model allows it, there is more than
 * one worker (one worker reads all of W either way) but no more than `cores` (its barriers are
 * many; a sleeping barrier costs a wake-up: 8 workers on 2 cores ran the seed MLP at 21.3k
 * samples/s by features, 25.3k by rows), and the first layer's weight is more than
 * ROW_TAIL_WEIGHTS floats (softmax regression's 7,840 are not worth a barrier). An explicit
 * "features" for a model that cannot run it is refused earlier, with the key (run/engine-options.ts).
 */
export function resolveCut(setting: "auto" | StepCut, spec: ModelSpec, workers: number, cores: number): StepCut {
  if (setting !== "auto") return setting;
  const first = denseSteps(spec)[0];
  const worthIt = first !== undefined && weights(first) > ROW_TAIL_WEIGHTS;
  return workers > 1 && workers <= cores && featureCutRefusal(spec) === null && worthIt ? "features" : "rows";
}
