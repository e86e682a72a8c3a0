#!/usr/bin/env python3
"""Runs every idiom of bindings/python/tests/pytorch_idioms.py with PyTorch and writes what
PyTorch gives (values, dtypes, shapes, or the exception and its message) to
Tests/golden/pytorch_idioms.json, which test_pytorch_idioms.py compares SwiftNN against.
Needs torch (tools only; the tests never import it).

    python3 tools/gen_pytorch_idioms.py
"""
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(REPO, "bindings", "python", "tests"))
from pytorch_idioms import IDIOMS  # noqa: E402

OUT = os.path.join(REPO, "Tests", "golden", "pytorch_idioms.json")


def encode_number(v):
    """JSON has no nan or inf: they are written as strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def encode(v):
    if isinstance(v, torch.Tensor):
        t = v.detach()
        dtype = str(t.dtype).replace("torch.", "")
        values = t.contiguous().reshape(-1).tolist()
        return {"tensor": {"dtype": dtype, "shape": list(t.shape), "values": [encode_number(x) for x in values]}}
    if isinstance(v, (tuple, list)):
        return {"seq": [encode(x) for x in v]}
    if isinstance(v, torch.Size):
        return {"seq": [encode(int(x)) for x in v]}
    if isinstance(v, (bool, np.bool_)):
        return {"bool": bool(v)}
    if isinstance(v, (int, np.integer)):
        return {"int": int(v)}
    if isinstance(v, (float, np.floating)):
        return {"float": encode_number(float(v))}
    if isinstance(v, str):
        return {"str": v}
    raise TypeError(f"cannot encode {type(v)}")


def run(code):
    env = {"torch": torch, "np": np}
    exec(compile(code, "<idiom>", "exec"), env)
    return env["result"]


def main():
    torch.set_num_threads(1)
    cases = {}
    for name, code, phrase in IDIOMS:
        assert name not in cases, f"duplicate idiom {name}"
        try:
            result = run(code)
        except Exception as e:  # noqa: BLE001 (every PyTorch error is an expectation)
            msg = str(e)
            if phrase is not None and phrase not in msg:
                sys.exit(f"{name}: PyTorch's message does not contain the idiom's phrase {phrase!r}:\n{msg}")
            # The types the test may accept: the exception's class and its builtin bases.
            kinds = [c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins" and c not in (BaseException, object)]
            cases[name] = {"error": kinds, "message": msg, "phrase": phrase}
            continue
        if phrase is not None:
            sys.exit(f"{name}: expected PyTorch to raise ({phrase!r}) but it returned {result!r}")
        cases[name] = {"result": encode(result)}
    doc = {"generator": f"tools/gen_pytorch_idioms.py; torch {torch.__version__}", "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    errors = sum("error" in c for c in cases.values())
    print(f"wrote {OUT}: {len(cases)} idioms ({errors} expect an error)")


if __name__ == "__main__":
    main()
