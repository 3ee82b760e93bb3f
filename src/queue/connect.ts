// The Redis connection of a controller or an agent (ioredis, shared with BullMQ).
//   first connect: a few quick tries, then one line and exit 2 (QueueError): a wrong host or a
//     Redis that is not running is the user's input to fix, not something to wait for;
//   later outages: retried for ever with capped backoff, said once per outage in one line, and
//     once more when it is back. Commands wait for the connection meanwhile (BullMQ needs
//     maxRetriesPerRequest: null), so nothing already collected is touched.
import { Redis } from "ioredis";
import type { QueueUrl } from "./url.js";

const FIRST_CONNECT_TRIES = 3;
const FIRST_CONNECT_DELAY_MS = 300;
const BACKOFF_MS = { first: 500, max: 10_000 };

export class QueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueueError";
  }
}

/** Backoff before reconnect attempt `times` (1-based) after an outage: 0.5 s doubling, capped at 10 s. */
export function backoffMs(times: number): number {
  return Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** Math.max(0, times - 1));
}

export async function connectRedis(url: QueueUrl, say: (line: string) => void, name: string): Promise<Redis> {
  let connected = false;
  let outage = false;
  let lastError = "no answer";
  const redis = new Redis({
    host: url.host, port: url.port, db: url.db, connectionName: name,
    ...(url.username ? { username: url.username } : {}), ...(url.password ? { password: url.password } : {}),
    ...(url.tls ? { tls: {} } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: null,
    connectTimeout: 3000,
    retryStrategy: (times) => {
      if (!connected) return null; // the first connect's tries are counted below
      const wait = backoffMs(times);
      if (!outage) {
        outage = true;
        say(`redis ${url.shown}: connection lost; retrying with backoff (up to ${BACKOFF_MS.max / 1000} s between tries)`);
      }
      return wait;
    },
  });
  redis.on("error", (err: Error & { code?: string }) => {
    lastError = err.code ?? err.message.split("\n")[0]!;
  });
  redis.on("ready", () => {
    if (outage) say(`redis ${url.shown}: reconnected`);
    outage = false;
  });
  for (let attempt = 1; !connected; attempt++) {
    try {
      await redis.connect();
      await redis.ping();
      connected = true;
    } catch (err) {
      redis.disconnect();
      if (attempt < FIRST_CONNECT_TRIES) {
        await new Promise((r) => setTimeout(r, FIRST_CONNECT_DELAY_MS));
        continue;
      }
      const why = (err as Error & { code?: string }).code ?? (err as Error).message.split("\n")[0];
      throw new QueueError(`cannot reach Redis at ${url.shown} (${lastError === "no answer" ? why : lastError}): expected a running redis-server there (start one with: redis-server --port ${url.port})`);
    }
  }
  return redis;
}
