// The pieces behind data.dataset csv, npy and images: the .npy reader, the holdout, the
// standardization, the resize, the class order, and multi-channel images reaching the model in
// PyTorch's (C, H, W) meaning.
import { describe, expect, it } from "vitest";
import { classOrder } from "../../src/data/own-data.js";
import { DataError } from "../../src/data/errors.js";
import { holdout } from "../../src/data/holdout.js";
import { encodeNpy, parseNpy } from "../../src/data/npy.js";
import { resizeBilinear } from "../../src/data/resize.js";
import { decodeImage, imageHeader } from "../../src/data/image-decode.js";
import { applyStandardization, fitStandardization } from "../../src/data/standardize.js";
import { specFromConfig } from "../../src/model/build.js";
import { modelInputFloats, readsChannelsLast } from "../../src/model/input-layout.js";
import { initParams } from "../../src/model/init.js";
import { predictLogits } from "../../src/model/predict.js";
import { paramLayout } from "../../src/model/spec.js";
import { parseConfigObject } from "../../src/config/load.js";
import { Rng } from "../../src/rng.js";

describe(".npy", () => {
  it("reads what numpy.save writes: u1, f4, i8, a big-endian i4, and version 2.0 headers", () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i / 3);
    expect(parseNpy(encodeNpy(x, [3, 4]), "x.npy")).toEqual({ dtype: "f4", shape: [3, 4], data: x });
    const u = parseNpy(encodeNpy(Uint8Array.of(1, 2, 3), [3]), "u.npy");
    expect([u.dtype, u.shape, Array.from(u.data as Uint8Array)]).toEqual(["u1", [3], [1, 2, 3]]);
    const big = encodeNpy(Int32Array.of(1, -2), [2]);
    const text = new TextDecoder("latin1").decode(big);
    const be = new Uint8Array(big.length);
    be.set(big);
    be.set(new TextEncoder().encode(text.slice(10, 10 + big[8]!).replace("<i4", ">i4")), 10);
    new DataView(be.buffer).setInt32(be.length - 8, 1, false);
    new DataView(be.buffer).setInt32(be.length - 4, -2, false);
    expect(Array.from(parseNpy(be, "be.npy").data as Int32Array)).toEqual([1, -2]);
    const v1 = encodeNpy(Uint8Array.of(7), [1]);
    const v2 = new Uint8Array(v1.length + 2);
    v2.set(v1.subarray(0, 8));
    v2[6] = 2;
    new DataView(v2.buffer).setUint32(8, v1[8]! | (v1[9]! << 8), true);
    v2.set(v1.subarray(10), 12);
    expect(parseNpy(v2, "v2.npy").shape).toEqual([1]);
  });

  it("refuses what it cannot read in one line naming the file", () => {
    const good = encodeNpy(new Uint8Array(8), [2, 4]);
    const bad = (bytes: Uint8Array) => () => parseNpy(bytes, "x.npy");
    expect(bad(good.subarray(0, good.length - 1))).toThrow("x.npy: truncated: shape (2, 4) of u1 needs 8 bytes of data, found 7");
    expect(bad(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))).toThrow("x.npy: not a NumPy .npy file");
    const withExtra = new Uint8Array(good.length + 3);
    withExtra.set(good);
    expect(bad(withExtra)).toThrow("3 bytes after the array's 8");
    const fortran = new TextDecoder("latin1").decode(good).replace("False", "True ");
    expect(bad(Uint8Array.from(fortran, (ch) => ch.charCodeAt(0)))).toThrow("fortran_order is True");
    const complex = new TextDecoder("latin1").decode(good).replace("|u1", "<c8");
    expect(bad(Uint8Array.from(complex, (ch) => ch.charCodeAt(0)))).toThrow('dtype "<c8"');
    expect(bad(good.subarray(0, 12))).toThrow("truncated: the header says");
  });
});

describe("data.validation as a fraction", () => {
  const N = 1000;
  const labels = Uint8Array.from({ length: N }, (_, i) => (i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2)); // 70/20/10
  const inputs = Float32Array.from({ length: N * 2 }, (_, i) => i);
  const train = { inputs, labels, count: N };

  it("holds out round(fraction · n) rows of each class, keeps file order in both parts, and depends only on the seed", () => {
    const a = holdout(train, 0.25, 3, 7, 2);
    expect(a.validation.count).toBe(175 + 50 + 25);
    const count = (s: { labels: Uint8Array }, c: number) => s.labels.filter((l) => l === c).length;
    expect([0, 1, 2].map((c) => count(a.validation, c))).toEqual([175, 50, 25]);
    expect(a.train.count + a.validation.count).toBe(N);
    // rows keep their order, and every row lands in exactly one part with its label
    const firsts = (s: { inputs: Uint8Array | Float32Array; count: number }) => Array.from({ length: s.count }, (_, i) => s.inputs[2 * i]! / 2);
    const all = [...firsts(a.train), ...firsts(a.validation)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(firsts(a.validation)).toEqual([...firsts(a.validation)].sort((x, y) => x - y));
    expect(a.validation.labels.every((l, i) => l === labels[firsts(a.validation)[i]!])).toBe(true);
    expect(holdout(train, 0.25, 3, 7, 2)).toEqual(a);
    expect(holdout(train, 0.25, 3, 8, 2).validation.inputs).not.toEqual(a.validation.inputs);
  });

  it("a fraction that holds out nothing is a one-line error naming data.validation", () => {
    expect(() => holdout({ inputs: new Float32Array(6), labels: Uint8Array.of(0, 1, 2), count: 3 }, 0.1, 3, 1, 2)).toThrow(DataError);
    expect(() => holdout({ inputs: new Float32Array(6), labels: Uint8Array.of(0, 1, 2), count: 3 }, 0.1, 3, 1, 2)).toThrow("data.validation: expected a fraction that holds out at least one row");
  });
});

describe("standardization and class order", () => {
  it("fits each feature's mean and population std on the given rows; a constant feature keeps scale 1", () => {
    const rows = Float32Array.of(1, 5, 10, 3, 5, 20, 5, 5, 30); // (3, 3)
    const s = fitStandardization(rows, 3);
    expect(s.mean).toEqual([3, 5, 20]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(s.std[1]).toBe(1);
    const out = applyStandardization(rows.slice(), s);
    expect(out[1]).toBe(0);
    expect(out[6]).toBe(Math.fround(Math.fround(5 - 3) / s.std[0]!));
  });

  it("numbers sort numerically, other labels by code point", () => {
    expect(classOrder(["10", "2", "1", "2"], "f")).toEqual(["1", "2", "10"]);
    expect(classOrder(["b", "B", "a"], "f")).toEqual(["B", "a", "b"]);
    expect(() => classOrder(["x", "x"], "f.csv")).toThrow("f.csv: one distinct label");
  });
});

describe("image headers (what data.stream and the size check read without decoding)", () => {
  it("PNG and JPEG: the decoded size, and gray for grayscale formats only", async () => {
    const { PNG } = await import("pngjs");
    const jpeg = (await import("jpeg-js")).default;
    const png = (colorType: 0 | 2 | 4 | 6) => {
      const p = new PNG({ width: 7, height: 5 });
      p.data.fill(90);
      return new Uint8Array(PNG.sync.write(p, { colorType }));
    };
    for (const [colorType, gray] of [[0, true], [4, true], [2, false], [6, false]] as const) {
      const bytes = png(colorType);
      expect(imageHeader(bytes, "a.png")).toEqual({ width: 7, height: 5, gray });
      expect(decodeImage(bytes, "a.png")).toMatchObject({ width: 7, height: 5 });
    }
    // jpeg-js writes APP0 and comment segments before the frame header; the scan skips them.
    const j = new Uint8Array(jpeg.encode({ data: Buffer.alloc(9 * 6 * 4, 120), width: 9, height: 6, comments: ["a comment before the frame"] }, 90).data);
    expect(imageHeader(j, "a.jpg")).toEqual({ width: 9, height: 6, gray: false });
    expect(() => imageHeader(j.subarray(0, 20), "cut.jpg")).toThrow("cut.jpg: JPEG without a frame header");
    expect(() => imageHeader(png(0).subarray(0, 20), "cut.png")).toThrow("cut.png: truncated PNG: no image header");
    const huge = png(0);
    new DataView(huge.buffer).setUint32(16, 100000, false);
    new DataView(huge.buffer).setUint32(20, 100000, false);
    expect(() => imageHeader(huge, "bomb.png")).toThrow("bomb.png: image size 100000x100000 is over 67108864 pixels");
  });
});

describe("resize (data.size)", () => {
  it("keeps a constant image constant, averages when halving, and is the identity at the same size", () => {
    const flat = new Uint8Array(6 * 4 * 3).fill(77);
    expect(Array.from(resizeBilinear(flat, 6, 4, 3, 3, 2))).toEqual(new Array(3 * 2 * 3).fill(77));
    const stripes = Uint8Array.from({ length: 4 * 4 }, (_, i) => (i % 2 ? 200 : 0)); // columns 0,200,0,200
    // Halving widens the triangle to 2 source pixels each side: output column 0 (centre 1.0)
    // weighs source columns 0, 1, 2 by 3/4, 3/4, 1/4 → 200 · 0.75 / 1.75 = 85.7; column 1
    // (centre 3.0) weighs 1, 2, 3 by 1/4, 3/4, 3/4 → 200 · 1 / 1.75 = 114.3.
    expect(Array.from(resizeBilinear(stripes, 4, 4, 1, 2, 2))).toEqual([86, 114, 86, 114]);
    expect(resizeBilinear(stripes, 4, 4, 1, 4, 4)).toBe(stripes);
    const up = resizeBilinear(Uint8Array.of(0, 100), 1, 2, 1, 1, 4);
    expect(Array.from(up)).toEqual([0, 25, 75, 100]);
  });
});

describe("images with C > 1 channels reach the model in PyTorch's (C, H, W) meaning", () => {
  const [C, H, W] = [3, 6, 5];
  const rng = new Rng(3);
  const B = 4;
  const images = Uint8Array.from({ length: B * C * H * W }, () => Math.floor(rng.nextFloat() * 256));
  const norm = { mean: 0.5, std: 0.25 };
  const x = (b: number, c: number, h: number, w: number) => (images[b * C * H * W + c * H * W + h * W + w]! / 255 - norm.mean) / norm.std;

  it("conv2d first (it reads channels last): logits equal a float64 (C, H, W) convolution with the (OC, C, KH, KW) weight", () => {
    const model = parseConfigObject({ model: { type: "sequential", layers: [{ type: "conv2d", out: 4, kernel: 3, padding: 1 }, { type: "relu" }, { type: "flatten" }, { type: "linear", out: 3 }] } }, "t").model;
    const spec = specFromConfig(model, C * H * W, 3, [C, H, W]);
    expect(readsChannelsLast(spec)).toBe(true);
    const params = new Float32Array(paramLayout(spec).nParams);
    initParams(params, spec, 9);
    const at = (name: string) => { const e = paramLayout(spec).entries.find((p) => p.name === name)!; return params.subarray(e.offset, e.offset + e.size); };
    const [cw, cb, fw, fb] = [at("conv1.weight"), at("conv1.bias"), at("fc1.weight"), at("fc1.bias")];
    const logits = predictLogits(spec, params, modelInputFloats(images, spec, norm), B);
    for (let b = 0; b < B; b++) {
      const act: number[] = []; // (OC, H, W) flattened as PyTorch does
      for (let o = 0; o < 4; o++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
        let s = cb[o]!;
        for (let c = 0; c < C; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const [hh, ww] = [h + i - 1, w + j - 1];
          if (hh >= 0 && hh < H && ww >= 0 && ww < W) s += cw[((o * C + c) * 3 + i) * 3 + j]! * x(b, c, hh, ww);
        }
        act.push(Math.max(0, s));
      }
      for (let k = 0; k < 3; k++) {
        const want = act.reduce((s, a, i) => s + a * fw[k * act.length + i]!, fb[k]!);
        expect(logits[b * 3 + k]).toBeCloseTo(want, 4);
      }
    }
  });

  it("linear first (after flatten): the features in (C, H, W) order, as torch.flatten gives them", () => {
    const model = parseConfigObject({ model: { type: "sequential", layers: [{ type: "flatten" }, { type: "linear", out: 3 }] } }, "t").model;
    const spec = specFromConfig(model, C * H * W, 3, [C, H, W]);
    expect(readsChannelsLast(spec)).toBe(false);
    expect(spec.layers.map((l) => l.kind)).toEqual(["dense"]);
    const params = new Float32Array(paramLayout(spec).nParams);
    initParams(params, spec, 4);
    const logits = predictLogits(spec, params, modelInputFloats(images, spec, norm), B);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < 3; k++) {
        let want = params[paramLayout(spec).entries[1]!.offset + k]!;
        for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) want += params[k * C * H * W + (c * H + h) * W + w]! * x(b, c, h, w);
        expect(logits[b * 3 + k]).toBeCloseTo(want, 4);
      }
    }
  });
});
