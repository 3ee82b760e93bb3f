// npm run bench:stream: the seed MLP (configs/mnist-mlp.yaml, batch 64, the config's kernels)
// trained on MNIST held in the arena and streamed a batch at a time from an X.npy on disk
// (data.stream), at 1 and 2 workers, interleaved (memory, stream, stream, memory, …) so the
// machine's drift falls on both alike. Prints samples/s per round, the medians and stream /
// memory; the weights of the two must be the same bits.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfigText } from "../config/parse.js";
import { loadDataset } from "../data/dataset.js";
import { encodeNpy } from "../data/npy.js";
import { packageRoot } from "../paths.js";
import { benchEngine } from "./engine-bench.js";
import { machine } from "./machine.js";
import { median } from "./median.js";

const STEPS = Number(process.env.BENCH_STEPS ?? 600);
const WARMUP = 30;
// both kinds warm up at least this long (measure-engine.ts says why)
const WARMUP_MS = 3000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WORKERS = [1, 2];

const mnist = await loadDataset("mnist");
const dir = mkdtempSync(join(tmpdir(), "dptrain-stream-"));
const n = mnist.train.count;
writeFileSync(join(dir, "X.npy"), encodeNpy(mnist.train.inputs as Uint8Array, [n, 28, 28]));
writeFileSync(join(dir, "y.npy"), encodeNpy(Int32Array.from(mnist.train.labels), [n]));
const yaml = readFileSync(join(packageRoot, "configs", "mnist-mlp.yaml"), "utf8");
const base = parseConfigText(yaml, "mnist-mlp.yaml");
const configFor = (stream: boolean) => ({ ...base, data: { ...base.data, dataset: "npy" as const, train: dir, dir: undefined, stream } });

const results = { memory: WORKERS.map(() => [] as number[]), stream: WORKERS.map(() => [] as number[]) };
const hashes = new Map<string, Set<string>>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["memory", "stream"] as const) : (["stream", "memory"] as const);
    for (const kind of order) {
      for (const [i, threads] of WORKERS.entries()) {
        const r = await benchEngine(configFor(kind === "stream"), threads, STEPS, WARMUP, WARMUP_MS);
        results[kind][i]!.push(r.samples_per_s);
        (hashes.get(`${threads}`) ?? hashes.set(`${threads}`, new Set()).get(`${threads}`)!).add(r.weights_sha256);
      }
      process.stdout.write(`round ${round + 1} ${kind.padEnd(6)} ${WORKERS.map((w, i) => `${w}w ${results[kind][i]!.at(-1)!.toFixed(0)}`).join("  ")}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const m = machine();
process.stdout.write(`\n${m.cpuModel}, os.availableParallelism() = ${m.cpus}, Node ${m.node}; ${base.engine.kernels} kernels, seed MLP batch ${base.train.batchSize}, ${STEPS} steps after a warm-up of ≥ ${WARMUP} steps and ≥ ${WARMUP_MS} ms, medians of ${ROUNDS} rounds\n`);
process.stdout.write("| workers | in memory | streamed from X.npy | stream / memory |\n|---|---|---|---|\n");
for (const [i, w] of WORKERS.entries()) {
  const [mem, str] = [median(results.memory[i]!), median(results.stream[i]!)];
  process.stdout.write(`| ${w} | ${mem.toFixed(0)} | ${str.toFixed(0)} | ${(str / mem).toFixed(2)} |\n`);
}
const same = [...hashes.values()].every((h) => h.size === 1);
process.stdout.write(`weights: ${same ? "the same bits streamed and in memory" : "DIFFER between streamed and in-memory runs"}\n`);
if (!same) process.exitCode = 1;
