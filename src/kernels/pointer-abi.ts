// The kernels as the WASM module and the native addon export them: each kernel one flat call,
// every buffer a byte offset into the arena (kernels/descriptors.ts says what each argument is).
// adaptPointerKernels turns such exports into the Kernels interface.
import { DESCRIPTORS, type KernelDescriptor, type PointerKernels } from "./descriptors.js";

export type { PointerKernels };

/** One exported kernel: flat numbers in; softmaxCrossEntropy returns its loss sum. */
export type KernelExport = (...args: number[]) => number | void;

/** What the WASM module and the native addon export: the kernels by export name, and softmaxCrossEntropy's second figure. */
export interface PointerKernelExports {
  lastCorrect(): number;
  [exportName: string]: KernelExport;
}

/** Every kernel of DESCRIPTORS that `x` exports, as the Kernels interface (an optional kernel may be missing, a required one may not). */
export function adaptPointerKernels(x: PointerKernelExports): PointerKernels {
  const kernels: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(DESCRIPTORS) as [string, KernelDescriptor<keyof PointerKernels>][]) {
    const run = x[d.export ?? name];
    if (typeof run !== "function") {
      if (d.optional) continue;
      throw new Error(`the kernels export no ${d.export ?? name} (kernel ${name})`);
    }
    const flatten = d.flatten as (...args: unknown[]) => number[];
    const result = d.result as ((value: number, exports: PointerKernelExports) => unknown) | undefined;
    kernels[name] = result
      ? (...args: unknown[]) => result(run.apply(x, flatten(...args)) as number, x)
      : (...args: unknown[]) => void run.apply(x, flatten(...args));
  }
  return kernels as unknown as PointerKernels;
}
