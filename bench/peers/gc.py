"""CPython's side of `npm run bench -- gc`: the collector's workloads, in this interpreter.

    python3 bench/peers/gc.py collect --graph NAME [--scale X]
    python3 bench/peers/gc.py pauses [--steps N]

Prints one JSON object on stdout (bench/gc.ts reads it).

collect: ONE sample (bench/gc.ts starts a fresh interpreter for each, as peers.md did).
  gc.collect() then gc.freeze() (the interpreter's own ~12.5k tracked objects go to the
  permanent generation: the timed collection examines the graph alone, as on pyheap's
  fresh heap; bareCollectNs is what a full collection of the bare interpreter cost
  just before), gc.disable(), the graph is built, then gc.collect() is timed with
  perf_counter_ns. Graphs (n = 1M x scale objects):

  slots-pairs   garbage: n/2 cycles a.a = b; b.a = a of S() (__slots__ = ("a", "b"))
  list-pairs    garbage: n/2 cycles a = []; b = [a]; a.append(b)
  inst-pairs    garbage: n/2 cycles of plain instances: a.x = b; b.x = a
  slots-ring    garbage: one ring of n S() instances, each .a the next
  live-lists    live: root = [[[] for _ in range(999)] for _ in range(n / 1000)]

  -> {"graph", "objects", "ns", "returned", "bareCollectNs", "python"}

pauses: the automatic collections of an allocation-heavy loop, default thresholds, gc
  enabled (after gc.collect() and gc.freeze(), as above). Per step: t = S(a, b) (the
  previous t is freed); every 8th step a survivor keep.append(S(a, b)); every 16th a
  garbage 2-cycle x = S(None, None); x.a = S(x, None) (the previous one dropped).
  Each collection is timed with gc.callbacks ("start" / "stop", perf_counter_ns).

  -> {"steps", "pauses": [[generation, ns], ...], "loopNs", "threshold", "python"}
"""
import argparse
import gc
import json
import sys
import time
from itertools import repeat

A = 1000
B = 2000


class S:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


class S0:
    """The graphs' slotted class: no __init__, slots unset until assigned."""
    __slots__ = ("a", "b")


class P:
    pass


def slots_pairs(n):
    for _ in repeat(None, n // 2):
        a = S0()
        b = S0()
        a.a = b
        b.a = a
    return None


def list_pairs(n):
    for _ in repeat(None, n // 2):
        a = []
        b = [a]
        a.append(b)
    return None


def inst_pairs(n):
    for _ in repeat(None, n // 2):
        a = P()
        b = P()
        a.x = b
        b.x = a
    return None


def slots_ring(n):
    first = cur = S0()
    for _ in repeat(None, n - 1):
        o = S0()
        cur.a = o
        cur = o
    cur.a = first
    return None


def live_lists(n):
    outer = max(1, round(n / 1000))
    return [[[] for _ in range(999)] for _ in range(outer)]


GRAPHS = {
    "slots-pairs": (slots_pairs, lambda n: n // 2 * 2),
    "list-pairs": (list_pairs, lambda n: n // 2 * 2),
    "inst-pairs": (inst_pairs, lambda n: n // 2 * 2),
    "slots-ring": (slots_ring, lambda n: n),
    "live-lists": (live_lists, lambda n: 1 + max(1, round(n / 1000)) * 1000),
}


def quiet_interpreter():
    """A full collection, its cost, then the survivors frozen out of later collections."""
    gc.collect()
    t0 = time.perf_counter_ns()
    gc.collect()
    bare = time.perf_counter_ns() - t0
    gc.freeze()
    return bare


def collect(args):
    n = max(2, round(1_000_000 * args.scale))
    build, count = GRAPHS[args.graph]
    bare = quiet_interpreter()
    gc.disable()
    keep = build(n)
    t0 = time.perf_counter_ns()
    returned = gc.collect()
    ns = time.perf_counter_ns() - t0
    del keep
    return {"graph": args.graph, "objects": count(n), "ns": ns, "returned": returned, "bareCollectNs": bare}


def loop(steps, S=S, a=A, b=B):
    keep = []
    t = x = None
    for i in range(steps):
        t = S(a, b)
        if not i & 7:
            keep.append(S(a, b))
        if not i & 15:
            x = S(None, None)
            x.a = S(x, None)
    return len(keep)


def pauses(args):
    quiet_interpreter()
    loop(10_000)  # warm-up: the adaptive interpreter specializes the loop
    gc.collect()
    out = []
    t0 = [0, 0]

    def cb(phase, info):
        if phase == "start":
            t0[0] = time.perf_counter_ns()
        else:
            out.append([info["generation"], time.perf_counter_ns() - t0[0]])

    gc.callbacks.append(cb)
    try:
        start = time.perf_counter_ns()
        loop(args.steps)
        total = time.perf_counter_ns() - start
    finally:
        gc.callbacks.remove(cb)
    return {"steps": args.steps, "pauses": out, "loopNs": total, "threshold": gc.get_threshold()}


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--graph", required=True, choices=sorted(GRAPHS))
    c.add_argument("--scale", type=float, default=1.0)
    p = sub.add_parser("pauses")
    p.add_argument("--steps", type=int, default=2_000_000)
    args = ap.parse_args()
    out = collect(args) if args.cmd == "collect" else pauses(args)
    out["python"] = sys.version.split()[0]
    out["implementation"] = sys.implementation.name
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
