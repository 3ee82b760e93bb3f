// Random search: one distribution per config key, sampled from a seeded stream per trial, so the
// same sweep file gives the same trials on any machine (Optuna's RandomSampler, without Optuna).
//
//   space:
//     optim.lr: { loguniform: [0.001, 0.5] }    # exp(U(log lo, log hi))
//     optim.momentum: { uniform: [0.0, 0.95] }  # U(lo, hi)
//     model.hidden.0: { int: [32, 512] }        # integers lo..hi, both included
//     train.batchSize: { choice: [64, 128] }    # one of the values, equally likely
//     data.dataset: [mnist, fashion-mnist]      # a plain list is a choice
import * as z from "zod";
import { Rng } from "../rng.js";

const scalar = z.union([z.number(), z.string(), z.boolean()]);
export const sweepValue = z.union([scalar, z.array(scalar)]);
export type SweepValue = z.output<typeof sweepValue>;

const range = z.tuple([z.number(), z.number()]);

/** One key's distribution: exactly one of uniform, loguniform, int, choice (or a plain list). */
export const Distribution = z.union([
  z.array(sweepValue).min(1).transform((choice) => ({ choice })),
  z
    .strictObject({
      uniform: range.optional(),
      loguniform: range.optional(),
      int: z.tuple([z.number().int(), z.number().int()]).optional(),
      choice: z.array(sweepValue).min(1).optional(),
    })
    .superRefine((d, ctx) => {
      const kinds = Object.keys(d);
      if (kinds.length !== 1) {
        ctx.addIssue({ code: "custom", message: "exactly one of uniform, loguniform, int or choice", input: kinds.length === 0 ? "{}" : kinds.join(" and ") });
        return;
      }
      const [lo, hi] = d.uniform ?? d.loguniform ?? d.int ?? [0, 1];
      if (!(lo <= hi)) ctx.addIssue({ code: "custom", path: [kinds[0]!], message: "[low, high] with low <= high", input: `[${lo}, ${hi}]` });
      if (d.loguniform && lo <= 0) ctx.addIssue({ code: "custom", path: ["loguniform"], message: "a low bound > 0 (it is sampled on a log scale)", input: lo });
    }),
]);
export type DistributionSpec = z.output<typeof Distribution>;

/** A sampled float as names and tables show it: 4 significant digits (0.0123456 → "0.01235"). */
export function shortNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}

/** Samples one value. Each call draws exactly one number from rng, whatever the kind. */
export function sample(d: DistributionSpec, rng: Rng): SweepValue {
  // One 32-bit draw per key whatever its kind: changing one key's kind leaves the others' values alone.
  const u = rng.nextFloat();
  if ("choice" in d && d.choice) return d.choice[Math.min(d.choice.length - 1, Math.floor(u * d.choice.length))]!;
  if ("uniform" in d && d.uniform) return d.uniform[0] + u * (d.uniform[1] - d.uniform[0]);
  if ("loguniform" in d && d.loguniform) {
    const [lo, hi] = d.loguniform;
    return Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
  }
  if ("int" in d && d.int) return d.int[0] + Math.min(d.int[1] - d.int[0], Math.floor(u * (d.int[1] - d.int[0] + 1)));
  throw new Error("sample: empty distribution");
}

/** Trial `index` of a random search: its own stream (seed, index), keys in the file's order. */
export function sampleTrial(space: Record<string, DistributionSpec>, seed: number, index: number): Record<string, SweepValue> {
  const rng = new Rng(seed, index);
  return Object.fromEntries(Object.entries(space).map(([key, d]) => [key, sample(d, rng)]));
}
