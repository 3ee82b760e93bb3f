// Jobs and stored results read from Redis are input like any file: a job of another protocol, a
// config that names a file to extend, and a label that climbs out of the agent's folder are
// refused or contained; a corrupt stored result is run again, never fatal to the controller.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigObject } from "../../src/config/load.js";
import { KEY_PREFIX, QUEUE_NAME, TRIAL_PROTOCOL } from "../../src/queue/protocol.js";
import { writeTinyIdxSet } from "../fixtures/idx-fixtures.js";
import { writeSweep } from "../fixtures/sweep-fixture.js";
import { startCli, type CliProcess } from "./cli-process.js";
import { runCli } from "../cli/run-cli.js";
import { startRedis, type RedisServer } from "./redis-server.js";

let redis: RedisServer;
const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-hostile-"));
const agent = () => startCli(["agent", "--queue", redis.url, "--lock-ms", "4000", "--workers", "1"]);

async function stop(a: CliProcess): Promise<void> {
  a.child.kill("SIGTERM");
  expect((await a.exited).code).toBe(0);
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("hostile queue payloads", () => {
  it("a job of another protocol, a config with extends:, and a label with ../ : one line each, nothing written outside the agent's folder", async () => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    const config = parseConfigObject({ name: "hostile", data: { dataset: "idx", dir: writeTinyIdxSet({ trainCount: 64, testCount: 16, side: 4 }) }, model: { type: "softmax" }, train: { epochs: 1, batchSize: 16 } }, "test");
    const outside = tmp();
    // From the agent's mkdtemp folder under tmpdir(), this label points at outside/x: joined into
    // a path, as agents once did, the trial would run and leave its files there.
    const label = `../../../../../../..${outside}/x`;
    const base = { sweepId: "hostile-1", sweepName: "hostile", values: {}, stop: null, stopMetric: "test_acc" };
    const opts = { attempts: 1, removeOnComplete: false, removeOnFail: false };
    await queue.add("hostile", { ...base, index: 0, label: "old", config }, { ...opts, jobId: "hostile-1.0" });
    await queue.add("hostile", { ...base, protocol: TRIAL_PROTOCOL, index: 1, label: "extends", config: { ...config, extends: "/etc/passwd" } }, { ...opts, jobId: "hostile-1.1" });
    await queue.add("hostile", { ...base, protocol: TRIAL_PROTOCOL, index: 2, label, config }, { ...opts, jobId: "hostile-1.2" });
    const a = agent();
    await a.waitFor(/^done hostile\//m);
    await a.waitFor(/^failed hostile\/extends: /m);
    await a.waitFor(/^failed hostile\/old: /m);
    await stop(a);
    const out = a.output();
    expect(out).toMatch(/^failed hostile\/old: job hostile-1\.0: expected a trial job of protocol 1, found protocol null, index 0 \(queued by another dptrain version\?\)$/m);
    expect(out).toMatch(/^failed hostile\/extends: job hostile-1\.1 config: extends: unknown key/m);
    expect(existsSync(join(outside, "x"))).toBe(false);
    expect((await queue.getJob("hostile-1.0"))!.failedReason).toMatch(/protocol/);
    expect(await (await queue.getJob("hostile-1.2"))!.getState()).toBe("completed");
    await queue.close();
    connection.disconnect();
  }, 120_000);

  it("a stored result that is corrupt is run again, and the controller finishes the sweep", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "corrupt", lrs: [0.05], epochs: 2 });
    const out = join(dir, "queued");
    // The controller queues the trial and is stopped; the agent stores its result in Redis.
    const first = startCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", out]);
    await first.waitFor(/^sweep corrupt /m);
    first.child.kill("SIGINT");
    await first.exited;
    const a = agent();
    await a.waitFor(/^done corrupt\//m);
    // Break the stored metrics.jsonl, as a bad disk or a hostile writer could.
    const connection = new Redis(redis.url);
    const keys = await connection.keys(`${KEY_PREFIX}:sweep:corrupt-*:result:0`);
    expect(keys).toHaveLength(1);
    await connection.hset(keys[0]!, "metrics", "{ not json\n");
    connection.disconnect();
    const second = startCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", out]);
    expect((await second.exited).code).toBe(0);
    await stop(a);
    expect(second.output()).toMatch(/^ {2}lr=0\.05: its stored result is corrupt \(metrics\.jsonl line 1 is not JSON\); running it again$/m);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { runs: { status: string }[] };
    expect(summary.runs.map((r) => r.status)).toEqual(["finished"]);
    expect(readFileSync(join(out, "lr=0.05", "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(basename(out)).toBe("queued");
  }, 180_000);

  it("--retry-failed queues the trials that failed again; without it they stay collected", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "retry", lrs: [10000], epochs: 2 });
    const out = join(dir, "queued");
    const a = agent();
    const args = ["sweep", "-c", sweep, "--queue", redis.url, "--out", out];
    expect((await runCli(args)).code).toBe(0);
    const again = await runCli(args);
    expect(again.stdout).toMatch(/1 trials, 1 already collected/);
    const retry = await runCli([...args, "--retry-failed"]);
    await stop(a);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^--retry-failed: 1 failed trial queued again$/m);
    expect(a.output().match(/^failed retry\/lr=10000: step \d+: the (loss|gradient norm) is not finite/gm)).toHaveLength(2);
    const local = await runCli(["sweep", "-c", sweep, "--retry-failed"]);
    expect(local.code).toBe(2);
    expect(local.stderr.trim()).toBe("dptrain: --retry-failed: expected --queue (a local sweep runs every trial each time)");
  }, 180_000);
});
