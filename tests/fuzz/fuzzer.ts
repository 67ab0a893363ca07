/**
 * pyheap's fuzzer: randomized operations on a heap, checked against invariants and
 * small JS-side models, in both engines.
 *
 * What it checks, per seed:
 *   - only PyErrors escape the API (a hostile Proxy's or getter's own exception may
 *     propagate unchanged, as Python propagates an exception raised by __iter__); no
 *     error says the heap is corrupt, the engine failed or the debug engine was given a
 *     bad id by the host;
 *   - a failed call changes nothing: refcounts and lengths of the handles involved, the
 *     blocks in use (free lists aside) and the intern table, whenever no hook ran and no
 *     collection happened meanwhile;
 *   - predicted outcomes: the error class of bad indices, missing keys and attributes,
 *     unhashable keys, released and foreign handles, exported buffers...; lengths of
 *     lists, tuples, dicts, sets and bytearray contents against models; membership after
 *     add/set; refcounts of fresh objects as CPython counts them; weakref and finalize
 *     states; gc.collect() returning 0 inside gc callbacks and when nothing changed;
 *   - hooks (del, legacyDel, weakref and finalize callbacks, gc callbacks) that release
 *     handles, allocate, collect, resurrect, throw or call heap.close(): every throw and
 *     every refused close reaches sys.unraisablehook, none escapes; a del runs once;
 *   - every K steps: heap.mem.check() is 0; the debug engine's census is sound and the
 *     objects it finds held from outside are exactly the fuzzer's handles;
 *   - at teardown, with every handle released and gc.garbage broken up: the census holds
 *     nothing, the allocated blocks are back at the baseline (plus the attribute names,
 *     which are immortal by design), heap.close() succeeds.
 *
 * Replaying a failure: the message names the seed, the engine and the steps of the seed;
 *   FUZZ_SEED=<seed> FUZZ_SEEDS=1 FUZZ_ENGINE=<release|debug> FUZZ_SEED_STEPS=<steps> npx vitest run tests/fuzz -t ^fuzz
 * runs exactly that seed again (the run depends on nothing else; FUZZ_KNOWN and
 * FUZZ_CHECK_EVERY, when the message shows them, are part of it). For debugging, FUZZ_LOG=<n>
 * keeps the last n operations instead of 30, FUZZ_TRACE=1 logs the heap's stderr lines
 * (gc DEBUG_* output) among them.
 *
 * Known bugs (tests/fuzz/FOUND-<n>.md) that are still open are left out of the operations
 * unless FUZZ_KNOWN lists their numbers; fuzz.test.ts runs each with its bug enabled.
 */
import {
  Heap, PyError, PyMemoryError, PyReferenceError, PyRuntimeError, PyTypeError,
  type Finalize, type PyClass, type Ref, type UnraisableInfo,
} from "../../src/node.js";
import { Rng } from "./rng.js";
import { OPAQUE, UNHASHABLE, canonRef } from "./canon.js";
import { OPS, opMake } from "./ops.js";
import { TrapError } from "./hostile.js";

export const IMMORTAL = 0xffffffff;
const MAX_POOL = 64;
const LOG_LINES = Number(process.env.FUZZ_LOG ?? 30);

// ---- figures ---------------------------------------------------------------------------

export interface FuzzStats {
  seeds: number;
  steps: number;
  ms: number;
  ops: Record<string, number>;
  faults: Record<string, number>;
  hooks: Record<string, number>;
  pyErrors: Record<string, number>;
  checks: Record<string, number>;
  failures: string[];
}

export function newStats(): FuzzStats {
  return { seeds: 0, steps: 0, ms: 0, ops: {}, faults: {}, hooks: {}, pyErrors: {}, checks: {}, failures: [] };
}

export function count(m: Record<string, number>, key: string, n = 1): void {
  m[key] = (m[key] ?? 0) + n;
}

export function mergeStats(into: FuzzStats, s: FuzzStats): FuzzStats {
  into.seeds += s.seeds;
  into.steps += s.steps;
  into.ms += s.ms;
  for (const k of ["ops", "faults", "hooks", "pyErrors", "checks"] as const) {
    for (const [key, n] of Object.entries(s[k])) count(into[k], key, n);
  }
  into.failures.push(...s.failures);
  return into;
}

function table(title: string, m: Record<string, number>): string {
  const rows = Object.entries(m).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, n]) => a + n, 0);
  return `${title} (${total.toLocaleString("en")}):\n` + rows.map(([k, n]) => `  ${k.padEnd(34)} ${n.toLocaleString("en").padStart(12)}`).join("\n");
}

export function formatStats(s: FuzzStats, label = "fuzz"): string {
  return [
    `== ${label}: ${s.seeds} seeds, ${s.steps.toLocaleString("en")} steps, ${(s.ms / 1000).toFixed(1)} s, failures ${s.failures.length}`,
    table("operations by kind", s.ops),
    table("faults injected", s.faults),
    table("hooks run", s.hooks),
    table("PyErrors seen, by class", s.pyErrors),
    table("checks passed", s.checks),
    ...s.failures.map((f, i) => `-- failure ${i + 1}:\n${f}`),
  ].join("\n");
}

// ---- the fuzzer's view of the heap ---------------------------------------------------------

export type Kind =
  | "list" | "tuple" | "dict" | "set" | "frozenset" | "int" | "float" | "str" | "bytes" | "bytearray"
  | "memoryview" | "none" | "bool" | "weakref" | "proxy" | "inst";

const KINDS: Record<string, Kind> = {
  list: "list", tuple: "tuple", dict: "dict", set: "set", frozenset: "frozenset", int: "int", float: "float",
  str: "str", bytes: "bytes", bytearray: "bytearray", memoryview: "memoryview", NoneType: "none", bool: "bool",
  "weakref.ReferenceType": "weakref", "weakref.ProxyType": "proxy",
};

/** A handle the fuzzer owns (one entry per handle; several may share an object). */
export interface Entry {
  ref: Ref;
  id: number;
  kind: Kind;
  serial: number;
  removed: boolean;
  cls?: PyClass;
  /** weakref/proxy: the entry whose object it refers to (alive while that entry is). */
  target?: Entry;
  /** memoryview: its base's entry. */
  base?: Entry;
}

/** What the fuzzer knows of an object's state, shared by the entries of that object. */
export type Model =
  | { t: "len"; len: number }
  | { t: "keys"; keys: Set<string>; opaque: boolean }
  | { t: "attrs"; present: Set<string>; complete: boolean }
  | { t: "bytes"; data: number[] };

interface Slot {
  model: Model | undefined;
  holders: number;
  /** Changed by a hook while an outer operation on it was in flight: re-read it. */
  dirty: boolean;
}

export type ErrClass = abstract new (...args: never[]) => Error;

export interface AttemptOptions {
  /**
   * undefined: any PyError is fine; null: must succeed; a class: must throw it. (Only
   * enforced when no hook ran meanwhile; PyMemoryError is fine on a memory-limited heap.)
   */
  expect?: ErrClass | null;
  /** Entries whose refcounts and lengths a failure must leave unchanged. */
  touch?: Entry[];
  /** Hostile input: the value's own exception may propagate; PyMemoryError is fine. */
  hostile?: boolean;
  /** Several calls with effects of their own (a loop, a scope): no "unchanged" check. */
  compound?: boolean;
  /**
   * The hook epoch when the operation began choosing its arguments: making temporaries
   * can run hooks that release pool handles already chosen (then nothing is predicted).
   */
  since?: number;
  /**
   * The failure may leave cyclic garbage (heap.from of a cyclic structure: what it made
   * before failing is freed by the collector, as in CPython): blocks are not compared.
   */
  cyclic?: boolean;
}

/** The result, the hook epoch before the call, and whether no hook or collection ran during it. */
export type Outcome<T> = ({ ok: true; value: T } | { ok: false; error: unknown }) & { epoch: number; calm: boolean };

export class FuzzFailure extends Error {}
/** Thrown by hooks on purpose: must reach sys.unraisablehook. */
export class HookError extends Error {}

export interface FuzzConfig {
  seed: number;
  steps: number;
  debug: boolean;
  /** Invariant period in steps (part of a replay's identity: checks allocate). */
  checkEvery?: number;
  /** Also exercise these known bugs (the numbers of tests/fuzz/FOUND-<n>.md): they fail the seed. */
  known?: readonly number[];
}

interface Classes {
  plain: PyClass;
  slotted: PyClass;
  weakSlotted: PyClass;
  del: PyClass;
  legacy: PyClass;
  link: PyClass;
  all: PyClass[];
}

type HookKind = "del" | "legacyDel" | "weakref" | "finalize" | "gc";

export class Fuzzer {
  readonly rng: Rng;
  readonly cfg: Required<FuzzConfig>;
  readonly stats: FuzzStats;
  heap!: Heap;
  other!: Heap;
  /** A live handle of another heap, and one of a closed heap. */
  foreign!: Ref;
  closedRef!: Ref;
  /** A released handle of this heap. */
  releasedRef!: Ref;
  cls!: Classes;
  pool: Entry[] = [];
  finalizers: Array<{ fin: Finalize; target: Entry }> = [];
  /** Memoryviews made per bytearray object id (predicting PyBufferError). */
  views = new Map<number, number>();
  /** Chains of Link objects: their handles, and the next one each del releases. */
  links: Ref[] = [];
  linkNext = new Map<number, Ref>();
  linkDels = 0;
  /** Objects whose del resurrected them, watched by a weakref: a second del is a bug. */
  resurrected = new Map<number, Ref>();
  ballast: number[] = [];
  memoryLimited = false;
  gcEnabled = true;
  names: string[] = [];
  freshNames = 0;
  inScope = false;
  /** finalize.call() is running a finalizer from the fuzzer itself (not from the engine). */
  explicitFinalize = 0;
  hookDepth = 0;
  hookEpoch = 0;
  quiet = false;
  step = 0;
  garbageId = 0;
  readonly #slots = new Map<number, Slot>();
  readonly #busy = new Map<number, number>();
  #serial = 0;
  #log: string[] = [];
  #failure: FuzzFailure | undefined;
  #unraisable = 0;
  #expectedUnraisable = 0;
  #baseline = { blocks: 0, names: 0, interned: 0 };

  constructor(cfg: FuzzConfig, stats: FuzzStats) {
    this.cfg = { ...cfg, checkEvery: cfg.checkEvery ?? 64, known: cfg.known ?? [] };
    this.rng = new Rng(cfg.seed ^ (cfg.debug ? 0x5bd1e995 : 0));
    this.stats = stats;
  }

  /** Does this run exercise the known bug FOUND-<n>? */
  known(n: number): boolean {
    return this.cfg.known.includes(n);
  }

  get engine(): string {
    return this.cfg.debug ? "debug" : "release";
  }

  // ---- log and failure ---------------------------------------------------------------

  log(text: string): void {
    this.#log.push(`${this.step}: ${"    ".repeat(this.hookDepth)}${text}`);
    if (this.#log.length > LOG_LINES) this.#log.shift();
  }

  /** Records the first failure and throws it (from a hook, it is rethrown after the step). */
  fail(what: string): never {
    if (!this.#failure) {
      const { seed, steps, checkEvery } = this.cfg;
      this.#failure = new FuzzFailure(
        `${what}\n  seed ${seed}, ${this.engine} engine, step ${this.step} of ${steps}` +
        `\n  replay: FUZZ_SEED=${seed} FUZZ_SEEDS=1 FUZZ_ENGINE=${this.engine} FUZZ_SEED_STEPS=${steps}` +
        `${checkEvery !== 64 ? ` FUZZ_CHECK_EVERY=${checkEvery}` : ""}${this.cfg.known.length ? ` FUZZ_KNOWN=${this.cfg.known.join(",")}` : ""} npx vitest run tests/fuzz -t ^fuzz` +
        `\n  last operations:\n${this.#log.map((l) => `    ${l}`).join("\n")}`,
      );
    }
    throw this.#failure;
  }

  check(ok: boolean, what: string | (() => string), kind = "oracle"): void {
    if (!ok) this.fail(typeof what === "string" ? what : what());
    count(this.stats.checks, kind);
  }

  fault(kind: string): void {
    count(this.stats.faults, kind);
  }

  // ---- setup --------------------------------------------------------------------------

  async setup(): Promise<void> {
    const rng = this.rng;
    this.memoryLimited = rng.chance(0.25);
    const maxMemory = this.memoryLimited ? rng.range(2, 8) << 20 : undefined;
    this.heap = await Heap.create({ debug: this.cfg.debug, maxMemory, stderr: (t) => { this.fault("stderr lines"); if (process.env.FUZZ_TRACE) this.log(`stderr: ${t}`); } });
    this.heap.sys.unraisablehook = (info) => this.#onUnraisable(info);
    this.other = await Heap.create({});
    this.foreign = this.other.list([1, 2]);
    const closed = await Heap.create({});
    this.closedRef = closed.dict([[1, 2]]);
    closed.close();
    this.#defineClasses();
    this.releasedRef = this.heap.list([1]);
    this.releasedRef.release();
    // (JS-special names too: toJS() once lost "__proto__", FOUND-4)
    this.names = ["a", "b", "c", "x", "y", "next", "peer", "me", "value", "__dict__", "__class__", "constructor",
      "toString", "hasOwnProperty", "valueOf", "__proto__", "_", "A1", "__weakref__"];
    this.#measureBaseline();
    this.gcEnabled = rng.chance(0.6);
    if (!this.gcEnabled) this.heap.gc.disable();
    if (rng.chance(0.5)) this.heap.gc.setThreshold(rng.pick([1, 2, 5, 10, 50, 200]), rng.range(1, 10), rng.range(1, 10));
    this.log(`setup: ${this.engine}, maxMemory ${maxMemory ?? "none"}, gc ${this.gcEnabled ? "on" : "off"} ${this.heap.gc.getThreshold()}`);
  }

  #defineClasses(): void {
    const h = this.heap;
    const del = (self: Ref) => this.hook("del", self, true);
    const legacyDel = (self: Ref) => this.hook("legacyDel", self, true);
    const plain = h.defineClass("Plain");
    const slotted = h.defineClass("Slotted", { slots: ["a", "b", "c"] });
    const weakSlotted = h.defineClass("WeakSlotted", { slots: ["a", "b", "__weakref__"], del });
    const delCls = h.defineClass("Del", { del });
    const legacy = h.defineClass("Legacy", { legacyDel });
    const link = h.defineClass("Link", { slots: ["next", "__weakref__"], del: (self) => this.#linkDel(self) });
    this.cls = { plain, slotted, weakSlotted, del: delCls, legacy, link, all: [plain, slotted, weakSlotted, delCls, legacy] };
  }

  /**
   * What the heap holds with no handle alive: measured once the classes exist, gc.garbage
   * was made (a permanent list) and the intern table exists (one attribute name primes it;
   * attribute names are immortal and cached by design, so every later new name adds its
   * one block for good: the teardown accounts for them by the host's name cache).
   */
  #measureBaseline(): void {
    const h = this.heap;
    this.garbageId = h.gc.garbage.id;
    const p = this.cls.plain.new({ a: 1 });
    p.release();
    h.gc.collect();
    h.sys.clearFreelists();
    this.#baseline = { blocks: h.sys.getallocatedblocks(), names: h.objects.names.size, interned: h.sys.internedCount() };
  }

  // ---- the pool -----------------------------------------------------------------------

  /** Takes ownership of a handle; `model` is the predicted state (else it is read). */
  add(ref: Ref, extra: Partial<Entry> & { model?: Model } = {}): Entry | undefined {
    const { model, ...rest } = extra;
    const id = ref.id;
    if (id === this.garbageId) {
      ref.release(); // gc.garbage: the collector changes it, the fuzzer keeps no handle to it
      return undefined;
    }
    const kind = KINDS[ref.type] ?? "inst";
    const e: Entry = { ref, id, kind, serial: this.#serial++, removed: false, ...rest };
    if (kind === "inst") e.cls = this.heap.raw.classOf(id);
    const slot = this.#slots.get(id);
    if (slot) slot.holders++; // (an object known already: its model stands)
    else this.#slots.set(id, { model: model ?? this.readModel(e), holders: 1, dirty: false });
    this.pool.push(e);
    if (model && !slot) this.verify(e); // the prediction against the new object
    return e;
  }

  /** Drops an entry and its handle (which may run hooks). */
  release(e: Entry): void {
    if (e.removed) return;
    e.removed = true;
    const i = this.pool.indexOf(e);
    if (i >= 0) {
      this.pool[i] = this.pool[this.pool.length - 1];
      this.pool.pop();
    }
    const slot = this.#slots.get(e.id)!;
    if (--slot.holders === 0) this.#slots.delete(e.id);
    this.attempt("release", () => e.ref.release(), { expect: null });
  }

  pick(filter?: (e: Entry) => boolean): Entry | undefined {
    const c = filter ? this.pool.filter(filter) : this.pool;
    return c.length ? this.rng.pick(c) : undefined;
  }

  model(e: Entry): Model | undefined {
    return e.removed ? undefined : this.#slots.get(e.id)?.model;
  }

  /** The model after a change by this operation (marked dirty when an outer one is in flight or the handle is gone). */
  changed(e: Entry): Model | undefined {
    const slot = this.#slots.get(e.id);
    if (e.removed) {
      // (a hook released this handle during the call: another handle of the object may hold
      // the model, which cannot be predicted now; it is read again)
      if (slot) slot.dirty = true;
      return undefined;
    }
    if (slot && this.#busy.get(e.id)) slot.dirty = true;
    return slot?.model;
  }

  /** After a change the fuzzer cannot predict (a hostile call that succeeded): read the object again. */
  reread(e: Entry): void {
    const slot = e.removed ? undefined : this.#slots.get(e.id);
    if (!slot) return;
    if (this.busy(e)) slot.dirty = true;
    else slot.model = this.readModel(e);
  }

  busy(e: Entry): boolean {
    return (this.#busy.get(e.id) ?? 0) > 0;
  }

  /** Reads an object's state into a model (for objects the fuzzer did not make itself). */
  readModel(e: Entry): Model | undefined {
    const r = e.ref;
    switch (e.kind) {
      case "list":
      case "tuple":
        return { t: "len", len: r.length };
      case "dict": {
        const keys = r.keys();
        const m = this.#keysModel(keys.map((k) => canonRef(k)));
        for (const k of keys) k.release();
        return m;
      }
      case "set":
      case "frozenset": {
        const ks: string[] = [];
        for (const k of r) {
          ks.push(canonRef(k as Ref));
          (k as Ref).release();
        }
        return this.#keysModel(ks);
      }
      case "bytes":
      case "bytearray":
        return { t: "bytes", data: Array.from(r.toJS() as Uint8Array) };
      case "inst": {
        const slots = e.cls?.slots;
        if (!slots) return { t: "attrs", present: new Set(), complete: false };
        return { t: "attrs", present: new Set(slots.filter((s) => r.hasattr(s))), complete: true };
      }
    }
    return undefined;
  }

  #keysModel(ks: string[]): Model {
    return { t: "keys", keys: new Set(ks), opaque: ks.some((k) => k === OPAQUE || k === UNHASHABLE) };
  }

  /** Checks an entry's object against its model (re-reads it when a hook changed it mid-flight). */
  verify(e: Entry): void {
    if (e.removed || this.busy(e)) return;
    const slot = this.#slots.get(e.id);
    if (!slot?.model) return;
    if (slot.dirty) {
      slot.dirty = false;
      slot.model = this.readModel(e);
      count(this.stats.checks, "model re-read after a hook");
      return;
    }
    const m = slot.model;
    const r = e.ref;
    const what = () => `${e.kind} #${e.serial} (${short(r)})`;
    if (m.t === "len") this.check(r.length === m.len, () => `len(${what()}) is ${r.length}, the model says ${m.len}`, "model: length");
    else if (m.t === "keys") {
      if (!m.opaque) this.check(r.length === m.keys.size, () => `len(${what()}) is ${r.length}, the model says ${m.keys.size}`, "model: keys");
    } else if (m.t === "bytes") {
      const got = Array.from(r.toJS() as Uint8Array);
      this.check(got.length === m.data.length && got.every((b, i) => b === m.data[i]), () => `${what()} holds ${got}, the model says ${m.data}`, "model: bytes");
    } else this.#verifyAttrs(e, m);
  }

  #verifyAttrs(e: Entry, m: Extract<Model, { t: "attrs" }>): void {
    const r = e.ref;
    const names = e.cls?.slots ?? [...m.present, ...(m.complete ? [this.rng.pick(this.names)] : [])];
    for (const n of names) {
      if (!m.complete && !m.present.has(n)) continue;
      const has = r.hasattr(n);
      this.check(has === m.present.has(n), () => `hasattr(${e.kind} #${e.serial}, ${n}) is ${has}, the model says ${!has}`, "model: attributes");
    }
  }

  // ---- running calls ------------------------------------------------------------------

  /**
   * Runs one API call: classifies what it throws, checks the predicted outcome and, after
   * a failure, that nothing changed (when no hook ran and no collection happened).
   */
  attempt<T>(what: string, f: () => T, o: AttemptOptions = {}): Outcome<T> {
    const touch = o.touch ?? [];
    const before = this.#snapshot(touch);
    if (o.since !== undefined) before.epoch = o.since;
    for (const e of touch) this.#busy.set(e.id, (this.#busy.get(e.id) ?? 0) + 1);
    let r: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      r = { ok: true, value: f() };
    } catch (error) {
      r = { ok: false, error };
    } finally {
      for (const e of touch) this.#busy.set(e.id, this.#busy.get(e.id)! - 1);
    }
    const calm = this.hookEpoch === before.epoch && this.#collections() === before.collections;
    if (!r.ok) this.#judgeError(what, r.error, o, calm, before, touch);
    else if (calm && o.expect) this.fail(`${what}: expected ${o.expect.name}, but it succeeded`);
    return { ...r, epoch: before.epoch, calm };
  }

  #judgeError(what: string, err: unknown, o: AttemptOptions, calm: boolean, before: Snapshot, touch: Entry[]): void {
    if (err instanceof FuzzFailure) throw err;
    if (err instanceof TrapError && o.hostile) this.fault("hostile exception propagated");
    else if (!(err instanceof PyError)) this.fail(`${what}: a non-PyError escaped: ${describeError(err)}`);
    else {
      count(this.stats.pyErrors, err.name);
      // (the debug engine's misuse report is expected only where the fuzzer passes a dead id on purpose)
      const misuse = /pyheap debug:/.test(err.message) && o.hostile && what.startsWith("raw.");
      if (!misuse && /pyheap debug:|corrupt|engine failed|engine aborted/.test(err.message)) this.fail(`${what}: engine fault: ${describeError(err)}`);
      const oom = err instanceof PyMemoryError; // (a boolean: the PyError classes are alike to the type checker)
      if (oom) {
        if (!this.memoryLimited && !o.hostile) this.fail(`${what}: PyMemoryError on a heap without maxMemory: ${err.message}`);
        this.fault("OOM failures");
      } else if (o.compound) return;
      else if (calm && o.expect === null) this.fail(`${what}: unexpected ${err.name}: ${err.message}`);
      else if (calm && o.expect && !isA(err, o.expect)) this.fail(`${what}: expected ${o.expect.name}, got ${err.name}: ${err.message}`);
    }
    if (calm && !o.compound) this.#unchanged(what, before, this.#snapshot(touch), touch, o);
  }

  #collections(): number {
    const x = this.heap.raw.exports;
    return x.gc_get_stat(0, 0) + x.gc_get_stat(1, 0) + x.gc_get_stat(2, 0);
  }

  #snapshot(touch: Entry[]): Snapshot {
    const h = this.heap;
    const f = h.sys.freelists();
    return {
      epoch: this.hookEpoch,
      collections: this.#collections(),
      refcounts: touch.map((e) => (e.ref.alive ? h.sys.getrefcount(e.ref) : -1)),
      lengths: touch.map((e) => sizeOf(e)),
      blocks: h.sys.getallocatedblocks() - (f.float + f.tuple + f.list + f.dict),
      interned: h.sys.internedCount(),
    };
  }

  #unchanged(what: string, a: Snapshot, b: Snapshot, touch: Entry[], o: AttemptOptions): void {
    touch.forEach((e, i) => {
      this.check(a.refcounts[i] === b.refcounts[i], () => `${what} failed and changed the refcount of ${e.kind} #${e.serial}: ${a.refcounts[i]} -> ${b.refcounts[i]}`, "unchanged after error");
      this.check(a.lengths[i] === b.lengths[i], () => `${what} failed and changed len(${e.kind} #${e.serial}): ${a.lengths[i]} -> ${b.lengths[i]}`, "unchanged after error");
    });
    if (!o.cyclic) this.check(a.blocks === b.blocks, () => `${what} failed and left ${b.blocks - a.blocks} blocks allocated`, "unchanged after error");
    this.check(a.interned === b.interned, () => `${what} failed and changed the intern table: ${a.interned} -> ${b.interned} strings`, "unchanged after error");
  }

  // ---- hooks ----------------------------------------------------------------------------

  /** Every hook: del, legacyDel, weakref and finalize callbacks, gc callbacks. */
  hook(kind: HookKind, self: Ref | undefined, fromEngine: boolean): void {
    this.hookEpoch++;
    count(this.stats.hooks, kind);
    if (kind === "del" && self) this.#delOnce(self);
    if (this.quiet || this.heap.closed) return;
    this.hookDepth++;
    let rethrow: unknown;
    try {
      this.log(`[${kind} hook${self ? ` on ${short(self)}` : ""}]`);
      this.#hookActions(kind, self);
      if (fromEngine) rethrow = this.#hookFault();
    } finally {
      this.hookDepth--;
    }
    if (rethrow) throw rethrow;
  }

  #hookActions(kind: HookKind, self: Ref | undefined): void {
    const rng = this.rng;
    for (let n = rng.int(3); n > 0; n--) {
      const r = rng.next();
      if (this.hookDepth > 4 || this.inScope) {
        if (r < 0.4) this.#hookRelease();
        continue;
      }
      if (r < 0.3) this.#hookRelease();
      else if (r < 0.45) { this.fault("hook allocations"); opMake(this); }
      else if (r < 0.55) this.#hookCollect(kind);
      else if (r < 0.72 && self) this.#resurrect(kind, self);
      else this.#hookOp();
    }
  }

  #hookRelease(): void {
    const e = this.pick();
    if (!e) return;
    this.fault("hook releases");
    this.log(`hook releases ${e.kind} #${e.serial}`);
    this.release(e);
  }

  #hookCollect(kind: HookKind): void {
    this.fault("hook collects");
    const r = this.attempt("gc.collect in a hook", () => this.heap.gc.collect(this.rng.int(3)));
    // (in a gc callback a collection is running: collect() returns 0 at once)
    if (r.ok && kind === "gc") this.check(r.value === 0, `gc.collect() inside a gc callback returned ${r.value}`);
  }

  /** A random operation of the table, from inside a hook (the heavy ones left out). */
  #hookOp(): void {
    const op = this.rng.weighted(OPS.filter(([, o]) => !o.heavy).map(([w, o]) => [w, o] as const));
    this.fault("hook operations");
    this.log(`hook op ${op.name}`);
    op.run(this);
  }

  /** Keeps the hook's object alive: a new handle, or a reference stored in a pool container. */
  #resurrect(kind: HookKind, self: Ref): void {
    this.fault("hook resurrections");
    const where = this.pick((e) => e.kind === "list" || (e.kind === "inst" && !e.cls?.slots));
    if (where && this.rng.chance(0.5)) {
      this.log(`resurrects ${short(self)} into ${where.kind} #${where.serial}`);
      if (where.kind === "list") {
        if (this.attempt("list.append(self)", () => where.ref.append(self), { touch: [where] }).ok) {
          const m = this.changed(where);
          if (m?.t === "len") m.len++;
        }
      } else if (this.attempt("setattr(self)", () => where.ref.setattr("res", self), { touch: [where] }).ok) {
        const m = this.changed(where);
        if (m?.t === "attrs") m.present.add("res");
      }
      return;
    }
    const r = this.attempt("self.dup()", () => self.dup(), { expect: null });
    if (!r.ok) return;
    this.log(`resurrects ${short(self)} as a handle`);
    const e = this.add(r.value);
    if (kind === "del" && e && e.kind === "inst" && e.cls?.weakrefable && !this.resurrected.has(e.id)) {
      const w = this.attempt("weakref.ref(resurrected)", () => this.heap.weakref.ref(self));
      if (w.ok) this.resurrected.set(e.id, w.value);
    }
  }

  /** A del runs at most once per object: a second run on an object still alive is a bug. */
  #delOnce(self: Ref): void {
    const w = this.resurrected.get(self.id);
    if (!w) return;
    const o = w.deref();
    if (o) {
      o.release();
      this.fail(`del ran twice on ${short(self)}`);
    }
    w.release();
    this.resurrected.delete(self.id);
  }

  /** Sometimes a hook throws, or tries heap.close(): both must reach sys.unraisablehook. */
  #hookFault(): unknown {
    const r = this.rng.next();
    if (r < 0.08) {
      this.fault("hook throws");
      this.#expectedUnraisable++;
      return new HookError("thrown by a hook on purpose");
    }
    if (r < 0.1) {
      this.fault("hook heap.close() calls");
      let err: unknown;
      try {
        this.heap.close();
      } catch (e) {
        err = e;
      }
      if (err === undefined || this.heap.closed) this.fail("heap.close() inside a hook closed the heap");
      if (!(err instanceof PyRuntimeError)) this.fail(`heap.close() inside a hook threw ${describeError(err)}`);
      if (this.rng.chance(0.5)) {
        this.#expectedUnraisable++;
        return err;
      }
    }
    return undefined;
  }

  #onUnraisable(info: UnraisableInfo): void {
    const e = info.exception;
    if (e instanceof FuzzFailure) return; // recorded already; rethrown after the step
    this.#unraisable++;
    if (e instanceof HookError) count(this.stats.checks, "unraisable: a hook's throw");
    else if (e instanceof PyRuntimeError && /close\(\)/.test(e.message)) count(this.stats.checks, "unraisable: close() refused");
    else this.fail(`unexpected exception reported to sys.unraisablehook (${info.message}): ${describeError(e)}`);
    if (typeof info.message !== "string") this.fail("UnraisableInfo.message is not a string");
  }

  /** A Link's del releases the next link (chains of them nest hooks thousands deep). */
  #linkDel(self: Ref): void {
    this.hookEpoch++;
    this.linkDels++;
    count(this.stats.hooks, "del (chain link)");
    const next = this.linkNext.get(self.id);
    this.linkNext.delete(self.id);
    next?.release();
    if (!this.quiet && this.rng.chance(0.002)) {
      this.fault("hook throws");
      this.#expectedUnraisable++;
      throw new HookError("thrown by a chain link's del");
    }
  }

  // ---- steps and invariants ------------------------------------------------------------------

  run(): void {
    const ops = OPS.map(([w, o]) => [w, o] as const);
    for (this.step = 1; this.step <= this.cfg.steps; this.step++) {
      this.#trim();
      const op = this.rng.weighted(ops);
      count(this.stats.ops, op.name);
      this.log(op.name);
      try {
        op.run(this);
      } catch (e) {
        if (!(e instanceof FuzzFailure)) this.fail(`operation ${op.name} threw outside any attempted call: ${describeError(e)}`);
        throw e;
      }
      this.#afterStep();
      if (this.step % this.cfg.checkEvery === 0) this.checkInvariants();
      this.stats.steps++;
    }
  }

  #trim(): void {
    while (this.pool.length > MAX_POOL) this.release(this.rng.pick(this.pool));
  }

  #afterStep(): void {
    if (this.#failure) throw this.#failure;
    const h = this.heap;
    if (h.closed) this.fail("the heap closed during an operation");
    const fault = h.engine.fault;
    if (fault) this.fail(`the engine faulted: ${fault.message}`);
    this.check(this.#unraisable === this.#expectedUnraisable, () => `sys.unraisablehook got ${this.#unraisable} exceptions, the hooks raised ${this.#expectedUnraisable}`, "unraisable count");
    for (const { fin, target } of this.finalizers) {
      // a finalizer whose object died has been called (no callback is pending between steps)
      const p = fin.alive ? fin.peek() : undefined;
      p?.[0].release();
      this.check(p !== null, () => `weakref.finalize: its object (${target.kind} #${target.serial}) died, the finalizer was not called`, "finalize");
    }
    this.check(h.gc.isenabled() === this.gcEnabled, `gc.isenabled() is ${h.gc.isenabled()}, the fuzzer set ${this.gcEnabled}`, "gc state");
  }

  checkInvariants(): void {
    const h = this.heap;
    this.check(h.mem.check() === 0, () => `heap.mem.check() is ${h.mem.check()}`, "heap.mem.check");
    for (const e of this.pool) {
      this.check(e.ref.alive, () => `pool handle ${e.kind} #${e.serial} was released behind the fuzzer's back`, "handles alive");
      this.verify(e);
    }
    if (this.cfg.debug) this.#census();
  }

  /** The handles the fuzzer holds, by object id (the census must find exactly these). */
  #expectedHeld(): Map<number, number> {
    const m = new Map<number, number>();
    const add = (id: number) => m.set(id, (m.get(id) ?? 0) + 1);
    for (const [id, slot] of this.#slots) m.set(id, slot.holders);
    for (const r of this.links) if (r.alive) add(r.id);
    for (const w of this.resurrected.values()) add(w.id);
    add(this.garbageId);
    return m;
  }

  #census(): void {
    const h = this.heap;
    let c: ReturnType<typeof h.raw.debugCensus>;
    try {
      c = h.raw.debugCensus();
    } catch (e) {
      if (e instanceof PyMemoryError && this.memoryLimited) return this.fault("OOM failures");
      throw e;
    }
    this.check(c.unsound === 0, () => `census: ${c.unsound} objects have fewer references than referrers`, "census sound");
    const expected = this.#expectedHeld();
    // alive finalizers hold a weakref handle each (ids the fuzzer does not see)
    let finalizerRefs = this.finalizers.filter((f) => f.fin.alive).length;
    const bad: string[] = [];
    for (const [id, n] of c.held) {
      const want = expected.get(id) ?? 0;
      expected.delete(id);
      if (n === want) continue;
      // (one more than the fuzzer's: a finalizer's weakref, which gc.getObjects may have handed out too)
      if (n === want + 1 && finalizerRefs > 0 && h.raw.type(id) === "weakref.ReferenceType") {
        finalizerRefs--;
        continue;
      }
      bad.push(`${h.raw.type(id)} ${h.raw.repr(id).slice(0, 80)} held ${n} times, the fuzzer holds ${want}`);
    }
    for (const [id, n] of expected) {
      if (n > 0 && h.raw.refcount(id) !== IMMORTAL) bad.push(`${h.raw.type(id)} held by ${n} fuzzer handles, the census finds none`);
    }
    this.check(bad.length === 0, () => `census: handles do not match:\n    ${bad.slice(0, 10).join("\n    ")}`, "census held");
  }

  // ---- teardown -------------------------------------------------------------------------------

  /** Releases everything, checks that nothing leaked, closes the heap. */
  teardown(): void {
    const h = this.heap;
    this.checkInvariants();
    this.quiet = true;
    h.gc.callbacks.length = 0;
    h.gc.setDebug(0);
    h.gc.unfreeze();
    while (this.pool.length) this.release(this.pool[this.pool.length - 1]);
    for (const r of this.links) r.release();
    for (const { fin } of this.finalizers) fin.detach()?.[0].release();
    for (const w of this.resurrected.values()) w.release();
    this.resurrected.clear();
    for (const p of this.ballast) h.mem.free(p);
    this.ballast = [];
    this.#emptyGarbage();
    if (this.#failure) throw this.#failure;
    this.#checkNothingLeft();
    this.other.close();
    h.close();
    this.check(h.closed, "heap.close() did not close the heap", "teardown");
    let after: unknown;
    try {
      h.list().release();
    } catch (e) {
      after = e;
    }
    this.check(after instanceof PyReferenceError, () => `heap.list() after close: ${describeError(after)}`, "teardown");
  }

  /** Breaks the cycles of gc.garbage (legacy finalizers keep them) and collects until nothing is left. */
  #emptyGarbage(): void {
    const h = this.heap;
    const g = h.gc.garbage;
    const ids = (h.objects.children(g.id) as number[]);
    this.check(new Set(ids).size === ids.length, `gc.garbage holds an object twice (${ids.length} items, ${new Set(ids).size} objects)`, "teardown");
    for (let round = 0; round < 8; round++) {
      h.gc.collect();
      if (g.length === 0 && h.gc.collect() === 0) return;
      for (const item of g) {
        clearReferences(h, item as Ref);
        (item as Ref).release();
      }
      g.clear();
    }
    this.fail(`gc.garbage does not empty: ${short(g)}`);
  }

  #checkNothingLeft(): void {
    const h = this.heap;
    h.gc.collect();
    h.sys.clearFreelists();
    if (this.cfg.debug) {
      const c = h.raw.debugCensus();
      this.check(c.unsound === 0, `census at teardown: ${c.unsound} unsound objects`, "teardown");
      const left = [...c.held].filter(([id]) => id !== this.garbageId);
      this.check(left.length === 0, () => `objects still held after every handle was released:\n    ${left.slice(0, 12).map(([id, n]) => `${h.raw.type(id)} ${h.raw.repr(id).slice(0, 80)} (x${n})`).join("\n    ")}`, "teardown");
    }
    const names = h.objects.names.size - this.#baseline.names;
    const interned = h.sys.internedCount() - this.#baseline.interned;
    this.check(interned === names, `intern table: ${interned} strings more than at the start, ${names} of them attribute names`, "teardown");
    const blocks = h.sys.getallocatedblocks() - this.#baseline.blocks;
    this.check(blocks === names, () => `leak: ${blocks - names} blocks more than the baseline ${this.#baseline.blocks} (+${names} attribute names)` + this.#leftovers(), "teardown");
    this.check(h.mem.check() === 0, "heap.mem.check() at teardown", "teardown");
  }

  #leftovers(): string {
    const objs = this.heap.gc.getObjects();
    const text = objs.slice(0, 12).map((o) => `\n    tracked: ${o.type} ${short(o)}`).join("");
    for (const o of objs) o.release();
    return text;
  }
}

/** instanceof without narrowing (the PyError classes are structurally alike to the type checker). */
const isA = (e: unknown, c: ErrClass): boolean => e instanceof c;

interface Snapshot {
  epoch: number;
  collections: number;
  refcounts: number[];
  lengths: (number | undefined)[];
  blocks: number;
  interned: number;
}

function sizeOf(e: Entry): number | undefined {
  if (!e.ref.alive || e.kind === "inst" || e.kind === "int" || e.kind === "float" || e.kind === "none" || e.kind === "bool" || e.kind === "weakref") return undefined;
  try {
    return e.ref.length;
  } catch {
    return undefined; // a released memoryview, a dead proxy
  }
}

/** Drops what an object of gc.garbage refers to, so that its cycle can be collected. */
function clearReferences(h: Heap, o: Ref): void {
  const t = o.type;
  if (t === "list" || t === "dict" || t === "set") return o.clear();
  const cls = h.raw.classOf(o.id);
  if (!cls) return;
  // every attribute name ever used in this heap is in the host's name cache
  for (const name of cls.slots ?? [...h.objects.names.keys()]) if (o.hasattr(name)) o.delattr(name);
}

/** A handle as the log shows it (repr cut short; never throws). */
export function short(r: Ref, full = false): string {
  try {
    if (!r.alive) return "<released>";
    const s = r.repr();
    return full || s.length <= 60 ? s : s.slice(0, 57) + "...";
  } catch (e) {
    return `<${r.type}: ${e instanceof Error ? e.message : e}>`;
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 6).join("\n")}`;
  return String(e);
}

/** Runs one seed; a failure is recorded in stats.failures (and the heap left as it is). */
export async function fuzzSeed(cfg: FuzzConfig, stats: FuzzStats): Promise<void> {
  const t0 = performance.now();
  const f = new Fuzzer(cfg, stats);
  try {
    await f.setup();
    f.run();
    f.teardown();
  } catch (e) {
    stats.failures.push(e instanceof FuzzFailure ? e.message : `seed ${cfg.seed} (${f.engine}) crashed the fuzzer: ${describeError(e)}`);
  } finally {
    stats.seeds++;
    stats.ms += performance.now() - t0;
  }
}

export interface RunOptions {
  firstSeed: number;
  seeds: number;
  stepsPerSeed: number;
  debug: boolean;
  checkEvery?: number;
  known?: readonly number[];
}

export async function fuzz(o: RunOptions): Promise<FuzzStats> {
  const stats = newStats();
  for (let i = 0; i < o.seeds; i++) {
    await fuzzSeed({ seed: o.firstSeed + i, steps: o.stepsPerSeed, debug: o.debug, checkEvery: o.checkEvery, known: o.known }, stats);
  }
  return stats;
}
