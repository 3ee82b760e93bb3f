// The training-row order of an epoch: a seeded permutation that depends only on (seed, epoch),
// so a resumed or re-run epoch sees exactly the same batches.
import { Rng, writePermutation } from "../rng.js";

/** Stream id that separates data-order randomness from init randomness for the same seed. */
export const DATA_ORDER_STREAM = 0xda7a;

export function epochRng(seed: number, epoch: number): Rng {
  return new Rng(seed, DATA_ORDER_STREAM, epoch);
}

/** Writes epoch `epoch`'s permutation of 0..out.length−1 into out (e.g. the arena's trainOrder). */
export function writeEpochOrder(out: Uint32Array, seed: number, epoch: number): void {
  writePermutation(out, epochRng(seed, epoch));
}
