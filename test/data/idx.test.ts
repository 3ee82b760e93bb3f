import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { encodeIdx, readIdx } from "../../src/data/idx.js";
import { loadIdxSet } from "../../src/data/dataset.js";
import { findStandardFiles } from "../../src/data/sources.js";
import { writeFile, writeTinyIdxSet } from "../fixtures/idx-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "dptrain-idx-bad-"));
const images = (n: number, r = 2, c = 2) => encodeIdx("images", [n, r, c], new Uint8Array(n * r * c).fill(7));

describe("readIdx", () => {
  it("reads raw and gzipped files identically", async () => {
    const raw = writeFile(dir, "ok-raw", images(3));
    const gz = writeFile(dir, "ok.gz", gzipSync(images(3)));
    const a = await readIdx(raw, "images");
    const b = await readIdx(gz, "images");
    expect(a.dims).toEqual([3, 2, 2]);
    expect(b.dims).toEqual([3, 2, 2]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it("bad magic number", async () => {
    const f = writeFile(dir, "bad-magic", encodeIdx("labels", [3], new Uint8Array(3)));
    await expect(readIdx(f, "images")).rejects.toThrow(`${f}: bad magic number: expected 0x00000803 (IDX images), found 0x00000801`);
  });

  it("wrong dimensions (0 columns)", async () => {
    const f = writeFile(dir, "zero-dim", encodeIdx("images", [3, 2, 0], new Uint8Array(0)));
    await expect(readIdx(f, "images")).rejects.toThrow(`${f}: bad image dimensions 2x0: expected both > 0`);
  });

  it("short file (truncated data)", async () => {
    const f = writeFile(dir, "short", images(3).subarray(0, 20));
    await expect(readIdx(f, "images")).rejects.toThrow(`${f}: truncated: header says 3x2x2 (28 bytes in all), file has 20 bytes`);
  });

  it("short file (truncated header)", async () => {
    const f = writeFile(dir, "short-header", images(3).subarray(0, 10));
    await expect(readIdx(f, "images")).rejects.toThrow(`${f}: file is 10 bytes, too short for a 3-dim IDX header (16 bytes)`);
  });

  it("trailing bytes", async () => {
    const bytes = new Uint8Array(30);
    bytes.set(images(3));
    const f = writeFile(dir, "long", bytes);
    await expect(readIdx(f, "images")).rejects.toThrow(`${f}: has trailing bytes: header says 3x2x2 (28 bytes in all), file has 30 bytes`);
  });

  it("corrupt gzip stream", async () => {
    const gz = gzipSync(images(3));
    const f = writeFile(dir, "corrupt.gz", gz.subarray(0, gz.length - 12));
    await expect(readIdx(f, "images")).rejects.toThrow(new RegExp(`^${f}: corrupt gzip stream`));
  });

  it("missing file", async () => {
    await expect(readIdx(join(dir, "nope"), "labels")).rejects.toThrow(`${join(dir, "nope")}: file not found`);
  });
});

describe("loadIdxSet", () => {
  it("loads a valid set (gzipped) and checks it as a whole", async () => {
    const set = writeTinyIdxSet({ gzip: true });
    const data = await loadIdxSet("tiny", findStandardFiles(set, "test"));
    expect([data.inputShape, data.train.count, data.test!.count]).toEqual([[1, 4, 4], 20, 10]);
    expect(data.train.labels[13]).toBe(3);
  });

  it("label/image count mismatch", async () => {
    const set = writeTinyIdxSet();
    const f = writeFile(set, "train-labels-idx1-ubyte", encodeIdx("labels", [19], new Uint8Array(19)));
    await expect(loadIdxSet("tiny", findStandardFiles(set, "test"))).rejects.toThrow(
      `${f}: label count 19 does not match image count 20 in ${join(set, "train-images-idx3-ubyte")}`,
    );
  });

  it("label ≥ number of classes", async () => {
    const set = writeTinyIdxSet();
    const labels = new Uint8Array(10);
    labels[4] = 10;
    const f = writeFile(set, "t10k-labels-idx1-ubyte", encodeIdx("labels", [10], labels));
    await expect(loadIdxSet("tiny", findStandardFiles(set, "test"))).rejects.toThrow(`${f}: label 10 at index 4 is out of range: expected 0..9`);
  });

  it("train and test image sizes differ", async () => {
    const set = writeTinyIdxSet();
    const f = writeFile(set, "t10k-images-idx3-ubyte", encodeIdx("images", [10, 5, 5], new Uint8Array(250)));
    await expect(loadIdxSet("tiny", findStandardFiles(set, "test"))).rejects.toThrow(`${f}: image size 5x5 differs from the training images' 4x4`);
  });

  it("a missing file in the set names the path", () => {
    const empty = mkdtempSync(join(tmpdir(), "dptrain-empty-"));
    expect(() => findStandardFiles(empty, "data.dir")).toThrow(`${join(empty, "train-images-idx3-ubyte")}: missing (looked for it and train-images-idx3-ubyte.gz in data.dir)`);
  });
});
