#!/usr/bin/env python3
"""PyTorch models whose state dicts SwiftNN must load and reproduce (Tests/golden/modules/):
LeNet-5 and a small BatchNorm/Dropout network (after a few training steps, so running
statistics are non-trivial), each saved with safetensors.torch.save_file(model.state_dict())
exactly as a PyTorch user would, plus an input batch and the eval-mode logits.

    python3 tools/gen_golden_modules.py
"""
import os

import torch
from safetensors.torch import save_file
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden", "modules")


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def bn_net():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), nn.BatchNorm2d(8), nn.LeakyReLU(0.1),
        nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
        nn.Dropout(0.3), nn.Linear(32, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 5))


def lecture_net():
    """The lecture's parameter-count question: 160,650 parameters."""
    return nn.Sequential(nn.Conv2d(3, 64, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(64, 128, 3, padding=1),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 8 * 8, 10))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    m = lenet5().eval()
    x = torch.randn(4, 1, 28, 28)
    save_file(m.state_dict(), f"{OUT}/lenet5_state.safetensors")
    with torch.no_grad():
        save_file({"input": x, "logits": m(x)}, f"{OUT}/lenet5_io.safetensors")

    m = bn_net()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    for _ in range(3):  # make running statistics non-trivial
        opt.zero_grad()
        m(torch.randn(6, 3, 9, 9)).square().mean().backward()
        opt.step()
    m.eval()
    x = torch.randn(3, 3, 9, 9)
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, f"{OUT}/bn_net_state.safetensors")
    with torch.no_grad():
        save_file({"input": x, "logits": m(x)}, f"{OUT}/bn_net_io.safetensors")
    n = sum(p.numel() for p in lecture_net().parameters())
    assert n == 160650, n
    print(f"wrote {OUT}; lecture network has {n} parameters")


if __name__ == "__main__":
    main()
