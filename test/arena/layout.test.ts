import { describe, expect, it } from "vitest";
import { layout, type Region } from "../../src/arena/layout.js";
import { RESERVED_LOW_BYTES } from "../../src/kernels/kernels.js";
import { createMemory, bindParams, f32View } from "../../src/arena/arena.js";
import { mlp } from "../../src/model/spec.js";

describe("arena layout", () => {
  const spec = mlp([784, 520, 320, 240, 120, 10], "relu");
  const L = layout({ spec, counts: { train: 60000, validation: 0, test: 10000 }, inputWidth: 784, batchRows: 64, workers: 2, evalChunkRows: 500 });

  it("regions are aligned, inside the memory, and do not overlap", () => {
    const regions: Region[] = [L.data.train.inputs, L.data.train.labels, L.data.test.inputs, L.data.test.labels, L.trainOrder, L.evalOrder, ...L.params, ...L.optimState, L.evalLoss, L.rowSq, L.control, L.barrier];
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
    expect(L.evalLoss.length).toBe(10000);
    // Parameters and optimizer state: 4·P floats, whatever the worker count.
    const W8 = layout({ spec, counts: { train: 60000, validation: 0, test: 10000 }, inputWidth: 784, batchRows: 64, workers: 8, evalChunkRows: 8 });
    expect(W8.params[0].length + W8.optimState[1].length).toBe(2 * L.nParams);
    expect(L.params[1].offset).toBeGreaterThan(L.params[0].offset);
    expect(L.data.train.inputs.length).toBe(60000 * 784);
  });

  it("f32 features and a validation split: typed regions, one eval order and loss region for the larger eval split", () => {
    const F = layout({ spec: mlp([20, 16, 4], "relu"), counts: { train: 100, validation: 30, test: 12 }, inputWidth: 20, inputType: "f32", batchRows: 8, workers: 2, evalChunkRows: 4 });
    expect(F.data.train.inputs).toMatchObject({ type: "f32", length: 2000 });
    expect(F.data.validation.inputs).toMatchObject({ type: "f32", length: 600 });
    expect(F.data.test.labels).toMatchObject({ type: "u8", length: 12 });
    expect(F.evalOrder.length).toBe(30);
    expect(F.evalLoss.length).toBe(30);
    // no test set at all is allowed; no training rows is not
    expect(layout({ spec: mlp([20, 4], "relu"), counts: { train: 5, validation: 0, test: 0 }, inputWidth: 20, batchRows: 8, workers: 1, evalChunkRows: 4 }).data.test.count).toBe(0);
    expect(() => layout({ spec: mlp([20, 4], "relu"), counts: { train: 0, validation: 1, test: 0 }, inputWidth: 20, batchRows: 8, workers: 1, evalChunkRows: 4 })).toThrow(/trainCount must be/);
  });

  it("is a pure function of its input", () => {
    expect(layout({ spec, counts: { train: 60000, validation: 0, test: 10000 }, inputWidth: 784, batchRows: 64, workers: 2, evalChunkRows: 500 })).toEqual(L);
  });

  it("named views over one shared memory", () => {
    const small = layout({ spec: mlp([4, 3, 2], "relu"), counts: { train: 2, validation: 0, test: 1 }, inputWidth: 4, batchRows: 2, workers: 1, evalChunkRows: 2 });
    const memory = createMemory(small);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const views = bindParams(small, small.params[0], (r) => f32View(memory, r));
    expect(Object.keys(views)).toEqual(["fc1Weight", "fc1Bias", "fc2Weight", "fc2Bias"]);
    expect(views.fc1Weight!.length).toBe(12);
    views.fc2Bias![1] = 5;
    expect(f32View(memory, small.params[0])[small.paramEntries[3]!.offset + 1]).toBe(5);
  });

  it("rejects bad sizes", () => {
    expect(() => layout({ spec, counts: { train: 10, validation: 0, test: 1 }, inputWidth: 100, batchRows: 8, workers: 2, evalChunkRows: 8 })).toThrow(/784 inputs/);
    expect(() => layout({ spec, counts: { train: 10, validation: 0, test: 1 }, inputWidth: 784, batchRows: 0, workers: 2, evalChunkRows: 8 })).toThrow(/batchRows must be/);
    expect(() => layout({ spec, counts: { train: 10, validation: 0, test: 1 }, inputWidth: 784, batchRows: 65536, workers: 16, evalChunkRows: 65536 })).toThrow(/4 GiB/);
  });
});
