// Run directories: runs/<name>/<yyyymmdd-hhmmss> by default; never silently reused.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";

export const RUN_FILES = {
  config: "config.yaml",
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint.safetensors",
  model: "model.safetensors",
} as const;

export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirError";
  }
}

export function timestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export function defaultRunDir(name: string, date = new Date()): string {
  return join("runs", name, timestamp(date));
}

/** The run files already in dir (empty when dir is new or holds none). */
export function existingRunFiles(dir: string): string[] {
  return Object.values(RUN_FILES).filter((f) => existsSync(join(dir, f)));
}

/** Refuses a dir that holds a run, unless force; with force, removes that run's files. */
export function claimRunDir(dir: string, force: boolean): void {
  const found = existingRunFiles(dir);
  if (found.length === 0) return;
  if (!force) {
    throw new RunDirError(`${dir}: already holds a run (${found.join(", ")}): expected an empty or new directory; pass --force to overwrite it or --resume ${dir} to continue it`);
  }
  for (const f of found) rmSync(join(dir, f), { force: true });
}
