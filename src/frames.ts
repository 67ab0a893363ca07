/**
 * heap.frames: the call stack tracemalloc attributes allocations to. pyheap runs no
 * Python code, so whoever drives the heap says where it is: an interpreter calls
 * push/setLine/pop as its Python code runs, and its users get file:line attribution.
 *
 * The stack itself lives in the engine's memory (alloc/tracemalloc.ts: a descriptor of
 * depth, capacity, base and an epoch, and (file id, line) pairs oldest first), so each
 * call is a few integer stores and a traced allocation reads the frames where they are.
 * Filenames are interned here once: the engine sees their ids (0 is "<unknown>").
 */
import { ENGINE_CONSTANTS as C } from "./abi.generated.js";
import type { Engine } from "./engine.js";
import { PyMemoryError, PyRuntimeError, PyTypeError, PyValueError } from "./errors.js";
import { Frame } from "./tracemalloc-snapshot.js";

const { FRAMES_DEPTH, FRAMES_CAP, FRAMES_BASE, FRAMES_EPOCH, TM_UNKNOWN_FILE } = C;
const UNKNOWN = "<unknown>";

function lineArg(fn: string, lineno: unknown): number {
  if (typeof lineno !== "number" || !Number.isInteger(lineno)) {
    throw new PyTypeError(`${fn}: lineno must be an integer, not ${typeof lineno === "number" ? lineno : typeof lineno}`);
  }
  if (lineno < 0 || lineno >= 2 ** 31) throw new PyValueError(`${fn}: lineno ${lineno} is out of range [0, 2**31)`);
  return lineno;
}

/** The filename table, shared by heap.frames and heap.tracemalloc (ids <-> names). */
export class Filenames {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];

  constructor() {
    this.#names[TM_UNKNOWN_FILE] = UNKNOWN;
  }

  /** The id of a filename, interned on first use. */
  id(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#names.length;
      this.#names.push(name);
      this.#ids.set(name, id);
    }
    return id;
  }

  name(id: number): string {
    return this.#names[id] ?? UNKNOWN;
  }
}

export class Frames {
  readonly #engine: () => Engine;
  readonly #files: Filenames;
  /** The descriptor's word index in the engine's u32 view. */
  #d = -1;

  /** @internal */
  constructor(engine: () => Engine, files: Filenames) {
    this.#engine = engine;
    this.#files = files;
  }

  #desc(e: Engine): number {
    if (this.#d < 0) this.#d = e.exports.frames_descriptor() >>> 2;
    return this.#d;
  }

  /** Enters a new innermost frame at filename:lineno. */
  push(filename: string, lineno: number): void {
    if (typeof filename !== "string") throw new PyTypeError(`frames.push: filename must be a str, not ${typeof filename}`);
    const line = lineArg("frames.push", lineno);
    const e = this.#engine();
    const d = this.#desc(e);
    const depth = e.u32[d + FRAMES_DEPTH / 4];
    if (depth >= 0xffffffff >>> 1) throw new PyRuntimeError("frames.push: the frame stack is full");
    if (depth >= e.u32[d + FRAMES_CAP / 4] && !e.exports.frames_reserve(depth + 1)) {
      throw new PyMemoryError("frames.push: no memory for a deeper frame stack");
    }
    const file = this.#files.id(filename);
    const u = e.u32; // (frames_reserve may have grown memory: a new view)
    const at = (u[d + FRAMES_BASE / 4] >>> 2) + depth * 2;
    u[at] = file;
    u[at + 1] = line;
    u[d + FRAMES_DEPTH / 4] = depth + 1;
    u[d + FRAMES_EPOCH / 4]++;
  }

  /** The innermost frame moves to another line. */
  setLine(lineno: number): void {
    const line = lineArg("frames.setLine", lineno);
    const e = this.#engine();
    const d = this.#desc(e);
    const u = e.u32;
    const depth = u[d + FRAMES_DEPTH / 4];
    if (depth === 0) throw new PyRuntimeError("frames.setLine: the frame stack is empty");
    u[(u[d + FRAMES_BASE / 4] >>> 2) + (depth - 1) * 2 + 1] = line;
    u[d + FRAMES_EPOCH / 4]++;
  }

  /** Leaves the innermost frame; PyRuntimeError (and no change) when there is none. */
  pop(): void {
    const e = this.#engine();
    const d = this.#desc(e);
    const u = e.u32;
    const depth = u[d + FRAMES_DEPTH / 4];
    if (depth === 0) throw new PyRuntimeError("frames.pop: the frame stack is empty");
    u[d + FRAMES_DEPTH / 4] = depth - 1;
    u[d + FRAMES_EPOCH / 4]++;
  }

  /** How many frames are on the stack. */
  get depth(): number {
    const e = this.#engine();
    return e.u32[this.#desc(e) + FRAMES_DEPTH / 4];
  }

  /** The frames, oldest first. */
  current(): Frame[] {
    const e = this.#engine();
    const d = this.#desc(e);
    const u = e.u32;
    const depth = u[d + FRAMES_DEPTH / 4];
    const base = u[d + FRAMES_BASE / 4] >>> 2;
    const out: Frame[] = [];
    for (let i = 0; i < depth; i++) out.push(new Frame(this.#files.name(u[base + i * 2]), u[base + i * 2 + 1]));
    return out;
  }

  /** Leaves every frame (an interpreter unwinding after an uncaught exception). */
  clear(): void {
    const e = this.#engine();
    const d = this.#desc(e);
    const u = e.u32;
    if (u[d + FRAMES_DEPTH / 4] === 0) return;
    u[d + FRAMES_DEPTH / 4] = 0;
    u[d + FRAMES_EPOCH / 4]++;
  }
}
