"""The op registry's generated files (Sources/SwiftNN/Ops/OpTable.swift and
Sources/SwiftNNC/ExportsUnary.swift) match the declarations they are generated from."""
import os
import subprocess
import sys

from conftest import REPO


def test_op_table_and_unary_exports_are_fresh():
    r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "gen_op_table.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout
