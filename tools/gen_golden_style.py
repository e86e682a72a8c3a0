#!/usr/bin/env python3
"""Reference data for neural style transfer (Tests/golden/style/), written with torch and
torchvision (run by hand; the tests read the outputs without torch).

The loss is swiftnn/style.h's, written here in PyTorch as its neural-style tutorial does:
torchvision's MobileNetV2 with the IMAGENET1K_V1 weights, eval mode, parameters frozen,
forward hooks for the layers; content MSE, Gram-matrix (F F^T / (C H W)) style MSE,
a total-variation term (mean squared differences of neighbours), Adam on the pixels, clamp to
[0, 1] after every step.

mobilenet_v2_style.safetensors holds the inputs (a small content photo, a small style painting,
a perturbed image to take gradients at) and, per case, the gradient of the loss with respect to
that image; mobilenet_v2_style.json the loss terms and, for the default case, the total loss of
each of the first 20 Adam steps from the content image and the image after them (the losses
also as tensors: <case>.losses = [total, content, style, tv], default.curve = the 20 totals).

Content: scikit-image's chelsea.png (CC0). Style: Hokusai's The Great Wave (public domain;
data/style/great_wave.png from tools/fetch_paintings.py). Both are downscaled with Pillow's
antialiased bilinear resize; the tests use the stored pixels, so only this script needs them.

    python3 tools/gen_golden_style.py
"""
import json
import os

import numpy as np
import torch
import torch.library

torch.library.register_fake = lambda *a, **k: (lambda f: f)   # as gen_golden_zoo.py: CUDA-built ops
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from torchvision.models import mobilenet_v2  # noqa: E402

from gen_golden_zoo import package_file, weights_path  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "golden", "style")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
DEFAULT = dict(content_layers=["features.13"], style_layers=["features.0.0", "features.1", "features.3", "features.6", "features.10"],
               content_weight=1.0, style_weight=1e7, tv_weight=1.0, lr=0.03)
# A second case: other layers (content at 1/8, style inside blocks) and weights.
CUSTOM = dict(content_layers=["features.6", "features.10"], style_layers=["features.2.conv.0", "features.4"],
              content_weight=2.0, style_weight=3e5, tv_weight=0.5, lr=0.03)
STEPS = 20


def image(path, size):
    rgb = Image.open(path).convert("RGB").resize(size, Image.BILINEAR, reducing_gap=None)
    return torch.from_numpy(np.asarray(rgb).copy()).permute(2, 0, 1).float()[None] / 255


def gram(f):
    c, h, w = f.shape[1:]
    m = f.reshape(c, h * w)
    return m @ m.t() / (c * h * w)


class Features:
    """The outputs of named modules, by forward hooks (create_feature_extractor's fx tracing
    does not list modules inside torchvision's Conv2dNormActivation, such as features.0.0)."""
    def __init__(self, model, names):
        self.model, self.names = model, names
        modules = dict(model.named_modules())
        self.out = {}
        for n in names:
            modules[n].register_forward_hook(lambda m, i, y, n=n: self.out.__setitem__(n, y))

    def __call__(self, x):
        self.out = {}
        self.model(x)
        return dict(self.out)


class StyleLoss:
    def __init__(self, model, content, style, o):
        self.o = o
        layers = list(dict.fromkeys(o["content_layers"] + o["style_layers"]))
        self.fx = Features(model, layers)
        with torch.no_grad():
            c = self.fx((content - MEAN) / STD)
            s = self.fx((style - MEAN) / STD)
        self.ct = [c[n] for n in o["content_layers"]]
        self.st = [gram(s[n]) for n in o["style_layers"]]

    def __call__(self, x):
        f = self.fx((x - MEAN) / STD)
        content = sum(F.mse_loss(f[n], t) for n, t in zip(self.o["content_layers"], self.ct))
        style = sum(F.mse_loss(gram(f[n]), t) for n, t in zip(self.o["style_layers"], self.st))
        dy = x[:, :, 1:, :] - x[:, :, :-1, :]
        dx = x[:, :, :, 1:] - x[:, :, :, :-1]
        tv = (dy * dy).mean() + (dx * dx).mean()
        terms = [self.o["content_weight"] * content, self.o["style_weight"] * style, self.o["tv_weight"] * tv]
        total = terms[0] + terms[1] + terms[2]
        return total, {"total": total.item(), "content": terms[0].item(), "style": terms[1].item(), "tv": terms[2].item()}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = mobilenet_v2()
    model.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    content = image(package_file("skimage", "data/chelsea.png"), (80, 64))          # [1, 3, 64, 80]
    style = image(os.path.join(REPO, "data", "style", "great_wave.png"), (96, 64))  # [1, 3, 64, 96]
    at = (content + 0.1 * torch.randn_like(content)).clamp(0, 1)
    tensors = {"content": content[0].numpy(), "style": style[0].numpy(), "image": at[0].numpy()}
    manifest = {"torch": torch.__version__, "weights": "IMAGENET1K_V1 (mobilenet_v2-b0353104.pth)",
                "content": "skimage data/chelsea.png resized to 80x64", "style": "great_wave.png resized to 96x64",
                "cases": {}}
    for name, o in (("default", DEFAULT), ("custom", CUSTOM)):
        loss = StyleLoss(model, content, style, o)
        x = at.clone().requires_grad_(True)
        total, terms = loss(x)
        total.backward()
        tensors[f"{name}.grad"] = x.grad[0].numpy()
        case = {"options": o, "losses": terms}
        # The same numbers as tensors too, for the C test (which reads no JSON).
        tensors[f"{name}.losses"] = np.array([terms[k] for k in ("total", "content", "style", "tv")])
        if name == "default":
            x = content.clone().requires_grad_(True)
            opt = torch.optim.Adam([x], lr=o["lr"])
            curve = []
            for _ in range(STEPS):
                opt.zero_grad()
                total, terms = loss(x)
                total.backward()
                opt.step()
                with torch.no_grad():
                    x.clamp_(0, 1)
                curve.append(terms)
            case["steps"] = curve
            tensors[f"{name}.curve"] = np.array([t["total"] for t in curve])
            tensors[f"{name}.after_steps"] = x.detach()[0].numpy()
        manifest["cases"][name] = case
        print(name, case["losses"])
    os.makedirs(OUT, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
              os.path.join(OUT, "mobilenet_v2_style.safetensors"))
    with open(os.path.join(OUT, "mobilenet_v2_style.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
