// dptrain sweep on this machine: random search, median stopping, the report; and the input
// edges of --queue and `dptrain agent` that need no Redis (bad URLs, nothing listening).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeSweep } from "../fixtures/sweep-fixture.js";
import { runCli } from "./run-cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-sweep-cli-"));

describe("dptrain sweep (local)", () => {
  it("median stopping stops a tiny lr after the good one finished; summary and report say so", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "median", lrs: [0.1, 0.00002], epochs: 3, extra: "parallel: 1\nstop: { rule: median, afterEpochs: 1 }\n" });
    const r = await runCli(["sweep", "-c", sweep, "--out", join(dir, "out")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}stopped lr=0\.00002: stopped after epoch 1: best test_acc [\d.]+ is worse than the median [\d.]+ of 1 finished trials$/m);
    const summary = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8"));
    expect(summary.runs.map((x: { status: string }) => x.status)).toEqual(["finished", "stopped"]);
    expect(summary.runs[1].epochs).toBe(1);
    expect(summary.best).toBe("lr=0.1");
    expect(JSON.parse(readFileSync(join(dir, "out", "lr=0.00002", "trial.json"), "utf8")).status).toBe("stopped");
    const html = readFileSync(join(dir, "out", "report.html"), "utf8");
    expect(html).toMatch(/1 finished, 1 stopped, 0 failed/);
    expect(html).toMatch(/Best trial: <b><a href="lr=0\.1\/">lr=0\.1<\/a><\/b>/);
    for (const svg of ["sweep-curves.svg", "sweep-keys.svg"]) expect(readFileSync(join(dir, "out", svg), "utf8")).toMatch(/^<svg/);
  }, 120_000);

  it("random search: the trials come from the seed, and the table lists them", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "random", lrs: [0.1], epochs: 1 });
    const text = readFileSync(sweep, "utf8").replace(/grid:\n {2}optim\.lr: \[0\.1\]\n/, "search: random\ntrials: 3\nseed: 5\nspace:\n  optim.lr: { loguniform: [0.01, 0.3] }\n");
    writeFileSync(sweep, text);
    const r = await runCli(["sweep", "-c", sweep, "--out", join(dir, "out")]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8"));
    expect(summary.search).toBe("random");
    expect(summary.seed).toBe(5);
    expect(summary.runs).toHaveLength(3);
    for (const run of summary.runs) {
      expect(run.label).toMatch(/^\d-lr=0\.\d+$/);
      expect(existsSync(join(dir, "out", run.label, "model.safetensors"))).toBe(true);
      expect(run.values["optim.lr"]).toBeGreaterThanOrEqual(0.01);
    }
  }, 120_000);
});

describe("--queue input edges", () => {
  it("bad URLs and a Redis that is not there: one line, exit 2, no stack trace", async () => {
    const dir = tmp();
    const sweep = writeSweep(dir, { name: "edges", lrs: [0.1], epochs: 1 });
    const cases: [string[], RegExp][] = [
      [["sweep", "-c", sweep, "--queue", "http://127.0.0.1:6379"], /^dptrain: --queue: expected redis:\/\/HOST:PORT\[\/DB\] \(or rediss:\/\/ for TLS\), found "http:\/\/127\.0\.0\.1:6379": the scheme is http\n$/],
      [["sweep", "-c", sweep, "--queue", "localhost:6379"], /^dptrain: --queue: expected redis:\/\/HOST:PORT.*found "localhost:6379": the scheme is localhost\n$/],
      [["agent", "--queue", "redis://127.0.0.1:99999"], /^dptrain: --queue: .*found "redis:\/\/127\.0\.0\.1:99999": port 99999 \(expected 1-65535\)\n$/],
      [["agent", "--queue", "redis://127.0.0.1:6379/db"], /^dptrain: --queue: .*: database "db" \(expected 0-15\)\n$/],
      [["agent", "--queue", "redis://127.0.0.1:6379", "--concurrency", "0"], /^dptrain: --concurrency: expected an integer >= 1, found "0"\n/],
    ];
    for (const [args, expected] of cases) {
      const r = await runCli(args);
      expect(r.stderr).toMatch(expected);
      expect(r.code).toBe(2);
    }
    // A port nobody listens on: the controller and the agent each say so in one line.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    for (const args of [["sweep", "-c", sweep, "--queue", `redis://127.0.0.1:${port}`, "--out", join(dir, "q")], ["agent", "--queue", `redis://127.0.0.1:${port}`]]) {
      const r = await runCli(args);
      expect(r.stderr).toBe(`dptrain: cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED): expected a running redis-server there (start one with: redis-server --port ${port})\n`);
      expect(r.code).toBe(2);
    }
    expect(existsSync(join(dir, "q"))).toBe(false);
  }, 60_000);
});
