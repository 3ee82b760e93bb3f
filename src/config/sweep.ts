// Sweep files: a base experiment config and a grid of key → values; every combination is one
// experiment (the base with those keys set). Validated like configs: one line, file:line:col.
//
//   name: softmax-lr            # sweep name (default: the file name)
//   base: ../mnist-softmax.yaml # relative to this file
//   set: { train.epochs: 2 }    # fixed overrides for every run (optional)
//   grid:
//     optim.lr: [0.05, 0.1, 0.2]
//     train.batchSize: [128, 256]
//   parallel: 2                 # experiments side by side (default: 2, at most the number of cores)
//   metric: test_acc            # what "best" maximises (test_acc) or minimises (test_loss)
import { basename, dirname, resolve } from "node:path";
import * as z from "zod";
import { stringify } from "yaml";
import { ConfigError } from "./errors.js";
import { formatIssue, loadConfig, readYamlFile, type Origins } from "./load.js";
import type { Config } from "./schema.js";

const scalar = z.union([z.number(), z.string(), z.boolean()]);
const value = z.union([scalar, z.array(scalar)]);

export const SweepSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/).optional(),
  base: z.string().min(1),
  set: z.record(z.string(), value).default({}),
  grid: z.record(z.string(), z.array(value).min(1)).refine((g) => Object.keys(g).length > 0, "at least one key"),
  parallel: z.number().int().min(1).max(64).default(2),
  metric: z.enum(["test_acc", "test_loss"]).default("test_acc"),
});

export type SweepSpec = z.output<typeof SweepSchema>;

export interface SweepRun {
  /** e.g. "lr=0.1,batchSize=256": the grid values of this run */
  label: string;
  values: Record<string, unknown>;
  config: Config;
}

export interface LoadedSweep {
  name: string;
  spec: SweepSpec;
  runs: SweepRun[];
}

export function loadSweep(file: string): LoadedSweep {
  const origins: Origins = { keys: new Map(), values: new Map() };
  const raw = readYamlFile(resolve(file), file, origins);
  const parsed = SweepSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(formatIssue(parsed.error.issues[0]!, origins, file, SweepSchema));
  const spec = parsed.data;
  const basePath = resolve(dirname(file), spec.base);
  const fixed = Object.entries(spec.set).map(([k, v]) => `${k}=${toFlagValue(v)}`);
  const runs = combinations(spec.grid).map((values) => {
    const sets = [...fixed, ...Object.entries(values).map(([k, v]) => `${k}=${toFlagValue(v)}`)];
    const label = Object.entries(values).map(([k, v]) => `${k.split(".").pop()}=${Array.isArray(v) ? v.join("-") : String(v)}`).join(",");
    try {
      return { label, values, config: loadConfig(basePath, sets).config };
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`${origins.values.get("grid") ?? file}: grid run ${label}: ${err.message}`);
      throw err;
    }
  });
  return { name: spec.name ?? basename(file).replace(/\.ya?ml$/, ""), spec, runs };
}

/** A value as it would be typed after --set key= (YAML flow syntax). */
function toFlagValue(v: unknown): string {
  return stringify(v, { flow: true }).trim();
}

function combinations(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>(
    (acc, [key, values]) => acc.flatMap((partial) => values.map((v) => ({ ...partial, [key]: v }))),
    [{}],
  );
}
