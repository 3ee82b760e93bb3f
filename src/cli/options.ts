// Option helpers shared by the commands.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadConfig } from "../config/load.js";
import { parseConfigObject } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { UsageError } from "../errors.js";

/** commander collector for repeatable --set */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Positive integer option parser with a one-line error naming the flag. */
export function intOption(flag: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: expected an integer >= ${min}, found ${JSON.stringify(value)}`);
    return n;
  };
}

/** Comma-separated positive integers, e.g. --threads 1,2,4. */
export function intListOption(flag: string) {
  return (value: string): number[] => {
    const items = value.split(",").map((s) => s.trim());
    const nums = items.map(Number);
    if (items.length === 0 || nums.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`${flag}: expected comma-separated integers >= 1, found ${JSON.stringify(value)}`);
    return nums;
  };
}

/**
 * The config for commands that read a model: -c FILE if given, else the config.yaml beside the
 * model file (a run directory), else the defaults. --set applies in every case.
 */
export function configForModel(modelFile: string, configFile: string | undefined, sets: string[]): Config {
  if (configFile) return loadConfig(configFile, sets).config;
  const beside = join(dirname(modelFile), "config.yaml");
  // dptrain wrote this file, perhaps an earlier version: keys since removed are dropped, not refused.
  if (existsSync(beside)) return loadConfig(beside, sets, { dropRemovedKeys: true }).config;
  if (sets.length > 0) throw new UsageError("--set needs a config: pass -c FILE");
  return parseConfigObject({}, "(defaults)");
}
