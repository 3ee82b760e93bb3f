// Learning-rate schedules, a pure function of the global step (so workers, resume and
// re-run steps all agree). Epoch-valued settings are converted with stepsPerEpoch.
//   constant: lr
//   step:     lr · gamma^floor(epoch / stepEpochs)
//   cosine:   minLr + (lr − minLr) · (1 + cos(π · progress)) / 2, progress over the post-warmup steps
// Warmup (any type): linear from lr/warmupSteps up to the scheduled value over warmupEpochs.

export interface ScheduleSpec {
  type: "constant" | "step" | "cosine";
  warmupEpochs: number;
  stepEpochs: number;
  gamma: number;
  minLr: number;
}

/** What a schedule needs of a run: the base rate, the schedule, and the step counts its epochs convert with (OptimSettings has them all). */
export interface ScheduledRun {
  lr: number;
  schedule: ScheduleSpec;
  stepsPerEpoch: number;
  totalSteps: number;
}

export function learningRateAt(step: number, { lr: baseLr, schedule, stepsPerEpoch, totalSteps }: ScheduledRun): number {
  const warmupSteps = Math.round(schedule.warmupEpochs * stepsPerEpoch);
  let lr: number;
  switch (schedule.type) {
    case "constant":
      lr = baseLr;
      break;
    case "step":
      lr = baseLr * Math.pow(schedule.gamma, Math.floor(step / Math.max(1, Math.round(schedule.stepEpochs * stepsPerEpoch))));
      break;
    case "cosine": {
      const span = Math.max(1, totalSteps - warmupSteps);
      const progress = Math.min(1, Math.max(0, (step - warmupSteps) / span));
      lr = schedule.minLr + (baseLr - schedule.minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
      break;
    }
  }
  if (step < warmupSteps) lr *= (step + 1) / warmupSteps;
  return lr;
}
