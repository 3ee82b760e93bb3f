// The package as users get it: `npm pack`, then `npm i --offline` of the tarball into an empty
// project and `npx dptrain train`. The tarball carries its runtime dependencies (bundled, so no
// registry is needed) and the native addon built at npm ci, with its sources for a rebuild.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/paths.js";
import { nativeAvailable } from "../kernels/set-harness.js";

/**
 * A command's exit status and output. Asynchronous on purpose: npm pack and install take a minute
 * on a busy 2-core machine, and a synchronous spawn blocks this test file's event loop so long
 * that vitest's own RPC from it times out (60 s) and fails the run.
 */
function exec(command: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
const npm = (args: string[], cwd: string) => exec("npm", args, cwd);

describe("the packed package", () => {
  it("installs offline into an empty project and trains with the kernels a clone would use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dptrain-pack-"));
    // --ignore-scripts: pack the tree npm ci built (prepare would rebuild it under the running suite).
    const pack = await npm(["pack", "--ignore-scripts", "--pack-destination", dir], packageRoot);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    const install = await npm(["install", "--offline", join(dir, tarball)], app);
    expect(install.status, install.stderr).toBe(0);
    const run = await exec("npx", ["--no", "dptrain", "train", "-c", "node_modules/dptrain/configs/mnist-softmax.yaml", "--set", "train.maxSteps=10", "--out", join(dir, "run")], app);
    expect(run.status, run.stderr).toBe(0);
    const header = run.stdout.split("\n").find((l) => l.startsWith("dptrain: mnist-softmax"))!;
    if (nativeAvailable) {
      expect(header).toMatch(/native \(avx(512|2)\) kernels\)$/);
      expect(run.stderr).not.toMatch(/native kernels unavailable/);
    } else {
      expect(run.stderr).toMatch(/^dptrain: native kernels unavailable \(.*\); using wasm$/m);
    }
    expect(run.stdout).toMatch(/^Done: 10 steps, test accuracy \d+\.\d+%/m);
  }, 240_000);
});
