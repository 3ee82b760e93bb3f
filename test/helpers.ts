import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../src/rng.js";

export function randomArray<T extends Float32Array | Float64Array>(ctor: new (n: number) => T, n: number, rng: Rng, scale = 1): T {
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = (rng.nextFloat() * 2 - 1) * scale;
  return a;
}

/** Elementwise relative error with a floor on the denominator: max |a−b| / max(|a|, |b|, floor). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-7): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor);
    if (!(err <= worst)) worst = err; // NaN propagates as worst
  }
  return worst;
}

/** Normwise relative error: max |a−b| / max |b|, robust to cancellation in single elements. */
export function normRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= diff)) diff = d;
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Central finite differences of a scalar function of x (float64), perturbing x in place. */
export function finiteDiff(x: Float64Array, f: () => number, eps = 1e-5): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + eps;
    const plus = f();
    x[i] = saved - eps;
    const minus = f();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** A fresh temp dir and a writer of small text files into it: file(name, text) returns the path. */
export function fileWriter(prefix: string): { dir: string; file: (name: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}

/** The message of the error fn throws (fails the test if it throws none). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected an error");
}
