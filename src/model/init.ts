// Parameter init, deterministic from the seed.
//   kaiming-uniform (ReLU layers): U(−b, b), b = sqrt(6 / fan_in)          (He et al., gain √2)
//   xavier-uniform (logits layer): U(−b, b), b = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio)
//   biases: 0
//   torch (model.init: torch): torch.nn.Linear/Conv2d's defaults, kaiming_uniform(a=√5) = U(±1/√fan_in)
//   for the weight, then U(±1/√fan_in) for the bias
import { Rng } from "../rng.js";
import { paramLayout, type ModelSpec } from "./spec.js";

/** Stream id that separates init randomness from data-order randomness for the same seed. */
const INIT_STREAM = 0x1417;

/** Writes initial parameters into `params` (one parameter buffer, nParams floats). */
export function initParams(params: Float32Array, spec: ModelSpec, seed: number): void {
  const { entries } = paramLayout(spec);
  const rng = new Rng(seed, INIT_STREAM);
  params.fill(0);
  for (const layer of spec.layers) {
    if (layer.kind !== "dense" && layer.kind !== "conv2d") continue;
    const weight = entries.find((e) => e.name === `${layer.name}.weight`)!;
    const window = layer.kind === "conv2d" ? layer.g.KH * layer.g.KW : 1;
    const fanIn = layer.kind === "dense" ? layer.inFeatures : layer.g.C * window;
    const fanOut = layer.kind === "dense" ? layer.outFeatures : layer.outChannels * window;
    const bound = layer.init === "kaiming-uniform" ? Math.sqrt(6 / fanIn) : layer.init === "torch" ? 1 / Math.sqrt(fanIn) : Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < weight.size; i++) params[weight.offset + i] = (rng.nextFloat() * 2 - 1) * bound;
    if (layer.init === "torch") {
      const bias = entries.find((e) => e.name === `${layer.name}.bias`)!;
      for (let i = 0; i < bias.size; i++) params[bias.offset + i] = (rng.nextFloat() * 2 - 1) * bound;
    }
  }
}
