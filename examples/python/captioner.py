#!/usr/bin/env python3
"""Image captioning with SwiftNN's ImageCaptioner (a CNN encoder whose features set the first
hidden state of an LSTM decoder): trains on two datasets, reports corpus BLEU-4 (smoothed) of
greedy and beam-search captions on held-out images, draws held-out images with their
generated captions to a PNG grid, and checks a checkpoint round trip. Images stay as pixel
values in [0, 1]; each dataset's normalisation (x - mean) / std is saved in the checkpoint
(pixel_mean, pixel_std, image_size), so examples/c/caption.c can caption the PNG written here
(build/caption_image_<dataset>.png, by swiftnn's own PNG writer) the way training saw it.

  emoji   REAL: Noto Color Emoji glyphs captioned with their Unicode names
          (tools/make_emoji_captions.py -> data/emoji; held out: 10% of the emoji, fixed seed).
  mnist   SYNTHETIC scenes made here from real MNIST digits (data/mnist, `make data`): two
          digits on a 56x56 canvas, left/right or above/below, captioned "a 3 to the left of
          a 7" (held out: scenes built from MNIST's test images). Both phrasings of a scene
          ("a 3 to the left of a 7" / "a 7 to the right of a 3") are BLEU references.

With --encoder mobilenet_v2 (the lecture's "combining RNNs and CNNs" with a pretrained CNN) the
encoder is torchvision's ImageNet MobileNetV2, frozen: each image is resized to 128 x 128 and
normalised as for ImageNet, MobileNetV2's last feature map ([1280, 4, 4], features.18) is
computed once for every image (swiftnn.models.feature_extraction.cache_features), and the
captioner trains on those maps (conv_blocks=0: pool to the grid, Linear, ReLU). The split,
decoder and training budget are the same as with the CNN trained from scratch.

    python3 examples/python/captioner.py [--dataset emoji|mnist|both] [--minutes 10]
                                         [--encoder cnn|mobilenet_v2] [--smoke]
"""
import argparse
import gzip
import math
import os
import sys
import time
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
import swiftnn  # noqa: E402
from swiftnn import nn  # noqa: E402
from swiftnn.models import ImageCaptioner, bleu  # noqa: E402


# ---------------------------------------------------------------- data

Array = np.ndarray[Any, Any]
# (images [N, C, H, W] in [0, 1] or normalised, captions, reference token lists per image)
Data = tuple[Array, list[str], list[list[list[str]]]]


def load_emoji(path: str) -> tuple[Data, Data]:
    from safetensors.numpy import load_file
    d = load_file(os.path.join(path, "emoji.safetensors"))
    with open(os.path.join(path, "captions.txt")) as f:
        caps = f.read().splitlines()
    x = d["images"].astype(np.float32) / 255.0
    tr, te = d["split"] == 0, d["split"] == 1
    arr = np.array(caps, dtype=object)

    def refs(c: Array) -> list[list[list[str]]]:
        return [[s.split()] for s in c]
    return (x[tr], list(arr[tr]), refs(arr[tr])), (x[te], list(arr[te]), refs(arr[te]))


def _idx(path: str) -> Array:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


RELATIONS = [("to the left of", "to the right of"), ("to the right of", "to the left of"),
             ("above", "below"), ("below", "above")]


def mnist_scenes(images: Array, labels: Array, n: int, seed: int) -> Data:
    """SYNTHETIC: n 56x56 scenes of two real MNIST digits with their relation as captions;
    pixels in [0, 1] (each a value k / 255 of a digit, so a PNG holds them exactly)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 56, 56), dtype=np.float32)
    caps: list[str] = []
    refs: list[list[list[str]]] = []
    for i in range(n):
        a, b = rng.integers(len(images), size=2)
        r = rng.integers(4)
        rel, inv = RELATIONS[r]
        o1, o2 = rng.integers(0, 29, size=2)
        if r < 2:   # left/right: a's x position 0 (left of) or 28 (right of)
            pa, pb = ((o1, 0), (o2, 28)) if r == 0 else ((o1, 28), (o2, 0))
        else:       # above/below
            pa, pb = ((0, o1), (28, o2)) if r == 2 else ((28, o1), (0, o2))
        for (yy, xx), k in ((pa, a), (pb, b)):
            x[i, 0, yy:yy + 28, xx:xx + 28] = np.maximum(x[i, 0, yy:yy + 28, xx:xx + 28], images[k] / 255.0)
        da, db = int(labels[a]), int(labels[b])
        caps.append(f"a {da} {rel} a {db}")
        refs.append([caps[-1].split(), f"a {db} {inv} a {da}".split()])
    return x, caps, refs


def load_mnist_scenes(path: str, n_train: int, n_test: int) -> tuple[Data, Data]:
    tri, trl = _idx(os.path.join(path, "train-images-idx3-ubyte.gz")), _idx(os.path.join(path, "train-labels-idx1-ubyte.gz"))
    tei, tel = _idx(os.path.join(path, "t10k-images-idx3-ubyte.gz")), _idx(os.path.join(path, "t10k-labels-idx1-ubyte.gz"))
    return mnist_scenes(tri, trl, n_train, 1), mnist_scenes(tei, tel, n_test, 2)


# ---------------------------------------------------------------- train / evaluate

# Per-dataset normalisation of pixels in [0, 1]: x = (x01 - mean) / std.
NORMALISE = {"emoji": (0.5, 0.5), "mnist": (0.13, 0.31), "toy": (0.5, 0.25)}


def normalised(data: Data, mean: float, std: float) -> Data:
    x, caps, refs = data
    return (x - np.float32(mean)) / np.float32(std), caps, refs


def train(name: str, train_set: Data, args: argparse.Namespace, hidden: int, base: int, blocks: int, mean: float,
          std: float) -> tuple[ImageCaptioner, list[float]]:
    x, caps, _ = train_set
    words = sorted({w for c in caps for w in c.split()})
    swiftnn.manual_seed(0)
    model = ImageCaptioner(words, in_channels=x.shape[1], embed_dim=64, hidden_size=hidden,
                           base_channels=base, conv_blocks=blocks, pixel_mean=mean, pixel_std=std,
                           image_size=x.shape[2:])
    print(f"{name}: {len(x)} training images {x.shape[1:]}, vocabulary {len(model.vocab)} tokens, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    captions = model.encode_batch(caps)
    loader = swiftnn.data.DataLoader(swiftnn.from_numpy(np.ascontiguousarray(x)), captions,
                                     batch_size=args.batch_size, shuffle=True, seed=0)
    opt = swiftnn.optim.Adam(model.parameters(), lr=args.lr)
    budget = args.minutes * 60
    start = time.time()

    def progress(p: Any) -> bool:
        # Cosine decay from --lr to 5% of it over the run, which ends at the time budget or
        # the last epoch, whichever comes first (updated at each report).
        done = min(1.0, max((time.time() - start) / budget, p.global_step / max(1, p.epochs * p.steps_per_epoch)))
        opt.param_groups[0]["lr"] = args.lr * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * done)))
        if p.end_of_epoch and (p.epoch % max(1, args.epochs // 10) == 0 or p.epoch == p.epochs):
            print(f"  {name} epoch {p.epoch}/{p.epochs} loss {p.loss:.3f} {p.samples_per_second:.0f} img/s "
                  f"elapsed {p.elapsed_seconds:.0f}s", flush=True)
        return bool(time.time() - start < budget)

    losses = model.fit(loader, opt, epochs=args.epochs, report_every=50 if not args.smoke else 1, progress=progress)
    steps = len(losses)
    print(f"  {name}: {steps} steps ({steps / len(loader):.1f} epochs) in {time.time() - start:.0f}s; "
          f"loss {np.mean(losses[:len(loader)]):.3f} (first epoch) -> {np.mean(losses[-len(loader):]):.3f} (last)")
    return model, losses


def evaluate(name: str, model: Any, data: Data, args: argparse.Namespace,
             what: str = "held-out") -> dict[str, tuple[float, list[list[str]]]]:
    x, caps, refs = data
    n = min(len(x), args.eval_count)
    out: dict[str, tuple[float, list[list[str]]]] = {}
    settings: tuple[tuple[str, dict[str, Any]], ...] = (("greedy", dict(beam_width=0)),
                                                         ("beam 3", dict(beam_width=3, length_penalty=0.7)))
    for label, kw in settings:
        hyps = [model.caption(swiftnn.from_numpy(np.ascontiguousarray(x[i])), max_length=args.max_length, **kw).split()
                for i in range(n)]
        out[label] = (bleu(refs[:n], hyps), hyps)
        exact = np.mean([h in r for h, r in zip(hyps, refs[:n])])
        print(f"  {name} {what} BLEU-4 ({label}, {n} images): {100 * out[label][0]:.2f}; exact match with a reference {100 * exact:.1f}%")
    return out


def grid(name: str, data: Data, hyps: list[list[str]], path: str, channels: int) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("grid: matplotlib is not installed; skipping", path)
        return
    x, caps, _ = data
    k = min(16, len(hyps))
    cols = 4
    rows = (k + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 3.2, rows * 3.0), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= k:
            continue
        img = x[i]  # pixels in [0, 1]
        ax.imshow(img.transpose(1, 2, 0) if channels == 3 else img[0], cmap=None if channels == 3 else "gray", vmin=0, vmax=1)
        ax.set_title(f"gen: {' '.join(hyps[i])}\ntrue: {caps[i]}", fontsize=7, wrap=True)
    fig.suptitle(f"{name}: held-out images, greedy captions (SwiftNN ImageCaptioner)", fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("  grid:", path)


def round_trip(name: str, model: ImageCaptioner, data: Data, path: str) -> None:
    nn.save_model(model, path)
    again = nn.load_model(path)
    x = data[0]
    for i in range(min(4, len(x))):
        img = swiftnn.from_numpy(np.ascontiguousarray(x[i]))
        for b in (0, 3):
            if model.generate(img, beam_width=b) != again.generate(img, beam_width=b):
                sys.exit(f"{name}: reloaded checkpoint {path} gives another caption for image {i}")
    print(f"  {name}: checkpoint {path} reloaded; identical captions (greedy and beam)")


def write_c_inputs(name: str, model: ImageCaptioner, ckpt: str, pixels: Array, normalised_image: Array,
                   out: str) -> None:
    """One held-out image for examples/c/caption.c, twice: already normalised as a tensor file,
    and as a PNG (swiftnn's own writer) that the C program normalises with the checkpoint's
    pixel_mean / pixel_std. Reading the PNG back must caption exactly like the tensor."""
    swiftnn.save({"image": swiftnn.from_numpy(np.ascontiguousarray(normalised_image))},
                 os.path.join(out, f"caption_image_{name}.safetensors"))
    png = os.path.join(out, f"caption_image_{name}.png")
    swiftnn.io.write_png(swiftnn.from_numpy(np.ascontiguousarray(pixels)), png)
    again = nn.load_model(ckpt)
    from_png = again.generate(swiftnn.io.read_image(png, again.in_channels), beam_width=3, normalize=True)
    if from_png != again.generate(swiftnn.from_numpy(np.ascontiguousarray(normalised_image)), beam_width=3):
        sys.exit(f"{name}: {png} read back captions differently from the normalised tensor")
    print(f"  {name}: {png} (for ./build/examples/caption {ckpt} {png}) captions as its tensor: "
          f"\"{again.decode(from_png[0])}\"")


def pretrained_features(name: str, data: Data, size: int, batch: int) -> Data:
    """The images as torchvision's ImageNet MobileNetV2 sees them (resized to size x size,
    ImageNet-normalised; gray repeated to RGB) -> its last feature map, features.18, computed
    once without recording: [N, 1280, size / 32, size / 32]."""
    from swiftnn.models import MobileNet_V2_Weights, mobilenet_v2
    from swiftnn.models.feature_extraction import cache_features
    x, caps, refs = data
    model = mobilenet_v2(weights=MobileNet_V2_Weights.IMAGENET1K_V1)
    start = time.time()

    def progress(p: Any) -> None:
        if p.step == p.steps_per_epoch or p.step % 10 == 0:
            print(f"  {name}: MobileNetV2 features {p.step}/{p.steps_per_epoch} batches, {p.samples_per_second:.0f} img/s, "
                  f"ETA {p.eta_seconds:.0f}s", flush=True)

    f = cache_features(model, swiftnn.from_numpy(np.ascontiguousarray(x)), "features.18", batch_size=batch,
                       transforms=MobileNet_V2_Weights.IMAGENET1K_V1.transforms(crop_size=size, resize_size=size),
                       progress=progress)
    print(f"  {name}: {len(x)} images -> features {tuple(f.shape)} in {time.time() - start:.1f}s")
    return f.numpy(), caps, refs


def run(name: str, train_px: Data, test_px: Data, args: argparse.Namespace, hidden: int, base: int,
        blocks: int) -> dict[str, tuple[float, list[list[str]]]]:
    mean, std = NORMALISE[name]
    pretrained = args.encoder == "mobilenet_v2"
    if pretrained:
        # Frozen ImageNet features instead of pixels; no normalisation on top (the features
        # are what the network computes), and no image round trips (they need pixels).
        size = 64 if args.smoke else 128
        train_set = pretrained_features(name, train_px, size, 64)
        test_set = pretrained_features(name, test_px, size, 64)
        mean, std, blocks = 0.0, 1.0, 0
        name_out = f"{name}_mobilenet_v2"
    else:
        train_set, test_set = normalised(train_px, mean, std), normalised(test_px, mean, std)
        name_out = name
    model, losses = train(name, train_set, args, hidden, base, blocks, mean, std)
    if not args.smoke and not losses[-1] < losses[0]:
        print(f"  warning: {name} loss did not decrease")
    res = evaluate(name, model, test_set, args)
    evaluate(name, model, train_set, args, what="training")
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, f"captioner_{name_out}.safetensors")
    round_trip(name, model, test_set, ckpt)
    if not pretrained:
        write_c_inputs(name, model, ckpt, test_px[0][0], test_set[0][0], args.out)
    plot = args.plot if args.plot else os.path.join(args.out, f"captioner_{name_out}.png")
    if args.dataset == "both" and args.plot:
        root, ext = os.path.splitext(args.plot)
        plot = f"{root}_{name}{ext}"
    grid(name, test_px, res["greedy"][1], plot, test_px[0].shape[1])
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["emoji", "mnist", "both"], default="both")
    ap.add_argument("--emoji", default=os.path.join(ROOT, "data", "emoji"))
    ap.add_argument("--mnist", default=os.path.join(ROOT, "data", "mnist"))
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--minutes", type=float, default=10.0, help="training budget per dataset (wall clock)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--scenes", type=int, default=20000, help="MNIST training scenes")
    ap.add_argument("--eval-count", type=int, default=1000)
    ap.add_argument("--max-length", type=int, default=16)
    ap.add_argument("--out", default=os.path.join(ROOT, "build"))
    ap.add_argument("--plot", default=None, help="PNG grid path (default build/captioner_<dataset>.png)")
    ap.add_argument("--encoder", choices=["cnn", "mobilenet_v2"], default="cnn",
                    help="cnn: a small CNN trained with the decoder; mobilenet_v2: frozen ImageNet features")
    ap.add_argument("--smoke", action="store_true", help="tiny run for `make test`")
    args = ap.parse_args()
    if args.smoke:
        args.epochs, args.scenes, args.eval_count, args.minutes = 2, 64, 8, 2.0
    ran = 0
    if args.dataset in ("emoji", "both"):
        if os.path.exists(os.path.join(args.emoji, "emoji.safetensors")):
            tr, te = load_emoji(args.emoji)
            if args.smoke:
                tr, te = (tr[0][:48], tr[1][:48], tr[2][:48]), (te[0][:8], te[1][:8], te[2][:8])
            run("emoji", tr, te, args, hidden=64 if args.smoke else 256, base=8 if args.smoke else 32, blocks=3)
            ran += 1
        else:
            print(f"emoji: {args.emoji}/emoji.safetensors is missing (python3 tools/make_emoji_captions.py); skipped")
    if args.dataset in ("mnist", "both"):
        if os.path.exists(os.path.join(args.mnist, "train-images-idx3-ubyte.gz")):
            tr, te = load_mnist_scenes(args.mnist, args.scenes, max(args.eval_count, 8))
            run("mnist", tr, te, args, hidden=64 if args.smoke else 128, base=8 if args.smoke else 16, blocks=3)
            ran += 1
        else:
            print(f"mnist: {args.mnist} is missing (make data); skipped")
    if ran == 0 and args.smoke:
        # Neither dataset on this machine: a SYNTHETIC toy set keeps the smoke run meaningful
        # (pixels k / 255, so its PNG is exact too).
        rng = np.random.default_rng(0)
        x = (rng.integers(0, 256, size=(16, 1, 8, 8)) / 255.0).astype(np.float32)
        caps = ["bright spot" if v > 0.5 else "dark spot" for v in x[:, 0, 4, 4]]
        refs = [[c.split()] for c in caps]
        run("toy", (x, caps, refs), (x[:4], caps[:4], refs[:4]), args, hidden=16, base=4, blocks=2)


if __name__ == "__main__":
    main()
