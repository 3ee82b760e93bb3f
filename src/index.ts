// dptrain library API.
export { train, NonFiniteError, type TrainOptions, type TrainResult, type TrainState } from "./run/train.js";
export type { EpochMetrics, StepInfo } from "./report/metrics.js";
export { evaluate, type EvaluateOptions } from "./run/evaluate.js";
export type { EvalStats } from "./engine/coordinator/engine.js";
export { loadConfig, parseConfigObject, configToYaml } from "./config/load.js";
export { ConfigSchema, defaultConfig, type Config, type ConfigInput } from "./config/schema.js";
export { ConfigError } from "./config/errors.js";
export { loadData, loadDataset, type Dataset, type Split } from "./data/dataset.js";
export { encodeNpy, parseNpy } from "./data/npy.js";
export { modelInputFloats } from "./model/input-layout.js";
export { DataError } from "./data/errors.js";
export { mlp, softmaxRegression, paramLayout, type ModelSpec } from "./model/spec.js";
export { loadModelFile, CheckpointError, type LoadedModel } from "./run/checkpoint.js";
export { predictLogits, predictProbabilities } from "./model/predict.js";
export { exportOnnx, OnnxExportError, DEFAULT_OPSET, type ExportOptions, type ExportableModel } from "./export/onnx.js";
export { normalizePixels, PLAIN_SCALING, type InputNorm } from "./data/normalize.js";
