// Atomics.waitAsync is in Node ≥ 16 (V8) but only in TypeScript's es2024 lib.
interface Atomics {
  waitAsync(typedArray: Int32Array, index: number, value: number, timeout?: number): { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
}
