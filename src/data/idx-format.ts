// IDX file format (LeCun): big-endian header, then raw bytes.
//   bytes 0-1: 0x0000, byte 2: dtype (0x08 = u8), byte 3: number of dims
//   then one u32 per dim, then prod(dims) bytes of data.
// MNIST uses magic 0x00000801 (labels, dims [N]) and 0x00000803 (images, dims [N, rows, cols]).
// Host-neutral: Node reads the files (idx.ts), a web page fetches them.
import { DataError } from "./errors.js";

export const LABELS_MAGIC = 0x00000801;
export const IMAGES_MAGIC = 0x00000803;

export interface IdxFile {
  kind: "labels" | "images";
  /** [N] for labels, [N, rows, cols] for images */
  dims: number[];
  /** prod(dims) bytes, a view into the (decompressed) file buffer */
  data: Uint8Array;
}

/** Parses and validates one IDX file's (decompressed) bytes. `expect` says which kind the caller needs. */
export function parseIdxBytes(bytes: Uint8Array, file: string, expect: "labels" | "images"): IdxFile {
  if (bytes.length < 4) throw new DataError(file, `file is ${bytes.length} bytes, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const wantMagic = expect === "labels" ? LABELS_MAGIC : IMAGES_MAGIC;
  if (magic !== wantMagic) {
    throw new DataError(file, `bad magic number: expected 0x${hex(wantMagic)} (IDX ${expect}), found 0x${hex(magic)}`);
  }
  const nDims = magic & 0xff;
  const headerBytes = 4 + 4 * nDims;
  if (bytes.length < headerBytes) throw new DataError(file, `file is ${bytes.length} bytes, too short for a ${nDims}-dim IDX header (${headerBytes} bytes)`);
  const dims: number[] = [];
  for (let d = 0; d < nDims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  if (dims[0] === 0) throw new DataError(file, `header says 0 items`);
  if (expect === "images" && (dims[1] === 0 || dims[2] === 0)) {
    throw new DataError(file, `bad image dimensions ${dims[1]}x${dims[2]}: expected both > 0`);
  }
  const dataBytes = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + dataBytes;
  if (bytes.length !== expected) {
    const dimText = dims.join("x");
    const problem = bytes.length < expected ? "truncated" : "has trailing bytes";
    throw new DataError(file, `${problem}: header says ${dimText} (${expected} bytes in all), file has ${bytes.length} bytes`);
  }
  return { kind: expect, dims, data: bytes.subarray(headerBytes) };
}

/** Encodes an IDX file (used for test fixtures and for exporting subsets). */
export function encodeIdx(kind: "labels" | "images", dims: number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (kind === "labels" ? LABELS_MAGIC : IMAGES_MAGIC) & ~0xff | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
