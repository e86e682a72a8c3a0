"""Every golden case through the Python binding: forward and input gradients against PyTorch's
(read with safetensors.numpy, independently of the engine), no leaked handles, and the
three-language agreement check against the digests the Swift and C tests wrote."""
import gc
import glob
import importlib
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from conftest import GOLDEN, REPO

OPS = {}
for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "golden_ops_*.py"))):
    OPS.update(importlib.import_module(os.path.basename(path)[:-3]).OPS)



def _attr(text):
    """A manifest attribute as a Python value: none, true/false, an int, a float, or the text."""
    if text in ("none", "None"):
        return None
    if text in ("true", "false", "True", "False"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def op_for(name):
    """How a golden op is called: its area's adapter (golden_ops_<area>.py) where one is
    written, else mechanically as PyTorch spells it, swiftnn.nn.functional.<op>(*inputs,
    **attributes), so an op whose functional form takes the manifest's attributes by their
    PyTorch names needs no adapter line."""
    if name in OPS:
        return OPS[name]
    import swiftnn.nn.functional as F
    f = getattr(F, name, None)
    if f is None:
        raise KeyError(f"golden op '{name}': no adapter in golden_ops_*.py and no swiftnn.nn.functional.{name}")
    return lambda x, a: f(*x, **{k: _attr(v) for k, v in a.items()})


AREAS = [l.strip() for l in open(os.path.join(GOLDEN, "AREAS")) if l.strip() and not l.startswith("#")]


def load_cases(area):
    tensors = load_file(os.path.join(GOLDEN, f"{area}.safetensors"))
    cases = []
    for line in open(os.path.join(GOLDEN, f"{area}.txt")):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        attrs = dict(p.split("=", 1) if "=" in p else (p, "") for p in parts[2:])
        name = parts[0]
        seq = lambda kind: [tensors.get(f"{name}.{kind}{i}") for i in range(16)]
        ins = [t for t in seq("in") if t is not None]
        cases.append(dict(name=name, op=parts[1], attrs=attrs, ins=ins,
                          outs=[t for t in seq("out") if t is not None], gouts=seq("gout"), grads=seq("grad")))
    return cases


def assert_close(actual, expected, what):
    """The rule in Tests/golden/README.md: same shape and dtype (PyTorch's); integers and bools
    exactly; float32 within 1e-5 + 1e-4 |e|, float64 within 1e-10 + 1e-8 |e| (NaN matches NaN)."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != expected {expected.dtype}"
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    elif expected.dtype == np.float64:
        np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-10, err_msg=what)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=what)


def fnv(h, arr):
    for b in np.ascontiguousarray(arr).tobytes():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def run_case(c):
    leaves = [swiftnn.from_numpy(x) for x in c["ins"]]
    for i, t in enumerate(leaves):
        if c["grads"][i] is not None:
            t.requires_grad_(True)
    outs = op_for(c["op"])(leaves, c["attrs"])
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    pairs = [(o, g) for o, g in zip(outs, c["gouts"]) if g is not None]
    for k, (o, g) in enumerate(pairs):
        o.backward(swiftnn.from_numpy(g), retain_graph=k < len(pairs) - 1)
    grads = [t.grad for t in leaves]
    # Copies: an array from numpy() shares the tensor's memory and holds a handle to it, and
    # the caller counts the handles the op itself leaves alive.
    return ([o.detach().numpy().copy() for o in outs],
            [None if g is None else g.detach().numpy().copy() for g in grads])


@pytest.mark.parametrize("area", AREAS)
def test_golden(area):
    lines = []
    for c in load_cases(area):
        op_for(c["op"])  # raises, naming the op, if it has neither an adapter nor a functional form
        gc.collect()  # count only what this test leaves alive
        before = swiftnn.live_handles()
        outs, grads = run_case(c)
        assert len(outs) == len(c["outs"]), c["name"]
        h = 0xCBF29CE484222325
        for j, (o, e) in enumerate(zip(outs, c["outs"])):
            assert_close(o, e, f"{area}/{c['name']} output {j}")
            h = fnv(h, o)
        for i, e in enumerate(c["grads"]):
            if e is None:
                continue
            assert grads[i] is not None, f"{area}/{c['name']}: no gradient for input {i}"
            assert_close(grads[i], e, f"{area}/{c['name']} grad of input {i}")
            h = fnv(h, grads[i])
        gc.collect()
        assert swiftnn.live_handles() == before, f"{area}/{c['name']} leaked handles"
        lines.append(f"{area}/{c['name']} {h:x}")
    if area == "core":
        # Same seed, same random tensors in every language: Swift and C add the same line.
        swiftnn.manual_seed(42)
        r, n = swiftnn.rand(1000).numpy(), swiftnn.randn(1000).numpy()
        lines.append(f"random/seed42 {fnv(fnv(0xCBF29CE484222325, r), n):x}")
    os.makedirs(os.path.join(REPO, "build", "agreement"), exist_ok=True)
    with open(os.path.join(REPO, "build", "agreement", f"python-{area}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


@pytest.mark.parametrize("area", AREAS)
def test_swift_c_python_agree_bit_for_bit(area):
    """The Swift and C test runs (make test runs them first) wrote digests of every output and
    gradient; Python's must be identical, byte for byte."""
    folder = os.path.join(REPO, "build", "agreement")
    mine = os.path.join(folder, f"python-{area}.txt")
    if not os.path.exists(mine):
        test_golden(area)
    py = open(mine).read().split("\n")
    for lang in ("swift", "c"):
        path = os.path.join(folder, f"{lang}-{area}.txt")
        if not os.path.exists(path):
            pytest.skip(f"{lang} digests not found; run `make test` (runs Swift and C before Python)")
        other = open(path).read().split("\n")
        assert sorted(other) == sorted(py), f"{lang} and Python disagree on {area}: " + \
            str(sorted(set(other) ^ set(py))[:4])
