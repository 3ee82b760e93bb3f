// Runs any kernel set on buffers in one shared memory: the TS reference through typed views,
// WASM (and native) through byte offsets, so one test body checks every set.
import { pointerBinder, viewBinder, type Binder } from "../../src/arena/arena.js";
import type { Region } from "../../src/arena/layout.js";
import { RESERVED_LOW_BYTES } from "../../src/kernels/kernels.js";
import type { Kernels } from "../../src/kernels/kernels.js";
import { tsKernels } from "../../src/kernels/ts/index.js";
import { loadWasmKernels } from "../../src/kernels/wasm/loader.js";
import { wasmKernelsFile } from "../../src/paths.js";
import { loadNativeKernels, nativeCpuIsas, type NativeIsa } from "../../src/kernels/native/native-kernels.js";

export interface SetUnderTest {
  name: string;
  k: Kernels<any, any, any, any>;
  bind: Binder<any, any, any, any>;
  memory: WebAssembly.Memory;
  /** forget every buffer allocated so far */
  reset(): void;
  /** a new f32 buffer (filled from `from` if given) as the set names it, a view of it, and its region */
  f32(n: number, from?: ArrayLike<number>): [any, Float32Array, Region];
  f64(n: number): [any, Float64Array];
  u8(from: ArrayLike<number>): any;
  u32(from: ArrayLike<number>): any;
}

export const TEST_MEMORY_PAGES = 2048;

/** Floats at the top of the test memory given to a set whose direct convs need a scratch slot (wasm). */
export const TEST_SCRATCH_FLOATS = 2 ** 21;

export function setUnderTest(name: string, k: Kernels<any, any, any, any>, memory: WebAssembly.Memory, pointers: boolean): SetUnderTest {
  const bind = pointers ? pointerBinder : viewBinder(memory);
  let cursor = RESERVED_LOW_BYTES;
  // a set with useScratch gets the top of the memory, once: buffers are allocated below it
  const scratchBytes = k.useScratch ? TEST_SCRATCH_FLOATS * 4 : 0;
  const limit = memory.buffer.byteLength - scratchBytes;
  if (k.useScratch) k.useScratch(bind.f32({ offset: limit, length: TEST_SCRATCH_FLOATS, type: "f32" }), TEST_SCRATCH_FLOATS);
  const region = (type: Region["type"], n: number, bytes: number): Region => {
    const r: Region = { offset: cursor, length: n, type };
    cursor += Math.ceil((n * bytes) / 64) * 64 + 64;
    if (cursor > limit) throw new Error("test memory exhausted");
    return r;
  };
  return {
    name, k, bind, memory,
    reset: () => void (cursor = RESERVED_LOW_BYTES),
    f32(n, from) {
      const r = region("f32", n, 4);
      const view = new Float32Array(memory.buffer, r.offset, n);
      if (from) view.set(from);
      return [bind.f32(r), view, r];
    },
    f64(n) {
      const r = region("f64", n, 8);
      return [bind.f64(r), new Float64Array(memory.buffer, r.offset, n)];
    },
    u8(from) {
      const r = region("u8", from.length, 1);
      new Uint8Array(memory.buffer, r.offset, from.length).set(from);
      return bind.u8(r);
    },
    u32(from) {
      const r = region("u32", from.length, 4);
      new Uint32Array(memory.buffer, r.offset, from.length).set(from);
      return bind.u32(r);
    },
  };
}

export function testMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: TEST_MEMORY_PAGES, maximum: TEST_MEMORY_PAGES, shared: true });
}

export function tsSet(memory = testMemory()): SetUnderTest {
  return setUnderTest("ts", tsKernels<Float32Array>(), memory, false);
}

export async function wasmSet(memory = testMemory()): Promise<SetUnderTest> {
  return setUnderTest("wasm", await loadWasmKernels(memory, wasmKernelsFile), memory, true);
}

/** The reference kernels in float64 on plain arrays (for finite-difference checks at 1e-6). */
export function ts64Set(): SetUnderTest {
  const f64 = (n: number, from?: ArrayLike<number>): [Float64Array, Float64Array] => {
    const a = new Float64Array(n);
    if (from) a.set(from);
    return [a, a];
  };
  return {
    name: "ts64", k: tsKernels<Float64Array>(), bind: viewBinder(testMemory()), memory: testMemory(),
    reset: () => {},
    f32: f64 as unknown as SetUnderTest["f32"],
    f64,
    u8: (from) => Uint8Array.from(from),
    u32: (from) => Uint32Array.from(from),
  };
}

/** The native set running `isa`, or null where the addon is not built or this CPU cannot run that set. */
export function nativeSet(isa: NativeIsa, memory = testMemory()): SetUnderTest | null {
  if (!nativeCpuIsas().includes(isa)) return null;
  return setUnderTest(`native-${isa}`, loadNativeKernels(memory, isa), memory, true);
}

/** Whether the native addon loads here (the suite checks the fallback either way). */
export const nativeAvailable = nativeCpuIsas().length > 0;
