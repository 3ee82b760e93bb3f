// The single-thread reference training loop: plain Float32Arrays, the TS reference kernels,
// the whole batch in one forward/backward, then every layer's weight gradient (mean over the
// batch) fused with SGD, one layer at a time.
// No arena, no workers: the oracle the data-parallel engine is checked against.
import type { Dataset } from "../../src/data/dataset.js";
import { PLAIN_SCALING, type InputNorm } from "../../src/data/normalize.js";
import { writeEpochOrder } from "../../src/data/order.js";
import { tsKernels } from "../../src/kernels/ts/index.js";
import { argmaxRows } from "../../src/kernels/ts/softmax-ce.js";
import { backwardRows, denseSteps, forward, weightGrad, type Workspace } from "../../src/model/graph.js";
import { viewsOf } from "../../src/model/views.js";
import { initParams } from "../../src/model/init.js";
import { activationWidths, paramLayout, type ModelSpec } from "../../src/model/spec.js";
import { learningRateAt, type ScheduleSpec } from "../../src/optim/schedule.js";

export interface ReferenceOptions {
  spec: ModelSpec;
  seed: number;
  batchSize: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: ScheduleSpec;
  epochs: number;
  /** stop after this many steps in all (for equivalence checks) */
  maxSteps?: number;
  /** pixel normalization at gather time (default plain u8 / 255) */
  inputNorm?: InputNorm;
}

export interface ReferenceResult {
  params: Float32Array;
  steps: number;
  trainLoss: number;
}

function workspace(spec: ModelSpec, rows: number): Workspace<Float32Array> {
  const widths = activationWidths(spec);
  return { acts: widths.map((w) => new Float32Array(rows * w)), dacts: widths.map((w) => new Float32Array(rows * w)) };
}

export function trainReference(data: Dataset, o: ReferenceOptions): ReferenceResult {
  const k = tsKernels<Float32Array>();
  const { nParams } = paramLayout(o.spec);
  const params = new Float32Array(nParams);
  const next = new Float32Array(nParams);
  const velocity = new Float32Array(nParams);
  const nextVelocity = new Float32Array(nParams);
  initParams(params, o.spec, o.seed);
  const paramViews = viewsOf(params, o.spec);
  const [nextViews, velocityViews, nextVelocityViews] = [next, velocity, nextVelocity].map((f) => viewsOf(f, o.spec)) as [typeof paramViews, typeof paramViews, typeof paramViews];
  const ws = workspace(o.spec, o.batchSize);
  const labels = new Uint8Array(o.batchSize);
  const losses = new Float32Array(o.batchSize);
  const rowSq = new Float64Array(Math.max(...denseSteps(o.spec).map((d) => d.OC)));
  const order = new Uint32Array(data.train.count);
  const stepsPerEpoch = Math.ceil(data.train.count / o.batchSize);
  const totalSteps = Math.min(o.epochs * stepsPerEpoch, o.maxSteps ?? Infinity);
  const C = o.spec.nInputs;
  const { mean, std } = o.inputNorm ?? PLAIN_SCALING;
  let step = 0;
  let lossSum = 0;
  let rowsSeen = 0;
  for (let epoch = 0; epoch < o.epochs && step < totalSteps; epoch++) {
    writeEpochOrder(order, o.seed, epoch);
    for (let start = 0; start < data.train.count && step < totalSteps; start += o.batchSize, step++) {
      const B = Math.min(o.batchSize, data.train.count - start);
      k.gatherRows(ws.acts[0]!, labels, data.train.inputs as Uint8Array, data.train.labels, order, start, B, C, mean, std);
      const context = { seed: o.seed, step, row0: start };
      forward(k, o.spec, paramViews, ws, B, context);
      lossSum += backwardRows(k, o.spec, paramViews, ws, labels, losses, B, context).lossSum;
      rowsSeen += B;
      const lr = learningRateAt(step, { lr: o.lr, schedule: o.schedule, stepsPerEpoch, totalSteps });
      const hyper = { gradScale: 1 / B, lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay };
      for (const d of denseSteps(o.spec)) {
        const buffers = {
          weight: paramViews[d.weight]!, bias: paramViews[d.bias]!, weightVelocity: velocityViews[d.weight]!, biasVelocity: velocityViews[d.bias]!,
          weightOut: nextViews[d.weight]!, biasOut: nextViews[d.bias]!, weightVelocityOut: nextVelocityViews[d.weight]!, biasVelocityOut: nextVelocityViews[d.bias]!,
        };
        weightGrad(k, d, { sgd: hyper, params: buffers }, rowSq, ws, B, 0, d.OC);
      }
      params.set(next);
      velocity.set(nextVelocity);
    }
  }
  return { params, steps: step, trainLoss: lossSum / rowsSeen };
}

/** Test accuracy of flat params on the dataset's test split (single thread, TS kernels). */
export function testAccuracy(dataset: Dataset, spec: ModelSpec, params: Float32Array, inputNorm: InputNorm = PLAIN_SCALING, chunkRows = 500): number {
  const test = dataset.test!;
  const k = tsKernels<Float32Array>();
  const views = viewsOf(params, spec);
  const ws = workspace(spec, chunkRows);
  const labels = new Uint8Array(chunkRows);
  const preds = new Uint8Array(chunkRows);
  const order = Uint32Array.from({ length: test.count }, (_, i) => i);
  let correct = 0;
  for (let start = 0; start < test.count; start += chunkRows) {
    const B = Math.min(chunkRows, test.count - start);
    k.gatherRows(ws.acts[0]!, labels, test.inputs as Uint8Array, test.labels, order, start, B, C(spec), inputNorm.mean, inputNorm.std);
    forward(k, spec, views, ws, B);
    argmaxRows(preds, ws.acts[ws.acts.length - 1]!, B, spec.nClasses);
    for (let b = 0; b < B; b++) if (preds[b] === labels[b]) correct++;
  }
  return correct / test.count;
}

const C = (spec: ModelSpec) => spec.nInputs;
