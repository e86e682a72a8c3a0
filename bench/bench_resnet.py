#!/usr/bin/env python3
"""ResNet-18 (torchvision's architecture, random weights: torchvision's are not among this
project's offline data) side by side with PyTorch in one process: the eval forward without
grad (eager and through swiftnn.compile) and a training step (cross-entropy on fixed random labels, SGD with momentum), PyTorch
contiguous and channels_last (its best path is the faster of the two, per round). A network
none of the other benchmarks include: the convolution kernel rule meets its 3x3 layers at
56, 28, 14 and 7 positions a row, padded, 64-512 channels.

    make lib && python3 bench/bench_resnet.py [--batch 8] [--size 224] [--rounds 5] [--threads 2]

Each round times every contender in turn (median of --calls calls after a pause); printed: the
median over rounds of each one's time and of the per-round ratio against PyTorch's best
(> 1: swiftnn faster). Inputs synthetic.
"""
import argparse
import os

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--size", type=int, default=224)
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


def make(lib, nn, optim, state, channels_last=False):
    model = cnn_models.resnet18(nn)
    model.load_state_dict({k: (torch.from_numpy(v) if lib is torch else swiftnn.from_numpy(v)) for k, v in state.items()})
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def forward(x):
        model.eval()
        with lib.no_grad():
            return model(x)

    compiled = None
    if lib is swiftnn:
        model.eval()
        compiled = swiftnn.compile(model)

    def forward_compiled(x):
        with lib.no_grad():
            return compiled(x)

    def step(x, y):
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return forward, step, forward_compiled


def compare(title, fns):
    print(f"\n{title}")
    rounds_against_torch_best(fns, args.rounds, args.calls)


def main():
    torch.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in cnn_models.resnet18(torch.nn).state_dict().items()}
    print(f"ResNet-18, random weights, batch {args.batch}, {args.size}x{args.size}; swiftnn {swiftnn.__version__}, "
          f"torch {torch.__version__}, threads={THREADS}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 3, args.size, args.size)).astype(np.float32)
    y = rng.integers(0, 1000, args.batch).astype(np.int64)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tx_cl = tx.contiguous(memory_format=torch.channels_last)
    sx, sy = swiftnn.from_numpy(x), swiftnn.from_numpy(y)
    s_fwd, s_step, s_comp = make(swiftnn, swiftnn.nn, swiftnn.optim, state)
    t_fwd, t_step, _ = make(torch, torch.nn, torch.optim, state)
    c_fwd, c_step, _ = make(torch, torch.nn, torch.optim, state, channels_last=True)
    want = t_fwd(tx).numpy()
    print(f"eval forward: largest difference from PyTorch {float(np.abs(s_fwd(sx).numpy() - want).max()):.2e} eager, "
          f"{float(np.abs(s_comp(sx).numpy() - want).max()):.2e} swiftnn.compile")
    compare("eval forward, no grad", {"swiftnn": lambda: s_fwd(sx), "torch": lambda: t_fwd(tx),
                                       "torch channels_last": lambda: c_fwd(tx_cl)})
    compare("eval forward, swiftnn.compile", {"swiftnn": lambda: s_comp(sx), "torch": lambda: t_fwd(tx),
                                               "torch channels_last": lambda: c_fwd(tx_cl)})
    ls, lt = float(s_step(sx, sy)), float(t_step(tx, ty))
    c_step(tx_cl, ty)
    print(f"\nfirst training step's loss: swiftnn {ls:.5f}, torch {lt:.5f}")
    compare("training step", {"swiftnn": lambda: s_step(sx, sy), "torch": lambda: t_step(tx, ty),
                               "torch channels_last": lambda: c_step(tx_cl, ty)})


if __name__ == "__main__":
    main()
