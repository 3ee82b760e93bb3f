// What a run reports: one EpochMetrics per epoch (a metrics.jsonl line), one StepInfo per step
// (progress). The run layer fills them; report/ draws and writes them.

export interface EpochMetrics {
  /** 1-based epoch number */
  epoch: number;
  /** global steps done after this epoch */
  step: number;
  train_loss: number;
  train_acc: number;
  /** the validation split's (data.validation) after this epoch, or null */
  val_loss: number | null;
  val_acc: number | null;
  test_loss: number | null;
  test_acc: number | null;
  samples_per_s: number;
  /** training wall time of the epoch (steps only, not eval) */
  seconds: number;
  /** share of step time spent in kernels (the rest is dispatch and waiting) */
  kernel_fraction: number;
  /** false for an epoch cut short by train.maxSteps */
  complete: boolean;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  /** 0-based epoch */
  epoch: number;
  epochs: number;
  /** rows of this epoch done so far, and in all */
  rowsDone: number;
  rowsInEpoch: number;
  /** mean loss of this batch */
  loss: number;
  /** running mean loss of the epoch */
  epochLoss: number;
  samplesPerSec: number;
}
