// The core round-trip probe of `dptrain bench --profile` (src/bench/core-round-trip.ts): two
// worker threads (dist/workers/ping.worker.js) pass a number back and forth through shared memory.
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { coreRoundTripNs } from "../../src/bench/core-round-trip.js";

describe.runIf(availableParallelism() >= 2)("coreRoundTripNs", () => {
  it("measures a round trip between two cores: more than a few ns (two cache-line moves), far less than a thread wake-up", async () => {
    const ns = await coreRoundTripNs({ trips: 5_000, rounds: 3 });
    expect(ns).not.toBeNull();
    // a store seen by another core and answered: tens of ns on one die, hundreds across dies or
    // sockets; a kernel wake-up (what Atomics.wait would cost) is ~10 µs and more
    expect(ns!).toBeGreaterThan(5);
    expect(ns!).toBeLessThan(50_000);
  });

  it("runs again right after the last call (each call starts and ends its own two workers)", async () => {
    const a = await coreRoundTripNs({ trips: 1_000, rounds: 1 });
    const b = await coreRoundTripNs({ trips: 1_000, rounds: 1 });
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
  });
});
