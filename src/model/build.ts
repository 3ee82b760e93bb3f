import type { Config } from "../config/schema.js";
import { mlp, softmaxRegression, type ModelSpec } from "./spec.js";

/** The model named by config.model for inputs of nInputs features and nClasses classes. */
export function specFromConfig(model: Config["model"], nInputs: number, nClasses: number): ModelSpec {
  return model.type === "softmax" ? softmaxRegression(nInputs, nClasses) : mlp([nInputs, ...model.hidden, nClasses], model.activation);
}
