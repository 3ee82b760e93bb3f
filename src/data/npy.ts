// NumPy's .npy format (numpy.lib.format, versions 1–3): the magic "\x93NUMPY", a version, the
// header's length (u16 in version 1, u32 after), an ASCII header that is a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (N, 784), }, then the array's bytes in C
// order. Host-neutral: parses bytes already read; writes what the tests and tools need.
import { DataError } from "./errors.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The dtypes dptrain reads: u8 and f32 samples, integer labels. */
export type NpyDtype = "u1" | "i1" | "u2" | "i2" | "u4" | "i4" | "u8" | "i8" | "f4" | "f8";

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** the elements in C order: a copy in this machine's byte order (a view for one-byte types) */
  data: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | BigUint64Array | BigInt64Array | Float32Array | Float64Array;
}

const ITEM_BYTES: Record<NpyDtype, number> = { u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 };

/** An .npy file's header, checked against the file's size: where its C-order data start. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  littleEndian: boolean;
  /** byte offset of the array's data */
  dataStart: number;
}

/** Parses an .npy file's bytes; every problem is one DataError naming the file. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const h = parseNpyHeader(bytes, file, bytes.length);
  const count = h.shape.reduce((a, b) => a * b, 1);
  return { dtype: h.dtype, shape: h.shape, data: elements(bytes.subarray(h.dataStart, h.dataStart + count * ITEM_BYTES[h.dtype]), h.dtype, count, h.littleEndian) };
}

/** The header from the file's first bytes (all of the header), checked against the whole file's size. */
export function parseNpyHeader(bytes: Uint8Array, file: string, fileSize: number): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DataError(file, "not a NumPy .npy file (it does not start with \\x93NUMPY)");
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new DataError(file, `.npy format version ${major}.${bytes[7]}: expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DataError(file, "truncated in its header");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw new DataError(file, fileSize < dataStart ? `truncated: the header says it is ${headerLength} bytes, the file ends before that` : `header of ${headerLength} bytes: too long to be an array's description`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(8 + lengthBytes, dataStart));
  const { descr, fortran, shape } = parseHeader(header, file);
  const little = descr[0] !== ">";
  const code = descr.slice(1);
  if (!(code in ITEM_BYTES)) throw new DataError(file, `dtype ${JSON.stringify(descr)}: expected uint8, float32 or an integer type`);
  const dtype = code as NpyDtype;
  if (fortran && shape.length > 1) throw new DataError(file, "fortran_order is True: save it in C order (numpy.ascontiguousarray) first");
  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * ITEM_BYTES[dtype];
  const have = fileSize - dataStart;
  if (have < need) throw new DataError(file, `truncated: shape (${shape.join(", ")}) of ${dtype} needs ${need} bytes of data, found ${have}`);
  if (have > need) throw new DataError(file, `${have - need} bytes after the array's ${need}: not one .npy array (an .npz or a concatenation?)`);
  return { dtype, shape, littleEndian: little || ITEM_BYTES[dtype] === 1, dataStart };
}

function parseHeader(header: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([<>|=][a-z]\d+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(file, `header ${JSON.stringify(header.trim().slice(0, 80))}: expected a dict with 'descr', 'fortran_order' and 'shape'`);
  }
  const parts = shapeText.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  const shape = parts.map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new DataError(file, `shape (${shapeText}): expected non-negative integers`);
  return { descr: descr[0] === "=" ? `<${descr.slice(1)}` : descr, fortran: fortran === "True", shape };
}

function elements(raw: Uint8Array, dtype: NpyDtype, count: number, little: boolean): NpyArray["data"] {
  if (dtype === "u1") return raw;
  if (dtype === "i1") return new Int8Array(raw.buffer, raw.byteOffset, count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = {
    u2: [Uint16Array, (i: number) => view.getUint16(i * 2, little)],
    i2: [Int16Array, (i: number) => view.getInt16(i * 2, little)],
    u4: [Uint32Array, (i: number) => view.getUint32(i * 4, little)],
    i4: [Int32Array, (i: number) => view.getInt32(i * 4, little)],
    u8: [BigUint64Array, (i: number) => view.getBigUint64(i * 8, little)],
    i8: [BigInt64Array, (i: number) => view.getBigInt64(i * 8, little)],
    f4: [Float32Array, (i: number) => view.getFloat32(i * 4, little)],
    f8: [Float64Array, (i: number) => view.getFloat64(i * 8, little)],
  } as const;
  const [Ctor, get] = read[dtype] as unknown as [new (n: number) => { [i: number]: number | bigint }, (i: number) => number | bigint];
  const out = new Ctor(count);
  for (let i = 0; i < count; i++) out[i] = get(i);
  return out as NpyArray["data"];
}

/** An .npy (version 1.0) of a u8, f32, f64, i32 or i64 array in C order, as numpy.save writes it. */
export function encodeNpy(data: Uint8Array | Float32Array | Float64Array | BigInt64Array | Int32Array, shape: number[]): Uint8Array {
  const descr = data instanceof Uint8Array ? "|u1" : data instanceof Float32Array ? "<f4" : data instanceof Float64Array ? "<f8" : data instanceof Int32Array ? "<i4" : "<i8";
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads the header with spaces and a newline so the data starts on a 64-byte boundary.
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Little-endian typed arrays (every host Node runs on) are already numpy's '<' layout.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
