// Both threads of the core round-trip probe (core-round-trip.ts, workers/ping.worker.ts): what
// the two ping workers share and what the first one reports.

/**
 * Int32 slots of the shared buffer, each on a cache line of its own (16 × 4 bytes apart), so a
 * round trip moves exactly two lines between the cores: PING (written by the pinger), PONG
 * (written by the ponger), GO (0 until both workers are up; both sleep on it) and the buffer's
 * length.
 */
export const PING = 0;
export const PONG = 16;
export const GO = 32;
export const PING_INTS = 48;

/** A ping worker's workerData. */
export interface PingInit {
  buffer: SharedArrayBuffer;
  /** "ping" stores a number and spins until it comes back; "pong" copies PING to PONG until PING is −1 */
  role: "ping" | "pong";
  /** round trips per timed round, at most */
  trips: number;
  /** a round ends after this long even if it made fewer trips (a loaded machine) */
  roundMs: number;
  rounds: number;
  /** a worker that sees nothing move for this long gives up (the other thread is gone or never ran) */
  timeoutMs: number;
}

/** What the pinger posts when it is done: ns per round trip of each round, or why it stopped. */
export type PingResult = { ok: true; ns: number[] } | { ok: false; why: string };
