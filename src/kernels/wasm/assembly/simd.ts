// Shared SIMD helpers. All arithmetic is plain IEEE f32 mul/add in a fixed order (no relaxed
// SIMD, no FMA), so a kernel's result depends only on its inputs: determinism across workers.

/** ((l0 + l1) + l2) + l3: a fixed horizontal-sum order. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Address of element i of an f32 array at ptr. */
// @ts-ignore: decorator
@inline export function at(ptr: usize, i: i32): usize {
  return ptr + ((<usize>i) << 2);
}
