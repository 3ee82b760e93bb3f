// Seeded PRNG for everything random in dptrain (init, shuffles, fault injection in tests).
//
// Algorithm: xoshiro128** (Blackman & Vigna, 2018), 128-bit state, period 2^128 − 1.
// Seeding: the 4 state words come from splitmix32 run on the seed, so nearby seeds give
// unrelated streams. The state is four uint32s, so it fits in a checkpoint's metadata.

/** One splitmix32 step: returns [nextState, output]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

export type RngState = [number, number, number, number];

export class Rng {
  private readonly s = new Uint32Array(4);

  /** seed: any integer; streams: extra integers (e.g. epoch) mixed in to derive independent streams. */
  constructor(seed: number, ...streams: number[]) {
    let sm = seed | 0;
    for (const stream of streams) {
      let out: number;
      [sm, out] = splitmix32(sm ^ Math.imul(stream | 0, 0x27d4eb2d));
      sm = (sm ^ out) | 0;
    }
    for (let i = 0; i < 4; i++) {
      let out: number;
      [sm, out] = splitmix32(sm);
      this.s[i] = out;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1; // all-zero state is a fixed point
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.s.set(state);
    return rng;
  }

  state(): RngState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  /** Uniform uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32, without modulo bias (rejection above the last whole multiple of n). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
    const limit = Math.floor(4294967296 / n) * n;
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher–Yates: writes a uniformly random permutation of 0..out.length-1 into out. */
export function writePermutation(out: Uint32Array, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = i;
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
}
