// The one config schema: source of the TypeScript type, the defaults and the validation.
// Every object is strict (unknown keys are errors). Nested sections use .prefault({}) so an
// omitted section is parsed through its own defaults.
import * as z from "zod";
import { LayerSchema } from "./layers-schema.js";
import { OptimSchema } from "./optim-schema.js";

export { ScheduleSchema } from "./optim-schema.js";

const int = () => z.number().int();

export const ConfigSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[\w.-]+$/, "letters, digits, '_', '-' or '.'").default("experiment"),
    seed: int().min(0).max(2 ** 32 - 1).default(42),
    data: z
      .strictObject({
        dataset: z.enum(["mnist", "fashion-mnist", "idx", "mnist-dataset-cache"]).default("mnist"),
        dir: z.string().min(1).optional(),
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
  });

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Every defaulted config (useful for docs and for `dptrain train --help`). */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}
