import { describe, expect, it } from "vitest";
import { Rng, writePermutation } from "../src/rng.js";

describe("Rng (xoshiro128** seeded by splitmix32)", () => {
  it("is deterministic per seed and differs across seeds and streams", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43), d = new Rng(42, 1);
    const seq = (r: Rng) => Array.from({ length: 5 }, () => r.nextU32());
    const sa = seq(a);
    expect(seq(b)).toEqual(sa);
    expect(seq(c)).not.toEqual(sa);
    expect(seq(d)).not.toEqual(sa);
  });
  it("state round-trips", () => {
    const a = new Rng(9);
    a.nextU32();
    const b = Rng.fromState(a.state());
    expect(b.nextU32()).toBe(a.nextU32());
  });
  it("nextFloat is in [0,1) with mean ≈ 0.5; nextInt is in range", () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.02);
    for (let i = 0; i < 1000; i++) expect(r.nextInt(7)).toBeLessThan(7);
  });
  it("writePermutation writes a permutation", () => {
    const p = new Uint32Array(1000);
    writePermutation(p, new Rng(3));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
