"""Comparisons, masks, sorting and gather/scatter exported to ONNX and run by onnxruntime: a
model whose forward (in Python) uses them passes onnx.checker and gives SwiftNN's outputs
(bool, int64 and float32) in onnxruntime, at the traced batch size and another."""
import numpy as np
import onnx
import onnxruntime as ort

import swiftnn
from swiftnn import nn


class MaskNet(nn.Module):
    def forward(self, x):
        pos = x > 0.25
        kept = swiftnn.where(pos, x, 0.5)
        filled = x.masked_fill(x < -1.0, 2.0)
        values, indices = x.topk(2, dim=1)
        ordered = x.sort(dim=1, descending=True).values
        picked = x.gather(1, indices)
        spread = x.scatter_add(1, indices, values)
        flags = ~(pos | swiftnn.isnan(x)) & swiftnn.isfinite(x) ^ (x == 0.0)
        bounded = swiftnn.maximum(swiftnn.minimum(x, swiftnn.tensor(1.0)), swiftnn.tensor(-1.0))
        return pos, kept, filled, values, indices, ordered, picked, spread, flags, bounded


def test_onnxruntime_runs_the_exported_comparisons(tmp_path):
    swiftnn.manual_seed(7)
    model = MaskNet().eval()
    path = str(tmp_path / "mask.onnx")
    swiftnn.onnx.export(model, swiftnn.randn(3, 6), path)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    types = {n.op_type for n in onnx.load(path).graph.node}
    assert {"Greater", "Where", "TopK", "GatherElements", "ScatterElements", "Not", "Or", "And", "Xor", "IsNaN"} <= types
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (3, 5):
        x = swiftnn.randn(batch, 6)
        ours = [t.numpy() for t in model(x)]
        theirs = sess.run(None, {"input": x.numpy()})
        assert len(ours) == len(theirs)
        for k, (a, b) in enumerate(zip(ours, theirs)):
            assert a.dtype == b.dtype, f"output {k}: {a.dtype} vs onnxruntime's {b.dtype}"
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"output {k}")
