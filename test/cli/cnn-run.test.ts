// A CNN run through the CLI: eval and predict from its model.safetensors alone, and a resume
// from its checkpoint that ends on the same bits as an uninterrupted run.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensors } from "../../src/run/checkpoint.js";
import { parseQueueUrl } from "../../src/queue/url.js";
import { runCli } from "./run-cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-cnn-run-"));
// PyTorch's examples/mnist Net, narrowed (8 and 16 channels) so a few steps run in seconds.
const cnn = ["-c", "configs/mnist-cnn.yaml", "--set", "model.layers.0.out=8", "--set", "model.layers.2.out=16", "--set", "eval.every=0"];

describe("a CNN run through the CLI", () => {
  it("eval and predict read the model file alone; a resume ends bitwise where an uninterrupted run does", async () => {
    const dir = tmp();
    const full = await runCli(["train", ...cnn, "--set", "train.maxSteps=40", "--out", join(dir, "full")]);
    expect(full.code, full.stderr).toBe(0);
    const model = join(dir, "full", "model.safetensors");

    const ev = await runCli(["eval", "--model", model, "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const stats = JSON.parse(ev.stdout) as { test_acc: number; confusion: number[][] };
    expect(stats.test_acc).toBeGreaterThan(0.5); // 40 steps of a CNN: well above chance
    expect(stats.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000);

    const pr = await runCli(["predict", "--model", model, "--index", "0", "--index", "1", "--json"]);
    expect(pr.code, pr.stderr).toBe(0);
    const preds = JSON.parse(pr.stdout) as { label: string; predicted: string; probabilities: Record<string, number> }[];
    expect(preds.map((p) => p.label)).toEqual(["7", "2"]);
    for (const p of preds) expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);

    // Stop after 20 steps (maxSteps), then resume to 40: the same bits as the run above.
    const half = await runCli(["train", ...cnn, "--set", "train.maxSteps=20", "--out", join(dir, "half")]);
    expect(half.code, half.stderr).toBe(0);
    expect(readSafetensors(join(dir, "half", "checkpoint.safetensors")).metadata.step).toBe("20");
    const resumed = await runCli(["train", ...cnn, "--set", "train.maxSteps=40", "--resume", join(dir, "half")]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming at step 20/);
    expect(readFileSync(join(dir, "half", "model.safetensors")).equals(readFileSync(model))).toBe(true);
  }, 180_000);
});

describe("queue URLs with credentials and TLS", () => {
  it("redis:// and rediss:// with a user and password parse; the shown URL has no password", () => {
    const plain = parseQueueUrl("redis://worker:s%40cret@10.0.0.5:6380/3");
    expect(plain).toMatchObject({ host: "10.0.0.5", port: 6380, db: 3, username: "worker", password: "s@cret", tls: false, shown: "redis://worker@10.0.0.5:6380/3" });
    const tls = parseQueueUrl("rediss://:token@redis.example:6380");
    expect(tls).toMatchObject({ host: "redis.example", port: 6380, db: 0, password: "token", tls: true, shown: "rediss://redis.example:6380" });
    expect(JSON.stringify(tls.shown)).not.toContain("token");
  });
});
