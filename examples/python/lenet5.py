#!/usr/bin/env python3
"""LeNet-5 on real MNIST with the Python binding, written as a PyTorch user would (explicit
loop: zero_grad, forward, cross_entropy, backward, step), with a progress line, test error,
a checkpoint saved and reloaded, and the loss curve drawn to a PNG.

    python3 examples/python/lenet5.py [--epochs 8] [--data data/mnist] [--plot build/lenet5_loss.png] [--smoke]
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import swiftnn  # noqa: E402
from swiftnn import nn  # noqa: E402
from swiftnn.nn import functional as F  # noqa: E402


def lenet5() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def plot(losses: list[float], steps_per_epoch: int, path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot: matplotlib is not installed (pip install matplotlib); skipping", path)
        return
    k = max(1, steps_per_epoch // 20)
    smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = np.arange(len(losses)) / steps_per_epoch
    ax.plot(epochs, losses, color="#bbbbbb", linewidth=0.5, label="per step")
    ax.plot(epochs[k - 1:], smooth, color="#1f77b4", linewidth=1.5, label=f"mean of {k} steps")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy")
    ax.set_title("LeNet-5 on MNIST (SwiftNN)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=120)
    print("plot:", path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--plot", default="build/lenet5_loss.png")
    ap.add_argument("--out", default="build/lenet5_python.safetensors")
    ap.add_argument("--smoke", action="store_true", help="1 epoch on 2,000 images")
    args = ap.parse_args()
    swiftnn.manual_seed(1)
    mean, std = 0.1307, 0.3081
    train_x, train_y = swiftnn.data.load_mnist(args.data, train=True, normalize=(mean, std))
    test_x, test_y = swiftnn.data.load_mnist(args.data, train=False, normalize=(mean, std))
    if args.smoke:
        args.epochs = 1
        train_x, train_y, test_x, test_y = train_x[:2000], train_y[:2000], test_x[:1000], test_y[:1000]
    print(f"MNIST from {args.data}: {len(train_y)} training and {len(test_y)} test images")

    model = lenet5()
    print(model.summary((1, 1, 28, 28)))
    opt = swiftnn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = swiftnn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loader = swiftnn.data.DataLoader(train_x, train_y, batch_size=args.batch_size, shuffle=True, seed=1)
    losses: list[float] = []
    start = time.perf_counter()
    total = args.epochs * len(loader)
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0, seen = time.perf_counter(), 0
        for step, (x, y) in enumerate(loader, 1):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            seen += len(y)
            if step % 50 == 0 or step == len(loader):
                done = (epoch - 1) * len(loader) + step
                eta = (time.perf_counter() - start) / done * (total - done)
                print(f"\repoch {epoch}/{args.epochs}  step {step:4d}/{len(loader)}  "
                      f"loss {np.mean(losses[-50:]):.4f}  {seen / (time.perf_counter() - t0):6.0f} img/s  "
                      f"lr {opt.param_groups[0]['lr']:.4f}  ETA {eta:4.0f} s", end="", flush=True)
        print()
        sched.step()

    model.eval()
    with swiftnn.no_grad():
        correct = sum(int((model(test_x[i:i + 500]).argmax(dim=1).numpy() == test_y[i:i + 500].numpy()).sum())
                      for i in range(0, len(test_y), 500))
    error = 100.0 * (1 - correct / len(test_y))
    print(f"test error {error:.2f}% ({len(test_y) - correct} of {len(test_y)} wrong), "
          f"{time.perf_counter() - start:.0f} s of training")

    nn.save_model(model, args.out)
    again = nn.load_model(args.out).eval()
    probe = test_x[:500]
    same = np.array_equal(model(probe).detach().numpy(), again(probe).detach().numpy())
    print(f"checkpoint {args.out} reloaded: logits {'identical' if same else 'DIFFERENT'}")
    plot(losses, len(loader), args.plot)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
