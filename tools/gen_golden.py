#!/usr/bin/env python3
"""Writes the golden files every test language reads (Tests/golden/*). Run by hand after
changing a case; commit the outputs:

    python3 tools/gen_golden.py            # all areas
    python3 tools/gen_golden.py core       # one area

Needs torch, numpy, safetensors (tools only: the tests never import torch).
"""
import importlib
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden.common import Area  # noqa: E402

# area name -> seed (fixed so regeneration is reproducible)
AREAS = {"core": 1, "elementwise": 2, "shape": 3, "reduce": 4, "loss": 5, "conv": 6, "rnn": 7, "composite": 8,
         "activation": 9, "dtype": 12, "loss_pointwise": 21, "norm": 22, "resample": 23, "conv_transpose": 24, "inplace": 16, "compare": 10,
         "surface": 25, "pool3d": 26}

if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(1)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden")
    names = sys.argv[1:] or list(AREAS)
    for name in names:
        area = Area(name, AREAS[name])
        importlib.import_module(f"golden.{name}").build(area)
        area.write(root)
        print(f"{name}: {len(area.lines)} cases, {len(area.tensors)} tensors")
