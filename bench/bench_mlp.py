#!/usr/bin/env python3
"""A small MLP training step (784-256-10, batch 64: forward, cross-entropy, backward, SGD)
in SwiftNN and PyTorch, same shapes, same threads, in one process. Synthetic inputs.

    python3 bench/bench_mlp.py
"""
import numpy as np
import torch

from common import THREADS, report, timeit

import swiftnn
from swiftnn import nn as snn

torch.set_num_threads(THREADS)


def make(lib_nn, batch):
    return lib_nn.Sequential(lib_nn.Linear(784, 256), lib_nn.ReLU(), lib_nn.Linear(256, 10))


def main():
    rows = []
    for batch in (64, 256):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, 784)).astype(np.float32)
        y = rng.integers(0, 10, batch).astype(np.int64)

        tm = make(torch.nn, batch)
        topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tm(tx), ty)
            loss.backward()
            topt.step()

        sm = make(snn, batch)
        sopt = swiftnn.optim.SGD(sm.parameters(), lr=0.01, momentum=0.9)
        sx, sy = swiftnn.from_numpy(x), swiftnn.from_numpy(y)

        def swift_step():
            sopt.zero_grad()
            loss = snn.functional.cross_entropy(sm(sx), sy)
            loss.backward()
            sopt.step()

        inner = 200 if batch == 64 else 50
        ts = timeit(torch_step, inner=inner)
        ss = timeit(swift_step, inner=inner)
        rows.append((f"MLP 784-256-10 train step, batch {batch}", batch / ss, batch / ts, "img/s", True))
        rows.append((f"  (time per step, batch {batch})", ss * 1e6, ts * 1e6, "us", False))
    report(f"MLP training step: SwiftNN {swiftnn.__version__} vs PyTorch {torch.__version__}", rows)


if __name__ == "__main__":
    main()
