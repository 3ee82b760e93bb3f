// Sweep files: a base experiment config and the keys to vary; every trial is one experiment (the
// base with those keys set). Validated like configs: one line, file:line:col.
//
//   name: softmax-lr            # sweep name (default: the file name)
//   base: ../mnist-softmax.yaml # relative to this file
//   set: { train.epochs: 2 }    # fixed overrides for every trial (optional)
//   search: grid                # grid (default): every combination of grid's values
//   grid:
//     optim.lr: [0.05, 0.1, 0.2]
//     train.batchSize: [128, 256]
//   # search: random            # random: `trials` draws from `space` (config/sweep-space.ts)
//   # trials: 12
//   # seed: 7
//   # space: { optim.lr: { loguniform: [0.001, 0.5] } }
//   stop: { metric: test_acc, rule: median, afterEpochs: 1 }   # optional early stopping
//   parallel: 2                 # trials side by side (default: 2, at most the number of cores)
//   metric: test_acc            # what "best" maximises (test_acc) or minimises (test_loss)
import { basename, dirname, resolve } from "node:path";
import * as z from "zod";
import { stringify } from "yaml";
import { ConfigError } from "./errors.js";
import { formatIssue, type Origins } from "./errors.js";
import { loadConfig, readYamlFile } from "./load.js";
import type { Config } from "./schema.js";
import { Distribution, sampleTrial, shortNumber, sweepValue, type SweepValue } from "./sweep-space.js";

const nonEmpty = (what: string) => (r: Record<string, unknown>) => Object.keys(r).length > 0 || what;

/** Median stopping (Optuna's MedianPruner): after each epoch from afterEpochs on, a trial whose metric is worse than the median of the finished trials at that epoch is stopped. */
export const StopRuleSchema = z.strictObject({
  metric: z.enum(["test_acc", "test_loss", "train_acc", "train_loss"]).optional(),
  rule: z.literal("median"),
  /** the first epoch at which a trial may be stopped */
  afterEpochs: z.number().int().min(1).default(1),
  /** finished trials needed before any trial is stopped */
  minTrials: z.number().int().min(1).default(1),
});

export const SweepSchema = z
  .strictObject({
    name: z.string().regex(/^[\w.-]+$/).optional(),
    base: z.string().min(1),
    set: z.record(z.string(), sweepValue).default({}),
    search: z.enum(["grid", "random"]).default("grid"),
    grid: z.record(z.string(), z.array(sweepValue).min(1)).refine(nonEmpty("at least one key")).optional(),
    space: z.record(z.string(), Distribution).refine(nonEmpty("at least one key")).optional(),
    trials: z.number().int().min(1).max(10000).optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    stop: StopRuleSchema.optional(),
    parallel: z.number().int().min(1).max(64).default(2),
    metric: z.enum(["test_acc", "test_loss"]).default("test_acc"),
  })
  .superRefine((s, ctx) => {
    const need = (key: "grid" | "space" | "trials", why: string) => ctx.addIssue({ code: "custom", path: [key], message: why, input: undefined });
    const unused = (key: "grid" | "space" | "trials", why: string) => ctx.addIssue({ code: "custom", path: [key], message: why, input: s[key] });
    if (s.search === "grid") {
      if (!s.grid) need("grid", "a mapping of config key → list of values (search is grid)");
      if (s.space) unused("space", "no space: with search: grid (set search: random to sample from it)");
      if (s.trials !== undefined) unused("trials", "no trials: with search: grid (the grid gives the trials)");
    } else {
      if (!s.space) need("space", "a mapping of config key → distribution (search is random)");
      if (s.trials === undefined) need("trials", "the number of trials to draw (search is random)");
      if (s.grid) unused("grid", "no grid: with search: random (put the keys under space:, a list is a choice)");
    }
  });

export type SweepSpec = z.output<typeof SweepSchema>;
export type StopRule = z.output<typeof StopRuleSchema>;

/** The metric a stop rule judges. */
export type StopMetric = NonNullable<StopRule["metric"]>;

/** A trial's metric per epoch: curve[e - 1] is the value after epoch e (null: not evaluated). */
export type Curve = (number | null)[];

export interface SweepRun {
  /** 0-based position in the sweep */
  index: number;
  /** e.g. "lr=0.1,batchSize=256" (grid) or "03-lr=0.01234" (random): the trial's directory name */
  label: string;
  values: Record<string, SweepValue>;
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
  const trials = spec.search === "grid" ? combinations(spec.grid!) : Array.from({ length: spec.trials! }, (_, i) => sampleTrial(spec.space!, spec.seed, i));
  const width = String(trials.length - 1).length;
  const runs = trials.map((values, index) => {
    const sets = [...fixed, ...Object.entries(values).map(([k, v]) => `${k}=${toFlagValue(v)}`)];
    const pairs = Object.entries(values).map(([k, v]) => `${k.split(".").pop()}=${labelValue(v)}`).join(",");
    const label = spec.search === "grid" ? pairs : `${String(index).padStart(width, "0")}-${pairs}`;
    try {
      return { index, label, values, config: loadConfig(basePath, sets).config };
    } catch (err) {
      const where = origins.values.get(spec.search === "grid" ? "grid" : "space") ?? file;
      if (err instanceof ConfigError) throw new ConfigError(`${where}: trial ${label}: ${err.message}`);
      throw err;
    }
  });
  return { name: spec.name ?? basename(file).replace(/\.ya?ml$/, ""), spec, runs };
}

/** A value as a directory name shows it: sampled floats to 4 significant digits. */
function labelValue(v: SweepValue): string {
  if (Array.isArray(v)) return v.join("-");
  return typeof v === "number" ? shortNumber(v) : String(v);
}

/** A value as it would be typed after --set key= (YAML flow syntax). */
function toFlagValue(v: unknown): string {
  return stringify(v, { flow: true }).trim();
}

function combinations(grid: Record<string, SweepValue[]>): Record<string, SweepValue>[] {
  return Object.entries(grid).reduce<Record<string, SweepValue>[]>(
    (acc, [key, values]) => acc.flatMap((partial) => values.map((v) => ({ ...partial, [key]: v }))),
    [{}],
  );
}
