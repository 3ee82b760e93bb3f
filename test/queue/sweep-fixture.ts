// Sweep files for the queue tests: an MLP on a generated learnable IDX set, trials of a second
// or two with an epoch every ~0.2 s, so a test can stop an agent between two checkpoints.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeLearnableIdxSet } from "../fixtures/idx-fixtures.js";

let data: string | null = null;

export interface SweepFixture {
  name: string;
  lrs: number[];
  epochs?: number;
  /** more top-level YAML for the sweep file */
  extra?: string;
}

/** Writes DIR/<name>.yaml (and its base config) and returns the sweep file's path. */
export function writeSweep(dir: string, f: SweepFixture): string {
  data ??= writeLearnableIdxSet({ trainCount: 12000, testCount: 2000, side: 28 });
  const base = join(dir, `${f.name}-base.yaml`);
  writeFileSync(base, `name: ${f.name}\ndata: { dataset: idx, dir: ${data} }\nmodel: { hidden: [256, 128] }\ntrain: { epochs: ${f.epochs ?? 8}, batchSize: 32 }\noptim: { lr: 0.05 }\n`);
  const file = join(dir, `${f.name}.yaml`);
  writeFileSync(file, `name: ${f.name}\nbase: ${base}\ngrid:\n  optim.lr: [${f.lrs.join(", ")}]\n${f.extra ?? ""}`);
  return file;
}
