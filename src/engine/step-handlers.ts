// What a step worker does with each task, written once for any kernel set (F = view or pointer).
// Holds no training state: only views/pointers derived from the layout, cached at start.
import { bindParams, f32View, i32View, slotRegion, u8View, type Binder } from "../arena/arena.js";
import type { ArenaLayout } from "../arena/layout.js";
import type { InputNorm } from "../data/normalize.js";
import type { Kernels } from "../kernels/kernels.js";
import { argmaxRows } from "../kernels/ts/softmax-ce.js";
import { backward, forward, type ParamViews, type Workspace } from "../model/graph.js";
import type { ModelSpec } from "../model/spec.js";
import { learningRateAt } from "../optim/schedule.js";
import { FaultInjector, type FaultSpec } from "./faults.js";
import { shardRows, type EvalResult, type EvalTask, type GradResult, type GradTask, type OptimSettings, type ReduceResult, type ReduceTask } from "./protocol.js";

export interface StepHandlers {
  grad(task: GradTask): GradResult;
  reduce(task: ReduceTask): ReduceResult;
  eval(task: EvalTask): EvalResult;
}

export function makeStepHandlers<F, U8, U32>(
  k: Kernels<F, U8, U32>, bind: Binder<F, U8, U32>,
  memory: WebAssembly.Memory, layout: ArenaLayout, spec: ModelSpec, optim: OptimSettings, inputNorm: InputNorm, faults: FaultSpec[] = [],
): StepHandlers {
  const injector = faults.length > 0 ? new FaultInjector(faults, i32View(memory, layout.control)) : null;
  const params: [ParamViews<F>, ParamViews<F>] = [bindParams(layout, layout.params[0], bind.f32), bindParams(layout, layout.params[1], bind.f32)];
  const grads: ParamViews<F>[] = [];
  for (let s = 0; s < layout.nSlots; s++) grads.push(bindParams(layout, slotRegion(layout, s), bind.f32));
  const workspaces: Workspace<F>[] = layout.scratch.map((slot) => ({ acts: slot.acts.map(bind.f32), dacts: slot.dacts.map(bind.f32) }));
  const labelBufs = layout.scratch.map((slot) => bind.u8(slot.labels));
  // Typed views for the few values read on the JS side (eval's confusion matrix).
  const logitViews = layout.scratch.map((slot) => f32View(memory, slot.acts[slot.acts.length - 1]!));
  const labelViews = layout.scratch.map((slot) => u8View(memory, slot.labels));
  const predBufs = layout.scratch.map(() => new Uint8Array(layout.scratchRows));
  const train = { images: bind.u8(layout.trainImages), labels: bind.u8(layout.trainLabels), order: bind.u32(layout.trainOrder) };
  const test = { images: bind.u8(layout.testImages), labels: bind.u8(layout.testLabels), order: bind.u32(layout.testOrder) };
  const flat = {
    params: layout.params.map(bind.f32) as [F, F],
    velocity: layout.velocity.map(bind.f32) as [F, F],
    slots: bind.f32(layout.gradSlots),
  };
  const C = spec.nInputs;
  const K = spec.nClasses;
  const { mean, std } = inputNorm;

  return {
    grad(task) {
      const t0 = performance.now();
      const [batchStart, batchRows] = task.rows;
      const [first, count] = task.shards;
      const theta = params[task.step & 1];
      const ws = workspaces[task.scratch]!;
      const labels = labelBufs[task.scratch]!;
      let lossSum = 0;
      let correct = 0;
      const fault = injector?.claim(task.step, "grad", task.scratch) ?? null;
      const failAfter = fault && fault.kind !== "nan" ? first + Math.floor(fault.at * count) : Infinity;
      for (let s = first; s < first + count; s++) {
        if (s === failAfter) injector!.fire(fault!);
        const [start, end] = shardRows(batchRows, task.nShards, s);
        const B = end - start;
        k.gatherRows(ws.acts[0]!, labels, train.images, train.labels, train.order, batchStart + start, B, C, mean, std);
        forward(k, spec, theta, ws, B);
        const stats = backward(k, spec, theta, grads[s]!, ws, labels, B, 1);
        lossSum += stats.lossSum;
        correct += stats.correct;
      }
      if (fault?.kind === "nan") f32View(memory, slotRegion(layout, first))[0] = NaN;
      else if (failAfter === first + count) injector!.fire(fault!);
      return { lossSum, correct, kernelMs: performance.now() - t0 };
    },

    reduce(task) {
      const t0 = performance.now();
      const p = task.step & 1;
      const lr = learningRateAt(task.step, optim.lr, optim.schedule, optim.stepsPerEpoch, optim.totalSteps);
      const hyper = { gradScale: 1 / task.batchRows, lr, momentum: optim.momentum, nesterov: optim.nesterov, weightDecay: optim.weightDecay };
      const update = (start: number, end: number) => k.reduceSgdUpdate(
        flat.params[1 - p]!, flat.velocity[1 - p]!, flat.params[p]!, flat.velocity[p]!,
        flat.slots, layout.slotStride, task.nShards, start, end, hyper,
      );
      const fault = injector?.claim(task.step, "reduce", task.part) ?? null;
      if (fault && fault.kind !== "nan") {
        // Write part of θ_{t+1} for real, then fail: the re-run must not depend on it.
        update(task.slice[0], task.slice[0] + Math.floor(fault.at * (task.slice[1] - task.slice[0])));
        injector!.fire(fault);
      }
      const gradSq = update(task.slice[0], task.slice[1]);
      return { gradSq, kernelMs: performance.now() - t0 };
    },

    eval(task) {
      const t0 = performance.now();
      const theta = params[task.step & 1];
      const ws = workspaces[task.scratch]!;
      const labels = labelBufs[task.scratch]!;
      const logits = logitViews[task.scratch]!;
      const labelView = labelViews[task.scratch]!;
      const confusion = new Array<number>(K * K).fill(0);
      let lossSum = 0;
      let correct = 0;
      const preds = predBufs[task.scratch]!;
      for (let start = task.rows[0]; start < task.rows[1]; start += layout.scratchRows) {
        const B = Math.min(layout.scratchRows, task.rows[1] - start);
        k.gatherRows(ws.acts[0]!, labels, test.images, test.labels, test.order, start, B, C, mean, std);
        forward(k, spec, theta, ws, B);
        // The fused kernel also writes dlogits; eval ignores them (forward-only semantics).
        const stats = k.softmaxCrossEntropy(ws.dacts[ws.dacts.length - 1]!, ws.acts[ws.acts.length - 1]!, labels, B, K, 1);
        lossSum += stats.lossSum;
        correct += stats.correct;
        argmaxRows(preds, logits, B, K);
        for (let b = 0; b < B; b++) confusion[labelView[b]! * K + preds[b]!]!++;
      }
      return { lossSum, correct, confusion, kernelMs: performance.now() - t0 };
    },
  };
}
