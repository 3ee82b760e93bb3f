// dptrain bench -c FILE --threads 1,2,4: samples/s per thread count. Each measurement runs in its
// own child process (the CLI with --child), so its peak RSS is its own. The thread counts run in
// R interleaved rounds (1,2,1,2,…) and each reports its median run: on a shared, noisy machine a
// burst of outside load then skews one round, not one side of the ratio.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { loadConfig } from "../config/load.js";
import { writeFileAtomic } from "../io/atomic.js";
import { cliMainFile } from "../paths.js";
import { renderSvg } from "../report/charts.js";
import { defaultRunDir } from "../run/run-dir.js";
import { resolvedConfig } from "../run/machine.js";
import { coreRoundTripNs } from "./core-round-trip.js";
import type { EngineBenchResult } from "./engine-bench.js";
import { machine } from "./machine.js";
import { median } from "./median.js";

export interface ScalingFlags {
  config: string;
  set: string[];
  threads: number[];
  steps: number;
  warmup: number;
  /** the warm-up also lasts at least this long (measure-engine.ts says why) */
  warmupMs: number;
  repeat: number;
  json: boolean;
  out?: string;
  /** per-phase times of every worker, and the side-by-side figure (N 1-worker processes at once) */
  profile?: boolean;
}

/** One thread count of `dptrain bench` in a process of its own (so RSS is its own). */
export function runChild(flags: Pick<ScalingFlags, "config" | "steps" | "warmup" | "warmupMs" | "set">, threads: number): Promise<EngineBenchResult> {
  const args = [cliMainFile, "bench", "--child", String(threads), "-c", flags.config, "--steps", String(flags.steps), "--warmup", String(flags.warmup), "--warmup-ms", String(flags.warmupMs), ...flags.set.flatMap((s) => ["--set", s])];
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

/** N one-worker runs at once, each in its own process: what N cores give with no coordination at all. */
async function sideBySide(flags: Pick<ScalingFlags, "config" | "steps" | "warmup" | "warmupMs" | "set">, n: number): Promise<number> {
  const runs = await Promise.all(Array.from({ length: n }, () => runChild(flags, 1)));
  return runs.reduce((sum, r) => sum + r.samples_per_s, 0);
}


/** The run with the median samples/s (the lower middle for an even count), with every run's figure and the highest peak RSS. */
function medianRun(rounds: EngineBenchResult[]): EngineBenchResult & { samples_per_s_runs: number[] } {
  const middle = median(rounds.map((r) => r.samples_per_s));
  return { ...rounds.find((r) => r.samples_per_s === middle)!, peak_rss_mb: Math.max(...rounds.map((r) => r.peak_rss_mb)), samples_per_s_runs: rounds.map((r) => r.samples_per_s) };
}

export type ScalingRun = ProfiledRun & { speedup: number; efficiency: number; samples_per_s_runs: number[] };

/** What one scaling bench measured (bench.json). */
export interface ScalingReport {
  machine: ReturnType<typeof machine>;
  config: { name: string; model: string; batchSize: number; kernels: string; isa: string | null; warmup: number; warmupMs: number; repeat: number };
  kernels_label: string;
  weights_identical: boolean;
  runs: ScalingRun[];
  /** --profile: the median of each round's core round trip (core-round-trip.ts), ns; null where it could not be measured */
  core_round_trip_ns?: number | null;
  core_round_trip_ns_runs?: (number | null)[];
}

export async function scalingBench(flags: ScalingFlags): Promise<ScalingReport> {
  const { config, kernels } = resolvedConfig(loadConfig(flags.config, flags.set).config);
  const rounds = new Map<number, EngineBenchResult[]>(flags.threads.map((t) => [t, []]));
  const attainable = new Map<number, number[]>(flags.threads.map((t) => [t, []]));
  // how far apart the cores are, once a round (a VM's vCPUs can move between rounds)
  const roundTrips: (number | null)[] = [];
  const probeCores = flags.profile === true && flags.threads.some((t) => t > 1);
  for (let round = 0; round < flags.repeat; round++) {
    if (probeCores) roundTrips.push(await coreRoundTripNs());
    for (const t of flags.threads) {
      rounds.get(t)!.push(await runChild(flags, t));
      if (flags.profile && t > 1) attainable.get(t)!.push(await sideBySide(flags, t));
    }
  }
  const all = [...rounds.values()].flat();
  const results = flags.threads.map((t) => medianRun(rounds.get(t)!));
  const base = results.find((r) => r.threads === 1) ?? results[0]!;
  const runs = results.map((r) => {
    const speedup = r.samples_per_s / base.samples_per_s;
    const side = attainable.get(r.threads)!;
    // side by side: N independent 1-worker processes, summed (median over rounds); 1 worker is its own
    const side_by_side_samples_per_s = r.threads === 1 ? base.samples_per_s : side.length ? median(side) : null;
    return { ...r, speedup, efficiency: speedup / (r.threads / base.threads), side_by_side_samples_per_s };
  });
  const m = machine();
  // Every run of every thread count, not only the medians, must end on the same bytes.
  const identical = new Set(all.map((r) => r.weights_sha256)).size === 1;
  const report: ScalingReport = {
    machine: m, config: { name: config.name, model: config.model.type, batchSize: config.train.batchSize, kernels: config.engine.kernels, isa: kernels.isa, warmup: flags.warmup, warmupMs: flags.warmupMs, repeat: flags.repeat },
    kernels_label: kernels.label, weights_identical: identical, runs,
  };
  if (probeCores) {
    const measured = roundTrips.filter((x): x is number => x !== null);
    report.core_round_trip_ns = measured.length ? median(measured) : null;
    report.core_round_trip_ns_runs = roundTrips;
  }
  const dir = flags.out ?? defaultRunDir("bench");
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "bench.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileAtomic(join(dir, "speedup.svg"), await renderSvg(speedupSpec(runs, `${config.name}, batch ${config.train.batchSize}: speedup vs threads (${m.cpus} cores)`)));
  const title = `${config.name}, batch ${config.train.batchSize}, ${kernels.label}: ms per step by phase (${m.cpus} cores)`;
  if (flags.profile) writeFileAtomic(join(dir, "profile.svg"), await renderSvg(profileSpec(runs, title)));
  if (flags.json) {
    const picked = runs.map(({ threads, batchSize, steps, warmup_steps, samples_per_s, speedup, efficiency, kernel_fraction, weights_sha256, peak_rss_mb, samples_per_s_runs, profile, side_by_side_samples_per_s }) => ({
      threads, batchSize, steps, warmup_steps, samples_per_s, speedup, efficiency, kernel_fraction, weights_sha256, peak_rss_mb, samples_per_s_runs,
      ...(flags.profile ? { profile, side_by_side_samples_per_s } : {}),
    }));
    const trips = probeCores ? { core_round_trip_ns: report.core_round_trip_ns, core_round_trip_ns_runs: roundTrips } : {};
    process.stdout.write(`${JSON.stringify({ machine: m, runs: picked, ...trips })}\n`);
    return report;
  }
  const lines = [
    `machine: ${m.cpus} cores (os.availableParallelism()), ${m.cpuModel}, node ${m.node}`,
    `${config.name}: ${config.model.type}, batch ${config.train.batchSize}, ${kernels.label} kernels, ${flags.steps} steps after a warm-up of ≥ ${flags.warmup} steps and ≥ ${flags.warmupMs} ms, from the same initial state; median of ${flags.repeat} interleaved round${flags.repeat === 1 ? "" : "s"}`,
    "threads  samples/s  speedup  efficiency  kernels  coordination  step ms  peak RSS MB  samples/s of each round",
    ...runs.map((r) => [
      String(r.threads).padEnd(7), r.samples_per_s.toFixed(0).padStart(9), r.speedup.toFixed(2).padStart(7), `${(r.efficiency * 100).toFixed(0)}%`.padStart(10),
      `${(r.kernel_fraction * 100).toFixed(1)}%`.padStart(7), `${((1 - r.kernel_fraction) * 100).toFixed(1)}%`.padStart(12), r.step_ms.toFixed(2).padStart(7), r.peak_rss_mb.toFixed(0).padStart(11),
      r.samples_per_s_runs.map((x) => x.toFixed(0)).join(", "),
    ].join("  ")),
    `weights bitwise identical across thread counts and rounds (${all.length} runs): ${identical ? "yes" : "NO"} (sha256 ${runs[0]!.weights_sha256.slice(0, 12)}…)`,
    ...(flags.profile ? profileLines(runs) : []),
    ...(probeCores ? [roundTripLine(report.core_round_trip_ns ?? null, roundTrips)] : []),
    `wrote ${join(dir, "bench.json")} and ${join(dir, flags.profile ? "speedup.svg, profile.svg" : "speedup.svg")}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (!identical) process.exitCode = 1;
  return report;
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

const PHASES = [["rows_ms", "ROWS"], ["wait_mid_ms", "wait mid"], ["params_ms", "PARAMS"], ["optim_ms", "optimizer"], ["wait_end_ms", "wait end"], ["other_ms", "other"]] as const;

type ProfiledRun = EngineBenchResult & { side_by_side_samples_per_s: number | null };

/** The profile as text: per thread count, per worker, ms per step in each phase; then the side-by-side figure. */
function profileLines(runs: ProfiledRun[]): string[] {
  const lines = ["", `profile (the median run of each thread count): mean ms per step`, `threads  worker  ${PHASES.map(([, name]) => name.padStart(9)).join(" ")}     step   rows`];
  for (const r of runs) {
    for (const p of r.profile) lines.push(`${String(r.threads).padEnd(7)}  ${String(p.worker).padStart(6)}  ${PHASES.map(([key]) => p[key].toFixed(3).padStart(9)).join(" ")}  ${p.step_ms.toFixed(3).padStart(7)}  ${p.rows.toFixed(1).padStart(5)}`);
  }
  lines.push("", "attainable: N one-worker processes side by side (median of the rounds), and the engine's share of it");
  for (const r of runs) {
    if (r.side_by_side_samples_per_s === null) continue;
    lines.push(`${String(r.threads).padEnd(7)}  side by side ${r.side_by_side_samples_per_s.toFixed(0).padStart(7)} samples/s   engine ${r.samples_per_s.toFixed(0).padStart(7)} = ${((r.samples_per_s / r.side_by_side_samples_per_s) * 100).toFixed(0)}%`);
  }
  return lines;
}

/** The core round trip (the median of the rounds' `trips`), and what it says. */
function roundTripLine(ns: number | null, trips: (number | null)[]): string {
  if (ns === null) return "core to core: not measured (fewer than 2 cores, or no answer in time)";
  const each = trips.map((x) => (x === null ? "–" : x.toFixed(0))).join(", ");
  return `core to core: ${ns.toFixed(0)} ns per round trip between two spinning threads (rounds: ${each}); the engine pays for lines one worker writes and another reads, side by side does not`;
}

/** A stacked bar per (thread count, worker): its ms per step in each phase. */
function profileSpec(runs: ProfiledRun[], title: string): TopLevelSpec {
  const values = runs.flatMap((r) => r.profile.flatMap((p) => PHASES.map(([key, phase], order) => ({ bar: `${r.threads} threads · w${p.worker}`, phase, order, ms: p[key] }))));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title, width: 60 * values.length / PHASES.length, height: 280, data: { values },
    mark: "bar",
    encoding: {
      x: { field: "bar", type: "nominal", title: null, sort: null, axis: { labelAngle: -40 } },
      y: { field: "ms", type: "quantitative", title: "ms per step", stack: "zero" },
      color: { field: "phase", type: "nominal", sort: PHASES.map(([, name]) => name) },
      order: { field: "order", type: "quantitative" },
    },
  };
}
