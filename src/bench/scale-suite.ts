// dptrain bench scale (npm run bench:scale): how training scales with threads on this machine.
// The seed MLP at batch 64 and 256 and the examples/mnist CNN at batch 64, at 1, 2, 4, 8 and 16
// threads, each with its per-phase profile and its side-by-side figure (N one-worker processes at
// once). Nothing in it depends on the machine, so the same command runs on a 2-core VM and on a
// 16-core server; thread counts above os.availableParallelism() are marked oversubscribed.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { packageRoot } from "../paths.js";
import { defaultRunDir } from "../run/run-dir.js";
import { machine } from "./machine.js";
import { scalingBench, type ScalingReport } from "./scaling-bench.js";

export interface ScaleFlags {
  threads: number[];
  repeat: number;
  warmup: number;
  warmupMs: number;
  set: string[];
  out?: string;
}

/** The suite: config, overrides and timed steps per thread count (about 1 s of work each at 1 thread). */
export const SCALE_SUITE = [
  { name: "mlp-b64", config: "configs/scaling.yaml", set: [] as string[], steps: 300 },
  { name: "mlp-b256", config: "configs/scaling.yaml", set: ["train.batchSize=256"], steps: 100 },
  { name: "cnn-b64", config: "configs/mnist-cnn.yaml", set: [] as string[], steps: 40 },
];

export const SCALE_THREADS = [1, 2, 4, 8, 16];

export async function scaleSuite(flags: ScaleFlags): Promise<void> {
  const dir = flags.out ?? defaultRunDir("bench-scale");
  mkdirSync(dir, { recursive: true });
  const reports: { name: string; report: ScalingReport }[] = [];
  for (const b of SCALE_SUITE) {
    process.stdout.write(`\n== ${b.name} ==\n`);
    const report = await scalingBench({
      config: join(packageRoot, b.config), set: [...b.set, ...flags.set], threads: flags.threads, steps: b.steps, warmup: flags.warmup, warmupMs: flags.warmupMs,
      repeat: flags.repeat, json: false, profile: true, out: join(dir, b.name),
    });
    reports.push({ name: b.name, report });
  }
  const m = machine();
  const table = [
    `machine: ${m.cpus} cores (os.availableParallelism()), ${m.cpuModel}, node ${m.node}`,
    "",
    "| benchmark | kernels | threads | samples/s | speedup | side by side | engine / side by side | weights identical |",
    "|---|---|---|---|---|---|---|---|",
    ...reports.flatMap(({ name, report }) => report.runs.map((r) => {
      const side = r.side_by_side_samples_per_s;
      const over = r.threads > m.cpus ? " (oversubscribed)" : "";
      return `| ${name} | ${report.kernels_label} | ${r.threads}${over} | ${r.samples_per_s.toFixed(0)} | ${r.speedup.toFixed(2)} | ${side === null ? "–" : side.toFixed(0)} | ${side === null ? "–" : `${((r.samples_per_s / side) * 100).toFixed(0)}%`} | ${report.weights_identical ? "yes" : "NO"} |`;
    })),
  ];
  writeFileAtomic(join(dir, "scale.md"), `${table.join("\n")}\n`);
  writeFileAtomic(join(dir, "scale.json"), `${JSON.stringify({ machine: m, benchmarks: reports }, null, 2)}\n`);
  process.stdout.write(`\n${table.join("\n")}\n\nwrote ${join(dir, "scale.md")} and scale.json (each benchmark's bench.json, speedup.svg and profile.svg in its folder)\n`);
  if (reports.some((r) => !r.report.weights_identical)) process.exitCode = 1;
}
