/**
 * The oracle's trace language (tests/oracle/README.md) and its pyheap runner.
 *
 * A trace is a list of steps a Python program could run, one statement each; trace
 * names are Python names (pyheap handles). run_cpython.py runs the same trace in
 * CPython 3.11; both record the same observations, which oracle.test.ts compares.
 */
import type { Heap } from "../../src/heap.js";
import { PyAttributeError, PyReferenceError, PyTypeError } from "../../src/errors.js";
import { Ref, type PyClass, type PyValue } from "../../src/objects.js";
import type { Finalize, WeakKeyDictionary, WeakSet, WeakValueDictionary } from "../../src/weakref.js";

/** An atom: an int, None, or a str ({ s: "text" }). Atoms are not GC objects. */
export type Atom = number | null | { s: string };
/** A trace name (a string), "@garbage" (gc.garbage), "@resurrect" (where Lazarus instances go), or an atom. */
export type Value = string | Atom;

export const CLASS_NAMES = ["Plain", "Slots", "Del", "DelSlots", "Lazarus", "Legacy", "WSlots"] as const;
/**
 * Plain: a class without slots (attributes a, b, c, d); Slots: __slots__ = (a, b, c);
 * WSlots: __slots__ = (a, b, c, __weakref__) (slotted and weakly referenceable);
 * Del / DelSlots: the same with a __del__ that logs ["del", name]; Lazarus: a plain
 * class whose __del__ logs and appends self to "@resurrect"; Legacy: a plain class with
 * a legacy tp_del finalizer (_testcapi.with_tp_del) that logs ["legacy", name].
 */
export type ClassName = (typeof CLASS_NAMES)[number];
/**
 * The fixed classes without __slots__: the ones a "class" step can copy. CPython's
 * instances of these keep their attributes in the class's shared keys (PEP 412).
 */
export const KEYED_CLASSES = ["Plain", "Del", "Lazarus", "Legacy"] as const;
export type KeyedClassName = (typeof KEYED_CLASSES)[number];
/** A class defined by a trace's "class" step: any other identifier. */
export type TypeName = "list" | "tuple" | "set" | "frozenset" | "dict" | ClassName;
export type WeakContainerType = "WeakValueDictionary" | "WeakKeyDictionary" | "WeakSet";
/** What a trace name may hold besides a handle: a finalize object (of finLog) or a weak container. */
type WeakExtra = Finalize<[string]> | WeakValueDictionary | WeakKeyDictionary | WeakSet;

type NewSeq = { op: "new"; name: string; type: "list" | "tuple" | "set" | "frozenset"; items?: Value[] };
type NewDict = { op: "new"; name: string; type: "dict"; entries?: [Value, Value][] };
/** (type: a fixed class, or the name of a class a "class" step defined: any other identifier) */
type NewInstance = { op: "new"; name: string; type: ClassName | string; attrs?: [string, Value][] };

export type Step =
  // creation: `name = [..]`, `(..,)`, `{..}`, `frozenset([..])`, `{k: v}`, `Cls()` then attrs set in order
  | NewSeq
  | NewDict
  | NewInstance
  // a fresh class, made when the step runs (in CPython by a class statement: its shared
  // keys start empty, usable 30), behaving like `like` (default Plain); `new` makes its
  // instances by name. A class name is not a value (pyheap's classes are not heap objects)
  | { op: "class"; name: string; like?: KeyedClassName }
  // links
  | { op: "append"; target: string; value: Value }                 // target.append(value)
  | { op: "setitem"; target: string; key: Value; value: Value }    // target[key] = value (list index or dict key)
  | { op: "setattr"; target: string; attr: string; value: Value }  // target.attr = value
  | { op: "add"; target: string; value: Value }                    // target.add(value)
  // unlinks
  | { op: "delattr"; target: string; attr: string }                // del target.attr
  | { op: "try_delattr"; target: string; attr: string }            // del target.attr: ["delattr_error", AttributeError's message or null]
  | { op: "delitem"; target: string; key: Value }                  // del target[key]
  | { op: "pop"; target: string; index?: number }                  // target.pop(index), result dropped
  | { op: "clear"; target: string }                                // target.clear() (list, dict, set, @garbage, @resurrect)
  // names
  | { op: "load"; name: string; from: string; attr: string }       // name = from.attr
  | { op: "load"; name: string; from: string; key: Value }         // name = from[key]
  | { op: "alias"; name: string; from: string }                    // name = from
  | { op: "del"; name: string }                                    // del name (releases the handle)
  // the collector
  | { op: "collect"; gen?: 0 | 1 | 2 }                             // records ["collect", n]
  | { op: "freeze" }
  | { op: "unfreeze" }
  | { op: "set_debug"; flags: number }                             // 0 or DEBUG_SAVEALL (32)
  // queries (each records one observation)
  | { op: "is_tracked"; name: string }                             // ["tracked", bool]
  | { op: "is_finalized"; name: string }                           // ["finalized", bool]
  | { op: "refcount"; name: string }                               // ["refcount", sys.getrefcount(name) - 1]
  | { op: "get_count" }                                            // ["count", [c0, c1, c2]]
  | { op: "get_stats" }                                            // ["stats", [[collections, collected, uncollectable] x 3]], since the trace began
  | { op: "garbage_len" }                                          // ["garbage_len", len(gc.garbage)]
  | { op: "garbage" }                                              // ["garbage", names of gc.garbage's items]
  | { op: "resurrected" }                                          // ["resurrected", names of @resurrect's items]
  | { op: "frozen" }                                               // ["frozen", gc.get_freeze_count() > 0]
  | { op: "referents"; name: string }                              // ["referents", names of gc.get_referents(name), atoms and the class left out]
  | { op: "attrs"; name: string }                                  // ["attrs", the instance's attribute names in iteration order: list(vars(name))]
  // weak references (weakref module). A callback logs ["callback", "<its name> dead|alive"],
  // followed by " <w>=<referent's name or ->" for each watched weakref w
  | { op: "weakref"; name: string; target: string; callback?: boolean } // name = weakref.ref(target[, callback])
  | { op: "proxy"; name: string; target: string; callback?: boolean }   // name = weakref.proxy(target[, callback])
  | { op: "try_weakref"; target: string }                          // ["weakref_error", TypeError's message or null]
  | { op: "watch"; name: string }                                  // callbacks also log this weakref's referent (holds it)
  | { op: "deref"; name: string }                                  // ["deref", name of name() or null]
  | { op: "use"; name: string; attr?: string }                     // ["use", len(proxy) / hasattr(proxy, attr) / "ReferenceError"]
  | { op: "weakrefcount"; name: string }                           // ["weakrefcount", weakref.getweakrefcount(name)]
  | { op: "finalize"; name: string; target: string }               // name = weakref.finalize(target, fin, name): logs ["finalize", name]
  | { op: "fin_call"; name: string }                               // name()
  | { op: "fin_alive"; name: string }                              // ["fin_alive", name.alive]
  | { op: "fin_detach"; name: string }                             // ["detach", name of detach()[0] or null]
  | { op: "fin_peek"; name: string }                               // ["peek", name of peek()[0] or null]
  | { op: "weak_new"; name: string; type: WeakContainerType }      // name = weakref.WeakValueDictionary() ...
  | { op: "weak_set"; target: string; key: Value; value: Value }   // target[key] = value (weak dictionaries)
  | { op: "weak_add"; target: string; value: string }              // target.add(value) (WeakSet)
  | { op: "weak_del"; target: string; key: Value }                 // del target[key] / target.discard(key)
  | { op: "weak_len"; name: string }                               // ["weak_len", len(name)]
  | { op: "weak_has"; target: string; key: Value };                // ["weak_has", key in target]

export interface Trace {
  name: string;
  /** What the trace checks (hand-written ports: the test_gc.py test and its assertion). */
  doc?: string;
  steps: Step[];
}

export interface TraceGroup {
  group: string;
  traces: Trace[];
}

/**
 * One observation: [step, kind, value]. Queries and collect() record one; del hooks
 * record ["del", name] / ["legacy", name] when they run, in order. Step steps.length is
 * the end of the trace, when the remaining names die in order of first binding.
 */
export type Observation = [number, string, unknown];

export interface Golden {
  python: string;
  group: string;
  results: Record<string, Observation[]>;
}

/** What `referents` leaves out: atoms (CPython also leaves out the class). */
const ATOM_TYPES = new Set(["int", "str", "NoneType", "bool"]);

/** Runs a trace on a new heap (which the caller closes) and returns what it observed. */
export function runOnPyheap(trace: Trace, heap: Heap): Observation[] {
  const log: Observation[] = [];
  let cur = 0;
  const labels = new Map<number, string>();
  const label = (r: Ref) => labels.get(r.id) ?? "?";
  heap.gc.disable();
  // a del hook that throws is a bug of this runner: reported after the run
  const unraisable: string[] = [];
  heap.sys.unraisablehook = (info) => { unraisable.push(`step ${cur}: ${info.message}: ${String(info.exception)}`); };
  let recording = true; // (closing the heap may run hooks later: not part of the trace)
  const logDel = (self: Ref) => { if (recording) log.push([cur, "del", label(self)]); };
  let resurrect: Ref | undefined;
  const classes: Record<ClassName, PyClass> = {
    Plain: heap.defineClass("Plain"),
    Slots: heap.defineClass("Slots", { slots: ["a", "b", "c"] }),
    Del: heap.defineClass("Del", { del: logDel }),
    DelSlots: heap.defineClass("DelSlots", { slots: ["a", "b", "c"], del: logDel }),
    Lazarus: heap.defineClass("Lazarus", {
      del: (self) => {
        logDel(self);
        resurrect!.append(self);
      },
    }),
    Legacy: heap.defineClass("Legacy", { legacyDel: (self) => { if (recording) log.push([cur, "legacy", label(self)]); } }),
    WSlots: heap.defineClass("WSlots", { slots: ["a", "b", "c", "__weakref__"] }),
  };
  resurrect = heap.list();
  // CPython's fixed classes (module-level in run_cpython.py) have shared keys a, b, c, d:
  // its warm-up instance fixed that order. Do the same here, with nothing recorded, so that
  // an instance's attributes are traversed, cleared and freed in the order a, b, c, d in
  // both. (CPython's classes have also had many instances made by earlier traces, so their
  // keys' usable count is down to 1, while here it is 25: the traces only ever give these
  // classes the attributes a, b, c, d, which are in the keys, so usable never matters.)
  recording = false;
  for (const c of KEYED_CLASSES) {
    const warm = classes[c].new();
    for (const a of ["a", "b", "c", "d"]) warm.setattr(a, null);
    warm.release(); // (Del and Legacy: their hooks run unrecorded; Lazarus: into @resurrect)
  }
  resurrect.clear();
  recording = true;
  // the trace's own classes ("class" steps)
  const fresh = new Map<string, PyClass>();
  const classOf = (type: string): PyClass => {
    const c = (classes as Record<string, PyClass>)[type] ?? fresh.get(type);
    if (!c) throw new Error(`${trace.name}: step ${cur}: no class '${type}'`);
    return c;
  };
  // the trace's first collection (run_cpython.py does the same): a fresh start for
  // generations, counts, statistics and free lists
  heap.gc.collect();

  const names = new Map<string, Ref>();
  // names bound to host objects: weakref.finalize objects and the weak containers
  const extras = new Map<string, WeakExtra>();
  const order: string[] = []; // names in order of first binding: CPython's co_varnames order
  const resolve = (n: string): Ref => {
    if (n === "@garbage") return heap.gc.garbage;
    if (n === "@resurrect") return resurrect!;
    const r = names.get(n);
    if (!r) throw new Error(`${trace.name}: step ${cur}: name '${n}' is not bound`);
    return r;
  };
  const value = (v: Value): PyValue => {
    if (typeof v === "string") return resolve(v);
    if (v !== null && typeof v === "object") return v.s;
    return v;
  };
  const dropExtra = (x: WeakExtra | undefined) => {
    // a finalize object is kept alive by weakref.finalize's registry: dropping a name does nothing
    if (x && "release" in x) x.release();
  };
  const bind = (n: string, r: Ref) => {
    // STORE_FAST: the new reference is stored before the old one is dropped
    const old = names.get(n);
    const oldExtra = extras.get(n);
    names.set(n, r);
    extras.delete(n);
    if (!order.includes(n)) order.push(n);
    old?.release();
    dropExtra(oldExtra);
  };
  const bindExtra = (n: string, x: WeakExtra) => {
    const old = names.get(n);
    const oldExtra = extras.get(n);
    extras.set(n, x);
    names.delete(n);
    if (!order.includes(n)) order.push(n);
    old?.release();
    dropExtra(oldExtra);
  };
  const extra = (n: string) => {
    const x = extras.get(n);
    if (!x) throw new Error(`${trace.name}: step ${cur}: '${n}' is not a finalize object or a weak container`);
    return x;
  };
  const fin = (n: string) => extra(n) as Finalize<[string]>;
  const weak = (n: string) => extra(n) as WeakValueDictionary | WeakKeyDictionary | WeakSet;
  const weakKinds = new Map<object, WeakContainerType>();
  const kindOf = (n: string): WeakContainerType => {
    const x = weak(n);
    const k = weakKinds.get(x);
    if (!k) throw new Error(`${trace.name}: step ${cur}: '${n}' is not a weak container`);
    return k;
  };

  // weak reference callbacks: log the weakref's name and state, then each watched weakref's referent
  const watched: [string, Ref][] = [];
  const wrcb = (wr: Ref) => {
    if (!recording) return;
    const o = wr.deref();
    let text = `${label(wr)} ${o ? "alive" : "dead"}`;
    o?.release();
    for (const [n, w] of watched) {
      const x = w.deref();
      text += ` ${n}=${x ? label(x) : "-"}`;
      x?.release();
    }
    log.push([cur, "callback", text]);
  };
  const finLog = (n: string) => {
    if (recording) log.push([cur, "finalize", n]);
  };
  // CPython makes an exception's args tuple (a 1-tuple) when it normalizes an exception
  // that Python code catches (ReferenceError, TypeError) or when hasattr() through a
  // proxy swallows an AttributeError: gc.get_count() and the tuple free list see it
  const exceptionTuple = () => heap.tuple([0]).release();
  const labelsOf = (list: Ref): string[] => {
    const out: string[] = [];
    for (let i = 0; i < list.length; i++) {
      const r = list.get(i) as Ref;
      out.push(label(r));
      r.release();
    }
    return out;
  };

  const steps = trace.steps;
  for (cur = 0; cur < steps.length; cur++) {
    const s = steps[cur];
    switch (s.op) {
      case "new": {
        let r: Ref;
        // (NewInstance's type is any string: the step types do not narrow by it)
        const seq = s as NewSeq;
        switch (s.type) {
          case "list": r = heap.list(seq.items?.map(value)); break;
          case "tuple": r = heap.tuple(seq.items?.map(value)); break;
          case "set": r = heap.set(seq.items?.map(value)); break;
          case "frozenset": {
            // frozenset([...]): the list display is a temporary
            const items = (seq.items ?? []).map(value);
            const tmp = heap.list(items);
            r = heap.frozenset(items);
            tmp.release();
            break;
          }
          case "dict": r = heap.dict(((s as NewDict).entries ?? []).map(([k, v]) => [value(k), value(v)] as const)); break;
          default: {
            r = classOf(s.type).new();
            for (const [a, v] of (s as NewInstance).attrs ?? []) r.setattr(a, value(v));
          }
        }
        labels.set(r.id, s.name);
        bind(s.name, r);
        break;
      }
      case "class": {
        if ((CLASS_NAMES as readonly string[]).includes(s.name) || fresh.has(s.name) || names.has(s.name)) {
          throw new Error(`${trace.name}: step ${cur}: class '${s.name}' defined twice`);
        }
        const like = s.like ?? "Plain";
        const options =
          like === "Plain" ? {} :
          like === "Del" ? { del: logDel } :
          like === "Lazarus" ? { del: (self: Ref) => { logDel(self); resurrect!.append(self); } } :
          like === "Legacy" ? { legacyDel: (self: Ref) => { if (recording) log.push([cur, "legacy", label(self)]); } } :
          undefined;
        if (!options) throw new Error(`${trace.name}: step ${cur}: a class step copies ${KEYED_CLASSES.join(", ")}, not ${like}`);
        fresh.set(s.name, heap.defineClass(s.name, options));
        break;
      }
      case "append": resolve(s.target).append(value(s.value)); break;
      case "setitem": resolve(s.target).set(value(s.key), value(s.value)); break;
      case "setattr": resolve(s.target).setattr(s.attr, value(s.value)); break;
      case "add": resolve(s.target).add(value(s.value)); break;
      case "delattr": resolve(s.target).delattr(s.attr); break;
      case "try_delattr": {
        let message: string | null = null;
        try {
          resolve(s.target).delattr(s.attr);
        } catch (e) {
          if (!(e instanceof PyAttributeError)) throw e;
          message = e.message;
        }
        if (message !== null) exceptionTuple(); // (the caught AttributeError's args tuple)
        log.push([cur, "delattr_error", message]);
        break;
      }
      case "delitem": resolve(s.target).delete(value(s.key)); break;
      case "pop": resolve(s.target).pop(s.index ?? -1).release(); break;
      case "clear": resolve(s.target).clear(); break;
      case "load": {
        const from = resolve(s.from);
        let r: Ref | number | undefined;
        if ("attr" in s) r = from.getattr(s.attr);
        else r = from.get(value(s.key));
        if (!(r instanceof Ref)) throw new Error(`${trace.name}: step ${cur}: load found no object`);
        bind(s.name, r);
        break;
      }
      case "alias": bind(s.name, resolve(s.from).dup()); break;
      case "del": {
        if (extras.has(s.name)) {
          const x = extras.get(s.name);
          extras.delete(s.name);
          dropExtra(x);
          break;
        }
        const r = resolve(s.name);
        names.delete(s.name);
        r.release();
        break;
      }
      case "collect": log.push([cur, "collect", heap.gc.collect(s.gen ?? 2)]); break;
      case "freeze": heap.gc.freeze(); break;
      case "unfreeze": heap.gc.unfreeze(); break;
      case "set_debug": heap.gc.setDebug(s.flags); break;
      case "is_tracked": log.push([cur, "tracked", heap.gc.isTracked(resolve(s.name))]); break;
      case "is_finalized": log.push([cur, "finalized", heap.gc.isFinalized(resolve(s.name))]); break;
      case "refcount": log.push([cur, "refcount", heap.sys.getrefcount(resolve(s.name))]); break;
      case "get_count": {
        log.push([cur, "count", heap.gc.getCount()]);
        heap.tuple([0, 0, 0]).release(); // gc.get_count() returns a new 3-tuple
        break;
      }
      case "get_stats": {
        const st = heap.gc.getStats();
        log.push([cur, "stats", st.map((g) => [g.collections, g.collected, g.uncollectable])]);
        // gc.get_stats() returns a new list of three new dicts
        const l = heap.list();
        for (const g of st) {
          const d = heap.dict({ collections: g.collections, collected: g.collected, uncollectable: g.uncollectable });
          l.append(d);
          d.release();
        }
        l.release();
        break;
      }
      case "garbage_len": log.push([cur, "garbage_len", heap.gc.garbage.length]); break;
      case "garbage": log.push([cur, "garbage", labelsOf(heap.gc.garbage)]); break;
      case "resurrected": log.push([cur, "resurrected", labelsOf(resurrect)]); break;
      case "frozen": log.push([cur, "frozen", heap.gc.getFreezeCount() > 0]); break;
      case "referents": {
        // gc.get_referents(x) makes a list in both; atoms left out (and in CPython the
        // class, which pyheap does not model)
        const out: string[] = [];
        for (const r of heap.gc.getReferents(resolve(s.name))) {
          if (!ATOM_TYPES.has(r.type)) out.push(label(r));
          r.release();
        }
        log.push([cur, "referents", out]);
        break;
      }
      case "attrs": {
        // the instance's attributes in iteration order (what toJS() and repr list)
        const r = resolve(s.name);
        log.push([cur, "attrs", r._objects.attributes(r._live).map(([n]) => n)]);
        break;
      }
      // ---- weak references ----
      case "weakref": {
        // weakref.ref(...) calls a type: its arguments are a temporary tuple
        const args = heap.tuple(s.callback ? [0, 0] : [0]);
        const r = heap.weakref.ref(resolve(s.target), s.callback ? wrcb : undefined);
        args.release();
        labels.set(r.id, s.name);
        bind(s.name, r);
        break;
      }
      case "proxy": {
        const r = heap.weakref.proxy(resolve(s.target), s.callback ? wrcb : undefined);
        labels.set(r.id, s.name);
        bind(s.name, r);
        break;
      }
      case "try_weakref": {
        const args = heap.tuple([0]);
        let message: string | null = null;
        try {
          heap.weakref.ref(resolve(s.target)).release();
        } catch (e) {
          if (!(e instanceof PyTypeError)) throw e;
          message = e.message;
        }
        args.release();
        if (message !== null) exceptionTuple();
        log.push([cur, "weakref_error", message]);
        break;
      }
      case "watch": watched.push([s.name, resolve(s.name).dup()]); break;
      case "deref": {
        const o = resolve(s.name).deref();
        log.push([cur, "deref", o ? label(o) : null]);
        o?.release();
        break;
      }
      case "use": {
        const p = resolve(s.name);
        let v: number | boolean | string;
        try {
          v = s.attr === undefined ? p.length : p.hasattr(s.attr);
        } catch (e) {
          if (!(e instanceof PyReferenceError)) throw e;
          v = "ReferenceError";
        }
        if (v === "ReferenceError" || v === false) exceptionTuple();
        log.push([cur, "use", v]);
        break;
      }
      case "weakrefcount": log.push([cur, "weakrefcount", heap.weakref.getweakrefcount(resolve(s.name))]); break;
      case "finalize": bindExtra(s.name, heap.weakref.finalize(resolve(s.target), finLog, s.name)); break;
      case "fin_call": fin(s.name).call(); break;
      case "fin_alive": log.push([cur, "fin_alive", fin(s.name).alive]); break;
      case "fin_detach":
      case "fin_peek": {
        const f = fin(s.name);
        const r = s.op === "fin_detach" ? f.detach() : f.peek();
        log.push([cur, s.op === "fin_detach" ? "detach" : "peek", r ? label(r[0]) : null]);
        r?.[0].release();
        break;
      }
      case "weak_new": {
        const w = heap.weakref;
        const x = s.type === "WeakValueDictionary" ? w.WeakValueDictionary() : s.type === "WeakKeyDictionary" ? w.WeakKeyDictionary() : w.WeakSet();
        weakKinds.set(x, s.type);
        bindExtra(s.name, x);
        break;
      }
      case "weak_set": {
        const k = kindOf(s.target);
        if (k === "WeakValueDictionary") (weak(s.target) as WeakValueDictionary).set(value(s.key), resolve(s.value as string));
        else if (k === "WeakKeyDictionary") (weak(s.target) as WeakKeyDictionary).set(resolve(s.key as string), value(s.value));
        else throw new Error(`${trace.name}: step ${cur}: weak_set on a WeakSet`);
        break;
      }
      case "weak_add": {
        if (kindOf(s.target) !== "WeakSet") throw new Error(`${trace.name}: step ${cur}: weak_add needs a WeakSet`);
        (weak(s.target) as WeakSet).add(resolve(s.value));
        break;
      }
      case "weak_del": {
        const k = kindOf(s.target);
        if (k === "WeakValueDictionary") (weak(s.target) as WeakValueDictionary).delete(value(s.key));
        else if (k === "WeakKeyDictionary") (weak(s.target) as WeakKeyDictionary).delete(resolve(s.key as string));
        else (weak(s.target) as WeakSet).discard(resolve(s.key as string));
        break;
      }
      case "weak_len": log.push([cur, "weak_len", weak(s.name).length]); break;
      case "weak_has": log.push([cur, "weak_has", weak(s.target).has(value(s.key))]); break;
      default: throw new Error(`${trace.name}: unknown op ${JSON.stringify(s)}`);
    }
  }
  // the trace function returns: its frame drops its locals in co_varnames order
  for (const n of order) {
    const r = names.get(n);
    if (r) {
      names.delete(n);
      r.release();
    }
    const x = extras.get(n);
    if (x) {
      extras.delete(n);
      dropExtra(x);
    }
  }
  recording = false;
  // the watched weakrefs were held by run_cpython.py's module (released when it cleans up)
  for (const [, w] of watched) w.release();
  if (unraisable.length) throw new Error(`${trace.name}: exceptions in del hooks:\n${unraisable.join("\n")}`);
  return log;
}

/** "step 3 (collect gen 0)" for messages. */
export function describeStep(trace: Trace, step: number): string {
  if (step >= trace.steps.length) return `step ${step} (end of trace: names released)`;
  return `step ${step} ${JSON.stringify(trace.steps[step])}`;
}
