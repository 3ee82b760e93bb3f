// Library entry: test-set loss, accuracy and confusion matrix of given weights, computed by the
// engine's EVAL phase split across workers.
import type { Config } from "../config/schema.js";
import { loadDataset, type Dataset } from "../data/dataset.js";
import { specForDataset } from "../model/build.js";
import { paramLayout } from "../model/spec.js";
import { Engine, type EvalStats } from "../engine/coordinator/engine.js";
import { resolveKernels } from "../kernels/resolve.js";
import { engineOptions } from "./engine-options.js";
import { resolveWorkers } from "./machine.js";
import { nodeHost } from "../engine/coordinator/node-host.js";

export interface EvaluateOptions {
  dataset?: Dataset;
}

/** params: tensors by PyTorch name ("fc1.weight" (OC, C), …), e.g. TrainResult.params or a loaded model file. */
export async function evaluate(config: Config, params: Record<string, Float32Array>, options: EvaluateOptions = {}): Promise<EvalStats> {
  const dataset = options.dataset ?? (await loadDataset(config.data.dataset, config.data.dir));
  const spec = specForDataset(config.model, dataset);
  const { entries, nParams } = paramLayout(spec);
  const flat = new Float32Array(nParams);
  for (const e of entries) {
    const tensor = params[e.name];
    if (!tensor) throw new RangeError(`evaluate: missing tensor ${e.name} [${e.shape}]`);
    if (tensor.length !== e.size) throw new RangeError(`evaluate: ${e.name}: expected ${e.size} values [${e.shape}], found ${tensor.length}`);
    flat.set(tensor, e.offset);
  }
  const kernels = resolveKernels(config.engine.kernels, config.engine.isa);
  const engine = Engine.create({ ...engineOptions(config, { dataset, spec, workers: resolveWorkers(config.engine.workers), kernels }), host: nodeHost });
  try {
    engine.loadState(0, flat, new Float32Array(engine.layout.stateSlots * nParams));
    return await engine.evaluate(0);
  } finally {
    await engine.close();
  }
}
