// Queued sweeps against a real redis-server (started here on a loopback port, stopped after):
// agents that die or stop, a controller that restarts, a trial that fails, median stopping, and
// Redis itself going away. Run by `npm run test:queue` (.ci/run runs it too).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { startCli, type CliProcess } from "./cli-process.js";
import { startRedis, type RedisServer } from "./redis-server.js";
import { writeSweep } from "../fixtures/sweep-fixture.js";

let redis: RedisServer;
const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-queue-"));
// A lock of 4 s: a killed agent's trial comes back within seconds, and a healthy agent on a loaded
// 2-core machine keeps its lock. Tests assert what the design guarantees (every trial done once,
// bitwise equal), not how often scheduling events happened.
const agent = (...extra: string[]) => startCli(["agent", "--queue", redis.url, "--lock-ms", "4000", "--workers", "1", ...extra]);
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { runs: { label: string; status: string; reason: string | null; agent?: string; kernels?: string; restarted?: string }[]; best: string };
/** An agent on a machine where the native kernels cannot load: it runs wasm. */
const WASM_ONLY = { DPTRAIN_NATIVE_ADDON: "/nonexistent/dptrain_native.node" };
const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, "gm"))?.length ?? 0;

async function stopAgents(...agents: CliProcess[]): Promise<void> {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill("SIGTERM");
  for (const a of agents) expect((await a.exited).code === 0 || (await a.exited).signal === "SIGKILL").toBe(true);
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("dptrain sweep --queue with dptrain agent", () => {
  it("two agents, one SIGKILLed mid-trial and one started later: every trial finishes once, every model bitwise equal to the local sweep", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "kill", lrs: [0.1, 0.02, 0.005, 0.0005] });
    expect((await runCli(["sweep", "-c", sweep, "--out", join(dir, "local")])).code).toBe(0);

    const a = agent();
    const b = agent();
    const controller = startCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", join(dir, "queued")]);
    // A's first trial has stored a checkpoint in Redis and is training on: kill A without warning.
    const [, label] = await a.waitFor(/^checkpoint kill\/(\S+) step \d+$/m);
    a.child.kill("SIGKILL");
    await a.exited;
    expect(a.output()).not.toMatch(new RegExp(`^done kill/${label!.replace(/[.=]/g, "\\$&")} `, "m"));
    const c = agent();
    expect((await controller.exited).code).toBe(0);
    await stopAgents(b, c);

    // BullMQ's stalled-job check gave A's trial back, and B or C resumed it from A's checkpoint.
    const survivors = b.output() + c.output();
    expect(survivors).toMatch(new RegExp(`^resume kill/${label!.replace(/[.=]/g, "\\$&")} at step [1-9]\\d*`, "m"));
    const all = a.output() + survivors;
    for (const l of ["lr=0.1", "lr=0.02", "lr=0.005", "lr=0.0005"]) {
      expect(count(all, new RegExp(`^done kill/${l.replace(/[.=]/g, "\\$&")} `))).toBe(1);
      expect(readFileSync(join(dir, "queued", l, "model.safetensors")).equals(readFileSync(join(dir, "local", l, "model.safetensors")))).toBe(true);
      expect(readFileSync(join(dir, "queued", l, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(8);
    }
    const summary = summaryOf(join(dir, "queued"));
    expect(summary.runs.map((r) => r.status)).toEqual(["finished", "finished", "finished", "finished"]);
    expect(summary.best).toBe(summaryOf(join(dir, "local")).best);
    expect(readFileSync(join(dir, "queued", "report.html"), "utf8")).toContain("sweep-curves.svg");
  }, 240_000);

  it("a native agent's trial handed to a wasm-only agent starts again from step 0 there and finishes; the summary names each trial's kernel set", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "unlike", lrs: [0.1, 0.02] });
    // What the wasm-only agent must reproduce: the same sweep, run locally on wasm.
    const local = await runCli(["sweep", "-c", sweep, "--out", join(dir, "local")], { env: WASM_ONLY });
    expect(local.code).toBe(0);
    const a = agent();
    const controller = startCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", join(dir, "queued")]);
    const [, label] = await a.waitFor(/^checkpoint unlike\/(\S+) step \d+$/m);
    a.child.kill("SIGKILL");
    await a.exited;
    const w = startCli(["agent", "--queue", redis.url, "--lock-ms", "4000", "--workers", "1"], WASM_ONLY);
    expect((await controller.exited).code).toBe(0);
    await stopAgents(w);
    const escaped = label!.replace(/[.=]/g, "\\$&");
    expect(w.output()).toMatch(new RegExp(`^restart unlike/${escaped} from step 0: its checkpoint was written by native \\(avx(512|2)\\) kernels and this agent runs wasm$`, "m"));
    const summary = summaryOf(join(dir, "queued"));
    expect(summary.runs.map((r) => r.status)).toEqual(["finished", "finished"]);
    expect(summary.runs.map((r) => r.kernels)).toEqual(["wasm", "wasm"]);
    expect(summary.runs.find((r) => r.label === label)!.restarted).toMatch(/^its checkpoint was written by native/);
    expect(JSON.parse(readFileSync(join(dir, "queued", label!, "trial.json"), "utf8")).restarted).toMatch(/^its checkpoint was written by native/);
    for (const l of ["lr=0.1", "lr=0.02"]) {
      expect(readFileSync(join(dir, "queued", l, "model.safetensors")).equals(readFileSync(join(dir, "local", l, "model.safetensors"))), l).toBe(true);
    }
  }, 240_000);

  it("an agent stopped with SIGTERM hands its trial back at a checkpoint and exits 0; the next agent resumes it bitwise", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "handback", lrs: [0.05], epochs: 6 });
    expect((await runCli(["sweep", "-c", sweep, "--out", join(dir, "local")])).code).toBe(0);
    const a = agent();
    const controller = startCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", join(dir, "queued")]);
    await a.waitFor(/^epoch 2 handback\//m);
    a.child.kill("SIGTERM");
    expect((await a.exited).code).toBe(0);
    const [, step] = a.output().match(/^handed back handback\/lr=0\.05 at step (\d+)$/m) ?? [];
    expect(Number(step)).toBeGreaterThan(0);
    const b = agent();
    expect((await controller.exited).code).toBe(0);
    await stopAgents(b);
    expect(b.output()).toContain(`resume handback/lr=0.05 at step ${step}`);
    expect(readFileSync(join(dir, "queued", "lr=0.05", "model.safetensors")).equals(readFileSync(join(dir, "local", "lr=0.05", "model.safetensors")))).toBe(true);
  }, 180_000);

  it("a controller stopped with Ctrl-C and started again collects the rest; finished trials are not run again", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "restart", lrs: [0.1, 0.03, 0.01], epochs: 3 });
    const a = agent();
    const args = ["sweep", "-c", sweep, "--queue", redis.url, "--out", join(dir, "queued")];
    const first = startCli(args);
    await first.waitFor(/^ {2}done lr=0\.1 /m);
    first.child.kill("SIGINT");
    expect((await first.exited).code).toBe(130);
    expect(first.output()).toMatch(/run the same command again/);
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/3 trials, [1-3] already collected/);
    expect(second.stdout).not.toMatch(/^ {2}done lr=0\.1 /m);
    await stopAgents(a);
    for (const l of ["lr=0.1", "lr=0.03", "lr=0.01"]) expect(count(a.output(), new RegExp(`^done restart/${l.replace(/[.=]/g, "\\$&")} `))).toBe(1);
    expect(summaryOf(join(dir, "queued")).runs.map((r) => r.status)).toEqual(["finished", "finished", "finished"]);
    // Once more: everything is collected, nothing is queued again.
    const third = await runCli(args);
    expect(third.stdout).toMatch(/3 trials, 3 already collected/);
  }, 180_000);

  it("a diverging trial fails once with its one-line reason; median stopping stops a tiny lr", async () => {
    const dir = tmp();
    // One agent taking trials in queue order: lr=0.1 finishes first and sets the median.
    const sweep = writeSweep(dir, { name: "judge", lrs: [0.1, 10000, 0.00002], epochs: 4, extra: "stop: { rule: median, afterEpochs: 1 }\n" });
    const a = agent();
    const r = await runCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", join(dir, "queued")]);
    await stopAgents(a);
    expect(r.code).toBe(0);
    const runs = summaryOf(join(dir, "queued")).runs;
    expect(runs.map((x) => x.status)).toEqual(["finished", "failed", "stopped"]);
    expect(runs[1]!.reason).toMatch(/^step \d+: the (loss|gradient norm) is not finite; training diverged\. Lower optim\.lr/);
    expect(runs[2]!.reason).toMatch(/^stopped after epoch 1: best test_acc [\d.]+ is worse than the median [\d.]+ of 1 finished trials$/);
    expect(count(a.output(), /^failed judge\/lr=10000: /)).toBe(1);
    expect(readFileSync(join(dir, "queued", "lr=0.00002", "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
  }, 180_000);

  it("Redis going away mid-sweep: the agent and the controller say so in one line, retry, and finish the sweep", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "outage", lrs: [0.1, 0.02], epochs: 4 });
    expect((await runCli(["sweep", "-c", sweep, "--out", join(dir, "local")])).code).toBe(0);
    // The lock outlives the outage, so the agent keeps its trial (a shorter one would hand it over).
    const a = startCli(["agent", "--queue", redis.url, "--lock-ms", "15000", "--workers", "1"]);
    const controller = startCli(["sweep", "-c", sweep, "--queue", redis.url, "--out", join(dir, "queued")]);
    await a.waitFor(/^checkpoint outage\//m);
    await redis.kill();
    await Promise.all([a.waitFor(/connection lost/), controller.waitFor(/connection lost/)]);
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();
    await Promise.all([a.waitFor(/reconnected/, 30_000), controller.waitFor(/reconnected/, 30_000)]);
    expect((await controller.exited).code).toBe(0);
    await stopAgents(a);
    for (const p of [a, controller]) expect(count(p.output(), /connection lost/)).toBe(1);
    expect(controller.output()).toMatch(new RegExp(`^redis ${redis.url}: connection lost; retrying with backoff`, "m"));
    for (const l of ["lr=0.1", "lr=0.02"]) {
      expect(count(a.output(), new RegExp(`^done outage/${l.replace(/[.=]/g, "\\$&")} `))).toBe(1);
      expect(readFileSync(join(dir, "queued", l, "model.safetensors")).equals(readFileSync(join(dir, "local", l, "model.safetensors")))).toBe(true);
    }
  }, 180_000);
});
