// Hand-written traces: ports of Lib/test/test_gc.py (reference section 7) that apply to
// pyheap without weak references, and scenarios of PEP 442 finalization and of the
// generations. Each trace's doc says what it checks; the assertions are CPython's
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
];
