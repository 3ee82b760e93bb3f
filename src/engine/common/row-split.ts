// Both threads: the coordinator (even ends at each command) and every step worker.
// Which rows of a step each worker takes under the row cut (and, under the feature cut, which
// share of every layer's outputs: feature-plan.ts featureRange): contiguous ranges whose ends are
// fractions of the batch, in the barrier region (barrier.ts R_ROW_END, per step parity and
// worker), moved step by step toward each worker's measured speed. A core that runs slower
// (a VM's vCPU with a busy neighbour, an efficiency core beside performance cores) then gets
// fewer rows, where an even split made every other worker wait for it at the barrier. Which
// worker computes a row never changes its bits (ROW INDEPENDENCE, kernels.ts), so neither does
// the split.
//
// Who writes and who reads the ends of parity p: every worker reads them at the start of its
// step t (parity p), after the end-of-step barrier of t − 1; worker 0 writes the ends for step
// t + 2 (parity p again) after the end-of-step barrier of t, from the rows and ROWS times every
// worker left in the results of t. So every worker of a step reads the same ends, and nothing
// writes them while they are read. The coordinator writes even ends before each command.

/**
 * Each worker's speed is an exponential average over about this many ms of kernel time: a step
 * whose fastest worker computed for `ms` moves the estimate by 1 − e^(−ms / SPEED_TIME_MS) of
 * what it measured. A time, not a number of steps: the CNN's ROWS (~12 ms on 2 workers) moves
 * it by about 0.25 a step, the seed MLP's step (~0.9 ms) by 0.02, so a moment a core is taken
 * away (a few ms, many MLP steps) does not swing the MLP's ends back and forth. The fastest
 * worker's time, not the slowest's: a step stretched by a worker's stall would otherwise weigh
 * that stall all the more (docs/benchmarks.md).
 */
export const SPEED_TIME_MS = 45;
/**
 * Under the feature cut, worker 0 keeps the ends it last decided unless the new ones would move
 * some worker's rows by more than this many (worker-loop.ts): each move also moves every layer's
 * output ranges and who owns those weight rows, and the speeds' average is smooth enough that
 * one row absorbs the rounding's flicker. At 2 rows the split stayed up to 3% off (the slower
 * worker of a bench run kept 32.9 of 64 rows).
 */
export const FEATURE_HOLD_ROWS = 1;
/** No worker's share falls below this part of an even share, so each still has rows to be timed by. */
export const MIN_SHARE = 0.25;

/** The end of worker w's rows as a fraction of the batch when every worker takes the same share. */
export function evenEnd(worker: number, workers: number): number {
  return (worker + 1) / workers;
}

/**
 * ends[0..workers) as they are where they are increasing fractions ending at 1, else the even
 * ends: all workers read the same ends, so they all fall back together.
 */
export function validEnds(ends: ArrayLike<number>, workers: number): ArrayLike<number> {
  let valid = ends[workers - 1] === 1;
  for (let w = 0; valid && w < workers; w++) {
    const e = ends[w]!, before = w === 0 ? 0 : ends[w - 1]!;
    valid = e >= before && e <= 1;
  }
  return valid ? ends : Array.from({ length: workers }, (_, w) => evenEnd(w, workers));
}

/** Worker w's rows [r0, r1) of nRows, from ends[0..workers) (validEnds). */
export function rowRange(ends: ArrayLike<number>, workers: number, worker: number, nRows: number): [number, number] {
  const at = validEnds(ends, workers);
  const end = (w: number): number => (w < 0 ? 0 : w >= workers - 1 ? nRows : Math.round(at[w]! * nRows));
  return [end(worker - 1), end(worker)];
}

/**
 * Worker 0's running estimate of each worker's speed (rows per ms of ROWS under the row cut; of
 * ROWS and PARAMS under the feature cut, whose PARAMS follows the same ends) and the ends it
 * gives. One per command: the coordinator's even ends start each command afresh.
 */
export class RowBalancer {
  private readonly speed: number[];
  private readonly ends: number[];

  constructor(private readonly workers: number) {
    this.speed = new Array<number>(workers).fill(0);
    this.ends = new Array<number>(workers).fill(1);
  }

  /**
   * Takes one step's rows and kernel ms per worker; returns the next ends (fractions, increasing,
   * the last exactly 1), in an array the next call overwrites. A worker with no rows or no time
   * keeps its estimate. Plain loops, nothing allocated: worker 0 runs this between two steps
   * while the others start the next (an allocating version cost 12 µs a step, ~1.4% of the seed
   * MLP's, which the other worker spent waiting at its first barrier).
   */
  next(rows: ArrayLike<number>, kernelMs: ArrayLike<number>): number[] {
    const W = this.workers, speed = this.speed, ends = this.ends;
    let stepMs = Infinity;
    for (let w = 0; w < W; w++) if (rows[w]! > 0 && kernelMs[w]! > 0) stepMs = Math.min(stepMs, kernelMs[w]!);
    const weight = Number.isFinite(stepMs) ? 1 - Math.exp(-stepMs / SPEED_TIME_MS) : 0;
    let known = 0, sumKnown = 0;
    for (let w = 0; w < W; w++) {
      const r = rows[w]!, ms = kernelMs[w]!;
      if (r > 0 && ms > 0) {
        const s = r / ms;
        speed[w] = speed[w]! > 0 ? speed[w]! + weight * (s - speed[w]!) : s;
      }
      if (speed[w]! > 0) {
        known++;
        sumKnown += speed[w]!;
      }
    }
    const mean = known > 0 ? sumKnown / known : 1;
    const share = (w: number) => Math.max(speed[w]! > 0 ? speed[w]! : mean, MIN_SHARE * mean);
    let total = 0;
    for (let w = 0; w < W; w++) total += share(w);
    let sum = 0;
    for (let w = 0; w < W; w++) {
      sum += share(w);
      ends[w] = w === W - 1 ? 1 : Math.min(1, sum / total);
    }
    return ends;
  }
}
