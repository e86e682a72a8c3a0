"""swiftnn.onnx.export proven by onnx and onnxruntime: LeNet-5, the lecture network, a
BatchNorm/Dropout model in eval mode and a user-subclassed nn.Module (forward in Python with
functional ops and arithmetic) each pass onnx.checker.check_model(full_check=True) and give
SwiftNN's outputs in onnxruntime within 1e-5, at the traced batch size and another (the batch
is symbolic); swiftnn.onnx.load reads the files back with the same outputs."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

import swiftnn
import swiftnn.nn.functional as F
from swiftnn import nn

TOL = dict(rtol=1e-5, atol=1e-5)


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def lecture_network():
    return nn.Sequential(nn.Conv2d(3, 64, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(64, 128, 3, padding=1), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8192, 10))


def bn_dropout_model():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.3),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 16), nn.BatchNorm1d(16), nn.LeakyReLU(0.1),
                      nn.Dropout(0.5), nn.Linear(16, 4))
    for _ in range(3):  # non-trivial running statistics
        m(swiftnn.randn(6, 3, 10, 10) * 2.0 + 0.5)
    return m.eval()


class UserNet(nn.Module):
    """A model written in Python: its forward calls swiftnn functional ops and arithmetic."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 6)
        self.scale = nn.Parameter(swiftnn.rand(6) + 0.5)

    def forward(self, x):
        h = F.relu(self.conv(x))
        h = swiftnn.conv.max_pool2d(h, 2)
        h = h.view(h.size(0), -1)
        h = self.fc(h) * self.scale - 0.25
        h = swiftnn.tanh(h) + swiftnn.sigmoid(h) / 2.0 + 1.0 / (h * h + 1.0)
        h = h - h.mean(dim=1, keepdim=True)
        return F.softmax(h, dim=1)


def norm_model():
    """GroupNorm and LayerNorm (opset 17 has LayerNormalization; GroupNorm is exported as
    Reshape + LayerNormalization + Reshape + affine), with random affine parameters."""
    m = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.GroupNorm(2, 6), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 8),
                      nn.LayerNorm(8))
    m.load_state_dict({k: swiftnn.randn(*v.shape) for k, v in m.state_dict().items()})
    return m


CASES = {
    "norms": (norm_model, (3, 4, 4), 2, 5),
    "lenet5": (lenet5, (1, 28, 28), 4, 7),
    "lecture": (lecture_network, (3, 32, 32), 2, 5),
    "bn_dropout": (bn_dropout_model, (3, 10, 10), 4, 9),
    "user_module": (UserNet, (3, 8, 8), 3, 8),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def exported(request, tmp_path_factory):
    swiftnn.manual_seed(1234)
    make, shape, batch, other = CASES[request.param]
    model = make()
    model.eval()
    path = str(tmp_path_factory.mktemp("onnx") / f"{request.param}.onnx")
    swiftnn.onnx.export(model, swiftnn.randn(batch, *shape), path)
    return request.param, model, shape, (batch, other), path


def test_checker_accepts_the_file(exported):
    name, model, shape, _, path = exported
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version == 8
    assert [(o.domain, o.version) for o in m.opset_import] == [("", 17)]
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == list(shape)
    # Parameters and buffers are initializers named by the state dict.
    inits = {i.name for i in m.graph.initializer}
    params = set(model.state_dict())
    used = {k for k in params if not k.endswith("num_batches_tracked")}
    assert used <= inits, f"missing initializers: {used - inits}"


def test_onnxruntime_matches_at_two_batch_sizes(exported):
    name, model, shape, batches, path = exported
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for b in batches:
        x = swiftnn.randn(b, *shape)
        ref = model(x).numpy()
        (got,) = sess.run(None, {"input": x.numpy()})
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, **TOL, err_msg=f"{name}, batch {b}")


def test_swiftnn_loads_the_file_back(exported):
    name, model, shape, batches, path = exported
    back = swiftnn.onnx.load(path)
    assert back.input_names == ["input"] and back.output_names == ["output"]
    for b in batches:
        x = swiftnn.randn(b, *shape)
        ref = model(x).numpy()
        np.testing.assert_allclose(back(x).numpy(), ref, **TOL)
        (got,) = back.run(None, {"input": x.numpy()})
        np.testing.assert_allclose(got, ref, **TOL)


def test_expected_node_mapping(tmp_path):
    swiftnn.manual_seed(0)
    p = str(tmp_path / "m.onnx")
    swiftnn.onnx.export(lenet5().eval(), swiftnn.randn(2, 1, 28, 28), p)
    ops = [n.op_type for n in onnx.load(p).graph.node]
    assert ops == ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"]
    swiftnn.onnx.export(bn_dropout_model(), swiftnn.randn(2, 3, 10, 10), p)
    ops = [n.op_type for n in onnx.load(p).graph.node]
    assert "Dropout" not in ops and ops.count("BatchNormalization") == 2 and "GlobalAveragePool" in ops
    conv = onnx.load(p).graph.node[0]
    attrs = {a.name: list(a.ints) for a in conv.attribute if a.ints}
    assert attrs["pads"] == [1, 1, 1, 1] and attrs["kernel_shape"] == [3, 3]


def test_names_several_inputs_and_outputs(tmp_path):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 3)
            self.b = nn.Linear(5, 3)

        def forward(self, x, y):
            h = self.a(x) + self.b(y)
            return F.relu6(h * 3.0), F.log_softmax(h, dim=-1)

    swiftnn.manual_seed(3)
    m = TwoHeads()
    x, y = swiftnn.randn(2, 4), swiftnn.randn(2, 5)
    p = str(tmp_path / "two.onnx")
    swiftnn.onnx.export(m, (x, y), p, input_names=["x", "y"], output_names=["clipped", "logp"])
    onnx.checker.check_model(onnx.load(p), full_check=True)
    sess = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
    x, y = swiftnn.randn(6, 4), swiftnn.randn(6, 5)
    ref = [t.numpy() for t in m(x, y)]
    got = sess.run(["clipped", "logp"], {"x": x.numpy(), "y": y.numpy()})
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, **TOL)
    back = swiftnn.onnx.load(p)
    assert back.input_names == ["x", "y"] and back.output_names == ["clipped", "logp"]
    for g, r in zip(back(x, y), ref):
        np.testing.assert_allclose(g.numpy(), r, **TOL)
    np.testing.assert_allclose(back.run(["logp"], [x.numpy(), y.numpy()])[0], ref[1], **TOL)


def test_shape_ops_keep_the_batch_dynamic(tmp_path):
    class Shapes(nn.Module):
        def forward(self, x):
            a = x.permute(0, 2, 1).reshape(x.shape[0], -1)          # [N, 12]
            b = swiftnn.cat([a, a * 2.0], dim=1)                      # [N, 24]
            c = b.unsqueeze(1).squeeze(1).sum(dim=1, keepdim=True)     # [N, 1]
            d = swiftnn.narrow(b, 1, 2, 5) * c                          # [N, 5]
            return swiftnn.flatten(d.unsqueeze(2), 1) - swiftnn.amax(d, dim=1, keepdim=True)

    m = Shapes()
    p = str(tmp_path / "shapes.onnx")
    swiftnn.onnx.export(m, swiftnn.randn(3, 3, 4), p)
    onnx.checker.check_model(onnx.load(p), full_check=True)
    sess = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
    for b in (3, 11):
        x = swiftnn.randn(b, 3, 4)
        np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], m(x).numpy(), **TOL)


def test_training_mode_is_a_clear_error(tmp_path):
    m = bn_dropout_model().train()
    with pytest.raises(ValueError, match="eval"):
        swiftnn.onnx.export(m, swiftnn.randn(2, 3, 10, 10), str(tmp_path / "t.onnx"))

    class DropoutInForward(nn.Module):
        def forward(self, x):
            return swiftnn.conv.dropout(x, 0.5, training=True)

    with pytest.raises(swiftnn.InvalidArgumentError, match=r"dropout.*eval"):
        swiftnn.onnx.export(DropoutInForward(), swiftnn.randn(2, 3), str(tmp_path / "d.onnx"))


def test_unexportable_ops_name_themselves(tmp_path):
    class WithLoss(nn.Module):
        def forward(self, x):
            return F.mse_loss(x, x * 2.0)

    with pytest.raises(swiftnn.UnsupportedError, match="mse_loss"):
        swiftnn.onnx.export(WithLoss(), swiftnn.randn(2, 3), str(tmp_path / "l.onnx"))

    class Indices(nn.Module):
        def forward(self, x):
            _, idx = swiftnn.conv.max_pool2d(x, 2, return_indices=True)
            return idx

    with pytest.raises(swiftnn.UnsupportedError, match="indices"):
        swiftnn.onnx.export(Indices(), swiftnn.randn(1, 1, 4, 4), str(tmp_path / "i.onnx"))

    class NotTraced(nn.Module):
        def forward(self, x):
            return swiftnn.tensor(x.numpy() * 2)

    with pytest.raises(swiftnn.InvalidArgumentError, match="not computed"):
        swiftnn.onnx.export(NotTraced(), swiftnn.randn(2, 3), str(tmp_path / "n.onnx"))


def test_tracing_stops_after_export(tmp_path):
    m = lenet5().eval()
    swiftnn.onnx.export(m, swiftnn.randn(2, 1, 28, 28), str(tmp_path / "a.onnx"))
    # A second export on the same thread works (the first trace ended), and nothing leaks.
    before = swiftnn.live_handles()
    swiftnn.onnx.export(m, swiftnn.randn(2, 1, 28, 28), str(tmp_path / "b.onnx"))
    import gc
    gc.collect()
    assert swiftnn.live_handles() <= before + 2
