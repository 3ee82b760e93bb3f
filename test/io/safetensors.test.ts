import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.js";

const tensors: [string, { shape: number[]; data: Float32Array }][] = [
  ["fc1.weight", { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }],
  ["fc1.bias", { shape: [2], data: Float32Array.of(-1, 0.5) }],
];

function withHeader(header: unknown, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors", () => {
  const bytes = encodeSafetensors(tensors, { format: "dptrain-model", step: "3" });

  it("header bytes follow the format: u64 LE length, JSON (8-byte padded), F32 tensors with contiguous offsets", () => {
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8"));
    expect(header).toEqual({
      __metadata__: { format: "dptrain-model", step: "3" },
      "fc1.weight": { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
      "fc1.bias": { dtype: "F32", shape: [2], data_offsets: [24, 32] },
    });
    expect(bytes.length).toBe(8 + n + 32);
    // Little-endian float32 1.0 at the start of the data.
    expect(Array.from(bytes.subarray(8 + n, 8 + n + 4))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it("round-trips through our reader", () => {
    const file = decodeSafetensors(bytes, "m.safetensors");
    expect(file.metadata).toEqual({ format: "dptrain-model", step: "3" });
    expect(file.tensors.get("fc1.weight")).toEqual(tensors[0]![1]);
    expect(file.tensors.get("fc1.bias")).toEqual(tensors[1]![1]);
  });

  const data8 = new Uint8Array(8);
  it.each([
    ["too short", new Uint8Array(4), "m: not a safetensors file: 4 bytes, too short for the 8-byte header length"],
    ["header length beyond the file", (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), "m: not a safetensors file: header length 1000 does not fit in the file (16 bytes)"],
    ["header not JSON", withHeader("x", data8).map((v, i) => (i === 8 ? 0x7b : v)), "m: not a safetensors file: the header is not valid UTF-8 JSON"],
    ["unsupported dtype", withHeader({ a: { dtype: "F16", shape: [4], data_offsets: [0, 8] } }, data8), 'm: a: dtype "F16" is not supported: expected "F32"'],
    ["offsets beyond the data", withHeader({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, data8), "m: a: data_offsets [0, 16] lie outside the 8 data bytes"],
    ["length disagrees with shape", withHeader({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, data8), "m: a: data_offsets span 8 bytes but shape [3] of F32 needs 12"],
    ["overlapping tensors", withHeader({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data8), "m: b: data overlaps another tensor at byte 4"],
    ["a hole in the data", withHeader({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data8), "m: a: hole in the data before byte 4"],
    ["trailing bytes", withHeader({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, data8), "m: the tensors cover 4 data bytes but the file has 8"],
    ["bad shape", withHeader({ a: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, data8), "m: a: shape must be a list of up to 8 non-negative integers, found [-2]"],
    ["bad metadata", withHeader({ __metadata__: { x: 1 } }, new Uint8Array(0)), "m: __metadata__: expected an object of strings"],
  ])("rejects a header that lies: %s", (_, input, message) => {
    expect(() => decodeSafetensors(input, "m")).toThrow(message);
  });
});
