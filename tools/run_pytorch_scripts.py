#!/usr/bin/env python3
"""Runs every script in Tests/pytorch_scripts with PyTorch and writes the values it prints
(`<name> <value>` lines, e.g. `loss 0.4016`) to Tests/pytorch_scripts/losses.json, which
bindings/python/tests/test_pytorch_scripts.py compares with the same scripts run by swiftnn
(imports rewritten). Run by hand (needs torch) and commit the JSON:

    python3 tools/run_pytorch_scripts.py
"""
import json
import os
import subprocess
import sys

import torch

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "pytorch_scripts")


def parse(stdout):
    """[(name, value)] of the `<name> <number>` lines a script printed."""
    out = []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out.append([parts[0], float(parts[1])])
            except ValueError:
                pass
    return out


if __name__ == "__main__":
    results = {}
    for name in sorted(os.listdir(FOLDER)):
        if not name.endswith(".py"):
            continue
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        run = subprocess.run([sys.executable, os.path.join(FOLDER, name)], capture_output=True, text=True, env=env,
                             check=True)
        results[name] = parse(run.stdout)
        print(f"{name}: {len(results[name])} values")
    with open(os.path.join(FOLDER, "losses.json"), "w") as f:
        json.dump({"generator": "tools/run_pytorch_scripts.py", "torch": torch.__version__, "scripts": results}, f,
                  indent=1)
        f.write("\n")
