"""The library and the header agree: every function the header declares is exported by
libswiftnn.so and every exported snn_ symbol is declared, read from the .so's dynamic symbol
table and from include/ (through the generator's parser, so both sides are independent of the
committed _ffi.py); and the binding refuses a library with another ABI version with a message
naming both versions."""
import importlib
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, load_generator

_lib = importlib.import_module("swiftnn._lib")  # the module; swiftnn._lib is the CDLL
_ffi = importlib.import_module("swiftnn._ffi")


def exported_symbols():
    if not shutil.which("nm"):
        pytest.skip("nm not found")
    out = subprocess.run(["nm", "-D", "--defined-only", _lib.path], capture_output=True, text=True, check=True)
    names = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWDdBbRrVi" and parts[2].startswith("snn_"):
            names.add(parts[2].split("@")[0])
    return names


def declared_functions():
    return set(load_generator().parse(os.path.join(REPO, "include")).functions)


def _env():
    env = dict(os.environ)
    # The directory holding the swiftnn package under test (in-tree or installed).
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(_ffi.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in [pkg_root, env.get("PYTHONPATH")] if p)
    return env


def test_every_declared_function_is_exported():
    declared, exported = declared_functions(), exported_symbols()
    assert declared, f"no declarations found under {REPO}/include"
    unexported = sorted(declared - exported)
    assert not unexported, f"declared in include/ but not exported by {_lib.path}: {unexported}"


def test_every_export_is_declared():
    declared, exported = declared_functions(), exported_symbols()
    assert exported, f"no snn_ symbols found in {_lib.path}"
    undeclared = sorted(exported - declared)
    assert not undeclared, (f"exported by {_lib.path} but declared in no header under include/ (so the "
                            f"binding has no signature for it): {undeclared}")


def test_refuses_another_abi_version(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    src = tmp_path / "fake.c"
    src.write_text("int snn_abi_version(void) { return 999; }\n")
    so = tmp_path / "libswiftnn.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    env = _env()
    env["SWIFTNN_LIB"] = str(so)
    p = subprocess.run([sys.executable, "-c", "import swiftnn"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), timeout=120)
    assert p.returncode != 0, "import swiftnn accepted a library reporting ABI version 999"
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError"), p.stderr
    assert "ABI version 999" in last and f"needs {_lib.ABI_VERSION}" in last, last
    assert str(so) in last, last


def test_missing_library_is_a_clear_import_error(tmp_path):
    env = _env()
    env["SWIFTNN_LIB"] = str(tmp_path / "nowhere" / "libswiftnn.so")
    p = subprocess.run([sys.executable, "-c", "import swiftnn"], capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), timeout=120)
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    assert p.returncode != 0 and last.startswith("ImportError") and "nowhere" in last, p.stderr


def test_abi_version_matches_the_library():
    """The header's SNN_ABI_VERSION (through _ffi, which test_generated_bindings keeps equal to
    the header) is the one the library was built with."""
    assert _ffi.DEFINES["SNN_ABI_VERSION"] == _lib.ABI_VERSION == _lib.lib.snn_abi_version()
