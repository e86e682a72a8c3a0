#!/usr/bin/env python3
"""Reference data for transfer learning (Tests/golden/zoo/transfer.safetensors), written with
torch and torchvision (run by hand; the tests read the output without torch): fine-tuning the
last blocks of the pretrained MobileNetV2 with a new head, as examples/python/transfer.py
does, on a fixed batch of 8 Fashion-MNIST test images (Debian dataset-fashion-mnist):

- images [8, 1, 28, 28] (byte / 255) and their labels;
- features: the frozen part's output, features[:17] in eval mode on the images repeated to 3
  channels, resized to 96 x 96 (antialiased bilinear) and normalised with ImageNet's mean and
  std (MobileNet_V2_Weights.IMAGENET1K_V1.transforms(crop_size=96, resize_size=96)): what
  swiftnn's cache_features gives;
- head.weight, head.bias: a new Linear(1280, 10) (seeded);
- the tail Sequential(features[17], features[18], AdaptiveAvgPool2d(1), Flatten, head) in
  training mode (batch norm on batch statistics) on those features: logits, the mean
  cross-entropy, and grad.<name> for every tail parameter (features.17.*, features.18.*,
  head.*), named as in the full model.

    python3 tools/gen_golden_transfer.py
"""
import gzip
import os

import numpy as np
import torch
import torch.library

torch.library.register_fake = lambda *a, **k: (lambda f: f)   # as tools/gen_golden_zoo.py
from safetensors.numpy import save_file  # noqa: E402
from torchvision.models import MobileNet_V2_Weights, mobilenet_v2  # noqa: E402

from gen_golden_zoo import weights_path  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "golden", "zoo", "transfer.safetensors")
FASHION = "/usr/share/datasets/fashion-mnist"
N, SIZE, CUT = 8, 96, 17   # batch, input size, first fine-tuned block


def idx(name):
    with gzip.open(os.path.join(FASHION, name)) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    images = torch.from_numpy(idx("t10k-images-idx3-ubyte.gz")[:N].astype(np.float32) / 255)[:, None]
    labels = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz")[:N].astype(np.int64))
    model = mobilenet_v2()
    model.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))
    model.eval()
    preset = MobileNet_V2_Weights.IMAGENET1K_V1.transforms(crop_size=SIZE, resize_size=SIZE)
    with torch.no_grad():
        features = model.features[:CUT](preset(images.repeat(1, 3, 1, 1)))
    head = torch.nn.Linear(1280, 10)
    tail = torch.nn.Sequential(model.features[CUT], model.features[CUT + 1], torch.nn.AdaptiveAvgPool2d(1),
                               torch.nn.Flatten(), head)
    tail.train()
    logits = tail(features)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out = {"images": images.numpy(), "labels": labels.numpy(), "features": features.numpy(),
           "head.weight": head.weight.detach().numpy(), "head.bias": head.bias.detach().numpy(),
           "logits": logits.detach().numpy(), "loss": loss.detach().reshape(1).numpy()}
    names = {id(p): n for n, p in model.named_parameters()}
    names[id(head.weight)], names[id(head.bias)] = "head.weight", "head.bias"
    for p in tail.parameters():
        out[f"grad.{names[id(p)]}"] = p.grad.numpy().copy()
    save_file({k: np.ascontiguousarray(v) for k, v in out.items()}, OUT,
              metadata={"torch": torch.__version__, "cut": str(CUT), "size": str(SIZE)})
    print("wrote", OUT, "loss", loss.item(), "grads", sum(k.startswith("grad.") for k in out))


if __name__ == "__main__":
    main()
