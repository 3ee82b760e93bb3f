// The native addon trusts its arguments, so every call is checked here first, from the kernel's
// descriptor (kernels/descriptors.ts): every size must be a non-negative integer, each buffer's
// extent must lie inside the arena, and the values the C code uses as indices (row indices,
// labels, parameter-row ranges, window geometry) must be in range. A bad call throws an ordinary
// RangeError naming the kernel and the argument, and never reaches C.
import { DESCRIPTORS, ELEMENT_BYTES, type AbiArg, type AbiValues, type KernelDescriptor } from "../descriptors.js";
import type { PointerKernels } from "../descriptors.js";
import type { KernelExport, PointerKernelExports } from "../pointer-abi.js";

/** `x`'s kernel exports, each behind the checks its descriptor implies against `memory`. */
export function checkedExports(memory: WebAssembly.Memory, x: PointerKernelExports): PointerKernelExports {
  const checked: PointerKernelExports = { lastCorrect: () => x.lastCorrect() };
  for (const [name, d] of Object.entries(DESCRIPTORS) as [string, KernelDescriptor<keyof PointerKernels>][]) {
    const exportName = d.export ?? name;
    const run = x[exportName];
    if (typeof run !== "function" || exportName in checked) continue;
    checked[exportName] = checkedCall(memory, exportName, d, (args) => run.apply(x, args));
  }
  return checked;
}

function checkedCall(memory: WebAssembly.Memory, name: string, d: KernelDescriptor<keyof PointerKernels>, run: (args: number[]) => number | void): KernelExport {
  const fail = (what: string): never => {
    throw new RangeError(`native ${name}: ${what}`);
  };
  const sizes = d.abi.filter((a) => a.kind === "size");
  // Buffers whose extent reads the arena (gather's images, by its row indices) come after the rest.
  const buffers = d.abi.filter((a): a is Extract<AbiArg, { kind: "buffer" }> => a.kind === "buffer").sort((p, q) => p.count.length - q.count.length);
  const a: AbiValues = {};
  // The arena is sized once and never grown (docs/architecture.md), so its buffer is taken once:
  // reading memory.buffer makes a new SharedArrayBuffer object each time.
  const view = new DataView(memory.buffer);
  const limit = view.byteLength;
  return (...args: number[]) => {
    if (args.length !== d.abi.length) fail(`expected ${d.abi.length} arguments, found ${args.length}`);
    for (let i = 0; i < args.length; i++) a[d.abi[i]!.name] = args[i]!;
    for (const s of sizes) {
      const n = a[s.name]!;
      if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) fail(`${s.name} must be a non-negative integer, got ${n}`);
    }
    for (const b of buffers) {
      const ptr = a[b.name]!;
      if (b.optional && ptr === 0) continue;
      const bytes = b.count(a, view) * ELEMENT_BYTES[b.element];
      if (!Number.isInteger(ptr) || ptr <= 0 || !(bytes >= 0) || ptr + bytes > limit) fail(`${b.name} [${ptr}, ${ptr + bytes}) is outside the arena (${limit} bytes)`);
    }
    const reason = d.check?.(a, view);
    if (reason) fail(reason);
    return run(args);
  };
}
