"""swiftnn.einsum beyond the golden cases (Tests/golden/surface.*): numpy's einsum on more
equations, ONNX export of the lowered graph (checked by onnx.checker and onnxruntime), ONNX
Einsum import, and the errors."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import swiftnn
import swiftnn.onnx as snx
from swiftnn import nn

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]), ("i,i", [(7,), (7,)]),
    ("ii->", [(5, 5)]), ("...i,...i->...", [(2, 3, 4), (3, 4)]), ("abc->cab", [(2, 3, 4)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]), ("bhqk,bhkd->bqhd", [(2, 3, 4, 5), (2, 3, 5, 6)]), ("iij->j", [(3, 3, 4)]),
    ("i,j,k->ijk", [(2,), (3,), (4,)]), (" i j , j k -> i k ", [(2, 3), (3, 2)]),
])
def test_matches_numpy(eq, shapes):
    xs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    got = swiftnn.einsum(eq, *[swiftnn.from_numpy(x) for x in xs]).numpy()
    np.testing.assert_allclose(got, np.einsum(eq.replace(" ", ""), *xs), rtol=1e-5, atol=1e-5)
    assert swiftnn.einsum(eq, [swiftnn.from_numpy(x) for x in xs]).shape == got.shape  # operands as one list


class Bilinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(swiftnn.from_numpy(RNG.standard_normal((4, 3, 5)).astype(np.float32)))

    def forward(self, a, b):
        return swiftnn.einsum("bn,anm,bm->ba", a, self.w, b)


def test_onnx_export_of_the_lowered_graph_runs_in_onnxruntime(tmp_path):
    m = Bilinear().eval()
    a, b = RNG.standard_normal((2, 3)).astype(np.float32), RNG.standard_normal((2, 5)).astype(np.float32)
    want = m(swiftnn.from_numpy(a), swiftnn.from_numpy(b)).detach().numpy()
    path = tmp_path / "bilinear.onnx"
    snx.export(m, (swiftnn.from_numpy(a), swiftnn.from_numpy(b)), path, input_names=["a", "b"])
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    got = ort.InferenceSession(str(path)).run(None, {"a": a, "b": b})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(snx.load(path).run(None, {"a": a, "b": b})[0], want, rtol=1e-5, atol=1e-6)


def test_onnx_einsum_node_imports(tmp_path):
    eq = "bij,bjk->bik"
    node = helper.make_node("Einsum", ["x", "y"], ["z"], equation=eq)
    graph = helper.make_graph([node], "einsum",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4]),
                               helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 5])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3, 5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "einsum.onnx"
    onnx.save(model, str(path))
    x, y = RNG.standard_normal((2, 3, 4)).astype(np.float32), RNG.standard_normal((2, 4, 5)).astype(np.float32)
    got = snx.load(path).run(None, {"x": x, "y": y})[0]
    np.testing.assert_allclose(got, ort.InferenceSession(str(path)).run(None, {"x": x, "y": y})[0], rtol=1e-5, atol=1e-6)


def test_errors_name_the_problem():
    a, b = swiftnn.zeros(2, 3), swiftnn.zeros(4, 5)
    with pytest.raises(swiftnn.ShapeError, match=r"einsum: subscript j has size 4 in operand 1"):
        swiftnn.einsum("ij,jk->ik", a, b)
    with pytest.raises(swiftnn.InvalidArgumentError, match="names 2 operand\\(s\\) but 1 were given"):
        swiftnn.einsum("ij,jk->ik", a)
    with pytest.raises(swiftnn.ShapeError, match="operand 0 has 2 dimensions but the equation gives it 3"):
        swiftnn.einsum("ijk->i", a)
    with pytest.raises(swiftnn.InvalidArgumentError, match="output subscript z does not appear"):
        swiftnn.einsum("ij->z", a)
    with pytest.raises(swiftnn.InvalidArgumentError, match="appears more than once in the output"):
        swiftnn.einsum("ij->ii", a)
    with pytest.raises(swiftnn.InvalidArgumentError, match="subscripts are letters"):
        swiftnn.einsum("i1->i", a)
    with pytest.raises(TypeError, match="operand 0 must be a Tensor"):
        swiftnn.einsum("ij->ji", np.zeros((2, 3)))
