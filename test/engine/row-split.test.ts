import { describe, expect, it } from "vitest";
import { evenEnd, MIN_SHARE, RowBalancer, rowRange } from "../../src/engine/common/row-split.js";

const ranges = (ends: number[], n: number) => ends.map((_, w) => rowRange(ends, ends.length, w, n));

describe("the row cut's split (row-split.ts)", () => {
  it("even ends give splitRange's shares, and any valid ends cover the rows once, in order", () => {
    expect(ranges([0.5, 1], 64)).toEqual([[0, 32], [32, 64]]);
    expect(ranges([1 / 3, 2 / 3, 1], 13)).toEqual([[0, 4], [4, 9], [9, 13]]);
    for (const ends of [[0.1, 1], [0.2, 0.2, 0.9, 1], [0, 0.5, 1], [0.73, 0.99, 1]]) {
      for (const n of [1, 3, 13, 64, 100]) {
        const r = ranges(ends, n);
        expect(r[0]![0]).toBe(0);
        expect(r.at(-1)![1]).toBe(n);
        for (let w = 1; w < r.length; w++) expect(r[w]![0]).toBe(r[w - 1]![1]);
        for (const [a, b] of r) expect(b).toBeGreaterThanOrEqual(a);
      }
    }
  });

  it("ends that are not increasing fractions ending at 1 give the even split (every worker reads the same, so all fall back together)", () => {
    const even = ranges([0.5, 1], 64);
    for (const bad of [[0.5, 0.9], [0.7, 0.6], [-0.1, 1], [1.2, 1], [NaN, 1], [0, 0]]) expect(ranges(bad, 64)).toEqual(even);
    expect(evenEnd(2, 4)).toBe(0.75);
  });

  it("moves rows toward the faster worker, in proportion to the speeds it measured", () => {
    const b = new RowBalancer(2);
    // worker 1 takes twice as long for the same rows: it should end up with a third of them
    let ends = [0.5, 1];
    for (let step = 0; step < 40; step++) {
      const [r0, r1] = ranges(ends, 96).map(([a, z]) => z - a) as [number, number];
      ends = b.next([r0, r1], [r0 * 0.1, r1 * 0.2]);
    }
    expect(ends[1]).toBe(1);
    expect(ends[0]!).toBeCloseTo(2 / 3, 6);
    expect(ranges(ends, 96)).toEqual([[0, 64], [64, 96]]);
  });

  it("keeps each worker at least MIN_SHARE of an even share, and leaves a worker with no rows or no time at its estimate", () => {
    const b = new RowBalancer(2);
    const ends = b.next([32, 32], [1, 1000]);
    expect(ends[1]! - ends[0]!).toBeGreaterThanOrEqual((MIN_SHARE * 0.5) / (1 + MIN_SHARE) - 1e-12);
    const fresh = new RowBalancer(3);
    expect(fresh.next([0, 10, 10], [0, 1, 1])).toEqual([1 / 3, 2 / 3, 1]);
    expect(new RowBalancer(2).next([0, 0], [0, 0])).toEqual([0.5, 1]);
  });
});
