// From a config to the engine it describes: worker and step counts, and the arena check that
// runs before anything is written. Host-neutral (a web page builds its engine here too); what
// depends on this machine (cores, the native addon) is in machine.ts.
import { ArenaTooLargeError, layout as computeLayout } from "../arena/layout.js";
import { ConfigError } from "../config/errors.js";
import { OWN_DATA_KINDS, type Config } from "../config/schema.js";
import type { Dataset } from "../data/dataset.js";
import { layoutInputOf, type EngineSettings } from "../engine/coordinator/engine.js";
import { featureCutRefusal } from "../engine/common/feature-plan.js";
import type { ResolvedKernels } from "../kernels/resolve.js";
import type { AugmentSettings } from "../kernels/kernels.js";
import { normalizedPixel } from "../data/normalize.js";
import { activationWidths, paramLayout, type ModelSpec } from "../model/spec.js";

export function stepsPerEpoch(config: Config, nTrain: number): number {
  return Math.ceil(nTrain / config.train.batchSize);
}

export function totalSteps(config: Config, nTrain: number): number {
  return Math.min(config.train.epochs * stepsPerEpoch(config, nTrain), config.train.maxSteps ?? Infinity);
}

/** What an engine is built for besides the config: the data, the model, the threads and the kernels resolved once for the run. */
export interface EngineFor {
  dataset: Dataset;
  spec: ModelSpec;
  workers: number;
  kernels: ResolvedKernels;
}

/** The engine a config describes (train, evaluate and bench all build it here). */
export function engineOptions(config: Config, { dataset, spec, workers, kernels }: EngineFor): EngineSettings {
  return {
    spec, dataset, seed: config.seed, batchSize: config.train.batchSize, workers, kernels, evalChunkRows: config.eval.batchSize,
    optim: { ...config.optim, stepsPerEpoch: stepsPerEpoch(config, dataset.train.count), totalSteps: totalSteps(config, dataset.train.count) },
    cut: engineCut(config, spec), stepTimeoutMs: config.engine.stepTimeoutMs, maxRetries: config.engine.maxRetries, inputNorm: config.data.normalize,
    augment: augmentSettings(config, dataset),
  };
}

/** engine.cut, refused where the model cannot be cut by features. */
function engineCut(config: Config, spec: ModelSpec): Config["engine"]["cut"] {
  const refusal = config.engine.cut === "features" ? featureCutRefusal(spec) : null;
  if (refusal) throw new ConfigError(`engine.cut: expected rows or auto for this model, found features (${refusal})`);
  return config.engine.cut;
}

/** data.augment as the kernels take it: positions outside the image get the input a 0 pixel becomes (0 for f32 images). */
export function augmentSettings(config: Config, dataset: Dataset): AugmentSettings | null {
  const a = config.data.augment;
  if (!a || (a.shift === 0 && !a.flip && a.rotate === 0)) return null;
  if (dataset.inputShape.length !== 3) throw new ConfigError(`data.augment: expected image inputs (C, H, W), found features of shape (${dataset.inputShape.join(", ")})`);
  const { mean, std } = config.data.normalize;
  return { shift: a.shift, flip: a.flip, rotate: a.rotate, fill: dataset.inputType === "u8" ? normalizedPixel(0, mean, std) : 0 };
}

/** What sizes the biggest part of an arena: the key to lower, and what it takes. */
function arenaDriver(config: Config, engine: EngineFor): { key: string; what: string } {
  const { spec, workers } = engine;
  const input = layoutInputOf(engineOptions(config, engine));
  const { nParams } = paramLayout(spec);
  const paramBytes = nParams * 4 * (2 + 2 * (input.stateSlots ?? 1) + (input.gradScratch ? 1 : 0));
  const rowFloats = activationWidths(spec).reduce((n, w) => n + 2 * w, 0);
  const evalRows = workers * config.eval.batchSize;
  const workspaceBytes = Math.max(config.train.batchSize, evalRows) * rowFloats * 4;
  const { dataset } = engine;
  const rows = (dataset.train.source ? 0 : dataset.train.count) + (dataset.validation?.count ?? 0) + (dataset.test?.count ?? 0);
  const dataBytes = rows * spec.nInputs * (dataset.inputType === "f32" ? 4 : 1);
  if (dataBytes >= paramBytes && dataBytes >= workspaceBytes) {
    const key = (OWN_DATA_KINDS as readonly string[]).includes(config.data.dataset) ? "data.train" : "data.dataset";
    return { key, what: `the data take ${gib(dataBytes)}${config.data.dataset === "images" ? "; a smaller data.size shrinks them" : ""}` };
  }
  return paramBytes >= workspaceBytes
    ? { key: config.model.type === "softmax" ? "model.type" : config.model.type === "sequential" ? "model.layers" : "model.hidden", what: `the parameters and optimizer state take ${gib(paramBytes)}` }
    : { key: evalRows > config.train.batchSize ? "eval.batchSize" : "train.batchSize", what: `the activations of ${Math.max(config.train.batchSize, evalRows)} rows take ${gib(workspaceBytes)}` };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/**
 * Refuses a config whose arena would not fit WebAssembly's 4 GiB, naming the key that sizes the
 * biggest part: the parameters with their optimizer state (model.hidden), or the per-row
 * workspace (train.batchSize, or eval.batchSize × workers).
 */
export function checkArenaFits(config: Config, engine: EngineFor): void {
  try {
    computeLayout(layoutInputOf(engineOptions(config, engine)));
  } catch (err) {
    if (!(err instanceof ArenaTooLargeError)) throw err;
    const { key, what } = arenaDriver(config, engine);
    throw new ConfigError(`${key}: expected a model and batch whose arena fits WebAssembly's 4 GiB, found ${gib(err.bytes)} (${what}); lower ${key}`);
  }
}

/**
 * The error for an arena that fits 4 GiB but that this process could not allocate (a browser tab
 * may refuse a few GiB of shared memory): one line naming the key, as checkArenaFits does.
 */
export function arenaNotAllocated(config: Config, engine: EngineFor, cause: Error): ConfigError {
  const bytes = computeLayout(layoutInputOf(engineOptions(config, engine))).pages * 65536;
  const { key, what } = arenaDriver(config, engine);
  return new ConfigError(`${key}: expected a model and batch whose arena of ${gib(bytes)} can be allocated here, found it refused (${cause.message.split("\n")[0]}; ${what}); lower ${key}`);
}
