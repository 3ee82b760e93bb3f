import { describe, expect, it } from "vitest";
import { gatherRows } from "../../../src/kernels/ts/gather.js";

describe("gatherRows", () => {
  it("gathers rows by index and scales u8 → f32/255", () => {
    const images = Uint8Array.of(0, 255, 51, 102, 10, 20); // 3 images of C = 2
    const labels = Uint8Array.of(7, 8, 9);
    const out = new Float32Array(4);
    const outLabels = new Uint8Array(2);
    gatherRows(out, outLabels, images, labels, Uint32Array.of(9, 2, 1), 1, 2, 2);
    expect(Array.from(out)).toEqual([10 / 255, 20 / 255, 51 / 255, 102 / 255].map(Math.fround));
    expect(Array.from(outLabels)).toEqual([9, 8]);
  });
});
