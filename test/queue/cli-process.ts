// A long-running CLI process (an agent, a controller) whose output a test watches as it comes.
import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "../cli/run-cli.js";
import { packageRoot } from "../../src/paths.js";

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  /** resolves when the output matches (rejects after ms) */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: packageRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return {
    child, exited,
    output: () => out,
    waitFor(pattern, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return false;
          waiters.delete(check as () => void);
          clearTimeout(timer);
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check as () => void);
          reject(new Error(`timed out after ${ms} ms waiting for ${pattern}; output so far:\n${out}`));
        }, ms);
        if (!check()) waiters.add(check as () => void);
      });
    },
  };
}
