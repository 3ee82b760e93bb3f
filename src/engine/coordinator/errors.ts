// Coordinator thread.
// The engine's failures, shared by the pool, the step loop and the engine.

/** A phase or a step ran past engine.stepTimeoutMs: a hung worker. */
export class PhaseTimeoutError extends Error {
  constructor(kind: string, ms: number) {
    super(`${kind} phase did not finish within engine.stepTimeoutMs = ${ms} ms (a hung worker?)`);
    this.name = "PhaseTimeoutError";
  }
}

/** A run of steps failed in step `step`: the first step not every worker had finished. */
export class StepAttemptError extends Error {
  constructor(readonly step: number, readonly failure: Error) {
    super(failure.message);
    this.name = "StepAttemptError";
  }
}

/** A step failed more than engine.maxRetries times in a row. θ_t is intact. */
export class StepFailedError extends Error {
  constructor(readonly step: number, readonly attempts: number, readonly lastError: Error) {
    super(`step ${step} failed ${attempts} times in a row (last: ${lastError.message.split("\n")[0]})`);
    this.name = "StepFailedError";
  }
}
