// heap.weakref.finalize as Lib/weakref.py's finalize (FinalizeTestCase of test_weakref.py),
// and heap.close() as interpreter shutdown: the atexit finalizers (newest first, those
// made meanwhile next, atexit = false skipped), automatic collection off meanwhile, no
// finalizer afterwards, a final collection without gc callbacks, and CPython's
// ResourceWarning line when gc.garbage is not empty.
import { describe, expect, it } from "vitest";
import { PyTypeError, type Heap, type Ref, type UnraisableInfo } from "../../src/node.js";
import { newHeap } from "../helpers.js";

async function weakHeap(options: Parameters<typeof newHeap>[0] = {}): Promise<Heap> {
  const h = await newHeap(options);
  h.gc.disable();
  h.gc.collect();
  return h;
}

describe("weakref.finalize", () => {
  it("test_finalize: alive, peek, one call, then dead; detach; run when the object dies", async () => {
    // f = finalize(a, add, 67, 43, 89): f.alive; f.peek() == (a, add, (67, 43, 89), {}); f() == 199; f() is None ...
    const h = await weakHeap();
    const a = h.defineClass("A").new();
    const res: number[] = [];
    const add = (x: number, y: number, z: number) => (res.push(x + y + z), x + y + z);
    let f = h.weakref.finalize(a, add, 67, 43, 89);
    expect(f.alive).toBe(true);
    const peeked = f.peek()!;
    expect(peeked[0].is(a)).toBe(true);
    expect(peeked[1]).toBe(add);
    expect(peeked[2]).toEqual([67, 43, 89]);
    peeked[0].release();
    expect(f.call()).toBe(199);
    expect(f.call()).toBeUndefined();
    expect(f.call()).toBeUndefined();
    expect(f.peek()).toBeNull();
    expect(f.detach()).toBeNull();
    expect(f.alive).toBe(false);
    expect(res).toEqual([199]);

    f = h.weakref.finalize(a, add, 67, 43, 89);
    const detached = f.detach()!;
    expect(detached[0].is(a)).toBe(true);
    expect(detached[2]).toEqual([67, 43, 89]);
    detached[0].release();
    expect(f.call()).toBeUndefined();
    expect(f.peek()).toBeNull();
    expect(f.detach()).toBeNull();
    expect(f.alive).toBe(false);
    expect(res).toEqual([199]);

    f = h.weakref.finalize(a, add, 67, 43, 89);
    a.release(); // no cycle: by refcount
    expect(res).toEqual([199, 199]);
    expect(f.call()).toBeUndefined();
    expect(f.peek()).toBeNull();
    expect(f.detach()).toBeNull();
    expect(f.alive).toBe(false);
    expect(h.mem.check()).toBe(0);
  });

  it("test_order: finalizers keep themselves alive; detach; explicit calls; the rest newest first when the object dies", async () => {
    // expected = ['A', 'f3', 'B', 'C', 'f4', 'f2', 'f1', 'D']
    const h = await weakHeap();
    const a = h.defineClass("A").new();
    const res: string[] = [];
    const append = (s: string) => res.push(s);
    const f = ["f1", "f2", "f3", "f4", "f5"].map((n) => h.weakref.finalize(a, append, n));
    const [, f2, f3, , f5] = f; // f1 and f4 are not kept: they stay registered all the same
    expect(f2.alive && f3.alive && f5.alive).toBe(true);
    const d = f5.detach();
    expect(d).not.toBeNull();
    d![0].release();
    expect(f5.alive).toBe(false);
    f5.call();
    res.push("A");
    f3.call();
    expect(f3.alive).toBe(false);
    res.push("B");
    f3.call();
    res.push("C");
    a.release();
    expect(f2.alive).toBe(false);
    res.push("D");
    f2.call();
    expect(res).toEqual(["A", "f3", "B", "C", "f4", "f2", "f1", "D"]);
  });

  it("each finalizer holds a weakref to its object: getweakrefcount counts them until they die", async () => {
    const h = await weakHeap();
    const a = h.defineClass("A").new();
    const fs = [1, 2, 3].map(() => h.weakref.finalize(a, () => {}));
    expect(h.weakref.getweakrefcount(a)).toBe(3);
    fs[0].call();
    fs[1].detach()![0].release();
    expect(h.weakref.getweakrefcount(a)).toBe(1);
    a.release();
    expect(fs.map((f) => f.alive)).toEqual([false, false, false]);
    expect(h.mem.check()).toBe(0);
  });

  it("in a collection: run in handle_weakrefs (before del hooks); the finalizer's weakref counts as collected", async () => {
    // o = C(); o.s = o; o.d = D(); f = finalize(o, print, 'fin'); w = ref(o, cb); del o; gc.collect()
    //   -> cb, fin, del D; 3 (o, the D, the finalizer's weakref)
    const h = await weakHeap();
    const log: string[] = [];
    const C = h.defineClass("C");
    const D = h.defineClass("D", { del: () => log.push("del D") });
    const o = C.new();
    o.setattr("s", o);
    const d = D.new();
    o.setattr("d", d);
    d.release();
    const f = h.weakref.finalize(o, (s: string) => log.push(s), "fin");
    const w = h.weakref.ref(o, () => log.push("cb"));
    o.release();
    expect(h.gc.collect()).toBe(3);
    expect(log).toEqual(["cb", "fin", "del D"]);
    expect(f.alive).toBe(false);
    w.release();
    expect(h.mem.check()).toBe(0);
  });

  it("an exception: from call() it propagates; when the object dies it goes to unraisablehook", async () => {
    // Exception ignored in: <finalize object at 0x...; dead>  (then the traceback)
    const h = await weakHeap();
    const seen: UnraisableInfo[] = [];
    h.sys.unraisablehook = (info) => seen.push(info);
    const A = h.defineClass("A");
    const bad = () => { throw new RangeError("x"); };
    let a = A.new();
    const f = h.weakref.finalize(a, bad);
    expect(() => f.call()).toThrow(RangeError);
    expect(f.alive).toBe(false);
    a.release();
    a = A.new();
    h.weakref.finalize(a, bad);
    const log: string[] = [];
    h.weakref.finalize(a, () => log.push("older"));
    h.weakref.finalize(a, bad);
    a.release();
    expect(log).toEqual(["older"]);
    expect(seen.map((s) => s.message)).toEqual(["Exception ignored in: <finalize object; dead>", "Exception ignored in: <finalize object; dead>"]);
    expect(seen[0].exception).toBeInstanceOf(RangeError);
  });

  it("func must be callable; the object must accept weak references", async () => {
    const h = await weakHeap();
    const a = h.defineClass("A").new();
    expect(() => h.weakref.finalize(a, 5 as never)).toThrow(PyTypeError);
    expect(() => h.weakref.finalize(h.list(), () => {})).toThrow("cannot create weak reference to 'list' object");
    expect(h.weakref.getweakrefcount(a)).toBe(0);
    a.release();
  });

  it("a finalizer whose function holds the object never runs before shutdown (as in CPython: a leak)", async () => {
    const h = await weakHeap();
    const log: string[] = [];
    const a = h.defineClass("A").new();
    const kept = a.dup();
    h.weakref.finalize(a, () => log.push(`kept alive: ${kept.alive}`));
    a.release();
    expect(h.gc.collect()).toBe(0);
    expect(log).toEqual([]);
    h.close();
    expect(log).toEqual(["kept alive: true"]); // atexit
  });
});

describe("heap.close(): interpreter shutdown", () => {
  it("atexit finalizers run newest first; atexit = false ones never run, even when the final collection frees their objects", async () => {
    // the Python of test_atexit (run in a child):
    //   f1..f4 = finalize(cls, print, 'f1') ... ; f2.atexit = False; f3's function makes g1 and raises
    //   -> ['f4 foobar', 'f3 error', 'g1', 'f1 foobar'] and the ZeroDivisionError on stderr
    const lines: string[] = [];
    const h = await weakHeap({ stderr: (t) => lines.push(t) });
    const out: string[] = [];
    const C = h.defineClass("C");
    const cls = C.new();
    const print = (...a: string[]) => out.push(a.join(" "));
    const f1 = h.weakref.finalize(cls, print, "f1", "foobar");
    const f2 = h.weakref.finalize(cls, print, "f2", "foobar");
    const f3 = h.weakref.finalize(cls, () => {
      h.weakref.finalize(cls, print, "g1"); // made during atexit: the next to run
      out.push("f3 error");
      throw new Error("division by zero");
    });
    const f4 = h.weakref.finalize(cls, print, "f4", "foobar");
    expect([f1.atexit, f3.atexit, f4.atexit]).toEqual([true, true, true]);
    f2.atexit = false;
    // a cyclic object whose atexit = false finalizer must not run at all
    const cyc = C.new();
    cyc.setattr("self", cyc);
    const fc = h.weakref.finalize(cyc, print, "cyclic, atexit false");
    fc.atexit = false;
    cyc.release();
    h.close();
    expect(out).toEqual(["f4 foobar", "f3 error", "g1", "f1 foobar"]);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^Exception ignored in: <finalize object>\nError: division by zero/);
    expect(f2.alive).toBe(true); // never called: still registered
    expect(f2.call()).toBeUndefined(); // after shutdown a finalizer dies without running
    expect(f2.alive).toBe(false);
    expect(out.length).toBe(4);
    expect(fc.alive).toBe(false); // its object was freed by the final collection: dead, not run
  });

  it("automatic collection is off while atexit finalizers run; the final collection calls no gc callbacks", async () => {
    const h = await newHeap();
    h.gc.setThreshold(1);
    const phases: string[] = [];
    h.gc.callbacks.push((phase, info) => phases.push(`${phase} ${info.generation}`));
    const C = h.defineClass("C");
    const a = C.new();
    const made: Ref[] = [];
    h.weakref.finalize(a, () => {
      for (let i = 0; i < 20; i++) made.push(h.list());
      phases.push(`enabled ${h.gc.isenabled()}`);
    });
    const cyc = C.new();
    cyc.setattr("self", cyc);
    cyc.release();
    phases.length = 0;
    h.close();
    expect(phases).toEqual(["enabled false"]);
  });

  it("final collection: cyclic garbage is freed (del hooks and weakref callbacks run) without gc callbacks", async () => {
    const lines: string[] = [];
    const h = await weakHeap({ stderr: (t) => lines.push(t) });
    const log: string[] = [];
    h.gc.callbacks.push((phase) => log.push(`gc ${phase}`));
    const C = h.defineClass("C", { del: () => log.push("del") });
    const o = C.new();
    o.setattr("self", o);
    const w = h.weakref.ref(o, () => log.push("callback"));
    o.release();
    h.close();
    expect(log).toEqual(["callback", "del"]);
    expect(lines).toEqual([]);
    expect(w.alive).toBe(false);
  });

  it("gc.garbage not empty: CPython's ResourceWarning line (with the list under DEBUG_UNCOLLECTABLE, none under DEBUG_SAVEALL)", async () => {
    // test_garbage_at_shutdown: "ResourceWarning: gc: 2 uncollectable objects at shutdown; use
    // gc.set_debug(gc.DEBUG_UNCOLLECTABLE) to list them"; with DEBUG_UNCOLLECTABLE no hint and the
    // list's repr; with DEBUG_SAVEALL no warning
    for (const flags of [0, 4, 32]) {
      const lines: string[] = [];
      const h = await weakHeap({ stderr: (t) => lines.push(t) });
      const X = h.defineClass("X", { legacyDel: () => {} });
      const a = X.new(), b = X.new();
      a.setattr("peer", b);
      b.setattr("peer", a);
      a.release();
      b.release();
      h.gc.collect();
      expect(h.gc.garbage.length).toBe(2);
      h.gc.setDebug(flags);
      h.close();
      const warnings = lines.filter((l) => l.startsWith("ResourceWarning"));
      if (flags === 0) expect(warnings).toEqual(["ResourceWarning: gc: 2 uncollectable objects at shutdown; use gc.set_debug(gc.DEBUG_UNCOLLECTABLE) to list them"]);
      if (flags === 4) {
        expect(warnings).toEqual(["ResourceWarning: gc: 2 uncollectable objects at shutdown"]);
        expect(lines.some((l) => /^gc: uncollectable garbage: \[<X object at 0x[0-9a-f]+>, <X object at 0x[0-9a-f]+>\]$/.test(l))).toBe(true);
      }
      if (flags === 32) expect(warnings).toEqual([]);
    }
  });

  it("gc.garbage empty: nothing on stderr; close() twice is harmless; handles die with the heap", async () => {
    const lines: string[] = [];
    const h = await weakHeap({ stderr: (t) => lines.push(t) });
    const o = h.defineClass("C").new();
    const w = h.weakref.ref(o);
    const f = h.weakref.finalize(o, () => lines.push("atexit"));
    h.close();
    h.close();
    expect(lines).toEqual(["atexit"]);
    expect(f.alive).toBe(false);
    expect(w.alive).toBe(false);
    expect(o.alive).toBe(false);
  });
});
