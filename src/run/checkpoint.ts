// Checkpoint and model files (safetensors).
//   model.safetensors       params only, PyTorch nn.Linear names and layout: fc1.weight (520, 784), fc1.bias (520), …
//                           metadata: format "dptrain-model", model (JSON: type, hidden, activation), inputs, classes,
//                           normalize (JSON: mean, std: the inputs are (u8 / 255 − mean) / std; absent = plain /255)
//   checkpoint.safetensors  params + the optimizer state under PyTorch's state names, one tensor per
//                           slot and parameter: "momentum_buffer.fc1.weight" (sgd), "exp_avg.fc1.weight" and
//                           "exp_avg_sq.fc1.weight" (adam, adamw), "square_avg.…", "acc_delta.…" (adadelta), …
//                           metadata: format "dptrain-checkpoint", step, epoch, the resolved config (JSON),
//                           the data-order RNG (xoshiro128** state of this epoch's stream) and the partial-epoch sums
// Loading checks every tensor's presence and shape against the model, and the config against the run.
import { readFileSync } from "node:fs";
import { ConfigSchema, defaultConfig, type Config } from "../config/schema.js";
import { PLAIN_SCALING, type InputNorm } from "../data/normalize.js";
import { writeFileAtomic } from "../io/atomic.js";
import { decodeSafetensors, SafetensorsError, type SafetensorsFile } from "../io/safetensors.js";
import { specFromConfig } from "../model/build.js";
import { paramLayout, type ModelSpec } from "../model/spec.js";
import { namedParams } from "../model/views.js";
import type { TrainState } from "./train-loop.js";
import { BEST_PREFIX, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, encodeCheckpoint, encodeModel, MODEL_FORMAT, type InputContract } from "./model-encoding.js";
import type { BestEpoch, EarlyStopState } from "./early-stop.js";
import { parseStandardization, type Standardization } from "../data/standardize.js";

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, encodeCheckpoint, encodeModel, MODEL_FORMAT, type InputContract };
import { STATE_NAMES, stateSlots } from "../optim/optimizers.js";

/** Bounds on a model file's description (a 4096×4096 input; a 65536-way output, the linear layer's own cap). */
const MAX_INPUTS = 4096 * 4096;
const MAX_CLASSES = 65_536;

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

export function saveModel(path: string, params: Float32Array, config: Config, spec: ModelSpec, inputs?: InputContract, best?: BestEpoch | null): void {
  writeFileAtomic(path, encodeModel(params, config, spec, inputs, best));
}

export function saveCheckpoint(path: string, state: TrainState, config: Config, spec: ModelSpec, inputs?: InputContract): void {
  writeFileAtomic(path, encodeCheckpoint(state, config, spec, inputs));
}

export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(`${path}: ${code === "ENOENT" ? "file not found" : `cannot read (${code})`}`);
  }
  try {
    return decodeSafetensors(bytes, path);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new CheckpointError(err.message);
    throw err;
  }
}

/** Gathers the tensors named like the model's params (with prefix) into one flat buffer; without a prefix, optimizer-state tensors are skipped. */
function flatFrom(file: SafetensorsFile, spec: ModelSpec, path: string, prefix = ""): Float32Array {
  const { entries, nParams } = paramLayout(spec);
  // Every tensor is checked before the buffer is allocated: a model description that names a
  // huge model allocates nothing unless the file really holds its tensors.
  for (const e of entries) {
    const name = `${prefix}${e.name}`;
    const t = file.tensors.get(name);
    if (!t) throw new CheckpointError(`${path}: tensor ${name} is missing: expected shape [${e.shape}]`);
    if (t.shape.join(",") !== e.shape.join(",")) throw new CheckpointError(`${path}: tensor ${name}: expected shape [${e.shape}] for this model, found [${t.shape}]`);
  }
  const flat = new Float32Array(nParams);
  for (const e of entries) flat.set(file.tensors.get(`${prefix}${e.name}`)!.data, e.offset);
  const expected = new Set(entries.map((e) => `${prefix}${e.name}`));
  for (const name of file.tensors.keys()) {
    const isState = STATE_NAMES.some((slot) => name.startsWith(`${slot}.`)) || name.startsWith(BEST_PREFIX);
    if (name.startsWith(prefix) && (prefix !== "" || !isState) && !expected.has(name)) {
      throw new CheckpointError(`${path}: unexpected tensor ${name}: this model has ${[...expected].join(", ")}`);
    }
  }
  return flat;
}

export interface LoadedModel {
  model: Config["model"];
  spec: ModelSpec;
  /** flat params in the ParamLayout of spec */
  params: Float32Array;
  /** by PyTorch name */
  named: Record<string, Float32Array>;
  /** how the model's inputs were scaled in training; predict and eval must do the same */
  normalize: InputNorm;
  /** u8 pixels or f32 features (input_type; absent = u8) */
  inputType: "u8" | "f32";
  /** class_names, or null where the file has none ("0", "1", … or the dataset's) */
  classNames: string[] | null;
  /** f32 features: the standardization training applied (standardize), or null */
  standardize: Standardization | null;
}

/** A model.safetensors (or a checkpoint): the model it describes and its params. */
export function loadModelFile(path: string): LoadedModel {
  const file = readSafetensors(path);
  const format = file.metadata.format;
  if (format !== MODEL_FORMAT && format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${path}: __metadata__.format: expected "${MODEL_FORMAT}" or "${CHECKPOINT_FORMAT}", found ${format === undefined ? "nothing" : JSON.stringify(format)}`);
  }
  let model: Config["model"];
  try {
    const m = JSON.parse(file.metadata.model ?? "null") as Partial<Config["model"]>;
    const d = defaultConfig().model; // a softmax file names no hidden list
    const parsed = ConfigSchema.shape.model.safeParse({ type: m.type ?? d.type, hidden: m.hidden ?? d.hidden, activation: m.activation ?? d.activation, ...(m.layers ? { layers: m.layers } : {}), ...(m.init ? { init: m.init } : {}) });
    if (!parsed.success) throw new Error(parsed.error.issues[0]!.message);
    model = parsed.data;
  } catch {
    throw new CheckpointError(`${path}: __metadata__.model: expected JSON describing the model, found ${JSON.stringify(file.metadata.model)}`);
  }
  const inputs = Number(file.metadata.inputs);
  const classes = Number(file.metadata.classes);
  if (!Number.isInteger(inputs) || inputs < 1 || inputs > MAX_INPUTS || !Number.isInteger(classes) || classes < 1 || classes > MAX_CLASSES) {
    throw new CheckpointError(`${path}: __metadata__.inputs/classes: expected integers in 1..${MAX_INPUTS} and 1..${MAX_CLASSES}, found ${file.metadata.inputs}/${file.metadata.classes}`);
  }
  let inputShape = [1, 1, inputs];
  if (file.metadata.input_shape !== undefined) {
    const shape = (() => {
      try {
        return JSON.parse(file.metadata.input_shape) as unknown;
      } catch {
        return null;
      }
    })();
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n > 0) || shape.reduce((a: number, b: number) => a * b, 1) !== inputs) {
      throw new CheckpointError(`${path}: __metadata__.input_shape: expected a JSON list of positive integers whose product is inputs (${inputs}), found ${JSON.stringify(file.metadata.input_shape)}`);
    }
    inputShape = shape as number[];
  }
  let spec: ModelSpec;
  try {
    spec = specFromConfig(model, inputs, classes, inputShape);
  } catch (err) {
    throw new CheckpointError(`${path}: __metadata__.model: ${(err as Error).message}`);
  }
  const params = flatFrom(file, spec, path);
  const meta = file.metadata;
  const inputType = meta.input_type === undefined ? "u8" : meta.input_type;
  if (inputType !== "u8" && inputType !== "f32") throw new CheckpointError(`${path}: __metadata__.input_type: expected "u8" or "f32", found ${JSON.stringify(inputType)}`);
  let classNames: string[] | null = null;
  if (meta.class_names !== undefined) {
    const names = (() => {
      try {
        return JSON.parse(meta.class_names) as unknown;
      } catch {
        return null;
      }
    })();
    if (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === "string")) {
      throw new CheckpointError(`${path}: __metadata__.class_names: expected a JSON list of ${classes} strings, found ${JSON.stringify(meta.class_names.slice(0, 60))}`);
    }
    classNames = names as string[];
  }
  let standardize: Standardization | null = null;
  if (meta.standardize !== undefined) {
    try {
      standardize = parseStandardization(meta.standardize, inputs, `${path}: __metadata__.standardize`);
    } catch (err) {
      throw new CheckpointError((err as Error).message);
    }
  }
  return { model, spec, params, named: namedParams(params, paramLayout(spec).entries), normalize: normalizeMetadata(meta.normalize, path), inputType, classNames, standardize };
}

function normalizeMetadata(text: string | undefined, path: string): InputNorm {
  if (text === undefined) return PLAIN_SCALING; // files written before the key existed: plain /255
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const { mean, std } = (typeof value === "object" && value !== null ? value : {}) as Partial<Record<string, unknown>>;
  if (typeof mean !== "number" || !Number.isFinite(mean) || typeof std !== "number" || !Number.isFinite(std) || std <= 0) {
    throw new CheckpointError(`${path}: __metadata__.normalize: expected JSON {"mean": number, "std": number > 0}, found ${JSON.stringify(text)}`);
  }
  return { mean, std };
}

/** Config keys that must match between a checkpoint and the run resuming it (else the trajectory differs). */
const TRAJECTORY_KEYS = ["seed", "data.dataset", "data.dir", "data.train", "data.validation", "data.label", "data.header", "data.standardize", "data.size", "data.channels", "data.normalize", "train.earlyStop", "model.type", "model.hidden", "model.activation", "model.layers", "model.init", "train.batchSize", "optim", "engine.kernels", "engine.isa"];

function pick(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

/** The leaf key paths under `path` in either config (mappings are walked, lists are leaves). */
function leafPaths(a: unknown, b: unknown, path: string): string[] {
  const va = pick(a, path);
  const vb = pick(b, path);
  const isMap = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isMap(va) && !isMap(vb)) return [path];
  const keys = new Set([...Object.keys(isMap(va) ? (va as object) : {}), ...Object.keys(isMap(vb) ? (vb as object) : {})]);
  return [...keys].flatMap((k) => leafPaths(a, b, `${path}.${k}`));
}

/**
 * Refuses a checkpoint this engine cannot continue bit for bit: one from the slot engine
 * (version 1) summed each gradient over micro-shards in another order. Its params still load as
 * a model (loadModelFile) for eval and predict.
 */
export function checkResumable(path: string, file: SafetensorsFile = readSafetensors(path)): void {
  const meta = file.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${path}: __metadata__.format: expected "${CHECKPOINT_FORMAT}", found ${meta.format === undefined ? "nothing" : JSON.stringify(meta.format)}`);
  }
  if (meta.version === "1") {
    throw new CheckpointError(`${path}: written by the slot engine (checkpoint version 1, gradients summed over engine.shards micro-shards); this dptrain sums them in another order (owner-computes), so a resume could not reproduce the run; start a new run (its model.safetensors still works with eval and predict)`);
  }
  if (meta.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${path}: __metadata__.version: expected "${CHECKPOINT_VERSION}", found ${meta.version === undefined ? "nothing" : JSON.stringify(meta.version)}`);
  }
}

/** Loads a checkpoint for resuming `config` with model `spec`. */
export function loadCheckpoint(path: string, config: Config, spec: ModelSpec): TrainState {
  const file = readSafetensors(path);
  const meta = file.metadata;
  checkResumable(path, file);
  let saved: Config;
  try {
    saved = JSON.parse(meta.config ?? "") as Config;
  } catch {
    throw new CheckpointError(`${path}: __metadata__.config: expected the run's config as JSON`);
  }
  // A checkpoint from before a key existed (e.g. data.normalize) gets that key's default, which is
  // what the run used; a config that no longer parses is compared as saved.
  const reparsed = ConfigSchema.safeParse(saved);
  if (reparsed.success) saved = reparsed.data;
  const keys = config.optim.schedule.type === "cosine" ? [...TRAJECTORY_KEYS, "train.epochs", "train.maxSteps"] : TRAJECTORY_KEYS;
  for (const key of keys.flatMap((k) => leafPaths(saved, config, k))) {
    const was = JSON.stringify(pick(saved, key));
    const now = JSON.stringify(pick(config, key));
    if (was !== now) throw new CheckpointError(`${path}: config ${key} was ${was ?? "unset"} when saved but is ${now ?? "unset"} now; resume with the same value`);
  }
  const step = Number(meta.step);
  const epoch = Number(meta.epoch);
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(epoch) || epoch < 0) {
    throw new CheckpointError(`${path}: __metadata__.step/epoch: expected non-negative integers, found ${meta.step}/${meta.epoch}`);
  }
  let sums = { lossSum: 0, correct: 0, rows: 0, ms: 0, kernelMs: 0 };
  try {
    sums = { ...sums, ...(JSON.parse(meta.epoch_sums ?? "{}") as typeof sums) };
  } catch {
    throw new CheckpointError(`${path}: __metadata__.epoch_sums: expected JSON`);
  }
  return {
    step, epoch,
    params: flatFrom(file, spec, path),
    optimState: concat(stateSlots(config.optim).map((slot) => flatFrom(file, spec, path, `${slot}.`))),
    epochLossSum: sums.lossSum, epochCorrect: sums.correct, epochRows: sums.rows, epochMs: sums.ms, epochKernelMs: sums.kernelMs,
    earlyStop: earlyStopFrom(file, spec, path, config),
  };
}

/** The early-stop counters and best θ a checkpoint holds (null where it has none, or the run has no train.earlyStop). */
function earlyStopFrom(file: SafetensorsFile, spec: ModelSpec, path: string, config: Config): EarlyStopState | null {
  const text = file.metadata.early_stop;
  if (text === undefined || !config.train.earlyStop) return null;
  let v: Partial<Omit<EarlyStopState, "bestParams">>;
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new CheckpointError(`${path}: __metadata__.early_stop: expected JSON, found ${JSON.stringify(text.slice(0, 60))}`);
  }
  const isInt = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (typeof v.best !== "number" || !isInt(v.bestEpoch) || !isInt(v.bestStep) || !isInt(v.wait)) {
    throw new CheckpointError(`${path}: __metadata__.early_stop: expected {best, bestEpoch, bestStep, wait}, found ${text.slice(0, 80)}`);
  }
  return { best: v.best, bestEpoch: v.bestEpoch!, bestStep: v.bestStep!, wait: v.wait!, bestParams: flatFrom(file, spec, path, BEST_PREFIX) };
}


function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
