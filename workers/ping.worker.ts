// One of the two threads of the core round-trip probe (src/bench/core-round-trip.ts). Both spin
// on the shared buffer: the pinger stores 1, 2, 3, … in PING and waits for each to appear in
// PONG; the ponger copies every new PING into PONG. Spinning, not Atomics.wait: a wake-up by the
// kernel costs microseconds and would hide the cache's round trip being measured.
import { parentPort, workerData } from "node:worker_threads";
import { GO, PING, PONG, type PingInit, type PingResult } from "../src/bench/ping-protocol.js";

const init = workerData as PingInit;
const a = new Int32Array(init.buffer);
// how many spins between two looks at the clock (performance.now() costs ~50 ns)
const SPINS_PER_CLOCK = 4096;

function ping(): PingResult {
  const ns: number[] = [];
  let seq = 0;
  for (let round = 0; round < init.rounds; round++) {
    const t0 = performance.now();
    for (let i = 0; i < init.trips; i++) {
      seq++;
      Atomics.store(a, PING, seq);
      let spins = 0;
      while (Atomics.load(a, PONG) !== seq) {
        if (++spins % SPINS_PER_CLOCK === 0 && performance.now() - t0 > init.timeoutMs) {
          Atomics.store(a, PING, -1);
          return { ok: false, why: `no answer within ${init.timeoutMs} ms` };
        }
      }
    }
    ns.push(((performance.now() - t0) * 1e6) / init.trips);
  }
  Atomics.store(a, PING, -1);
  return { ok: true, ns };
}

function pong(): void {
  let last = 0;
  let since = performance.now();
  let spins = 0;
  for (;;) {
    const v = Atomics.load(a, PING);
    if (v === -1) return;
    if (v !== last) {
      Atomics.store(a, PONG, v);
      last = v;
      since = performance.now();
    } else if (++spins % SPINS_PER_CLOCK === 0 && performance.now() - since > init.timeoutMs) {
      return;
    }
  }
}

parentPort!.postMessage("ready");
Atomics.wait(a, GO, 0);
if (init.role === "ping") parentPort!.postMessage(ping());
else pong();
