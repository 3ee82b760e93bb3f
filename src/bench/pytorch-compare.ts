// npm run bench:pytorch — the seed MLP at batch 64 (and npm run bench:pytorch-cnn, argument
// `cnn`: PyTorch's examples/mnist Net, configs/mnist-cnn.yaml): PyTorch (Debian's python3-torch on
// the CPU) against dptrain's native and WASM kernels (the CNN: native), on the same cores, in one run. Rounds interleave
// every contender (PyTorch, then dptrain 1 and 2 workers per kernel set), and each contender's
// median round is reported, so a noisy neighbour hits everyone alike.
// PyTorch runs at its best thread setting: every combination of torch threads (intra-op) and
// OpenBLAS threads up to the core count is tried in each round, and the best is its figure.
// Needs /usr/bin/python3 with torch (apt-get install python3-torch libopenblas0-pthread); not
// part of the test suite.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { machine } from "./machine.js";
import { runChild } from "./scaling-bench.js";
import { packageRoot } from "../paths.js";

const CNN = process.argv[2] === "cnn";
const MODEL = CNN
  ? { model: "cnn", config: "mnist-cnn.yaml", kernels: ["native"], title: "PyTorch's examples/mnist CNN, batch 64, Adadelta", steps: 40 }
  : { model: "mlp", config: "scaling.yaml", kernels: ["native", "wasm"], title: "seed MLP 784-520-320-240-120-10, batch 64, SGD momentum 0.5", steps: 300 };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STEPS = Number(process.env.BENCH_STEPS ?? MODEL.steps);
const BATCH = 64;
const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const cores = availableParallelism();
const threadCounts = [...new Set([1, Math.min(2, cores), cores])];

function pytorchBest(): { samples_per_s: number; setting: string } {
  let best = { samples_per_s: 0, setting: "" };
  for (const blas of threadCounts) {
    const r = spawnSync(PYTHON, [join(packageRoot, "src", "bench", "pytorch_train.py"), MODEL.model, String(BATCH), String(STEPS), threadCounts.join(",")], {
      encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(cores) },
    });
    if (r.status !== 0) throw new Error(`bench:pytorch: ${PYTHON} failed (is python3-torch installed?): ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}`);
    for (const line of r.stdout.trim().split("\n")) {
      const x = JSON.parse(line) as { threads: number; samples_per_s: number };
      if (x.samples_per_s > best.samples_per_s) best = { samples_per_s: x.samples_per_s, setting: `torch threads ${x.threads}, OpenBLAS threads ${blas}` };
    }
  }
  return best;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  const contenders = [
    ...MODEL.kernels.flatMap((kernels) => threadCounts.map((t) => ({ name: `dptrain ${kernels}, ${t} worker${t > 1 ? "s" : ""}`, kernels, threads: t }))),
  ];
  const torchRuns: { samples_per_s: number; setting: string }[] = [];
  const runs = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    torchRuns.push(pytorchBest());
    for (const c of contenders) {
      const r = await runChild({ config: join(packageRoot, "configs", MODEL.config), steps: STEPS, warmup: CNN ? 5 : 20, set: [`engine.kernels=${c.kernels}`, `train.batchSize=${BATCH}`] }, c.threads);
      runs.get(c.name)!.push(r.samples_per_s);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const torch = median(torchRuns.map((r) => r.samples_per_s));
  const torchSetting = torchRuns.find((r) => r.samples_per_s === torch)!.setting;
  const m = machine();
  const lines = [
    `machine: ${m.cpus} cores (os.availableParallelism()), ${m.cpuModel}, node ${m.node}`,
    `${MODEL.title}, ${STEPS} steps; median of ${ROUNDS} interleaved rounds`,
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
