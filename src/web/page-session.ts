// A page's coordinator (session worker).
// The training session a web page drives over comlink, as the CLI drives its session thread
// (run/session.ts): train a config (the same epoch loop as Node, run/train-loop.ts), pause at a
// step boundary and resume from the paused state, the model file, predictions for a drawn
// digit, and the scaling test. The MNIST files come from the server (dptrain serve).
import { parseConfigText } from "../config/parse.js";
import { ConfigError } from "../config/errors.js";
import type { Config } from "../config/schema.js";
import { parseIdxBytes } from "../data/idx-format.js";
import { datasetFromIdx, type Dataset, type IdxSet } from "../data/split.js";
import { normalizePixels } from "../data/normalize.js";
import { measureEngine } from "../bench/measure-engine.js";
import { Engine } from "../engine/coordinator/engine.js";
import type { FaultSpec } from "../engine/common/protocol.js";
import type { ResolvedKernels } from "../kernels/resolve.js";
import { specForDataset } from "../model/build.js";
import { predictProbabilities } from "../model/predict.js";
import type { ModelSpec } from "../model/spec.js";
import type { EpochMetrics, StepInfo } from "../report/metrics.js";
import { arenaNotAllocated, checkArenaFits, engineOptions, stepsPerEpoch, type EngineFor } from "../run/engine-options.js";
import { encodeModel } from "../run/model-encoding.js";
import { trainOn, type TrainState } from "../run/train-loop.js";
import { stepEventGate } from "../run/step-events.js";
import { webHost } from "./web-host.js";

/** The name a config typed into the page is reported by (file-less: line:col follow it). */
export const PAGE_CONFIG_NAME = "config";

const MNIST_FILES: IdxSet<string> = {
  trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte",
};

export interface PageEvents {
  step?(info: StepInfo): void;
  epoch?(metrics: EpochMetrics): void;
  retry?(step: number, attempt: number, message: string): void;
}

export interface PageRun {
  /** paused before the end (resume() goes on) */
  paused: boolean;
  step: number;
  totalSteps: number;
  workers: number;
  kernels: string;
  history: EpochMetrics[];
  testAccuracy: number | null;
}

export interface ScalingPoint {
  workers: number;
  samples_per_s: number;
  step_ms: number;
}

export interface PageInfo {
  isolated: boolean;
  cores: number;
}

interface Paused {
  config: Config;
  workers: number;
  state: TrainState;
  history: EpochMetrics[];
}

export class PageSession {
  private dataset: Promise<Dataset> | null = null;
  private controller: AbortController | null = null;
  private paused: Paused | null = null;
  private trained: { params: Float32Array; config: Config; spec: ModelSpec } | null = null;
  private faults: FaultSpec[] = [];

  constructor(private readonly base: string, private readonly isolated: boolean) {}

  info(): PageInfo {
    return { isolated: this.isolated, cores: navigator.hardwareConcurrency || 1 };
  }

  /** Parses and checks a config without starting anything (the page shows the error). */
  async check(text: string, workers: number): Promise<string> {
    const config = this.parse(text);
    const dataset = await this.data();
    checkArenaFits(config, { dataset, spec: specForDataset(config.model, dataset), workers: this.workersFor(workers), kernels: this.kernels(config) });
    return config.name;
  }

  /**
   * Trains the config from the start on `workers` workers (1 without cross-origin isolation).
   * faults: a test-only fault plan for the step workers (the page's ?faults=JSON; Node's is
   * DPTRAIN_FAULTS), to show that a failed or hung worker is replaced and its step re-run.
   */
  async train(text: string, workers: number, events: PageEvents, faults: FaultSpec[] = []): Promise<PageRun> {
    const config = this.parse(text);
    this.paused = null;
    this.faults = faults;
    return this.run(config, this.workersFor(workers), null, [], events);
  }

  /** Graceful pause: the step in progress finishes and train() or resume() returns with paused. */
  pause(): boolean {
    if (!this.controller) return false;
    this.controller.abort();
    return true;
  }

  /** Goes on from the paused state, bit for bit as if never paused. */
  async resume(events: PageEvents): Promise<PageRun> {
    const p = this.paused;
    if (!p) throw new Error("nothing is paused");
    this.paused = null;
    return this.run(p.config, p.workers, p.state, p.history, events);
  }

  /** model.safetensors of the last run (paused or finished): loadable by dptrain eval and PyTorch. */
  modelFile(): Uint8Array {
    if (!this.trained) throw new Error("no model yet: train first");
    const { params, config, spec } = this.trained;
    return encodeModel(params, config, spec);
  }

  /** Class probabilities for one 28×28 u8 image, normalized as the model was trained. */
  predict(pixels: Uint8Array): number[] {
    if (!this.trained) throw new Error("no model yet: train first");
    const { params, config, spec } = this.trained;
    if (pixels.length !== spec.nInputs) throw new Error(`expected ${spec.nInputs} pixels, found ${pixels.length}`);
    const input = normalizePixels(new Float32Array(pixels.length), pixels, config.data.normalize);
    return predictProbabilities(spec, params, input, 1)[0]!;
  }

  /**
   * The scaling test: `steps` timed steps at 1…maxWorkers workers, as dptrain bench runs them,
   * each after a warm-up of at least warmupMs (bench/measure-engine.ts says why).
   */
  async scaling(text: string, maxWorkers: number, steps: number, onPoint: (p: ScalingPoint) => void, warmupMs = 0): Promise<ScalingPoint[]> {
    const config = this.parse(text);
    const dataset = await this.data();
    const spec = specForDataset(config.model, dataset);
    const kernels = this.kernels(config);
    const points: ScalingPoint[] = [];
    const top = this.workersFor(maxWorkers);
    for (let workers = 1; workers <= top; workers++) {
      checkArenaFits(config, { dataset, spec, workers, kernels });
      const engine = await allocating(config, { dataset, spec, workers, kernels }, async () => Engine.create({ ...engineOptions(config, { dataset, spec, workers, kernels }), host: webHost(this.base, this.isolated) }));
      try {
        const m = await measureEngine(engine, stepsPerEpoch(config, dataset.train.count), dataset.train.count, steps, Math.max(5, Math.floor(steps / 10)), warmupMs);
        const point = { workers, samples_per_s: m.samples_per_s, step_ms: m.step_ms };
        points.push(point);
        onPoint(point);
      } finally {
        await engine.close();
      }
    }
    return points;
  }

  private async run(config: Config, workers: number, resume: TrainState | null, history: EpochMetrics[], events: PageEvents): Promise<PageRun> {
    if (this.controller) throw new Error("a run is already in progress");
    const controller = new AbortController();
    this.controller = controller;
    try {
      const dataset = await this.data();
      const kernels = this.kernels(config);
      const forward = stepEventGate();
      let total = 0;
      const result = await allocating(config, { dataset, spec: specForDataset(config.model, dataset), workers, kernels }, () => trainOn(config, { dataset, workers, kernels, host: webHost(this.base, this.isolated) }, {
        signal: controller.signal,
        faults: this.faults,
        ...(resume ? { resume } : {}),
        onStep: (info) => {
          total = info.totalSteps;
          if (forward(info)) events.step?.(info);
        },
        onEpoch: (m) => void events.epoch?.(m),
        onRetry: (step, attempt, error) => events.retry?.(step, attempt, error.message),
      }));
      const all = [...history, ...result.history];
      this.trained = { params: result.state.params, config, spec: result.spec };
      if (result.stopped) this.paused = { config, workers, state: result.state, history: all };
      return {
        paused: result.stopped, step: result.state.step, totalSteps: total || result.state.step, workers, kernels: kernels.label,
        history: all, testAccuracy: result.evaluation?.accuracy ?? null,
      };
    } finally {
      this.controller = null;
    }
  }

  private parse(text: string): Config {
    const config = parseConfigText(text, PAGE_CONFIG_NAME);
    if (config.data.dataset !== "mnist" || config.data.dir !== undefined) {
      throw new ConfigError(`data.dataset: expected mnist in the page (the server sends the MNIST files), found ${config.data.dir !== undefined ? "data.dir" : config.data.dataset}`);
    }
    this.kernels(config);
    return config;
  }

  /** The page runs wasm (auto) or ts; native is Node's only. */
  private kernels(config: Config): ResolvedKernels {
    const set = config.engine.kernels === "auto" ? "wasm" : config.engine.kernels;
    if (set === "native") throw new ConfigError("engine.kernels: expected auto, wasm or ts in the page (native runs only in Node), found native");
    return { set, isa: null, addon: "", label: set };
  }

  private workersFor(asked: number): number {
    return this.isolated ? Math.max(1, Math.floor(asked)) : 1;
  }

  /** The MNIST files from the server, fetched once (parse() admits no other dataset). */
  private data(): Promise<Dataset> {
    this.dataset ??= fetchMnist(new URL("data/mnist/", this.base).href).catch((err: unknown) => {
      this.dataset = null;
      throw err;
    });
    return this.dataset;
  }
}

/** Runs `start`, turning a shared memory the tab would not allocate into a one-line error naming the key. */
async function allocating<T>(config: Config, engine: EngineFor, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    // WebAssembly.Memory throws a RangeError when the tab cannot reserve the memory
    if (err instanceof RangeError && /memory/i.test(err.message)) throw arenaNotAllocated(config, engine, err);
    throw err;
  }
}

async function fetchMnist(base: string): Promise<Dataset> {
  const get = async (name: string, kind: "images" | "labels") => {
    const url = new URL(name, base).href;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return parseIdxBytes(new Uint8Array(await response.arrayBuffer()), url, kind);
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    get(MNIST_FILES.trainImages, "images"), get(MNIST_FILES.trainLabels, "labels"),
    get(MNIST_FILES.testImages, "images"), get(MNIST_FILES.testLabels, "labels"),
  ]);
  return datasetFromIdx("mnist", { trainImages, trainLabels, testImages, testLabels }, MNIST_FILES);
}
