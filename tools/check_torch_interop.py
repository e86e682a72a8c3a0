#!/usr/bin/env python3
"""Checks, with PyTorch itself, that checkpoints SwiftNN writes load into torch models via
model.load_state_dict(safetensors.torch.load_file(path)) (strict) and give SwiftNN's outputs,
for LeNet-5 (trained by `./build/examples/lenet5`, if present) and a BatchNorm/Dropout network;
and that DLPack shares memory both ways (torch.from_dlpack(our tensor), swiftnn.from_dlpack(a
torch tensor)) for every dtype SwiftNN has, with either side outliving the other.
Needs torch (tools only; the test suite checks the same files with safetensors.numpy).

    python3 tools/check_torch_interop.py [build/lenet5.safetensors]
"""
import os
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
os.environ.setdefault("SWIFTNN_LIB", os.path.join(HERE, "..", "build", "lib", "libswiftnn.so"))
import swiftnn  # noqa: E402
from swiftnn import nn as snn  # noqa: E402

sys.path.insert(0, HERE)
from gen_golden_modules import bn_net, lenet5  # noqa: E402


def check(name, torch_model, swift_model, x):
    path = os.path.join(tempfile.mkdtemp(), f"{name}.safetensors")
    snn.save_model(swift_model, path)
    torch_model.load_state_dict(load_file(path), strict=True)
    torch_model.eval()
    swift_model.eval()
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    ours = swift_model(swiftnn.from_numpy(x)).detach().numpy()
    diff = float(np.abs(theirs - ours).max())
    print(f"{name}: torch.load_state_dict(strict=True) accepted {len(load_file(path))} tensors; max |diff| = {diff:.2e}")
    assert diff < 1e-4, diff


DTYPES = [(torch.float32, np.float32), (torch.float64, np.float64), (torch.int64, np.int64),
          (torch.int32, np.int32), (torch.uint8, np.uint8), (torch.bool, np.bool_)]


def check_dlpack():
    import gc
    base = swiftnn.live_handles()
    for tdt, ndt in DTYPES:
        # torch -> SwiftNN: the same memory; a write through torch is seen by SwiftNN
        t = (torch.arange(12).reshape(3, 4) % 2 == 0).to(tdt) if tdt is torch.bool else torch.arange(12).reshape(3, 4).to(tdt)
        ours = swiftnn.from_dlpack(t)
        assert ours.numpy().ctypes.data == t.data_ptr() and ours.numpy().dtype == ndt, tdt
        t[2, 3] = 0
        assert ours.numpy()[2, 3] == 0, tdt
        np.testing.assert_array_equal(ours.numpy(), t.numpy())
        del t
        gc.collect()
        assert ours.numpy().shape == (3, 4)  # SwiftNN keeps torch's tensor alive
        # SwiftNN -> torch: the same memory; a write through SwiftNN's numpy view is seen by torch
        s = swiftnn.from_numpy(np.ones((2, 5), ndt))
        theirs = torch.from_dlpack(s)
        assert theirs.data_ptr() == s.numpy().ctypes.data and theirs.dtype == tdt, tdt
        s.numpy()[1, 4] = 0
        assert not bool(theirs[1, 4]), tdt
        del s, ours
        gc.collect()
        assert theirs.sum().item() == 9  # torch keeps SwiftNN's tensor alive
        del theirs
    # capsules: consumed once on either side
    cap = torch.utils.dlpack.to_dlpack(torch.ones(3))
    swiftnn.from_dlpack(cap)
    try:
        swiftnn.from_dlpack(cap)
        raise AssertionError("a torch capsule was consumed twice")
    except RuntimeError as e:
        assert "already consumed" in str(e)
    ours_cap = swiftnn.ones(3).__dlpack__()
    torch.utils.dlpack.from_dlpack(ours_cap)
    try:
        torch.utils.dlpack.from_dlpack(ours_cap)
        raise AssertionError("torch consumed our capsule twice")
    except RuntimeError:
        pass
    # a model run on torch's memory gives torch's result
    x = torch.randn(4, 3)
    lin = torch.nn.Linear(3, 2)
    m = snn.Linear(3, 2)
    m.load_state_dict({k: swiftnn.from_dlpack(v.detach()) for k, v in lin.state_dict().items()})
    diff = float((torch.from_dlpack(m(swiftnn.from_dlpack(x)).detach()) - lin(x).detach()).abs().max())
    assert diff < 1e-6, diff
    del cap, ours_cap, m
    gc.collect()
    assert swiftnn.live_handles() == base, (swiftnn.live_handles(), base)
    print(f"dlpack: torch <-> swiftnn share memory for {', '.join(str(d).split('.')[1] for d, _ in DTYPES)}; "
          f"capsules consumed once; Linear on torch's memory max |diff| = {diff:.1e}; live handles back to {base}")


def main():
    check_dlpack()
    rng = np.random.default_rng(0)
    swiftnn.manual_seed(0)
    sm = snn.Sequential(
        snn.Conv2d(1, 6, 5, padding=2), snn.ReLU(), snn.MaxPool2d(2), snn.Conv2d(6, 16, 5), snn.ReLU(), snn.MaxPool2d(2),
        snn.Flatten(), snn.Linear(400, 120), snn.ReLU(), snn.Linear(120, 84), snn.ReLU(), snn.Linear(84, 10))
    trained = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "lenet5.safetensors")
    if os.path.exists(trained):
        sm = snn.load_model(trained)
        print(f"using the trained checkpoint {trained}")
    check("lenet5", lenet5(), sm, rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
    bn = snn.Sequential(
        snn.Conv2d(3, 8, 3, padding=1, bias=False), snn.BatchNorm2d(8), snn.ReLU(),
        snn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2), snn.BatchNorm2d(8), snn.LeakyReLU(0.1),
        snn.AvgPool2d(2, ceil_mode=True), snn.AdaptiveAvgPool2d((2, 2)), snn.Flatten(),
        snn.Dropout(0.3), snn.Linear(32, 16), snn.BatchNorm1d(16), snn.Tanh(), snn.Linear(16, 5))
    bn.train()
    for _ in range(3):
        bn(swiftnn.randn(6, 3, 9, 9))  # move the running statistics
    check("bn_net", bn_net(), bn, rng.standard_normal((3, 3, 9, 9)).astype(np.float32))


if __name__ == "__main__":
    main()
