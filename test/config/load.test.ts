// Config errors: one test per class, each asserting the exact one-line message.
import { describe, expect, it } from "vitest";
import { errorOf, fileWriter } from "../helpers.js";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { ConfigSchema, defaultConfig } from "../../src/config/schema.js";

const { dir, file } = fileWriter("dptrain-cfg-");

describe("loadConfig", () => {
  it("applies defaults and matches the schema's type", () => {
    const f = file("ok.yaml", "name: t\nmodel:\n  type: softmax\n");
    const { config } = loadConfig(f);
    expect(config.model.type).toBe("softmax");
    expect(config.train.batchSize).toBe(64);
    expect(config.optim.schedule.type).toBe("constant");
    expect(config.engine.workers).toBe("auto");
    expect(defaultConfig()).toEqual(ConfigSchema.parse({}));
  });

  it("extends: child keys override the base, mappings merge, lists replace", () => {
    file("base.yaml", "name: base\ntrain:\n  epochs: 3\n  batchSize: 32\nmodel:\n  hidden: [10, 20]\n");
    const f = file("child.yaml", "extends: base.yaml\nname: child\ntrain:\n  epochs: 5\nmodel:\n  hidden: [7]\n");
    const { config, files } = loadConfig(f);
    expect([config.name, config.train.epochs, config.train.batchSize, config.model.hidden]).toEqual(["child", 5, 32, [7]]);
    expect(files).toHaveLength(2);
  });

  it("--set overrides are typed by the schema", () => {
    const f = file("set.yaml", "name: s\n");
    const { config } = loadConfig(f, ["optim.lr=0.05", "model.hidden=[64, 32]", "optim.nesterov=true", "optim.momentum=0.9", "engine.workers=3"]);
    expect([config.optim.lr, config.model.hidden, config.optim.nesterov, config.engine.workers]).toEqual([0.05, [64, 32], true, 3]);
  });

  it("YAML syntax error", () => {
    const f = file("syntax.yaml", "name: x\ntrain:\n  epochs: [1, 2\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`);
  });

  it("unknown key with did-you-mean", () => {
    const f = file("unknown.yaml", "name: x\noptim:\n  lr: 0.1\n  momentun: 0.9\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:4:3: optim.momentun: unknown key (expected one of type, lr, momentum, nesterov, weightDecay, schedule); did you mean "momentum"?`);
  });

  it("unknown top-level key without a close match", () => {
    const f = file("unknown2.yaml", "banana: 1\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:1:1: banana: unknown key (expected one of name, seed, data, model, train, optim, engine, eval, output)`);
  });

  it("wrong type", () => {
    const f = file("type.yaml", "train:\n  batchSize: lots\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:14: train.batchSize: expected an integer, found "lots"`);
  });

  it("out of range: lr ≤ 0", () => {
    const f = file("lr.yaml", "optim:\n  lr: 0\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:7: optim.lr: expected a number > 0, found 0`);
  });

  it("out of range: data.normalize.std 0 (inputs would divide by zero)", () => {
    const f = file("norm.yaml", "data:\n  normalize:\n    mean: 0.13\n    std: 0\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:4:10: data.normalize.std: expected a number >= 0.000001, found 0`);
  });

  it("out of range: batchSize 0", () => {
    const f = file("batch.yaml", "train:\n  batchSize: 0\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:14: train.batchSize: expected an integer >= 1, found 0`);
  });

  it("out of range: workers 0", () => {
    const f = file("workers.yaml", "engine:\n  workers: 0\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:12: engine.workers: expected an integer >= 1 or "auto", found 0`);
  });

  it("out of range: hidden []", () => {
    const f = file("hidden.yaml", "model:\n  hidden: []\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:11: model.hidden: expected a list of at least 1 item(s), found []`);
  });

  it("engine.shards (removed with the slot engine): unknown key, with why it is no longer needed", () => {
    const f = file("shards.yaml", "engine:\n  workers: 2\n  shards: 8\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:3:3: engine.shards: unknown key (expected one of workers, kernels, isa, cut, stepTimeoutMs, maxRetries); it is no longer needed: each parameter's gradient is now summed over all the batch's rows by one worker (owner-computes), so the result is the same for any worker count without micro-shards; delete the key`);
    expect(errorOf(() => loadConfig(file("ok.yaml", "engine:\n  workers: 2\n"), ["engine.shards=4"]))).toMatch(/^--set engine\.shards=4: engine\.shards: unknown key .*no longer needed/);
  });

  it("bad enum value", () => {
    const f = file("enum.yaml", "engine:\n  kernels: gpu\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:12: engine.kernels: expected one of "auto" | "native" | "wasm" | "ts", found "gpu"`);
  });

  it("a bad list element names its index", () => {
    const f = file("elem.yaml", "model:\n  hidden: [10, -3]\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:16: model.hidden.1: expected an integer >= 1, found -3`);
  });

  it("cross-field rule: nesterov needs momentum", () => {
    const f = file("nesterov.yaml", "optim:\n  nesterov: true\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:2:13: optim.nesterov: expected nesterov: true needs optim.momentum > 0, found true`);
  });

  it("errors from --set name the flag", () => {
    const f = file("flag.yaml", "name: x\n");
    expect(errorOf(() => loadConfig(f, ["train.epochs=zero"]))).toBe(`--set train.epochs=zero: train.epochs: expected an integer, found "zero"`);
    expect(errorOf(() => loadConfig(f, ["train.epochs"]))).toBe(`--set train.epochs: expected key.path=value, found no "="`);
  });

  it("a mapping where a value belongs, and a non-mapping file", () => {
    const f = file("top.yaml", "- 1\n- 2\n");
    expect(errorOf(() => loadConfig(f))).toBe(`${f}:1:1: (top level): expected a mapping of config keys, found a list of 2`);
    const g = file("map.yaml", "optim:\n  lr:\n    x: 1\n");
    expect(errorOf(() => loadConfig(g))).toBe(`${g}:3:5: optim.lr: expected a number, found a mapping`);
  });

  it("missing file and extends cycle", () => {
    expect(errorOf(() => loadConfig(join(dir, "nope.yaml")))).toBe(`${join(dir, "nope.yaml")}: cannot read config (file not found)`);
    file("a.yaml", "extends: b.yaml\n");
    file("b.yaml", "extends: a.yaml\n");
    expect(errorOf(() => loadConfig(join(dir, "a.yaml")))).toMatch(/extends: expected a chain without cycles, found .*a\.yaml → .*b\.yaml → .*a\.yaml$/);
  });

  it("the shipped configs are valid", () => {
    for (const name of ["mnist-softmax", "mnist-mlp", "mnist-mlp-strong", "fashion-softmax", "scaling"]) {
      expect(() => loadConfig(`configs/${name}.yaml`)).not.toThrow();
    }
    expect(loadConfig("configs/fashion-softmax.yaml").config.data.dataset).toBe("fashion-mnist");
  });
});
