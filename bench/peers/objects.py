"""CPython's side of `npm run bench -- objects`: the same workloads, in this interpreter.

    python3 bench/peers/objects.py [--runs N] [--scale X]

Prints one JSON object on stdout (bench/objects.ts reads it):

  workloads.<name>.nsPerOp     ns per object created and freed: the loop
                               `for _ in repeat(None, n): x = <expr>` (each new object
                               replaces the previous one, which is freed), median of
                               `runs`, net of the empty loop `for _ in repeat(None, n): pass`
                               (itertools.repeat creates no objects; range() would make an
                               int per step)
  workloads.<name>.tracemalloc bytes per object: tracemalloc.get_traced_memory() delta over
                               n live objects / n (requested sizes, GC head included)
  workloads.<name>.blocks      bytes per object: the delta of "# bytes in allocated blocks"
                               of sys._debugmallocstats() over n live objects / n (pymalloc's
                               16-byte size classes: the same measure as pyheap's
                               heap.mem.stats().bytes.allocatedBlocks)
  workloads.<name>.getsizeof   sys.getsizeof of one object
  cascade.nsPerObject          `del root` of a list of 1,000 lists of 999 empty lists
                               (built with the GC disabled), ns per object freed, median
"""
import argparse
import gc
import json
import os
import re
import sys
import tempfile
import time
import tracemalloc
from itertools import repeat

A = 1000
B = 2000


class S:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


class S0:
    __slots__ = ("a", "b")


class P:
    def __init__(self, a):
        self.a = a


# ---- timed loops: x = <expr>; the previous object dies when x is rebound ----------
def empty(n):
    x = None
    for _ in repeat(None, n):
        pass


def t_int(n, a=A, b=1):
    x = None
    for _ in repeat(None, n):
        x = a + b


def t_float(n, f=1.5, g=1.0):
    x = None
    for _ in repeat(None, n):
        x = f + g


def t_str(n, s="ab", t="cd"):
    x = None
    for _ in repeat(None, n):
        x = s + t


def t_tuple2(n, a=A, b=B):
    x = None
    for _ in repeat(None, n):
        x = (a, b)


def t_list1(n, a=A):
    x = None
    for _ in repeat(None, n):
        x = [a]


def t_dict0(n):
    x = None
    for _ in repeat(None, n):
        x = {}


def t_slots2(n, a=A, b=B, S=S):
    x = None
    for _ in repeat(None, n):
        x = S(a, b)


def t_slots2_empty(n, S=S0):
    x = None
    for _ in repeat(None, n):
        x = S()


def t_inst1(n, a=A, P=P):
    x = None
    for _ in repeat(None, n):
        x = P(a)


# ---- the same objects, kept alive (bytes per object) ------------------------------
def f_int(keep, n, a=A, b=1):
    for i in range(n):
        keep[i] = a + b


def f_float(keep, n, f=1.5, g=1.0):
    for i in range(n):
        keep[i] = f + g


def f_str(keep, n, s="ab", t="cd"):
    for i in range(n):
        keep[i] = s + t


def f_tuple2(keep, n, a=A, b=B):
    for i in range(n):
        keep[i] = (a, b)


def f_list1(keep, n, a=A):
    for i in range(n):
        keep[i] = [a]


def f_dict0(keep, n):
    for i in range(n):
        keep[i] = {}


def f_slots2(keep, n, a=A, b=B, S=S):
    for i in range(n):
        keep[i] = S(a, b)


def f_slots2_empty(keep, n, S=S0):
    for i in range(n):
        keep[i] = S()


def f_inst1(keep, n, a=A, P=P):
    for i in range(n):
        keep[i] = P(a)


WORKLOADS = {
    "int": (t_int, f_int, "x = a + b  (1000 + 1)"),
    "float": (t_float, f_float, "x = f + g"),
    "str": (t_str, f_str, "x = s + t  ('ab' + 'cd')"),
    "tuple2": (t_tuple2, f_tuple2, "x = (a, b)"),
    "list1": (t_list1, f_list1, "x = [a]"),
    "dict0": (t_dict0, f_dict0, "x = {}"),
    "slots2": (t_slots2, f_slots2, "x = S(a, b)  (__slots__ = ('a', 'b'), __init__ sets both)"),
    "slots2-empty": (t_slots2_empty, f_slots2_empty, "x = S()  (__slots__ = ('a', 'b'), no __init__)"),
    "inst1": (t_inst1, f_inst1, "x = P(a)  (__init__ sets self.a)"),
}


def median(xs):
    xs = sorted(xs)
    k = len(xs)
    return xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2


def timed(f, n):
    t0 = time.perf_counter_ns()
    f(n)
    return time.perf_counter_ns() - t0


_BLOCKS = re.compile(r"# bytes in allocated blocks\s*=\s*([\d,]+)")


def allocated_block_bytes():
    """pymalloc's "# bytes in allocated blocks" (sys._debugmallocstats writes to fd 2)."""
    with tempfile.TemporaryFile(mode="w+") as f:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        m = _BLOCKS.search(f.read())
    return int(m.group(1).replace(",", "")) if m else None


def bytes_per_object(fill, n):
    gc.collect()
    gc.disable()
    try:
        keep = [None] * n
        tracemalloc.start()
        t0 = tracemalloc.get_traced_memory()[0]
        fill(keep, n)
        t1 = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        traced = (t1 - t0) / n
        keep = None
        gc.collect()  # a full collection empties the free lists the first pass refilled
        keep = [None] * n
        allocated_block_bytes()  # warm up (imports, buffers) before the baseline
        b0 = allocated_block_bytes()
        fill(keep, n)
        b1 = allocated_block_bytes()
        blocks = (b1 - b0) / n if b0 is not None and b1 is not None else None
        size = sys.getsizeof(keep[0])
        keep = None
    finally:
        gc.enable()
    return traced, blocks, size


def cascade_once(outer, inner):
    gc.collect()
    gc.disable()
    try:
        root = [[[] for _ in range(inner)] for _ in range(outer)]
        t0 = time.perf_counter_ns()
        del root
        t1 = time.perf_counter_ns()
    finally:
        gc.enable()
    return t1 - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default=None, help="comma-separated workload names")
    args = ap.parse_args()
    n = max(1, round(1_000_000 * args.scale))
    only = args.only.split(",") if args.only else None

    out = {
        "python": sys.version.split()[0],
        "implementation": sys.implementation.name,
        "n": n,
        "runs": args.runs,
        "gcThreshold": gc.get_threshold(),
        "workloads": {},
    }
    # warm-up: the interpreter specializes the loops' instructions (3.11's adaptive interpreter)
    for f in [empty] + [w[0] for w in WORKLOADS.values()]:
        f(min(n, 100_000))
    base = []
    for name, (tf, ff, expr) in WORKLOADS.items():
        if only and name not in only:
            continue
        work, emp = [], []
        for _ in range(args.runs):
            emp.append(timed(empty, n))
            work.append(timed(tf, n))
        base += emp
        net = (median(work) - median(emp)) / n
        traced, blocks, size = bytes_per_object(ff, n)
        out["workloads"][name] = {
            "expr": expr, "nsPerOp": net, "grossNsPerOp": median(work) / n,
            "tracemalloc": traced, "blocks": blocks, "getsizeof": size,
        }
        print(f"  cpython {name}: {net:.1f} ns, {traced:.1f} B traced, {blocks} B in blocks", file=sys.stderr)
    out["emptyLoopNs"] = median(base) / n if base else None

    outer, inner = max(1, round(1000 * args.scale)), 999
    objects = 1 + outer + outer * inner
    times = [cascade_once(outer, inner) for _ in range(args.runs)]
    out["cascade"] = {"objects": objects, "nsPerObject": median(times) / objects}
    print(f"  cpython cascade: {out['cascade']['nsPerObject']:.1f} ns per object", file=sys.stderr)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
