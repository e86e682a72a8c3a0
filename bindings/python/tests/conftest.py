"""pytest set-up: import the in-tree package unless an installed one is asked for, pin BLAS
threads (numpy's and ours are separate OpenBLAS copies), and find the golden files."""
import importlib.util
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
if os.environ.get("SWIFTNN_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..")))
GOLDEN = os.path.join(REPO, "Tests", "golden")


def load_generator():
    """tools/gen_bindings.py as a module (tools/ is not a package), for the tests that read
    include/ themselves."""
    spec = importlib.util.spec_from_file_location("gen_bindings", os.path.join(REPO, "tools", "gen_bindings.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen
