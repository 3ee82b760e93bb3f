// Median stopping against hand-worked cases (Optuna's MedianPruner semantics).
import { describe, expect, it } from "vitest";
import { median, medianStop } from "../../src/sweep/median-stop.js";
import { curveOf, stopJudge } from "../../src/sweep/stop-judge.js";
import type { EpochMetrics } from "../../src/report/metrics.js";

const rule = { afterEpochs: 2, minTrials: 2 };
const finished = [[0.5, 0.7, 0.8], [0.6, 0.8, 0.9], [0.4, 0.9, 0.95]];

describe("medianStop", () => {
  it("median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("compares the trial's best so far with the median of the finished trials at that epoch", () => {
    // epoch 2: finished values 0.7, 0.8, 0.9 → median 0.8
    expect(medianStop(rule, "test_acc", [0.3, 0.79], finished)).toEqual({ stop: true, median: 0.8, best: 0.79 });
    expect(medianStop(rule, "test_acc", [0.3, 0.8], finished)).toEqual({ stop: false, median: 0.8, best: 0.8 });
    // best so far, not the last value: a dip after a good epoch does not stop it
    expect(medianStop(rule, "test_acc", [0.85, 0.5], finished).stop).toBe(false);
    // losses: lower is better
    expect(medianStop(rule, "test_loss", [1, 0.75], [[1, 0.5], [1, 0.7], [1, 0.9]])).toEqual({ stop: true, median: 0.7, best: 0.75 });
  });

  it("never before afterEpochs, nor with fewer than minTrials finished trials at that epoch", () => {
    expect(medianStop(rule, "test_acc", [0.01], finished)).toEqual({ stop: false, median: null, best: 0.01 });
    expect(medianStop(rule, "test_acc", [0.1, 0.1], [[0.5, 0.9]])).toEqual({ stop: false, median: null, best: 0.1 });
    // finished trials shorter than this epoch do not count
    expect(medianStop(rule, "test_acc", [0.1, 0.1, 0.1], [[0.5, 0.9], [0.5, 0.9, 0.9]]).median).toBeNull();
    // an epoch without the metric (eval.every > 1) is skipped
    expect(medianStop(rule, "test_acc", [null, null], finished)).toEqual({ stop: false, median: null, best: null });
  });
});

describe("stopJudge", () => {
  const epoch = (n: number, test_acc: number, complete = true) => ({ epoch: n, test_acc, complete }) as EpochMetrics;

  it("keeps the curve, ignores partial epochs, and says why it stopped", async () => {
    const judge = stopJudge({ rule: "median", afterEpochs: 2, minTrials: 1 }, "test_acc", async () => finished);
    expect(await judge.afterEpoch(epoch(1, 0.2))).toBe(false);
    expect(await judge.afterEpoch(epoch(2, 0.1, false))).toBe(false);
    expect(judge.curve).toEqual([0.2]);
    expect(await judge.afterEpoch(epoch(2, 0.3))).toBe(true);
    expect(judge.reason).toBe("stopped after epoch 2: best test_acc 0.3000 is worse than the median 0.8000 of 3 finished trials");
  });

  it("without a rule it never stops; a resumed trial starts from its metrics' curve", async () => {
    const judge = stopJudge(undefined, "test_acc", async () => finished, curveOf([{ epoch: 1, test_acc: 0.1 } as EpochMetrics, { epoch: 2, test_acc: 0.2, partial: true } as unknown as EpochMetrics], "test_acc"));
    expect(judge.curve).toEqual([0.1]);
    expect(await judge.afterEpoch(epoch(2, 0.0))).toBe(false);
    expect(judge.curve).toEqual([0.1, 0]);
  });
});
