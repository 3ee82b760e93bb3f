// Training progress for the CLI: a live bar per epoch on a TTY (cli-progress), else plain
// PyTorch-style lines "Train Epoch: 3 [12800/60000 (21%)]\tLoss: 0.231400" about every 10%.
// Each epoch ends with one summary line.
import cliProgress from "cli-progress";
import type { EpochMetrics, StepInfo } from "./metrics.js";

export interface Progress {
  step(info: StepInfo): void;
  epoch(m: EpochMetrics, epochs: number): void;
  /** a line that must not be torn by the bar */
  log(line: string): void;
  stop(): void;
}

export function epochSummary(m: EpochMetrics, epochs: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const test = m.test_acc === null ? "test –" : `test loss ${m.test_loss!.toFixed(4)} acc ${pct(m.test_acc)}`;
  const val = m.val_acc === null || m.val_acc === undefined ? "" : `val loss ${m.val_loss!.toFixed(4)} acc ${pct(m.val_acc)} | `;
  const partial = m.complete ? "" : " (partial: train.maxSteps)";
  return `Epoch ${m.epoch}/${epochs}${partial}: train loss ${m.train_loss.toFixed(4)} acc ${pct(m.train_acc)} | ${val}${test} | ${m.samples_per_s.toFixed(0)} samples/s | ${m.seconds.toFixed(1)} s`;
}

export function createProgress(out: NodeJS.WriteStream = process.stdout): Progress {
  return out.isTTY ? new BarProgress(out) : new LineProgress(out);
}

class LineProgress implements Progress {
  private lastDecile = -1;
  private lastEpoch = -1;

  constructor(private readonly out: NodeJS.WritableStream) {}

  step(info: StepInfo): void {
    if (info.epoch !== this.lastEpoch) {
      this.lastEpoch = info.epoch;
      this.lastDecile = -1;
    }
    const decile = Math.floor((info.rowsDone / info.rowsInEpoch) * 10);
    if (decile === this.lastDecile) return;
    this.lastDecile = decile;
    const pct = Math.round((info.rowsDone / info.rowsInEpoch) * 100);
    this.out.write(`Train Epoch: ${info.epoch + 1} [${info.rowsDone}/${info.rowsInEpoch} (${pct}%)]\tLoss: ${info.loss.toFixed(6)}\n`);
  }

  epoch(m: EpochMetrics, epochs: number): void {
    this.out.write(`${epochSummary(m, epochs)}\n`);
  }

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  stop(): void {}
}

class BarProgress implements Progress {
  private bar: cliProgress.SingleBar | null = null;
  private epochIndex = -1;

  constructor(private readonly out: NodeJS.WriteStream) {}

  step(info: StepInfo): void {
    if (!this.bar || info.epoch !== this.epochIndex) {
      this.bar?.stop();
      this.epochIndex = info.epoch;
      this.bar = new cliProgress.SingleBar({
        format: `Epoch ${info.epoch + 1}/${info.epochs} |{bar}| {percentage}% | {value}/{total} samples | loss {loss} | {rate} samples/s | ETA {eta_formatted}`,
        stream: this.out, hideCursor: true, clearOnComplete: true, etaBuffer: 50,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(info.rowsInEpoch, 0, { loss: "–", rate: "–" });
    }
    this.bar.update(info.rowsDone, { loss: info.epochLoss.toFixed(4), rate: info.samplesPerSec.toFixed(0) });
  }

  epoch(m: EpochMetrics, epochs: number): void {
    this.bar?.stop();
    this.bar = null;
    this.out.write(`${epochSummary(m, epochs)}\n`);
  }

  log(line: string): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    this.out.write(`${line}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
