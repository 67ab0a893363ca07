/** pyheap's public API, shared by the Node and browser entry points. */
export { Heap, Mem, Sys, type HeapOptions, type WasmSource } from "./heap.js";
export {
  PyError, PyTypeError, PyValueError, PyIndexError, PyKeyError, PyMemoryError, PyBufferError, PyReferenceError,
} from "./errors.js";
export type { MallocStats, SizeClassStats, ArenaPicture } from "./stats.js";
