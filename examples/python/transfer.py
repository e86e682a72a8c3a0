#!/usr/bin/env python3
"""Transfer learning, the lecture's three approaches, on real photographs that set-up installs
offline (Fashion-MNIST: 28 x 28 gray photos of Zalando products, Debian dataset-fashion-mnist;
why not a colour set: docs/transfer.md), with a few thousand images:

  1. a small CNN trained from scratch on the 28 x 28 images;
  2. frozen MobileNetV2 (torchvision's ImageNet weights) features, computed once and cached
     (cache_features), and a new linear head trained on them;
  3. fine-tuning: the last five blocks (features.14 ... features.18, --cut) train too, with a
     10x lower learning rate than the head (optimizer parameter groups), starting from
     approach 2's head; the frozen blocks' output is cached once and serves 2 and 3.

Images go to MobileNetV2 as torchvision's preset would take them: gray repeated to RGB,
resized to --size (128) with antialiased bilinear, ImageNet mean/std. Prints progress with an
ETA and, at the end, the accuracy table with each approach's wall time.

    python3 examples/python/transfer.py [--train 2000] [--test 1000] [--size 128] [--cut 14] [--json out.json]
    python3 examples/python/transfer.py --smoke      (a few images, one epoch each: seconds)

`make transfer` runs it with one thread, nice -n 19.
"""
import argparse
import copy
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import swiftnn  # noqa: E402
from swiftnn import nn, optim  # noqa: E402
from swiftnn.models import MobileNet_V2_Weights, mobilenet_v2  # noqa: E402
from swiftnn.models.feature_extraction import cache_features  # noqa: E402
from swiftnn.train import evaluate_classifier, fit_classifier  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def line(msg: str) -> None:
    sys.stdout.write("\r" + msg[:110].ljust(110))
    sys.stdout.flush()


def fit_progress(name: str) -> Callable[[Any], None]:
    def report(p: Any) -> None:
        line(f"  {name}: epoch {p.epoch}/{p.epochs} step {p.step}/{p.steps_per_epoch} loss {p.loss:.3f} "
             f"{p.samples_per_second:.0f} img/s  ETA {p.eta_seconds:.0f} s")
    return report


def cache_progress(name: str) -> Callable[[Any], None]:
    def report(p: Any) -> None:
        line(f"  {name}: batch {p.step}/{p.steps_per_epoch} {p.samples_per_second:.0f} img/s  ETA {p.eta_seconds:.0f} s")
    return report


def subset(train: bool, n: int) -> Tuple[swiftnn.Tensor, swiftnn.Tensor]:
    """The first n images of a split (Fashion-MNIST's files are in random order: about n/10
    per class)."""
    images, labels = swiftnn.data.load_mnist(FASHION, train=train)
    return swiftnn.tensor(images.numpy()[:n]), swiftnn.tensor(labels.numpy()[:n])


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def train(model: nn.Module, optimizer: Any, x: swiftnn.Tensor, y: swiftnn.Tensor, epochs: int, name: str,
          batch_size: int) -> None:
    loader = swiftnn.data.DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=0)
    fit_classifier(model, optimizer, loader, epochs=epochs, report_every=10, progress=fit_progress(name))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--train", type=int, default=2000, help="training images (the first N of the training split)")
    ap.add_argument("--test", type=int, default=1000, help="test images (the first N of the test split)")
    ap.add_argument("--size", type=int, default=128, help="MobileNetV2's input size (>= 32)")
    ap.add_argument("--cut", type=int, default=14, help="features[:cut] stays frozen; cut...18 are fine-tuned in 3")
    ap.add_argument("--epochs-scratch", type=int, default=15)
    ap.add_argument("--epochs-head", type=int, default=30)
    ap.add_argument("--epochs-finetune", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="engine threads (1: the machine is shared)")
    ap.add_argument("--json", help="write the results table here")
    ap.add_argument("--smoke", action="store_true", help="a few images and one epoch each (seconds)")
    ap.add_argument("--plot", help=argparse.SUPPRESS)   # accepted for `make test-python`'s smoke run
    a = ap.parse_args()
    if a.smoke:
        a.train, a.test, a.size, a.epochs_scratch, a.epochs_head, a.epochs_finetune = 48, 24, 64, 1, 1, 1
    CUT = a.cut
    if not 1 <= CUT <= 18:
        ap.error(f"--cut must be 1...18, got {CUT}")
    swiftnn.set_num_threads(a.threads)
    swiftnn.manual_seed(0)
    x_train, y_train = subset(True, a.train)
    x_test, y_test = subset(False, a.test)
    print(f"Fashion-MNIST: {a.train} training and {a.test} test images; MobileNetV2 input {a.size} x {a.size}")
    results: List[Dict[str, Any]] = []

    def record(name: str, trainable: int, seconds: float, total: float, model: nn.Module, x: swiftnn.Tensor) -> None:
        _, acc = evaluate_classifier(model, x, y_test, batch_size=100)
        line("")
        print(f"\r  {name}: test accuracy {100 * acc:.1f}% ({seconds:.1f} s)")
        results.append({"approach": name, "trainable_params": trainable, "seconds": round(seconds, 1),
                        "seconds_from_images": round(total, 1), "test_accuracy": round(acc, 4)})

    # 1. From scratch.
    print("1. small CNN from scratch")
    t = time.perf_counter()
    cnn = small_cnn()
    train(cnn, optim.Adam(cnn.parameters(), lr=1e-3), x_train, y_train, a.epochs_scratch, "scratch", a.batch_size)
    s = time.perf_counter() - t
    record("1. small CNN from scratch", sum(p.numel() for p in cnn.parameters()), s, s, cnn, x_test)

    # The frozen part runs once: its outputs for every image are cached (approaches 2 and 3).
    print(f"MobileNetV2 features[:{CUT}] (frozen), run once over all images and cached")
    weights = MobileNet_V2_Weights.IMAGENET1K_V1
    net = mobilenet_v2(weights=weights)
    net.requires_grad_(False)
    preset = weights.transforms(crop_size=a.size, resize_size=a.size)
    t = time.perf_counter()
    stem = net.features[:CUT]
    f_train = cache_features(stem, x_train, batch_size=50, transforms=preset, progress=cache_progress("train images"))
    f_test = cache_features(stem, x_test, batch_size=50, transforms=preset, progress=cache_progress("test images"))
    t_stem = time.perf_counter() - t
    line("")
    print(f"\r  cached {tuple(f_train.shape)} + {tuple(f_test.shape)} in {t_stem:.1f} s")

    # 2. Frozen features + a new head: the rest of the frozen network and the pooling are
    # cached as well (from the cache above), so the head trains on [N, 1280] vectors.
    print("2. frozen MobileNetV2 features (cached) + a new linear head")
    t = time.perf_counter()
    top = nn.Sequential(*net.features[CUT:], nn.AdaptiveAvgPool2d(1), nn.Flatten())
    v_train = cache_features(top, f_train, batch_size=100)
    v_test = cache_features(top, f_test, batch_size=100)
    head = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 10))
    train(head, optim.Adam(head.parameters(), lr=1e-3), v_train, y_train, a.epochs_head, "head", a.batch_size)
    s = time.perf_counter() - t
    record("2. frozen features (cached) + new head", sum(p.numel() for p in head.parameters()), s, t_stem + s, head, v_test)
    t_two = t_stem + s

    # 3. Fine-tuning the last two blocks with a lower learning rate, from approach 2's head.
    print(f"3. fine-tuning features.{CUT} ... features.18 (lr 1e-4) and the head (lr 1e-3)")
    t = time.perf_counter()
    blocks = nn.Sequential(*net.features[CUT:])
    blocks.requires_grad_(True)
    head3 = copy.deepcopy(head)
    tail = nn.Sequential(blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), head3)
    opt = optim.Adam([{"params": list(blocks.parameters()), "lr": 1e-4},
                      {"params": list(head3.parameters()), "lr": 1e-3}])
    train(tail, opt, f_train, y_train, a.epochs_finetune, "fine-tune", a.batch_size)
    s = time.perf_counter() - t
    record(f"3. fine-tuning features.{CUT}-18 + head", sum(p.numel() for p in tail.parameters()), s, t_two + s, tail, f_test)

    print()
    print(f"| approach | trainable parameters | wall time (s) | from the images (s) | test accuracy |")
    print(f"|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['approach']} | {r['trainable_params']:,} | {r['seconds']} | {r['seconds_from_images']} | "
              f"{100 * r['test_accuracy']:.1f}% |")
    print(f"(the cached pass over features[:{CUT}] took {t_stem:.1f} s and is counted in 2 and 3 "
          f"'from the images'; 3 starts from 2's head)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"train": a.train, "test": a.test, "size": a.size, "cache_seconds": round(t_stem, 1),
                       "results": results}, f, indent=1)
    if a.smoke:
        assert all(0 <= r["test_accuracy"] <= 1 for r in results) and len(results) == 3


if __name__ == "__main__":
    main()
