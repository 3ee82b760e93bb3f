// Small hostile files cannot make dptrain allocate much: a safetensors file whose entries all
// claim the same bytes, and an IDX .gz that declares 60,000 images but expands to 10 GB. Each is
// refused in one line, quickly, with the process growing by far less than the file pretends.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readIdx } from "../../src/data/idx.js";
import { decodeSafetensors, MAX_TENSORS } from "../../src/io/safetensors.js";
import { writeTinyIdxSet } from "../fixtures/idx-fixtures.js";
import { runCli } from "../cli/run-cli.js";

const tmp = () => mkdtempSync(join(tmpdir(), "dptrain-bounded-"));
const MB = 1024 * 1024;

/** About 1 MB: `entries` tensors of 75,000 floats, every one at data_offsets [0, 300000]. */
function overlappingSafetensors(entries: number): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: "dptrain-model", model: '{"type":"softmax"}', inputs: "784", classes: "10" } };
  for (let i = 0; i < entries; i++) header[`t${i}`] = { dtype: "F32", shape: [75_000], data_offsets: [0, 300_000] };
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + 300_000);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** An IDX images .gz whose header declares 60,000 28×28 images (47 MB) and whose data run on to 10 GB of zeros. */
function idxGzipBomb(): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(60_000, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const zeros = gzipSync(Buffer.alloc(64 * MB), { level: 1 });
  // gzip members concatenate: gunzip reads them as one stream, 16 bytes + 160 × 64 MB.
  return Buffer.concat([gzipSync(header), ...Array.from({ length: 160 }, () => zeros)]);
}

function rssGrowth(run: () => unknown): number {
  const before = process.memoryUsage().rss;
  run();
  return process.memoryUsage().rss - before;
}

describe("bounded inputs", () => {
  it("safetensors: 10,000 entries over the same bytes are refused before any tensor is copied", () => {
    const bytes = overlappingSafetensors(10_000);
    expect(bytes.length).toBeLessThan(1.2 * MB);
    let message = "";
    const t0 = performance.now();
    const grew = rssGrowth(() => {
      try {
        decodeSafetensors(bytes, "crafted.safetensors");
      } catch (err) {
        message = (err as Error).message;
      }
    });
    expect(message).toMatch(/^crafted\.safetensors: t\d+: data overlaps another tensor at byte 0$/);
    expect(grew).toBeLessThan(256 * MB); // copying first cost 10,000 × 300 KB = 3 GB
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("safetensors: more entries than a file may hold, and a header over its limit, are one-line errors", () => {
    expect(() => decodeSafetensors(overlappingSafetensors(MAX_TENSORS + 1), "many.safetensors")).toThrow(/^many\.safetensors: the header lists 65537 tensors, more than the 65536 a file may hold$/);
    const huge = new Uint8Array(8 + 17 * MB);
    new DataView(huge.buffer).setBigUint64(0, BigInt(17 * MB), true);
    expect(() => decodeSafetensors(huge, "big.safetensors")).toThrow(/^big\.safetensors: the header is 17825792 bytes, over the 16777216-byte limit$/);
  });

  it("eval, predict and export of the crafted file: exit 2 in one line", async () => {
    const file = join(tmp(), "crafted.safetensors");
    writeFileSync(file, overlappingSafetensors(10_000));
    for (const args of [["eval", "--model", file], ["predict", "--model", file, "--index", "0"], ["export", file]]) {
      const r = await runCli(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr.trim().split("\n"), args[0]).toHaveLength(1);
      expect(r.stderr, args[0]).toMatch(/data overlaps another tensor/);
    }
  });

  it("IDX .gz: a header declaring 60,000 images over 10 GB of data stops at the declared size", async () => {
    const dir = tmp();
    const file = join(dir, "train-images-idx3-ubyte.gz");
    writeFileSync(file, idxGzipBomb());
    const t0 = performance.now();
    const before = process.memoryUsage().rss;
    await expect(readIdx(file, "images")).rejects.toThrow(/train-images-idx3-ubyte\.gz: decompresses to more than the 47040016 bytes its IDX header declares/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * MB);
    expect(performance.now() - t0).toBeLessThan(10_000);
  }, 60_000);

  it("IDX .gz bomb through the CLI: exit 2 in one line, no run directory", async () => {
    const dir = writeTinyIdxSet({ gzip: true, side: 28 });
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), idxGzipBomb());
    const out = join(tmp(), "run");
    const r = await runCli(["train", "-c", "configs/mnist-softmax.yaml", "--set", "data.dataset=idx", "--set", `data.dir=${dir}`, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/decompresses to more than the 47040016 bytes its IDX header declares/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
