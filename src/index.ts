/** pyheap's public API, shared by the Node and browser entry points. */
export { Heap, Mem, Sys, type HeapOptions, type WasmSource, type UnraisableInfo } from "./heap.js";
export { Ref, PyClass, IMMORTAL_REFCNT, type PyValue, type JSLike, type JSValue, type ClassOptions } from "./objects.js";
export { Raw } from "./raw.js";
export { WeakrefModule, Finalize, type WeakCallback } from "./weakref.js";
export { Gc, type GcCallback, type GcInfo, type GcPhase, type GcStats } from "./gc.js";
export {
  PyError, PyTypeError, PyValueError, PyIndexError, PyKeyError, PyMemoryError, PyBufferError, PyReferenceError,
  PyAttributeError, PyRecursionError, PyRuntimeError,
} from "./errors.js";
export type { MallocStats, SizeClassStats, ArenaPicture } from "./stats.js";
