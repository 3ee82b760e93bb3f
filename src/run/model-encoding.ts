// Encoding model.safetensors and checkpoint.safetensors (their layout: checkpoint.ts). Host-neutral:
// Node writes the bytes to a run directory, a web page offers them as a download.
import type { Config } from "../config/schema.js";
import { epochRng } from "../data/order.js";
import { encodeSafetensors, type Tensor } from "../io/safetensors.js";
import { paramLayout, type ModelSpec } from "../model/spec.js";
import { stateSlots } from "../optim/optimizers.js";
import type { Dataset } from "../data/split.js";
import type { BestEpoch } from "./early-stop.js";
import type { TrainState } from "./train-loop.js";

/** What a model file records about its inputs beyond the config: the input type, the class names and the standardization of f32 features. */
export type InputContract = Pick<Dataset, "inputType" | "classNames" | "standardize">;

/** Tensors of early stopping's best θ in a checkpoint: "best.fc1.weight", … */
export const BEST_PREFIX = "best.";

export const MODEL_FORMAT = "dptrain-model";
export const CHECKPOINT_FORMAT = "dptrain-checkpoint";
/** 1: the slot engine (per-micro-shard gradient slots, engine.shards); 2: owner-computes. */
export const CHECKPOINT_VERSION = "2";

function tensorsOf(flat: Float32Array, spec: ModelSpec, prefix = ""): [string, Tensor][] {
  return paramLayout(spec).entries.map((e) => [`${prefix}${e.name}`, { shape: e.shape, data: flat.subarray(e.offset, e.offset + e.size) }]);
}

function modelMetadata(config: Config, spec: ModelSpec, inputs: InputContract | undefined): Record<string, string> {
  const { type, hidden, activation, layers, init } = config.model;
  const model = type === "softmax" ? { type } : type === "mlp" ? { type, hidden, activation } : { type, layers, init };
  const plainNames = inputs === undefined || inputs.classNames.every((n, i) => n === String(i));
  return {
    format: MODEL_FORMAT, model: JSON.stringify(model),
    inputs: String(spec.nInputs), classes: String(spec.nClasses), normalize: JSON.stringify(config.data.normalize),
    ...(spec.inputShape ? { input_shape: JSON.stringify(spec.inputShape) } : {}),
    // Keys a MNIST model file has never had are written only where they say something.
    ...(inputs?.inputType === "f32" ? { input_type: "f32" } : {}),
    ...(plainNames ? {} : { class_names: JSON.stringify(inputs!.classNames) }),
    ...(inputs?.standardize ? { standardize: JSON.stringify(inputs.standardize) } : {}),
  };
}

export function encodeModel(params: Float32Array, config: Config, spec: ModelSpec, inputs?: InputContract, best?: BestEpoch | null): Uint8Array {
  const metadata = modelMetadata(config, spec, inputs);
  if (best) metadata.best_epoch = JSON.stringify(best);
  return encodeSafetensors(tensorsOf(params, spec), metadata);
}

export function encodeCheckpoint(state: TrainState, config: Config, spec: ModelSpec, inputs?: InputContract): Uint8Array {
  const rng = epochRng(config.seed, state.epoch);
  const early = state.earlyStop;
  const metadata: Record<string, string> = {
    ...modelMetadata(config, spec, inputs),
    ...(early ? { early_stop: JSON.stringify({ best: early.best, bestEpoch: early.bestEpoch, bestStep: early.bestStep, wait: early.wait }) } : {}),
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kernels: config.engine.kernels,
    isa: config.engine.isa,
    reduction: "owner-computes",
    step: String(state.step),
    epoch: String(state.epoch),
    config: JSON.stringify(config),
    rng: JSON.stringify({ algorithm: "xoshiro128**", seed: config.seed, stream: `data-order/epoch-${state.epoch}`, state: rng.state() }),
    epoch_sums: JSON.stringify({ lossSum: state.epochLossSum, correct: state.epochCorrect, rows: state.epochRows, ms: state.epochMs, kernelMs: state.epochKernelMs }),
  };
  const P = state.params.length;
  const slots = stateSlots(config.optim).flatMap((slot, s) => tensorsOf(state.optimState.subarray(s * P, (s + 1) * P), spec, `${slot}.`));
  const best = early ? tensorsOf(early.bestParams, spec, BEST_PREFIX) : [];
  return encodeSafetensors([...tensorsOf(state.params, spec), ...slots, ...best], metadata);
}

