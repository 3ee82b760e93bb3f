// One of the two threads of the core round-trip probe (src/bench/core-round-trip.ts). Both spin
// on the shared buffer: the pinger stores 1, 2, 3, … in PING and waits for each to appear in
// PONG; the ponger copies every new PING into PONG. Spinning, not Atomics.wait: a wake-up by the
// kernel costs microseconds and would hide the cache's round trip being measured. The clock is
// read only every SPINS_PER_CLOCK spins of one wait and every TRIPS_PER_CLOCK round trips, so it
// adds nothing to a round trip that is answered at once.
import { parentPort, workerData } from "node:worker_threads";
import { GO, PING, PONG, type PingInit, type PingResult } from "../src/bench/ping-protocol.js";

const init = workerData as PingInit;
const a = new Int32Array(init.buffer);
const SPINS_PER_CLOCK = 4096;
const TRIPS_PER_CLOCK = 256;

/**
 * Spins until `done()`; false where nothing moved for init.timeoutMs (the other thread is gone
 * or never ran). `progress()` names what moving means: a value that changes while things move.
 */
function spinUntil(done: () => boolean, progress: () => number): boolean {
  let spins = 0, seen = progress(), since = -1;
  while (!done()) {
    if (++spins % SPINS_PER_CLOCK !== 0) continue;
    const now = performance.now();
    const p = progress();
    if (since < 0 || p !== seen) [since, seen] = [now, p];
    else if (now - since > init.timeoutMs) return false;
  }
  return true;
}

function ping(): PingResult {
  const ns: number[] = [];
  let seq = 0;
  for (let round = 0; round < init.rounds; round++) {
    const t0 = performance.now();
    let trips = 0;
    // a round ends after init.trips round trips or init.roundMs, whichever comes first: on a
    // loaded machine each trip can wait for a time slice, and the probe must still end soon
    while (trips < init.trips) {
      const mine = ++seq;
      Atomics.store(a, PING, mine);
      if (!spinUntil(() => Atomics.load(a, PONG) === mine, () => Atomics.load(a, PONG))) {
        Atomics.store(a, PING, -1);
        return { ok: false, why: `no answer within ${init.timeoutMs} ms` };
      }
      trips++;
      if (trips % TRIPS_PER_CLOCK === 0 && performance.now() - t0 > init.roundMs) break;
    }
    ns.push(((performance.now() - t0) * 1e6) / trips);
  }
  Atomics.store(a, PING, -1);
  return { ok: true, ns };
}

function pong(): void {
  let last = 0;
  for (;;) {
    if (!spinUntil(() => Atomics.load(a, PING) !== last, () => Atomics.load(a, PING))) return;
    const v = Atomics.load(a, PING);
    if (v === -1) return;
    Atomics.store(a, PONG, v);
    last = v;
  }
}

parentPort!.postMessage("ready");
Atomics.wait(a, GO, 0);
if (init.role === "ping") parentPort!.postMessage(ping());
else pong();
