#!/usr/bin/env python3
"""The oracle: runs every trace of tests/oracle/traces/*.json in CPython 3.11 and
writes what it observed to tests/oracle/golden/<group>.json (npm run oracle).

Each trace becomes a straight-line Python function (one statement per step, trace
names are its local variables), so that the interpreter allocates nothing between
steps beyond what the steps themselves allocate: get_count deltas stay meaningful.
See tests/oracle/README.md for the trace language and what is compared.

Usage: python3 tests/oracle/run_cpython.py [--show NAME] [--only NAME]
"""
import ctypes
import gc
import json
import os
import sys
import weakref

if sys.version_info[:2] != (3, 11):
    sys.exit(f"run_cpython.py needs CPython 3.11 (the collector pyheap mirrors), not {sys.version.split()[0]}")
if os.environ.get("PYTHONHASHSEED") != "0":
    # str hashes decide the order of sets of str atoms: make runs reproducible
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

from _testcapi import with_tp_del  # noqa: E402  (the legacy tp_del finalizer, as test_gc uses it)

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- what the traces observe ---------------------------------------------------------
LOG = []          # step, kind, value, step, kind, value, ... (ints and str only: no GC allocation)
LABELS = {}       # id(obj) -> the trace name it was created under
RESURRECT = []    # "@resurrect": where Lazarus instances store themselves
CUR = 0           # the step running
REC = False       # record events (off while cleaning up between traces)
BASE = []         # gc.get_stats() flattened, before the trace's first collection


UNRAISABLE = []   # exceptions in hooks and callbacks: a bug of this runner, reported after the trace


def _unraisable(info):
    UNRAISABLE.append(f"{info.err_msg or 'Exception ignored in'}: {info.object!r}: {info.exc_type.__name__}: {info.exc_value}")


sys.unraisablehook = _unraisable


def rec(kind, value):
    LOG.append(CUR)
    LOG.append(kind)
    LOG.append(value)


class Plain:
    pass


class Slots:
    __slots__ = ("a", "b", "c")


class Del:
    def __del__(self):
        if REC:
            rec("del", LABELS.get(id(self), "?"))


class DelSlots:
    __slots__ = ("a", "b", "c")

    def __del__(self):
        if REC:
            rec("del", LABELS.get(id(self), "?"))


class Lazarus:
    def __del__(self):
        if REC:
            rec("del", LABELS.get(id(self), "?"))
        RESURRECT.append(self)


@with_tp_del
class Legacy:
    def __tp_del__(self):
        if REC:
            rec("legacy", LABELS.get(id(self), "?"))


class WSlots:
    __slots__ = ("a", "b", "c", "__weakref__")


CLASSES = {"Plain": Plain, "Slots": Slots, "Del": Del, "DelSlots": DelSlots, "Lazarus": Lazarus, "Legacy": Legacy,
           "WSlots": WSlots}
ATTRS = ("a", "b", "c", "d")

# CPython 3.11 keeps an instance's attributes in the order of its class's shared keys,
# which is the order in which the class first saw each name: fix it to a, b, c, d.
for _cls in (Plain, Del, Lazarus, Legacy):
    _x = _cls()
    for _a in ATTRS:
        setattr(_x, _a, None)
    del _x
RESURRECT.clear()


# ---- fresh classes (the "class" step) -----------------------------------------------------
def make_class(name, like):
    """A new class, made by a class statement when the trace runs: its shared keys start
    empty (usable 30) in every trace. `like` is the fixed class whose behaviour it copies."""
    if like == "Plain":
        class K:
            pass
    elif like == "Del":
        class K:
            def __del__(self):
                if REC:
                    rec("del", LABELS.get(id(self), "?"))
    elif like == "Lazarus":
        class K:
            def __del__(self):
                if REC:
                    rec("del", LABELS.get(id(self), "?"))
                RESURRECT.append(self)
    elif like == "Legacy":
        @with_tp_del
        class K:
            def __tp_del__(self):
                if REC:
                    rec("legacy", LABELS.get(id(self), "?"))
    else:
        raise ValueError(f"a class step copies Plain, Del, Lazarus or Legacy, not {like!r}")
    K.__name__ = K.__qualname__ = name   # (the AttributeError messages name the class)
    return K


# ---- an instance's attribute names, in iteration order, without materializing __dict__ ----
# list(vars(x)) would answer, but in 3.11 it makes x a real __dict__ (a GC-tracked dict that
# takes over the inline values): gc.get_referents(x) would see the dict, a collection would
# count it, and new attributes would go through the dict. So read the inline values' order
# bytes instead (Include/internal/pycore_dict.h, pycore_object.h, 3.11 64-bit):
#   - the inline values pointer is at ((PyDictValues **)x)[-4], the managed dict at [-3];
#   - ((uint8_t *)values)[-2] is the number of attributes, and the key index of the i-th
#     inserted one is ((uint8_t *)values)[-3 - i] (_PyDictValues_AddToInsertionOrder);
#   - the class's shared keys are ((PyHeapTypeObject *)cls)->ht_cached_keys: dk_log2_index_bytes
#     at byte 9, dk_usable at 16, dk_nentries at 24, the indices at 32, then the unicode
#     entries (me_key, me_value), 16 bytes each.
# An instance whose dict exists already (the combined fallback once the keys are full) is
# read with list(vars(x)): that makes nothing new.
_VP = ctypes.c_void_p
_U8 = ctypes.c_uint8
_SSZ = ctypes.c_ssize_t


def _cached_keys_offset():
    def f():
        class Probe:
            pass
        return Probe
    probe = f()   # (its qualname f.<locals>.Probe differs from its name: ht_qualname is unique)
    q = id(probe.__qualname__)
    for off in range(0, type.__basicsize__, 8):
        if _VP.from_address(id(probe) + off).value == q:
            return off + 8   # ht_cached_keys follows ht_qualname
    raise RuntimeError("cannot find ht_qualname in a heap type")


_HT_CACHED_KEYS = _cached_keys_offset()


def shared_keys(cls):
    """The class's shared keys (names in key order) and their usable count (for debugging)."""
    k = _VP.from_address(id(cls) + _HT_CACHED_KEYS).value
    entries = k + 32 + (1 << _U8.from_address(k + 9).value)
    n = _SSZ.from_address(k + 24).value
    names = [ctypes.cast(_VP.from_address(entries + 16 * i).value, ctypes.py_object).value for i in range(n)]
    return names, _SSZ.from_address(k + 16).value


def attr_names(o):
    """The instance's attribute names in iteration order (what list(vars(o)) would list)."""
    a = id(o)
    values = _VP.from_address(a - 32).value
    if values is None:
        return list(vars(o)) if _VP.from_address(a - 24).value is not None else []
    k = _VP.from_address(id(type(o)) + _HT_CACHED_KEYS).value
    entries = k + 32 + (1 << _U8.from_address(k + 9).value)
    out = []
    i = 0
    n = _U8.from_address(values - 2).value
    while i < n:
        ix = _U8.from_address(values - 3 - i).value
        out.append(ctypes.cast(_VP.from_address(entries + 16 * ix).value, ctypes.py_object).value)
        i += 1
    return out


def _check_attr_names():
    """attr_names against list(vars()) (read after it) on scratch instances of a fresh class:
    orders, deletion and re-set, a failed del, the fallback to a combined dict."""
    K = make_class("Check", "Plain")
    seen = []
    x = K()
    x.b = 1
    x.a = 2
    y = K()
    y.a = 1
    y.c = 2
    y.b = 3
    del y.a
    y.a = 4
    try:
        del y.q
    except AttributeError:
        pass
    seen += [x, y]
    for i in range(30):
        z = K()
        for j in range(i % 5):
            setattr(z, "n%d" % ((i * 7 + j * 3) % 11), j)
        seen.append(z)
    w = K()
    for j in range(35):
        setattr(w, "m%02d" % j, j)
    seen.append(w)
    if shared_keys(K)[0][:4] != ["b", "a", "c", "q"]:
        raise RuntimeError(f"shared keys read wrong: {shared_keys(K)}")
    for o in seen:
        got = attr_names(o)
        if got != list(vars(o)):
            raise RuntimeError(f"attr_names read {got}, vars() says {list(vars(o))}")


_check_attr_names()
gc.collect()


# ---- weak references ---------------------------------------------------------------------
WATCH_NAMES = []  # "watch" steps: callbacks also log these weakrefs' referents
WATCH_REFS = []   # (the weakrefs, held here until the trace is cleaned up)


def wrcb(wr):
    """The callback of the traces' weakrefs: ["callback", "<name> dead|alive[ <w>=<referent>...]"]."""
    if not REC:
        return
    if type(wr) is weakref.ref:
        o = wr()
        s = LABELS.get(id(wr), "?") + (" dead" if o is None else " alive")
        o = None
    else:
        # a proxy: using it would raise (an exception allocates); its repr says what it refers to
        s = LABELS.get(id(wr), "?") + (" dead" if repr(wr).find(" to NoneType at ") >= 0 else " alive")
    i = 0
    n = len(WATCH_NAMES)
    while i < n:
        o = WATCH_REFS[i]()
        s += " " + WATCH_NAMES[i] + "=" + ("-" if o is None else LABELS.get(id(o), "?"))
        o = None
        i += 1
    rec("callback", s)


def fin(name):
    """The function of the traces' weakref.finalize objects."""
    if REC:
        rec("finalize", name)


# weakref.finalize registers its atexit hook on first use: do it now, not inside a trace
weakref.finalize(Plain, fin, "-").detach()


def q_deref(w):
    o = w()
    rec("deref", None if o is None else LABELS.get(id(o), "?"))


def q_use(p):
    try:
        n = len(p)
    except ReferenceError:
        rec("use", "ReferenceError")
        return
    rec("use", n)


def q_use_attr(p, attr):
    try:
        b = hasattr(p, attr)
    except ReferenceError:
        rec("use", "ReferenceError")
        return
    rec("use", b)


def q_try_weakref(o):
    try:
        weakref.ref(o)
    except TypeError as e:
        rec("weakref_error", e.args[0])   # (str(e) would call a type: an arguments tuple)
        return
    rec("weakref_error", None)


def q_detach(f):
    r = f.detach()
    rec("detach", None if r is None else LABELS.get(id(r[0]), "?"))


def q_peek(f):
    r = f.peek()
    rec("peek", None if r is None else LABELS.get(id(r[0]), "?"))


def q_try_delattr(o, name):
    try:
        delattr(o, name)     # (PyObject_SetAttr(o, name, NULL), as `del o.name`)
    except AttributeError as e:
        rec("delattr_error", e.args[0])
        return
    rec("delattr_error", None)


ATOM_TYPES = (int, str, type(None), type)


def q_referents(o):
    # gc.get_referents(o) without atoms and the class (pyheap's classes are not heap objects)
    out = ""
    for r in gc.get_referents(o):
        if isinstance(r, ATOM_TYPES):
            continue
        if out:
            out += " "
        out += LABELS.get(id(r), "?")
    rec("referents", out)


def q_attrs(o):
    names = attr_names(o)
    out = ""
    i = 0
    n = len(names)
    while i < n:
        if i:
            out += " "
        out += names[i]
        i += 1
    rec("attrs", out)


def q_count():
    a, b, c = gc.get_count()          # a new 3-tuple (the TS runner makes one too)
    rec("count", f"{a} {b} {c}")


def stats9():
    s = gc.get_stats()
    return [s[g][k] for g in range(3) for k in ("collections", "collected", "uncollectable")]


def q_stats():
    s = gc.get_stats()                # a new list of 3 new dicts (the TS runner makes them too)
    b = BASE
    rec("stats", f"{s[0]['collections'] - b[0]} {s[0]['collected'] - b[1]} {s[0]['uncollectable'] - b[2]} "
                 f"{s[1]['collections'] - b[3]} {s[1]['collected'] - b[4]} {s[1]['uncollectable'] - b[5]} "
                 f"{s[2]['collections'] - b[6]} {s[2]['collected'] - b[7]} {s[2]['uncollectable'] - b[8]}")


def labels_of(lst):
    out = ""
    i = 0
    n = len(lst)
    while i < n:
        if i:
            out += " "
        out += LABELS.get(id(lst[i]), "?")
        i += 1
    return out


def q_garbage():
    rec("garbage", labels_of(gc.garbage))


def q_resurrected():
    rec("resurrected", labels_of(RESURRECT))


# ---- code generation -------------------------------------------------------------------
SPECIAL = {"@garbage": "gc.garbage", "@resurrect": "RESURRECT"}


class Gen:
    def __init__(self, trace):
        self.trace = trace
        self.lines = []
        self.atoms = []   # atoms that must not be compiled as constants (inside tuple displays)
        self.weak = {}    # weak container names -> their type
        self.classes = set()  # names of the trace's own classes ("class" steps)

    def name(self, n):
        if n in SPECIAL:
            return SPECIAL[n]
        if not n.isidentifier() or n.startswith("_"):
            raise ValueError(f"{self.trace['name']}: bad name {n!r}")
        return "v_" + n

    def atom(self, v):
        if v is None:
            return "None"
        if isinstance(v, bool):
            raise ValueError("booleans are not trace atoms")
        if isinstance(v, int):
            return repr(v)
        if isinstance(v, dict) and set(v) == {"s"}:
            return repr(v["s"])
        raise ValueError(f"{self.trace['name']}: bad value {v!r}")

    def value(self, v, runtime=False):
        if isinstance(v, str):
            return self.name(v)
        if runtime:
            # a tuple of constants would be one constant of the code object: load the
            # atom from a list at run time so that BUILD_TUPLE makes a new tuple
            self.atoms.append(v)
            return f"_A[{len(self.atoms) - 1}]"
        return self.atom(v)

    def step(self, i, s):
        op = s["op"]
        n = self.name
        v = self.value
        out = []
        if op == "new":
            t = s["type"]
            nm = n(s["name"])
            if t == "list":
                out.append(f"{nm} = [{', '.join(v(x) for x in s.get('items', []))}]")
            elif t == "tuple":
                items = s.get("items", [])
                if not items:
                    raise ValueError("the empty tuple is a singleton: not a trace object")
                out.append(f"{nm} = ({', '.join(v(x, True) for x in items)},)")
            elif t == "set":
                items = s.get("items", [])
                out.append(f"{nm} = {{{', '.join(v(x) for x in items)}}}" if items else f"{nm} = set()")
            elif t == "frozenset":
                items = s.get("items", [])
                if not items:
                    raise ValueError("empty frozensets are not trace objects")
                out.append(f"{nm} = frozenset([{', '.join(v(x) for x in items)}])")
            elif t == "dict":
                out.append(f"{nm} = {{{', '.join(f'{v(k)}: {v(x)}' for k, x in s.get('entries', []))}}}")
            elif t in CLASSES or t in self.classes:
                out.append(f"{nm} = {t if t in CLASSES else n(t)}()")
                for a, x in s.get("attrs", []):
                    out.append(f"{nm}.{a} = {v(x)}")
            else:
                raise ValueError(f"unknown type {t}")
            out.insert(1, f"LABELS[id({nm})] = {s['name']!r}")
        elif op == "class":
            c = s["name"]
            if c in CLASSES or c in self.classes or c in SPECIAL:
                raise ValueError(f"{self.trace['name']}: class {c} defined twice")
            self.classes.add(c)
            out.append(f"{n(c)} = make_class({c!r}, {s.get('like', 'Plain')!r})")
        elif op == "append":
            out.append(f"{n(s['target'])}.append({v(s['value'])})")
        elif op == "setitem":
            out.append(f"{n(s['target'])}[{v(s['key'])}] = {v(s['value'])}")
        elif op == "setattr":
            out.append(f"{n(s['target'])}.{s['attr']} = {v(s['value'])}")
        elif op == "add":
            out.append(f"{n(s['target'])}.add({v(s['value'])})")
        elif op == "delattr":
            out.append(f"del {n(s['target'])}.{s['attr']}")
        elif op == "delitem":
            out.append(f"del {n(s['target'])}[{v(s['key'])}]")
        elif op == "pop":
            out.append(f"{n(s['target'])}.pop({s.get('index', '')})")
        elif op == "clear":
            out.append(f"{n(s['target'])}.clear()")
        elif op == "load":
            src = n(s["from"])
            if "attr" in s:
                out.append(f"{n(s['name'])} = {src}.{s['attr']}")
            else:
                out.append(f"{n(s['name'])} = {src}[{v(s['key'])}]")
        elif op == "alias":
            out.append(f"{n(s['name'])} = {n(s['from'])}")
        elif op == "del":
            out.append(f"del {n(s['name'])}")
        elif op == "try_delattr":
            out.append(f"q_try_delattr({n(s['target'])}, {s['attr']!r})")
        elif op == "collect":
            out.append(f"rec('collect', gc.collect({s.get('gen', 2)}))")
        elif op == "freeze":
            out.append("gc.freeze()")
        elif op == "unfreeze":
            out.append("gc.unfreeze()")
        elif op == "set_debug":
            out.append(f"gc.set_debug({int(s['flags'])})")
        elif op == "is_tracked":
            out.append(f"rec('tracked', gc.is_tracked({n(s['name'])}))")
        elif op == "is_finalized":
            out.append(f"rec('finalized', gc.is_finalized({n(s['name'])}))")
        elif op == "refcount":
            # sys.getrefcount counts its argument too
            out.append(f"rec('refcount', sys.getrefcount({n(s['name'])}) - 1)")
        elif op == "get_count":
            out.append("q_count()")
        elif op == "get_stats":
            out.append("q_stats()")
        elif op == "referents":
            out.append(f"q_referents({n(s['name'])})")
        elif op == "attrs":
            out.append(f"q_attrs({n(s['name'])})")
        elif op == "garbage_len":
            out.append("rec('garbage_len', len(gc.garbage))")
        elif op == "garbage":
            out.append("q_garbage()")
        elif op == "resurrected":
            out.append("q_resurrected()")
        elif op == "frozen":
            out.append("rec('frozen', gc.get_freeze_count() > 0)")
        elif op in ("weakref", "proxy"):
            fn = "weakref.ref" if op == "weakref" else "weakref.proxy"
            cb = ", wrcb" if s.get("callback") else ""
            nm = n(s["name"])
            out.append(f"{nm} = {fn}({n(s['target'])}{cb})")
            out.append(f"LABELS[id({nm})] = {s['name']!r}")
        elif op == "try_weakref":
            out.append(f"q_try_weakref({n(s['target'])})")
        elif op == "watch":
            out.append(f"WATCH_NAMES.append({s['name']!r})")
            out.append(f"WATCH_REFS.append({n(s['name'])})")
        elif op == "deref":
            out.append(f"q_deref({n(s['name'])})")
        elif op == "use":
            if "attr" in s:
                out.append(f"q_use_attr({n(s['name'])}, {s['attr']!r})")
            else:
                out.append(f"q_use({n(s['name'])})")
        elif op == "weakrefcount":
            out.append(f"rec('weakrefcount', weakref.getweakrefcount({n(s['name'])}))")
        elif op == "finalize":
            out.append(f"{n(s['name'])} = weakref.finalize({n(s['target'])}, fin, {s['name']!r})")
        elif op == "fin_call":
            out.append(f"{n(s['name'])}()")
        elif op == "fin_alive":
            out.append(f"rec('fin_alive', {n(s['name'])}.alive)")
        elif op == "fin_detach":
            out.append(f"q_detach({n(s['name'])})")
        elif op == "fin_peek":
            out.append(f"q_peek({n(s['name'])})")
        elif op == "weak_new":
            if s["type"] not in ("WeakValueDictionary", "WeakKeyDictionary", "WeakSet"):
                raise ValueError(f"unknown weak container {s['type']}")
            self.weak[s["name"]] = s["type"]
            out.append(f"{n(s['name'])} = weakref.{s['type']}()")
        elif op == "weak_set":
            out.append(f"{n(s['target'])}[{v(s['key'])}] = {v(s['value'])}")
        elif op == "weak_add":
            out.append(f"{n(s['target'])}.add({n(s['value'])})")
        elif op == "weak_del":
            if self.weak.get(s["target"]) == "WeakSet":
                out.append(f"{n(s['target'])}.discard({v(s['key'])})")
            else:
                out.append(f"del {n(s['target'])}[{v(s['key'])}]")
        elif op == "weak_len":
            out.append(f"rec('weak_len', len({n(s['name'])}))")
        elif op == "weak_has":
            out.append(f"rec('weak_has', {v(s['key'])} in {n(s['target'])})")
        else:
            raise ValueError(f"{self.trace['name']}: unknown op {op!r} (step {i})")
        return out

    def source(self):
        body = []
        for i, s in enumerate(self.trace["steps"]):
            body.append(f"CUR = {i}")
            body.extend(self.step(i, s))
        # returning drops the remaining names (in co_varnames order): their deaths are
        # recorded as step len(steps)
        body.append(f"CUR = {len(self.trace['steps'])}")
        return "def _trace(_A):\n    global CUR\n" + "".join(f"    {line}\n" for line in body)


# ---- running ---------------------------------------------------------------------------
def break_refs(o):
    """Empties a leftover object so that the cycles through it die."""
    if isinstance(o, (list, dict, set)):
        o.clear()
    elif isinstance(o, (Slots, DelSlots, WSlots)):
        for a in o.__slots__:
            if a != "__weakref__" and hasattr(o, a):
                delattr(o, a)
    elif hasattr(o, "__dict__"):
        vars(o).clear()


def cleanup():
    global REC
    REC = False
    gc.set_debug(0)
    gc.unfreeze()
    WATCH_NAMES.clear()
    WATCH_REFS.clear()
    for _ in range(50):
        RESURRECT.clear()
        left = gc.garbage[:]
        gc.garbage.clear()
        for o in left:
            break_refs(o)
        del left
        if gc.collect() == 0 and not gc.garbage and not RESURRECT:
            return
    raise RuntimeError("cannot clean up after a trace")


def parse(log):
    out = []
    for i in range(0, len(log), 3):
        step, kind, value = log[i:i + 3]
        if kind in ("count", "stats"):
            nums = [int(x) for x in value.split()]
            value = nums if kind == "count" else [nums[0:3], nums[3:6], nums[6:9]]
        elif kind in ("garbage", "resurrected", "referents", "attrs"):
            value = value.split() if value else []
        out.append([step, kind, value])
    return out


def run(trace, show=False):
    global REC, BASE
    g = Gen(trace)
    src = g.source()
    if show:
        print(src)
    ns = globals()   # the trace's `global CUR` must be the module's, which rec() reads
    exec(compile(src, f"<trace {trace['name']}>", "exec"), ns)
    fn = ns.pop("_trace")
    atoms = [eval(g.atom(a)) for a in g.atoms]
    cleanup()
    LOG.clear()
    LABELS.clear()
    BASE = stats9()
    # the trace's first collection: empties generations 0 and 1, the counts and the free
    # lists (pyheap's runner does the same on its new heap)
    if gc.collect() != 0:
        raise RuntimeError("garbage left before a trace")
    REC = True
    try:
        fn(atoms)
    finally:
        REC = False
    result = parse(LOG)
    LOG.clear()
    cleanup()
    if UNRAISABLE:
        msg = "\n".join(UNRAISABLE)
        UNRAISABLE.clear()
        raise RuntimeError(f"{trace['name']}: exceptions in hooks or callbacks:\n{msg}")
    return result


def main():
    args = sys.argv[1:]
    show = only = None
    if args[:1] == ["--show"]:
        show = only = args[1]
    elif args[:1] == ["--only"]:
        only = args[1]
    gc.disable()
    tdir = os.path.join(HERE, "traces")
    gdir = os.path.join(HERE, "golden")
    os.makedirs(gdir, exist_ok=True)
    total = 0
    for fname in sorted(os.listdir(tdir)):
        if not fname.endswith(".json"):
            continue
        with open(os.path.join(tdir, fname)) as f:
            group = json.load(f)
        results = {}
        for trace in group["traces"]:
            if only and trace["name"] != only:
                continue
            results[trace["name"]] = run(trace, show)
            if only:
                print(json.dumps(results[trace["name"]]))
        total += len(results)
        if only:
            continue
        golden = {
            "python": sys.version.split()[0],
            "group": group["group"],
            "results": results,
        }
        with open(os.path.join(gdir, fname), "w") as f:
            f.write(format_golden(golden))
    if not only:
        print(f"run_cpython.py: {total} traces run in CPython {sys.version.split()[0]}, golden files in {gdir}")


def format_golden(golden):
    # one line per observation: reviewable diffs
    lines = ["{", f'  "python": {json.dumps(golden["python"])},', f'  "group": {json.dumps(golden["group"])},', '  "results": {']
    names = list(golden["results"])
    for i, name in enumerate(names):
        obs = golden["results"][name]
        lines.append(f"    {json.dumps(name)}: [" + ("" if obs else "]" + ("," if i < len(names) - 1 else "")))
        for j, o in enumerate(obs):
            lines.append("      " + json.dumps(o, separators=(", ", ": ")) + ("," if j < len(obs) - 1 else ""))
        if obs:
            lines.append("    ]" + ("," if i < len(names) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
