// Reliability through the CLI: signals, divergence, failed steps, kills at any moment, hostile files.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensors } from "../../src/run/checkpoint.js";
import { encodeSafetensors } from "../../src/io/safetensors.js";
import { writeTinyIdxSet } from "../fixtures/idx-fixtures.js";
import { tinyConfig as sharedTinyConfig } from "../fixtures/tiny-config.js";
import { runCli } from "./run-cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-rel-"));

/** A tiny experiment on generated IDX data: 5 steps per epoch, a checkpoint every epoch. */
/** A tiny experiment with a short hang timeout; extra: more top-level YAML. */
const tinyConfig = (dir: string, extra = "") => sharedTinyConfig(dir, { engine: "  stepTimeoutMs: 5000\n", extra });

describe("graceful stop", () => {
  it("SIGINT finishes the step, checkpoints, prints the resume command, exits 130; resuming equals an uninterrupted run", async () => {
    const dir = tmp();
    const args = ["-c", "configs/mnist-mlp.yaml", "--set", "train.maxSteps=150", "--set", "engine.workers=2"];
    const full = await runCli(["train", ...args, "--out", join(dir, "full")]);
    expect(full.code).toBe(0);
    let sent = false;
    const stopped = await runCli(["train", ...args, "--out", join(dir, "cut")], {
      onStdout: (text, kill) => {
        if (!sent && text.includes("Train Epoch:")) {
          sent = true;
          kill("SIGINT");
        }
      },
    });
    expect(stopped.code).toBe(130);
    const match = stopped.stdout.match(/Stopped at step (\d+); checkpoint written\. Resume with:\n {2}dptrain train --resume (\S+)\n/);
    expect(match, stopped.stdout + stopped.stderr).not.toBeNull();
    expect(Number(match![1])).toBeLessThan(150);
    expect(readSafetensors(join(dir, "cut", "checkpoint.safetensors")).metadata.step).toBe(match![1]);
    const resumed = await runCli(["train", "--resume", match![2]!]);
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, "cut", "model.safetensors")).equals(readFileSync(join(dir, "full", "model.safetensors")))).toBe(true);
  }, 120_000);

  it("a second SIGINT exits at once, not by the graceful path, without corrupting files", async () => {
    const dir = tmp();
    // Steps of about a second (the TS kernels, batch 1000): the graceful stop the first SIGINT
    // asks for must finish the step in flight, which takes far longer than the first SIGINT's
    // acknowledgement, after which the second is sent. Only the quit-at-once path ends the run.
    const args = ["-c", "configs/mnist-mlp.yaml", "--set", "model.hidden=[256]", "--set", "train.batchSize=1000", "--set", "engine.kernels=ts", "--set", "engine.workers=2"];
    let sent = 0;
    const r = await runCli(["train", ...args, "--out", join(dir, "run")], {
      onStdout: (text, kill) => {
        if (sent === 0 && text.includes("Train Epoch: 1 [")) {
          sent = 1;
          kill("SIGINT");
        } else if (sent === 1 && text.includes("SIGINT: finishing the current step")) {
          sent = 2;
          kill("SIGINT");
        }
      },
    });
    expect(sent).toBe(2);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("SIGINT: quitting at once");
    expect(r.stdout).not.toContain("Stopped at step"); // the graceful path's last line
    const files = readdirSync(join(dir, "run"));
    expect(files.filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(files).toContain("config.yaml");
    if (files.includes("checkpoint.safetensors")) expect(() => readSafetensors(join(dir, "run", "checkpoint.safetensors"))).not.toThrow();
  }, 60_000);
});

describe("divergence guard", () => {
  it("a non-finite loss stops training naming the step and suggesting a lower lr (exit 1)", async () => {
    const dir = tmp();
    const r = await runCli(["train", "-c", "configs/mnist-mlp.yaml", "--set", "optim.lr=1000", "--set", "train.maxSteps=100", "--out", join(dir, "run")]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^dptrain: step \d+: the (loss|gradient norm) is not finite; training diverged\. Lower optim\.lr \(now 1000\), e\.g\. --set optim\.lr=100$/);
  }, 60_000);

  it("the last good checkpoint stays intact; skip-step mode skips the bad step and goes on", async () => {
    const dir = tmp();
    const cfg = tinyConfig(dir);
    const nan = JSON.stringify([{ step: 12, phase: "rows", task: 0, kind: "nan", at: 0 }]);
    const r = await runCli(["train", "-c", cfg, "--out", join(dir, "stop")], { env: { DPTRAIN_FAULTS: nan } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dptrain: step 12: the gradient norm is not finite");
    expect(r.stderr).toContain(`the last good checkpoint is ${join(dir, "stop", "checkpoint.safetensors")} (step 10)`);
    expect(readSafetensors(join(dir, "stop", "checkpoint.safetensors")).metadata.step).toBe("10");
    const skip = await runCli(["train", "-c", cfg, "--set", "train.onNonFinite=skip-step", "--out", join(dir, "skip")], { env: { DPTRAIN_FAULTS: nan } });
    expect(skip.code).toBe(0);
    const model = readSafetensors(join(dir, "skip", "model.safetensors"));
    for (const t of model.tensors.values()) for (const v of t.data) expect(Number.isFinite(v)).toBe(true);
  }, 60_000);
});

describe("failed steps", () => {
  it("after engine.maxRetries failures: a clear error, a valid checkpoint of θ_t, and resume completes bitwise equal", async () => {
    const dir = tmp();
    const cfg = tinyConfig(dir, "output:\n  checkpointEvery: 0\n");
    const clean = await runCli(["train", "-c", cfg, "--out", join(dir, "clean")]);
    expect(clean.code).toBe(0);
    const faults = JSON.stringify(Array.from({ length: 4 }, () => ({ step: 7, phase: "rows", task: 1, kind: "throw", at: 0.5 })));
    const r = await runCli(["train", "-c", cfg, "--out", join(dir, "run")], { env: { DPTRAIN_FAULTS: faults } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("dptrain: step 7, attempt 1 failed (injected fault: throw in rows of worker 1, step 7); replacing the workers and re-running the step");
    expect(r.stderr.split("\n")[0]).toBe("dptrain: step 7 failed 4 times in a row (last: injected fault: throw in rows of worker 1, step 7)");
    expect(readSafetensors(join(dir, "run", "checkpoint.safetensors")).metadata.step).toBe("7");
    const resumed = await runCli(["train", "--resume", join(dir, "run")]);
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, "run", "model.safetensors")).equals(readFileSync(join(dir, "clean", "model.safetensors")))).toBe(true);
  }, 60_000);
});

describe("atomic files", () => {
  it("SIGKILL at any moment leaves the previous checkpoint loadable", async () => {
    const dir = tmp();
    const cfg = tinyConfig(dir, "output:\n  checkpointEvery: 1\n");
    for (let i = 0; i < 6; i++) {
      const out = join(dir, `run${i}`);
      let sent = false;
      await runCli(["train", "-c", cfg, "--set", "train.epochs=100000", "--out", out], {
        onStdout: (text, kill) => {
          // Kill after a varying number of epochs, while checkpoints are being rewritten every epoch.
          if (!sent && (text.match(/^Epoch /gm)?.length ?? 0) >= 2 + i * 3) {
            sent = true;
            kill("SIGKILL");
          }
        },
      });
      expect(sent).toBe(true);
      const ckpt = readSafetensors(join(out, "checkpoint.safetensors"));
      expect(Number(ckpt.metadata.step) % 5).toBe(0);
    }
  }, 120_000);
});

/** A softmax (784→10) model file of zeros; fc1.weight's width and extra metadata as given. */
function softmaxModelFile(weightCols = 784, metadata: Record<string, string> = {}): Uint8Array {
  return encodeSafetensors(
    [["fc1.weight", { shape: [10, weightCols], data: new Float32Array(10 * weightCols) }], ["fc1.bias", { shape: [10], data: new Float32Array(10) }]],
    { format: "dptrain-model", model: '{"type":"softmax"}', inputs: "784", classes: "10", ...metadata },
  );
}

describe("hostile files", () => {
  it("a non-safetensors model file: one line, exit 2", async () => {
    const dir = tmp();
    const f = join(dir, "model.safetensors");
    writeFileSync(f, "this is not a model");
    const r = await runCli(["eval", "--model", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^dptrain: ${f}: not a safetensors file: header length \\d+ does not fit in the file \\(19 bytes\\)\\n$`));
  });

  it("a safetensors header that lies about lengths: one line, exit 2", async () => {
    const dir = tmp();
    const f = join(dir, "model.safetensors");
    const good = softmaxModelFile();
    writeFileSync(f, good.subarray(0, good.length - 4));
    const r = await runCli(["eval", "--model", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${f}: fc1.bias: data_offsets [31360, 31400] lie outside the 31396 data bytes\n`);
  });

  it("a model whose shapes do not match its model description: one line, exit 2", async () => {
    const dir = tmp();
    const f = join(dir, "model.safetensors");
    writeFileSync(f, softmaxModelFile(100));
    const r = await runCli(["eval", "--model", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${f}: tensor fc1.weight: expected shape [10,784] for this model, found [10,100]\n`);
  });

  it("a model whose normalize metadata is not {mean, std > 0}: one line, exit 2", async () => {
    const dir = tmp();
    const f = join(dir, "model.safetensors");
    writeFileSync(f, softmaxModelFile(784, { normalize: '{"mean":0.1,"std":0}' }));
    const r = await runCli(["eval", "--model", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${f}: __metadata__.normalize: expected JSON {"mean": number, "std": number > 0}, found "{\\"mean\\":0.1,\\"std\\":0}"\n`);
  });

  it("resuming with a config that changes the model or the optimizer: one line naming the key, exit 2, nothing touched", async () => {
    const dir = tmp();
    const cfg = tinyConfig(dir);
    const first = await runCli(["train", "-c", cfg, "--set", "train.epochs=1", "--out", join(dir, "run")]);
    expect(first.code).toBe(0);
    const before = readFileSync(join(dir, "run", "checkpoint.safetensors"));
    const r = await runCli(["train", "--resume", join(dir, "run"), "--set", "model.hidden=[9]"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${join(dir, "run", "checkpoint.safetensors")}: config model.hidden was [8] when saved but is [9] now; resume with the same value\n`);
    const r2 = await runCli(["train", "--resume", join(dir, "run"), "--set", "optim.lr=0.5"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(`dptrain: ${join(dir, "run", "checkpoint.safetensors")}: config optim.lr was 0.05 when saved but is 0.5 now; resume with the same value\n`);
    expect(readFileSync(join(dir, "run", "checkpoint.safetensors")).equals(before)).toBe(true);
  }, 60_000);

  it("a checkpoint saved before data.normalize existed resumes; changing data.normalize on resume is refused", async () => {
    const dir = tmp();
    const cfg = tinyConfig(dir);
    expect((await runCli(["train", "-c", cfg, "--set", "train.maxSteps=5", "--out", join(dir, "run")])).code).toBe(0);
    const ckpt = join(dir, "run", "checkpoint.safetensors");
    const file = readSafetensors(ckpt);
    const saved = JSON.parse(file.metadata.config!);
    delete saved.data.normalize;
    writeFileSync(ckpt, encodeSafetensors([...file.tensors], { ...file.metadata, config: JSON.stringify(saved) }));
    const changed = await runCli(["train", "--resume", join(dir, "run"), "--set", "train.maxSteps=10", "--set", "data.normalize.std=0.5"]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toBe(`dptrain: ${ckpt}: config data.normalize.std was 1 when saved but is 0.5 now; resume with the same value\n`);
    const resumed = await runCli(["train", "--resume", join(dir, "run"), "--set", "train.maxSteps=10"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(readSafetensors(ckpt).metadata.step).toBe("10");
  }, 60_000);

  it("a run directory from the slot engine: resume refused in one line saying why; its model still works with eval and predict", async () => {
    const dir = tmp();
    const cfg = tinyConfig(dir);
    expect((await runCli(["train", "-c", cfg, "--set", "train.maxSteps=5", "--out", join(dir, "run")])).code).toBe(0);
    // What the slot engine wrote: checkpoint version 1, and engine.shards in config.yaml.
    const ckpt = join(dir, "run", "checkpoint.safetensors");
    const file = readSafetensors(ckpt);
    const { reduction: _, ...meta } = file.metadata;
    writeFileSync(ckpt, encodeSafetensors([...file.tensors], { ...meta, version: "1" }));
    const yamlPath = join(dir, "run", "config.yaml");
    writeFileSync(yamlPath, readFileSync(yamlPath, "utf8").replace("engine:\n", "engine:\n  shards: 8\n"));
    const before = readFileSync(ckpt);
    const r = await runCli(["train", "--resume", join(dir, "run")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${ckpt}: written by the slot engine (checkpoint version 1, gradients summed over engine.shards micro-shards); this dptrain sums them in another order (owner-computes), so a resume could not reproduce the run; start a new run (its model.safetensors still works with eval and predict)\n`);
    expect(readFileSync(ckpt).equals(before)).toBe(true);
    const model = join(dir, "run", "model.safetensors");
    const ev = await runCli(["eval", "--model", model, "--json"]);
    expect(ev.stderr).toBe("");
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.stdout).confusion).toHaveLength(10);
    const pr = await runCli(["predict", "--model", model, "--index", "0"]);
    expect(pr.code).toBe(0);
    // The same config given by a user is an error that says the key is no longer needed.
    const bad = await runCli(["train", "-c", yamlPath, "--out", join(dir, "again")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/config\.yaml:\d+:\d+: engine\.shards: unknown key \(expected one of .*\); it is no longer needed: .*owner-computes/);
  }, 60_000);

  it("a corrupt IDX file: one line naming the file, exit 2, no run directory", async () => {
    const dir = tmp();
    const data = writeTinyIdxSet();
    writeFileSync(join(data, "t10k-images-idx3-ubyte"), Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 4, 1, 2, 3]));
    const r = await runCli(["train", "-c", "configs/mnist-softmax.yaml", "--set", "data.dataset=idx", "--set", `data.dir=${data}`, "--out", join(dir, "run")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dptrain: ${join(data, "t10k-images-idx3-ubyte")}: truncated: header says 10x4x4 (176 bytes in all), file has 19 bytes\n`);
    expect(existsSync(join(dir, "run"))).toBe(false);
  }, 60_000);
});
