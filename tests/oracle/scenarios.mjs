// Hand-written traces: ports of Lib/test/test_gc.py (reference section 7) and of
// Lib/test/test_weakref.py that apply to pyheap, and scenarios of PEP 442 finalization,
// of the generations, of weak references and (sharedKeys) of key-sharing instance dicts. Each trace's doc says what it checks; the assertions are CPython's
// observations (the golden files), not written here.
//
// Step helpers keep the traces short; see tests/oracle/trace.ts for the language.

const s = (text) => ({ s: text });
const nw = (name, type, init) => {
  const step = { op: "new", name, type };
  if (init !== undefined) {
    if (type === "dict") step.entries = init;
    else if (["list", "tuple", "set", "frozenset"].includes(type)) step.items = init;
    else step.attrs = init;
  }
  return step;
};
const append = (target, value) => ({ op: "append", target, value });
const setitem = (target, key, value) => ({ op: "setitem", target, key, value });
const setattr = (target, attr, value) => ({ op: "setattr", target, attr, value });
const add = (target, value) => ({ op: "add", target, value });
const delattr = (target, attr) => ({ op: "delattr", target, attr });
const delitem = (target, key) => ({ op: "delitem", target, key });
const pop = (target, index) => (index === undefined ? { op: "pop", target } : { op: "pop", target, index });
const clear = (target) => ({ op: "clear", target });
const load = (name, from, key) => (typeof key === "string" && !key.startsWith("#") ? { op: "load", name, from, attr: key } : { op: "load", name, from, key: typeof key === "string" ? Number(key.slice(1)) : key });
const del = (...names) => names.map((name) => ({ op: "del", name }));
const collect = (gen) => (gen === undefined ? { op: "collect" } : { op: "collect", gen });
const q = (op, name) => (name === undefined ? { op } : { op, name });
const tracked = (name) => q("is_tracked", name);
const finalized = (name) => q("is_finalized", name);
const refcount = (name) => q("refcount", name);
const count = q("get_count");
const stats = q("get_stats");
const garbageLen = q("garbage_len");
const garbage = q("garbage");
const resurrected = q("resurrected");
const SAVEALL = 32;
// weak references
const wref = (name, target) => ({ op: "weakref", name, target });
const wcb = (name, target) => ({ op: "weakref", name, target, callback: true });
const proxy = (name, target, callback) => (callback ? { op: "proxy", name, target, callback: true } : { op: "proxy", name, target });
const deref = (name) => ({ op: "deref", name });
const use = (name, attr) => (attr === undefined ? { op: "use", name } : { op: "use", name, attr });
const wcount = (name) => ({ op: "weakrefcount", name });
const watch = (name) => ({ op: "watch", name });
const tryRef = (target) => ({ op: "try_weakref", target });
const finalize = (name, target) => ({ op: "finalize", name, target });
const finCall = (name) => ({ op: "fin_call", name });
const finAlive = (name) => ({ op: "fin_alive", name });
const finDetach = (name) => ({ op: "fin_detach", name });
const finPeek = (name) => ({ op: "fin_peek", name });
const weakNew = (name, type) => ({ op: "weak_new", name, type });
const weakSet = (target, key, value) => ({ op: "weak_set", target, key, value });
const weakAdd = (target, value) => ({ op: "weak_add", target, value });
const weakDel = (target, key) => ({ op: "weak_del", target, key });
const weakLen = (name) => ({ op: "weak_len", name });
const weakHas = (target, key) => ({ op: "weak_has", target, key });

const t = (name, doc, ...steps) => ({ name, doc, steps: steps.flat(Infinity) });

export const testGc = [
  t("test_list", "l = []; l.append(l); del l -> collect() == 1",
    nw("l", "list"), append("l", "l"), collect(), del("l"), collect()),
  t("test_dict", "d = {}; d[1] = d; del d -> collect() == 1",
    nw("d", "dict"), setitem("d", 1, "d"), collect(), del("d"), collect()),
  t("test_tuple", "l = []; t = (l,); l.append(t); del t, l -> collect() == 2",
    nw("l", "list"), nw("t", "tuple", ["l"]), append("l", "t"), collect(), del("t", "l"), collect()),
  t("test_instance", "a = A(); a.a = a; del a -> collect() != 0 (1: 3.11 keeps the attributes inline, no __dict__)",
    nw("a", "Plain"), setattr("a", "a", "a"), collect(), del("a"), collect()),
  t("test_newinstance", "instance self-cycles, plain and slotted; the final collect() == 0",
    nw("a", "Plain"), setattr("a", "a", "a"), collect(), del("a"), collect(),
    nw("b", "Slots"), setattr("b", "a", "b"), collect(), del("b"), collect(),
    nw("c", "Plain"), setattr("c", "a", "c"), nw("e", "Slots"), setattr("e", "b", "c"), setattr("c", "b", "e"), del("c", "e"), collect(),
    collect()),
  t("test_legacy_finalizer", "a tp_del instance in a self-cycle and a plain self-cycle -> collect() == 2; the tp_del object is in gc.garbage; breaking its cycle frees it (its tp_del runs)",
    nw("a", "Legacy"), setattr("a", "a", "a"), nw("b", "Plain"), setattr("b", "b", "b"),
    collect(), garbageLen, del("a", "b"), collect(), garbage,
    load("obj", "@garbage", 0), delattr("obj", "a"), clear("@garbage"), refcount("obj"), del("obj"), collect(), garbageLen),
  t("test_saveall", "DEBUG_SAVEALL: a self-referencing list is the only item of gc.garbage",
    collect(), garbageLen, nw("L", "list"), append("L", "L"), { op: "set_debug", flags: SAVEALL }, del("L"), collect(),
    { op: "set_debug", flags: 0 }, garbageLen, garbage, load("obj", "@garbage", 0), pop("@garbage"), refcount("obj"), garbageLen,
    del("obj"), collect()),
  t("test_del", "a __del__ object in a cycle (test_del runs with threshold 1; automatic collection is off here): finalized once, by collect()",
    nw("a", "Del"), setattr("a", "a", "a"), finalized("a"), del("a"), collect(), collect()),
  t("test_get_count", "after collect(): (c1, c2) == (0, 0); x = [] makes c0 grow",
    collect(), count, nw("x", "list"), count, nw("y", "dict"), nw("z", "Plain"), count, del("x", "y", "z"), count),
  t("test_collect_generations", "collect(0) -> (c1, c2) == (1, 0); collect(1) -> (0, 1); collect(2) -> (0, 0)",
    collect(), nw("x", "list"), collect(0), count, collect(1), count, collect(2), count),
  t("test_boom", "a 2-object instance cycle -> collect() == 2 (recent copy: no materialized __dict__s), gc.garbage unchanged",
    nw("a", "Plain"), nw("b", "Plain"), setattr("a", "a", "b"), setattr("b", "a", "a"), collect(), garbageLen,
    del("a", "b"), collect(), garbageLen),
  t("test_boom2", "the same cycle built the other way round",
    nw("a", "Plain"), nw("b", "Plain"), setattr("b", "a", "a"), setattr("a", "a", "b"), del("b", "a"), collect(), garbageLen),
  t("test_is_tracked", "containers and instances are tracked, dicts only once they hold a container, tuples of atoms until a collection",
    nw("l", "list"), tracked("l"), nw("st", "set"), tracked("st"), nw("i", "Plain"), tracked("i"), nw("sl", "Slots"), tracked("sl"),
    nw("fs", "frozenset", [1, 2]), tracked("fs"),
    nw("d0", "dict"), tracked("d0"), nw("d1", "dict", [[s("a"), 1]]), tracked("d1"), nw("d2", "dict", [[s("a"), "l"]]), tracked("d2"),
    setitem("d1", s("b"), "i"), tracked("d1"),
    nw("t1", "tuple", [1, 2]), tracked("t1"), nw("t2", "tuple", ["l"]), tracked("t2"), nw("t3", "tuple", ["t1"]), tracked("t3"),
    collect(0), tracked("t1"), tracked("t2"), tracked("t3"), tracked("d1"), tracked("d2"),
    delitem("d1", s("b")), tracked("d1"), collect(1), tracked("d1"), collect(2), tracked("d1"), tracked("d2"), tracked("fs")),
  t("test_is_finalized", "Lazarus' __del__ stores self: not finalized before, finalized after",
    nw("lazarus", "Lazarus"), finalized("lazarus"), del("lazarus"), collect(), resurrected,
    load("lazarus", "@resurrect", 0), pop("@resurrect"), finalized("lazarus"), refcount("lazarus")),
  t("test_get_stats", "collect(0) increments only stats[0].collections, collect(2) only stats[2]",
    stats, collect(0), stats, collect(2), stats),
  t("test_freeze", "freeze() -> get_freeze_count() > 0; unfreeze() -> 0",
    q("frozen"), { op: "freeze" }, q("frozen"), { op: "unfreeze" }, q("frozen")),
  t("test_resurrection_only_happens_once_per_object", "first collect resurrects (1); after the list is cleared, collect frees the self-loop without resurrecting again",
    collect(), nw("laz", "Lazarus"), setattr("laz", "a", "laz"), del("laz"), collect(), resurrected,
    clear("@resurrect"), collect(), resurrected),
  t("test_resurrection_is_transitive", "laz <-> cargo; laz resurrects itself: cargo survives with it",
    nw("laz", "Lazarus"), setattr("laz", "a", "laz"), nw("cargo", "Plain"), setattr("cargo", "a", "cargo"),
    setattr("laz", "b", "cargo"), setattr("cargo", "b", "laz"), del("laz", "cargo"), collect(), resurrected,
    load("instance", "@resurrect", 0), pop("@resurrect"), load("c", "instance", "b"), refcount("c"), tracked("c"), finalized("c"),
    finalized("instance"), collect(), del("instance", "c"), collect()),
  t("test_resurrection_does_not_block_cleanup_of_other_objects", "N = 100 self-loops -> 100; a resurrecting Z alone -> 0; 100 + Z -> 100; zs.clear() -> 2",
    collect(), stats,
    Array.from({ length: 100 }, (_, i) => [nw(`a${i}`, "Plain"), setattr(`a${i}`, "a", `a${i}`), del(`a${i}`)]),
    collect(), stats,
    nw("z1", "Lazarus"), setattr("z1", "a", "z1"), del("z1"), collect(), stats,
    Array.from({ length: 100 }, (_, i) => [nw(`b${i}`, "Plain"), setattr(`b${i}`, "a", `b${i}`), del(`b${i}`)]),
    nw("z2", "Lazarus"), setattr("z2", "a", "z2"), del("z2"), collect(), stats, resurrected,
    clear("@resurrect"), collect(), stats),
  t("test_collect_garbage", "GCCallbackTests: 2 Uncollectable pairs (tp_del) + a self-loop -> collected 1, uncollectable 4, len(gc.garbage) == 4; after gc.garbage[:] = [] they are found again",
    nw("u1", "Legacy"), nw("u2", "Legacy", [["a", "u1"]]), setattr("u1", "a", "u2"), del("u1", "u2"),
    nw("v1", "Legacy"), nw("v2", "Legacy", [["a", "v1"]]), setattr("v1", "a", "v2"), del("v1", "v2"),
    nw("c", "Plain"), setattr("c", "a", "c"), del("c"),
    collect(), stats, garbageLen, garbage, clear("@garbage"), collect(), stats, garbageLen,
    // the callback's cleanup: break the partners' links, then drop gc.garbage
    load("g0", "@garbage", 0), load("g1", "@garbage", 1), load("g2", "@garbage", 2), load("g3", "@garbage", 3),
    setattr("g0", "a", null), setattr("g1", "a", null), setattr("g2", "a", null), setattr("g3", "a", null),
    clear("@garbage"), del("g0", "g1", "g2", "g3"), collect(), stats, garbageLen),
  t("test_trashcan", "nested lists [t, Ouch()] (test_trashcan's shape; GC off, no collect in __del__): the order of the __del__ calls when the outermost list dies. 45 deep, not 150: beyond 50 CPython's trashcan defers deallocations, pyheap keeps the order of unlimited recursion (README: design differences)",
    nw("t", "list"),
    Array.from({ length: 45 }, (_, i) => [nw(`u${i}`, "Del"), nw(`n${i}`, "list", ["t", `u${i}`]), del("t", `u${i}`), { op: "alias", name: "t", from: `n${i}` }, del(`n${i}`)]),
    del("t"), collect()),
  t("test_traverse_frozen_objects", "a cycle through a frozen object: collect() ignores the frozen part, unfreeze() returns it",
    nw("f", "list"), { op: "freeze" }, nw("l", "list", ["f"]), append("l", "l"), append("f", "l"), del("l"), collect(), tracked("f"),
    { op: "unfreeze" }, collect(), del("f"), collect()),
  // ---- the weakref tests of test_gc.py (C1055820(i): an instance with i = a and a self-loop b) ----
  t("test_bug1055820b", "Cs = [C1055820(0), C1055820(1)], WRs = their weakrefs with a callback that reads every wr() (here: watches w0 and w1): collect() finds nothing while Cs lives; once Cs is dropped both callbacks run, and each sees every weakref dead (gc cleared all of them before calling any)",
    nw("c0", "Plain", [["a", 0]]), setattr("c0", "b", "c0"), nw("c1", "Plain", [["a", 1]]), setattr("c1", "b", "c1"),
    nw("Cs", "list", ["c0", "c1"]), wcb("w0", "c0"), wcb("w1", "c1"), nw("WRs", "list", ["w0", "w1"]), watch("w0"), watch("w1"),
    del("c0", "c1"), collect(), count, del("Cs"), collect(), deref("w0"), deref("w1"), count, stats),
  t("test_bug1055820c", "c0 (in generation 2) is kept alive only by c1, a young self-loop; c2 is a young self-loop with a callback-less weakref (watched); c0 has a weakref with a callback; a GC_Detector (a weakref with a callback to a fresh self-loop) shows the young collection: the detector's callback runs in handle_weakrefs, c0's when clearing c1 frees c0, and it sees c2's weakref dead (collect(0) instead of the test's automatic collection)",
    nw("c0", "Plain", [["a", 0]]), setattr("c0", "b", "c0"), collect(),
    nw("c1", "Plain", [["a", 1]]), setattr("c1", "b", "c1"), setattr("c1", "c", "c0"), delattr("c0", "b"),
    nw("c2", "Plain", [["a", 2]]), setattr("c2", "b", "c2"), wref("c2wr", "c2"), watch("c2wr"),
    wcb("c0wr", "c0"), del("c0", "c1", "c2"),
    nw("det", "Plain", [["a", 666]]), setattr("det", "b", "det"), wcb("detector", "det"), del("det"),
    count, collect(0), deref("c2wr"), deref("c0wr"), count, collect(), stats),
  t("test_bug1055820d", "test_bug1055820c with a __del__ on d0 instead of a weakref callback: clearing c1 frees d0 (generation 2) during the young collection, its __del__ runs then, and c2 (cleared by the same collection) is dead afterwards",
    nw("d0", "Del", [["a", 0]]), setattr("d0", "b", "d0"), collect(),
    nw("c1", "Plain", [["a", 1]]), setattr("c1", "b", "c1"), setattr("c1", "c", "d0"), delattr("d0", "b"),
    nw("c2", "Plain", [["a", 2]]), setattr("c2", "b", "c2"), wref("c2wr", "c2"), del("d0", "c1", "c2"),
    nw("det", "Plain", [["a", 666]]), setattr("det", "b", "det"), wcb("detector", "det"), del("det"),
    collect(0), deref("c2wr"), count, collect(), stats),
];

// Ports of Lib/test/test_weakref.py (reference callbacks and finalize): the tests whose
// objects are instances, sets and frozensets (classes, functions and bound methods are
// not heap objects here: a cycle through a class or a bound method callback becomes a
// cycle through an instance).
export const testWeakref = [
  t("test_basic_ref", "ref(o)() is o while o lives, None after; the ref is the same object each time",
    nw("o", "Plain"), wref("r", "o"), deref("r"), wref("r2", "o"), refcount("r"), count, del("o"), deref("r"), deref("r2"), count),
  t("test_basic_callback", "a callback runs once, with its dead weakref, when the referent dies",
    nw("o", "Plain"), wcb("r", "o"), count, deref("r"), del("o"), deref("r"), count),
  t("test_multiple_callbacks", "two refs with callbacks: both run (the newest first), both dead",
    nw("o", "Plain"), wcb("ref1", "o"), wcb("ref2", "o"), count, del("o"), deref("ref1"), deref("ref2"), count),
  t("test_multiple_selfref_callbacks", "every weakref is invalidated before any callback runs: the callback of the second ref reads the first (watched)",
    nw("c", "Plain"), wcb("ref0", "c"), wcb("ref1", "c"), watch("ref0"), del("c"), count),
  t("test_ref_reuse", "callback-less refs are shared, with a proxy made between them or before; getweakrefcount counts the ref and the proxy, then 1 once the proxy is gone",
    nw("o", "Plain"), wref("ref1", "o"), proxy("p", "o"), wref("ref2", "o"), refcount("ref1"), wcount("o"),
    nw("o2", "Plain"), proxy("p2", "o2"), wref("r1", "o2"), wref("r2", "o2"), refcount("r1"), wcount("o2"), del("p2"), wcount("o2"), count),
  t("test_proxy_reuse", "callback-less proxies are shared, with a ref made between them",
    nw("o", "Plain"), proxy("proxy1", "o"), wref("ref", "o"), proxy("proxy2", "o"), refcount("proxy1"), wcount("o"), count),
  t("test_basic_proxy", "a proxy acts as its referent (len of a set, attributes of an instance) and raises ReferenceError once it died",
    nw("o", "Plain", [["a", 1]]), proxy("p", "o"), use("p", "a"), use("p", "b"), count,
    nw("s", "set", [1, 2, 3]), proxy("ps", "s"), use("ps"), count, del("o"), use("p", "a"), count, del("s"), use("ps"), count),
  t("test_proxy_callback", "a proxy with a callback: the callback gets the dead proxy",
    nw("o", "Plain"), proxy("p", "o", true), wcb("r", "o"), del("o"), use("p", "a"), count),
  t("test_shared_ref_without_callback", "ref(o) and ref(o, None): one object (the second without a callback)",
    nw("o", "Plain"), wref("r1", "o"), wref("r2", "o"), refcount("r1"), wcount("o"), wcb("r3", "o"), wcount("o"), refcount("r3")),
  t("test_getweakrefcount", "getweakrefcount: 2 refs, 4 with 2 proxies, 0 once all are deleted (and 0 for a list, which cannot have any)",
    nw("o", "Plain"), wref("ref1", "o"), wcb("ref2", "o"), wcount("o"), proxy("proxy1", "o"), proxy("proxy2", "o", true), wcount("o"),
    del("ref1", "ref2", "proxy1", "proxy2"), wcount("o"), nw("l", "list"), wcount("l"), count),
  t("test_classes_not_weakrefable", "TypeError: cannot create weak reference to 'list' object (and dict, tuple, a slotted class without __weakref__); sets, frozensets and slotted classes with __weakref__ accept them",
    nw("l", "list"), tryRef("l"), count, nw("d", "dict"), tryRef("d"), nw("tp", "tuple", [1]), tryRef("tp"), nw("sl", "Slots"), tryRef("sl"),
    nw("st", "set"), tryRef("st"), nw("fs", "frozenset", [1]), tryRef("fs"), nw("ws", "WSlots"), tryRef("ws"), wcount("ws"), count),
  t("test_callback_in_cycle", "I holds J strongly and a weakref to J with a callback, and is in a cycle: all three are trash together, so the weakref is cleared without its callback",
    nw("J", "Plain"), setattr("J", "a", "J"), nw("I", "Plain"), setattr("I", "a", "J"), wcb("wr", "J"), setattr("I", "b", "wr"), setattr("I", "c", "I"),
    del("wr", "I", "J"), collect(), stats),
  t("test_callback_reachable_one_way", "c2 -> c1 and c2.wr = ref(c1, callback): c1 is reachable from c2, not the other way; both trash with the weakref: no callback",
    nw("c1", "Plain"), nw("c2", "Plain"), setattr("c2", "a", "c2"), setattr("c2", "b", "c1"), wcb("wr", "c1"), setattr("c2", "c", "wr"),
    del("wr", "c1", "c2"), collect(), stats),
  t("test_callback_different_classes", "test_callback_reachable_one_way with c1 of another class (Del): c1's __del__ runs, the callback does not",
    nw("c1", "Del"), nw("c2", "Plain"), setattr("c2", "a", "c2"), setattr("c2", "b", "c1"), wcb("wr", "c1"), setattr("c2", "c", "wr"),
    del("wr", "c1", "c2"), collect(), stats),
  t("test_callback_in_cycle_resurrection", "c1 <-> c2, c1.wr = ref(c2, cb), c2.wr = ref(c1, cb), and C (here an instance X only c1 holds) with an external weakref: the trash weakrefs' callbacks never run, the external one's does, and it is dead; a second collect() finds nothing",
    nw("X", "Plain"), nw("c1", "Plain", [["a", 1]]), nw("c2", "Plain", [["a", 2]]), setattr("c1", "b", "c2"), setattr("c2", "b", "c1"),
    wcb("w1", "c2"), setattr("c1", "c", "w1"), wcb("w2", "c1"), setattr("c2", "c", "w2"), setattr("c1", "d", "X"), wcb("wr", "X"),
    del("w1", "w2", "c1", "c2", "X"), collect(), deref("wr"), collect(), stats),
  t("test_callbacks_on_callback", "weakrefs on the trash's callback object (here an instance cbo in the cycle): c.wr and d.wr (trash) never call back, external_wr (not trash) does",
    nw("c", "Plain"), nw("d", "Plain"), setattr("c", "a", "d"), setattr("d", "a", "c"), nw("cbo", "Plain"), setattr("c", "b", "cbo"),
    wcb("cwr", "d"), setattr("c", "c", "cwr"), wcb("dwr", "cbo"), setattr("d", "b", "dwr"), wcb("external_wr", "cbo"), deref("external_wr"),
    del("cwr", "dwr", "cbo", "c", "d"), collect(), deref("external_wr"), collect()),
  t("test_finalize", "finalize(a, add): alive, peek() -> a, f() runs it once, then peek/detach None and dead; a second: detach() -> a, never runs; a third runs when a dies",
    nw("a", "Plain"), finalize("f", "a"), finAlive("f"), finPeek("f"), finCall("f"), finCall("f"), finCall("f"), finPeek("f"), finDetach("f"), finAlive("f"),
    finalize("g", "a"), finPeek("g"), finDetach("g"), finCall("g"), finPeek("g"), finDetach("g"), finAlive("g"),
    finalize("h", "a"), del("a"), finCall("h"), finPeek("h"), finDetach("h"), finAlive("h")),
  t("test_order", "finalize f1..f5 on a; del f1, f4 (they stay alive); detach f5; f3() runs f3; del a runs f4, f2, f1 (newest first)",
    nw("a", "Plain"), finalize("f1", "a"), finalize("f2", "a"), finalize("f3", "a"), finalize("f4", "a"), finalize("f5", "a"),
    del("f1", "f4"), finAlive("f2"), finAlive("f3"), finAlive("f5"), finDetach("f5"), finAlive("f5"), finCall("f5"), finCall("f3"), finAlive("f3"),
    finCall("f3"), wcount("a"), del("a"), finAlive("f2"), finCall("f2")),
  t("test_weak_values", "WeakValueDictionary: entries go when their values die (by refcount, and cyclic ones when collected: their KeyedRefs, freed by the callbacks, count in collect())",
    weakNew("d", "WeakValueDictionary"), nw("o1", "Plain"), nw("o2", "Del"), setattr("o2", "a", "o2"), nw("o3", "Plain"),
    weakSet("d", s("a"), "o1"), weakSet("d", 1, "o2"), weakSet("d", s("c"), "o3"), weakSet("d", "o3", "o1"), weakLen("d"), refcount("o3"), weakHas("d", 1),
    del("o1"), weakLen("d"), weakHas("d", s("a")), del("o2"), weakLen("d"), collect(), weakLen("d"), weakHas("d", 1), weakDel("d", s("c")), weakLen("d"), refcount("o3"), del("d"), refcount("o3")),
  t("test_weak_keys", "WeakKeyDictionary: entries go when their keys die; the values die with the entries",
    weakNew("d", "WeakKeyDictionary"), nw("k1", "Plain"), nw("k2", "Plain"), setattr("k2", "a", "k2"), nw("v", "Del"), nw("k3", "frozenset", [1, 2]),
    weakSet("d", "k1", "v"), weakSet("d", "k2", 5), weakSet("d", "k3", "k1"), weakLen("d"), refcount("v"), del("v"), weakHas("d", "k1"),
    del("k1"), weakLen("d"), del("k2"), weakLen("d"), collect(), weakLen("d"), weakDel("d", "k3"), weakLen("d"), del("k3", "d")),
  t("test_weakset", "WeakSet: members go when they die; add is idempotent; discard",
    weakNew("ws", "WeakSet"), nw("a", "Plain"), nw("b", "Plain"), nw("c", "frozenset", [1]), setattr("b", "a", "b"),
    weakAdd("ws", "a"), weakAdd("ws", "b"), weakAdd("ws", "a"), weakAdd("ws", "c"), weakLen("ws"), wcount("a"), weakHas("ws", "b"),
    del("a"), weakLen("ws"), del("b"), weakLen("ws"), collect(), weakLen("ws"), weakDel("ws", "c"), weakLen("ws"), del("c", "ws")),
];

export const scenarios = [
  t("finalizer_order_ring", "__del__ order in a ring of Del instances follows move_unreachable's list order",
    nw("a", "Del"), nw("b", "Del", [["a", "a"]]), nw("c", "Del", [["a", "b"]]), nw("d", "DelSlots", [["a", "c"]]), setattr("a", "a", "d"),
    del("b", "a", "d", "c"), collect(), del()),
  t("finalizer_order_list", "__del__ order for instances held by a cyclic list (list_traverse visits the last item first)",
    nw("l", "list"), nw("x", "Del"), nw("y", "Del"), nw("z", "DelSlots"), append("l", "x"), append("l", "y"), append("l", "z"), append("l", "l"),
    del("x", "y", "z"), refcount("l"), del("l"), collect()),
  t("finalizer_not_in_cycle", "a Del instance only referenced by a cycle is finalized by the collector, then freed when the cycle is cleared",
    nw("d", "Del"), nw("l", "list", ["d"]), append("l", "l"), del("d", "l"), collect(), collect()),
  t("finalizer_runs_once", "a finalized object that survives (resurrected by another) is not finalized again",
    nw("a", "Del"), nw("z", "Lazarus", [["a", "a"]]), setattr("a", "a", "z"), del("a", "z"), collect(), resurrected,
    load("z", "@resurrect", 0), clear("@resurrect"), load("a", "z", "a"), finalized("a"), finalized("z"), del("a", "z"), collect(), resurrected),
  t("refcount_death_del", "__del__ on refcount death, in the order a container drops its items",
    nw("x", "Del"), nw("y", "DelSlots"), nw("l", "list", ["x", "y", 3]), del("x", "y"), del("l"),
    nw("p", "Del"), nw("q", "Del", [["a", "p"]]), nw("r", "Del", [["b", "q"]]), del("p", "q"), del("r")),
  t("resurrection_by_refcount_retracks_young", "an object resurrected by its __del__ on refcount death is tracked again at the young end (subtype_dealloc re-tracks it)",
    nw("z", "Lazarus"), collect(), del("z"), resurrected, load("z", "@resurrect", 0), pop("@resurrect"), finalized("z"),
    setattr("z", "a", "z"), del("z"), collect(0), collect(1), collect(2)),
  t("legacy_reachable_from_cycle", "a tp_del object referenced by cyclic trash (not part of it): its cycle is collected and it dies while the cycle is cleared (its tp_del runs), so gc.garbage stays empty",
    nw("g", "Legacy"), nw("l", "list", ["g"]), append("l", "l"), del("g", "l"), collect(), garbageLen, stats),
  t("legacy_reaching_del_objects", "objects reachable from a tp_del object are uncollectable: their __del__ does not run",
    nw("x", "Del"), nw("g", "Legacy", [["a", "x"]]), setattr("g", "b", "g"), setattr("x", "a", "g"), del("x", "g"), collect(), garbage,
    stats, garbageLen, clear("@garbage"), collect(), garbage, load("g", "@garbage", 0), clear("@garbage"), delattr("g", "b"),
    load("x", "g", "a"), delattr("x", "a"), finalized("x"), del("x"), del("g"), collect()),
  t("legacy_in_cycle_with_lazarus", "a tp_del cycle with a Lazarus: no finalizer runs, all uncollectable",
    nw("z", "Lazarus"), nw("g", "Legacy", [["a", "z"]]), setattr("z", "a", "g"), del("z", "g"), collect(), garbage, resurrected, stats),
  t("generations_survivors", "a cycle that survives collect(0) while named is in generation 1: collect(0) no longer finds it, collect(1) does",
    nw("l", "list"), append("l", "l"), collect(0), count, del("l"), collect(0), count, collect(1), count, collect(2), count),
  t("generations_old", "survivors of collect(1) are in generation 2: only collect(2) finds them",
    nw("d", "dict"), setitem("d", s("self"), "d"), collect(1), del("d"), collect(0), collect(1), count, collect(2), count, stats),
  t("freeze_then_collect", "frozen cyclic garbage is invisible until unfreeze() moves it to generation 2",
    nw("a", "Del"), setattr("a", "a", "a"), nw("b", "list"), append("b", "b"), { op: "freeze" }, del("a", "b"), collect(),
    count, q("frozen"), { op: "unfreeze" }, collect(0), collect(1), collect(2), q("frozen")),
  t("saveall_keeps_everything", "DEBUG_SAVEALL: finalizers still run, nothing is cleared, every unreachable object goes to gc.garbage",
    { op: "set_debug", flags: SAVEALL }, nw("a", "Del"), nw("l", "list", ["a"]), setattr("a", "a", "l"), nw("t", "tuple", ["l", 1]), append("l", "t"),
    del("a", "l", "t"), collect(), garbage, stats, { op: "set_debug", flags: 0 }, clear("@garbage"), collect(), garbage),
  t("tuple_untracking", "collect(0) untracks tuples of atoms (and tuples of untracked tuples); a tuple holding a container stays tracked",
    nw("t1", "tuple", [1, s("x")]), nw("t2", "tuple", ["t1", 2]), nw("l", "list"), nw("t3", "tuple", ["l"]), nw("t4", "tuple", ["t3"]),
    tracked("t1"), tracked("t2"), collect(0), tracked("t1"), tracked("t2"), tracked("t3"), tracked("t4"), count),
  t("dict_untracking", "a full collection untracks dicts that hold no container; collect(0) and collect(1) do not",
    nw("l", "list"), nw("d", "dict", [[s("k"), "l"]]), tracked("d"), setitem("d", s("k"), 1), tracked("d"), collect(0), tracked("d"), collect(1), tracked("d"),
    collect(2), tracked("d"), setitem("d", s("j"), "l"), tracked("d")),
  t("set_and_frozenset_cycles", "cycles through a set and a frozenset element (an instance)",
    nw("o", "Plain"), nw("st", "set", [1, "o"]), setattr("o", "a", "st"), nw("p", "Slots"), nw("fs", "frozenset", ["p", 2]), setattr("p", "a", "fs"),
    del("o", "st", "p", "fs"), count, collect()),
  t("clear_breaks_cycles", "clear(), pop() and del x[k] break cycles before any collection: refcounts free them",
    nw("a", "Del"), nw("l", "list", ["a"]), setattr("a", "a", "l"), del("a"), clear("l"),
    nw("b", "Del"), nw("d", "dict", [[s("k"), "b"]]), setattr("b", "a", "d"), del("b"), delitem("d", s("k")),
    nw("c", "Del"), append("l", "c"), setattr("c", "a", "l"), del("c"), pop("l", 0),
    del("l", "d"), collect()),
  t("dict_with_instance_keys", "a dict cycle through an instance key",
    nw("k", "Del"), nw("d", "dict", [["k", 1]]), setattr("k", "a", "d"), del("k"), refcount("d"), tracked("d"), del("d"), collect()),
  // ---- weak references ----
  t("weakref_counts", "gc.get_count() after each weakref operation (ref() is a type call: an arguments tuple; a caught exception: an args tuple; an object dying with 2+ weakrefs with callbacks: PyObject_ClearWeakRefs' tuple)",
    nw("o", "Plain"), collect(), count, wref("w", "o"), count, wref("w2", "o"), count, wcb("wc", "o"), count, proxy("p", "o"), count,
    proxy("pc", "o", true), count, deref("w"), count, wcount("o"), count, use("p", "a"), count, tracked("w"), tracked("p"), refcount("w"),
    wcb("wc2", "o"), count, del("o"), count, use("p", "a"), count, nw("t1", "tuple", [1]), count, nw("t4", "tuple", [1, 2, 3, 4]), count,
    nw("t6", "tuple", [1, 2, 3, 4, 5, 6]), count, nw("l", "list"), tryRef("l"), count, nw("x", "Plain"), wcb("xw", "x"), del("x"), count,
    nw("s", "set"), proxy("sp", "s"), use("sp"), count, del("s"), use("sp"), count, del("w", "w2", "wc", "p", "pc", "wc2"), count),
  t("weakref_death_order", "refcount death: __del__ first, then every weakref cleared, then the callbacks newest first (proxies too); callback-less refs are shared and come first",
    nw("d", "Del"), wcb("w1", "d"), wref("plain", "d"), wcb("w2", "d"), proxy("p", "d", true), proxy("pp", "d"), wcb("w3", "d"), watch("w1"), watch("plain"),
    wcount("d"), del("d"), deref("w3"), use("pp", "a"), count),
  t("weakref_callback_before_del_in_collection", "cyclic trash: the callback of a live weakref runs (in handle_weakrefs) before __del__ (finalize_garbage); the weakref freed by nothing else survives",
    nw("d", "Del"), setattr("d", "a", "d"), wcb("w", "d"), nw("e", "Del"), setattr("e", "a", "d"), setattr("d", "b", "e"), wcb("we", "e"), del("d", "e"), collect(), deref("w"), stats),
  t("weakref_garbage_callback_not_run", "a weakref that is itself trash never calls back (held by its referent, or by a cyclic list while its referent lives: then the referent loses it)",
    nw("o", "Plain"), setattr("o", "a", "o"), wcb("w", "o"), setattr("o", "b", "w"), del("w", "o"), collect(),
    nw("x", "Plain"), nw("l", "list"), append("l", "l"), wcb("lw", "x"), append("l", "lw"), del("lw"), wcount("x"), del("l"), collect(), wcount("x"), del("x"), count),
  t("weakref_freed_by_callback_counts", "a collection counts the weakrefs its callbacks free: a WeakValueDictionary's KeyedRef, which its callback deletes with the entry (collect() == 2)",
    weakNew("d", "WeakValueDictionary"), nw("o", "Plain"), setattr("o", "a", "o"), weakSet("d", 1, "o"), wcb("w", "o"), del("o"), collect(), weakLen("d"), stats),
  t("weakref_resurrection_by_del_in_collection", "Lazarus in a cycle with a weakref: the callback runs (the weakref is cleared) before __del__ resurrects it; the resurrected object has no weakrefs, a new one works",
    nw("z", "Lazarus"), setattr("z", "a", "z"), wcb("w", "z"), wref("w0", "z"), del("z"), collect(), resurrected, deref("w"), deref("w0"),
    load("z", "@resurrect", 0), clear("@resurrect"), wcount("z"), wcb("w2", "z"), deref("w2"), del("z"), collect(), deref("w2")),
  t("weakref_resurrection_by_del_on_refcount", "Lazarus dying by refcount: __del__ resurrects it before its weakrefs are cleared, so they stay alive; its second death (finalized: no __del__) clears them and calls back",
    nw("z", "Lazarus"), wcb("w", "z"), del("z"), resurrected, deref("w"), load("z", "@resurrect", 0), clear("@resurrect"), refcount("z"), del("z"), deref("w"), count),
  t("weakref_resurrection_transitive", "laz <-> cargo, a weakref to cargo with a callback: cleared and called back although laz's __del__ resurrects cargo too",
    nw("laz", "Lazarus"), nw("cargo", "Plain"), setattr("laz", "a", "cargo"), setattr("cargo", "a", "laz"), wcb("w", "cargo"), del("laz", "cargo"), collect(),
    resurrected, deref("w"), load("c", "@resurrect", 0), clear("@resurrect"), del("c"), collect()),
  t("weakref_legacy", "a tp_del object: uncollectable in a cycle (its weakrefs stay alive, no callback); by refcount the callbacks run before tp_del",
    nw("g", "Legacy"), setattr("g", "a", "g"), wcb("w", "g"), del("g"), collect(), deref("w"), garbage,
    nw("h", "Legacy"), wcb("wh", "h"), wcb("wh2", "h"), del("h"), deref("wh")),
  t("weakref_saveall", "DEBUG_SAVEALL: the weakrefs to the garbage are cleared and called back although gc.garbage keeps the objects",
    { op: "set_debug", flags: SAVEALL }, nw("o", "Plain"), setattr("o", "a", "o"), wcb("w", "o"), del("o"), collect(), deref("w"), garbageLen,
    { op: "set_debug", flags: 0 }, load("o", "@garbage", 0), wcount("o"), clear("@garbage"), delattr("o", "a"), del("o"), collect()),
  t("weakref_old_generation", "a weakref in generation 2 to young cyclic trash: collect(0) calls it back and moves it to generation 1",
    nw("keep", "Plain"), wcb("w", "keep"), collect(), nw("o", "Plain"), setattr("o", "a", "o"), wcb("w2", "o"), del("keep"),
    count, del("o"), collect(0), count, deref("w2"), collect(1), count),
  t("weakref_in_containers", "weakrefs held by containers: a tuple holding one stays tracked; a dict of them",
    nw("o", "Plain"), wref("w", "o"), nw("tp", "tuple", ["w", 1]), collect(0), tracked("tp"), nw("d", "dict", [[s("w"), "w"]]), tracked("d"), collect(), tracked("d"),
    del("o"), deref("w"), load("w2", "tp", 0), deref("w2"), count),
  t("weakref_frozenset_and_set", "weakrefs and proxies to sets and frozensets; a frozenset dying with weakrefs, by refcount and in a cycle",
    nw("o", "Plain"), nw("fs", "frozenset", ["o", 1]), wcb("w", "fs"), setattr("o", "a", "fs"), nw("st", "set", [1, 2]), proxy("p", "st", true), use("p"),
    del("st"), use("p"), del("o", "fs"), collect(), deref("w"), count),
  t("weakref_wslots", "a slotted class with __weakref__: weakrefs, proxies with attributes, a cycle through a slot",
    nw("x", "WSlots"), setattr("x", "a", 1), proxy("p", "x"), use("p", "a"), use("p", "b"), wcb("w", "x"), setattr("x", "b", "x"), del("x"), collect(), use("p", "a"), deref("w"), count),
  t("weakref_finalize_and_callback_order", "a finalizer and refs on one cyclic object: callbacks in list order (the newest ref first, then the finalizer's older ref), before __del__",
    nw("o", "Del"), setattr("o", "a", "o"), finalize("f", "o"), wcb("w1", "o"), wcb("w2", "o"), del("o"), collect(), finAlive("f"), deref("w1")),
  t("weakref_finalize_refcount", "finalizers run when their object dies by refcount (after __del__), newest first; a detached one does not",
    nw("o", "Del"), finalize("f1", "o"), finalize("f2", "o"), wcb("w", "o"), finalize("f3", "o"), finDetach("f2"), wcount("o"), del("o"), finAlive("f1"), finAlive("f3")),
  t("weak_containers_in_cycles", "weak containers over cyclic objects: entries stay until the collection, whose callbacks remove them (and the values of a WeakKeyDictionary die then)",
    weakNew("wv", "WeakValueDictionary"), weakNew("wk", "WeakKeyDictionary"), weakNew("ws", "WeakSet"),
    nw("a", "Plain"), setattr("a", "a", "a"), nw("b", "Del"), setattr("b", "a", "a"), setattr("a", "b", "b"), nw("v", "Del"),
    weakSet("wv", s("a"), "a"), weakSet("wv", s("b"), "b"), weakSet("wk", "a", "v"), weakSet("wk", "b", 2), weakAdd("ws", "a"), weakAdd("ws", "b"),
    del("v", "a", "b"), weakLen("wv"), weakLen("wk"), weakLen("ws"), collect(), weakLen("wv"), weakLen("wk"), weakLen("ws"), stats),
];

// ---- key-sharing instance dictionaries (PEP 412, CPython 3.11) ----
// A class without __slots__ has shared keys: the names its instances got, in the order the
// class first saw each (max 30; usable starts at 30 and every instance creation takes one
// while more than 1 is left, every new name one). An instance's own order (vars(), the
// `attrs` query) is its insertion order; deallocation (subtype_dealloc), tp_traverse
// (gc.get_referents, move_unreachable) and tp_clear go in the keys' order. A name that does
// not fit any more turns the instance into a combined dict in its own order. These traces
// use "class" steps: fresh classes, whose keys start empty in each trace. They never ask
// get_count() (a class statement and the attrs query allocate CPython objects).
const cls = (name, like) => (like ? { op: "class", name, like } : { op: "class", name });
const tryDelattr = (target, attr) => ({ op: "try_delattr", target, attr });
const referents = (name) => ({ op: "referents", name });
const attrs = (name) => ({ op: "attrs", name });
/** target.attr = a new instance of type named `${target}_${attr}` (a Del by default), held only by target. */
const hold = (target, names, type = "Del") => names.map((a) => [nw(`${target}_${a}`, type), setattr(target, a, `${target}_${a}`), del(`${target}_${a}`)]);
/** n instances of cls made and dropped (each takes one of the keys' usable entries while more than 1 is left). */
const spend = (c, n) => [Array.from({ length: n }, () => nw("tmp", c)), del("tmp")];
/** An instance of cls that gives the keys these names (None values), then dies. */
const teach = (c, names) => [nw("teacher", c), names.map((a) => setattr("teacher", a, null)), del("teacher")];

export const sharedKeys = [
  t("shared_keys_first_instance_order", "P: a.tag, a.c; b.tag, b.b, b.c: P's keys are tag, c, b. del a frees a.c; del b frees b.c, then b.b (keys order), though vars(b) lists tag, b, c; get_referents(b) is in keys order too",
    cls("P"), nw("a", "P"), setattr("a", "tag", 1), hold("a", ["c"]), nw("b", "P"), setattr("b", "tag", 2), hold("b", ["b", "c"]),
    attrs("a"), attrs("b"), referents("b"), del("a"), del("b")),
  t("shared_keys_two_classes", "each class has its own keys: K1 learns x, y and K2 y, x; p (K1) set y, x frees x, y; q (K2) set x, y frees y, x; r, of a third, Del-like class K3, runs its __del__, then frees y, x (the order it set them: K3's keys)",
    cls("K1"), cls("K2"), cls("K3", "Del"), teach("K1", ["x", "y"]), nw("t", "K2"), setattr("t", "y", null), setattr("t", "x", null), del("t"),
    nw("p", "K1"), hold("p", ["y", "x"]), nw("q", "K2"), hold("q", ["x", "y"]), nw("r", "K3"), hold("r", ["y", "x"]),
    attrs("p"), attrs("q"), attrs("r"), referents("p"), referents("q"), del("p"), del("q"), del("r")),
  t("shared_keys_different_orders", "one class, three instances setting c, a, b / b, c, a / a, b, c: the keys are c, a, b; every instance frees its values in that order, while vars() lists each one's own order",
    cls("K"), nw("x", "K"), hold("x", ["c", "a", "b"]), nw("y", "K"), hold("y", ["b", "c", "a"]), nw("z", "K"), hold("z", ["a", "b", "c"]),
    attrs("x"), attrs("y"), attrs("z"), referents("y"), referents("z"), del("z"), del("y"), del("x")),
  t("shared_keys_fixed_classes_pinned", "the fixed classes' keys are a, b, c, d (run_cpython.py's warm-up; the pyheap runner makes the same): attributes set d, c, b, a are freed a, b, c, d: a Plain holder, a Del holder (its __del__ first), a Legacy holder (tp_del first), a Lazarus holder (resurrected: its values stay until its second death)",
    nw("p", "Plain"), hold("p", ["d", "b", "c", "a"]), nw("d", "Del"), hold("d", ["d", "c", "b", "a"]), nw("g", "Legacy"), hold("g", ["c", "d", "a"]),
    nw("z", "Lazarus"), hold("z", ["d", "a", "b"]), attrs("p"), referents("p"), referents("d"), del("p"), del("d"), del("g"), del("z"), resurrected,
    load("z", "@resurrect", 0), clear("@resurrect"), finalized("z"), del("z")),
  t("shared_keys_delete_then_reset", "a.x, a.y; del a.x frees x; a.x = x2 takes x's key slot again: vars(a) lists y, x, but a frees x2 before y (keys order)",
    cls("K"), nw("a", "K"), hold("a", ["x", "y"]), attrs("a"), delattr("a", "x"), attrs("a"), nw("x2", "Del"), setattr("a", "x", "x2"), del("x2"),
    attrs("a"), referents("a"), tryDelattr("a", "z"), del("a")),
  t("shared_keys_delete_all_then_reset", "deleting every attribute keeps the instance's values (3.11): set again in another order, they are freed in the keys' order; a second del of the same name fails",
    cls("K"), nw("a", "K"), hold("a", ["p", "q", "r"]), delattr("a", "q"), delattr("a", "p"), delattr("a", "r"), attrs("a"), tryDelattr("a", "q"),
    nw("b", "K"), hold("b", ["r"]), nw("r2", "Del"), setattr("a", "r", "r2"), del("r2"), nw("q2", "Del"), setattr("a", "q", "q2"), del("q2"),
    nw("p2", "Del"), setattr("a", "p", "p2"), del("p2"), attrs("a"), referents("a"), del("a"), del("b")),
  t("shared_keys_failed_delattr_inserts_key", "a = K(); del a.q fails (AttributeError) but puts q into K's keys; b.p, b.q: b frees q before p (keys q, p), vars(b) lists p, q",
    cls("K"), nw("a", "K"), tryDelattr("a", "q"), attrs("a"), nw("b", "K"), hold("b", ["p", "q"]), attrs("b"), referents("b"), del("b"),
    hold("a", ["p", "q"]), del("a")),
  t("shared_keys_failed_delattr_between_sets", "a.m; del a.n fails (n joins the keys after m); a.o; then b.o, b.n, b.m: b frees m, n, o (keys m, n, o)",
    cls("K"), nw("a", "K"), hold("a", ["m"]), tryDelattr("a", "n"), hold("a", ["o"]), attrs("a"), nw("b", "K"), hold("b", ["o", "n", "m"]),
    attrs("b"), referents("b"), del("b"), hold("a", ["n"]), referents("a"), del("a")),
  t("shared_keys_exhaustion_fallback", "x.a, x.b, then 40 more instances: usable is down to 1. z (made before) gets b, a: split, freed a, b. y gets c (the last usable entry), d (no room: y becomes a combined dict in its own order), b, a: y frees c, d, b, a",
    cls("K"), nw("x", "K"), hold("x", ["a", "b"]), nw("z", "K"), spend("K", 40), hold("z", ["b", "a"]),
    nw("y", "K"), hold("y", ["c", "d", "b", "a"]), attrs("z"), attrs("y"), referents("z"), del("y"), del("z"), del("x")),
  t("shared_keys_usable_boundary_split", "v.p, v.q, then 24 instances: w = K() leaves usable 2: w.q, w.p, w.r, w.s all fit in the keys, so w frees p, q, r, s (keys order)",
    cls("K"), nw("v", "K"), hold("v", ["p", "q"]), spend("K", 24), nw("w", "K"), hold("w", ["q", "p", "r", "s"]), attrs("w"), referents("w"),
    del("w"), del("v")),
  t("shared_keys_usable_boundary_fallback", "v.p, v.q, then 25 instances: w = K() leaves usable 1: w.r takes it, w.s does not fit: w becomes a combined dict and frees q, p, r, s (its own order)",
    cls("K"), nw("v", "K"), hold("v", ["p", "q"]), spend("K", 25), nw("w", "K"), hold("w", ["q", "p", "r", "s"]), attrs("w"),
    del("w"), del("v")),
  t("shared_keys_more_than_30_attributes", "u teaches K m04..m00; x gets m00..m34 (35 attributes): the keys fill up at m27 and x becomes a combined dict, freed in its own order; y (made after) gets m00, m01, both in the keys: split, freed m01, m00 (keys order)",
    cls("K"), teach("K", ["m04", "m03", "m02", "m01", "m00"]), nw("x", "K"), hold("x", Array.from({ length: 35 }, (_, i) => `m${String(i).padStart(2, "0")}`)),
    nw("y", "K"), hold("y", ["m00", "m01"]), attrs("y"), referents("y"), del("x"), del("y")),
  t("shared_keys_fallback_delete_reset", "after the keys are full: f (a combined dict) gets a, b, c, y, z; del f.a, f.a = a2 moves a to the end: f frees b, c, y, z, a2. s (split, keys a, b, c) does the same with a: it frees a2 first (keys order)",
    cls("K"), teach("K", ["a", "b", "c"]), spend("K", 30), nw("f", "K"), hold("f", ["a", "b", "c", "y", "z"]), delattr("f", "a"), nw("f_a2", "Del"), setattr("f", "a", "f_a2"), del("f_a2"),
    nw("s", "K"), hold("s", ["a", "b", "c"]), delattr("s", "a"), nw("s_a2", "Del"), setattr("s", "a", "s_a2"), del("s_a2"),
    attrs("f"), attrs("s"), referents("s"), del("f"), del("s")),
  t("shared_keys_failed_delattr_when_full", "keys a, b, c, d, e, no usable entry left: del x.q fails without a new key (the same AttributeError; CPython gives x a __dict__ that still shares the keys); x.c is in the keys: x frees a, b, c (keys order); y's new name z turns y into a combined dict: b, a, z",
    cls("K"), teach("K", ["a", "b", "c", "d"]), spend("K", 30), teach("K", ["e"]), nw("x", "K"), hold("x", ["b", "a"]), tryDelattr("x", "q"), hold("x", ["c"]), attrs("x"),
    nw("y", "K"), hold("y", ["b", "a"]), tryDelattr("y", "q"), hold("y", ["z"]), attrs("y"), del("x"), del("y")),
  t("shared_keys_nested_holders", "keys c, b, a; h1 holds D at a, h2 at b, D at c; h2 holds D at a and c: del h1 frees h1_c, then h2 (h2_c, h2_a), then h1_a",
    cls("K"), teach("K", ["c", "b", "a"]), nw("h1", "K"), nw("h2", "K"), hold("h1", ["a"]), setattr("h1", "b", "h2"), hold("h1", ["c"]), hold("h2", ["a", "c"]), del("h2"),
    referents("h1"), del("h1")),
  t("shared_keys_lazarus_values", "Lazarus values resurrect themselves as their holder frees them: @resurrect lists them in the keys' order (z, y, x), not the holder's (x, y, z)",
    cls("K"), teach("K", ["z", "y", "x"]), nw("h", "K"), hold("h", ["x", "y", "z"], "Lazarus"), del("h"), resurrected, clear("@resurrect")),
  t("shared_keys_legacy_values_and_holder", "a Legacy-like fresh class (tp_del) holding Legacy values: tp_del of the holder, then the values' in keys order (b, c, a)",
    cls("G", "Legacy"), teach("G", ["b", "c", "a"]), nw("g", "G"), hold("g", ["a", "b", "c"], "Legacy"), del("g")),
  t("shared_keys_weakref_callbacks_dealloc", "values with weakref callbacks die in the keys' order (c, a, b) when their holder dies, after the holder's own weakref's callback; watching all three, each callback sees the values freed before it dead",
    cls("K"), teach("K", ["c", "a", "b"]), nw("h", "K"), nw("va", "Plain"), nw("vb", "Plain"), nw("vc", "Plain"),
    setattr("h", "a", "va"), setattr("h", "b", "vb"), setattr("h", "c", "vc"), wcb("wa", "va"), wcb("wb", "vb"), wcb("wc", "vc"), wcb("wh", "h"),
    watch("wa"), watch("wb"), watch("wc"), del("va", "vb", "vc"), del("h")),
  t("shared_keys_clear_order_old_values", "tp_clear of young cyclic trash in the keys' order: D values that survived a full collection (generation 2) are held only by a self-referencing instance; collect(0) clears it and they die by refcount in keys order c, b, a (the instance's order: a, b, c)",
    cls("K"), teach("K", ["c", "b", "a"]), nw("va", "Del"), nw("vb", "Del"), nw("vc", "Del"), collect(),
    nw("h", "K"), setattr("h", "a", "va"), setattr("h", "b", "vb"), setattr("h", "c", "vc"), setattr("h", "me", "h"), del("va", "vb", "vc"),
    referents("h"), del("h"), collect(0), collect()),
  t("shared_keys_clear_order_frozen_weakrefs", "the same with frozen values and weakref callbacks: freeze() keeps the values out of the collection; collect() clears the trash instance in keys order (y, z, x), so the callbacks come in that order",
    cls("K"), teach("K", ["y", "z", "x"]), nw("vx", "Plain"), nw("vy", "Plain"), nw("vz", "Plain"), { op: "freeze" },
    nw("h", "K"), setattr("h", "x", "vx"), setattr("h", "y", "vy"), setattr("h", "z", "vz"), setattr("h", "me", "h"), wcb("wx", "vx"), wcb("wy", "vy"), wcb("wz", "vz"),
    del("vx", "vy", "vz", "h"), collect(), { op: "unfreeze" }, collect()),
  t("shared_keys_traverse_order_survivors", "tp_traverse in the keys' order shapes the collector's lists: D values (self-cycles, made a then b) held by a live instance are moved back to the young list in the order it visits them (keys b, a); once trash, collect(1) finalizes and calls back b first",
    cls("K"), teach("K", ["b", "a"]), nw("da", "Del"), setattr("da", "a", "da"), nw("db", "Del"), setattr("db", "a", "db"), wcb("wa", "da"), wcb("wb", "db"),
    nw("r", "K"), setattr("r", "a", "da"), setattr("r", "b", "db"), del("da", "db"), collect(0), referents("r"), del("r"), collect(1), deref("wa"), deref("wb")),
  t("shared_keys_fallback_dict_in_cycle", "30 instances, then the keys learn a (no usable entry left): s.a = s stays split, f.a = f, f.c turns f into a combined dict. In CPython that instance is two GC objects, itself and its __dict__: its self-cycle collects 2 (the split one's: 1)",
    cls("K"), spend("K", 30), teach("K", ["a"]), nw("s", "K"), setattr("s", "a", "s"), nw("f", "K"), setattr("f", "a", "f"), setattr("f", "c", 1), attrs("f"),
    del("s"), collect(), del("f"), collect(), stats),
];
