// dptrain bench kernels: the seed MLP's GEMMs in GFLOP/s on one thread, for every kernel set this
// machine runs, beside each native instruction set's measured FMA peak.
import { pointerBinder } from "../arena/arena.js";
import { loadAddon, loadNativeKernels, nativeCpuIsas, nativeFmaPeakGflops } from "../kernels/native/native-kernels.js";
import { benchKernels, benchMemoryFor, benchSets } from "./kernel-bench.js";
import { machine } from "./machine.js";

export async function kernelsBench(flags: { rows: number[]; json: boolean }): Promise<void> {
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
    out.push(`${n}: FMA peak ${peak.toFixed(1)} GFLOP/s on one core`);
    for (const rowCount of flags.rows) {
      const at = big.filter((r) => r.rows === rowCount);
      const share = (op: string) => at.filter((r) => r.op === op).map((r) => `${((r.gflops[n]! / peak) * 100).toFixed(0)}%`).join(" ");
      out.push(`  at ${rowCount} rows, fc1–fc4 reach forward ${share("forward")}, dW ${share("dW")}, dx ${share("dx")} of it`);
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
}
