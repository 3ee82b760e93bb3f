// Instantiates the AssemblyScript SIMD kernels (dist/kernels.wasm, built from
// src/kernels/wasm/assembly/) against the arena's shared memory, and adapts their exports to
// the Kernels interface with F = U8 = U32 = byte offset into the arena.
import { readFile } from "node:fs/promises";
import { RESERVED_LOW_BYTES } from "../../arena/layout.js";
import type { DenseParamBuffers, Kernels, LossStats, SgdHyper } from "../kernels.js";

export interface WasmKernelExports {
  gatherRows(out: number, outLabels: number, images: number, labels: number, rowIndex: number, start: number, B: number, C: number, mean: number, std: number): void;
  denseForward(out: number, inp: number, weight: number, bias: number, B: number, C: number, OC: number, relu: number): void;
  denseInputGrad(dinp: number, dout: number, weight: number, mask: number, B: number, C: number, OC: number): void;
  reluForward(out: number, inp: number, N: number): void;
  reluBackward(dinp: number, dout: number, out: number, N: number): void;
  softmaxCrossEntropy(dlogits: number, losses: number, logits: number, labels: number, B: number, K: number, gradScale: number): number;
  lastCorrect(): number;
  denseWeightGradSgd(
    weight: number, bias: number, weightVelocity: number, biasVelocity: number,
    weightOut: number, biasOut: number, weightVelocityOut: number, biasVelocityOut: number,
    rowSq: number, dout: number, inp: number, B: number, C: number, OC: number, o0: number, o1: number,
    gradScale: number, lr: number, momentum: number, nesterov: number, weightDecay: number,
  ): void;
  /** end of the module's static data */
  heapBase(): number;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

async function compile(path: string): Promise<WebAssembly.Module> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new Error(`${path}: WASM kernels not built; run npm run build (or set engine.kernels: ts)`);
  }
  return WebAssembly.compile(bytes);
}

export async function instantiateWasmKernels(memory: WebAssembly.Memory, path: string): Promise<WasmKernelExports> {
  if (!compiled.has(path)) compiled.set(path, compile(path));
  const module = await compiled.get(path)!;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`wasm kernel abort at ${line}:${col}`);
      },
    },
  });
  const exports = instance.exports as unknown as WasmKernelExports;
  const heapBase = exports.heapBase();
  if (heapBase > RESERVED_LOW_BYTES) {
    throw new Error(`${path}: static data ends at ${heapBase}, above the ${RESERVED_LOW_BYTES} bytes the arena reserves for it`);
  }
  return exports;
}

export async function loadWasmKernels(memory: WebAssembly.Memory, path: string): Promise<Kernels<number, number, number, number>> {
  const w = await instantiateWasmKernels(memory, path);
  return {
    gatherRows: w.gatherRows,
    denseForward: (out, inp, weight, bias, B, C, OC, relu) => w.denseForward(out, inp, weight, bias, B, C, OC, relu ? 1 : 0),
    denseInputGrad: (dinp, dout, weight, mask, B, C, OC) => w.denseInputGrad(dinp, dout, weight, mask ?? 0, B, C, OC),
    reluForward: w.reluForward,
    reluBackward: w.reluBackward,
    softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale): LossStats {
      const lossSum = w.softmaxCrossEntropy(dlogits, losses, logits, labels, B, K, gradScale);
      return { lossSum, correct: w.lastCorrect() };
    },
    denseWeightGradSgd(p: DenseParamBuffers<number>, rowSq, dout, inp, B, C, OC, o0, o1, h: SgdHyper) {
      w.denseWeightGradSgd(
        p.weight, p.bias, p.weightVelocity, p.biasVelocity, p.weightOut, p.biasOut, p.weightVelocityOut, p.biasVelocityOut,
        rowSq, dout, inp, B, C, OC, o0, o1, h.gradScale, h.lr, h.momentum, h.nesterov ? 1 : 0, h.weightDecay,
      );
    },
  };
}
