// --queue redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS): parsed and checked before
// anything connects, so a typo is one line naming the flag, not a stack trace.
import { UsageError } from "../errors.js";

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
  const bad = (why: string) => new UsageError(`${flag}: expected redis://HOST:PORT[/DB] (or rediss:// for TLS), found ${JSON.stringify(value)}: ${why}`);
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
