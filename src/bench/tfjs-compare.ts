// npm run bench:tfjs — the seed MLP at batch 64 trained for the same number of steps by
// TensorFlow.js's wasm backend and by dptrain (1 and 2 workers), in one run, on one machine.
// TensorFlow.js is a devDependency, imported only here.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseConfigObject } from "../config/load.js";
import { loadDataset } from "../data/dataset.js";
import { writeEpochOrder } from "../data/order.js";
import { machine } from "./machine.js";
import { benchEngine } from "./engine-bench.js";
import { resolvedConfig } from "../run/machine.js";

const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const STEPS = Number(process.env.BENCH_STEPS ?? 200);
const WARMUP = 10;
const HIDDEN = [520, 320, 240, 120];

async function tfjsSamplesPerSecond(): Promise<{ samplesPerSec: number; backend: string; simd: boolean; threads: boolean }> {
  const tf = await import("@tensorflow/tfjs");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(import.meta.url);
  // Load the backend's .wasm files from its npm package (no network).
  wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
  await tf.setBackend("wasm");
  await tf.ready();
  const data = await loadDataset("mnist");
  const model = tf.sequential();
  HIDDEN.forEach((units, i) => model.add(tf.layers.dense({ units, activation: "relu", ...(i === 0 ? { inputShape: [784] } : {}) })));
  model.add(tf.layers.dense({ units: 10 }));
  const optimizer = tf.train.momentum(0.01, 0.5);
  const order = new Uint32Array(data.train.count);
  writeEpochOrder(order, 42, 0);
  const x = new Float32Array(BATCH * 784);
  const y = new Float32Array(BATCH * 10);
  const step = (s: number) => {
    // The same per-step work dptrain does: gather rows, u8 → f32/255, one-hot labels.
    y.fill(0);
    for (let b = 0; b < BATCH; b++) {
      const row = order[(s * BATCH + b) % order.length]!;
      for (let c = 0; c < 784; c++) x[b * 784 + c] = data.train.inputs[row * 784 + c]! / 255;
      y[b * 10 + data.train.labels[row]!] = 1;
    }
    tf.tidy(() => {
      const xs = tf.tensor2d(x, [BATCH, 784]);
      const ys = tf.tensor2d(y, [BATCH, 10]);
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as import("@tensorflow/tfjs").Tensor), true);
      cost?.dataSync();
    });
  };
  for (let s = 0; s < WARMUP; s++) step(s);
  const t0 = performance.now();
  for (let s = WARMUP; s < WARMUP + STEPS; s++) step(s);
  const seconds = (performance.now() - t0) / 1000;
  return {
    samplesPerSec: (STEPS * BATCH) / seconds,
    backend: tf.getBackend(),
    simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"),
    threads: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT"),
  };
}

const m = machine();
const tf = await tfjsSamplesPerSecond();
const lines = [
  `machine: ${m.cpus} cores (os.availableParallelism()), ${m.cpuModel}, node ${m.node}`,
  `seed MLP 784-520-320-240-120-10, batch ${BATCH}, SGD momentum, ${STEPS} timed steps after ${WARMUP} warm-up`,
  `tfjs ${tf.backend} (simd ${tf.simd}, threads ${tf.threads}): ${tf.samplesPerSec.toFixed(0)} samples/s`,
];
// dptrain with the WASM kernels (the like-for-like comparison) and with the default set (native where it built).
for (const kernels of ["wasm", "auto"] as const) {
  const parsed = parseConfigObject({ name: "tfjs-compare", seed: 42, model: { type: "mlp", hidden: HIDDEN }, train: { batchSize: BATCH }, optim: { lr: 0.01, momentum: 0.5 }, engine: { kernels } }, "(tfjs-compare)");
  const { config, kernels: resolved } = resolvedConfig(parsed);
  for (const workers of [1, 2]) {
    const r = await benchEngine(config, workers, STEPS, WARMUP, 0 /* as tfjs above: steps only */);
    lines.push(`dptrain ${resolved.label}, ${workers} worker${workers > 1 ? "s" : ""}: ${r.samples_per_s.toFixed(0)} samples/s  (${(r.samples_per_s / tf.samplesPerSec).toFixed(1)}× tfjs-wasm)`);
  }
}
process.stdout.write(`${lines.join("\n")}\n`);
