"""ONNX If and Loop import (Sources/SwiftNN/ONNX/ImportControlFlow.swift), against onnxruntime:
branches and loop bodies that read outer-scope values, nested control flow, scan outputs, a
loop ended by its condition, and the errors for what cannot run."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import swiftnn

TOL = dict(rtol=1e-6, atol=1e-6)


def _save(tmp_path, nodes, inputs, outputs, opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m, full_check=True)
    p = str(tmp_path / "m.onnx")
    onnx.save(m, p)
    return p


def _both(p, feed):
    ref = ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, feed)
    got = swiftnn.onnx.load(p).run(None, feed)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, **TOL)
    return got


def _float(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def test_if_picks_the_branch_by_a_computed_condition(tmp_path):
    """y = x * 2 if sum(x) > 0 else x - 1; the branches read x from the outer graph."""
    then_g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["t"])], "then", [], [_float("t", [3])])
    else_g = helper.make_graph([helper.make_node("Sub", ["x", "one"], ["e"])], "else", [], [_float("e", [3])])
    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
             helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])),
             helper.make_node("Constant", [], ["one"], value=helper.make_tensor("o", TensorProto.FLOAT, [], [1.0])),
             helper.make_node("Greater", ["s", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)]
    p = _save(tmp_path, nodes, [_float("x", [3])], [_float("y", [3])])
    up = _both(p, {"x": np.array([1, 2, 3], dtype=np.float32)})[0]
    down = _both(p, {"x": np.array([-1, -2, 0.5], dtype=np.float32)})[0]
    np.testing.assert_array_equal(up, [2, 4, 6])
    np.testing.assert_array_equal(down, [-2, -3, -0.5])


def test_loop_with_trip_count_carried_value_and_scan_output(tmp_path):
    """v <- v * w + i for i < M, scanning each v; w comes from the outer graph."""
    body = helper.make_graph(
        [helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
         helper.make_node("Mul", ["v_in", "w"], ["vw"]),
         helper.make_node("Add", ["vw", "fi"], ["v_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Identity", ["v_out"], ["scan"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []), _float("v_in", [2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), _float("v_out", [2]), _float("scan", [2])])
    nodes = [helper.make_node("Loop", ["M", "", "v0"], ["v", "scans"], body=body)]
    p = _save(tmp_path, nodes, [helper.make_tensor_value_info("M", TensorProto.INT64, []), _float("v0", [2]), _float("w", [2])],
              [_float("v", [2]), _float("scans", [None, 2])])
    feed = {"M": np.array(4, dtype=np.int64), "v0": np.array([1, -1], dtype=np.float32),
            "w": np.array([0.5, 2], dtype=np.float32)}
    v, scans = _both(p, feed)
    assert scans.shape == (4, 2)


def test_loop_ended_by_its_condition_with_a_nested_if(tmp_path):
    """Doubles v until its sum exceeds a limit (no trip count); inside, an If reads the
    outer graph's limit two scopes up."""
    inner_then = helper.make_graph([helper.make_node("Identity", ["limit"], ["r"])], "t", [], [_float("r", [])])
    inner_else = helper.make_graph([helper.make_node("Identity", ["s"], ["r2"])], "e", [], [_float("r2", [])])
    body = helper.make_graph(
        [helper.make_node("Add", ["v_in", "v_in"], ["v_out"]),
         helper.make_node("ReduceSum", ["v_out"], ["s"], keepdims=0),
         helper.make_node("Less", ["s", "limit"], ["cond_out"]),
         helper.make_node("If", ["cond_out"], ["clipped"], then_branch=inner_then, else_branch=inner_else)],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []), _float("v_in", [2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), _float("v_out", [2]), _float("clipped", [])])
    nodes = [helper.make_node("Loop", ["", "", "v0"], ["v", "trace"], body=body)]
    p = _save(tmp_path, nodes, [_float("v0", [2]), _float("limit", [])], [_float("v", [2]), _float("trace", [None])])
    v, trace = _both(p, {"v0": np.array([0.25, 0.5], dtype=np.float32), "limit": np.array(20, dtype=np.float32)})
    np.testing.assert_array_equal(v, [8, 16])
    assert trace.shape == (5,)  # sums 1.5, 3, 6, 12, 24: the fifth ends the loop


def test_control_flow_errors_are_clear(tmp_path):
    """A subgraph that reads a name defined nowhere fails at load, naming the node and the name."""
    bad = helper.make_graph([helper.make_node("Identity", ["nowhere"], ["t"])], "then", [], [_float("t", [1])])
    ok = helper.make_graph([helper.make_node("Identity", ["x"], ["e"])], "else", [], [_float("e", [1])])
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=bad, else_branch=ok)], "g",
                          [helper.make_tensor_value_info("c", TensorProto.BOOL, []), _float("x", [1])], [_float("y", [1])])
    p = str(tmp_path / "bad.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    with pytest.raises(swiftnn.SwiftNNError, match=r"node 0.*\(If\).*'nowhere'"):
        swiftnn.onnx.load(p)
    # A failure inside a branch at run time names the If node, then the branch's own node.
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "x"], ["t"])], "then", [], [_float("t", None)])
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=ok)], "g",
                          [helper.make_tensor_value_info("c", TensorProto.INT64, []), _float("x", [2, 3])], [_float("y", None)])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), p)
    with pytest.raises(swiftnn.SwiftNNError) as e:
        swiftnn.onnx.load(p).run(None, {"c": np.array(1, dtype=np.int64), "x": np.ones((2, 3), np.float32)})
    msg = str(e.value)
    assert "node 0 (If): then_branch: node 0 (MatMul)" in msg and msg.count("(If)") == 1, msg
