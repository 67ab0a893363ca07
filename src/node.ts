/**
 * Node entry point: loads the packaged pyheap.wasm from the package's files.
 * (Next to the bundle in build/; when running from the sources, from build/.)
 */
import { readFile } from "node:fs/promises";
import { setDefaultLoader } from "./heap.js";

let module: Promise<WebAssembly.Module> | undefined;

async function compile(): Promise<WebAssembly.Module> {
  const candidates = [new URL("./pyheap.wasm", import.meta.url), new URL("../build/pyheap.wasm", import.meta.url)];
  for (const url of candidates) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await readFile(url));
    } catch {
      continue;
    }
    return WebAssembly.compile(bytes);
  }
  throw new Error(`pyheap.wasm not found (looked at ${candidates.map(String).join(", ")}); run npm run build`);
}

setDefaultLoader(async (imports) => {
  module ??= compile();
  module.catch(() => (module = undefined));
  return WebAssembly.instantiate(await module, imports);
});

export * from "./index.js";
