// model.layers (model.type: sequential): the model as a list of layers, as torch.nn.Sequential
// lists them. Shapes are checked against the dataset's input shape when the model is built
// (model/build.ts), where that shape is known.
//   - { type: conv2d, out: 32, kernel: 3, stride: 1, padding: 0, name: conv1 }
//                                            nn.Conv2d; name defaults to conv1, conv2, … in order
//   - { type: maxpool2d, kernel: 2, stride: 2 }  nn.MaxPool2d; stride defaults to the kernel
//   - { type: flatten }                      (C, H, W) → (C·H·W), in PyTorch's (NCHW) order
//   - { type: linear, out: 128, name: fc1 }  nn.Linear; name defaults to fc1, fc2, … in order
//   - { type: relu }
//   - { type: dropout, p: 0.5 }              inverted dropout, training only
import * as z from "zod";

const moduleName = z.string().regex(/^[A-Za-z_][\w]*$/, "a module name: letters, digits and '_', not starting with a digit");

const side = () => z.number().int().min(1).max(64);

export const LayerSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("conv2d"), out: z.number().int().min(1).max(4096), kernel: side(), stride: side().default(1), padding: z.number().int().min(0).max(64).default(0), name: moduleName.optional() }),
  z.strictObject({ type: z.literal("maxpool2d"), kernel: side(), stride: side().optional() }),
  z.strictObject({ type: z.literal("flatten") }),
  z.strictObject({ type: z.literal("linear"), out: z.number().int().min(1).max(65536), name: moduleName.optional() }),
  z.strictObject({ type: z.literal("relu") }),
  z.strictObject({ type: z.literal("dropout"), p: z.number().min(0).lt(1).default(0.5) }),
]);

export type LayerConfig = z.output<typeof LayerSchema>;
