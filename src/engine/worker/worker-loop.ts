// Worker thread (each step worker).
// The worker side of the step loop: one long-running task per worker (per epoch). Each command
// runs a range of steps without the coordinator: per step, ROWS, a barrier, PARAMS (chunks
// claimed from a shared counter until none are left) under the row cut, or the feature cut's
// layer-by-layer phases and barriers (common/feature-plan.ts), then a barrier; every worker sums the
// step's fixed-order partials (the same bits in every worker), so all of them agree on whether
// the step was finite and whether to halt. Worker 0 writes the step's figures into the ring,
// which the coordinator reads when it likes; each worker adds its phase times to its own slots
// of the profile region.
//
// Why not one command per step: on a VM, waking a sleeping thread costs 100–300 µs, and a
// command per step needs two such wake-ups (the command, and the coordinator's own); at batch 64
// that was 13% of a step with 2 workers. Between steps the workers now only meet each other at
// barriers, spinning briefly first when each has a core of its own (task.spinMs; 0 when they
// outnumber the cores, where a spinning worker would take the core of the one it waits for).
import { batchOf } from "../common/batches.js";
import {
  BATCH, CMD, CMD_EXIT, CONSUMED, COUNT, DONE, END_BARRIER, EPOCH_FIRST, EXITED, FIRST_STEP, FIXED_ROWS, FIXED_START, HALT, MID_BARRIER,
  OUTCOME, OUTCOME_COMPLETE, OUTCOME_NON_FINITE, OUTCOME_STOPPED, P_OPTIM_MS, P_OTHER_MS, P_PARAMS_MS, P_ROWS_MS, P_STEP_MS, P_STEPS,
  P_ROWS, P_WAIT_END_MS, P_WAIT_MID_MS, PARAMS_CLAIMS, PROFILE_FIELDS, R_CORRECT, R_PARAMS_MS, R_ROW_END, R_ROWS_MS, RING_CORRECT, RING_FIELDS,
  RING_GRAD_NORM_SQ, RING_KERNEL_MS, RING_LOSS_SUM, RING_NON_FINITE, RING_ROWS, RING_STEP, RING_WALL_MS, SEQ, SKIP_BARRIER, SKIP_NON_FINITE,
  STOP, TRAIN_ROWS, GENERATION, resultOffset, type BarrierViews,
} from "../common/barrier.js";
import { RING_STEPS } from "../../arena/layout.js";
import { FEATURE_HOLD_ROWS, RowBalancer, rowRange } from "../common/row-split.js";
import type { LoopResult, LoopTask } from "../common/protocol.js";
import type { StepHandlers } from "./step-handlers.js";

/** How long one Atomics.wait sleeps before looking again. */
const WAIT_SLICE_MS = 1000;

/** A worker of a replaced pool leaves its loop (barrier.ts GENERATION). */
export class SupersededError extends Error {
  constructor() {
    super("this step worker's pool was replaced");
    this.name = "SupersededError";
  }
}

function checkGeneration(ctrl: Int32Array, generation: number): void {
  if (Atomics.load(ctrl, GENERATION) !== generation) throw new SupersededError();
}

/** Returns once ctrl[index] ≥ target: spins for up to spinMs, then sleeps in slices; leaves if the pool was replaced. */
function waitAtLeast(ctrl: Int32Array, index: number, target: number, spinMs: number, generation: number): void {
  if (Atomics.load(ctrl, index) >= target) return;
  if (spinMs > 0) {
    const t0 = performance.now();
    while (performance.now() - t0 < spinMs) if (Atomics.load(ctrl, index) >= target) return checkGeneration(ctrl, generation);
  }
  for (let v = Atomics.load(ctrl, index); v < target; v = Atomics.load(ctrl, index)) {
    checkGeneration(ctrl, generation);
    Atomics.wait(ctrl, index, v, WAIT_SLICE_MS);
  }
  checkGeneration(ctrl, generation);
}

/**
 * Counter barrier: the k-th use (k from 1) of counter `index` in this command lets everyone through
 * once W · k have arrived. The generation is checked before arriving: a worker of a replaced pool
 * that was still computing (a Web Worker runs on for a while after terminate()) must not count
 * as an arrival at the new pool's barrier, which would let a new worker into PARAMS before
 * another had finished its ROWS (a page run after a retry once ended on other bits).
 */
function barrier(ctrl: Int32Array, index: number, workers: number, k: number, spinMs: number, generation: number): void {
  checkGeneration(ctrl, generation);
  if (Atomics.add(ctrl, index, 1) + 1 === workers * k) Atomics.notify(ctrl, index);
  else waitAtLeast(ctrl, index, workers * k, spinMs, generation);
}

/**
 * What the step loop waits for (stepLoop): SEQ to move on from `seq` (the next command), or
 * CONSUMED to reach `consumed` (room in the ring); null after each step, where a thread it
 * shares with the coordinator may let the coordinator run.
 */
export type LoopWait = { seq: number } | { consumed: number } | null;

/** Runs commands until CMD_EXIT, blocking in Atomics.wait. Throws (ending the task) if a handler throws. */
export function runStepLoop(handlers: StepHandlers, views: BarrierViews, task: LoopTask): LoopResult {
  const { ctrl } = views;
  const loop = stepLoop(handlers, views, task);
  for (let r = loop.next(); ; r = loop.next()) {
    if (r.done) return r.value;
    const wait = r.value;
    if (wait === null) continue;
    if ("seq" in wait) {
      checkGeneration(ctrl, task.generation);
      Atomics.wait(ctrl, SEQ, wait.seq, WAIT_SLICE_MS);
    } else waitAtLeast(ctrl, CONSUMED, wait.consumed, 0, task.generation);
  }
}

/**
 * The step loop as the waits it needs (LoopWait): commands until CMD_EXIT, returning the steps
 * run. A step-loop thread blocks at each wait (runStepLoop); a single worker sharing its thread
 * with the coordinator (a page without cross-origin isolation, src/web/inline-pool.ts) awaits.
 */
export function* stepLoop(handlers: StepHandlers, views: BarrierViews, task: LoopTask): Generator<LoopWait, LoopResult, void> {
  const { ctrl } = views;
  let seq = task.seq;
  let steps = 0;
  for (;;) {
    while (Atomics.load(ctrl, SEQ) === seq) yield { seq };
    checkGeneration(ctrl, task.generation);
    seq = Atomics.load(ctrl, SEQ);
    if (Atomics.load(ctrl, CMD) === CMD_EXIT) return { steps };
    steps += yield* runCommand(handlers, views, task);
  }
}

/** One command (the range of steps in ctrl) as worker task.worker; returns the steps it ran. */
function* runCommand(handlers: StepHandlers, views: BarrierViews, task: LoopTask): Generator<LoopWait, number, void> {
  const { ctrl, results, ring } = views;
  const { worker, workers, spinMs, generation } = task;
  let steps = 0;
  // This worker's phase times (bench --profile): only it writes them; readers look between commands.
  const profile = views.profile.subarray(worker * PROFILE_FIELDS, (worker + 1) * PROFILE_FIELDS);
  const first = ctrl[FIRST_STEP]!, count = ctrl[COUNT]!;
  const words = { epochFirst: ctrl[EPOCH_FIRST]!, batch: ctrl[BATCH]!, trainRows: ctrl[TRAIN_ROWS]!, fixedStart: ctrl[FIXED_START]!, fixedRows: ctrl[FIXED_ROWS]! };
  const skipNonFinite = ctrl[SKIP_NON_FINITE] === 1;
  const chunks = handlers.paramChunkCount(workers);
  // Step i's PARAMS claims are [i·(chunks + W), …): each worker's last claim of a step is the one that fails.
  let claimBase = 0;
  const claim = () => {
    checkGeneration(ctrl, generation);
    const c = Atomics.add(ctrl, PARAMS_CLAIMS, 1) - claimBase;
    return c < chunks ? c : -1;
  };
  let outcome = OUTCOME_COMPLETE;
  let skips = 0;
  // uses of MID_BARRIER in this command: one per step (row cut), or the feature cut's (the same count in every worker)
  let midUses = 0;
  // Each worker's rows (and, under the feature cut, its share of every layer's outputs), read from
  // the ends of the step's parity (row-split.ts); worker 0 moves them.
  const stepEnds = new Float64Array(workers);
  const readEnds = (parity: number) => {
    for (let w = 0; w < workers; w++) stepEnds[w] = results[resultOffset(parity, w, workers) + R_ROW_END]!;
  };
  const balancer = worker === 0 && workers > 1 ? new RowBalancer(workers) : null;
  const balanceRows = new Float64Array(workers), balanceMs = new Float64Array(workers);
  // worker 0's last decided ends (the feature cut holds them; the row cut decides every step)
  const decided = new Float64Array(workers);
  for (let i = 0; i < count; i++) {
    const step = first + i;
    if (i >= RING_STEPS) yield { consumed: i - RING_STEPS + 1 };
    const t0 = performance.now();
    const { batchStart, rows } = batchOf(step, words);
    const mine = resultOffset(step & 1, worker, workers);
    // ROWS, the barrier between, PARAMS: as three phases (the row cut), or interleaved layer by
    // layer with the feature cut's barriers (common/feature-plan.ts), whose waits count as "wait mid".
    let r: { correct: number; kernelMs: number }, pr: { kernelMs: number; optimMs: number };
    let waitMid = 0;
    // this step's rows of every worker (the feature cut's gather and tail rows)
    readEnds(step & 1);
    const rangeOf = (w: number) => rowRange(stepEnds, workers, w, rows);
    const [r0, r1] = rangeOf(worker);
    if (task.cut === "features") {
      const sync = () => {
        const s0 = performance.now();
        barrier(ctrl, MID_BARRIER, workers, ++midUses, spinMs, generation);
        waitMid += performance.now() - s0;
      };
      const f = handlers.features(step, batchStart, rows, worker, workers, stepEnds, sync);
      r = { correct: f.correct, kernelMs: f.rowsMs };
      pr = { kernelMs: f.paramsMs, optimMs: f.optimMs };
    } else {
      r = handlers.rows(step, batchStart, rows, r0, r1, worker);
      // PARAMS reads every row's activations and gradients: all ROWS work must be done first.
      const m0 = performance.now();
      barrier(ctrl, MID_BARRIER, workers, ++midUses, spinMs, generation);
      waitMid = performance.now() - m0;
      claimBase = i * (chunks + workers);
      pr = handlers.params(step, rows, worker, workers, claim);
    }
    results[mine + R_CORRECT] = r.correct;
    results[mine + R_ROWS_MS] = r.kernelMs;
    results[mine + R_PARAMS_MS] = pr.kernelMs;
    // A stop request seen by any worker before the barrier halts all of them after it.
    if (Atomics.load(ctrl, STOP) === 1) Atomics.store(ctrl, HALT, 1);
    // The next step's ROWS reads θ_{t+1}: all PARAMS work must be done first.
    const t3 = performance.now();
    barrier(ctrl, END_BARRIER, workers, i + 1, spinMs, generation);
    const t4 = performance.now();
    profile[P_ROWS_MS]! += r.kernelMs;
    profile[P_ROWS]! += r1 - r0;
    profile[P_WAIT_MID_MS]! += waitMid;
    profile[P_PARAMS_MS]! += pr.kernelMs - pr.optimMs;
    profile[P_OPTIM_MS]! += pr.optimMs;
    profile[P_WAIT_END_MS]! += t4 - t3;
    profile[P_OTHER_MS]! += t3 - t0 - r.kernelMs - waitMid - pr.kernelMs;
    const { lossSum, gradNormSq } = handlers.sums(step, rows);
    const nonFinite = !Number.isFinite(lossSum) || !Number.isFinite(gradNormSq);
    if (worker === 0) {
      let correct = 0, rowsMs = 0, paramsMs = 0;
      for (let w = 0; w < workers; w++) {
        const o = resultOffset(step & 1, w, workers);
        correct += results[o + R_CORRECT]!;
        rowsMs = Math.max(rowsMs, results[o + R_ROWS_MS]!);
        paramsMs = Math.max(paramsMs, results[o + R_PARAMS_MS]!);
      }
      const e = (i % RING_STEPS) * RING_FIELDS;
      ring[e + RING_STEP] = step;
      ring[e + RING_LOSS_SUM] = lossSum;
      ring[e + RING_CORRECT] = correct;
      ring[e + RING_ROWS] = rows;
      ring[e + RING_GRAD_NORM_SQ] = gradNormSq;
      ring[e + RING_KERNEL_MS] = rowsMs + paramsMs;
      ring[e + RING_NON_FINITE] = nonFinite ? 1 : 0;
      if (balancer) {
        // the ends for step + 2 (this parity), from this step's rows and kernel times: ROWS under
        // the row cut (its PARAMS is claimed in chunks), ROWS and PARAMS under the feature cut
        // (whose shares of the outputs, and so of PARAMS, follow the rows' ends)
        for (let w = 0; w < workers; w++) {
          const o = resultOffset(step & 1, w, workers);
          const [a, z] = rangeOf(w);
          balanceRows[w] = z - a;
          balanceMs[w] = results[o + R_ROWS_MS]! + (task.cut === "features" ? results[o + R_PARAMS_MS]! : 0);
        }
        const next = balancer.next(balanceRows, balanceMs);
        // The feature cut keeps the ends it last decided while no worker's rows would move by more
        // than FEATURE_HOLD_ROWS: moving ends move every layer's output ranges, and who owns those
        // weight rows, so they move only for an imbalance worth it (docs/benchmarks.md). Both
        // parities get the decided ends, so from the step after next every step has the same
        // ranges (where each parity kept its own, ownership went back and forth every step).
        if (i === 0) decided.set(stepEnds);
        let move = task.cut !== "features";
        for (let w = 0; !move && w < workers; w++) {
          const [a, z] = rowRange(next, workers, w, rows);
          const [a0, z0] = rowRange(decided, workers, w, rows);
          move = Math.abs(z - a - (z0 - a0)) > FEATURE_HOLD_ROWS;
        }
        if (move) decided.set(next);
        for (let w = 0; w < workers; w++) results[resultOffset(step & 1, w, workers) + R_ROW_END] = decided[w]!;
      }
    }
    if (nonFinite && !skipNonFinite) {
      outcome = OUTCOME_NON_FINITE;
      if (worker === 0) {
        ring[(i % RING_STEPS) * RING_FIELDS + RING_WALL_MS] = performance.now() - t0;
        Atomics.store(ctrl, DONE, i + 1);
      }
      break;
    }
    if (nonFinite) {
      handlers.skip(step, worker, workers);
      barrier(ctrl, SKIP_BARRIER, workers, ++skips, spinMs, generation);
    }
    steps++;
    const t5 = performance.now();
    profile[P_OTHER_MS]! += t5 - t4;
    profile[P_STEP_MS]! += t5 - t0;
    profile[P_STEPS]!++;
    if (worker === 0) {
      ring[(i % RING_STEPS) * RING_FIELDS + RING_WALL_MS] = t5 - t0;
      Atomics.store(ctrl, DONE, i + 1);
    }
    if (Atomics.load(ctrl, HALT) === 1) {
      outcome = i + 1 < count ? OUTCOME_STOPPED : OUTCOME_COMPLETE;
      break;
    }
    yield null;
  }
  if (worker === 0) Atomics.store(ctrl, OUTCOME, outcome);
  if (Atomics.add(ctrl, EXITED, 1) + 1 === workers) Atomics.notify(ctrl, EXITED);
  return steps;
}
