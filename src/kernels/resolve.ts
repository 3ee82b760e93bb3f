// Which kernel set a run uses: engine.kernels (auto | native | wasm | ts) and engine.isa
// (auto | avx512 | avx2) resolved against this machine. auto is native where the addon loaded
// and the CPU runs one of its instruction sets, else wasm, said once per process in one line.
// native asked for explicitly but unavailable is a config error (exit 2), not a silent fallback.
import { ConfigError } from "../config/errors.js";
import type { KernelSet } from "./kernels.js";
import { loadAddon, nativeAddonPath, nativeCpuIsas, type NativeIsa } from "./native/native-kernels.js";

export type KernelsChoice = KernelSet | "auto";
export type IsaChoice = NativeIsa | "auto";

export interface ResolvedKernels {
  set: KernelSet;
  /** the instruction set of the native kernels (null for wasm and ts) */
  isa: NativeIsa | null;
  /** the native addon file the workers load */
  addon: string;
  /** for headers and reports: "native (avx2)", "wasm", "ts" */
  label: string;
}

/** Set once the fallback was said: inherited by worker threads and child processes started later, so a sweep or a bench says it once. */
const FALLBACK_SAID = "DPTRAIN_NATIVE_FALLBACK_SAID";

/** DPTRAIN_NATIVE_ISA (avx512 | avx2) forces an instruction set where engine.isa is auto: for tests and comparisons. */
function isaFromEnv(env: NodeJS.ProcessEnv): IsaChoice {
  const v = env.DPTRAIN_NATIVE_ISA;
  if (v === undefined || v === "") return "auto";
  if (v === "avx512" || v === "avx2") return v;
  throw new ConfigError(`DPTRAIN_NATIVE_ISA: expected "avx512" or "avx2", found ${JSON.stringify(v)}`);
}

export function resolveKernels(kernels: KernelsChoice, isa: IsaChoice, env: NodeJS.ProcessEnv = process.env): ResolvedKernels {
  const addon = nativeAddonPath(env);
  if (kernels === "wasm" || kernels === "ts") return { set: kernels, isa: null, addon, label: kernels };
  const { addon: loaded, reason } = loadAddon(addon);
  if (!loaded) {
    if (kernels === "native") throw new ConfigError(`engine.kernels: expected kernels this machine can run, found "native", which is unavailable: ${reason}; use auto or wasm`);
    if (process.env[FALLBACK_SAID] !== "1") {
      process.env[FALLBACK_SAID] = "1";
      process.stderr.write(`dptrain: native kernels unavailable (${reason}); using wasm\n`);
    }
    return { set: "wasm", isa: null, addon, label: "wasm" };
  }
  const cpu = nativeCpuIsas(addon);
  const wanted = isa === "auto" ? isaFromEnv(env) : isa;
  if (wanted !== "auto" && !cpu.includes(wanted)) {
    throw new ConfigError(`engine.isa: expected an instruction set this CPU runs (${cpu.join(", ")}), found "${wanted}"`);
  }
  const chosen = wanted === "auto" ? cpu[0]! : wanted;
  return { set: "native", isa: chosen, addon, label: kernelsLabel("native", chosen) };
}

/** A kernel set as headers, reports and logs name it: "native (avx2)", "wasm", "ts" ("native" where no instruction set is known). */
export function kernelsLabel(kernels: string | undefined, isa: string | null | undefined): string {
  return kernels === "native" && isa && isa !== "auto" ? `native (${isa})` : String(kernels);
}
