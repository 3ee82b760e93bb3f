// npm run bench:pytorch — the seed MLP at batch 64 (and npm run bench:pytorch-cnn, argument
// `cnn`: PyTorch's examples/mnist Net, configs/mnist-cnn.yaml): PyTorch (Debian's python3-torch on
// the CPU) against dptrain's native and WASM kernels (the CNN: native), on the same cores, in one run. Rounds interleave
// every contender (PyTorch, then dptrain 1 and 2 workers per kernel set), and each contender's
// median round is reported, so a noisy neighbour hits everyone alike.
// PyTorch runs at its best setting: every combination of torch threads (intra-op) and OpenBLAS
// threads up to the core count, under each OpenBLAS kernel family this CPU runs (Haswell, and
// SkylakeX where it has AVX-512: OPENBLAS_CORETYPE), is tried in each round, and the best is its
// figure. The families must agree on the last step's loss (same data and seed), or the run fails.
// Needs /usr/bin/python3 with torch (apt-get install python3-torch libopenblas0-pthread); not
// part of the test suite.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { machine } from "./machine.js";
import { median } from "./median.js";
import { runChild } from "./scaling-bench.js";
import { packageRoot } from "../paths.js";

const CNN = process.argv[2] === "cnn";
const MODEL = CNN
  ? { model: "cnn", config: "mnist-cnn.yaml", kernels: ["native"], title: "PyTorch's examples/mnist CNN, batch 64, Adadelta", steps: 40 }
  : { model: "mlp", config: "scaling.yaml", kernels: ["native", "wasm"], title: "seed MLP 784-520-320-240-120-10, batch 64, SGD momentum 0.5", steps: 300 };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STEPS = Number(process.env.BENCH_STEPS ?? MODEL.steps);
const BATCH = 64;
/** every contender's warm-up lasts at least this long, then its timed steps start from the initial state (measure-engine.ts says why) */
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const cores = availableParallelism();
const threadCounts = [...new Set([1, Math.min(2, cores), cores])];

/** OpenBLAS kernel families to try: Haswell (AVX2) everywhere, SkylakeX too on AVX-512 CPUs. */
function openblasCoreTypes(): string[] {
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return ["Haswell"];
  }
  return / avx512f( |$)/m.test(flags) ? ["Haswell", "SkylakeX"] : ["Haswell"];
}
const CORE_TYPES = openblasCoreTypes();

/**
 * The families must end on the same loss, to this (relative), at each thread setting: they run
 * the same math in other orders. (Across thread settings the CNN's losses differ by ~3e-3 after
 * its 60 steps: PyTorch's threaded reductions add in other orders too.)
 */
const LOSS_AGREEMENT = 1e-2;

function pytorchBest(): { samples_per_s: number; setting: string } {
  let best = { samples_per_s: 0, setting: "" };
  const losses: { coreType: string; setting: string; loss: number }[] = [];
  for (const coreType of CORE_TYPES) {
    for (const blas of threadCounts) {
      const r = spawnSync(PYTHON, [join(packageRoot, "src", "bench", "pytorch_train.py"), MODEL.model, String(BATCH), String(STEPS), threadCounts.join(","), String(WARMUP_MS)], {
        encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(cores), OPENBLAS_CORETYPE: coreType },
      });
      if (r.status !== 0) throw new Error(`bench:pytorch: ${PYTHON} failed (is python3-torch installed?): ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}`);
      for (const line of r.stdout.trim().split("\n")) {
        const x = JSON.parse(line) as { threads: number; samples_per_s: number; loss: number };
        losses.push({ coreType, setting: `torch threads ${x.threads}, OpenBLAS threads ${blas}`, loss: x.loss });
        if (x.samples_per_s > best.samples_per_s) best = { samples_per_s: x.samples_per_s, setting: `OPENBLAS_CORETYPE=${coreType}, torch threads ${x.threads}, OpenBLAS threads ${blas}` };
      }
    }
  }
  for (const l of losses) {
    const ref = losses.find((r) => r.setting === l.setting)!;
    if (!(Math.abs(l.loss - ref.loss) <= LOSS_AGREEMENT * Math.abs(ref.loss))) {
      throw new Error(`bench:pytorch: at ${l.setting}, OPENBLAS_CORETYPE=${l.coreType} ended on loss ${l.loss} and ${ref.coreType} on ${ref.loss}: the kernel families disagree`);
    }
  }
  return best;
}

async function main(): Promise<void> {
  const contenders = [
    ...MODEL.kernels.flatMap((kernels) => threadCounts.map((t) => ({ name: `dptrain ${kernels}, ${t} worker${t > 1 ? "s" : ""}`, kernels, threads: t }))),
  ];
  const torchRuns: { samples_per_s: number; setting: string }[] = [];
  const runs = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    torchRuns.push(pytorchBest());
    for (const c of contenders) {
      const r = await runChild({ config: join(packageRoot, "configs", MODEL.config), steps: STEPS, warmup: CNN ? 5 : 20, warmupMs: WARMUP_MS, set: [`engine.kernels=${c.kernels}`, `train.batchSize=${BATCH}`] }, c.threads);
      runs.get(c.name)!.push(r.samples_per_s);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const torch = median(torchRuns.map((r) => r.samples_per_s));
  const torchSetting = torchRuns.find((r) => r.samples_per_s === torch)!.setting;
  const m = machine();
  const lines = [
    `machine: ${m.cpus} cores (os.availableParallelism()), ${m.cpuModel}, node ${m.node}`,
    `${MODEL.title}, ${STEPS} steps; median of ${ROUNDS} interleaved rounds; PyTorch under OPENBLAS_CORETYPE ${CORE_TYPES.join(" and ")} (losses agree)`,
    "contender                        samples/s   vs PyTorch   rounds",
    `${"PyTorch (best setting)".padEnd(32)}${torch.toFixed(0).padStart(10)}${"1.00×".padStart(13)}   ${torchRuns.map((r) => r.samples_per_s.toFixed(0)).join(", ")}  (median round: ${torchSetting})`,
    ...contenders.map((c) => {
      const xs = runs.get(c.name)!;
      return `${c.name.padEnd(32)}${median(xs).toFixed(0).padStart(10)}${`${(median(xs) / torch).toFixed(2)}×`.padStart(13)}   ${xs.map((x) => x.toFixed(0)).join(", ")}`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
