// dptrain bench -c FILE --threads 1,2,4 --steps N [--warmup M] [--repeat R] [--json] [--out DIR]
// dptrain bench kernels [--rows 8,64] [--json]
// Each measurement runs in its own child process, so its peak RSS is its own. The thread counts
// run in R interleaved rounds (1,2,1,2,…) and each reports its median run: on a shared, noisy
// machine a burst of outside load then skews one round, not one side of the ratio.
import { Option, type Command } from "commander";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TopLevelSpec } from "vega-lite";
import { loadConfig } from "../config/load.js";
import { benchEngine, type EngineBenchResult } from "../bench/engine-bench.js";
import { benchKernels, benchMemoryFor, benchSets } from "../bench/kernel-bench.js";
import { pointerBinder } from "../arena/arena.js";
import { loadAddon, loadNativeKernels, nativeCpuIsas, nativeFmaPeakGflops } from "../kernels/native/native-kernels.js";
import { writeFileAtomic } from "../io/atomic.js";
import { renderSvg } from "../report/charts.js";
import { defaultRunDir } from "../run/run-dir.js";
import { resolvedConfig } from "../engine/trainer.js";
import { UsageError } from "./exit.js";
import { collect, intListOption, intOption } from "./options.js";

/** The CLI entry (dist/src/cli/main.js), for benchmark child processes. */
const cliMain = join(dirname(fileURLToPath(import.meta.url)), "main.js");

interface BenchFlags {
  config?: string;
  set: string[];
  threads: number[];
  steps: number;
  warmup: number;
  repeat: number;
  rows: number[];
  json: boolean;
  out?: string;
  child?: number;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
}

export function machine(): Machine {
  return { cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? "unknown", node: process.version };
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("scaling across thread counts (default), or `bench kernels`: GEMM GFLOP/s, TS vs WASM")
    .argument("[target]", "engine | kernels", "engine")
    .option("-c, --config <file>", "experiment config to benchmark (engine)")
    .option("--set <key=value>", "override a config key (repeatable)", collect, [])
    .option("--threads <list>", "thread counts, comma-separated", intListOption("--threads"), [1, 2])
    .option("--steps <n>", "timed training steps per thread count", intOption("--steps"), 100)
    .option("--warmup <n>", "untimed steps before timing", intOption("--warmup", 0), 10)
    .option("--repeat <n>", "interleaved rounds over the thread counts; each reports its median run", intOption("--repeat"), 3)
    .option("--rows <list>", "kernels: rows per GEMM (8 = one micro-shard of batch 64)", intListOption("--rows"), [8, 64])
    .option("--json", "print exactly one JSON object", false)
    .option("--out <dir>", "where bench.json and the chart go (default runs/bench/<yyyymmdd-hhmmss>)")
    .addOption(new Option("--child <threads>", "internal: run one thread count in this process and print JSON").hideHelp().argParser(intOption("--child")))
    .action(async (target: string, flags: BenchFlags) => {
      if (target === "kernels") return kernelsCommand(flags);
      if (target !== "engine") throw new UsageError(`bench: expected target engine or kernels, found ${JSON.stringify(target)}`);
      if (!flags.config) throw new UsageError("bench: expected -c FILE (the experiment to benchmark)");
      if (flags.child !== undefined) {
        const { config } = loadConfig(flags.config, flags.set);
        process.stdout.write(`${JSON.stringify(await benchEngine(config, flags.child, flags.steps, flags.warmup))}\n`);
        return;
      }
      await engineCommand(flags);
    });
}

/** One thread count of `dptrain bench` in a process of its own (so RSS is its own). */
export function runChild(flags: Pick<BenchFlags, "config" | "steps" | "warmup" | "set">, threads: number): Promise<EngineBenchResult> {
  const args = [cliMain, "bench", "--child", String(threads), "-c", flags.config!, "--steps", String(flags.steps), "--warmup", String(flags.warmup), ...flags.set.flatMap((s) => ["--set", s])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`bench: the ${threads}-thread run exited with code ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!) as EngineBenchResult);
    });
  });
}

/** The run with the median samples/s (the lower middle for an even count), with every run's figure and the highest peak RSS. */
function medianRun(rounds: EngineBenchResult[]): EngineBenchResult & { samples_per_s_runs: number[] } {
  const sorted = [...rounds].sort((a, b) => a.samples_per_s - b.samples_per_s);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, peak_rss_mb: Math.max(...rounds.map((r) => r.peak_rss_mb)), samples_per_s_runs: rounds.map((r) => r.samples_per_s) };
}

async function engineCommand(flags: BenchFlags): Promise<void> {
  const { config, kernels } = resolvedConfig(loadConfig(flags.config!, flags.set).config);
  const rounds = new Map<number, EngineBenchResult[]>(flags.threads.map((t) => [t, []]));
  for (let round = 0; round < flags.repeat; round++) {
    for (const t of flags.threads) rounds.get(t)!.push(await runChild(flags, t));
  }
  const all = [...rounds.values()].flat();
  const results = flags.threads.map((t) => medianRun(rounds.get(t)!));
  const base = results.find((r) => r.threads === 1) ?? results[0]!;
  const runs = results.map((r) => {
    const speedup = r.samples_per_s / base.samples_per_s;
    return { ...r, speedup, efficiency: speedup / (r.threads / base.threads) };
  });
  const m = machine();
  // Every run of every thread count, not only the medians, must end on the same bytes.
  const identical = new Set(all.map((r) => r.weights_sha256)).size === 1;
  const report = { machine: m, config: { name: config.name, model: config.model.type, batchSize: config.train.batchSize, kernels: config.engine.kernels, isa: kernels.isa, warmup: flags.warmup, repeat: flags.repeat }, weights_identical: identical, runs };
  const dir = flags.out ?? defaultRunDir("bench");
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "bench.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileAtomic(join(dir, "speedup.svg"), await renderSvg(speedupSpec(runs, `${config.name}, batch ${config.train.batchSize}: speedup vs threads (${m.cpus} cores)`)));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ machine: m, runs: runs.map(({ threads, batchSize, steps, samples_per_s, speedup, efficiency, kernel_fraction, weights_sha256, peak_rss_mb, samples_per_s_runs }) => ({ threads, batchSize, steps, samples_per_s, speedup, efficiency, kernel_fraction, weights_sha256, peak_rss_mb, samples_per_s_runs })) })}\n`);
    return;
  }
  const lines = [
    `machine: ${m.cpus} cores (os.availableParallelism()), ${m.cpuModel}, node ${m.node}`,
    `${config.name}: ${config.model.type}, batch ${config.train.batchSize}, ${kernels.label} kernels, ${flags.steps} steps after ${flags.warmup} warm-up, median of ${flags.repeat} interleaved round${flags.repeat === 1 ? "" : "s"}`,
    "threads  samples/s  speedup  efficiency  kernels  coordination  step ms  peak RSS MB  samples/s of each round",
    ...runs.map((r) => [
      String(r.threads).padEnd(7), r.samples_per_s.toFixed(0).padStart(9), r.speedup.toFixed(2).padStart(7), `${(r.efficiency * 100).toFixed(0)}%`.padStart(10),
      `${(r.kernel_fraction * 100).toFixed(1)}%`.padStart(7), `${((1 - r.kernel_fraction) * 100).toFixed(1)}%`.padStart(12), r.step_ms.toFixed(2).padStart(7), r.peak_rss_mb.toFixed(0).padStart(11),
      r.samples_per_s_runs.map((x) => x.toFixed(0)).join(", "),
    ].join("  ")),
    `weights bitwise identical across thread counts and rounds (${all.length} runs): ${identical ? "yes" : "NO"} (sha256 ${runs[0]!.weights_sha256.slice(0, 12)}…)`,
    `wrote ${join(dir, "bench.json")} and ${join(dir, "speedup.svg")}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (!identical) process.exitCode = 1;
}

function speedupSpec(runs: (EngineBenchResult & { speedup: number })[], title: string): TopLevelSpec {
  const values = runs.flatMap((r) => [{ threads: r.threads, speedup: r.speedup, series: "measured" }, { threads: r.threads, speedup: r.threads / runs[0]!.threads, series: "ideal" }]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title, width: 400, height: 280, data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "threads", type: "quantitative", axis: { tickMinStep: 1 } },
      y: { field: "speedup", type: "quantitative", title: "speedup vs 1 thread" },
      color: { field: "series", type: "nominal", title: null },
      strokeDash: { field: "series", type: "nominal", legend: null },
    },
  };
}

async function kernelsCommand(flags: BenchFlags): Promise<void> {
  const dims = [784, 520, 320, 240, 120, 10];
  const memory = benchMemoryFor(dims, flags.rows);
  const isas = nativeCpuIsas();
  const native = isas.map((isa) => ({ name: `native-${isa}`, kernels: loadNativeKernels(memory, isa), bind: pointerBinder }));
  const sets = await benchSets(memory, native);
  const rows = benchKernels(memory, sets, dims, flags.rows);
  // The core's measured peak: a tight loop of independent FMAs, per instruction set.
  const peaks: Record<string, number> = {};
  for (const isa of isas) peaks[`native-${isa}`] = nativeFmaPeakGflops(isa);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ machine: machine(), model: `mlp ${dims.join("-")}`, fma_peak_gflops: peaks, rows })}\n`);
    return;
  }
  const m = machine();
  const names = sets.map((s) => s.name);
  const out = [
    `machine: ${m.cpus} cores, ${m.cpuModel}, node ${m.node} — one thread`,
    `seed MLP ${dims.join("-")} GEMMs: GFLOP/s (2·rows·C·OC flops per call; dW includes the fused SGD update)`,
    `layer  shape     rows  op     ${names.map((n) => n.padStart(13)).join("")}`,
    ...rows.map((r) => `${r.layer.padEnd(5)}  ${r.shape.padEnd(8)}  ${String(r.rows).padStart(4)}  ${r.op.padEnd(7)}${names.map((n) => r.gflops[n]!.toFixed(2).padStart(13)).join("")}`),
  ];
  const big = rows.filter((r) => r.layer !== "fc5");
  for (const n of names.slice(1)) {
    const geo = Math.exp(big.reduce((s, r) => s + Math.log(r.gflops[n]! / r.gflops.ts!), 0) / big.length);
    out.push(`geometric mean ${n}/ts over fc1–fc4: ${geo.toFixed(1)}×`);
  }
  if (!isas.length) out.push(`native kernels: unavailable (${loadAddon().reason})`);
  for (const [n, peak] of Object.entries(peaks)) {
    const at64 = big.filter((r) => r.rows === 64);
    const share = (op: string) => at64.filter((r) => r.op === op).map((r) => `${((r.gflops[n]! / peak) * 100).toFixed(0)}%`).join(" ");
    out.push(`${n}: FMA peak ${peak.toFixed(1)} GFLOP/s on one core; at 64 rows, fc1–fc4 reach forward ${share("forward")}, dW ${share("dW")}, dx ${share("dx")} of it`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
}
