// Coordinator thread.
// A phase's wait, for every host's step pool: all of its tasks, or a failure, or its timeout.
import { PhaseTimeoutError } from "./errors.js";

/**
 * Resolves when every run is done; rejects on the first failure, or with a PhaseTimeoutError for
 * `kind` after timeoutMs. On a failure onFail runs first (it stops the tasks still running), and
 * their rejections after that are expected, never unhandled.
 */
export async function allWithin<T>(runs: Promise<T>[], kind: string, timeoutMs: number, onFail: () => void): Promise<T[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeoutError(kind, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.all(runs), timeout]);
  } catch (err) {
    onFail();
    for (const r of runs) r.catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
