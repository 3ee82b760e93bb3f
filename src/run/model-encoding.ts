// Encoding model.safetensors and checkpoint.safetensors (their layout: checkpoint.ts). Host-neutral:
// Node writes the bytes to a run directory, a web page offers them as a download.
import type { Config } from "../config/schema.js";
import { epochRng } from "../data/order.js";
import { encodeSafetensors, type Tensor } from "../io/safetensors.js";
import { paramLayout, type ModelSpec } from "../model/spec.js";
import { stateSlots } from "../optim/optimizers.js";
import type { TrainState } from "./train-loop.js";

export const MODEL_FORMAT = "dptrain-model";
export const CHECKPOINT_FORMAT = "dptrain-checkpoint";
/** 1: the slot engine (per-micro-shard gradient slots, engine.shards); 2: owner-computes. */
export const CHECKPOINT_VERSION = "2";

function tensorsOf(flat: Float32Array, spec: ModelSpec, prefix = ""): [string, Tensor][] {
  return paramLayout(spec).entries.map((e) => [`${prefix}${e.name}`, { shape: e.shape, data: flat.subarray(e.offset, e.offset + e.size) }]);
}

function modelMetadata(config: Config, spec: ModelSpec): Record<string, string> {
  const { type, hidden, activation, layers, init } = config.model;
  const model = type === "softmax" ? { type } : type === "mlp" ? { type, hidden, activation } : { type, layers, init };
  return {
    format: MODEL_FORMAT, model: JSON.stringify(model),
    inputs: String(spec.nInputs), classes: String(spec.nClasses), normalize: JSON.stringify(config.data.normalize),
    ...(spec.inputShape ? { input_shape: JSON.stringify(spec.inputShape) } : {}),
  };
}

export function encodeModel(params: Float32Array, config: Config, spec: ModelSpec): Uint8Array {
  return encodeSafetensors(tensorsOf(params, spec), modelMetadata(config, spec));
}

export function encodeCheckpoint(state: TrainState, config: Config, spec: ModelSpec): Uint8Array {
  const rng = epochRng(config.seed, state.epoch);
  const metadata: Record<string, string> = {
    ...modelMetadata(config, spec),
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
  return encodeSafetensors([...tensorsOf(state.params, spec), ...slots], metadata);
}

