"""Ordinary PyTorch scripts (Tests/pytorch_scripts) run with swiftnn: only the import lines are
rewritten, and every value the script prints must equal the one PyTorch printed
(Tests/pytorch_scripts/losses.json, written by tools/run_pytorch_scripts.py) within relative
2e-3 and absolute 1e-4. Each script runs in a child process, as a user would run it."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

FOLDER = os.path.join(REPO, "Tests", "pytorch_scripts")
EXPECTED = json.load(open(os.path.join(FOLDER, "losses.json")))["scripts"]
BINDING = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def rewrite_imports(source):
    """`import torch` -> `import swiftnn as torch`, `import torch.nn as nn` -> `import
    swiftnn.nn as nn`, `from torch.x import y` -> `from swiftnn.x import y`; no other line
    changes (the test fails if a non-import line mentions a module path it would need)."""
    out = []
    for line in source.splitlines():
        m = re.match(r"^(\s*)import torch(\.[\w.]+)?( as \w+)?\s*$", line)
        if m:
            indent, sub, alias = m.group(1), m.group(2) or "", m.group(3)
            if sub and not alias:
                raise AssertionError(f"`import torch{sub}` without an alias cannot be rewritten: {line}")
            line = f"{indent}import swiftnn{sub}{alias}" if sub else f"{indent}import swiftnn{alias or ' as torch'}"
        elif re.match(r"^\s*from torch(\.[\w.]+)? import ", line):
            line = line.replace("from torch", "from swiftnn", 1)
        out.append(line)
    return "\n".join(out) + "\n"


def test_rewrite_changes_only_imports():
    src = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\nx = torch.zeros(2)\n"
    assert rewrite_imports(src) == ("import swiftnn as torch\nimport swiftnn.nn as nn\n"
                                    "from swiftnn.utils.data import DataLoader\nx = torch.zeros(2)\n")


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_script_gives_pytorchs_values(script, tmp_path):
    source = rewrite_imports(open(os.path.join(FOLDER, script)).read())
    path = tmp_path / script
    path.write_text(source)
    env = dict(os.environ, PYTHONPATH=BINDING + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, f"{script} failed under swiftnn:\n{run.stderr[-3000:]}"
    got = []
    for line in run.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                got.append([parts[0], float(parts[1])])
            except ValueError:
                pass
    want = EXPECTED[script]
    assert [n for n, _ in got] == [n for n, _ in want], f"{script}: printed {len(got)} values, PyTorch {len(want)}"
    for i, ((name, g), (_, w)) in enumerate(zip(got, want)):
        assert abs(g - w) <= 1e-4 + 2e-3 * abs(w), f"{script}: value {i} ({name}) is {g}, PyTorch printed {w}"
