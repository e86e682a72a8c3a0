#!/usr/bin/env python3
"""LeNet-5 side by side: training images/s at batch 64 with SGD (SwiftNN's engine loop and a
Python loop, vs PyTorch), and inference images/s at batch 256 (vs PyTorch and, when the ONNX
exporter is present, onnxruntime on SwiftNN's own exported model). Same threads for all.
Synthetic inputs of MNIST's shape.

    python3 bench/bench_lenet.py
"""
import os
import tempfile

import numpy as np
import torch

from common import THREADS, alternating, report, timeit

import swiftnn
from swiftnn import nn as snn

torch.set_num_threads(THREADS)


def lenet(lib):
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(400, 120), lib.ReLU(), lib.Linear(120, 84), lib.ReLU(), lib.Linear(84, 10))


def main():
    rng = np.random.default_rng(0)
    rows = []
    # ---- training, batch 64 ----
    steps = 50
    xb = rng.standard_normal((steps * 64, 1, 28, 28)).astype(np.float32)
    yb = rng.integers(0, 10, steps * 64).astype(np.int64)

    tm = lenet(torch.nn)
    topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
    tx, ty = torch.from_numpy(xb), torch.from_numpy(yb)

    def torch_epoch():
        for i in range(steps):
            topt.zero_grad()
            torch.nn.functional.cross_entropy(tm(tx[i * 64:(i + 1) * 64]), ty[i * 64:(i + 1) * 64]).backward()
            topt.step()

    sm = lenet(snn)
    sopt = swiftnn.optim.SGD(sm.parameters(), lr=0.01, momentum=0.9)
    sx, sy = swiftnn.from_numpy(xb), swiftnn.from_numpy(yb)
    batches = [(sx[i * 64:(i + 1) * 64], sy[i * 64:(i + 1) * 64]) for i in range(steps)]

    def swift_python_epoch():
        for x, y in batches:
            sopt.zero_grad()
            snn.functional.cross_entropy(sm(x), y).backward()
            sopt.step()

    loader = swiftnn.data.DataLoader(sx, sy, batch_size=64)

    def swift_engine_epoch():
        swiftnn.train.fit_classifier(sm, sopt, loader, epochs=1)

    t_torch = timeit(torch_epoch, warmup=1, repeat=5)
    t_py = timeit(swift_python_epoch, warmup=1, repeat=5)
    t_eng = timeit(swift_engine_epoch, warmup=1, repeat=5)
    n = steps * 64
    rows.append(("LeNet-5 training, batch 64 (engine loop)", n / t_eng, n / t_torch, "img/s", True))
    rows.append(("LeNet-5 training, batch 64 (Python loop)", n / t_py, n / t_torch, "img/s", True))

    # ---- inference, batch 256 ----
    xi = rng.standard_normal((256, 1, 28, 28)).astype(np.float32)
    tm.eval()
    sm.eval()
    txi, sxi = torch.from_numpy(xi), swiftnn.from_numpy(xi)

    def torch_infer():
        with torch.no_grad():
            tm(txi)

    def swift_infer():
        with swiftnn.no_grad():
            sm(sxi)

    ti, si = alternating([torch_infer, swift_infer], inner=10)
    rows.append(("LeNet-5 inference, batch 256", 256 / si, 256 / ti, "img/s", True))
    report(f"LeNet-5: SwiftNN {swiftnn.__version__} vs PyTorch {torch.__version__}", rows)

    exporter = getattr(getattr(swiftnn, "onnx", None), "export", None)
    try:
        import onnxruntime as ort
    except ImportError:
        ort = None
    if exporter is None or ort is None:
        print("\n(onnxruntime comparison skipped: swiftnn.onnx.export or onnxruntime missing)")
        return
    path = os.path.join(tempfile.mkdtemp(), "lenet5.onnx")
    exporter(sm, sxi, path)
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    # timed again, alternating with onnxruntime, rather than reusing the PyTorch section's time
    so_, to = alternating([swift_infer, lambda: sess.run(None, {name: xi})], inner=10)
    report(f"LeNet-5 inference vs onnxruntime {ort.__version__} (same exported model)",
           [("LeNet-5 inference, batch 256", 256 / so_, 256 / to, "img/s", True)], other="onnxruntime")


if __name__ == "__main__":
    main()
