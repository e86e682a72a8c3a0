#!/usr/bin/env python3
"""Checks, with PyTorch itself, that checkpoints SwiftNN writes load into torch models via
model.load_state_dict(safetensors.torch.load_file(path)) (strict) and give SwiftNN's outputs,
for LeNet-5 (trained by `./build/examples/lenet5`, if present) and a BatchNorm/Dropout network.
Needs torch (tools only; the test suite checks the same files with safetensors.numpy).

    python3 tools/check_torch_interop.py [build/lenet5.safetensors]
"""
import os
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
os.environ.setdefault("SWIFTNN_LIB", os.path.join(HERE, "..", "build", "lib", "libswiftnn.so"))
import swiftnn  # noqa: E402
from swiftnn import nn as snn  # noqa: E402

sys.path.insert(0, HERE)
from gen_golden_modules import bn_net, lenet5  # noqa: E402


def check(name, torch_model, swift_model, x):
    path = os.path.join(tempfile.mkdtemp(), f"{name}.safetensors")
    snn.save_model(swift_model, path)
    torch_model.load_state_dict(load_file(path), strict=True)
    torch_model.eval()
    swift_model.eval()
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    ours = swift_model(swiftnn.from_numpy(x)).numpy()
    diff = float(np.abs(theirs - ours).max())
    print(f"{name}: torch.load_state_dict(strict=True) accepted {len(load_file(path))} tensors; max |diff| = {diff:.2e}")
    assert diff < 1e-4, diff


def main():
    rng = np.random.default_rng(0)
    swiftnn.manual_seed(0)
    sm = snn.Sequential(
        snn.Conv2d(1, 6, 5, padding=2), snn.ReLU(), snn.MaxPool2d(2), snn.Conv2d(6, 16, 5), snn.ReLU(), snn.MaxPool2d(2),
        snn.Flatten(), snn.Linear(400, 120), snn.ReLU(), snn.Linear(120, 84), snn.ReLU(), snn.Linear(84, 10))
    trained = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "lenet5.safetensors")
    if os.path.exists(trained):
        sm = snn.load_model(trained)
        print(f"using the trained checkpoint {trained}")
    check("lenet5", lenet5(), sm, rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
    bn = snn.Sequential(
        snn.Conv2d(3, 8, 3, padding=1, bias=False), snn.BatchNorm2d(8), snn.ReLU(),
        snn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), snn.BatchNorm2d(8), snn.LeakyReLU(0.1),
        snn.AvgPool2d(2, ceil_mode=True), snn.AdaptiveAvgPool2d((2, 2)), snn.Flatten(),
        snn.Dropout(0.3), snn.Linear(32, 16), snn.BatchNorm1d(16), snn.Tanh(), snn.Linear(16, 5))
    bn.train()
    for _ in range(3):
        bn(swiftnn.randn(6, 3, 9, 9))  # move the running statistics
    check("bn_net", bn_net(), bn, rng.standard_normal((3, 3, 9, 9)).astype(np.float32))


if __name__ == "__main__":
    main()
