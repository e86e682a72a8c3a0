"""Shared benchmark helpers: pin both libraries to the same thread count, time a callable
with warm-up and repeats, and print a side-by-side table with ratios."""
import os
import statistics
import sys
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
os.environ.setdefault("SWIFTNN_LIB", os.path.join(HERE, "..", "build", "lib", "libswiftnn.so"))


def median_call(fn, calls):
    """Median seconds of `calls` calls of fn (no warm-up: the caller has made one)."""
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def timeit(fn, warmup=3, repeat=7, inner=1):
    """Median seconds per call of fn over `repeat` runs of `inner` calls each."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        runs.append((time.perf_counter() - t0) / inner)
    return statistics.median(runs)


def alternating(fns, rounds=3, pause=0.3, **kw):
    """Seconds per call of each of `fns`, timed in turn for `rounds` rounds (after a pause, so
    the other library's idle threads, which spin for a while after work, have gone to sleep):
    the best round's median of each. Alternating exposes every library to the same drift in
    the machine's speed, where timing one after the other lets the drift decide the ratio."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            time.sleep(pause)
            best[i] = min(best[i], timeit(fn, **kw))
    return best


def rounds_against_torch_best(fns, rounds, calls, unit="calls"):
    """fns: {"swiftnn", "torch", "torch channels_last": callable}. Each round times every one in
    turn (median of `calls` calls after a pause); prints the median over rounds of each one's
    time and the median per-round ratio against PyTorch's faster layout (> 1: swiftnn faster)."""
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(0.2)
            times[name].append(median_call(fn, calls))
    best = [min(a, b) for a, b in zip(times["torch"], times["torch channels_last"])]
    for name, v in times.items():
        print(f"  {name:22s} {statistics.median(v) * 1e3:9.1f} ms")
    ratio = statistics.median(t / s for s, t in zip(times["swiftnn"], best))
    print(f"  ratio vs PyTorch best {ratio:5.2f}x  (> 1: swiftnn faster; rounds {rounds} x {calls} {unit})")


def report(title, rows, other="PyTorch"):
    """rows: (name, swiftnn_value, other_value, unit, higher_is_better)."""
    print(f"\n{title} (threads={THREADS})")
    print(f"{'benchmark':44s} {'SwiftNN':>14s} {other:>14s} {'ratio':>8s}")
    for name, ours, theirs, unit, higher in rows:
        ratio = ours / theirs if higher else theirs / ours
        print(f"{name:44s} {ours:>10.2f} {unit:3s} {theirs:>10.2f} {unit:3s} {ratio:>7.2f}x")
    print("ratio > 1 means SwiftNN is faster")
