// safetensors (https://github.com/huggingface/safetensors), F32 only:
//   [8 bytes] N, u64 little-endian
//   [N bytes] JSON header: { "<name>": { "dtype": "F32", "shape": [...], "data_offsets": [begin, end] }, …,
//                            "__metadata__": { "<key>": "<string>" } }   (padded with spaces to 8 bytes)
//   [rest]    tensor bytes; offsets are relative to the end of the header.
// The reader trusts nothing: every length, offset, dtype and shape is checked against the file.

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "SafetensorsError";
  }
}

/** Caps that keep a small hostile file from costing much: a dptrain checkpoint's header is a few
 * KB and holds up to a few hundred tensors; its metadata holds a config of a few KB. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
export const MAX_TENSORS = 65_536;

export function encodeSafetensors(tensors: [string, Tensor][], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`safetensors: ${name}: shape [${t.shape}] has ${count} values, data has ${t.data.length}`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  // The header is padded with spaces to a multiple of 8 bytes (TextEncoder: a page has no Buffer).
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of tensors) {
    // Copy through a byte view: little-endian on every platform Node runs on.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new SafetensorsError(file, problem);
  };
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n === 0n || n > BigInt(bytes.length - 8)) fail(`not a safetensors file: header length ${n} does not fit in the file (${bytes.length} bytes)`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`the header is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    fail("not a safetensors file: the header is not valid UTF-8 JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("not a safetensors file: the header is not a JSON object");
  const dataStart = 8 + headerLen;
  const dataBytes = bytes.length - dataStart;
  const entries = Object.entries(header as Record<string, unknown>);
  const nTensors = entries.length - ("__metadata__" in (header as object) ? 1 : 0);
  if (nTensors > MAX_TENSORS) fail(`the header lists ${nTensors} tensors, more than the ${MAX_TENSORS} a file may hold`);
  // Everything is checked before anything is allocated: each entry's dtype, shape and span, then
  // that the spans tile the data exactly (no overlap, no hole). Only then are tensors copied, so
  // a file that lies costs at most its own size.
  let metadata: Record<string, string> = {};
  const spans: { begin: number; end: number; name: string; shape: number[] }[] = [];
  for (const [name, value] of entries) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) {
        fail("__metadata__: expected an object of strings");
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== "object" || info === null) fail(`${name}: expected a tensor description, found ${JSON.stringify(value)}`);
    if (info.dtype !== "F32") fail(`${name}: dtype ${JSON.stringify(info.dtype)} is not supported: expected "F32"`);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.length > 8 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`${name}: shape must be a list of up to 8 non-negative integers, found ${JSON.stringify(shape)}`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`${name}: data_offsets must be [begin, end], found ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataBytes) fail(`${name}: data_offsets [${begin}, ${end}] lie outside the ${dataBytes} data bytes`);
    if (end - begin !== count * 4) fail(`${name}: data_offsets span ${end - begin} bytes but shape [${shape}] of F32 needs ${count * 4}`);
    spans.push({ begin, end, name, shape: shape as number[] });
  }
  const ordered = [...spans].sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const { begin, end, name } of ordered) {
    if (begin !== cursor) fail(begin < cursor ? `${name}: data overlaps another tensor at byte ${begin}` : `${name}: hole in the data before byte ${begin}`);
    cursor = end;
  }
  if (cursor !== dataBytes) fail(`the tensors cover ${cursor} data bytes but the file has ${dataBytes}`);
  const tensors = new Map<string, Tensor>();
  for (const { begin, end, name, shape } of spans) {
    // Copy out: the file's tensor bytes are not 4-byte aligned in general.
    const data = new Float32Array((end - begin) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
