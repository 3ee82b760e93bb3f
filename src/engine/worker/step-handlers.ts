// Worker thread (each step worker).
// What a step worker does in each phase, written once for any kernel set (F = view or pointer).
// Holds no training state: only views/pointers derived from the layout, made at start.
//   rows    ROWS: this worker's contiguous rows of the batch: gather, forward, softmax-CE (per-row
//           losses into the arena), backward through the activations into the workspace
//   params  PARAMS: this worker's parameter rows: weight gradient over all the batch's rows in
//           ascending order, fused with SGD from θ_t, v_t into θ_{t+1}, v_{t+1}; Σ g² per row.
//           Other optimizers: the plain weight-gradient kernel writes the mean gradient into the
//           grad region, then the optimizerStep kernel takes θ_t, state_t and those rows'
//           gradient to θ_{t+1}, state_{t+1} while they are in cache
//   features  the feature cut's whole step (common/feature-plan.ts): for all the batch's rows, this
//           worker's outputs of each layer forward, its columns of each input gradient, and
//           PARAMS of its own weight rows layer by layer as their gradients are whole
//   sums    after a step: Σ per-row losses (row order) and Σ g² per parameter row (row order); every
//           worker gets the same bits, so they all reach the same verdict on a non-finite step
//   skip    a skipped step: θ_{t+1}, v_{t+1} = θ_t, v_t for this worker's parameter rows
//   eval    EVAL: forward over a range of test rows, per-row losses, confusion counts
import { bindParams, f32View, i32View, u32View, u8View, type Binder } from "../../arena/arena.js";
import { rowsOf, tensorOf, type Region, type SplitRegions } from "../../arena/layout.js";
import type { DenseGradBuffers, DenseParamBuffers, Kernels, OptimStepHyper } from "../../kernels/kernels.js";
import { gatherFeatureRows } from "../../kernels/ts/gather.js";
import { readsChannelsLast } from "../../model/input-layout.js";
import { argmaxRows } from "../../kernels/ts/softmax-ce.js";
import { backwardRows, denseSteps, forward, weightGrad, type DenseStep, type ParamViews, type Workspace } from "../../model/graph.js";
import { optimStepHyper, slotPositions } from "../../optim/optimizers.js";
import { learningRateAt } from "../../optim/schedule.js";
import { FaultInjector } from "../common/faults.js";
import { paramChunks, paramPlan, updateCostFor, type ParamSegment } from "../common/plan.js";
import type { EvalResult, EvalTask, WorkerInit } from "../common/protocol.js";
import { makeFeatureStep } from "./feature-step.js";

export interface StepHandlers {
  /** ROWS of step `step`, rows [r0, r1) of its nRows, by worker `worker` (common/row-split.ts chose them); returns the rows it got right */
  rows(step: number, batchStart: number, nRows: number, r0: number, r1: number, worker: number): { correct: number; kernelMs: number };
  /**
   * PARAMS of step `step` (a batch of nRows rows) by worker `worker` of `workers`: the chunks
   * (paramChunks) that claim() hands it, until it returns −1. optimMs: the part in optimizerStep
   * (0 for fused SGD).
   */
  params(step: number, nRows: number, worker: number, workers: number, claim: () => number): { kernelMs: number; optimMs: number };
  /**
   * A whole step under the feature cut (common/feature-plan.ts), ROWS and PARAMS interleaved:
   * worker `worker` of `workers` computes its share (from the step's ends, row-split.ts) of every
   * layer's outputs for all nRows rows, calling sync() at each of the step's barriers
   * (makeFeatureStep says which).
   */
  features(step: number, batchStart: number, nRows: number, worker: number, workers: number, ends: ArrayLike<number>, sync: () => void): { correct: number; rowsMs: number; paramsMs: number; optimMs: number };
  /** how many PARAMS chunks a step has with `workers` workers */
  paramChunkCount(workers: number): number;
  sums(step: number, nRows: number): { lossSum: number; gradNormSq: number };
  skip(step: number, worker: number, workers: number): void;
  eval(task: EvalTask): EvalResult;
}

/** The handlers of a worker that runs kernel set `k` (buffers named by `bind`) over the arena and run described by `init`. */
export function makeStepHandlers<F, U8, U32, F64>(
  { kernels: k, bind }: { kernels: Kernels<F, U8, U32, F64>; bind: Binder<F, U8, U32, F64> },
  init: Pick<WorkerInit, "memory" | "layout" | "spec" | "optim" | "inputNorm" | "augment" | "stream" | "faults" | "seed" | "kernels" | "nativeIsa">,
): StepHandlers {
  const { memory, layout, spec, optim, inputNorm, faults, seed } = init;
  const updateCost = updateCostFor(init.kernels, init.nativeIsa);
  const injector = faults.length > 0 ? new FaultInjector(faults, i32View(memory, layout.control)) : null;
  const wsp = layout.workspace;
  const widths = wsp.widths;
  const params: [ParamViews<F>, ParamViews<F>] = [bindParams(layout, layout.params[0], bind.f32), bindParams(layout, layout.params[1], bind.f32)];
  /** The workspace rows [first, first + count) as kernel buffers. */
  const workspaceRows = (first: number, count: number): { ws: Workspace<F>; labels: U8; acts: Region[]; dacts: Region[] } => {
    const acts = wsp.acts.map((r, i) => rowsOf(r, widths[i]!, first, count));
    const dacts = wsp.dacts.map((r, i) => rowsOf(r, i === 0 ? 0 : widths[i]!, first, count));
    const cols = wsp.cols.map((r, j) => bind.f32(rowsOf(r, wsp.colWidths[j]!, first, count)));
    const dcols = wsp.dcols.map((r, j) => bind.f32(rowsOf(r, r.length === 0 ? 0 : wsp.colWidths[j]!, first, count)));
    return { ws: { acts: acts.map(bind.f32), dacts: dacts.map(bind.f32), cols, dcols }, labels: bind.u8(rowsOf(wsp.labels, 1, first, count)), acts, dacts };
  };
  const wholeBatch = workspaceRows(0, wsp.rows).ws;
  const dense = denseSteps(spec);
  const P = layout.nParams;
  const fused = optim.type === "sgd";
  /** Slot s of an optimizer-state buffer as a P-float region. */
  const slot = (buffer: Region, s: number): Region => ({ offset: buffer.offset + s * P * 4, length: P, type: "f32" });
  const entryOf = (d: DenseStep, suffix: string) => layout.paramEntries.find((e) => e.name === `${d.name}.${suffix}`)!;
  const tensorIn = (buffer: Region, e: ReturnType<typeof entryOf>) => bind.f32(tensorOf(buffer, e));
  // Fused SGD: θ_t and its momentum in buffer p are read, θ_{t+1} and its momentum written to 1 − p.
  const layerBuffers = fused ? ([0, 1] as const).map((p) => dense.map((d): DenseParamBuffers<F> => {
    const [w, b] = [entryOf(d, "weight"), entryOf(d, "bias")];
    const [vIn, vOut] = [slot(layout.optimState[p], 0), slot(layout.optimState[1 - p], 0)];
    return {
      weight: tensorIn(layout.params[p], w), bias: tensorIn(layout.params[p], b),
      weightVelocity: tensorIn(vIn, w), biasVelocity: tensorIn(vIn, b),
      weightOut: tensorIn(layout.params[1 - p], w), biasOut: tensorIn(layout.params[1 - p], b),
      weightVelocityOut: tensorIn(vOut, w), biasVelocityOut: tensorIn(vOut, b),
    };
  })) : null;
  // The other optimizers: each layer's mean gradient in the grad region, in θ's layout.
  const layerGrads = fused ? null : dense.map((d): DenseGradBuffers<F> => ({ weightGrad: tensorIn(layout.grad, entryOf(d, "weight")), biasGrad: tensorIn(layout.grad, entryOf(d, "bias")) }));
  const slots = layout.stateSlots;
  const positions = slotPositions(optim);
  /** The optimizer step on floats [from, to) of every parameter-sized buffer (offsets in floats from a buffer's start). */
  const updateRange = (p: number, hyper: OptimStepHyper, from: number, to: number) => {
    const range = (r: Region): F => bind.f32({ offset: r.offset + from * 4, length: to - from, type: "f32" });
    const slotRange = (buffer: Region, i: number) => (positions[i]! < 0 ? null : range(slot(buffer, positions[i]!)));
    const at = (buffer: Region) => [slotRange(buffer, 0)!, slotRange(buffer, 1), slotRange(buffer, 2)] as [F, F | null, F | null];
    k.optimizerStep(range(layout.params[1 - p]), range(layout.params[p]), range(layout.grad), { state: at(layout.optimState[p]), stateOut: at(layout.optimState[1 - p]) }, to - from, hyper);
  };
  // Every worker cuts by the configured batch size (a short last batch keeps the same cut), so
  // all workers' plans agree and the skip handler covers the rows the params handler would.
  /** cut(workers) computed once per worker count */
  const perWorkerCount = (cut: typeof paramPlan) => {
    const made = new Map<number, ParamSegment[][]>();
    return (workers: number) => made.get(workers) ?? made.set(workers, cut(spec, workers, wsp.batchRows, updateCost)).get(workers)!;
  };
  // the skip handler copies a fixed share per worker; PARAMS runs the chunks workers claim
  const planFor = perWorkerCount(paramPlan);
  const chunksFor = perWorkerCount(paramChunks);
  const rowLossHalves = [0, 1].map((p) => f32View(memory, rowsOf(wsp.rowLoss, wsp.rows, p, 1)));
  const rowSqView = new Float64Array(memory.buffer, layout.rowSq.offset, layout.rowSq.length);
  const whole = new Float32Array(memory.buffer);
  const rowSqOf = (seg: ParamSegment) => bind.f64({ offset: layout.rowSq.offset + seg.rowBase * 8, length: seg.dense.OC, type: "f64" });
  const C = spec.nInputs;
  const { mean, std } = inputNorm;
  /**
   * Rows [start, start + B) of a split's `order` into rows [first, first + B) of `into` (the
   * first activation, or the rows data.augment transforms into it): u8 pixels through the kernel
   * set's gatherRows (normalized), f32 features copied (gatherFeatureRows).
   */
  const gatherer = (split: SplitRegions, order: Region, into: Region) => {
    if (layout.inputType === "f32") {
      const [features, labels, rowIndex] = [f32View(memory, split.inputs), u8View(memory, split.labels), u32View(memory, order)];
      return (first: number, start: number, B: number) =>
        gatherFeatureRows(f32View(memory, rowsOf(into, C, first, B)), u8View(memory, rowsOf(wsp.labels, 1, first, B)), features, labels, rowIndex, start, B, C);
    }
    const [images, labels, rowIndex] = [bind.u8(split.inputs), bind.u8(split.labels), bind.u32(order)];
    return (first: number, start: number, B: number) =>
      k.gatherRows(bind.f32(rowsOf(into, C, first, B)), bind.u8(rowsOf(wsp.labels, 1, first, B)), images, labels, rowIndex, start, B, C, mean, std);
  };
  const augment = init.augment;
  const [IC, IH, IW] = (spec.inputShape?.length === 3 ? spec.inputShape : [1, 1, C]) as [number, number, number];
  const augmentGeometry = { C: IC, H: IH, W: IW, channelsLast: readsChannelsLast(spec) };
  /** A training batch's rows [first, first + B) into the first activation: gathered, then (data.augment) transformed row by row. */
  const gatherTrain = augment
    ? (() => {
        const gather = gatherer(layout.data.train, layout.trainOrder, wsp.gathered);
        // row0: the rows' place in the epoch's order (where they are gathered from differs when streamed)
        return (first: number, start: number, B: number, step: number, row0: number) => {
          gather(first, start, B);
          k.augmentRows(bind.f32(rowsOf(wsp.acts[0]!, C, first, B)), bind.f32(rowsOf(wsp.gathered, C, first, B)), B, augmentGeometry, augment, { seed, step, row0 });
        };
      })()
    : gatherer(layout.data.train, layout.trainOrder, wsp.acts[0]!);
  /**
   * data.stream: the index of a batch's first row in what the workers gather from. In the arena,
   * the epoch's order; streamed, the ring slot of the step, once the coordinator has filled it.
   */
  const ring = init.stream;
  const filled = new Int32Array(memory.buffer, layout.streamFilled.offset, 1);
  const gatherStart = ring
    ? (step: number, _batchStart: number) => {
        for (let seen = Atomics.load(filled, 0); seen <= step; seen = Atomics.load(filled, 0)) Atomics.wait(filled, 0, seen, 1000);
        return (step % ring.slots) * ring.slotRows;
      }
    : (_step: number, batchStart: number) => batchStart;
  const gatherEval = { validation: gatherer(layout.data.validation, layout.evalOrder, wsp.acts[0]!), test: gatherer(layout.data.test, layout.evalOrder, wsp.acts[0]!) };
  const K = spec.nClasses;
  const last = widths.length - 1;
  /** Points the kernels at worker slot w's scratch (a set that needs one: wasm's direct convs). */
  const useScratch = k.useScratch && layout.kernelScratchFloats > 0
    ? (w: number) => k.useScratch!(bind.f32(rowsOf(layout.kernelScratch, layout.kernelScratchFloats, w, 1)), layout.kernelScratchFloats)
    : () => {};

  /**
   * PARAMS of step `step` on a batch of nRows rows, one segment of parameter rows at a time:
   * run(seg, o0, o1) takes rows [o0, o1) of seg's layer from θ_t to θ_{t+1}; optimMs() is the
   * time spent so far in a separate optimizerStep (0 for fused SGD).
   */
  const paramsRunner = (step: number, nRows: number) => {
    const p = step & 1;
    const lr = learningRateAt(step, optim);
    const gradScale = 1 / nRows;
    const sgd = { gradScale, lr, momentum: optim.momentum ?? 0, nesterov: optim.nesterov ?? false, weightDecay: optim.weightDecay };
    const optimHyper = fused ? null : optimStepHyper(optim, lr, step + 1);
    let optimMs = 0;
    const run = (seg: ParamSegment, o0: number, o1: number) => {
      const target = layerBuffers ? { sgd, params: layerBuffers[p]![seg.dense.index]! } : { gradScale, grad: layerGrads![seg.dense.index]! };
      weightGrad(k, seg.dense, target, rowSqOf(seg), wholeBatch, nRows, o0, o1);
      if (!optimHyper) return;
      const u0 = performance.now();
      const [w, b] = [entryOf(seg.dense, "weight"), entryOf(seg.dense, "bias")];
      updateRange(p, optimHyper, w.offset + o0 * seg.dense.C, w.offset + o1 * seg.dense.C);
      updateRange(p, optimHyper, b.offset + o0, b.offset + o1);
      optimMs += performance.now() - u0;
    };
    return { run, optimMs: () => optimMs };
  };

  const featureStep = makeFeatureStep<F, U8, U32, F64>({
    k, bind, spec, layout, injector, memory, params, wholeBatch, workspaceRows, entryOf, gatherTrain, gatherStart, paramsRunner, rowSqView,
  });

  return {
    rows(step, batchStart, _nRows, r0, r1, worker) {
      const t0 = performance.now();
      const B = r1 - r0;
      if (B === 0) return { correct: 0, kernelMs: 0 };
      const fault = injector?.claim(step, "rows", worker) ?? null;
      // A failing fault fires after floor(at · 3) of the three stages: gather+forward, loss+backward.
      const failAt = fault && fault.kind !== "nan" ? Math.floor(fault.at * 3) : -1;
      const { ws, labels, dacts } = workspaceRows(r0, B);
      useScratch(worker);
      const losses = bind.f32(rowsOf(wsp.rowLoss, 1, (step & 1) * wsp.rows + r0, B));
      if (failAt === 0) injector!.fire(fault!);
      gatherTrain(r0, gatherStart(step, batchStart) + r0, B, step, batchStart + r0);
      const context = { seed, step, row0: batchStart + r0 };
      forward(k, spec, params[step & 1], ws, B, context);
      if (failAt === 1) injector!.fire(fault!);
      const stats = backwardRows(k, spec, params[step & 1], ws, labels, losses, B, context);
      if (failAt >= 2) injector!.fire(fault!);
      if (fault?.kind === "nan") f32View(memory, dacts[last]!)[0] = NaN;
      return { correct: stats.correct, kernelMs: performance.now() - t0 };
    },

    params(step, nRows, worker, workers, claim) {
      const t0 = performance.now();
      const chunks = chunksFor(workers);
      const runner = paramsRunner(step, nRows);
      const run = runner.run;
      useScratch(worker);
      const fault = injector?.claim(step, "params", worker) ?? null;
      let nanWritten = false;
      for (let c = claim(); c >= 0; c = claim()) {
        const segments = chunks[c]!;
        if (fault && fault.kind !== "nan") {
          // Write part of θ_{t+1} for real, then fail: the re-run must not depend on it.
          let budget = Math.floor(fault.at * segments.reduce((n, s) => n + s.o1 - s.o0, 0));
          for (const seg of segments) {
            const o1 = Math.min(seg.o1, seg.o0 + budget);
            if (o1 > seg.o0) run(seg, seg.o0, o1);
            budget -= o1 - seg.o0;
          }
          injector!.fire(fault);
        }
        for (const seg of segments) run(seg, seg.o0, seg.o1);
        if (fault?.kind === "nan" && !nanWritten && segments[0]) {
          rowSqView[segments[0].rowBase + segments[0].o0] = NaN;
          nanWritten = true;
        }
      }
      // A worker that claimed no chunk still fails as its fault says.
      if (fault && fault.kind !== "nan") injector!.fire(fault);
      if (fault?.kind === "nan" && !nanWritten) rowSqView[0] = NaN;
      return { kernelMs: performance.now() - t0, optimMs: runner.optimMs() };
    },

    features(step, batchStart, nRows, worker, workers, ends, sync) {
      return featureStep(step, batchStart, nRows, worker, workers, ends, sync);
    },

    paramChunkCount: (workers) => chunksFor(workers).length,

    sums(step, nRows) {
      const losses = rowLossHalves[step & 1]!;
      let lossSum = 0;
      for (let r = 0; r < nRows; r++) lossSum += losses[r]!;
      let gradNormSq = 0;
      for (let i = 0; i < rowSqView.length; i++) gradNormSq += rowSqView[i]!;
      return { lossSum, gradNormSq };
    },

    skip(step, worker, workers) {
      const p = step & 1;
      for (const seg of planFor(workers)[worker] ?? []) {
        const { C } = seg.dense;
        const pairs = [[layout.params[p], layout.params[1 - p]], ...Array.from({ length: slots }, (_, s) => [slot(layout.optimState[p], s), slot(layout.optimState[1 - p], s)])] as const;
        for (const [from, to] of pairs) {
          for (const [suffix, width] of [["weight", C], ["bias", 1]] as const) {
            const e = entryOf(seg.dense, suffix);
            const src = from.offset / 4 + e.offset + seg.o0 * width;
            whole.copyWithin(to.offset / 4 + e.offset + seg.o0 * width, src, src + (seg.o1 - seg.o0) * width);
          }
        }
      }
    },

    eval(task) {
      const t0 = performance.now();
      const theta = params[task.step & 1];
      const E = layout.evalChunkRows;
      const confusion = new Array<number>(K * K).fill(0);
      let correct = 0;
      const preds = new Uint8Array(E);
      useScratch(task.chunk);
      for (let start = task.rows[0]; start < task.rows[1]; start += E) {
        const B = Math.min(E, task.rows[1] - start);
        const { ws, labels, acts } = workspaceRows(task.chunk * E, B);
        gatherEval[task.split](task.chunk * E, start, B);
        forward(k, spec, theta, ws, B);
        // The fused kernel also writes dlogits; eval ignores them (forward-only semantics).
        const stats = k.softmaxCrossEntropy(ws.dacts[last]!, bind.f32(rowsOf(layout.evalLoss, 1, start, B)), ws.acts[last]!, labels, B, K, 1);
        correct += stats.correct;
        argmaxRows(preds, f32View(memory, acts[last]!), B, K);
        const labelView = u8View(memory, rowsOf(wsp.labels, 1, task.chunk * E, B));
        for (let b = 0; b < B; b++) confusion[labelView[b]! * K + preds[b]!]!++;
      }
      return { correct, confusion, kernelMs: performance.now() - t0 };
    },
  };
}
