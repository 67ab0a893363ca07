"""CPython's side of `npm run bench -- tracemalloc`: the same loop with and without tracemalloc.

    python3 bench/peers/tracing.py [--runs N] [--steps N]

(Not named tracemalloc.py: the other peer scripts import the stdlib tracemalloc, which a file of
that name beside them would shadow.)

The loop, per step: a slotted instance and a tuple holding it (the previous pair is freed):
    for _ in repeat(None, n): x = S(); t = (x, x)
run at a call depth of 30 frames, timed untraced, then under tracemalloc.start(1) and
tracemalloc.start(25) (each a fresh start; traces cleared between samples). Also the bytes of
tracemalloc's own memory per traced live object (get_tracemalloc_memory delta over n floats
kept alive). Prints one JSON object: {"untraced": ns, "traced1": ns, "traced25": ns,
"bytesPerTrace": b, "version": ...}; ns per step, medians of runs.
"""
import argparse
import gc
import json
import sys
import time
import tracemalloc
from itertools import repeat


class S:
    __slots__ = ("a", "b")


def loop(n):
    x = t = None
    t0 = time.perf_counter_ns()
    for _ in repeat(None, n):
        x = S()
        t = (x, x)
    return (time.perf_counter_ns() - t0) / n


def at_depth(d, f, *args):
    if d <= 1:
        return f(*args)
    return at_depth(d - 1, f, *args)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--steps", type=int, default=1_000_000)
    a = p.parse_args()
    gc.disable()
    out = {"version": sys.version.split()[0]}
    at_depth(30, loop, 10_000)  # warm-up
    out["untraced"] = median([at_depth(30, loop, a.steps) for _ in range(a.runs)])
    for nframe in (1, 25):
        xs = []
        for _ in range(a.runs):
            tracemalloc.start(nframe)
            xs.append(at_depth(30, loop, a.steps))
            tracemalloc.stop()
        out[f"traced{nframe}"] = median(xs)
    tracemalloc.start(1)
    before = tracemalloc.get_tracemalloc_memory()
    keep = [float(i) + 0.5 for i in range(a.steps)]
    out["bytesPerTrace"] = (tracemalloc.get_tracemalloc_memory() - before) / a.steps
    tracemalloc.stop()
    del keep
    print(json.dumps(out))


main()
