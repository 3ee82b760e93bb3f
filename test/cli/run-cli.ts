// Spawns the built CLI (dist/src/cli/main.js) and collects its output and exit code.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

export const CLI = join(packageRoot, "dist", "src", "cli", "main.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without the one-line native fallback notice, so the suite means the same where the addon is missing */
  stderr: string;
  rawStderr: string;
}

/** What `engine.kernels: auto` prints once where the native kernels are unavailable (kernels/resolve.ts). */
export const NATIVE_FALLBACK_LINE = /^dptrain: native kernels unavailable \(.*\); using wasm\n/m;

export function runCli(args: string[], options: { onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: packageRoot, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr: stderr.replace(NATIVE_FALLBACK_LINE, ""), rawStderr: stderr }));
  });
}
