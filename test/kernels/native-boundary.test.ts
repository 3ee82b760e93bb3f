// The TypeScript side checks every native call against the arena before C sees it: a bad
// offset, size, row index, label or row range throws an ordinary RangeError, the process lives
// on, and the memory outside the arena is never touched.
import { describe, expect, it } from "vitest";
import { loadNativeKernels, nativeCpuIsas } from "../../src/kernels/native/native-kernels.js";
import { RESERVED_LOW_BYTES } from "../../src/kernels/kernels.js";

const isa = nativeCpuIsas()[0];

describe.skipIf(!isa)("native kernels: safety at the boundary", () => {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true }); // 256 KiB
  const k = isa ? loadNativeKernels(memory, isa) : null!;
  const end = memory.buffer.byteLength;
  const p = RESERVED_LOW_BYTES;

  it("a buffer that runs past the end of the arena is refused", () => {
    expect(() => k.denseForward(p, p, end - 100, p, 1, 784, 10, false)).toThrow(/native denseForward: weight \[\d+, \d+\) is outside the arena \(262144 bytes\)/);
    expect(() => k.reluForward(end - 8, p, 3)).toThrow(RangeError);
    expect(() => k.denseInputGrad(p, p, p, end, 1, 1, 1)).toThrow(/mask/);
    // strided rows (the feature cut): the extent is (rows − 1)·ld + width, and ld below the width is refused
    expect(() => k.denseForward(end - 4 * 40, p, p, p, 2, 3, 10, false, 40)).toThrow(/native denseForward: out \[\d+, \d+\) is outside the arena/);
    expect(() => k.denseForward(end - 4 * 50, p, p, p, 2, 3, 10, false, 40)).not.toThrow();
    expect(() => k.denseForward(p, p, p, p, 2, 3, 10, false, 9)).toThrow(/ldOut \(9\) must be at least OC \(10\)/);
    expect(() => k.denseInputGrad(p, p, end - 4 * 30, null, 1, 5, 2, 30)).toThrow(/native denseInputGrad: weight \[\d+, \d+\) is outside the arena/);
    expect(() => k.denseInputGrad(p, p, p, null, 1, 5, 2, 4)).toThrow(/ld \(4\) must be at least C \(5\)/);
  });

  it("negative, fractional and zero offsets and bad sizes are refused", () => {
    expect(() => k.reluForward(-64, p, 4)).toThrow(/outside the arena/);
    expect(() => k.reluForward(p + 0.5, p, 4)).toThrow(/outside the arena/);
    expect(() => k.reluForward(0, p, 4)).toThrow(/outside the arena/);
    expect(() => k.denseForward(p, p, p, p, -1, 3, 3, false)).toThrow(/B must be a non-negative integer, got -1/);
    expect(() => k.denseForward(p, p, p, p, 1.5, 3, 3, false)).toThrow(/B must be/);
  });

  it("indices the C code follows are checked: row indices, labels, parameter-row ranges", () => {
    const rowIndex = new Uint32Array(memory.buffer, p, 4);
    rowIndex.set([0, 1, 1_000_000, 2]);
    expect(() => k.gatherRows(p + 4096, p + 8192, p + 16384, p + 32768, p, 0, 4, 784, 0, 1)).toThrow(/images/);
    new Uint8Array(memory.buffer, p, 2).set([3, 12]);
    expect(() => k.softmaxCrossEntropy(p + 64, p + 1024, p + 2048, p, 2, 10, 1)).toThrow(/label 12 of row 1 is not < K = 10/);
    const buffers = { weight: p, bias: p, weightVelocity: p, biasVelocity: p, weightOut: p, biasOut: p, weightVelocityOut: p, biasVelocityOut: p };
    const hyper = { gradScale: 1, lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 };
    expect(() => k.denseWeightGradSgd(buffers, p, p, p, 1, 2, 4, 3, 5, hyper)).toThrow(/rows \[3, 5\) are not inside \[0, 4\)/);
    expect(() => k.denseWeightGrad({ weightGrad: p, biasGrad: p }, p, p, p, 1, 2, 4, 3, 5, 1)).toThrow(/native denseWeightGrad: rows \[3, 5\) are not inside \[0, 4\)/);
    expect(() => k.denseWeightGrad({ weightGrad: end - 8, biasGrad: p }, p, p, p, 1, 2, 4, 0, 4, 1)).toThrow(/native denseWeightGrad: weightGrad \[\d+, \d+\) is outside the arena/);
  });

  it("after refused calls, a good call still works", () => {
    const inp = new Float32Array(memory.buffer, p, 4);
    inp.set([-1, 2, -3, 4]);
    k.reluForward(p + 64, p, 4);
    expect(Array.from(new Float32Array(memory.buffer, p + 64, 4))).toEqual([0, 2, 0, 4]);
  });
});
