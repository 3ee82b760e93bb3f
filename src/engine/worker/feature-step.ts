// Worker thread (each step worker).
// One step under the feature cut (common/feature-plan.ts; StepHandlers.features): this worker's
// outputs of each layer for all the batch's rows, its columns of each input gradient, and PARAMS
// of its own weight rows as their gradients are whole, with the step's barriers in between.
// step-handlers.ts builds it over the same buffers as the row cut's handlers.
import { f32View, type Binder } from "../../arena/arena.js";
import { rowsOf, type ArenaLayout, type Region } from "../../arena/layout.js";
import type { Kernels } from "../../kernels/kernels.js";
import type { ParamViews, Workspace } from "../../model/graph.js";
import type { ModelSpec } from "../../model/spec.js";
import type { FaultInjector } from "../common/faults.js";
import { featureLayerCount, featurePlan, leadingFlatten, type FeatureShare } from "../common/feature-plan.js";
import type { ParamSegment } from "../common/plan.js";
import { rowRange } from "../common/row-split.js";

/** What the step reads from the handlers that build it (step-handlers.ts names each). */
export interface FeatureStepContext<F, U8, U32, F64> {
  k: Kernels<F, U8, U32, F64>;
  bind: Binder<F, U8, U32, F64>;
  spec: ModelSpec;
  layout: ArenaLayout;
  injector: FaultInjector | null;
  memory: WebAssembly.Memory;
  /** θ in buffer 0 and 1 (step parity), by tensor */
  params: [ParamViews<F>, ParamViews<F>];
  /** every workspace row, as the kernels take buffers */
  wholeBatch: Workspace<F>;
  workspaceRows(first: number, count: number): { ws: Workspace<F>; labels: U8; acts: Region[]; dacts: Region[] };
  entryOf(d: FeatureShare["dense"], suffix: string): { offset: number };
  /** training rows [first, first + B) of the batch into the first activation (gathered, augmented) */
  gatherTrain(first: number, start: number, B: number, step: number, row0: number): void;
  /** where step's batch starts in what the workers gather from (waits for a streamed slot) */
  gatherStart(step: number, batchStart: number): number;
  paramsRunner(step: number, nRows: number): { run(seg: ParamSegment, o0: number, o1: number): void; optimMs(): number };
  rowSqView: Float64Array;
}

/**
 * The feature cut's step, as step(step, batchStart, nRows, worker, workers, sync) (the
 * arguments of StepHandlers.features). Its barriers, in order (every worker meets
 * all of them): after the gather (forward reads every row), after each of the T feature-cut
 * layers' forward (the next reads every output), after the row-cut tail's forward, loss and
 * backward (PARAMS and the next input gradient read every row's), and between two feature-cut
 * layers' input gradients (each reads all the columns the one before wrote): 1 + T + 1 +
 * max(0, T − 2). The first layer's PARAMS reads only the columns its worker wrote, so none
 * follows the last input gradient; the step's end barrier (worker-loop.ts) comes after PARAMS.
 * Each worker's share of the outputs, of the gather's and of the tail's rows follows the step's
 * ends (row-split.ts: worker 0 moves them toward each worker's speed; every worker of a step
 * reads the same). Its buffers are bound again only when the ends change (worker 0 holds them
 * while the split is near right): per dense layer and per parity of θ, this worker's outputs of
 * the forward call and its columns of the backward call, as pointers (or views) that start at its
 * first output or column, rows ldOut / ld apart.
 */
export function makeFeatureStep<F, U8, U32, F64>(c: FeatureStepContext<F, U8, U32, F64>) {
  const { k, bind, spec, layout, injector, memory, params, wholeBatch, workspaceRows, entryOf, gatherTrain, gatherStart, paramsRunner, rowSqView } = c;
  const wsp = layout.workspace;
  const K = spec.nClasses;
  const last = wsp.widths.length - 1;
  const shift = (r: Region, floats: number, length: number): F => bind.f32({ offset: r.offset + floats * 4, length, type: "f32" });
  const R = wsp.rows;
  function bindWorker(shares: FeatureShare[]) {
    return shares.map((share, l) => {
      const { dense: d, o0, o1 } = share;
      const i = d.layer;
      const [w, b] = [entryOf(d, "weight"), entryOf(d, "bias")];
      const out = wsp.acts[i + (d.fusedRelu ? 2 : 1)]!;
      // columns [c0, c1) of this layer's input gradient: the previous layer's outputs this worker owns
      const prev = l > 0 ? shares[l - 1]! : null;
      const [c0, c1] = prev ? [prev.o0, prev.o1] : [0, 0];
      return {
        share,
        cols: c1 - c0,
        out: shift(out, o0, R * d.OC - o0),
        dinp: l > 0 ? shift(wsp.dacts[i - 1]!, c0, R * d.C - c0) : null,
        mask: l > 0 ? shift(wsp.acts[i]!, c0, R * d.C - c0) : null,
        theta: ([0, 1] as const).map((p) => ({
          weight: shift(layout.params[p], w.offset + o0 * d.C, (o1 - o0) * d.C),
          bias: shift(layout.params[p], b.offset + o0, o1 - o0),
          weightCols: shift(layout.params[p], w.offset + c0, d.OC === 0 ? 0 : (d.OC - 1) * d.C + (c1 - c0)),
        })),
      };
    });
  }
  // this worker's layers for the last step's ends: most steps have the same ends as the one before
  let lastEnds: number[] = [];
  let lastLayers: ReturnType<typeof bindWorker> = [];
  const layersOf = (workers: number, worker: number, ends: ArrayLike<number>) => {
    if (lastEnds.length !== workers || lastEnds.some((e, w) => e !== ends[w])) {
      lastLayers = bindWorker(featurePlan(spec, workers, ends)[worker]!);
      lastEnds = Array.from(ends);
    }
    return lastLayers;
  };
  const T = featureLayerCount(spec);
  const flatten = leadingFlatten(spec);
  return (step: number, batchStart: number, nRows: number, worker: number, workers: number, ends: ArrayLike<number>, sync: () => void) => {
    const layers = layersOf(workers, worker, ends);
    const p = step & 1;
    const theta = params[p]!;
    const L = layers.length;
    const [r0, r1] = rowRange(ends, workers, worker, nRows);
    const B = r1 - r0;
    // from before the fault's claim, so a "slow" fault's stall counts as ROWS (as under the row cut)
    let t = performance.now();
    const fault = injector?.claim(step, "rows", worker) ?? null;
    const failAt = fault && fault.kind !== "nan" ? Math.floor(fault.at * 3) : -1;
    let rowsMs = 0, paramsMs = 0;
    const lap = () => {
      const now = performance.now();
      const ms = now - t;
      t = now;
      return ms;
    };
    const wait = () => {
      sync();
      lap();
    };
    if (failAt === 0) injector!.fire(fault!);
    const { ws, labels, dacts } = workspaceRows(r0, B);
    if (B > 0) gatherTrain(r0, gatherStart(step, batchStart) + r0, B, step, batchStart + r0);
    if (flatten && B > 0) k.transposeRows(ws.acts[1]!, ws.acts[0]!, B, flatten.positions, flatten.channels);
    rowsMs += lap();
    wait();
    // layers [0, T): this worker's outputs for all rows, a barrier after each
    for (let l = 0; l < T; l++) {
      const x = layers[l]!;
      const d = x.share.dense;
      if (x.share.o1 > x.share.o0) k.denseForward(x.out, wholeBatch.acts[d.layer]!, x.theta[p]!.weight, x.theta[p]!.bias, nRows, d.C, x.share.o1 - x.share.o0, d.fusedRelu, d.OC);
      rowsMs += lap();
      wait();
    }
    if (failAt === 1) injector!.fire(fault!);
    // layers [T, L), the loss, and their backward down to layer T−1's output gradient: by rows
    let correct = 0;
    if (B > 0) {
      for (let l = T; l < L; l++) {
        const d = layers[l]!.share.dense;
        k.denseForward(ws.acts[d.layer + (d.fusedRelu ? 2 : 1)]!, ws.acts[d.layer]!, theta[d.weight]!, theta[d.bias]!, B, d.C, d.OC, d.fusedRelu);
      }
      const losses = bind.f32(rowsOf(wsp.rowLoss, 1, (step & 1) * wsp.rows + r0, B));
      correct = k.softmaxCrossEntropy(ws.dacts[last]!, losses, ws.acts[last]!, labels, B, K, 1).correct;
      for (let l = L - 1; l >= T; l--) {
        const d = layers[l]!.share.dense;
        k.denseInputGrad(ws.dacts[d.layer - 1]!, ws.dacts[d.layer + 1]!, theta[d.weight]!, ws.acts[d.layer]!, B, d.C, d.OC);
      }
    }
    if (failAt >= 2) injector!.fire(fault!);
    if (fault?.kind === "nan" && B > 0) f32View(memory, dacts[last]!)[0] = NaN;
    rowsMs += lap();
    wait();
    const runner = paramsRunner(step, nRows);
    const paramsFault = injector?.claim(step, "params", worker) ?? null;
    if (paramsFault && paramsFault.kind !== "nan") {
      // Write part of θ_{t+1} for real, then fail: the re-run must not depend on it.
      const { share } = layers[L - 1]!;
      const part = share.o0 + Math.floor(paramsFault.at * (share.o1 - share.o0));
      if (part > share.o0) runner.run(share, share.o0, part);
      injector!.fire(paramsFault);
    }
    // PARAMS of the row-cut layers: every row's gradient is there now
    for (let l = L - 1; l >= T; l--) {
      const { share } = layers[l]!;
      if (share.o1 > share.o0) runner.run(share, share.o0, share.o1);
    }
    paramsMs += lap();
    for (let l = T - 1; l >= 0; l--) {
      const x = layers[l]!;
      const d = x.share.dense;
      // this worker's columns of layer l−1's output gradient: reads every column of layer l's
      if (l > 0) {
        if (x.cols > 0) k.denseInputGrad(x.dinp!, wholeBatch.dacts[d.layer + 1]!, x.theta[p]!.weightCols, x.mask, nRows, x.cols, d.OC, d.C);
        rowsMs += lap();
      }
      // PARAMS of layer l reads only this worker's columns of its output gradient
      if (x.share.o1 > x.share.o0) runner.run(x.share, x.share.o0, x.share.o1);
      paramsMs += lap();
      if (l > 1) wait();
    }
    // a non-finite gradient, in the first parameter row this worker owns
    const own = layers.find((x) => x.share.o1 > x.share.o0);
    if (paramsFault?.kind === "nan" && own) rowSqView[own.share.rowBase + own.share.o0] = NaN;
    return { correct, rowsMs, paramsMs, optimMs: runner.optimMs() };
  };
}

