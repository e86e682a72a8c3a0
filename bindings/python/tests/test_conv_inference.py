"""The depthwise kernels' results for any thread count, and the fused inference path (BatchNorm
folded into the convolution, ReLU/ReLU6/Clip applied inside it) of eval-mode Sequentials and
imported ONNX graphs against the same layers run one by one."""
import numpy as np
import pytest

import swiftnn
from swiftnn import conv as F
from swiftnn import nn


@pytest.mark.parametrize("shape, kernel, stride, padding", [
    ((4, 24, 19, 21), 3, 1, 1),
    ((3, 16, 23, 20), 3, 2, 1),
    ((2, 8, 17, 40), 5, 2, 2),
])
def test_depthwise_results_do_not_depend_on_the_thread_count(shape, kernel, stride, padding):
    rng = np.random.default_rng(3)
    c = shape[1]
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((c, 1, kernel, kernel)).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    before = swiftnn.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            swiftnn.set_num_threads(threads)
            xt, wt, bt = (swiftnn.tensor(a, requires_grad=True) for a in (x, w, b))
            y = F.conv2d(xt, wt, bt, stride=stride, padding=padding, groups=c)
            g = np.random.default_rng(4).standard_normal(tuple(y.shape)).astype(np.float32)
            y.backward(swiftnn.tensor(g))
            results.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()])
    finally:
        swiftnn.set_num_threads(before)
    for other in results[1:]:
        for a, b_ in zip(results[0], other):
            np.testing.assert_array_equal(a, b_)


def _randomize(model, seed):
    """Random parameters and running statistics (positive variances), as after training."""
    rng = np.random.default_rng(seed)
    state = {}
    for k, v in model.state_dict().items():
        if v.dtype != swiftnn.float32:
            continue
        a = rng.uniform(-0.5, 0.5, tuple(v.shape)).astype(np.float32)
        state[k] = a + 1.0 if k.endswith("running_var") else a
    model.load_state_dict(state, strict=False)
    return model


def _blocks():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
        nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 8, 1, bias=False), nn.BatchNorm2d(8),
        nn.Conv2d(8, 8, 5, stride=2, padding=2, groups=8), nn.ReLU6(),
        nn.Conv2d(8, 4, 1))


def test_fused_eval_sequential_matches_the_layers_one_by_one():
    model = _randomize(_blocks(), 5).eval()
    x = swiftnn.from_numpy(np.random.default_rng(6).standard_normal((2, 3, 29, 31)).astype(np.float32))
    unfused = model(x).detach().numpy()      # grad mode on, trainable parameters: recorded, unfused
    with swiftnn.no_grad():
        fused = model(x).numpy()
    np.testing.assert_allclose(fused, unfused, rtol=1e-4, atol=1e-5)
    # A changed running statistic is folded in on the next call.
    model[1].running_mean.add_(1.0)
    with swiftnn.no_grad():
        fused2 = model(x).numpy()
    np.testing.assert_allclose(fused2, model(x).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert np.abs(fused2 - fused).max() > 1e-3
    # Training mode uses batch statistics: not the eval result.
    model.train()
    with swiftnn.no_grad():
        assert np.abs(model(x).numpy() - fused2).max() > 1e-3


def _fusable_graph(rng):
    """Conv -> BatchNormalization -> Clip(0, 6), depthwise Conv (stride 2) -> Relu, 1x1 Conv ->
    BatchNormalization, 1x1 Conv -> HardSwish, with dynamic sizes, written with onnx.helper
    (not by swiftnn's exporter)."""
    from onnx import TensorProto, helper, numpy_helper
    w = lambda *shape: rng.uniform(-0.5, 0.5, shape).astype(np.float32)
    bn = lambda p, c: {f"{p}_s": w(c) + 1, f"{p}_b": w(c), f"{p}_m": w(c), f"{p}_v": w(c) + 1}
    inits = {"w1": w(8, 3, 3, 3), "b1": w(8), "lo": np.array(0, np.float32), "hi": np.array(6, np.float32),
             "w2": w(8, 1, 3, 3), "b2": w(8), "w3": w(6, 8, 1, 1), "w4": w(4, 6, 1, 1), "b4": w(4),
             **bn("bn1", 8), **bn("bn3", 6)}
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c1", "bn1_s", "bn1_b", "bn1_m", "bn1_v"], ["n1"], epsilon=1e-3),
             helper.make_node("Clip", ["n1", "lo", "hi"], ["a1"]),
             helper.make_node("Conv", ["a1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2], group=8),
             helper.make_node("Relu", ["c2"], ["a2"]),
             helper.make_node("Conv", ["a2", "w3"], ["c3"]),
             helper.make_node("BatchNormalization", ["c3", "bn3_s", "bn3_b", "bn3_m", "bn3_v"], ["n3"]),
             helper.make_node("Conv", ["n3", "w4", "b4"], ["c4"]),
             helper.make_node("HardSwish", ["c4"], ["y"])]
    graph = helper.make_graph(nodes, "fusable", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "C", "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_onnx_conv_batchnorm_activation_chains_run_fused(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = str(tmp_path / "fusable.onnx")
    onnx.save(_fusable_graph(np.random.default_rng(7)), path)
    x = np.random.default_rng(8).standard_normal((2, 3, 15, 13)).astype(np.float32)
    sess = swiftnn.onnx.load(path)
    with swiftnn.no_grad():
        fused = sess(swiftnn.from_numpy(x)).numpy()
    unfused = sess(swiftnn.tensor(x, requires_grad=True))   # a recorded call runs the nodes one by one
    np.testing.assert_allclose(fused, unfused.detach().numpy(), rtol=1e-4, atol=1e-5)
    (expected,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(fused, expected, rtol=1e-4, atol=1e-5)
    # Each Conv with its BatchNormalization and activation is one step: an error names them all.
    with swiftnn.no_grad(), pytest.raises(swiftnn.ShapeError, match=r"node 0 \(Conv\) fused with node 1 \(BatchNormalization\), node 2 \(Clip\)"):
        sess(swiftnn.zeros(2, 4, 15, 13))
