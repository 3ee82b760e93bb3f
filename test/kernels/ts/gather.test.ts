import { describe, expect, it } from "vitest";
import { gatherRows } from "../../../src/kernels/ts/gather.js";

describe("gatherRows", () => {
  const images = Uint8Array.of(0, 255, 51, 102, 10, 20); // 3 images of C = 2
  const labels = Uint8Array.of(7, 8, 9);
  const order = Uint32Array.of(9, 2, 1);

  it("gathers rows by index and scales u8 → f32/255 (mean 0, std 1)", () => {
    const out = new Float32Array(4);
    const outLabels = new Uint8Array(2);
    gatherRows(out, outLabels, images, labels, order, 1, 2, 2, 0, 1);
    expect(Array.from(out)).toEqual([10 / 255, 20 / 255, 51 / 255, 102 / 255].map(Math.fround));
    expect(Array.from(outLabels)).toEqual([9, 8]);
  });

  it("normalizes as (v/255 − mean)/std, each step rounded to f32", () => {
    const out = new Float32Array(4);
    gatherRows(out, new Uint8Array(2), images, labels, order, 1, 2, 2, 0.5, 0.25);
    // 51/255 = 0.2 → (0.2 − 0.5)/0.25 = −1.2; 102/255 = 0.4 → −0.4 (up to f32 rounding)
    const expected = [10, 20, 51, 102].map((v) => (v / 255 - 0.5) / 0.25);
    for (let i = 0; i < 4; i++) expect(out[i]).toBeCloseTo(expected[i]!, 6);
    const f = Math.fround;
    expect(out[2]).toBe(f(f(f(51 / 255) - 0.5) / 0.25));
    // 0 and 255 hit the range ends exactly: (0 − 0.5)/0.25 = −2 and (1 − 0.5)/0.25 = 2.
    gatherRows(out, new Uint8Array(1), images, labels, Uint32Array.of(0), 0, 1, 2, 0.5, 0.25);
    expect(Array.from(out.subarray(0, 2))).toEqual([-2, 2]);
  });
});
