// The shared arena: one WebAssembly.Memory({ shared: true }) sized once from the layout and
// never grown (growing would replace .buffer under every view). Typed views over it are made
// here, named after the layout's regions and the ParamLayout entries.
import type { ParamViews } from "../model/graph.js";
import { tensorOf, type ArenaLayout, type Region } from "./layout.js";

export function createMemory(layout: ArenaLayout): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: layout.pages, maximum: layout.pages, shared: true });
}

export function f32View(memory: WebAssembly.Memory, r: Region): Float32Array {
  return new Float32Array(memory.buffer, r.offset, r.length);
}
export function f64View(memory: WebAssembly.Memory, r: Region): Float64Array {
  return new Float64Array(memory.buffer, r.offset, r.length);
}
export function u8View(memory: WebAssembly.Memory, r: Region): Uint8Array {
  return new Uint8Array(memory.buffer, r.offset, r.length);
}
export function u32View(memory: WebAssembly.Memory, r: Region): Uint32Array {
  return new Uint32Array(memory.buffer, r.offset, r.length);
}
export function i32View(memory: WebAssembly.Memory, r: Region): Int32Array {
  return new Int32Array(memory.buffer, r.offset, r.length);
}

/** Binds a region to whatever names a buffer for a kernel set: a typed view or a byte pointer. */
export interface Binder<F, U8, U32, F64> {
  f32(r: Region): F;
  u8(r: Region): U8;
  u32(r: Region): U32;
  f64(r: Region): F64;
}

export function viewBinder(memory: WebAssembly.Memory): Binder<Float32Array, Uint8Array, Uint32Array, Float64Array> {
  return { f32: (r) => f32View(memory, r), u8: (r) => u8View(memory, r), u32: (r) => u32View(memory, r), f64: (r) => f64View(memory, r) };
}

export const pointerBinder: Binder<number, number, number, number> = { f32: (r) => r.offset, u8: (r) => r.offset, u32: (r) => r.offset, f64: (r) => r.offset };

/** Named views of one flat parameter buffer: views.fc1Weight is fc1.weight (OC, C). */
export function bindParams<F>(layout: ArenaLayout, buffer: Region, bind: (r: Region) => F): ParamViews<F> {
  const views: ParamViews<F> = {};
  for (const e of layout.paramEntries) views[e.key] = bind(tensorOf(buffer, e));
  return views;
}
