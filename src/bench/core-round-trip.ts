// How far apart two cores are: the time one thread takes to see a store by a thread on another
// core and to see that thread's answer. Two ping workers (workers/ping.worker.ts) spin on one
// shared buffer, so each round trip moves two cache lines between the cores and back; on cores
// that share an L3 that is tens of ns, across chiplets or sockets hundreds. The engine pays a
// like cost for each line one worker writes and another reads (activations, barrier words,
// θ_t+1 rows), two independent processes do not: `dptrain bench --profile` prints it beside the
// side-by-side figure, so a scaling figure can be read against the machine it came from.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { pingWorkerFile } from "../paths.js";
import { median } from "./median.js";
import { GO, PING_INTS, type PingInit, type PingResult } from "./ping-protocol.js";

export interface RoundTripOptions {
  /** round trips per timed round, at most (default 20,000: ~20 ms at 1 µs) */
  trips?: number;
  /** a round ends after this long whatever its trips (default 100 ms; a loaded machine makes few) */
  roundMs?: number;
  /** timed rounds after one untimed (default 5) */
  rounds?: number;
  /** give up when nothing moves for this long (default 2,000 ms) */
  timeoutMs?: number;
}

/**
 * The median ns per round trip over the timed rounds, or null where it cannot be measured: fewer
 * than 2 cores (two spinning threads on one core measure the scheduler), or no answer in time.
 * JavaScript's loop adds its own few hundred ns to the hardware's figure, the same on any machine.
 * On a loaded machine a trip can wait for a time slice: the figure then says so (ms, not ns),
 * and each round still ends after roundMs.
 */
export async function coreRoundTripNs(options: RoundTripOptions = {}): Promise<number | null> {
  if (availableParallelism() < 2) return null;
  const { trips = 20_000, roundMs = 100, rounds = 5, timeoutMs = 2_000 } = options;
  const buffer = new SharedArrayBuffer(PING_INTS * 4);
  const start = (role: PingInit["role"]) => new Worker(pingWorkerFile, { workerData: { buffer, role, trips, roundMs, rounds: rounds + 1, timeoutMs } satisfies PingInit });
  const workers = [start("ping"), start("pong")];
  try {
    // both up before either spins: a spinning pinger could keep the ponger's thread from starting
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once("message", () => resolve());
      w.once("error", reject);
    })));
    const result = new Promise<PingResult>((resolve, reject) => {
      workers[0]!.once("message", resolve);
      workers[0]!.once("error", reject);
    });
    const go = new Int32Array(buffer);
    Atomics.store(go, GO, 1);
    Atomics.notify(go, GO);
    const r = await result;
    if (!r.ok) return null;
    return median(r.ns.slice(1));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
