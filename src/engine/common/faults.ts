// Both threads: the coordinator and every step worker.
// Test-only fault injection in the step workers, to prove that failures mid-step lose nothing.
// A plan comes from EngineOptions.faults or the env var DPTRAIN_FAULTS (JSON, for CLI tests).
// Each fault fires at most once: its flag in the arena's control region is claimed with a
// compare-and-swap, so a replaced worker re-running the step does not fire it again.
import { CONTROL_INTS } from "../../arena/layout.js";
import type { FaultSpec } from "./protocol.js";

export type { FaultKind, FaultSpec } from "./protocol.js";

/** control[HANG_WORD] is never notified: a hang waits on it. */
export const HANG_WORD = 0;
export const FAULT_FLAGS = 1;
export const MAX_FAULTS = CONTROL_INTS - FAULT_FLAGS;
/** A "slow" fault with at = 1 stalls its worker this long. */
export const SLOW_FAULT_MS = 100;

/** A web page has no environment, so no faults there. */
export function faultsFromEnv(env: Record<string, string | undefined> = typeof process === "undefined" ? {} : process.env): FaultSpec[] {
  const text = env.DPTRAIN_FAULTS;
  if (!text) return [];
  const plan = JSON.parse(text) as FaultSpec[];
  if (!Array.isArray(plan) || plan.length > MAX_FAULTS) throw new RangeError(`DPTRAIN_FAULTS: expected a JSON list of at most ${MAX_FAULTS} faults`);
  return plan;
}

/** The worker side: finds the fault planned for this worker's phase (if any) and fires it at most once. */
export class FaultInjector {
  constructor(
    private readonly plan: FaultSpec[],
    private readonly control: Int32Array,
  ) {}

  /**
   * The fault for (step, phase, task) that has not fired yet, claimed for firing now. A "slow"
   * one stalls here and is not returned: the phase then runs as usual, only later.
   */
  claim(step: number, phase: FaultSpec["phase"], task: number): FaultSpec | null {
    for (let i = 0; i < this.plan.length; i++) {
      const f = this.plan[i]!;
      if (f.step === step && f.phase === phase && f.task === task && Atomics.compareExchange(this.control, FAULT_FLAGS + i, 0, 1) === 0) {
        if (f.kind !== "slow") return f;
        Atomics.wait(this.control, HANG_WORD, 0, f.at * SLOW_FAULT_MS);
      }
    }
    return null;
  }

  /** Fires a failing fault (every kind but nan). */
  fire(f: FaultSpec): never {
    switch (f.kind) {
      case "exit":
        // a web page's worker has no process: there it hangs, as a worker the tab lost would
        if (typeof process !== "undefined") process.exit(1);
        for (;;) Atomics.wait(this.control, HANG_WORD, 0);
      case "hang":
        for (;;) Atomics.wait(this.control, HANG_WORD, 0);
      default:
        throw new Error(`injected fault: ${f.kind} in ${f.phase} of worker ${f.task}, step ${f.step}`);
    }
  }
}
