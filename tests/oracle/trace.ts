/**
 * The oracle's trace language (tests/oracle/README.md) and its pyheap runner.
 *
 * A trace is a list of steps a Python program could run, one statement each; trace
 * names are Python names (pyheap handles). run_cpython.py runs the same trace in
 * CPython 3.11; both record the same observations, which oracle.test.ts compares.
 */
import type { Heap } from "../../src/heap.js";
import { Ref, type PyClass, type PyValue } from "../../src/objects.js";

/** An atom: an int, None, or a str ({ s: "text" }). Atoms are not GC objects. */
export type Atom = number | null | { s: string };
/** A trace name (a string), "@garbage" (gc.garbage), "@resurrect" (where Lazarus instances go), or an atom. */
export type Value = string | Atom;

export const CLASS_NAMES = ["Plain", "Slots", "Del", "DelSlots", "Lazarus", "Legacy"] as const;
/**
 * Plain: a class without slots (attributes a, b, c, d); Slots: __slots__ = (a, b, c);
 * Del / DelSlots: the same with a __del__ that logs ["del", name]; Lazarus: a plain
 * class whose __del__ logs and appends self to "@resurrect"; Legacy: a plain class with
 * a legacy tp_del finalizer (_testcapi.with_tp_del) that logs ["legacy", name].
 */
export type ClassName = (typeof CLASS_NAMES)[number];
export type TypeName = "list" | "tuple" | "set" | "frozenset" | "dict" | ClassName;

export type Step =
  // creation: `name = [..]`, `(..,)`, `{..}`, `frozenset([..])`, `{k: v}`, `Cls()` then attrs set in order
  | { op: "new"; name: string; type: "list" | "tuple" | "set" | "frozenset"; items?: Value[] }
  | { op: "new"; name: string; type: "dict"; entries?: [Value, Value][] }
  | { op: "new"; name: string; type: ClassName; attrs?: [string, Value][] }
  // links
  | { op: "append"; target: string; value: Value }                 // target.append(value)
  | { op: "setitem"; target: string; key: Value; value: Value }    // target[key] = value (list index or dict key)
  | { op: "setattr"; target: string; attr: string; value: Value }  // target.attr = value
  | { op: "add"; target: string; value: Value }                    // target.add(value)
  // unlinks
  | { op: "delattr"; target: string; attr: string }                // del target.attr
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
  | { op: "frozen" };                                              // ["frozen", gc.get_freeze_count() > 0]
// Weak references (issue 4, next): { op: "weakref"; name; target; callback?: string } (callback
// logs ["callback", name]), { op: "deref"; name; ref } (["deref", name of referent | null]),
// { op: "proxy"; name; target }, { op: "finalize"; name; target } (logs ["finalize", name]).

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
  };
  resurrect = heap.list();
  // the trace's first collection (run_cpython.py does the same): a fresh start for
  // generations, counts, statistics and free lists
  heap.gc.collect();

  const names = new Map<string, Ref>();
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
  const bind = (n: string, r: Ref) => {
    // STORE_FAST: the new reference is stored before the old one is dropped
    const old = names.get(n);
    names.set(n, r);
    if (!order.includes(n)) order.push(n);
    old?.release();
  };
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
        switch (s.type) {
          case "list": r = heap.list(s.items?.map(value)); break;
          case "tuple": r = heap.tuple(s.items?.map(value)); break;
          case "set": r = heap.set(s.items?.map(value)); break;
          case "frozenset": {
            // frozenset([...]): the list display is a temporary
            const items = (s.items ?? []).map(value);
            const tmp = heap.list(items);
            r = heap.frozenset(items);
            tmp.release();
            break;
          }
          case "dict": r = heap.dict((s.entries ?? []).map(([k, v]) => [value(k), value(v)] as const)); break;
          default: {
            r = classes[s.type].new();
            for (const [a, v] of s.attrs ?? []) r.setattr(a, value(v));
          }
        }
        labels.set(r.id, s.name);
        bind(s.name, r);
        break;
      }
      case "append": resolve(s.target).append(value(s.value)); break;
      case "setitem": resolve(s.target).set(value(s.key), value(s.value)); break;
      case "setattr": resolve(s.target).setattr(s.attr, value(s.value)); break;
      case "add": resolve(s.target).add(value(s.value)); break;
      case "delattr": resolve(s.target).delattr(s.attr); break;
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
  }
  recording = false;
  if (unraisable.length) throw new Error(`${trace.name}: exceptions in del hooks:\n${unraisable.join("\n")}`);
  return log;
}

/** "step 3 (collect gen 0)" for messages. */
export function describeStep(trace: Trace, step: number): string {
  if (step >= trace.steps.length) return `step ${step} (end of trace: names released)`;
  return `step ${step} ${JSON.stringify(trace.steps[step])}`;
}
