/**
 * Browser entry point: fetches pyheap.wasm next to this module. The literal
 * `new URL("./pyheap.wasm", import.meta.url)` lets bundlers (Vite, webpack,
 * esbuild users) see and emit the asset. The first heap streams it
 * (instantiateStreaming); later heaps reuse the compiled module.
 */
import { setDefaultLoader } from "./heap.js";

let module: WebAssembly.Module | undefined;

setDefaultLoader(async (imports) => {
  if (module) return WebAssembly.instantiate(module, imports);
  const url = new URL("./pyheap.wasm", import.meta.url);
  const response = fetch(url);
  let result: WebAssembly.WebAssemblyInstantiatedSource;
  try {
    result = await WebAssembly.instantiateStreaming(response, imports);
  } catch (e) {
    // A server that does not send Content-Type: application/wasm: compile from bytes.
    if (!(e instanceof TypeError)) throw e;
    const bytes = await (await fetch(url)).arrayBuffer();
    result = await WebAssembly.instantiate(bytes, imports);
  }
  module = result.module;
  return result.instance;
});

export * from "./index.js";
