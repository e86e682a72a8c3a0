"""The compiled inference plan (swiftnn/onnx.h, "Inference plan"): planned forwards against the
same graph run node by node (snn_onnx_set_planned(false)) and against onnxruntime, on graphs
written with onnx.helper to reach every kernel and fusion (odd channel counts, padding that
is asymmetric or from auto_pad, strides, dilation, 5x5 depthwise, residual adds after a GEMM and
after a depthwise convolution, activations, Flatten before Gemm with either transB, 3x3
layers by Winograd over odd sizes, paddings and channel counts); results
for any thread count; native models through swiftnn.compile (in-place weight updates seen,
gradients still reach the parameters); and the plan report."""
import numpy as np
import pytest

import swiftnn
from swiftnn import nn

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _conv(nodes, inits, rng, x, c, k, kernel, name, stride=1, pads=None, group=1, dilation=1, bias=True,
          auto_pad=None):
    w = rng.uniform(-0.5, 0.5, (k, c // group, kernel, kernel)).astype(np.float32)
    inits.append(numpy_helper.from_array(w, f"{name}_w"))
    ins = [x, f"{name}_w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.uniform(-0.2, 0.2, k).astype(np.float32), f"{name}_b"))
        ins.append(f"{name}_b")
    attrs = dict(kernel_shape=[kernel, kernel], strides=[stride, stride], group=group, dilations=[dilation, dilation])
    if auto_pad:
        attrs["auto_pad"] = auto_pad
    else:
        attrs["pads"] = pads if pads is not None else [kernel // 2 * dilation] * 4
    nodes.append(helper.make_node("Conv", ins, [name], name=name, **attrs))
    return name


def _bn(nodes, inits, rng, x, c, name):
    for suffix, lo, hi in (("g", 0.5, 1.5), ("b", -0.3, 0.3), ("m", -0.3, 0.3), ("v", 0.5, 2.0)):
        inits.append(numpy_helper.from_array(rng.uniform(lo, hi, c).astype(np.float32), f"{name}_{suffix}"))
    nodes.append(helper.make_node("BatchNormalization", [x] + [f"{name}_{s}" for s in "gbmv"], [name], epsilon=1e-3))
    return name


def _clip(nodes, inits, x, name, lo, hi):
    inits.append(numpy_helper.from_array(np.array(lo, np.float32), f"{name}_lo"))
    inits.append(numpy_helper.from_array(np.array(hi, np.float32), f"{name}_hi"))
    nodes.append(helper.make_node("Clip", [x, f"{name}_lo", f"{name}_hi"], [name]))
    return name


def _model(nodes, inits, name, chw):
    """An opset-17 model of `nodes` taking input [N, *chw] to output (shape inferred by readers)."""
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *chw])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _graph(seed, c_in=5):
    """A network touching every planned kernel and fusion; input [N, c_in, 23, 19]."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    # Stem: dense 3x3/2 on the caller's NCHW input, odd output channels, BN and ReLU6 fused.
    h = _clip(nodes, inits, _bn(nodes, inits, rng, _conv(nodes, inits, rng, "input", c_in, 17, 3, "stem", stride=2, bias=False),
                                17, "stem_bn"), "stem_act", 0.0, 6.0)
    # Inverted residual: expand 1x1 (GEMM) + ReLU, depthwise 3x3 + HardSwish, project 1x1 + Add.
    e = _conv(nodes, inits, rng, h, 17, 40, 1, "expand", pads=[0, 0, 0, 0])
    nodes.append(helper.make_node("Relu", [e], ["expand_act"]))
    d = _conv(nodes, inits, rng, "expand_act", 40, 40, 3, "dw", group=40)
    nodes.append(helper.make_node("HardSwish", [d], ["dw_act"]))
    p = _conv(nodes, inits, rng, "dw_act", 40, 17, 1, "project", pads=[0, 0, 0, 0])
    nodes.append(helper.make_node("Add", [h, p], ["res1"]))
    # Depthwise 5x5/2 with asymmetric padding, then a depthwise residual (Add after a depthwise).
    d2 = _conv(nodes, inits, rng, "res1", 17, 17, 5, "dw5", stride=2, group=17, pads=[1, 2, 2, 1])
    d3 = _conv(nodes, inits, rng, d2, 17, 17, 3, "dw3", group=17)
    nodes.append(helper.make_node("Add", [d3, d2], ["res2"]))
    # Dense 3x3 with dilation 2, bias-free; a 2x2 at stride 2 with SAME_UPPER (one column of
    # padding on the right).
    g = _conv(nodes, inits, rng, "res2", 17, 24, 3, "dil", dilation=2, bias=False)
    nodes.append(helper.make_node("Relu", [g], ["dil_act"]))
    s2 = _conv(nodes, inits, rng, "dil_act", 24, 20, 2, "pw_s2", stride=2, auto_pad="SAME_UPPER")
    # Head: a standalone Clip (min only), flatten of a 3 x 3 map, Gemm transB=1 + Relu, Gemm transB=0.
    _clip(nodes, inits, s2, "head_clip", -1.0, 3.0e38)
    nodes.append(helper.make_node("Flatten", ["head_clip"], ["flat"], axis=1))
    w1 = rng.uniform(-0.3, 0.3, (33, 20 * 3 * 3)).astype(np.float32)
    inits += [numpy_helper.from_array(w1, "fc1_w"), numpy_helper.from_array(rng.uniform(-0.1, 0.1, 33).astype(np.float32), "fc1_b")]
    nodes.append(helper.make_node("Gemm", ["flat", "fc1_w", "fc1_b"], ["fc1"], transB=1))
    nodes.append(helper.make_node("Relu", ["fc1"], ["fc1_act"]))
    w2 = rng.uniform(-0.3, 0.3, (33, 7)).astype(np.float32)
    inits += [numpy_helper.from_array(w2, "fc2_w"), numpy_helper.from_array(rng.uniform(-0.1, 0.1, 7).astype(np.float32), "fc2_b")]
    nodes.append(helper.make_node("Gemm", ["fc1_act", "fc2_w", "fc2_b"], ["output"]))
    graph = helper.make_graph(nodes, "plan_cases",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c_in, 23, 19])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 7])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@pytest.fixture(scope="module")
def plan_model(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("plan") / "plan_cases.onnx")
    onnx.save(_graph(11), path)
    return path


def _run(model, x, planned):
    model.planned = planned
    try:
        with swiftnn.no_grad():
            return model(swiftnn.from_numpy(x)).numpy()
    finally:
        model.planned = True


@pytest.mark.parametrize("batch", [1, 3])
def test_planned_forward_matches_node_by_node_and_onnxruntime(plan_model, batch):
    ort = pytest.importorskip("onnxruntime")
    m = swiftnn.onnx.load(plan_model)
    x = np.random.default_rng(batch).standard_normal((batch, 5, 23, 19)).astype(np.float32)
    report = m.plan_report(x)
    assert report.startswith("inference plan for input"), report
    # Every node is in the plan: the residual adds ride on their GEMM or depthwise step.
    assert "depthwise 5x5/2" in report and "conv 3x3/2 (patch rows + GEMM)" in report and "linear (GEMM)" in report
    assert "Conv) + node 5 'expand_act'" not in report  # labels name nodes, not values
    planned, unplanned = _run(m, x, True), _run(m, x, False)
    ref = ort.InferenceSession(plan_model, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    scale = np.abs(ref).max()
    assert scale > 0.1
    np.testing.assert_allclose(planned, unplanned, rtol=0, atol=2e-5 * scale)
    np.testing.assert_allclose(planned, ref, rtol=0, atol=2e-5 * scale)


@pytest.mark.parametrize("batch", [1, 4])  # at batch 1 the dense 3x3/2's columns are split between workers
def test_planned_results_do_not_depend_on_the_thread_count(plan_model, batch):
    m = swiftnn.onnx.load(plan_model)
    x = np.random.default_rng(5).standard_normal((batch, 5, 23, 19)).astype(np.float32)
    before = swiftnn.get_num_threads()
    try:
        outs = []
        for t in (1, 2, 3):
            swiftnn.set_num_threads(t)
            outs.append(_run(m, x, True))
    finally:
        swiftnn.set_num_threads(before)
    for o in outs[1:]:
        np.testing.assert_array_equal(outs[0], o)


def test_a_written_initializer_rebuilds_the_plan(plan_model):
    m = swiftnn.onnx.load(plan_model)
    x = np.random.default_rng(6).standard_normal((2, 5, 23, 19)).astype(np.float32)
    first = _run(m, x, True)
    w = m.state_dict()["fc2_w"]
    with swiftnn.no_grad():
        w.mul_(2.0)
    second, unplanned = _run(m, x, True), _run(m, x, False)
    assert np.abs(second - first).max() > 1e-3
    np.testing.assert_allclose(second, unplanned, rtol=0, atol=2e-5 * np.abs(unplanned).max())


def test_graphs_outside_the_plan_run_node_by_node_and_say_why(tmp_path):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, 8, 8])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2, 8, 8])
    node = helper.make_node("Tanh", ["input"], ["output"])
    path = str(tmp_path / "tanh.onnx")
    onnx.save(helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)]), path)
    m = swiftnn.onnx.load(path)
    a = np.linspace(-3, 3, 128, dtype=np.float32).reshape(1, 2, 8, 8)
    report = m.plan_report(a)
    assert report.startswith("no inference plan") and "Tanh is not in the plan's op set" in report, report
    with swiftnn.no_grad():
        np.testing.assert_allclose(m(swiftnn.from_numpy(a)).numpy(), np.tanh(a), rtol=0, atol=1e-6)


# (op, attributes, after a convolution): ResNet's and GoogLeNet's max pools, DenseNet's and
# Inception's averages, and the edges: asymmetric and wide padding, ceil mode with a last window
# in the padding, dilation, auto_pad; on the caller's input (5 channels at a pitch of 16) or
# after a planned convolution (20 channels at 32).
POOL_CASES = [
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), True),
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), False),
    ("MaxPool", dict(kernel_shape=[2, 2], strides=[2, 2]), False),
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), False),
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1), False),
    ("MaxPool", dict(kernel_shape=[2, 3], strides=[1, 2], pads=[0, 1, 1, 0]), False),
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[2, 2, 2, 2]), False),
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[1, 1], dilations=[2, 2], pads=[1, 1, 1, 1]), False),
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"), False),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]), True),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]), False),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=1), False),
    ("AveragePool", dict(kernel_shape=[2, 2], strides=[2, 2]), False),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1), False),
]


def _pool_graph(op, attrs, conv_first, seed):
    rng = np.random.default_rng(seed)
    nodes, inits, c = [], [], 5
    x = "input"
    if conv_first:
        x, c = _conv(nodes, inits, rng, x, 5, 20, 3, "conv"), 20
    nodes.append(helper.make_node(op, [x], ["output"], **attrs))
    return _model(nodes, inits, "pool", [5, 17, 15])


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pools_are_planned_with_the_node_by_node_bits(tmp_path, case):
    ort = pytest.importorskip("onnxruntime")
    op, attrs, conv_first = POOL_CASES[case]
    path = str(tmp_path / "pool.onnx")
    onnx.save(_pool_graph(op, attrs, conv_first, case), path)
    m = swiftnn.onnx.load(path)
    x = np.random.default_rng(case).standard_normal((2, 5, 17, 15)).astype(np.float32)
    report = m.plan_report(x)
    assert report.startswith("inference plan for input") and f"{'max' if op == 'MaxPool' else 'average'} pool" in report, report
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    planned = _run(m, x, True)
    assert planned.shape == ref.shape
    np.testing.assert_allclose(planned, ref, rtol=0, atol=1e-5 * np.abs(ref).max())
    if op == "MaxPool" and not conv_first:
        x[1, 2, 4, 6] = np.nan   # NaN wins its windows, as in PyTorch (onnxruntime's MaxPool skips it)
    planned, unplanned = _run(m, x, True), _run(m, x, False)
    if conv_first:   # the planned convolution sums in another order than the node's
        np.testing.assert_allclose(planned, unplanned, rtol=0, atol=2e-5 * np.abs(unplanned).max())
    else:            # the pool alone: the same comparisons and additions in the same order
        np.testing.assert_array_equal(planned, unplanned)
        assert np.isnan(planned).any() == (op == "MaxPool")


def test_narrow_networks_run_node_by_node_and_say_why(tmp_path):
    # LeNet-5's shape: 6 output channels, then 16 (the plan was 1.8x slower at batch 256).
    rng = np.random.default_rng(4)
    nodes, inits = [], []
    a = _conv(nodes, inits, rng, "input", 1, 6, 5, "c1")
    nodes.append(helper.make_node("MaxPool", [a], ["p1"], kernel_shape=[2, 2], strides=[2, 2]))
    b = _conv(nodes, inits, rng, "p1", 6, 16, 5, "c2", pads=[0, 0, 0, 0])
    nodes.append(helper.make_node("MaxPool", [b], ["output"], kernel_shape=[2, 2], strides=[2, 2]))
    path = str(tmp_path / "lenet.onnx")
    onnx.save(_model(nodes, inits, "lenet", [1, 28, 28]), path)
    m = swiftnn.onnx.load(path)
    x = np.random.default_rng(5).standard_normal((2, 1, 28, 28)).astype(np.float32)
    report = m.plan_report(x)
    assert report.startswith("no inference plan") and "fewer than 16 output channels take 72%" in report, report
    assert _run(m, x, True).shape == (2, 16, 5, 5)


# (input channels, output channels, height, width, ONNX pads [top, left, bottom, right], batch):
# ResNet's basic block; odd sizes (partial tiles at the right and bottom); channels that are
# not a multiple of 16 (zeros in the pitch) and an odd number of output panels; no padding;
# padding 2 and asymmetric padding; tile blocks across images; wide layers on a small plane
# (the output channels split between workers, as ResNet-18's 7x7 layers).
WINOGRAD_CASES = [
    (64, 64, 12, 12, [1, 1, 1, 1], 1),
    (64, 64, 13, 11, [1, 1, 1, 1], 3),
    (50, 72, 9, 17, [1, 1, 1, 1], 2),
    (32, 48, 10, 9, [0, 0, 0, 0], 1),
    (48, 64, 7, 8, [2, 2, 2, 2], 1),
    (64, 48, 11, 10, [0, 1, 2, 1], 2),
    (256, 256, 7, 7, [1, 1, 1, 1], 1),
]


def _winograd_graph(c, k, h, w, pads, seed):
    # Conv + BN + Relu, then Conv + residual Add + Relu (the residual: the first output when
    # the shapes agree), so both epilogues of the Winograd step run.
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    a = _conv(nodes, inits, rng, "input", c, k, 3, "w1", pads=pads)
    a = _bn(nodes, inits, rng, a, k, "w1_bn")
    nodes.append(helper.make_node("Relu", [a], ["r1"]))
    b = _conv(nodes, inits, rng, "r1", k, k, 3, "w2")
    nodes.append(helper.make_node("Add", [b, "r1"], ["sum"]))
    nodes.append(helper.make_node("Relu", ["sum"], ["output"]))
    return _model(nodes, inits, "winograd", [c, h, w])


@pytest.mark.parametrize("case", WINOGRAD_CASES, ids=[f"{c}to{k}_{h}x{w}_pads{''.join(map(str, p))}_b{n}"
                                                      for c, k, h, w, p, n in WINOGRAD_CASES])
def test_three_by_three_layers_run_by_winograd_in_the_plan(tmp_path, case):
    ort = pytest.importorskip("onnxruntime")
    c, k, h, w, pads, batch = case
    path = str(tmp_path / "winograd.onnx")
    onnx.save(_winograd_graph(c, k, h, w, pads, seed=c + k + h), path)
    m = swiftnn.onnx.load(path)
    x = np.random.default_rng(batch).standard_normal((batch, c, h, w)).astype(np.float32)
    report = m.plan_report(x)
    assert report.startswith("inference plan for input") and report.count("conv 3x3/1 (Winograd)") == 2, report
    planned, unplanned = _run(m, x, True), _run(m, x, False)
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    scale = np.abs(ref).max()
    assert scale > 0.1 and planned.shape == ref.shape
    np.testing.assert_allclose(planned, ref, rtol=0, atol=2e-5 * scale)
    np.testing.assert_allclose(planned, unplanned, rtol=0, atol=2e-5 * scale)
    # Tiles and output channels are split by the thread count; every output is the same chain.
    before = swiftnn.get_num_threads()
    try:
        for t in (1, 3):
            swiftnn.set_num_threads(t)
            np.testing.assert_array_equal(_run(m, x, True), planned)
    finally:
        swiftnn.set_num_threads(before)


def test_winograd_forwards_while_another_thread_changes_the_thread_count(tmp_path):
    # The Winograd step's scratch is sized by its split, which follows the worker count: a
    # forward sizes and splits for the count it started with, whatever another thread sets.
    import threading
    path = str(tmp_path / "winograd.onnx")
    onnx.save(_winograd_graph(256, 256, 7, 7, [1, 1, 1, 1], seed=3), path)
    m = swiftnn.onnx.load(path)
    x = np.random.default_rng(0).standard_normal((1, 256, 7, 7)).astype(np.float32)
    before = swiftnn.get_num_threads()
    ref = _run(m, x, True)
    stop = threading.Event()

    def toggle():
        i = 0
        while not stop.is_set():
            swiftnn.set_num_threads(1 + i % 3)
            i += 1

    t = threading.Thread(target=toggle)
    t.start()
    try:
        for _ in range(200):
            np.testing.assert_array_equal(_run(m, x, True), ref)
    finally:
        stop.set()
        t.join()
        swiftnn.set_num_threads(before)


def test_three_by_three_layers_outside_the_winograd_rule_take_patch_rows(tmp_path):
    # 24 channels (under the rule's 32) and a dilated 3x3: patch rows, as before.
    rng = np.random.default_rng(8)
    nodes, inits = [], []
    a = _conv(nodes, inits, rng, "input", 32, 24, 3, "narrow3x3")
    _conv(nodes, inits, rng, a, 24, 64, 3, "dilated", dilation=2)
    nodes[-1].output[0] = "output"
    path = str(tmp_path / "g.onnx")
    onnx.save(_model(nodes, inits, "g", [32, 12, 12]), path)
    m = swiftnn.onnx.load(path)
    x = np.random.default_rng(0).standard_normal((2, 32, 12, 12)).astype(np.float32)
    report = m.plan_report(x)
    assert "Winograd" not in report and report.count("conv 3x3/1 (patch rows + GEMM)") == 2, report
    np.testing.assert_allclose(_run(m, x, True), _run(m, x, False), rtol=0, atol=2e-5 * np.abs(_run(m, x, False)).max())


def test_average_pools_the_plan_does_not_divide_alike_run_node_by_node(tmp_path):
    path = str(tmp_path / "pool.onnx")
    onnx.save(_pool_graph("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1]), True, 1), path)
    report = swiftnn.onnx.load(path).plan_report(np.zeros((1, 5, 17, 15), np.float32))
    assert report.startswith("no inference plan") and "asymmetric or wide padding" in report, report


def test_plan_report_profiles_each_step(plan_model):
    m = swiftnn.onnx.load(plan_model)
    x = np.zeros((1, 5, 23, 19), np.float32)
    report = m.plan_report(x, runs=3)
    assert "forward: median" in report and "by kind (ms, share):" in report
    steps = [line for line in report.splitlines()[report.splitlines().index("steps (ms):") + 1:]]
    assert len(steps) >= 9
    with pytest.raises(swiftnn.InvalidArgumentError, match="runs is -1"):
        m.plan_report(x, runs=-1)
    with pytest.raises(swiftnn.ShapeError):
        m.plan_report(np.zeros((1, 4, 23, 19), np.float32))


def _small_net():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(17, 24, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU6(),
                                      nn.Conv2d(24, 24, 3, padding=1, groups=24, bias=False), nn.BatchNorm2d(24), nn.ReLU6(),
                                      nn.Conv2d(24, 17, 1, bias=False), nn.BatchNorm2d(17))

        def forward(self, x):
            return x + self.body(x)

    net = nn.Sequential(nn.Conv2d(3, 17, 3, stride=2, padding=1), nn.BatchNorm2d(17), nn.ReLU(), Block(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(17, 4))
    rng = np.random.default_rng(2)
    state = {}
    for k, v in net.state_dict().items():
        if v.dtype == swiftnn.float32:
            a = rng.uniform(-0.5, 0.5, tuple(v.shape)).astype(np.float32)
            state[k] = a + 1.0 if k.endswith("running_var") else a
    net.load_state_dict(state, strict=False)
    return net


def test_compile_runs_a_native_model_planned_and_sees_in_place_updates():
    net = _small_net().eval()
    compiled = swiftnn.compile(net)
    x = swiftnn.from_numpy(np.random.default_rng(3).standard_normal((2, 3, 16, 16)).astype(np.float32))
    with swiftnn.no_grad():
        eager, planned = net(x).numpy(), compiled(x).numpy()
    np.testing.assert_allclose(planned, eager, rtol=0, atol=1e-5 * np.abs(eager).max())
    assert compiled.plan_report(x).startswith("inference plan for input [2, 3, 16, 16]")
    with swiftnn.no_grad():
        net[6].weight.mul_(-1.0)       # an optimizer step or load_state_dict writes in place too
        eager2, planned2 = net(x).numpy(), compiled(x).numpy()
    np.testing.assert_allclose(planned2, eager2, rtol=0, atol=1e-5 * np.abs(eager2).max())
    assert np.abs(planned2 - planned).max() > 1e-3


def test_compiled_calls_that_record_gradients_reach_the_parameters():
    net = _small_net()
    compiled = swiftnn.compile(net)
    x = swiftnn.from_numpy(np.random.default_rng(4).standard_normal((2, 3, 16, 16)).astype(np.float32))
    net.train()
    compiled(x).sum().backward()                 # training mode: the model itself
    assert net[0].weight.grad is not None
    net.zero_grad()
    net.eval()
    compiled(x).sum().backward()                 # eval with grad: recorded ops, not the plan
    g = net[0].weight.grad.numpy().copy()
    net.zero_grad()
    net(x).sum().backward()
    np.testing.assert_allclose(g, net[0].weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_compile_accepts_torch_compile_arguments():
    net = _small_net().eval()
    assert swiftnn.compile(net, disable=True) is net
    c = swiftnn.compile(net, mode="max-autotune", fullgraph=True, dynamic=False)
    assert repr(c).startswith("CompiledModule(")
    assert c.state_dict().keys() == net.state_dict().keys()


def test_an_images_outputs_do_not_depend_on_its_batch(plan_model):
    m = swiftnn.onnx.load(plan_model)
    x = np.random.default_rng(9).standard_normal((5, 5, 23, 19)).astype(np.float32)
    whole = _run(m, x, True)
    for i in range(5):
        np.testing.assert_array_equal(whole[i], _run(m, x[i:i + 1], True)[0])
