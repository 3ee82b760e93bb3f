// One experiment, as `dptrain train` runs it: data → (resume) → run dir → train with metrics,
// checkpoints and progress → model file and report. Nothing is written before the inputs
// (data files, checkpoint) have been validated.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import { configToYaml } from "../config/load.js";
import { loadData } from "../data/dataset.js";
import { loadCheckpoint, saveCheckpoint, saveModel } from "./checkpoint.js";
import { train, type CheckpointReason, type TrainState } from "./train.js";
import type { BestEpoch } from "./early-stop.js";
import { checkArenaFits, stepsPerEpoch, totalSteps } from "./engine-options.js";
import { resolvedConfig, resolveWorkers } from "./machine.js";
import type { EpochMetrics, StepInfo } from "../report/metrics.js";
import { writeFileAtomic } from "../io/atomic.js";
import { specForDataset } from "../model/build.js";
import { MetricsLog, readMetrics } from "../report/metrics-log.js";
import { writeReport } from "../report/report.js";
import { claimRunDir, defaultRunDir, RUN_FILES } from "./run-dir.js";

export interface ExperimentRequest {
  config: Config;
  /** run directory (default: config.output.dir, else runs/<name>/<timestamp>) */
  outDir?: string;
  /** continue the run in this directory from its checkpoint */
  resumeDir?: string;
  /** overwrite a directory that already holds a run */
  force?: boolean;
  /** skip charts and report.html (sweeps, benchmarks) */
  noReport?: boolean;
}

export interface ExperimentStart {
  runDir: string;
  workers: number;
  stepsPerEpoch: number;
  totalSteps: number;
  resumedAtStep: number | null;
  /** the kernel set actually used: "native (avx2)", "wasm", "ts" */
  kernels: string;
}

export interface ExperimentEvents {
  onStart?(info: ExperimentStart): void;
  onStep?(info: StepInfo): void;
  /** returning false (or a promise of it) stops the run before the next epoch */
  onEpoch?(metrics: EpochMetrics): void | boolean | Promise<void | boolean>;
  /** awaited: training goes on when it resolves (an agent uploads the checkpoint here) */
  onCheckpoint?(path: string, reason: CheckpointReason, step: number): void | Promise<void>;
  onRetry?(step: number, attempt: number, message: string): void;
}

export interface ExperimentSummary {
  runDir: string;
  history: EpochMetrics[];
  stopped: boolean;
  step: number;
  testAccuracy: number | null;
  testLoss: number | null;
  /** sha256 of the final parameter bytes */
  paramsSha256: string;
  workers: number;
  /** train.earlyStop: the epoch model.safetensors holds, and whether the run stopped early */
  best: BestEpoch | null;
  earlyStopped: boolean;
}

export async function runExperiment(req: ExperimentRequest, events: ExperimentEvents = {}, signal?: AbortSignal): Promise<ExperimentSummary> {
  // engine.kernels/isa as this machine runs them: config.yaml and checkpoints record the set actually used.
  const { config, kernels } = resolvedConfig(req.config);
  const dataset = await loadData(config.data, config.seed);
  const spec = specForDataset(config.model, dataset);
  const workers = resolveWorkers(config.engine.workers);
  checkArenaFits(config, { dataset, spec, workers, kernels });
  let resume: TrainState | undefined;
  let runDir: string;
  if (req.resumeDir) {
    runDir = req.resumeDir;
    resume = loadCheckpoint(join(runDir, RUN_FILES.checkpoint), config, spec);
  } else {
    runDir = req.outDir ?? config.output.dir ?? defaultRunDir(config.name);
    claimRunDir(runDir, req.force ?? false);
  }
  mkdirSync(runDir, { recursive: true });
  writeFileAtomic(join(runDir, RUN_FILES.config), configToYaml(config));
  const metrics = new MetricsLog(join(runDir, RUN_FILES.metrics), resume !== undefined);
  const checkpointPath = join(runDir, RUN_FILES.checkpoint);
  events.onStart?.({
    runDir, workers, stepsPerEpoch: stepsPerEpoch(config, dataset.train.count), totalSteps: totalSteps(config, dataset.train.count),
    resumedAtStep: resume?.step ?? null, kernels: kernels.label,
  });
  const result = await train(config, {
    dataset, kernels, signal, ...(resume ? { resume } : {}),
    onStep: events.onStep,
    onRetry: (step, attempt, error) => events.onRetry?.(step, attempt, error.message.split("\n")[0]!),
    onEpoch: (m) => {
      metrics.append(m);
      return events.onEpoch?.(m);
    },
    onCheckpoint: (state, reason) => {
      saveCheckpoint(checkpointPath, state, config, spec, dataset);
      return events.onCheckpoint?.(checkpointPath, reason, state.step);
    },
  });
  saveModel(join(runDir, RUN_FILES.model), result.modelParams, config, spec, dataset, result.best);
  if (!req.noReport) await writeReport(runDir, { config, data: dataset, spec, params: result.modelParams, history: readMetrics(join(runDir, RUN_FILES.metrics)), evaluation: result.evaluation });
  return {
    runDir, history: result.history, stopped: result.stopped, step: result.state.step,
    testAccuracy: result.evaluation?.accuracy ?? null, testLoss: result.evaluation?.loss ?? null,
    paramsSha256: createHash("sha256").update(result.state.params).digest("hex"), workers: result.workers,
    best: result.best, earlyStopped: result.earlyStopped,
  };
}
