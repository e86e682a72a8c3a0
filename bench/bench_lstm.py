#!/usr/bin/env python3
"""LSTM(128 -> 256) over 100 steps at batch 32: forward (no grad) and forward + backward,
SwiftNN side by side with PyTorch (CPU), both on 2 threads; prints ms and the ratio
PyTorch / SwiftNN (> 1: SwiftNN is faster). --cell gru or rnn (tanh) times those layers instead.

Each measurement is a block of runs after a pause (so the other library's idle threads, which
spin for a while after work, have gone to sleep); blocks alternate between the libraries for
--rounds rounds. The table's ratio is of the best block medians; "per round" gives the ratios
of each round's two blocks, timed seconds apart (on a machine whose speed drifts, a pair of
neighbouring blocks is the fairer comparison). GFLOP/s counts the forward's matrix products,
2 T B G H (I + H) FLOPs with G gates (LSTM 4, GRU 3, RNN 1), to compare with the machine's
FMA peak.

    OPENBLAS_NUM_THREADS=2 python3 bench/bench_lstm.py [--cell lstm --steps 100 --batch 32 --repeat 15 --rounds 5]
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402


def median_ms(fn, repeat, warmup=3, pause=0.3):
    time.sleep(pause)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--input", type=int, default=128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    swiftnn.set_num_threads(args.threads)
    I, H, T, B = args.input, args.hidden, args.steps, args.batch

    layer = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[args.cell]
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[args.cell]
    ref = getattr(torch.nn, layer)(I, H)
    mine = getattr(swiftnn.nn, layer)(I, H)
    mine.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((T, B, I)).astype(np.float32)
    g_np = rng.standard_normal((T, B, H)).astype(np.float32)
    xt, gt = torch.from_numpy(x_np), torch.from_numpy(g_np)
    xs, gs = swiftnn.from_numpy(x_np), swiftnn.from_numpy(g_np)

    with torch.no_grad():
        diff = np.abs(ref(xt)[0].numpy() - mine(xs)[0].numpy()).max()

    def torch_forward():
        with torch.no_grad():
            ref(xt)

    def swift_forward():
        with swiftnn.no_grad():
            mine(xs)

    def torch_train():
        ref.zero_grad()
        ref(xt)[0].backward(gt)

    def swift_train():
        mine.zero_grad()
        mine(xs)[0].backward(gs)

    print(f"{layer}({I} -> {H}), T={T}, B={B}, {args.threads} threads; torch {torch.__version__}, swiftnn {swiftnn.__version__}")
    print(f"max |output difference| = {diff:.2e}")
    print(f"{'':22s}{'PyTorch ms':>12s}{'SwiftNN ms':>12s}{'ratio':>8s}   per round (PyTorch / SwiftNN)")
    best = {}
    for name, ft, fs in [("forward (no grad)", torch_forward, swift_forward),
                         ("forward + backward", torch_train, swift_train)]:
        pairs = [(median_ms(ft, args.repeat), median_ms(fs, args.repeat)) for _ in range(args.rounds)]
        t, s = best[name] = min(p[0] for p in pairs), min(p[1] for p in pairs)
        paired = [a / b for a, b in pairs]
        rounds = " ".join(f"{r:.2f}" for r in paired)
        print(f"{name:22s}{t:12.2f}{s:12.2f}{t / s:8.2f}   {rounds} (median {statistics.median(paired):.2f})")
    flops = 2 * T * B * gates * H * (I + H)
    t, s = best["forward (no grad)"]
    print(f"forward products: {flops / 1e9:.2f} GFLOP; PyTorch {flops / t / 1e6:.0f} GFLOP/s, "
          f"SwiftNN {flops / s / 1e6:.0f} GFLOP/s on {args.threads} threads (best blocks)")


if __name__ == "__main__":
    main()
