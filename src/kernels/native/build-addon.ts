// `npm run build:native` (part of npm ci's build): compiles the native kernels with node-gyp
// against this Node's own headers. It never fails the install: a failure (no compiler, no
// headers) is written to dist/native-build.json and dist/native-build.log, and dptrain then runs
// its WASM kernels, saying why in one line. Nothing is downloaded: without local headers it does
// not call node-gyp at all (node-gyp would try to fetch them).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { nativeAddonDefault, nativeBuildRecord, packageRoot } from "../../paths.js";

export interface NativeBuildRecord {
  ok: boolean;
  /** the addon file when ok */
  addon?: string;
  /** one line: why it did not build */
  error?: string;
  seconds: number;
  log: string;
}

function headersDir(): string | null {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].filter((d): d is string => !!d);
  return candidates.find((d) => existsSync(join(d, "include", "node", "node_api.h"))) ?? null;
}

function nodeGyp(): { command: string; args: string[] } {
  const js = process.env.npm_config_node_gyp;
  return js && existsSync(js) ? { command: process.execPath, args: [js] } : { command: "node-gyp", args: [] };
}

function build(): NativeBuildRecord {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  const nodedir = headersDir();
  if (!nodedir) return { ok: false, error: `no Node headers (include/node/node_api.h) under ${dirname(dirname(process.execPath))} or npm_config_nodedir`, seconds: seconds(), log: "" };
  const gyp = nodeGyp();
  const r = spawnSync(gyp.command, [...gyp.args, "rebuild", `--nodedir=${nodedir}`, "--jobs=max"], {
    cwd: join(packageRoot, "src", "kernels", "native"), encoding: "utf8", env: { ...process.env, npm_config_nodedir: nodedir },
  });
  const log = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.error) return { ok: false, error: `could not run node-gyp: ${r.error.message}`, seconds: seconds(), log };
  if (r.status !== 0 || !existsSync(nativeAddonDefault)) {
    const firstError = log.split("\n").find((l) => /error/i.test(l))?.trim() ?? `node-gyp exited with ${r.status}`;
    return { ok: false, error: `node-gyp failed: ${firstError}`, seconds: seconds(), log };
  }
  return { ok: true, addon: nativeAddonDefault, seconds: seconds(), log };
}

const record = build();
mkdirSync(dirname(nativeBuildRecord), { recursive: true });
writeFileSync(join(dirname(nativeBuildRecord), "native-build.log"), record.log);
writeFileSync(nativeBuildRecord, `${JSON.stringify({ ...record, log: "dist/native-build.log" }, null, 2)}\n`);
process.stdout.write(record.ok
  ? `native kernels: built in ${record.seconds} s (${record.addon})\n`
  : `native kernels: NOT built (${record.error}); dptrain will use its WASM kernels. Log: dist/native-build.log\n`);
