// Both threads: the coordinator (even ends at each command) and every step worker.
// Which rows of a step each worker takes under the row cut: contiguous ranges whose ends are
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

/** How much of the last step's measured speed moves a worker's estimate (an exponential average). */
export const SPEED_WEIGHT = 0.25;
/** No worker's share falls below this part of an even share, so each still has rows to be timed by. */
export const MIN_SHARE = 0.25;

/** The end of worker w's rows as a fraction of the batch when every worker takes the same share. */
export function evenEnd(worker: number, workers: number): number {
  return (worker + 1) / workers;
}

/**
 * Worker w's rows [r0, r1) of nRows, from ends[0..workers) (fractions, the last one 1). Ends that
 * are not that (not increasing, outside [0, 1]) give the even split: all workers read the same
 * ends, so they all fall back together.
 */
export function rowRange(ends: ArrayLike<number>, workers: number, worker: number, nRows: number): [number, number] {
  let valid = ends[workers - 1] === 1;
  for (let w = 0; valid && w < workers; w++) {
    const e = ends[w]!, before = w === 0 ? 0 : ends[w - 1]!;
    valid = e >= before && e <= 1;
  }
  const end = (w: number): number => (w < 0 ? 0 : w >= workers - 1 ? nRows : Math.round((valid ? ends[w]! : evenEnd(w, workers)) * nRows));
  return [end(worker - 1), end(worker)];
}

/**
 * Worker 0's running estimate of each worker's speed (rows per ms of ROWS) and the ends it
 * gives. One per command: the coordinator's even ends start each command afresh.
 */
export class RowBalancer {
  private readonly speed: number[];

  constructor(private readonly workers: number) {
    this.speed = new Array<number>(workers).fill(0);
  }

  /**
   * Takes one step's rows and ROWS ms per worker; returns the next ends (fractions, increasing,
   * the last exactly 1). A worker with no rows or no time keeps its estimate.
   */
  next(rows: ArrayLike<number>, rowsMs: ArrayLike<number>): number[] {
    const W = this.workers;
    for (let w = 0; w < W; w++) {
      const r = rows[w]!, ms = rowsMs[w]!;
      if (!(r > 0 && ms > 0)) continue;
      const s = r / ms;
      this.speed[w] = this.speed[w]! > 0 ? this.speed[w]! + SPEED_WEIGHT * (s - this.speed[w]!) : s;
    }
    const known = this.speed.filter((s) => s > 0);
    const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    const shares = this.speed.map((s) => Math.max(s > 0 ? s : mean, MIN_SHARE * mean));
    const total = shares.reduce((a, b) => a + b, 0);
    const ends: number[] = [];
    let sum = 0;
    for (let w = 0; w < W; w++) {
      sum += shares[w]!;
      ends.push(w === W - 1 ? 1 : Math.min(1, sum / total));
    }
    return ends;
  }
}
