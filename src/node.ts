/**
 * Node entry point: loads the packaged pyheap.wasm from the package's files.
 * (Next to the bundle in build/; when running from the sources, from build/.)
 */
import { readFile } from "node:fs/promises";
import { setDefaultLoader } from "./heap.js";
import { PyValueError } from "./errors.js";

const modules = new Map<string, Promise<WebAssembly.Module>>();

async function compile(file: string): Promise<WebAssembly.Module> {
  const candidates = [new URL(`./${file}`, import.meta.url), new URL(`../build/${file}`, import.meta.url)];
  for (const url of candidates) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await readFile(url));
    } catch {
      continue;
    }
    return WebAssembly.compile(bytes);
  }
  throw new PyValueError(
    `${file} not found (looked at ${candidates.map(String).join(", ")}): when pyheap is bundled into another file, copy ` +
      `node_modules/pyheap/build/${file} next to the bundle, or pass Heap.create({ wasm }); in a clone of pyheap, run npm run build`,
  );
}

setDefaultLoader(async (imports, debug) => {
  const file = debug ? "pyheap-debug.wasm" : "pyheap.wasm";
  let module = modules.get(file);
  if (!module) {
    module = compile(file);
    modules.set(file, module);
    module.catch(() => modules.delete(file));
  }
  return WebAssembly.instantiate(await module, imports);
});

export * from "./index.js";
