"""Child process of test_onnx_node.py: runs ONNX backend node tests through swiftnn.onnx.load
and prints one JSON line per test ({"ev": "start"} first, so a crash names its test, then
{"ev": "result", "ok": bool, "why": str}).

    python onnx_node_child.py NODE_DIR test_a test_b ...
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

import swiftnn

RTOL, ATOL = 1e-3, 1e-7  # onnx.backend.test's defaults


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def run_one(d):
    model_path = os.path.join(d, "model.onnx")
    graph = onnx.load(model_path).graph
    initialized = {i.name for i in graph.initializer}
    input_names = [i.name for i in graph.input if i.name not in initialized]
    sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
    if not sets:
        return False, "no test data"
    try:
        model = swiftnn.onnx.load(model_path)
    except swiftnn.SwiftNNError as e:
        return False, f"load: {type(e).__name__}: {e}"
    for s in sets:
        inputs = [read_tensor(p) for p in sorted(glob.glob(os.path.join(s, "input_*.pb")), key=_index)]
        expected = [read_tensor(p) for p in sorted(glob.glob(os.path.join(s, "output_*.pb")), key=_index)]
        feed = dict(zip(input_names, inputs))
        try:
            got = model.run(None, feed)
        except (swiftnn.SwiftNNError, ValueError, TypeError) as e:
            return False, f"run: {type(e).__name__}: {e}"
        if len(got) != len(expected):
            return False, f"{len(got)} outputs, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            if e.dtype == object or e.dtype.kind not in "fiub":
                return False, f"output {i} has dtype {e.dtype}"
            if g.shape != e.shape:
                return False, f"output {i} has shape {g.shape}, expected {e.shape}"
            if e.dtype.kind == "b":
                e = e.astype(np.int64)
            try:
                np.testing.assert_allclose(g.astype(np.float64), e.astype(np.float64), rtol=RTOL, atol=ATOL)
            except AssertionError as err:
                lines = [ln for ln in str(err).splitlines() if "Max absolute" in ln or "Mismatched" in ln]
                return False, f"output {i} differs: " + "; ".join(ln.strip() for ln in lines)
    return True, ""


def _index(p):
    return int(os.path.basename(p).split("_")[1].split(".")[0])


def main(argv):
    root, names = argv[0], argv[1:]
    for n in names:
        emit(ev="start", test=n)
        try:
            ok, why = run_one(os.path.join(root, n))
        except Exception as e:  # a harness problem reading the test, reported as a failure
            ok, why = False, f"harness: {type(e).__name__}: {e}"
        emit(ev="result", test=n, ok=ok, why=why)


if __name__ == "__main__":
    main(sys.argv[1:])
