import { describe, expect, it } from "vitest";
import { layout, RESERVED_LOW_BYTES, type Region } from "../../src/arena/layout.js";
import { createMemory, bindParams, f32View } from "../../src/arena/arena.js";
import { mlp } from "../../src/model/spec.js";

describe("arena layout", () => {
  const spec = mlp([784, 520, 320, 240, 120, 10], "relu");
  const L = layout({ spec, trainCount: 60000, testCount: 10000, pixelsPerImage: 784, shards: 8, workers: 2, scratchRows: 256 });

  it("regions are aligned, inside the memory, and do not overlap", () => {
    const regions: Region[] = [L.trainImages, L.trainLabels, L.testImages, L.testLabels, L.trainOrder, L.testOrder, ...L.params, ...L.velocity, L.gradSlots, L.control];
    for (const s of L.scratch) regions.push(...s.acts, ...s.dacts.slice(1), s.labels);
    const bytes = (r: Region) => r.length * (r.type === "u8" ? 1 : 4);
    const sorted = regions.filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
    expect(sorted[0]!.offset).toBeGreaterThanOrEqual(RESERVED_LOW_BYTES);
    for (let i = 0; i < sorted.length; i++) {
      expect(sorted[i]!.offset % 64).toBe(0);
      if (i > 0) expect(sorted[i]!.offset).toBeGreaterThanOrEqual(sorted[i - 1]!.offset + bytes(sorted[i - 1]!));
    }
    const last = sorted[sorted.length - 1]!;
    expect(last.offset + bytes(last)).toBeLessThanOrEqual(L.bytes);
  });

  it("sizes: S gradient slots of nParams, W scratch slots, double-buffered params", () => {
    expect(L.gradSlots.length).toBe(8 * L.nParams);
    expect(L.scratch).toHaveLength(2);
    expect(L.params[1].offset).toBeGreaterThan(L.params[0].offset);
    expect(L.trainImages.length).toBe(60000 * 784);
  });

  it("is a pure function of its input", () => {
    expect(layout({ spec, trainCount: 60000, testCount: 10000, pixelsPerImage: 784, shards: 8, workers: 2, scratchRows: 256 })).toEqual(L);
  });

  it("named views over one shared memory", () => {
    const small = layout({ spec: mlp([4, 3, 2], "relu"), trainCount: 2, testCount: 1, pixelsPerImage: 4, shards: 2, workers: 1, scratchRows: 2 });
    const memory = createMemory(small);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const views = bindParams(small, small.params[0], (r) => f32View(memory, r));
    expect(Object.keys(views)).toEqual(["fc1Weight", "fc1Bias", "fc2Weight", "fc2Bias"]);
    expect(views.fc1Weight!.length).toBe(12);
    views.fc2Bias![1] = 5;
    expect(f32View(memory, small.params[0])[small.paramEntries[3]!.offset + 1]).toBe(5);
  });

  it("rejects bad sizes", () => {
    expect(() => layout({ spec, trainCount: 10, testCount: 1, pixelsPerImage: 100, shards: 8, workers: 2, scratchRows: 8 })).toThrow(/784 inputs/);
    expect(() => layout({ spec, trainCount: 10, testCount: 1, pixelsPerImage: 784, shards: 0, workers: 2, scratchRows: 8 })).toThrow(/shards must be/);
  });
});
