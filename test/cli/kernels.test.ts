// Kernel sets through the CLI: auto picks native where it loads and records what it used;
// without the addon, auto falls back to wasm with one line and `native` is a clean exit 2; a
// checkpoint's instruction set must match on resume.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { readSafetensors } from "../../src/run/checkpoint.js";
import { nativeCpuIsas } from "../../src/kernels/native/native-kernels.js";
import { tinyConfig } from "../fixtures/tiny-config.js";
import { runCli } from "./run-cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-kernels-"));
const isas = nativeCpuIsas();
const NO_ADDON = { DPTRAIN_NATIVE_ADDON: "/nonexistent/dptrain_native.node" };

const tiny = (dir: string) => tinyConfig(dir, { epochs: 2 });

describe("kernel sets", () => {
  it.skipIf(isas.length === 0)("auto uses native where it loads: the header, config.yaml and the checkpoint name the set and the instruction set", async () => {
    const dir = tmp();
    const r = await runCli(["train", "-c", tiny(dir), "--out", join(dir, "run")]);
    expect(r.rawStderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`2 workers, native (${isas[0]}) kernels)`);
    const saved = loadConfig(join(dir, "run", "config.yaml")).config;
    expect([saved.engine.kernels, saved.engine.isa]).toEqual(["native", isas[0]]);
    const meta = readSafetensors(join(dir, "run", "checkpoint.safetensors")).metadata;
    expect([meta.kernels, meta.isa]).toEqual(["native", isas[0]]);
  }, 60_000);

  it("without the addon: auto falls back to wasm with one line saying why; native is a one-line config error, exit 2", async () => {
    const dir = tmp();
    const cfg = tiny(dir);
    const r = await runCli(["train", "-c", cfg, "--out", join(dir, "run")], { env: NO_ADDON });
    expect(r.code).toBe(0);
    expect(r.rawStderr).toBe("dptrain: native kernels unavailable (the native addon was not built); using wasm\n");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("2 workers, wasm kernels)");
    expect(loadConfig(join(dir, "run", "config.yaml")).config.engine.kernels).toBe("wasm");
    const bad = await runCli(["train", "-c", cfg, "--set", "engine.kernels=native", "--out", join(dir, "native")], { env: NO_ADDON });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('dptrain: engine.kernels: expected kernels this machine can run, found "native", which is unavailable: the native addon was not built; use auto or wasm\n');
  }, 60_000);

  it.skipIf(isas.length === 0)("resuming a native run where the addon is gone, or on another instruction set, is refused in one line", async () => {
    const dir = tmp();
    expect((await runCli(["train", "-c", tiny(dir), "--set", "train.maxSteps=3", "--out", join(dir, "run")])).code).toBe(0);
    const gone = await runCli(["train", "--resume", join(dir, "run")], { env: NO_ADDON });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^dptrain: engine\.kernels: expected kernels this machine can run, found "native", which is unavailable/);
    // The same run as if written on a CPU with the other instruction set.
    const other = isas[0] === "avx512" ? "avx2" : "avx512";
    const yamlPath = join(dir, "run", "config.yaml");
    writeFileSync(yamlPath, readFileSync(yamlPath, "utf8").replace(`isa: ${isas[0]}`, `isa: ${other}`));
    const moved = await runCli(["train", "--resume", join(dir, "run")]);
    expect(moved.code).toBe(2);
    expect(moved.stderr).toMatch(isas.includes(other)
      ? new RegExp(`config engine\\.isa was "${isas[0]}" when saved but is "${other}" now`)
      : new RegExp(`engine\\.isa: expected an instruction set this CPU runs \\(${isas.join(", ")}\\), found "${other}"`));
  }, 60_000);

  it("engine.isa with wasm or ts kernels is a config error; DPTRAIN_NATIVE_ISA must name a known set", async () => {
    const dir = tmp();
    const cfg = tiny(dir);
    const r = await runCli(["train", "-c", cfg, "--set", "engine.kernels=wasm", "--set", "engine.isa=avx2", "--out", join(dir, "a")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dptrain: --set engine\.isa=avx2: engine\.isa: expected auto \(an instruction set applies to the native kernels, and engine\.kernels is wasm\), found "avx2"\n$/);
    if (isas.length > 0) {
      const env = await runCli(["train", "-c", cfg, "--out", join(dir, "b")], { env: { DPTRAIN_NATIVE_ISA: "sse2" } });
      expect(env.code).toBe(2);
      expect(env.stderr).toBe('dptrain: DPTRAIN_NATIVE_ISA: expected "avx512" or "avx2", found "sse2"\n');
    }
  }, 60_000);

  it("engine.cut: features on a model with a dropout layer is a one-line config error naming the key, exit 2, no run directory; rows and features train the MLP to the same weights", async () => {
    const dir = tmp();
    const cfg = tiny(dir);
    const text = readFileSync(cfg, "utf8").replace("model:\n  hidden: [8]\n", "model:\n  type: sequential\n  layers: [{type: flatten}, {type: linear, out: 8}, {type: relu}, {type: dropout, p: 0.2}, {type: linear, out: 10}]\n");
    const seqCfg = join(dir, "seq.yaml");
    writeFileSync(seqCfg, text);
    const bad = await runCli(["train", "-c", seqCfg, "--set", "engine.cut=features", "--out", join(dir, "bad")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("dptrain: engine.cut: expected rows or auto for this model, found features (it takes a model of linear layers with a ReLU between each two (no conv, pooling or dropout))\n");
    expect(existsSync(join(dir, "bad"))).toBe(false);
    const weights = async (cut: string) => {
      const r = await runCli(["train", "-c", cfg, "--set", `engine.cut=${cut}`, "--out", join(dir, cut)]);
      expect(r.code, r.stderr).toBe(0);
      const { tensors } = readSafetensors(join(dir, cut, "model.safetensors"));
      return [...tensors].map(([name, t]) => `${name} ${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString("hex")}`);
    };
    expect(await weights("features")).toEqual(await weights("rows"));
  }, 60_000);
});
