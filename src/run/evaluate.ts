// Library entry: test-set loss, accuracy and confusion matrix of given weights, computed by the
// engine's EVAL phase split across workers.
import type { Config } from "../config/schema.js";
import { loadData, type Dataset } from "../data/dataset.js";
import { DataError } from "../data/errors.js";
import type { Standardization } from "../data/standardize.js";
import type { EvalSplit } from "../arena/layout.js";
import { specForDataset } from "../model/build.js";
import { paramLayout } from "../model/spec.js";
import { Engine, type EvalStats } from "../engine/coordinator/engine.js";
import { resolveKernels } from "../kernels/resolve.js";
import { engineOptions } from "./engine-options.js";
import { resolveWorkers } from "./machine.js";
import { nodeHost } from "../engine/coordinator/node-host.js";

export interface EvaluateOptions {
  dataset?: Dataset;
  /** f32 features: the model file's standardization (applied instead of one fitted on the training rows) */
  standardize?: Standardization | null;
}

/** The split evaluate() measures: the test set, else the validation split. */
export function evaluatedSplit(dataset: Dataset): EvalSplit {
  if (dataset.test) return "test";
  if (dataset.validation) return "validation";
  throw new DataError("data.test", "expected test data (or data.validation) to evaluate on, found neither");
}

/** params: tensors by PyTorch name ("fc1.weight" (OC, C), …), e.g. TrainResult.params or a loaded model file. */
export async function evaluate(config: Config, params: Record<string, Float32Array>, options: EvaluateOptions = {}): Promise<EvalStats & { split: EvalSplit }> {
  const dataset = options.dataset ?? (await loadData(config.data, config.seed, { standardize: options.standardize ?? null }));
  const split = evaluatedSplit(dataset);
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
    return { ...(await engine.evaluate(0, split)), split };
  } finally {
    await engine.close();
  }
}
