/**
 * Browser entry point: fetches pyheap.wasm next to this module. The literal
 * `new URL("./pyheap.wasm", import.meta.url)` lets bundlers (Vite, webpack,
 * esbuild users) see and emit the asset. The first heap streams it
 * (instantiateStreaming); later heaps reuse the compiled module.
 */
import { setDefaultLoader } from "./heap.js";

const modules: Record<string, WebAssembly.Module> = {};

setDefaultLoader(async (imports, debug) => {
  const key = debug ? "debug" : "release";
  const module = modules[key];
  if (module) return WebAssembly.instantiate(module, imports);
  // two literal URLs, so that bundlers find both assets
  const url = debug ? new URL("./pyheap-debug.wasm", import.meta.url) : new URL("./pyheap.wasm", import.meta.url);
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
  modules[key] = result.module;
  return result.instance;
});

export * from "./index.js";
