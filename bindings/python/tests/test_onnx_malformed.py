"""Malformed and unsupported ONNX files give clear errors, never a crash: each file is loaded
(and, if it loads, run) in a child process, which reports the exception class and message."""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import swiftnn

CHILD = r"""
import json, sys
import numpy as np
import swiftnn
out = {}
for path in sys.argv[1:]:
    try:
        m = swiftnn.onnx.load(path)
        m(*[np.zeros((2, 3), np.float32) for _ in m.input_names])
        out[path] = ["ok", ""]
    except swiftnn.SwiftNNError as e:
        out[path] = [type(e).__name__, str(e)]
print(json.dumps(out))
"""


def _model(nodes, inputs=("x",), outputs=("y",), inits=(), elem=TensorProto.FLOAT):
    g = helper.make_graph(list(nodes), "g", [helper.make_tensor_value_info(n, elem, [2, 3]) for n in inputs],
                          [helper.make_tensor_value_info(n, elem, None) for n in outputs], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _raw(name, dims, dtype, payload):
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.raw_data = payload
    return t


def cases(tmp):
    good = _model([helper.make_node("Relu", ["x"], ["y"])])
    good_bytes = good.SerializeToString()
    files = {
        "truncated": good_bytes[: len(good_bytes) // 2],
        "random_bytes": np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "empty": b"",
        "huge_length": bytes([0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        "unknown_op": _model([helper.make_node("FooBar", ["x"], ["y"])]),
        "missing_initializer": _model([helper.make_node("MatMul", ["x", "w"], ["y"])]),
        "cycle": _model([helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                         helper.make_node("Identity", ["b"], ["y"])]),
        "raw_data_length": _model([helper.make_node("Add", ["x", "w"], ["y"])],
                                  inits=[_raw("w", [2, 3], TensorProto.FLOAT, b"\0" * 8)]),
        "negative_dims": _model([helper.make_node("Add", ["x", "w"], ["y"])],
                                inits=[_raw("w", [-2, 3], TensorProto.FLOAT, b"")]),
        "string_tensor": _model([helper.make_node("Identity", ["w"], ["y"])],
                                inits=[helper.make_tensor("w", TensorProto.STRING, [1], [b"hi"])]),
        "unknown_attribute": _model([helper.make_node("Relu", ["x"], ["y"], foo=3)]),
        "bad_auto_pad": _model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], auto_pad="WEIRD")]),
        "other_domain": _model([helper.make_node("Relu", ["x"], ["y"], domain="com.example")]),
        "undefined_output": _model([helper.make_node("Relu", ["x"], ["z"])]),
        "duplicate_definition": _model([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Relu", ["x"], ["y"])]),
        "shape_mismatch_at_run": _model([helper.make_node("Add", ["x", "w"], ["y"])],
                                        inits=[helper.make_tensor("w", TensorProto.FLOAT, [4], [1, 2, 3, 4])]),
    }
    paths = {}
    for name, content in files.items():
        p = os.path.join(tmp, name + ".onnx")
        with open(p, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.SerializeToString())
        paths[name] = p
    paths["directory"] = tmp
    paths["missing_file"] = os.path.join(tmp, "nope.onnx")
    return paths


EXPECT = {
    "truncated": ("FormatError", "malformed"),
    "random_bytes": ("FormatError", ""),
    "empty": ("FormatError", "no graph"),
    "huge_length": ("FormatError", "runs past the end"),
    "unknown_op": ("UnsupportedError", "FooBar"),
    "missing_initializer": ("FormatError", "'w'"),
    "cycle": ("FormatError", "'b'"),
    "raw_data_length": ("FormatError", "raw_data has 8 bytes"),
    "negative_dims": ("FormatError", "dimension -2"),
    "string_tensor": ("UnsupportedError", "STRING"),
    "unknown_attribute": ("UnsupportedError", "'foo'"),
    "bad_auto_pad": ("UnsupportedError", "WEIRD"),
    "other_domain": ("UnsupportedError", "com.example"),
    "undefined_output": ("FormatError", "'y'"),
    "duplicate_definition": ("FormatError", "defined twice"),
    "shape_mismatch_at_run": ("ShapeError", "Add"),
    "directory": ("SwiftNNIOError", "not a regular file"),
    "missing_file": ("SwiftNNIOError", "cannot open"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    paths = cases(str(tmp_path_factory.mktemp("malformed")))
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(swiftnn.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [pkg_root, env.get("PYTHONPATH")] if p)
    p = subprocess.run([sys.executable, "-c", CHILD, *paths.values()], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, f"the child process died ({p.returncode}): {p.stderr[-2000:]}"
    by_path = json.loads(p.stdout.strip().splitlines()[-1])
    return {name: by_path[path] for name, path in paths.items()}


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_clear_error(case, results):
    kind, text = EXPECT[case]
    got_kind, msg = results[case]
    assert got_kind == kind, f"{case}: {got_kind}: {msg}"
    assert text in msg, f"{case}: message lacks {text!r}: {msg}"
    assert "snn_onnx_load" in msg or "snn_module_forward" in msg, f"{case}: message does not name the function: {msg}"
