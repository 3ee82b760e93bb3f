// Each native kernel set carries its own instruction set and arena (addon.cc kernelSet), so sets
// side by side in one thread never run each other's code or write each other's memory. Before,
// the addon kept one "current" set per thread: the kernel bench loaded avx512 and then avx2, and
// both of its columns ran AVX2.
import { describe, expect, it } from "vitest";
import { loadNativeKernels, nativeCpuIsas } from "../../src/kernels/native/native-kernels.js";
import { RESERVED_LOW_BYTES } from "../../src/kernels/kernels.js";
import { Rng } from "../../src/rng.js";

const isas = nativeCpuIsas();
const B = 4, C = 200, OC = 24;

/** An arena with x (B, C), W (OC, C) and b (OC) at fixed offsets; returns it and the output's offset. */
function arena(): { memory: WebAssembly.Memory; x: number; w: number; b: number; y: number } {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true });
  const f = new Float32Array(memory.buffer);
  const rng = new Rng(3);
  const x = RESERVED_LOW_BYTES, w = x + B * C * 4, b = w + OC * C * 4, y = b + OC * 4;
  for (let i = x / 4; i < y / 4; i++) f[i] = rng.nextFloat() - 0.5;
  return { memory, x, w, b, y };
}

function forward(set: ReturnType<typeof loadNativeKernels>, a: ReturnType<typeof arena>): Float32Array {
  set.denseForward(a.y, a.x, a.w, a.b, B, C, OC, false);
  return new Float32Array(a.memory.buffer, a.y, B * OC).slice();
}

describe.skipIf(isas.length === 0)("native kernel sets side by side", () => {
  it("a set keeps its own arena when another set is made on another arena", () => {
    const a1 = arena(), a2 = arena();
    const first = loadNativeKernels(a1.memory, isas[0]!);
    const before = forward(first, a1);
    new Float32Array(a2.memory.buffer).fill(7);
    loadNativeKernels(a2.memory, isas[0]!);
    new Float32Array(a1.memory.buffer, a1.y, B * OC).fill(0);
    expect(forward(first, a1)).toEqual(before);
    expect(new Float32Array(a2.memory.buffer, a2.y, B * OC).every((v) => v === 7)).toBe(true);
  });

  it.skipIf(isas.length < 2)("avx512 and avx2 in one thread each run their own instructions (their sums differ in the last bits)", () => {
    const a = arena();
    const avx512 = loadNativeKernels(a.memory, "avx512");
    const alone512 = forward(avx512, a);
    const avx2 = loadNativeKernels(a.memory, "avx2");
    const alone2 = forward(avx2, a);
    // 16-lane and 8-lane dot products add in different orders: some outputs differ (else this test could not tell them apart)
    expect(alone512.some((v, i) => v !== alone2[i])).toBe(true);
    expect(forward(avx512, a)).toEqual(alone512);
    expect(forward(avx2, a)).toEqual(alone2);
  });
});
