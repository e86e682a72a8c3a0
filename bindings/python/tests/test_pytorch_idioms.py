"""Ordinary PyTorch code with only the import changed gives PyTorch's results: every idiom of
pytorch_idioms.py runs with `torch` bound to swiftnn and is compared with what PyTorch gave
(Tests/golden/pytorch_idioms.json, written by tools/gen_pytorch_idioms.py): values, dtypes and
shapes of every tensor, Python scalars, and for the error idioms the exception type and
PyTorch's phrase in the message."""
import builtins
import json
import math
import os

import numpy as np
import pytest

import swiftnn
from conftest import GOLDEN
from pytorch_idioms import IDIOMS

with open(os.path.join(GOLDEN, "pytorch_idioms.json")) as _f:
    EXPECTED = json.load(_f)["cases"]


def run(code):
    env = {"torch": swiftnn, "np": np}
    exec(compile(code, "<idiom>", "exec"), env)
    return env["result"]


def decode_number(v):
    return float(v) if isinstance(v, str) else v


def same_number(got, want, dtype):
    if isinstance(want, bool) or dtype in ("bool", "int64", "int32", "uint8"):
        return got == want
    if math.isnan(want):
        return math.isnan(got)
    if math.isinf(want):
        return got == want
    tol = 1e-12 if dtype == "float64" else 1e-5
    return abs(got - want) <= tol * max(1.0, abs(want))


def compare(got, want, where):
    kind, w = next(iter(want.items()))
    if kind == "tensor":
        assert isinstance(got, swiftnn.Tensor), f"{where}: expected a tensor, got {type(got).__name__} {got!r}"
        assert got.dtype.name == w["dtype"], f"{where}: dtype {got.dtype.name}, PyTorch gives {w['dtype']}"
        assert list(got.shape) == w["shape"], f"{where}: shape {list(got.shape)}, PyTorch gives {w['shape']}"
        values = got.detach().contiguous().numpy().reshape(-1).tolist()
        for i, (g, e) in enumerate(zip(values, w["values"])):
            assert same_number(g, decode_number(e), w["dtype"]), \
                f"{where}: element {i} is {g}, PyTorch gives {e} (all: {values} vs {w['values']})"
    elif kind == "seq":
        assert isinstance(got, (tuple, list)), f"{where}: expected a sequence, got {type(got).__name__}"
        assert len(got) == len(w), f"{where}: {len(got)} items, PyTorch gives {len(w)}"
        for i, (g, e) in enumerate(zip(got, w)):
            compare(g, e, f"{where}[{i}]")
    elif kind == "bool":
        assert isinstance(got, (bool, np.bool_)) and bool(got) == w, f"{where}: {got!r}, PyTorch gives {w}"
    elif kind == "int":
        assert isinstance(got, (int, np.integer)) and not isinstance(got, bool) and got == w, \
            f"{where}: {got!r}, PyTorch gives {w}"
    elif kind == "float":
        assert isinstance(got, (float, np.floating)) and same_number(got, decode_number(w), "float32"), \
            f"{where}: {got!r}, PyTorch gives {w}"
    else:
        assert got == w, f"{where}: {got!r}, PyTorch gives {w!r}"


@pytest.mark.parametrize("name,code,phrase", IDIOMS, ids=[i[0] for i in IDIOMS])
def test_idiom(name, code, phrase):
    want = EXPECTED.get(name)
    assert want is not None, f"{name}: no expectation; run tools/gen_pytorch_idioms.py (needs torch)"
    if "error" in want:
        kinds = tuple(getattr(builtins, k) for k in want["error"] if k != "Exception")
        with pytest.raises(kinds or Exception) as info:
            run(code)
        assert want["phrase"] in str(info.value), \
            f"{name}: message {str(info.value)!r} lacks PyTorch's phrase {want['phrase']!r}"
        return
    compare(run(code), want["result"], name)


def test_expectations_match_idioms():
    """The committed expectations were generated from the current idioms (no stale file)."""
    assert sorted(EXPECTED) == sorted(i[0] for i in IDIOMS), "run tools/gen_pytorch_idioms.py"


def test_live_handles_return_to_baseline():
    """Running every idiom leaves no tensor or module handle behind."""
    import gc
    gc.collect()
    before = swiftnn.live_handles()
    for name, code, _ in IDIOMS:
        try:
            run(code)
        except Exception:  # noqa: BLE001 (error idioms are checked above)
            pass
    gc.collect()
    assert swiftnn.live_handles() == before
