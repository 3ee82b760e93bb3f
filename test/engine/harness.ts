// Shared setup for engine tests: real MNIST loaded once per file, and every engine a test
// opens is closed after it (no worker outlives its test).
import { afterEach, beforeAll } from "vitest";
import { loadDataset, type Dataset } from "../../src/data/dataset.js";
import type { Engine } from "../../src/engine/coordinator/engine.js";

export const constantSchedule = { type: "constant" as const, warmupEpochs: 0, stepEpochs: 1, gamma: 0.1, minLr: 0 };

export function useEngines(): { data: () => Dataset; track: (e: Engine) => Engine } {
  let data: Dataset | undefined;
  const open: Engine[] = [];
  beforeAll(async () => {
    data = await loadDataset("mnist");
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((e) => e.close()));
  });
  return {
    data: () => data!,
    track: (e) => {
      open.push(e);
      return e;
    },
  };
}
