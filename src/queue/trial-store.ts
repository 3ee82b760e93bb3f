// The files of a queued trial, kept in Redis beside the queue so that any agent can resume the
// trial and the controller can collect it. Each write is one MULTI: a reader sees a checkpoint
// with the metrics that belong to it, never half of an update.
import type { Redis } from "ioredis";
import type { Curve } from "../config/sweep.js";
import { curvesKey, resultKey, stateKey, type SweepId, type TrialReturn } from "./protocol.js";

/** A trial's last checkpoint: checkpoint.safetensors and the metrics.jsonl lines up to it. */
export interface TrialState {
  checkpoint: Buffer;
  metrics: string;
}

/** A finished (or stopped) trial's files, as the controller writes them into the trial directory. */
export interface TrialFiles {
  model: Buffer;
  metrics: string;
  config: string;
}

export async function saveState(redis: Redis, sweepId: SweepId, index: number, state: TrialState): Promise<void> {
  await redis.multi().del(stateKey(sweepId, index)).hset(stateKey(sweepId, index), "checkpoint", state.checkpoint, "metrics", state.metrics).exec();
}

export async function loadState(redis: Redis, sweepId: SweepId, index: number): Promise<TrialState | null> {
  const [checkpoint, metrics] = await redis.hmgetBuffer(stateKey(sweepId, index), "checkpoint", "metrics");
  return checkpoint && metrics ? { checkpoint, metrics: metrics.toString("utf8") } : null;
}

/** Stores the result (with what the job returns) and drops the resume state in one step. */
/** A finished trial as stored: its files, what its job returns, and its metric curve (null for a stopped trial, which sets no bar). */
export interface TrialResult {
  files: TrialFiles;
  returned: TrialReturn;
  curve: Curve | null;
}

export async function saveResult(redis: Redis, sweepId: SweepId, index: number, { files, returned, curve }: TrialResult): Promise<void> {
  const tx = redis.multi().hset(resultKey(sweepId, index), "model", files.model, "metrics", files.metrics, "config", files.config, "return", JSON.stringify(returned)).del(stateKey(sweepId, index));
  if (curve) tx.hset(curvesKey(sweepId), String(index), JSON.stringify(curve));
  await tx.exec();
}

export async function loadResult(redis: Redis, sweepId: SweepId, index: number): Promise<TrialFiles | null> {
  const [model, metrics, config] = await redis.hmgetBuffer(resultKey(sweepId, index), "model", "metrics", "config");
  return model && metrics && config ? { model, metrics: metrics.toString("utf8"), config: config.toString("utf8") } : null;
}

/**
 * What a trial whose result is already stored returned. A job runs again after its result was
 * saved when its agent lost the lock before it could complete the job (Redis away for longer
 * than the lock): the next agent returns this instead of training the trial again.
 */
export async function storedReturn(redis: Redis, sweepId: SweepId, index: number): Promise<TrialReturn | null> {
  const text = await redis.hget(resultKey(sweepId, index), "return");
  return text === null ? null : (JSON.parse(text) as TrialReturn);
}

export async function dropResult(redis: Redis, sweepId: SweepId, index: number): Promise<void> {
  await redis.del(resultKey(sweepId, index));
}

/** The stop-metric curves of the sweep's trials that ran to the end. */
export async function finishedCurves(redis: Redis, sweepId: SweepId): Promise<Curve[]> {
  return Object.values(await redis.hgetall(curvesKey(sweepId))).map((s) => JSON.parse(s) as Curve);
}
