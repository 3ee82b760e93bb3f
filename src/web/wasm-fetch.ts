// A page's kernel loaders: the WASM kernels fetched and compiled once per worker (the native set is
// Node's only).
import type { KernelLoaders } from "../engine/worker/kernels-for.js";
import { wasmKernelsFromModule } from "../kernels/wasm/instantiate.js";

const compiled = new Map<string, Promise<WebAssembly.Module>>();

async function compile(url: string): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: WASM kernels not found (HTTP ${response.status})`);
  return WebAssembly.compile(await response.arrayBuffer());
}

export const webKernelLoaders: KernelLoaders = {
  async wasm(memory, url) {
    if (!compiled.has(url)) compiled.set(url, compile(url));
    return wasmKernelsFromModule(memory, await compiled.get(url)!, url);
  },
};
