// Per-feature standardization of f32 features (scikit-learn's StandardScaler): statistics from
// the training rows only, applied to every split at load and, from the model file's metadata, to
// what eval and predict are given, so a model always sees its inputs scaled the same way.

export interface Standardization {
  /** (F) the training rows' mean of each feature */
  mean: number[];
  /** (F) their population standard deviation; 1 where a feature is constant */
  std: number[];
}

/** Mean and standard deviation of each of the F columns of rows (N, F), summed in float64 in row order. */
export function fitStandardization(rows: Float32Array, F: number): Standardization {
  return fitStandardizationChunks(() => [rows], F);
}

/** The same, over rows given in consecutive chunks (a streamed split read twice): the same sums in the same order. */
export function fitStandardizationChunks(chunks: () => Iterable<Float32Array>, F: number): Standardization {
  let N = 0;
  const sum = new Float64Array(F);
  for (const rows of chunks()) {
    const n = rows.length / F;
    for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) sum[f]! += rows[i * F + f]!;
    N += n;
  }
  const mean = Array.from(sum, (s) => Math.fround(N > 0 ? s / N : 0));
  const sq = new Float64Array(F);
  for (const rows of chunks()) {
    const n = rows.length / F;
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < F; f++) {
        const d = rows[i * F + f]! - mean[f]!;
        sq[f]! += d * d;
      }
    }
  }
  const std = Array.from(sq, (s) => {
    const sd = Math.fround(Math.sqrt(N > 0 ? s / N : 0));
    return sd > 0 && Number.isFinite(sd) ? sd : 1;
  });
  return { mean, std };
}

/** rows (N, F) ← (x − mean) / std in place, each operation rounded to f32 (the same bits in every host). */
export function applyStandardization(rows: Float32Array, s: Standardization): Float32Array {
  const F = s.mean.length;
  const f = Math.fround;
  for (let i = 0; i < rows.length; i++) {
    const j = i % F;
    rows[i] = f(f(rows[i]! - s.mean[j]!) / s.std[j]!);
  }
  return rows;
}

/** A Standardization from a model file's metadata (JSON), checked against F features. */
export function parseStandardization(text: string, F: number, where: string): Standardization {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${where}: expected JSON {mean, std}, found ${JSON.stringify(text.slice(0, 40))}`);
  }
  const o = v as Partial<Standardization>;
  const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length === F && a.every((x) => typeof x === "number" && Number.isFinite(x));
  if (!ok(o.mean) || !ok(o.std) || o.std.some((x) => x <= 0)) throw new Error(`${where}: expected {mean, std} of ${F} finite numbers each (std > 0)`);
  return { mean: o.mean, std: o.std };
}
