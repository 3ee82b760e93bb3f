// Both threads: the coordinator and every step worker.
// Which worker computes what in one step (docs/architecture.md "One step"). Used by every
// worker's step loop; the coordinator needs none of it. Workers choose which rows and
// parameter rows they compute, never how, so the plan never changes a result.
import { denseSteps, type DenseStep } from "../../model/graph.js";
import type { ModelSpec } from "../../model/spec.js";
import type { NativeIsa } from "../../kernels/native/native-kernels.js";
import type { KernelSet } from "./protocol.js";

/** Contiguous part p of n items cut into `parts` parts, boundaries rounded to multiples of `align`. */
export function splitRange(n: number, parts: number, p: number, align = 1): [number, number] {
  const cut = (i: number) => (i >= parts ? n : Math.min(n, Math.floor((i * n) / parts / align) * align));
  return [cut(p), cut(p + 1)];
}

/** A range of parameter rows of one dense layer: output features [o0, o1). */
export interface ParamSegment {
  dense: DenseStep;
  o0: number;
  o1: number;
  /** index of the layer's row 0 among all parameter rows (its place in the rowSq region) */
  rowBase: number;
}

/** Each layer's row 0 among all the model's parameter rows (ParamSegment.rowBase), in layer order. */
export function paramRowBases(layers: DenseStep[]): number[] {
  let rows = 0;
  return layers.map((d) => (rows += d.OC) - d.OC);
}

/** Parameter-row cuts fall on multiples of this within a layer: whole 4-row kernel blocks. */
export const PARAM_ROW_ALIGN = 4;

/**
 * What updating one parameter costs beside its gradient sum, in multiply-adds of that sum: the
 * update streams θ, the gradient and the optimizer state through memory (measured on the MNIST
 * CNN with Adadelta, AVX2: fc1's 1.18 M parameters take ≈ 6 ms to update, ≈ 190 multiply-adds of
 * its weight-gradient kernel each). It only moves the cut when layers differ in OH·OW·B per
 * parameter, as a conv and a linear layer do.
 */
export const UPDATE_COST = 190;

/**
 * UPDATE_COST for the kernels that run the step. AVX-512's multiply-adds are cheaper while the
 * update's memory traffic is not, so one update costs more of them: with 190, the worker that owns
 * fc1 finished PARAMS 1–2 ms after the other on an AVX-512 machine (2 workers, MNIST CNN); with
 * 230 the two halves came within noise of each other.
 */
export function updateCostFor(kernels: KernelSet, isa: NativeIsa | null): number {
  return kernels === "native" && isa === "avx512" ? 230 : UPDATE_COST;
}

/**
 * PARAMS work of each of W workers: the model's parameter rows in layer order, cut into W
 * contiguous ranges of about equal cost (a row of a layer with C inputs costs C + 1 multiply-adds
 * per batch row, times OH·OW for a conv, plus updateCost per parameter). plan[w] lists worker
 * w's segments.
 */
export function paramPlan(spec: ModelSpec, workers: number, batchRows: number, updateCost = UPDATE_COST): ParamSegment[][] {
  const layers = denseSteps(spec);
  let total = 0;
  const rowCost = (d: DenseStep) => (d.C + 1) * (d.positions * batchRows + updateCost);
  for (const d of layers) total += d.OC * rowCost(d);
  // cuts[k]: the first global parameter row of worker k
  const bases = paramRowBases(layers);
  const nRows = layers.reduce((n, d) => n + d.OC, 0);
  const cuts = [0];
  for (let k = 1; k < workers; k++) {
    const target = (k * total) / workers;
    let before = 0;
    let cut = nRows;
    for (let l = 0; l < layers.length; l++) {
      const d = layers[l]!;
      const cost = d.OC * rowCost(d);
      if (before + cost >= target) {
        const o = Math.round((target - before) / rowCost(d) / PARAM_ROW_ALIGN) * PARAM_ROW_ALIGN;
        cut = bases[l]! + Math.min(d.OC, Math.max(0, o));
        break;
      }
      before += cost;
    }
    cuts.push(Math.max(cut, cuts[k - 1]!));
  }
  cuts.push(nRows);
  return Array.from({ length: workers }, (_, w) => {
    const segments: ParamSegment[] = [];
    layers.forEach((dense, l) => {
      const o0 = Math.max(cuts[w]!, bases[l]!) - bases[l]!;
      const o1 = Math.min(cuts[w + 1]!, bases[l]! + dense.OC) - bases[l]!;
      if (o1 > o0) segments.push({ dense, o0, o1, rowBase: bases[l]! });
    });
    return segments;
  });
}

/**
 * PARAMS chunks claimed at run time (worker/worker-loop.ts). Dense layers are cut as paramPlan
 * cuts them for CHUNKS_PER_WORKER · W workers, so each of their chunks costs about
 * 1 / (CHUNKS_PER_WORKER·W) of the phase. A worker that finishes early (its ROWS were lighter, or
 * the machine took its core for a moment) claims more of them, and no worker waits at the end
 * of the phase for another's fixed share. Which worker computes a row never changes its bits.
 * Conv layers keep paramPlan's cut for W workers: their weight-gradient kernel streams the
 * whole batch's activations once per call, whatever the rows, so a finer cut would read them
 * once more per piece (the MNIST CNN's conv2: 5.5 MB each time).
 */
export const CHUNKS_PER_WORKER = 4;

export function paramChunks(spec: ModelSpec, workers: number, batchRows: number, updateCost = UPDATE_COST): ParamSegment[][] {
  if (workers === 1) return paramPlan(spec, 1, batchRows, updateCost);
  const isConv = (s: ParamSegment) => s.dense.positions > 1;
  const convChunks = paramPlan(spec, workers, batchRows, updateCost).flatMap((segments) => segments.filter(isConv).map((s) => [s]));
  const denseChunks = paramPlan(spec, CHUNKS_PER_WORKER * workers, batchRows, updateCost).map((segments) => segments.filter((s) => !isConv(s)));
  // layer order, then row order: the rows a chunk covers are contiguous and chunks never overlap
  const first = (chunk: ParamSegment[]) => chunk[0]!.rowBase + chunk[0]!.o0;
  return [...convChunks, ...denseChunks.filter((chunk) => chunk.length > 0)].sort((a, b) => first(a) - first(b));
}
