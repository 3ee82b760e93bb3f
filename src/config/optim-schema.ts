// optim: the optimizer, with torch.optim's parameter names and defaults per type:
//   sgd       lr 0.01*, momentum 0, nesterov false, weightDecay 0 (L2)       (*torch: 1e-3)
//   adam      lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (L2)
//   adamw     lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01 (decoupled)
//   adadelta  lr 1.0, rho 0.9, eps 1e-6, weightDecay 0
//   rmsprop   lr 0.01, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false
// A key the type does not use is an error naming the type's keys (betas under sgd is a typo, not
// something to ignore). The defaults are filled in before validation, so config.yaml shows them.
import * as z from "zod";

export const OPTIMIZER_TYPES = ["sgd", "adam", "adamw", "adadelta", "rmsprop"] as const;
export type OptimizerType = (typeof OPTIMIZER_TYPES)[number];

const DEFAULTS: Record<OptimizerType, Record<string, unknown>> = {
  sgd: { lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0 },
  adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
  adamw: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
  adadelta: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 },
  rmsprop: { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
};

const COMMON_KEYS = ["type", "schedule"];

/** The keys an optimizer type takes (besides type and schedule). */
export function optimKeys(type: OptimizerType): string[] {
  return Object.keys(DEFAULTS[type]);
}

function withDefaults(value: unknown): unknown {
  const v = value ?? {};
  if (typeof v !== "object" || Array.isArray(v)) return v;
  const type = (v as { type?: unknown }).type ?? "sgd";
  if (typeof type !== "string" || !(type in DEFAULTS)) return v;
  return { ...DEFAULTS[type as OptimizerType], ...(v as object), type };
}

const fraction = () => z.number().min(0).lt(1);

export const ScheduleSchema = z.strictObject({
  type: z.enum(["constant", "step", "cosine"]).default("constant"),
  /** linear warmup length in epochs (fractions allowed) */
  warmupEpochs: z.number().min(0).default(0),
  /** step schedule: multiply the lr by gamma every stepEpochs epochs (StepLR) */
  stepEpochs: z.number().positive().default(1),
  gamma: z.number().positive().max(1).default(0.1),
  /** cosine schedule: the lr at the last step */
  minLr: z.number().min(0).default(0),
});

export const OptimSchema = z.preprocess(
  withDefaults,
  z
    .strictObject({
      type: z.enum(OPTIMIZER_TYPES),
      lr: z.number().positive().max(1e6),
      /** sgd, rmsprop */
      momentum: fraction().optional(),
      /** sgd */
      nesterov: z.boolean().optional(),
      /** L2 added to the gradient (sgd, adam, adadelta, rmsprop); decoupled decay θ ← θ(1 − lr·wd) for adamw */
      weightDecay: z.number().min(0).max(1),
      /** adam, adamw: (β1, β2) */
      betas: z.tuple([fraction(), fraction()]).optional(),
      /** adam, adamw, adadelta, rmsprop */
      eps: z.number().positive().max(1).optional(),
      /** adadelta: running-average coefficient */
      rho: z.number().min(0).max(1).optional(),
      /** rmsprop: smoothing constant */
      alpha: z.number().min(0).max(1).optional(),
      /** rmsprop: normalize by the variance estimate */
      centered: z.boolean().optional(),
      schedule: ScheduleSchema.prefault({}),
    })
    .superRefine((o, ctx) => {
      const allowed = new Set([...COMMON_KEYS, ...optimKeys(o.type)]);
      for (const key of Object.keys(o)) {
        if (allowed.has(key)) continue;
        ctx.addIssue({ code: "custom", path: [key], message: `no ${key} with type ${o.type} (its keys: ${[...optimKeys(o.type), "schedule"].join(", ")})`, input: (o as Record<string, unknown>)[key] });
      }
      if (o.nesterov && !o.momentum) ctx.addIssue({ code: "custom", path: ["nesterov"], message: "nesterov: true needs optim.momentum > 0", input: true });
    }),
);

export type OptimConfig = z.output<typeof OptimSchema>;
