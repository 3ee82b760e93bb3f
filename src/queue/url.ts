// --queue redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS): parsed and checked before
// anything connects, so a typo is one line naming the flag, not a stack trace. A password is
// never printed, in errors included; it can come from DPTRAIN_QUEUE or a --queue-file rather
// than the command line, where `ps` would show it.
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

/** The environment variable that may hold the queue's URL. */
export const QUEUE_ENV = "DPTRAIN_QUEUE";

/**
 * The queue URL a command was given: --queue URL, else --queue-file FILE (its first line), else
 * DPTRAIN_QUEUE; with where it came from, for errors. Null where none was given.
 */
export function queueUrlFrom(flags: { queue?: string | boolean | undefined; queueFile?: string | undefined }, env: NodeJS.ProcessEnv = process.env): { value: string; from: string } | null {
  if (typeof flags.queue === "string") return { value: flags.queue, from: "--queue" };
  if (flags.queueFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.queueFile, "utf8");
    } catch (err) {
      throw new UsageError(`--queue-file ${flags.queueFile}: expected a readable file holding the queue URL, found ${(err as NodeJS.ErrnoException).code ?? "an error"}`);
    }
    const line = text.split("\n")[0]!.trim();
    if (line === "") throw new UsageError(`--queue-file ${flags.queueFile}: expected the queue URL on its first line, found nothing`);
    return { value: line, from: `--queue-file ${flags.queueFile}` };
  }
  const fromEnv = env[QUEUE_ENV];
  return fromEnv ? { value: fromEnv.trim(), from: QUEUE_ENV } : null;
}

/** The queue a command was given (queueUrlFrom), parsed; `missing` is the error where it was given none. */
export function givenQueueUrl(flags: Parameters<typeof queueUrlFrom>[0], missing: string, env: NodeJS.ProcessEnv = process.env): QueueUrl {
  const given = queueUrlFrom(flags, env);
  if (!given) throw new UsageError(missing);
  return parseQueueUrl(given.value, given.from);
}

/** A URL as an error may show it: the password (anything between the user name's ':' and the '@') hidden. */
export function redactUrl(value: string): string {
  const at = value.lastIndexOf("@");
  const scheme = value.indexOf("//");
  const start = scheme >= 0 ? scheme + 2 : 0;
  if (at < start) return value;
  const colon = value.indexOf(":", start);
  const user = colon >= 0 && colon < at ? value.slice(start, colon) : "";
  return `${value.slice(0, start)}${user}${colon >= 0 && colon < at ? ":" : ""}***${value.slice(at)}`;
}

export interface QueueUrl {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** the URL as logs show it: no password */
  shown: string;
}

export function parseQueueUrl(value: string, flag = "--queue"): QueueUrl {
  const bad = (why: string) => new UsageError(`${flag}: expected redis://HOST:PORT[/DB] (or rediss:// for TLS), found ${JSON.stringify(redactUrl(value))}: ${why}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const port = /^\w+:\/\/[^/]*:(\d+)(\/|$)/.exec(value)?.[1];
    throw bad(port !== undefined && Number(port) > 65535 ? `port ${port} (expected 1-65535)` : "not a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw bad(`the scheme is ${url.protocol.replace(/:$/, "") || "missing"}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw bad("no host");
  // No port: Redis' default, as redis-cli takes it.
  const port = url.port === "" ? 6379 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${url.port}`);
  const path = url.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isInteger(db) || db > 15) throw bad(`database ${JSON.stringify(path)} (expected 0-15)`);
  if (url.search !== "" || url.hash !== "") throw bad("query strings and fragments are not used");
  const username = url.username === "" ? undefined : decodeURIComponent(url.username);
  const password = url.password === "" ? undefined : decodeURIComponent(url.password);
  const hostShown = host.includes(":") ? `[${host}]` : host;
  return {
    host, port, db, tls: url.protocol === "rediss:", ...(username ? { username } : {}), ...(password ? { password } : {}),
    shown: `${url.protocol}//${username ? `${username}@` : ""}${hostShown}:${port}${db === 0 ? "" : `/${db}`}`,
  };
}
