import { describe, expect, it } from "vitest";
import { layout, type Region } from "../../src/arena/layout.js";
import { RESERVED_LOW_BYTES } from "../../src/kernels/kernels.js";
import { createMemory, bindParams, f32View } from "../../src/arena/arena.js";
import { mlp } from "../../src/model/spec.js";

describe("arena layout", () => {
  const spec = mlp([784, 520, 320, 240, 120, 10], "relu");
  const L = layout({ spec, trainCount: 60000, testCount: 10000, pixelsPerImage: 784, batchRows: 64, workers: 2, evalChunkRows: 500 });

  it("regions are aligned, inside the memory, and do not overlap", () => {
    const regions: Region[] = [L.trainImages, L.trainLabels, L.testImages, L.testLabels, L.trainOrder, L.testOrder, ...L.params, ...L.optimState, L.testLoss, L.rowSq, L.control, L.barrier];
    const w = L.workspace;
    regions.push(...w.acts, ...w.dacts.slice(1), w.labels, w.rowLoss);
    const bytes = (r: Region) => r.length * { u8: 1, u32: 4, i32: 4, f32: 4, f64: 8 }[r.type];
    const sorted = regions.filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
    expect(sorted[0]!.offset).toBeGreaterThanOrEqual(RESERVED_LOW_BYTES);
    for (let i = 0; i < sorted.length; i++) {
      expect(sorted[i]!.offset % 64).toBe(0);
      if (i > 0) expect(sorted[i]!.offset).toBeGreaterThanOrEqual(sorted[i - 1]!.offset + bytes(sorted[i - 1]!));
    }
    const last = sorted[sorted.length - 1]!;
    expect(last.offset + bytes(last)).toBeLessThanOrEqual(L.bytes);
  });

  it("sizes: no per-shard gradient slots; one workspace row per batch row (or eval row), one rowSq per parameter row", () => {
    expect(L.workspace.rows).toBe(Math.max(64, 2 * 500));
    expect(L.workspace.acts[0]!.length).toBe(L.workspace.rows * 784);
    expect(L.rowSq.length).toBe(520 + 320 + 240 + 120 + 10);
    expect(L.testLoss.length).toBe(10000);
    // Parameters and optimizer state: 4·P floats, whatever the worker count.
    const W8 = layout({ spec, trainCount: 60000, testCount: 10000, pixelsPerImage: 784, batchRows: 64, workers: 8, evalChunkRows: 8 });
    expect(W8.params[0].length + W8.optimState[1].length).toBe(2 * L.nParams);
    expect(L.params[1].offset).toBeGreaterThan(L.params[0].offset);
    expect(L.trainImages.length).toBe(60000 * 784);
  });

  it("is a pure function of its input", () => {
    expect(layout({ spec, trainCount: 60000, testCount: 10000, pixelsPerImage: 784, batchRows: 64, workers: 2, evalChunkRows: 500 })).toEqual(L);
  });

  it("named views over one shared memory", () => {
    const small = layout({ spec: mlp([4, 3, 2], "relu"), trainCount: 2, testCount: 1, pixelsPerImage: 4, batchRows: 2, workers: 1, evalChunkRows: 2 });
    const memory = createMemory(small);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const views = bindParams(small, small.params[0], (r) => f32View(memory, r));
    expect(Object.keys(views)).toEqual(["fc1Weight", "fc1Bias", "fc2Weight", "fc2Bias"]);
    expect(views.fc1Weight!.length).toBe(12);
    views.fc2Bias![1] = 5;
    expect(f32View(memory, small.params[0])[small.paramEntries[3]!.offset + 1]).toBe(5);
  });

  it("rejects bad sizes", () => {
    expect(() => layout({ spec, trainCount: 10, testCount: 1, pixelsPerImage: 100, batchRows: 8, workers: 2, evalChunkRows: 8 })).toThrow(/784 inputs/);
    expect(() => layout({ spec, trainCount: 10, testCount: 1, pixelsPerImage: 784, batchRows: 0, workers: 2, evalChunkRows: 8 })).toThrow(/batchRows must be/);
    expect(() => layout({ spec, trainCount: 10, testCount: 1, pixelsPerImage: 784, batchRows: 65536, workers: 16, evalChunkRows: 65536 })).toThrow(/4 GiB/);
  });
});
