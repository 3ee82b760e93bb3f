// Loads the native kernels (C, AVX-512 or AVX2 + FMA, through Node-API: addon.cc) and adapts
// them to the Kernels interface with F = U8 = U32 = F64 = byte offset into the arena, like WASM.
// The addon trusts its arguments, so every call goes through checked-exports.ts first.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { adaptPointerKernels, type PointerKernelExports, type PointerKernels } from "../pointer-abi.js";
import { checkedExports } from "./checked-exports.js";
import { nativeAddonDefault, nativeBuildRecord } from "../../paths.js";

/** The instruction sets the addon has code for, best first. */
export const NATIVE_ISAS = ["avx512", "avx2"] as const;
export type NativeIsa = (typeof NATIVE_ISAS)[number];

/**
 * The addon. kernelSet returns the kernel exports (pointer-abi.ts PointerKernelExports) running
 * one instruction set on one arena: each set carries its own, so sets side by side in one thread
 * (the kernel bench's avx512 and avx2 columns) never run each other's code.
 */
interface Addon {
  cpuIsas(): NativeIsa[];
  kernelSet(isa: NativeIsa, arena: Uint8Array): PointerKernelExports & { isa: NativeIsa };
  fmaPeakGflops(isa: NativeIsa, iterations: number): number;
}

/** Where the addon is: DPTRAIN_NATIVE_ADDON (tests point it elsewhere to exercise the fallback), else the build output. */
export function nativeAddonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DPTRAIN_NATIVE_ADDON || nativeAddonDefault;
}

let cached: { path: string; addon: Addon | null; reason: string } | null = null;

/** The addon for this thread, or why it cannot be had (one line). Loaded once per thread. */
export function loadAddon(path = nativeAddonPath()): { addon: Addon | null; reason: string } {
  if (cached?.path === path) return cached;
  let addon: Addon | null = null;
  let reason = "";
  if (!existsSync(path)) {
    reason = `the native addon was not built${buildFailure()}`;
  } else {
    try {
      addon = createRequire(import.meta.url)(path) as Addon;
      if (addon.cpuIsas().length === 0) {
        reason = "this CPU has neither AVX-512F nor AVX2 + FMA";
        addon = null;
      }
    } catch (err) {
      reason = `the native addon did not load: ${(err as Error).message.split("\n")[0]}`;
    }
  }
  cached = { path, addon, reason };
  return cached;
}

function buildFailure(): string {
  try {
    const record = JSON.parse(readFileSync(nativeBuildRecord, "utf8")) as { ok: boolean; error?: string };
    return record.ok ? "" : ` (${record.error}; see dist/native-build.log)`;
  } catch {
    return " (run npm run build)";
  }
}

/** The instruction sets this CPU runs with the addon, best first ([] when the addon is unavailable). */
export function nativeCpuIsas(path = nativeAddonPath()): NativeIsa[] {
  return loadAddon(path).addon?.cpuIsas() ?? [];
}

/** The native set on this thread, running instruction set `isa`, over the arena `memory`. */
export function loadNativeKernels(memory: WebAssembly.Memory, isa: NativeIsa, path = nativeAddonPath()): PointerKernels {
  const { addon, reason } = loadAddon(path);
  if (!addon) throw new Error(`native kernels unavailable: ${reason}`);
  return adaptPointerKernels(checkedExports(memory, addon.kernelSet(isa, new Uint8Array(memory.buffer))));
}

/** This core's FMA peak in GFLOP/s (a tight loop of independent FMAs), for the kernel bench. */
export function nativeFmaPeakGflops(isa: NativeIsa, path = nativeAddonPath()): number {
  const { addon, reason } = loadAddon(path);
  if (!addon) throw new Error(`native kernels unavailable: ${reason}`);
  addon.fmaPeakGflops(isa, 2e6); // warm up (frequency, caches)
  return Math.max(...[0, 1, 2].map(() => addon.fmaPeakGflops(isa, 2e7)));
}
