#!/usr/bin/env python3
"""MobileNetV2 training steps (torchvision's architecture and ImageNet weights, 224x224,
cross-entropy on fixed random labels, SGD with momentum), swiftnn against PyTorch side by side
in one process: PyTorch contiguous and channels_last (its best path is the faster of the two,
per round), each round timing every contender in turn (median of --calls steps after a pause).

    make lib && python3 bench/bench_mobilenet_train.py [--batches 8,32] [--rounds 5] [--threads 2]

The first steps' losses are printed for both (same weights, inputs and labels, dropout off:
they agree to float32 rounding). Inputs are random (synthetic); the weights are the real ImageNet ones.
"""
import argparse
import os

ap = argparse.ArgumentParser()
ap.add_argument("--batches", default="8")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--calls", type=int, default=3)
ap.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "2")))
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import THREADS, rounds_against_torch_best  # noqa: E402  (sets the BLAS thread counts before numpy loads)
import numpy as np  # noqa: E402
import torch  # noqa: E402

import swiftnn  # noqa: E402
import cnn_models  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)


def make(lib, nn, optim, weights, channels_last=False):
    model = cnn_models.mobilenet_v2(nn)
    if weights is not None:
        model.load_state_dict({k: (torch.from_numpy(v) if lib is torch else v) for k, v in weights.items()}, strict=False)
    model.train()
    # Dropout off (eval) in both, so that the two compute the same steps; batch norm trains.
    for m in model.modules():
        if type(m).__name__ == "Dropout":
            m.eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return step



def main():
    weights = cnn_models.mobilenet_v2_weights()
    print(f"MobileNetV2 training step, {'ImageNet weights' if weights else 'random weights'}; swiftnn {swiftnn.__version__}, "
          f"torch {torch.__version__}, threads={THREADS}")
    for batch in (int(b) for b in args.batches.split(",")):
        rng = np.random.default_rng(batch)
        x = rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)
        y = rng.integers(0, 1000, batch).astype(np.int64)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        tx_cl = tx.contiguous(memory_format=torch.channels_last)
        sx, sy = swiftnn.from_numpy(x), swiftnn.from_numpy(y)
        s_step = make(swiftnn, swiftnn.nn, swiftnn.optim, weights)
        t_step = make(torch, torch.nn, torch.optim, weights)
        t_cl_step = make(torch, torch.nn, torch.optim, weights, channels_last=True)
        ls, lt = float(s_step(sx, sy)), float(t_step(tx, ty))
        float(t_cl_step(tx_cl, ty))
        print(f"\nbatch {batch}: first step's loss swiftnn {ls:.5f}, torch {lt:.5f}")
        fns = {"swiftnn": lambda: s_step(sx, sy), "torch": lambda: t_step(tx, ty),
               "torch channels_last": lambda: t_cl_step(tx_cl, ty)}
        rounds_against_torch_best(fns, args.rounds, args.calls, unit="steps")


if __name__ == "__main__":
    main()
