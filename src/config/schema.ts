// The one config schema: source of the TypeScript type, the defaults and the validation.
// Every object is strict (unknown keys are errors). Nested sections use .prefault({}) so an
// omitted section is parsed through its own defaults.
import * as z from "zod";
import { LayerSchema } from "./layers-schema.js";
import { OptimSchema } from "./optim-schema.js";

export { ScheduleSchema } from "./optim-schema.js";

const int = () => z.number().int();

/** Kinds of data.dataset that read the user's files (data/own-data.ts). */
export const OWN_DATA_KINDS = ["csv", "npy", "images"] as const;
/** What train.earlyStop may watch: an EpochMetrics field measured every epoch. */
export const EARLY_STOP_METRICS = ["val_loss", "val_acc", "test_loss", "test_acc", "train_loss", "train_acc"] as const;

export const ConfigSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[\w.-]+$/, "letters, digits, '_', '-' or '.'").default("experiment"),
    seed: int().min(0).max(2 ** 32 - 1).default(42),
    data: z
      .strictObject({
        /** mnist, fashion-mnist, idx (data.dir) and mnist-dataset-cache are IDX sets; csv, npy and images are the user's own files (data.train) */
        dataset: z.enum(["mnist", "fashion-mnist", "idx", "mnist-dataset-cache", ...OWN_DATA_KINDS]).default("mnist"),
        /** IDX kinds: the directory of the four IDX files */
        dir: z.string().min(1).optional(),
        /** csv: a file; npy: a folder holding X.npy and y.npy; images: a folder of class folders (relative to the config file's folder) */
        train: z.string().min(1).optional(),
        /** the same kind as train; optional */
        test: z.string().min(1).optional(),
        /** a fraction of the training rows (seeded, stratified by class), or a path of the same kind as train */
        validation: z.union([z.number().gt(0).lt(1), z.string().min(1)]).optional(),
        /** csv: the label column, by name (with a header) or 0-based index; default the last column */
        label: z.union([z.string().min(1), int().min(0)]).optional(),
        /** csv: whether the first row names the columns */
        header: z.boolean().default(true),
        /** f32 features (csv, float32 npy): scale each feature by the training rows' mean and standard deviation */
        standardize: z.boolean().default(true),
        /** images: resize every image to [H, W] (antialiased bilinear); otherwise all must have one size */
        size: z.tuple([int().min(1).max(4096), int().min(1).max(4096)]).optional(),
        /** stream the training rows a batch at a time (true), hold them in the arena (false), or auto: stream training inputs over 2 GiB (an X.npy from its file) */
        stream: z.union([z.boolean(), z.literal("auto")]).default("auto"),
        /** image inputs, training rows only: a random shift (pixels, zero-padded), a left-right flip, a rotation (degrees) per row */
        augment: z
          .strictObject({
            shift: int().min(0).max(64).default(0),
            flip: z.boolean().default(false),
            rotate: z.number().min(0).max(180).default(0),
          })
          .optional(),
        /** images: 1 (grayscale) or 3 (RGB); default 1 where every file is a grayscale image, else 3 */
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
        /** pixels become (u8 / 255 − mean) / std (torchvision Normalize); MNIST's usual values are 0.1307, 0.3081 */
        normalize: z
          .strictObject({
            mean: z.number().min(-1e3).max(1e3).default(0),
            std: z.number().min(1e-6).max(1e3).default(1),
          })
          .prefault({}),
      })
      .prefault({}),
    model: z
      .strictObject({
        /** softmax and mlp are shorthands for layer lists; sequential takes model.layers */
        type: z.enum(["softmax", "mlp", "sequential"]).default("mlp"),
        /** hidden layer widths of the mlp (ignored by softmax and sequential) */
        hidden: z.array(int().min(1).max(65536)).min(1).max(32).default([520, 320, 240, 120]),
        activation: z.enum(["relu"]).default("relu"),
        /** weight init: kaiming (He-uniform before a ReLU, Xavier otherwise; zero biases) or torch (torch.nn's defaults for Linear and Conv2d: U(±1/√fan_in) for weights and biases) */
        init: z.enum(["kaiming", "torch"]).default("kaiming"),
        /** sequential: the layers in order (config/layers-schema.ts) */
        layers: z.array(LayerSchema).min(1).max(256).optional(),
      })
      .superRefine((m, ctx) => {
        if (m.type === "sequential" && !m.layers) ctx.addIssue({ code: "custom", path: ["layers"], message: "a list of layers (model.type is sequential)", input: undefined });
        if (m.type !== "sequential" && m.layers) ctx.addIssue({ code: "custom", path: ["layers"], message: `no layers with type ${m.type} (set model.type: sequential)`, input: m.layers });
      })
      .prefault({}),
    train: z
      .strictObject({
        epochs: int().min(1).max(100000).default(10),
        /** stop after this many steps in all (overrides epochs when smaller) */
        maxSteps: int().min(1).optional(),
        batchSize: int().min(1).max(65536).default(64),
        onNonFinite: z.enum(["stop", "skip-step"]).default("stop"),
        /** stop when `metric` has not improved by minDelta for `patience` epochs; model.safetensors keeps the best epoch's weights */
        earlyStop: z
          .strictObject({
            metric: z.enum(EARLY_STOP_METRICS).default("val_loss"),
            /** auto: min for a loss, max for an accuracy */
            mode: z.enum(["auto", "min", "max"]).default("auto"),
            patience: int().min(0).max(100000).default(5),
            minDelta: z.number().min(0).default(0),
          })
          .optional(),
      })
      .prefault({}),
    optim: OptimSchema.prefault({}),
    engine: z
      .strictObject({
        workers: z.union([int().min(1).max(256), z.literal("auto")]).default("auto"),
        /** auto: native where it loaded, else wasm (docs/architecture.md "Kernel sets") */
        kernels: z.enum(["auto", "native", "wasm", "ts"]).default("auto"),
        /** instruction set of the native kernels; auto = the best this CPU runs */
        isa: z.enum(["auto", "avx512", "avx2"]).default("auto"),
        /**
         * how a step is shared among the workers: by batch rows, or by each layer's output features
         * (linear/ReLU models only); auto: features where the model allows it, at 2 or more workers up to the cores
         * (engine/common/feature-plan.ts resolveCut)
         */
        cut: z.enum(["auto", "rows", "features"]).default("auto"),
        /** a phase that takes longer than this is treated as a hung worker */
        stepTimeoutMs: int().min(100).default(60000),
        /** consecutive failed attempts of one step before training stops */
        maxRetries: int().min(0).max(100).default(3),
      })
      .prefault({}),
    eval: z
      .strictObject({
        /** evaluate on the test set every N epochs (and after the last); 0 = only after the last */
        every: int().min(0).default(1),
        /** test rows each worker holds in the step workspace at once */
        batchSize: int().min(1).max(65536).default(500),
      })
      .prefault({}),
    output: z
      .strictObject({
        /** run directory; default runs/<name>/<yyyymmdd-hhmmss> */
        dir: z.string().min(1).optional(),
        /** write checkpoint.safetensors every N epochs (0 = only at the end) */
        checkpointEvery: int().min(0).default(1),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.engine.isa !== "auto" && (c.engine.kernels === "wasm" || c.engine.kernels === "ts")) {
      ctx.addIssue({ code: "custom", path: ["engine", "isa"], message: `auto (an instruction set applies to the native kernels, and engine.kernels is ${c.engine.kernels})`, input: c.engine.isa });
    }
    if (c.data.dataset === "idx" && c.data.dir === undefined) {
      ctx.addIssue({ code: "custom", path: ["data", "dir"], message: "a directory of IDX files (data.dataset is idx)", input: undefined });
    }
    const own = (OWN_DATA_KINDS as readonly string[]).includes(c.data.dataset);
    if (own && c.data.train === undefined) {
      ctx.addIssue({ code: "custom", path: ["data", "train"], message: `the training data's path (data.dataset is ${c.data.dataset})`, input: undefined });
    }
    const onlyFor = (key: "train" | "test" | "dir" | "label" | "size" | "channels", kinds: readonly string[], what: string) => {
      if (c.data[key] !== undefined && !kinds.includes(c.data.dataset)) {
        ctx.addIssue({ code: "custom", path: ["data", key], message: `no data.${key} with data.dataset ${c.data.dataset} (it applies to ${what})`, input: c.data[key] });
      }
    };
    onlyFor("train", OWN_DATA_KINDS, "csv, npy and images");
    onlyFor("test", OWN_DATA_KINDS, "csv, npy and images");
    onlyFor("dir", ["mnist", "fashion-mnist", "idx"], "the IDX kinds");
    onlyFor("label", ["csv"], "csv");
    onlyFor("size", ["images"], "images");
    onlyFor("channels", ["images"], "images");
    const es = c.train.earlyStop;
    if (es?.metric.startsWith("val_") && c.data.validation === undefined) {
      ctx.addIssue({ code: "custom", path: ["train", "earlyStop", "metric"], message: `a metric the run measures (${es.metric} needs data.validation)`, input: es.metric });
    }
    if (es?.metric.startsWith("test_") && c.eval.every !== 1) {
      ctx.addIssue({ code: "custom", path: ["train", "earlyStop", "metric"], message: `a metric measured every epoch (${es.metric} is measured every ${c.eval.every} epochs: set eval.every: 1)`, input: es.metric });
    }
  });

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Every defaulted config (useful for docs and for `dptrain train --help`). */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}
