#!/usr/bin/env python3
"""Writes Tests/fixtures/onnx/*.onnx with onnx's own serializer, to check SwiftNN's protobuf
reader and writer against it (every attribute kind, raw and typed tensor data, symbolic dims).

    python3 tools/gen_onnx_fixtures.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "fixtures", "onnx")


def rich_model():
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w")        # raw_data
    b = helper.make_tensor("b", TensorProto.FLOAT, [2], [0.5, -1.25])                      # float_data
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 2])                   # int64_data
    node_attrs = helper.make_node(
        "Conv", ["x", "w"], ["y"], name="conv0",
        kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], group=1, alpha=0.25,
        auto_pad="NOTSET", names=["a", "bc"], scales=[1.5, 2.5],
        value=helper.make_tensor("v", TensorProto.FLOAT, [1], [7.0]))
    node2 = helper.make_node("Reshape", ["y", "shape"], ["z"], name="reshape0")
    graph = helper.make_graph(
        [node_attrs, node2], "rich",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", None])],
        initializer=[w, b, shape])
    m = helper.make_model(graph, producer_name="onnx-fixture", opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    onnx.save(rich_model(), os.path.join(OUT, "rich.onnx"))
    print("wrote", os.path.join(OUT, "rich.onnx"))
