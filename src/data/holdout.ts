// data.validation as a fraction: a seeded, stratified holdout of the training rows. Each class
// gives round(fraction · its rows) rows, picked by one seeded permutation of all rows; both parts
// keep the file's row order, so the split depends only on (seed, labels, fraction).
import { Rng, writePermutation } from "../rng.js";
import { DataError } from "./errors.js";
import { memoryRowSource, readAllRows, subsetRowSource } from "./row-source.js";
import type { Split } from "./split.js";

/** Stream id that separates the holdout's randomness from init and data order for the same seed. */
export const HOLDOUT_STREAM = 0x401d;

export function holdout(train: Split, fraction: number, nClasses: number, seed: number, width: number): { train: Split; validation: Split } {
  const { held, nVal } = holdoutRows(train.labels, fraction, nClasses, seed);
  const N = train.count;
  const pick = (want: number): Split => {
    const count = want === 1 ? nVal : N - nVal;
    const rows = new Uint32Array(count);
    let k = 0;
    for (let i = 0; i < N; i++) if (held[i] === want) rows[k++] = i;
    const labels = Uint8Array.from(rows, (i) => train.labels[i]!);
    // A streamed split keeps streaming its training part; the held-out rows are read into memory.
    if (train.source && want === 0) return { inputs: train.inputs, labels, count, source: subsetRowSource(train.source, rows) };
    return { inputs: readAllRows(train.source ?? memoryRowSource(train.inputs, width), rows), labels, count };
  };
  return { train: pick(0), validation: pick(1) };
}

/** Which rows (held[i] = 1) the holdout takes, by labels alone. */
export function holdoutRows(labels: Uint8Array, fraction: number, nClasses: number, seed: number): { held: Uint8Array; nVal: number } {
  const N = labels.length;
  const perm = new Uint32Array(N);
  writePermutation(perm, new Rng(seed, HOLDOUT_STREAM));
  const classCount = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < N; i++) classCount[labels[i]!]!++;
  const quota = classCount.map((n) => Math.round(fraction * n));
  const held = new Uint8Array(N);
  for (let j = 0; j < N; j++) {
    const row = perm[j]!;
    const c = labels[row]!;
    if (quota[c]! > 0) {
      quota[c]!--;
      held[row] = 1;
    }
  }
  const nVal = held.reduce((a, b) => a + b, 0);
  if (nVal === 0) throw new DataError("data.validation", `expected a fraction that holds out at least one row, found ${fraction} of ${N} rows (${nClasses} classes) rounds to none`);
  if (nVal === N) throw new DataError("data.validation", `expected a fraction that leaves training rows, found ${fraction} of ${N} rows holds out all of them`);
  return { held, nVal };
}
