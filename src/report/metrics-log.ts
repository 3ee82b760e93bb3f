// metrics.jsonl: one JSON object per epoch. Rewritten whole and atomically on each append, so a
// crash never leaves a half-written line (the file is a few KB at most).
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../io/atomic.js";
import type { EpochMetrics } from "./metrics.js";

export const METRIC_KEYS = ["epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "samples_per_s", "seconds"] as const;

export function metricsLine(m: EpochMetrics): string {
  return JSON.stringify({
    epoch: m.epoch, step: m.step, train_loss: m.train_loss, train_acc: m.train_acc,
    // a run without data.validation writes no val_ keys (its lines read as before)
    ...(m.val_loss === null || m.val_loss === undefined ? {} : { val_loss: m.val_loss, val_acc: m.val_acc }),
    test_loss: m.test_loss,
    test_acc: m.test_acc, samples_per_s: m.samples_per_s, seconds: m.seconds, kernel_fraction: m.kernel_fraction,
    ...(m.complete ? {} : { partial: true }),
  });
}

export function readMetrics(path: string): EpochMetrics[] {
  if (!existsSync(path)) return [];
  return parseMetrics(readFileSync(path, "utf8"));
}

/** metrics.jsonl's text as its epochs; a line that is not JSON throws, naming it. */
export function parseMetrics(text: string, name = "metrics.jsonl"): EpochMetrics[] {
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      const m = JSON.parse(line) as EpochMetrics;
      return [{ ...m, val_loss: m.val_loss ?? null, val_acc: m.val_acc ?? null }];
    } catch {
      throw new Error(`${name} line ${i + 1} is not JSON`);
    }
  });
}

export class MetricsLog {
  private lines: string[];

  constructor(private readonly path: string, keepExisting: boolean) {
    this.lines = keepExisting && existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "") : [];
  }

  append(m: EpochMetrics): void {
    // A resumed run re-reports the epoch it was stopped in: replace that epoch's earlier line.
    this.lines = this.lines.filter((l) => (JSON.parse(l) as { epoch: number }).epoch !== m.epoch);
    this.lines.push(metricsLine(m));
    writeFileAtomic(this.path, this.lines.join("\n") + "\n");
  }
}
