// What the sweep controller and the agents say to each other through Redis: the BullMQ queue's
// name, a trial job's data, its progress and its return value, and the keys beside the queue that
// hold files (types and names only; trial-store.ts reads and writes them).
//
//   dptrain:trials:*                     the BullMQ queue (one for every sweep; agents take any)
//   dptrain:sweep:<id>:state:<index>     hash: the trial's last checkpoint and its metrics.jsonl
//   dptrain:sweep:<id>:result:<index>    hash: model.safetensors, metrics.jsonl, config.yaml
//   dptrain:sweep:<id>:curves            hash: index → the stop metric per epoch of each trial that ran to the end
import type { Config } from "../config/schema.js";
import type { StopMetric, StopRule } from "../config/sweep.js";
import type { SweepValue } from "../config/sweep-space.js";

export const KEY_PREFIX = "dptrain";
export const QUEUE_NAME = "trials";

/** A sweep's identity: its name and a hash of its trials, so the same file is the same sweep. */
export type SweepId = string;

/** The version of TrialJobData: an agent refuses a job of another version in one line. */
export const TRIAL_PROTOCOL = 1;

export interface TrialJobData {
  protocol: typeof TRIAL_PROTOCOL;
  sweepId: SweepId;
  sweepName: string;
  index: number;
  label: string;
  values: Record<string, SweepValue>;
  /** the whole experiment config: agents need no files from the controller's machine */
  config: Config;
  stop: StopRule | null;
  stopMetric: StopMetric;
}

/** A trial's label as a directory name: letters, digits and . = , _ - kept, anything else (a '/', '..') made '_', at most 120 characters. */
export function safeDirName(label: string): string {
  const name = label.replace(/[^\w.=,-]/g, "_").replace(/^\.+/, "_").slice(0, 120);
  return name === "" ? "_" : name;
}

export interface TrialProgress {
  agent: string;
  /** epochs done */
  epoch: number;
  epochs: number;
  stopMetric: StopMetric;
  value: number | null;
  /** the step this agent resumed the trial from (another agent's checkpoint), if it did */
  resumedAtStep?: number;
}

export interface TrialReturn {
  status: "finished" | "stopped";
  agent: string;
  reason: string | null;
  /** why the agent that finished it started again from step 0 (a stored checkpoint it could not use), if it did */
  restarted?: string;
}

export const trialJobId = (sweepId: SweepId, index: number): string => `${sweepId}.${index}`;

export const stateKey = (sweepId: SweepId, index: number): string => `${KEY_PREFIX}:sweep:${sweepId}:state:${index}`;
export const resultKey = (sweepId: SweepId, index: number): string => `${KEY_PREFIX}:sweep:${sweepId}:result:${index}`;
export const curvesKey = (sweepId: SweepId): string => `${KEY_PREFIX}:sweep:${sweepId}:curves`;
