#!/usr/bin/env python3
"""conv2d speed, SwiftNN vs PyTorch side by side on the same machine and thread count.

    make lib && python3 bench/bench_conv.py [--threads 2] [--repeat 10]

Default problem: N=64, C=64, 32x32, 3x3 kernel, K=128, padding 1 (9.66 GFLOP forward); a depthwise
one: --shape 8,144,56,56,144,3 --groups 144 [--stride 2]. Prints
GFLOP/s of the forward and of the backward (input + weight + bias gradients, counted as twice
the forward's FLOPs) for both, and the speed ratio SwiftNN / PyTorch (> 1: SwiftNN faster).
PyTorch's time is its best path: the faster of contiguous and channels_last tensors (both are
timed, alternating with SwiftNN).
Needs torch (bench only). On a shared machine run it when idle: both sides are timed
alternately and the best run of each is kept.
"""
import argparse
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=10)
ap.add_argument("--shape", default="64,64,32,32,128,3", help="N,C,H,W,K,k")
ap.add_argument("--groups", type=int, default=1, help="C for a depthwise convolution (K = C)")
ap.add_argument("--stride", type=int, default=1)
args = ap.parse_args()
# Both OpenBLAS copies (ours and numpy's) read this when loaded: set it before any import.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import swiftnn  # noqa: E402
from swiftnn import conv as SF  # noqa: E402

torch.set_num_threads(args.threads)
swiftnn.set_num_threads(args.threads)

n, c, h, w, k, ks = (int(v) for v in args.shape.split(","))
pad = ks // 2
rng = np.random.default_rng(0)
x = rng.standard_normal((n, c, h, w), dtype=np.float32)
g = args.groups
st = args.stride
wt = rng.standard_normal((k, c // g, ks, ks), dtype=np.float32) * 0.05
b = rng.standard_normal(k, dtype=np.float32)
oh, ow = (h + 2 * pad - ks) // st + 1, (w + 2 * pad - ks) // st + 1
flops = 2.0 * n * k * oh * ow * (c // g) * ks * ks


def interleaved(fns, repeat):
    """Best time of each function, alternating them every round so that load from other
    processes on a shared machine hits both sides alike."""
    for fn in fns:  # warm-up (allocations, BLAS thread start)
        fn()
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            # A pause first: the previous contender's idle threads (PyTorch's OpenMP workers
            # spin after each parallel region) would otherwise share the two cores with this one.
            time.sleep(0.02)
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


tx, tw, tb = (torch.from_numpy(a.copy()) for a in (x, wt, b))
tx_cl = tx.contiguous(memory_format=torch.channels_last)
tw_cl = tw.contiguous(memory_format=torch.channels_last)
sx, sw, sb = (swiftnn.from_numpy(a) for a in (x, wt, b))
s_fwd, t_fwd_c, t_fwd_cl = interleaved([lambda: SF.conv2d(sx, sw, sb, st, pad, 1, g),
                                        lambda: TF.conv2d(tx, tw, tb, st, pad, 1, g),
                                        lambda: TF.conv2d(tx_cl, tw_cl, tb, st, pad, 1, g)], args.repeat)
t_fwd = min(t_fwd_c, t_fwd_cl)

for t in (tx, tw, tb, tx_cl, tw_cl):
    t.requires_grad_(True)
ty = TF.conv2d(tx, tw, tb, st, pad, 1, g)
ty_cl = TF.conv2d(tx_cl, tw_cl, tb, st, pad, 1, g)
tg = torch.from_numpy(rng.standard_normal(tuple(ty.shape), dtype=np.float32))
for t in (sx, sw, sb):
    t.requires_grad_(True)
sy = SF.conv2d(sx, sw, sb, st, pad, 1, g)
sg = swiftnn.from_numpy(tg.numpy())


def swift_backward():
    sx.grad = None
    sw.grad = None
    sb.grad = None
    sy.backward(sg, retain_graph=True)


tg_cl = tg.contiguous(memory_format=torch.channels_last)
s_bwd, t_bwd_c, t_bwd_cl = interleaved([swift_backward,
                                        lambda: torch.autograd.grad(ty, [tx, tw, tb], tg, retain_graph=True),
                                        lambda: torch.autograd.grad(ty_cl, [tx_cl, tw_cl, tb], tg_cl, retain_graph=True)],
                                       args.repeat)
t_bwd = min(t_bwd_c, t_bwd_cl)

# Same numbers?
err_y = np.abs(sy.detach().numpy() - ty.detach().numpy()).max()
swift_backward()
gx, gw = torch.autograd.grad(ty, [tx, tw], tg, retain_graph=True)
err_gx = np.abs(sx.grad.numpy() - gx.numpy()).max()
err_gw = np.abs(sw.grad.numpy() - gw.numpy()).max() / np.abs(gw.numpy()).max()

print(f"conv2d N={n} C={c} {h}x{w} k={ks}x{ks} K={k} pad={pad} stride={st} groups={g}, {args.threads} threads "
      f"(torch {torch.__version__}, {flops / 1e9:.2f} GFLOP forward)")
print(f"{'':10s}{'SwiftNN':>22s}{'PyTorch':>22s}  SwiftNN/PyTorch speed")
for name, s, t, f in (("forward", s_fwd, t_fwd, flops), ("backward", s_bwd, t_bwd, 2 * flops)):
    print(f"{name:10s}{s * 1e3:9.1f} ms {f / s / 1e9:6.1f} GF/s{t * 1e3:9.1f} ms {f / t / 1e9:6.1f} GF/s{t / s:10.2f}")
print(f"(PyTorch best of contiguous {t_fwd_c * 1e3:.1f} / {t_bwd_c * 1e3:.1f} ms and channels_last "
      f"{t_fwd_cl * 1e3:.1f} / {t_bwd_cl * 1e3:.1f} ms, forward / backward)")
print(f"max |diff|: out {err_y:.2e}, grad input {err_gx:.2e}, grad weight (relative) {err_gw:.2e}")
