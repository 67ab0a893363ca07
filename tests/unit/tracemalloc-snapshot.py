#!/usr/bin/env python3
"""CPython 3.11's answers for tests/unit/tracemalloc-snapshot.test.ts.

Builds tracemalloc.Snapshot objects from deterministic pseudo-random raw traces (the
tuples (domain, size, frames most recent first, total_nframe) that CPython's C layer gives
its Python layer) and records what Lib/tracemalloc.py answers: statistics and compare_to
for every key type, filter_traces for a set of filters, fnmatch on tricky patterns,
Traceback.format (with source lines read from fixture files), str() of Frame, Traceback,
Trace, Statistic and StatisticDiff, _format_size, and the error messages.

Writes tests/unit/tracemalloc-snapshot.golden.json (the inputs and CPython's outputs), or
prints the same document with --stdout: the test compares that with the committed file
when python3 3.11 is installed.

Usage: python3 tests/unit/tracemalloc-snapshot.py [--stdout]
"""
import base64
import json
import os
import random
import shutil
import sys
import tempfile
import tracemalloc
from tracemalloc import DomainFilter, Filter, Snapshot, Traceback

if sys.version_info[:2] != (3, 11):
    sys.exit(f"tracemalloc-snapshot.py needs CPython 3.11, not {sys.version.split()[0]}")

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "tracemalloc-snapshot.golden.json")
SEED = 0x7A11_0C11
rng = random.Random(SEED)

# Filenames: set characters, .pyc names (a pair with its .py), non-ASCII names whose code
# point order differs from UTF-16's (U+FF5E sorts before U+1F600 in Python, after it in JS),
# a newline, a backslash. None of them exists (linecache finds no source line).
FILES = [
    "tm_pkg/alpha.py", "tm_pkg/beta.py", "tm_pkg/beta.pyc", "tm_pkg/[gamma].py",
    "tm_pkg/star*.py", "tm_pkg/q?mark.py", "tm_pkg/Upper.PY", "tm_pkg/dash-[a-c].py",
    "tm_pkg/\u00fcn\u00ef.py", "tm_pkg/\uff5e.py", "tm_pkg/\U0001F600.py", "tm_pkg/back\\slash.py",
    "tm_pkg/new\nline.py", "tm_pkg/!bang.py", "tm_lib/deep/mod.py", "tm_lib/a.pyc",
    "<unknown>", "<frozen tm_boot>",
]
LINES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1000000]
DOMAINS = [0, 0, 0, 0, 0, 0, 1, 7, 389047]


def rand_frame():
    return (rng.choice(FILES), rng.choice(LINES))


def rand_frames():
    frames = [rand_frame() for _ in range(rng.randint(1, 4))]
    if len(frames) >= 2 and rng.random() < 0.2:
        frames.append(frames[0])  # recursion: a frame twice (cumulative counts it twice)
    return tuple(frames[:4])


def rand_size():
    kind = rng.random()
    if kind < 0.08:
        return rng.choice([1, 99, 100, 101, 10239, 10240, 10241, 10496, 11008, 102399, 102400,
                           10 * 1024 * 1024 - 1, 10 * 1024 * 1024])
    if kind < 0.45:
        return rng.randint(1, 512)
    if kind < 0.75:
        return rng.randint(513, 10239)
    if kind < 0.92:
        return rng.randint(10240, 102399)
    return rng.randint(102400, 10 * 1024 * 1024)


# tracebacks: a shared pool (some in both snapshots), some only in one; the same frames
# twice with different total_nframe
POOL = []
for _ in range(70):
    frames = rand_frames()
    POOL.append((frames, len(frames) + rng.choice([0, 0, 0, 1, 7])))
for k in range(0, 10, 2):
    POOL.append((POOL[k][0], POOL[k][1] + 3))
NEW_ONLY = [(f, len(f)) for f in (rand_frames() for _ in range(15))]
OLD_ONLY = [(f, len(f)) for f in (rand_frames() for _ in range(15))]


def raw_traces(count, pools, sizer=rand_size):
    out = []
    for _ in range(count):
        pool = rng.choice(pools)
        frames, total = rng.choice(pool)
        out.append((rng.choice(DOMAINS), sizer(), frames, total))
    return out


def ties_traces():
    # every traceback distinct, every size 8: the order is the tracebacks' order alone
    out, seen = [], set()
    names = ["tm_pkg/\uff5e.py", "tm_pkg/\U0001F600.py", "tm_pkg/\U0001F601.py", "tm_pkg/\u00e9.py",
             "tm_pkg/e.py", "tm_pkg/E.py", "tm_pkg/a.py", "tm_pkg/a.pyc", "tm_pkg/", "tm_pkg/a.py\uff5e"]
    while len(out) < 60:
        frames = tuple((rng.choice(names), rng.choice([0, 1, 2, 10])) for _ in range(rng.randint(1, 3)))
        if frames in seen:
            continue
        seen.add(frames)
        out.append((0, 8, frames, len(frames)))
    return out


INPUTS = {
    "new": (4, raw_traces(320, [POOL, POOL, NEW_ONLY])),
    "old": (4, raw_traces(280, [POOL, POOL, OLD_ONLY])),
    "huge": (10, raw_traces(40, [POOL], lambda: rng.choice([rng.randint(1, 2 ** 44), 2 ** rng.randint(30, 44), 10 * 1024 ** 4]))),
    "ties": (3, ties_traces()),
    "empty": (1, []),
}
SNAPSHOTS = {name: Snapshot(traces, limit) for name, (limit, traces) in INPUTS.items()}
KEYS = [("filename", False), ("lineno", False), ("traceback", False), ("filename", True), ("lineno", True)]


def key_name(key_type, cumulative):
    return f"{key_type}{'/cumulative' if cumulative else ''}"


def statistics():
    return {name: {key_name(k, c): [str(s) for s in snap.statistics(k, c)] for k, c in KEYS}
            for name, snap in SNAPSHOTS.items()}


COMPARE_PAIRS = [("new", "old"), ("old", "new"), ("new", "empty"), ("empty", "new"), ("ties", "new"), ("huge", "huge"), ("huge", "old")]


def compare():
    return {f"{a}<-{b}": {key_name(k, c): [str(s) for s in SNAPSHOTS[a].compare_to(SNAPSHOTS[b], k, c)] for k, c in KEYS}
            for a, b in COMPARE_PAIRS}


def compare_filtered():
    """compare_to between a snapshot and its own filtered copies (tables shared in pyheap)."""
    new = SNAPSHOTS["new"]
    part = new.filter_traces([DomainFilter(True, 0), Filter(False, "tm_pkg/a*")])
    return {"new<-part": {key_name(k, c): [str(s) for s in new.compare_to(part, k, c)] for k, c in KEYS},
            "part<-new": {key_name(k, c): [str(s) for s in part.compare_to(new, k, c)] for k, c in KEYS}}


# filters, encoded ["Filter", inclusive, pattern, lineno, all_frames, domain] / ["DomainFilter", inclusive, domain]
def F(inclusive, pattern, lineno=None, all_frames=False, domain=None):
    return ["Filter", inclusive, pattern, lineno, all_frames, domain]


def D(inclusive, domain):
    return ["DomainFilter", inclusive, domain]


FILTER_SPECS = [
    [F(True, "tm_pkg/*")], [F(False, "tm_pkg/*")], [F(True, "*.py")], [F(True, "*.pyc")],
    [F(True, "tm_pkg/beta.pyc")], [F(False, "tm_pkg/beta.py")], [F(True, "tm_pkg/[[]gamma].py")],
    [F(True, "tm_pkg/star[*].py")], [F(True, "tm_pkg/q[?]mark.py")], [F(True, "*[!a-z].py")],
    [F(True, "tm_pkg/?????.py")], [F(True, "tm_pkg/?.py")], [F(True, "<*>")], [F(True, "TM_PKG/*")],
    [F(True, "tm_pkg/\u00fcn\u00ef.py")], [F(True, "tm_pkg/new?line.py")], [F(True, "tm_pkg/back\\slash.py")],
    [F(True, "tm_pkg/dash-[a-c].py")], [F(True, "tm_pkg/dash-[[]a-c].py")],
    [F(True, "tm_pkg/*", 3)], [F(False, "tm_pkg/*", 3)], [F(True, "*", 1000000)],
    [F(True, "tm_lib/*", None, True)], [F(False, "tm_lib/*", None, True)], [F(True, "tm_lib/*", None, False)],
    [F(True, "*", None, False, 7)], [F(False, "*", None, False, 7)], [F(False, "tm_pkg/*", None, False, 0)],
    [F(True, "tm_pkg/*", 2, True, 0)], [F(False, "tm_pkg/*", 2, True, 0)],
    [D(True, 0)], [D(False, 0)], [D(True, 389047)], [D(False, 12345)],
    [F(True, "tm_pkg/*"), F(True, "tm_lib/*"), F(False, "*", 1)],
    [D(False, 0), F(True, "*a*")], [F(False, "<unknown>"), F(False, "<frozen*")],
    [F(True, "tm_pkg/a*"), D(True, 1), D(False, 7)], [],
]


def make_filter(spec):
    if spec[0] == "Filter":
        return Filter(spec[1], spec[2], spec[3], spec[4], spec[5])
    return DomainFilter(spec[1], spec[2])


def sized(traces):
    """The traces with sizes 1..n, so that a filtered snapshot tells which it kept."""
    return [(d, i + 1, f, t) for i, (d, _s, f, t) in enumerate(traces)]


def filters():
    snap = Snapshot(sized(INPUTS["new"][1]), INPUTS["new"][0])
    out = []
    for spec in FILTER_SPECS:
        got = snap.filter_traces([make_filter(f) for f in spec])
        out.append({
            "filters": spec,
            "kept": [t.size - 1 for t in got.traces],
            "limit": got.traceback_limit,
            "lineno": [str(s) for s in got.statistics("lineno")][:12],
        })
    return out


# fnmatch: patterns x names, through Filter (".pyc" normalized) and fnmatch.fnmatch itself
PATTERNS = [
    "", "*", "**", "?", "??", "[", "]", "[]", "[]]", "[!]", "[!]]", "[a-]", "[-a]", "[]-a]", "[z-a]",
    "[z-a!]", "[z-a!x]", "[!b-a]", "[a-c-e]", "[---]", "[--a]", "[\\-a]", "[a\\]", "[!a-c]",
    "[a-cx-z]", "[z-ab-c]", "[!z-ab-c]", "[a-xz-yb-c]", "[^a]", "[!^a]", "[[]", "[[]]", "[&&]",
    "[~|]", "a*b*c", "*a*a*a*a*b", "*.py", "*.pyc", "x.pyc", "tm_*/*", "*/*/*", "[0-9]*", "*[!.]??",
    "\\*", "a[b", "a[!b", "?.py", "??.py", "[\U0001F600-\U0001F602].py", "[\uff5e-\U0001F600]*",
    "*\n*", "[\n]*", ".*", "(*)", "$*", "^*", "{a,b}*", "a|b", "[a-z][!a-z]*", "*a", "a*", "*a*",
    "[!!]*", "[a-a]", "[b-a-c]", "[!-]", "[]a-]", "*[*]*", "[?]*", "**a**", "*?", "?*?",
]
NAMES = [
    "a", "b", "c", "e", "x", "z", "!", "-", "]", "[", "^", "\\", "*", "?", "abc", "aXbYc", "aaaaab",
    "aaaa", "x.py", "x.pyc", "x.PY", "tm_pkg/x.py", "tm_a/b/c", "0abc", "ab.", "abc.", "a[b",
    "a[!b", "\U0001F600.py", "\U0001F601.py", "\U0001F603.py", "\uff5e.py", "\u00e9.py", "ab.py",
    "\n", "a\nb", ".x", "(x)", "$x", "^x", "{a,b}", "a|b", "&", "~", "|", "", "Az", "aZ", "ba",
    "a-b", "--", "\U0001F600", "\uff5e",
]


def fnmatches():
    import fnmatch
    snap = Snapshot([(0, i + 1, ((name, 1),), 1) for i, name in enumerate(NAMES)], 1)
    return [{
        "pattern": pat,
        "filter": [t.size - 1 for t in snap.filter_traces([Filter(True, pat)]).traces],
        "fnmatch": [i for i, name in enumerate(NAMES) if fnmatch.fnmatch(name, pat)],
    } for pat in PATTERNS]


def traceback_strings():
    new = SNAPSHOTS["new"]
    out = []
    for k in range(80):
        t = new.traces[k]
        tb = t.traceback
        out.append({"trace": str(t), "traceback": str(tb), "length": len(tb), "totalNframe": tb.total_nframe,
                    "frames": [str(f) for f in tb], "mostRecent": str(tb[-1])})
    return out


LIMITS = [None, 0, 1, 2, 3, 5, -1, -2, -4]


def formats():
    tbs = [f for f, _ in POOL if len(f) >= 2][:25] + [POOL[0][0]]
    out = []
    for frames in tbs:
        tb = Traceback(frames)
        out.append({"frames": [list(f) for f in frames],
                    "formats": [tb.format(limit, mrf) for limit in LIMITS for mrf in (False, True)]})
    return out


def orders():
    tbs = [Traceback(f) for f, _ in POOL + NEW_ONLY] + [Traceback(f) for _d, _s, f, _t in INPUTS["ties"][1]]
    tb_order = sorted(range(len(tbs)), key=lambda i: (tbs[i], i))
    frames = [tracemalloc.Frame(f) for f in {fr for tb in tbs for fr in tb._frames}]
    frames.sort()
    return {"tracebacks": [[list(f) for f in tb._frames[::-1]] for tb in tbs], "tracebackOrder": tb_order,
            "frames": [[f.filename, f.lineno] for f in frames]}


# sizes for _format_size: every branch, each boundary, exact ties, random ints and floats
def sizes():
    vals = [0, 1, 2, 99, 100, 101, 10239, 10240, 10241, 10291, 10496, 11008, 102399, 102400, 102401,
            0.5, 1.5, 2.5, 3.5, 0.25, 0.75, 99.5, 99.95, 99.96, 10239.5, 10240.5, -0.0, 0.0, -0.4, -0.5, -1.5]
    for u in range(1, 5):
        base = 1024 ** u
        for m in (10, 10.05, 10.25, 10.75, 99, 99.94, 99.95, 99.96, 100, 10239, 10239.5, 10240, 10241):
            vals.append(m * base)
            vals.append(int(m * base))
    vals += [1024 ** 5, 10240 * 1024 ** 4, 10 ** 21 * 1024 ** 4, 1e300, 2 ** 53, 2 ** 53 + 2]
    for _ in range(100):
        vals.append(int(2 ** rng.uniform(0, 50)))
        vals.append(2 ** rng.uniform(-3, 50))
    out = []
    for v in vals:
        for s in (v, -v):
            for sign in (False, True):
                out.append([repr(float(s)) if isinstance(s, float) else str(s), sign, tracemalloc._format_size(s, sign)])
    for v in ("nan", "inf", "-inf"):
        for sign in (False, True):
            out.append([v, sign, tracemalloc._format_size(float(v), sign)])
    return out


def error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the error is the answer)
        return [type(e).__name__, str(e)]
    return None


def errors():
    new, old = SNAPSHOTS["new"], SNAPSHOTS["old"]
    cases = {
        "statistics('foo')": error(lambda: new.statistics("foo")),
        "statistics('FILENAME')": error(lambda: new.statistics("FILENAME")),
        "statistics('')": error(lambda: new.statistics("")),
        "statistics(\"it's\")": error(lambda: new.statistics("it's")),
        "statistics(3)": error(lambda: new.statistics(3)),
        "statistics(None)": error(lambda: new.statistics(None)),
        "statistics('traceback', True)": error(lambda: new.statistics("traceback", True)),
        "compareTo(old, 'foo')": error(lambda: new.compare_to(old, "foo")),
        "compareTo(old, 'traceback', True)": error(lambda: new.compare_to(old, "traceback", True)),
        "filterTraces(3)": error(lambda: new.filter_traces(3)),
        "filterTraces(None)": error(lambda: new.filter_traces(None)),
        "Traceback([]).toString()": error(lambda: str(Traceback(()))),
        "Traceback.at(5)": error(lambda: Traceback((("a", 1),))[5]),
        "format of a filename with NUL": error(lambda: Traceback((("a\0b", 1),)).format()),
    }
    return cases


# Source lines: fixture files (bytes), each formatted as one traceback of every line
FIXTURES = {
    "plain.py": b"x = 1\n    indented line   \n\n\tlast without newline",
    "crlf.py": b"a = 1\r\n  b = 2  \r\n\r\nc\r\n",
    "cr.py": b"a = 1\r  b = 2\r",
    "bom.py": b"\xef\xbb\xbffirst\nsecond\n",
    "bom_cookie.py": b"\xef\xbb\xbf# coding: utf-8\nx = 1\n",
    "bom_utf8_alias.py": b"\xef\xbb\xbf# coding: utf8\nx = 1\n",
    "bom_latin1.py": b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
    "latin1.py": b"# -*- coding: latin-1 -*-\ns = '\xe9'\n",
    "latin1_alias.py": b"#!/usr/bin/env python\n# vim: set fileencoding=l1 :\ns = '\xe9\xff'\n",
    "latin1_third_line.py": b"#!/usr/bin/env python\n\n# coding: latin-1\ns = '\xe9'\n",
    "latin1_after_code.py": b"x = 1\n# coding: latin-1\ns = '\xe9'\n",
    "ascii.py": b"# coding=ascii\nx = 1\n",
    "ascii_bad.py": b"# coding: us-ascii\nx = '\xc3\xa9'\n",
    "unknown_codec.py": b"# coding: klingon\nx = 1\n",
    "utf8.py": "# caf\u00e9\nname = '\U0001F600 \uff5e'\n".encode("utf-8"),
    "bad_utf8.py": b"ok\n\xff\xfe bad\n",
    "whitespace.py": "\x1cfoo\x1d\n\u00a0bar\u3000\n\ufeffbaz\ufeff\n\x0bvt\x0c\n\u2028sep\u2029\n \x85nel\x85 \n\t\n".encode("utf-8"),
    "empty.py": b"",
    "only_newline.py": b"\n",
}
SUBDIR = "subdir"


def sources():
    tmp = tempfile.mkdtemp(prefix="tm-snapshot-")
    try:
        for name, data in FIXTURES.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        os.mkdir(os.path.join(tmp, SUBDIR))
        out = []
        for name in list(FIXTURES) + [SUBDIR, "missing.py"]:
            path = os.path.join(tmp, name)
            frames = tuple((path, line) for line in range(8, -2, -1))  # most recent first
            lines = Traceback(frames).format()
            out.append({"file": name, "frames": [["@TMP@/" + name, line] for _p, line in frames],
                        "format": [line.replace(tmp, "@TMP@") for line in lines]})
        return out
    finally:
        shutil.rmtree(tmp)


def encode_traces(traces):
    return [[d, s, [list(f) for f in frames], t] for d, s, frames, t in traces]


def main():
    doc = {
        "about": "CPython 3.11's tracemalloc answers: written by tests/unit/tracemalloc-snapshot.py (do not edit)",
        "python": "3.11",
        "snapshots": {name: {"limit": limit, "traces": encode_traces(traces)} for name, (limit, traces) in INPUTS.items()},
        "statistics": statistics(),
        "compare": compare(),
        "compareFiltered": compare_filtered(),
        "filters": filters(),
        "fnmatch": {"names": NAMES, "cases": fnmatches()},
        "traces": traceback_strings(),
        "formats": {"limits": LIMITS, "cases": formats()},
        "orders": orders(),
        "sizes": sizes(),
        "errors": errors(),
        "sources": {"fixtures": {k: base64.b64encode(v).decode() for k, v in FIXTURES.items()}, "dirs": [SUBDIR], "cases": sources()},
    }
    text = json.dumps(doc, ensure_ascii=False, indent=0) + "\n"
    if "--stdout" in sys.argv[1:]:
        sys.stdout.buffer.write(text.encode("utf-8"))
    else:
        with open(GOLDEN, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(GOLDEN)}")


if __name__ == "__main__":
    main()
