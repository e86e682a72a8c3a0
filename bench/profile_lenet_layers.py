#!/usr/bin/env python3
"""Per-layer time of LeNet-5 in SwiftNN and PyTorch (same threads): forward at batch 256 (where
the inference gap comes from), then forward + backward at batch 64 with a random upstream
gradient (the training step; conv1's input needs no gradient, as in training).
python3 bench/profile_lenet_layers.py"""
import numpy as np
import torch

from common import THREADS, timeit

import swiftnn
from swiftnn import nn as snn

torch.set_num_threads(THREADS)


def layers(lib):
    return [lib.Conv2d(1, 6, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2), lib.Conv2d(6, 16, 5), lib.ReLU(), lib.MaxPool2d(2),
            lib.Flatten(), lib.Linear(400, 120), lib.ReLU(), lib.Linear(120, 84), lib.ReLU(), lib.Linear(84, 10)]


x = np.random.default_rng(0).standard_normal((256, 1, 28, 28)).astype(np.float32)
tx, sx = torch.from_numpy(x), swiftnn.from_numpy(x)
print(f"{'layer':28s} {'SwiftNN us':>11s} {'PyTorch us':>11s}")
total_s = total_t = 0.0
with torch.no_grad(), swiftnn.no_grad():
    for sl, tl in zip(layers(snn), layers(torch.nn)):
        ts = timeit(lambda: sl(sx), inner=20) * 1e6
        tt = timeit(lambda: tl(tx), inner=20) * 1e6
        total_s += ts
        total_t += tt
        print(f"{type(tl).__name__ + ' ' + 'x'.join(map(str, tx.shape[1:])):28s} {ts:11.1f} {tt:11.1f}")
        sx, tx = sl(sx), tl(tx)
print(f"{'total':28s} {total_s:11.1f} {total_t:11.1f}")

print(f"\n{'forward+backward, batch 64':28s} {'SwiftNN us':>11s} {'PyTorch us':>11s}")
x = np.random.default_rng(1).standard_normal((64, 1, 28, 28)).astype(np.float32)
total_s = total_t = 0.0
for i, (sl, tl) in enumerate(zip(layers(snn), layers(torch.nn))):
    tx = torch.from_numpy(x).requires_grad_(i > 0)
    sx = swiftnn.from_numpy(x).requires_grad_(i > 0)
    with torch.no_grad():
        y = tl(tx).numpy()
    g = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    tg, sg = torch.from_numpy(g), swiftnn.from_numpy(g)
    ts = timeit(lambda: sl(sx).backward(sg), inner=20) * 1e6
    tt = timeit(lambda: tl(tx).backward(tg), inner=20) * 1e6
    total_s += ts
    total_t += tt
    print(f"{type(tl).__name__ + ' ' + 'x'.join(map(str, x.shape[1:])):28s} {ts:11.1f} {tt:11.1f}")
    x = y
print(f"{'total':28s} {total_s:11.1f} {total_t:11.1f}")
