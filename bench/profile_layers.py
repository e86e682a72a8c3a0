#!/usr/bin/env python3
"""Where a network's forward spends its time, layer by layer, swiftnn beside PyTorch: every
leaf layer's forward is timed (engine Sequentials run child by child for this, so each layer is
one call), over several forwards; the median per layer, then totals by kind of layer.

    make lib && python3 bench/profile_layers.py [--model mobilenet_v2|resnet18|dqn] [--batch 1] [--threads 2]

This profiles the eager modules. The compiled inference plan (swiftnn.compile, swiftnn.onnx.load)
reports its own fused steps' times: print(swiftnn.compile(model).plan_report(x, runs=50)).

"glue" is the rest of the forward: residual adds and Python between layers. A layer's time
includes one C call (about a microsecond). Inside the engine, perf gives the kernels:
perf record -e cpu-clock -g python3 bench/profile_layers.py ... with
SWIFTNN_LIB=.build-lib/release/libswiftnn.so (unstripped).
"""
import argparse
import collections
import os
import statistics
import time

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="mobilenet_v2", choices=["mobilenet_v2", "resnet18", "dqn"])
ap.add_argument("--batch", type=int, default=1)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=10)
ap.add_argument("--top", type=int, default=15, help="slowest layers listed")
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)


def kind(m):
    """A layer's kind for the totals: convolutions by kernel, stride and depthwise-ness."""
    name = type(m).__name__
    if name == "Conv2d":
        k, s = tuple(m.kernel_size), tuple(m.stride)
        dw = m.groups > 1 and m.groups == m.in_channels
        return f"Conv2d {'depthwise ' if dw else ''}{k[0]}x{k[1]}/{s[0]}"
    return name


def instrument(model, is_leaf, times):
    """Wraps the forward of every leaf layer to add its wall time to times[name]."""
    for name, m in model.named_modules():
        if not is_leaf(m):
            continue
        inner = m.forward

        def timed(*a, _inner=inner, _name=name, **kw):
            t0 = time.perf_counter()
            y = _inner(*a, **kw)
            times[_name].append(time.perf_counter() - t0)
            return y
        object.__setattr__(m, "forward", timed)


def profile(model, run, is_leaf):
    times = collections.defaultdict(list)
    instrument(model, is_leaf, times)
    totals = []
    run()
    times.clear()
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run()
        totals.append(time.perf_counter() - t0)
    per = {n: statistics.median(v) for n, v in times.items()}
    return per, statistics.median(totals)


def main():
    build = {"mobilenet_v2": cnn_models.mobilenet_v2, "resnet18": cnn_models.resnet18, "dqn": cnn_models.dqn}[args.model]
    shape = (args.batch, 4, 84, 84) if args.model == "dqn" else (args.batch, 3, 224, 224)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm = build(torch.nn).eval()
    sm = build(swiftnn.nn)
    sm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    sm.eval()
    for m in sm.modules():   # one engine call per layer, not one per Sequential
        if isinstance(m, swiftnn.nn.Sequential):
            object.__setattr__(m, "_engine", None)
    tx, sx = torch.from_numpy(x), swiftnn.from_numpy(x)

    def run_torch():
        with torch.no_grad():
            tm(tx)

    def run_snn():
        with swiftnn.no_grad():
            sm(sx)

    s_per, s_total = profile(sm, run_snn, lambda m: not list(m.children()))
    t_per, t_total = profile(tm, run_torch, lambda m: not list(m.children()))
    mods = dict(sm.named_modules())
    print(f"{args.model} forward, batch {args.batch}, threads={THREADS}, median of {args.repeat} "
          f"(swiftnn layer by layer, so the total is above an engine Sequential's)")
    print(f"\nslowest {args.top} layers (ms):")
    print(f"{'layer':28s} {'kind':26s} {'swiftnn':>9s} {'torch':>9s}")
    for n in sorted(s_per, key=s_per.get, reverse=True)[:args.top]:
        print(f"{n:28s} {kind(mods[n]):26s} {s_per[n] * 1e3:9.3f} {t_per.get(n, float('nan')) * 1e3:9.3f}")
    by_s, by_t, count = collections.Counter(), collections.Counter(), collections.Counter()
    for n, v in s_per.items():
        k = kind(mods[n])
        by_s[k] += v
        by_t[k] += t_per.get(n, 0.0)
        count[k] += 1
    by_s["glue (adds, Python)"] = s_total - sum(s_per.values())
    by_t["glue (adds, Python)"] = t_total - sum(t_per.values())
    print(f"\nby kind (ms, share of swiftnn's total):")
    print(f"{'kind':30s} {'n':>3s} {'swiftnn':>9s} {'share':>6s} {'torch':>9s}")
    for k in sorted(by_s, key=by_s.get, reverse=True):
        print(f"{k:30s} {count.get(k, 0):3d} {by_s[k] * 1e3:9.3f} {100 * by_s[k] / s_total:5.1f}% {by_t[k] * 1e3:9.3f}")
    print(f"{'total':30s} {'':3s} {s_total * 1e3:9.3f} {'':6s} {t_total * 1e3:9.3f}")


if __name__ == "__main__":
    main()
