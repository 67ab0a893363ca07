/** pyheap's public API, shared by the Node and browser entry points. */
export { Heap, type HeapOptions, type WasmSource } from "./heap.js";
export { Mem } from "./mem.js";
export { Sys, type UnraisableInfo } from "./sys.js";
export { Ref, type PyValue } from "./handles.js";
export { HandleReport, type LiveHandle } from "./handle-report.js";
export { PyClass, type ClassOptions } from "./objects.js";
export { IMMORTAL_REFCNT } from "./constants.js";
export type { JSLike, JSValue } from "./convert.js";
export { Raw } from "./raw.js";
export { WeakrefModule, Finalize, WeakValueDictionary, WeakKeyDictionary, WeakSet, type WeakCallback, type WeakContainerClass } from "./weakref.js";
export { Gc, type GcCallback, type GcInfo, type GcPhase, type GcStats, type CollectionInfo } from "./gc.js";
export {
  PyError, PyTypeError, PyValueError, PyIndexError, PyKeyError, PyMemoryError, PyBufferError, PyReferenceError,
  PyAttributeError, PyRecursionError, PyRuntimeError,
} from "./errors.js";
export type { MallocStats, SizeClassStats, ArenaPicture } from "./stats.js";
export { Frames } from "./frames.js";
export {
  Leaks, RetainerPath, LeakMark, SinceReport, type SinceType, type SinceTraceback, type TypeStat, type Growth, type RetainerStep, type Referrer, type WhyAlive,
} from "./leaks.js";
export type { HeapSnapshotData } from "./heapsnapshot.js";
export { Monitor, monitorCSV, type MonitorOptions, type MonitorSample, type MonitorJSON } from "./monitor.js";
export { monitorSvg, type PlotOptions } from "./plot.js";
export { Tracemalloc, type TracemallocStartOptions } from "./tracemalloc.js";
export {
  Snapshot, Statistic, StatisticDiff, Traceback, Trace, Frame, Filter, DomainFilter, type RawTrace,
} from "./tracemalloc-snapshot.js";
