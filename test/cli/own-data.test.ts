// The user's own data (data.dataset csv, npy, images), end to end through the CLI: the same data
// through every loader gives the same bits, a real tabular run, early stopping with resume, and
// hostile inputs (exit 2, one line naming file:line or key, no run directory left behind).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/run/checkpoint.js";
import { encodeNpy } from "../../src/data/npy.js";
import { Rng } from "../../src/rng.js";
import { fashionPart, TABULAR_CLASSES, tmp, writeIdxPart, writeNpyPair, writePixelCsv, writePngFolders, writeRuleCsv } from "../fixtures/own-data-fixtures.js";
import { runCli } from "./run-cli.js";

const model = (run: string) => readFileSync(join(run, "model.safetensors"));
/** The tensors of a safetensors file, without its metadata: the bytes after the header. */
const tensorBytes = (file: string) => {
  const bytes = readFileSync(file);
  return bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
};
const metrics = (run: string) => readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number | null>);

/** A config in `dir` (so relative paths resolve there) with a small MLP; data: the data section's lines. */
function config(dir: string, name: string, data: string, extra = ""): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nseed: 5\ndata:\n${data}model:\n  hidden: [32]\ntrain:\n  epochs: 2\n  batchSize: 32\noptim:\n  lr: 0.05\n  momentum: 0.9\nengine:\n  workers: 2\n${extra}`);
  return file;
}

const NORMALIZE = "  normalize: { mean: 0.2860, std: 0.3530 }\n";

describe("the same data through every loader gives the same bits", () => {
  it("X.npy/y.npy in the IDX order = the IDX files; PNG folders = an .npy pair in the folders' reading order; a CSV of the pixels = the same weights", async () => {
    const part = await fashionPart(600, 200);
    const dir = tmp();
    const idx = writeIdxPart(part);
    writeNpyPair(join(dir, "npy-train"), part.train.images, part.train.labels);
    writeNpyPair(join(dir, "npy-test"), part.test.images, part.test.labels);
    const run = async (name: string, data: string) => {
      const r = await runCli(["train", "-c", config(dir, name, data), "--out", join(dir, name)]);
      expect(r.code, r.stderr).toBe(0);
      return join(dir, name);
    };
    const byIdx = await run("idx", `  dataset: idx\n  dir: ${idx}\n${NORMALIZE}`);
    // relative paths: against the config file's folder
    const byNpy = await run("npy", `  dataset: npy\n  train: npy-train\n  test: npy-test\n${NORMALIZE}`);
    expect(model(byNpy).equals(model(byIdx))).toBe(true);
    expect(readFileSync(join(byNpy, "metrics.jsonl"), "utf8").replace(/"samples_per_s":[^,]+,"seconds":[^,]+,"kernel_fraction":[^,}]+/g, "")).toBe(
      readFileSync(join(byIdx, "metrics.jsonl"), "utf8").replace(/"samples_per_s":[^,]+,"seconds":[^,]+,"kernel_fraction":[^,}]+/g, ""),
    );

    const train = writePngFolders(join(dir, "png-train"), part.train.images, part.train.labels);
    const test = writePngFolders(join(dir, "png-test"), part.test.images, part.test.labels);
    writeNpyPair(join(dir, "npy-read-train"), train.images, train.labels);
    writeNpyPair(join(dir, "npy-read-test"), test.images, test.labels);
    const byPng = await run("png", `  dataset: images\n  train: png-train\n  test: png-test\n${NORMALIZE}`);
    const byReadOrder = await run("npy-read", `  dataset: npy\n  train: npy-read-train\n  test: npy-read-test\n${NORMALIZE}`);
    expect(model(byPng).equals(model(byReadOrder))).toBe(true);
    expect(model(byPng).equals(model(byIdx))).toBe(false); // another row order, other weights: the check can fail

    // Pixel columns holding v / 255 as f32, without standardization: the inputs the u8 path
    // gathers with mean 0, std 1, so the weights match a plain IDX run's (the metadata differs:
    // the CSV model's inputs are f32 features).
    writePixelCsv(join(dir, "train.csv"), part.train.images, part.train.labels);
    writePixelCsv(join(dir, "test.csv"), part.test.images, part.test.labels);
    const byCsv = await run("csv", "  dataset: csv\n  train: train.csv\n  test: test.csv\n  label: label\n  standardize: false\n");
    const plainIdx = await run("idx-plain", `  dataset: idx\n  dir: ${idx}\n`);
    expect(tensorBytes(join(byCsv, "model.safetensors")).equals(tensorBytes(join(plainIdx, "model.safetensors")))).toBe(true);
    expect(readSafetensors(join(byCsv, "model.safetensors")).metadata.input_type).toBe("f32");
  }, 240_000);
});

describe("data.stream: the training rows through a ring of batches", () => {
  it("streamed from the file equals in memory, bit for bit: an .npy pair (with a held-out fraction and augmentation) on 1 and 3 workers, a PNG folder, a standardized CSV", async () => {
    const part = await fashionPart(500, 100);
    const dir = tmp();
    writeNpyPair(join(dir, "train"), part.train.images, part.train.labels);
    writeNpyPair(join(dir, "test"), part.test.images, part.test.labels);
    const npy = `  dataset: npy\n  train: train\n  test: test\n  validation: 0.1\n  augment: { shift: 2, flip: true }\n${NORMALIZE}`;
    const run = async (name: string, data: string, sets: string[]) => {
      const r = await runCli(["train", "-c", config(dir, name, data), ...sets.flatMap((s) => ["--set", s]), "--out", join(dir, name)]);
      expect(r.code, r.stderr).toBe(0);
      return join(dir, name);
    };
    const memory = await run("npy-memory", npy, ["data.stream=false"]);
    for (const workers of [1, 3]) {
      const streamed = await run(`npy-stream-${workers}`, npy, ["data.stream=true", `engine.workers=${workers}`]);
      expect(model(streamed).equals(model(memory)), `${workers} workers`).toBe(true);
    }
    // An image folder streams from its files, each batch decoded as it is read.
    writePngFolders(join(dir, "png-train"), part.train.images, part.train.labels);
    writePngFolders(join(dir, "png-test"), part.test.images, part.test.labels);
    const images = `  dataset: images\n  train: png-train\n  test: png-test\n  validation: 0.1\n${NORMALIZE}`;
    const imagesMemory = await run("png-memory", images, ["data.stream=false"]);
    const imagesStreamed = await run("png-stream", images, ["data.stream=true"]);
    expect(model(imagesStreamed).equals(model(imagesMemory))).toBe(true);
    writeRuleCsv(join(dir, "rule.csv"), 600, 4);
    const csv = "  dataset: csv\n  train: rule.csv\n  label: kind\n  validation: 0.2\n";
    const csvMemory = await run("csv-memory", csv, []);
    const csvStreamed = await run("csv-stream", csv, ["data.stream=true"]);
    expect(model(csvStreamed).equals(model(csvMemory))).toBe(true);
    expect(readSafetensors(join(csvStreamed, "model.safetensors")).metadata.standardize).toBe(readSafetensors(join(csvMemory, "model.safetensors")).metadata.standardize);
  }, 240_000);
});

describe("a tabular CSV with a known rule", () => {
  it("reaches the accuracy the rule allows; validation metrics, class names and standardization travel with the model; eval and predict --csv agree", async () => {
    const dir = tmp();
    writeRuleCsv(join(dir, "train.csv"), 4000, 1);
    writeRuleCsv(join(dir, "test.csv"), 1000, 2);
    const file = config(dir, "rule", "  dataset: csv\n  train: train.csv\n  test: test.csv\n  label: kind\n  validation: 0.2\n", "");
    const r = await runCli(["train", "-c", file, "--set", "train.epochs=12", "--set", "optim={ type: adam, lr: 0.01 }", "--out", join(dir, "run")]);
    expect(r.code, r.stderr).toBe(0);
    const m = metrics(join(dir, "run"));
    const last = m[m.length - 1]!;
    // The labels are a linear function of the features: nothing but the model's fit limits it.
    expect(last.test_acc).toBeGreaterThanOrEqual(0.93);
    expect(last.val_acc).toBeGreaterThanOrEqual(0.9);
    expect(m.every((e) => typeof e.val_loss === "number")).toBe(true);
    const meta = readSafetensors(join(dir, "run", "model.safetensors")).metadata;
    expect(JSON.parse(meta.class_names!)).toEqual(TABULAR_CLASSES);
    const stats = JSON.parse(meta.standardize!) as { mean: number[]; std: number[] };
    expect(stats.std).toHaveLength(20);
    // feature f is uniform on ±10^((f mod 6) − 2): its standard deviation is 10^… / √3, from the training rows alone
    expect(stats.std[5]! / (1000 / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(readFileSync(join(dir, "run", "report.html"), "utf8")).toContain("val acc");
    const ev = await runCli(["eval", "--model", join(dir, "run", "model.safetensors"), "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).test_acc).toBeCloseTo(last.test_acc!, 12);
    const pr = await runCli(["predict", "--model", join(dir, "run", "model.safetensors"), "--csv", join(dir, "test.csv"), "--json"]);
    expect(pr.code, pr.stderr).toBe(0);
    const preds = JSON.parse(pr.stdout) as { label: string; predicted: string }[];
    expect(preds).toHaveLength(1000);
    expect(preds.filter((p) => p.label === p.predicted).length / 1000).toBeCloseTo(last.test_acc!, 12);
  }, 180_000);
});

describe("train.earlyStop", () => {
  it("keeps the best epoch's weights, stops after patience epochs without improvement, and a resume after an interrupt continues its counters bit for bit", async () => {
    const dir = tmp();
    writeRuleCsv(join(dir, "train.csv"), 1500, 3);
    const data = "  dataset: csv\n  train: train.csv\n  label: kind\n  validation: 0.3\n";
    const file = config(dir, "es", data, "");
    const withEarly = (epochs: number) => ["-c", file, "--set", `train.epochs=${epochs}`, "--set", `train.earlyStop={ metric: val_loss, patience: 2, minDelta: 0.01 }`];
    const full = await runCli(["train", ...withEarly(40), "--out", join(dir, "full")]);
    expect(full.code, full.stderr).toBe(0);
    const best = JSON.parse(readSafetensors(join(dir, "full", "model.safetensors")).metadata.best_epoch!) as { epoch: number; metric: string; value: number };
    const m = metrics(join(dir, "full"));
    expect(m.length).toBeLessThan(40); // it stopped early…
    expect(m.length).toBe(best.epoch + 2); // …two epochs after the best one
    expect(best.value).toBe(Math.min(...m.slice(0, best.epoch).map((e) => e.val_loss!)));
    expect(full.stdout).toContain(`best epoch ${best.epoch}`);
    // model.safetensors holds the best epoch's weights: a run of exactly that many epochs ends with them.
    const short = await runCli(["train", "-c", file, "--set", `train.epochs=${best.epoch}`, "--out", join(dir, "short")]);
    expect(short.code, short.stderr).toBe(0);
    expect(tensorBytes(join(dir, "full", "model.safetensors")).equals(tensorBytes(join(dir, "short", "model.safetensors")))).toBe(true);
    // Interrupted after the second epoch, then resumed: the same files as the uninterrupted run.
    let sent = false;
    const cut = await runCli(["train", ...withEarly(40), "--out", join(dir, "cut")], {
      onStdout: (text, kill) => {
        if (!sent && text.includes("Epoch 2/40")) {
          sent = true;
          kill("SIGINT");
        }
      },
    });
    expect(cut.code).toBe(130);
    expect(readSafetensors(join(dir, "cut", "checkpoint.safetensors")).metadata.early_stop).toBeDefined();
    const resumed = await runCli(["train", "--resume", join(dir, "cut")]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(model(join(dir, "cut")).equals(model(join(dir, "full")))).toBe(true);
    expect(readFileSync(join(dir, "cut", "checkpoint.safetensors")).equals(readFileSync(join(dir, "full", "checkpoint.safetensors")))).toBe(true);
  }, 240_000);
});

describe("image folders of RGB PNGs and JPEGs, resized; predict on image files and on an .npy", () => {
  it("trains a CNN on 3-channel images (data.size, data.augment), and predict --image / --npy give the model's classes", async () => {
    const { PNG } = await import("pngjs");
    const jpeg = (await import("jpeg-js")).default;
    const dir = tmp();
    const rng = new Rng(11);
    const names = ["blue", "green", "red"];
    /** 12×12 RGB: noise, with the class's channel bright in a random 5×5 patch */
    const image = (c: number) => {
      const data = Buffer.alloc(12 * 12 * 4);
      const [y0, x0] = [rng.nextInt(7), rng.nextInt(7)];
      for (let p = 0; p < 144; p++) {
        const [y, x] = [Math.floor(p / 12), p % 12];
        for (let ch = 0; ch < 3; ch++) data[4 * p + ch] = rng.nextInt(90) + (ch === 2 - c && y >= y0 && y < y0 + 5 && x >= x0 && x < x0 + 5 ? 150 : 0);
        data[4 * p + 3] = 255;
      }
      return data;
    };
    for (const split of ["train", "test"]) {
      names.forEach((name, c) => {
        mkdirSync(join(dir, split, name), { recursive: true });
        for (let i = 0; i < (split === "train" ? 60 : 15); i++) {
          const data = image(c);
          if (i % 10 === 9) writeFileSync(join(dir, split, name, `${i}.jpg`), jpeg.encode({ data, width: 12, height: 12 }, 95).data);
          else {
            const png = new PNG({ width: 12, height: 12 });
            data.copy(png.data);
            writeFileSync(join(dir, split, name, `${i}.png`), PNG.sync.write(png));
          }
        }
      });
    }
    const layers = "  type: sequential\n  layers:\n    - { type: conv2d, out: 8, kernel: 3, padding: 1 }\n    - { type: relu }\n    - { type: maxpool2d, kernel: 2 }\n    - { type: flatten }\n    - { type: linear, out: 3 }\n";
    const file = join(dir, "rgb.yaml");
    writeFileSync(file, `name: rgb\ndata:\n  dataset: images\n  train: train\n  test: test\n  size: [8, 8]\n  augment: { flip: true }\n  normalize: { mean: 0.3, std: 0.3 }\nmodel:\n${layers}train:\n  epochs: 12\n  batchSize: 16\noptim:\n  lr: 0.05\n  momentum: 0.9\n`);
    const r = await runCli(["train", "-c", file, "--out", join(dir, "run")]);
    expect(r.code, r.stderr).toBe(0);
    const m = metrics(join(dir, "run"));
    expect(m[m.length - 1]!.test_acc).toBeGreaterThanOrEqual(0.85);
    const meta = readSafetensors(join(dir, "run", "model.safetensors")).metadata;
    expect(JSON.parse(meta.input_shape!)).toEqual([3, 8, 8]);
    expect(JSON.parse(meta.class_names!)).toEqual(names);
    const modelFile = join(dir, "run", "model.safetensors");
    const files = names.map((name) => join(dir, "test", name, "0.png"));
    const byImage = await runCli(["predict", "--model", modelFile, ...files.flatMap((f) => ["--image", f]), "--json"]);
    expect(byImage.code, byImage.stderr).toBe(0);
    const predicted = (JSON.parse(byImage.stdout) as { input: string; predicted: string }[]).map((p) => p.predicted);
    expect(predicted.filter((p, i) => p === names[i]).length).toBeGreaterThanOrEqual(2);
    // The same three images as an .npy (N, C, H, W) of the model's size: the same probabilities
    // as --image, which resizes each 12×12 file to 8×8 as training did.
    const { decodeImage } = await import("../../src/data/image-decode.js");
    const { resizeBilinear } = await import("../../src/data/resize.js");
    const X = new Uint8Array(3 * 3 * 64);
    files.forEach((f, n) => {
      const img = decodeImage(readFileSync(f), f);
      const small = resizeBilinear(img.rgb, 12, 12, 3, 8, 8);
      for (let c = 0; c < 3; c++) for (let p = 0; p < 64; p++) X[n * 192 + c * 64 + p] = small[3 * p + c]!;
    });
    writeFileSync(join(dir, "X.npy"), encodeNpy(X, [3, 3, 8, 8]));
    const byNpy = await runCli(["predict", "--model", modelFile, "--npy", join(dir, "X.npy"), "--json"]);
    expect(byNpy.code, byNpy.stderr).toBe(0);
    const probs = (out: string) => (JSON.parse(out) as { probability: number; predicted: string }[]).map((p) => [p.predicted, p.probability.toFixed(6)]);
    expect(probs(byNpy.stdout)).toEqual(probs(byImage.stdout));
    const wrong = await runCli(["predict", "--model", modelFile, "--npy", join(dir, "train", "blue", "0.png")]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/0\.png: not a NumPy \.npy file/);
  }, 180_000);
});

describe("hostile inputs: exit 2, one line naming the file:line or key, no run directory", () => {
  const dir = tmp();
  const rows = (n: number, bad?: (r: number) => string | null) => ["a,b,label", ...Array.from({ length: n }, (_, r) => bad?.(r) ?? `${r % 7},${(r * 3) % 5},${r % 2 ? "yes" : "no"}`)].join("\n");
  const png = (side: number, v: number) => {
    // a real grayscale PNG through pngjs, as a user's tool would write it
    return import("pngjs").then(({ PNG }) => {
      const p = new PNG({ width: side, height: side, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      p.data = Buffer.alloc(side * side, v);
      return PNG.sync.write(p, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
    });
  };
  const expectRefused = async (name: string, data: string, message: string | RegExp) => {
    const out = join(dir, `run-${name}`);
    const r = await runCli(["train", "-c", config(dir, name, data), "--out", out]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    if (typeof message === "string") expect(r.stderr).toContain(message);
    else expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  };

  it("a ragged CSV, a text cell, an unknown test label, a missing label column", async () => {
    writeFileSync(join(dir, "ragged.csv"), rows(20, (r) => (r === 6 ? "1,2" : null)));
    await expectRefused("ragged", "  dataset: csv\n  train: ragged.csv\n", `${join(dir, "ragged.csv")}:8: expected 3 fields (as the header has), found 2`);
    writeFileSync(join(dir, "text.csv"), rows(20, (r) => (r === 3 ? "1,abc,no" : null)));
    await expectRefused("text", "  dataset: csv\n  train: text.csv\n", `${join(dir, "text.csv")}:5:2: column "b": expected a finite number, found "abc"`);
    writeFileSync(join(dir, "ok.csv"), rows(20));
    writeFileSync(join(dir, "odd-test.csv"), rows(5, (r) => (r === 2 ? "1,1,maybe" : null)));
    await expectRefused("odd-test", "  dataset: csv\n  train: ok.csv\n  test: odd-test.csv\n", `${join(dir, "odd-test.csv")}:4:3: label "maybe": expected one of the training file's classes ("no", "yes")`);
    await expectRefused("no-col", "  dataset: csv\n  train: ok.csv\n  label: species\n", `data.label: expected one of ${join(dir, "ok.csv")}'s columns (a, b, label), found "species"`);
  });

  it("a truncated .npy, an .npy of the wrong dtype, labels out of range, a length mismatch", async () => {
    const X = encodeNpy(new Uint8Array(10 * 16).fill(3), [10, 4, 4]);
    const y = encodeNpy(new Int32Array(10).map((_, i) => i % 3), [10]);
    const pair = (name: string, x: Uint8Array, labels: Uint8Array) => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, "X.npy"), x);
      writeFileSync(join(dir, name, "y.npy"), labels);
    };
    pair("truncated", X.subarray(0, X.length - 7), y);
    await expectRefused("truncated", "  dataset: npy\n  train: truncated\n", `${join(dir, "truncated", "X.npy")}: truncated: shape (10, 4, 4) of u1 needs 160 bytes of data, found 153`);
    pair("f64", encodeNpy(new Float64Array(10 * 16), [10, 16]), y);
    await expectRefused("f64", "  dataset: npy\n  train: f64\n", `${join(dir, "f64", "X.npy")}: dtype f8: expected uint8 (pixels) or float32 (features)`);
    pair("range", X, encodeNpy(new Int32Array(10).map((_, i) => (i === 4 ? 300 : i % 3)), [10]));
    await expectRefused("range", "  dataset: npy\n  train: range\n", `${join(dir, "range", "y.npy")}: label 300 at index 4 is out of range: expected 0..255`);
    pair("short-y", X, encodeNpy(new Int32Array(9), [9]));
    await expectRefused("short-y", "  dataset: npy\n  train: short-y\n", `${join(dir, "short-y", "y.npy")}: 9 labels, but X.npy has 10 rows`);
  });

  it("a PNG that is not a PNG, images of mixed sizes, a class folder with no images", async () => {
    const folder = (name: string, files: Record<string, Uint8Array | string>) => {
      for (const [path, bytes] of Object.entries(files)) {
        mkdirSync(join(dir, name, path, ".."), { recursive: true });
        writeFileSync(join(dir, name, path), bytes);
      }
    };
    folder("fake", { "a/1.png": await png(8, 10), "b/1.png": "not a png at all" });
    await expectRefused("fake", "  dataset: images\n  train: fake\n", `${join(dir, "fake", "b", "1.png")}: expected a PNG or JPEG image, found neither signature at the start of the file`);
    folder("mixed", { "a/1.png": await png(8, 10), "a/2.png": await png(8, 20), "b/1.png": await png(9, 30) });
    await expectRefused("mixed", "  dataset: images\n  train: mixed\n", `${join(dir, "mixed", "b", "1.png")}: image size 9x9 differs from 8x8 (${join(dir, "mixed", "a", "1.png")}): set data.size to resize them all`);
    // A file whose header reads well but whose pixels do not: streamed, it fails when its batch
    // is fed, at once (no retries), in one line naming it.
    const good = await png(8, 10);
    folder("corrupt", { "a/1.png": good, "a/2.png": good, "b/1.png": good, "b/2.png": new Uint8Array([...good.subarray(0, 33), ...new Uint8Array(40).fill(7)]) });
    const streamed = await runCli(["train", "-c", config(dir, "corrupt", "  dataset: images\n  train: corrupt\n  stream: true\n"), "--out", join(dir, "run-corrupt")]);
    expect(streamed.code, streamed.stderr).toBe(2);
    expect(streamed.stderr.trim().split("\n")).toHaveLength(1);
    expect(streamed.stderr).toContain(`${join(dir, "corrupt", "b", "2.png")}: not a readable PNG`);
    expect(streamed.stdout).not.toContain("attempt");
    folder("empty", { "a/1.png": await png(8, 10), "b/notes.txt": "no images here" });
    await expectRefused("empty", "  dataset: images\n  train: empty\n", `${join(dir, "empty", "b")}: class folder with no images (expected .png, .jpg, .jpeg files)`);
  });

  it("config keys that do not fit the kind", async () => {
    await expectRefused("no-train", "  dataset: csv\n", "data.train: expected the training data's path (data.dataset is csv)");
    await expectRefused("label-npy", "  dataset: npy\n  train: x\n  label: 3\n", "data.label: expected no data.label with data.dataset npy (it applies to csv)");
    writeFileSync(join(dir, "table.csv"), rows(20));
    await expectRefused("augment-features", "  dataset: csv\n  train: table.csv\n  augment: { flip: true }\n", "data.augment: expected image inputs (C, H, W), found features of shape (2)");
    await expectRefused("val-path", "  dataset: mnist\n  validation: somewhere\n", "data.validation: expected a fraction of the training rows (data.dataset mnist has no validation files)");
  });
});
