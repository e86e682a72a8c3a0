#!/usr/bin/env python3
"""Writes the generated part of the fuzz seed corpus (Tests/fuzz/, docs/fuzzing.md): small
safetensors files (numpy + safetensors), small ONNX models (onnx.helper) and architecture JSON
of a few models (from the swiftnn binding: what snn_module_save stores). The PNG and IDX seeds
are copies of Tests/fixtures files. Run by hand; commit the output.

    SWIFTNN_LIB=build/lib/libswiftnn.so PYTHONPATH=bindings/python python3 tools/make_fuzz_seeds.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.join(HERE, "..", "Tests", "fuzz")


def safetensors_seeds():
    d = os.path.join(FUZZ, "safetensors")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(0)
    save_file({"w": rng.standard_normal((2, 3)).astype(np.float32)}, os.path.join(d, "f32.safetensors"))
    save_file({"a.weight": rng.standard_normal((3, 2)).astype(np.float32), "a.bias": np.zeros(3, np.float32),
               "n": np.arange(4, dtype=np.int64)}, os.path.join(d, "mixed.safetensors"),
              metadata={"format": "pt", "note": "x"})
    save_file({"d": np.array([1.5, -2.0]), "i": np.array([1, 2], np.int32), "u": np.array([7], np.uint8),
               "b": np.array([True, False]), "s": np.array(3.0, np.float32)}, os.path.join(d, "dtypes.safetensors"))
    save_file({"e": np.zeros((0, 4), np.float32)}, os.path.join(d, "empty.safetensors"))


def onnx_seeds():
    d = os.path.join(FUZZ, "onnx")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(1)

    def init(name, shape):
        return helper.make_tensor(name, TensorProto.FLOAT, shape, rng.standard_normal(shape).astype(np.float32).ravel())

    def save(name, nodes, inits, ins, outs, opset=17):
        g = helper.make_graph(nodes, name, ins, outs, initializer=inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8 if opset >= 13 else 3
        onnx.save(m, os.path.join(d, name + ".onnx"))

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    save("gemm_relu", [helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["y"])],
         [init("w", [3, 4]), init("b", [3])], [x], [y])
    xi = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])
    yo = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 2])
    save("conv_pool", [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                       helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[3, 3], strides=[3, 3])],
         [init("w", [2, 1, 3, 3])], [xi], [yo])
    xs = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 1, 2])
    ys = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 1, 1, 4])
    save("lstm", [helper.make_node("LSTM", ["x", "W", "R", "B"], ["y"], hidden_size=4)],
         [init("W", [1, 16, 2]), init("R", [1, 16, 4]), init("B", [1, 32])], [xs], [ys])
    # an old opset: imported, with a deprecation in the log (Tests/c/test_log.c)
    save("relu_opset6", [helper.make_node("Relu", ["x"], ["y"])], [],
         [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], opset=6)


def architecture_seeds():
    import swiftnn
    from swiftnn import nn
    from swiftnn._handles import read_string
    from swiftnn._lib import lib
    d = os.path.join(FUZZ, "architecture")
    os.makedirs(d, exist_ok=True)
    models = {
        "mlp": nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2)),
        "cnn": nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(4 * 4 * 4, 10)),
        "nested": nn.Sequential(nn.Sequential(nn.Sequential(nn.Tanh())), nn.Sequential(nn.Sigmoid())),
        "lstm": nn.Sequential(nn.LSTM(3, 5, num_layers=2, batch_first=True)),
    }
    for name, m in models.items():
        with open(os.path.join(d, name + ".json"), "w") as f:
            f.write(read_string(lib.snn_module_architecture, m._mh))
    del swiftnn


if __name__ == "__main__":
    safetensors_seeds()
    onnx_seeds()
    architecture_seeds()
    print("wrote seeds under", os.path.normpath(FUZZ))
