"""swiftnn.onnx export and import of recurrent models, proven by onnx and onnxruntime: a
char-RNN (Embedding -> 2-layer LSTM -> Linear, a user-subclassed nn.Module) and a
bidirectional batch-first GRU pass onnx.checker.check_model(full_check=True), give SwiftNN's
outputs in onnxruntime within 1e-5 at two batch sizes, and load back into swiftnn with the same
outputs. The recurrent layers become ONNX LSTM / GRU / RNN nodes (one per layer) with the gate
rows reordered (PyTorch LSTM i, f, g, o -> ONNX i, o, f, c; GRU r, z, n -> z, r, h with
linear_before_reset = 1)."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest

import swiftnn
from swiftnn import nn

TOL = dict(rtol=1e-5, atol=1e-5)
VOCAB, T = 11, 7


class CharRNN(nn.Module):
    """Embedding -> 2-layer LSTM (time-major) -> Linear; returns logits and the final states."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 6)
        self.lstm = nn.LSTM(6, 8, num_layers=2)
        self.head = nn.Linear(8, VOCAB)

    def forward(self, idx):                       # idx [B, T] int64
        e = self.embed(idx).transpose(0, 1)        # [T, B, 6]
        out, (h, c) = self.lstm(e)                 # [T, B, 8], [2, B, 8]
        return self.head(out.transpose(0, 1)), h, c


class BiGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 4, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):                         # x [B, T, 5]
        out, h = self.gru(x)                       # [B, T, 8], [2, B, 4]
        return self.fc(out), h


class LengthsLSTM(nn.Module):
    """Padded batches: lengths become ONNX sequence_lens; a given initial state initial_h/c."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[mode]
        self.rnn = cls(3, 5, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x, lengths):
        out, state = self.rnn(x, lengths=lengths)
        return out, (state[0] if self.mode == "lstm" else state)


def chars(b):
    return swiftnn.tensor(np.random.randint(0, VOCAB, size=(b, T)).astype(np.int64))


def cases():
    return {
        "char_lstm": (CharRNN, lambda b: (chars(b),), 3, 5),
        "bigru": (BiGRU, lambda b: (swiftnn.randn(b, T, 5),), 2, 6),
    }


@pytest.fixture(scope="module", params=["char_lstm", "bigru"])
def exported(request, tmp_path_factory):
    swiftnn.manual_seed(7)
    np.random.seed(7)
    make, inputs, batch, other = cases()[request.param]
    model = make()
    model.eval()
    path = str(tmp_path_factory.mktemp("onnxrnn") / f"{request.param}.onnx")
    swiftnn.onnx.export(model, inputs(batch), path)
    return request.param, model, inputs, (batch, other), path


def _as_list(r):
    return [t.detach().numpy() for t in (r if isinstance(r, (tuple, list)) else (r,))]


def test_checker_accepts_the_file(exported):
    name, model, _, _, path = exported
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    if name == "char_lstm":
        assert ops.count("LSTM") == 2 and "Gather" in ops
        assert {"embed.weight", "head.weight", "head.bias"} <= {i.name for i in m.graph.initializer}
    else:
        gru = [n for n in m.graph.node if n.op_type == "GRU"]
        assert len(gru) == 1
        attrs = {a.name: a for a in gru[0].attribute}
        assert attrs["linear_before_reset"].i == 1 and attrs["direction"].s == b"bidirectional"
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_onnxruntime_matches_at_two_batch_sizes(exported):
    name, model, inputs, batches, path = exported
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for b in batches:
        xs = inputs(b)
        ref = _as_list(model(*xs))
        got = sess.run(None, {i.name: x.numpy() for i, x in zip(sess.get_inputs(), xs)})
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert g.shape == r.shape
            np.testing.assert_allclose(g, r, **TOL, err_msg=f"{name}, batch {b}")


def test_swiftnn_loads_the_file_back(exported):
    name, model, inputs, batches, path = exported
    back = swiftnn.onnx.load(path)
    for b in batches:
        xs = inputs(b)
        ref = _as_list(model(*xs))
        got = _as_list(back(*xs))
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r, **TOL, err_msg=f"{name}, batch {b}")


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn"])
def test_lengths_become_sequence_lens(tmp_path, mode):
    swiftnn.manual_seed(11)
    m = LengthsLSTM(mode).eval()
    x, lengths = swiftnn.randn(4, 6, 3), swiftnn.tensor(np.array([6, 2, 5, 1], dtype=np.int64))
    p = str(tmp_path / f"{mode}_len.onnx")
    swiftnn.onnx.export(m, (x, lengths), p, input_names=["x", "lengths"])
    onnx.checker.check_model(onnx.load(p), full_check=True)
    sess = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
    back = swiftnn.onnx.load(p)
    for b in (4, 3):
        x = swiftnn.randn(b, 6, 3)
        lengths = swiftnn.tensor(np.random.randint(1, 7, size=b).astype(np.int64))
        ref = _as_list(m(x, lengths))
        got = sess.run(None, {"x": x.numpy(), "lengths": lengths.numpy()})
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r, **TOL)
        for g, r in zip(_as_list(back(x, lengths)), ref):
            np.testing.assert_allclose(g, r, **TOL)


def _node_model(op, attrs, D=1, H=3, I=2, G=4):
    from onnx import helper, TensorProto
    rng = np.random.default_rng(0)
    W = rng.standard_normal((D, G * H, I)).astype(np.float32)
    R = rng.standard_normal((D, G * H, H)).astype(np.float32)
    node = helper.make_node(op, ["X", "W", "R"], ["Y", "Y_h"], hidden_size=H, **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 2, I])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, None)],
                          [onnx.numpy_helper.from_array(W, "W"), onnx.numpy_helper.from_array(R, "R")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("op,G", [("LSTM", 4), ("GRU", 3), ("RNN", 1)])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_imported_nodes_match_onnxruntime(tmp_path, op, G, direction):
    D = 2 if direction == "bidirectional" else 1
    attrs = dict(direction=direction)
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    p = str(tmp_path / "n.onnx")
    onnx.save(_node_model(op, attrs, D=D, G=G), p)
    x = np.random.default_rng(1).standard_normal((4, 2, 2)).astype(np.float32)
    ref = ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"X": x})
    got = swiftnn.onnx.load(p).run(None, {"X": x})
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, **TOL)


def _full_node_model(op, direction, T=5, B=3, H=4, I=2):
    """One LSTM (with peepholes) or GRU (linear_before_reset = 0) node with every input: biases,
    sequence_lens, initial states; the forms the engine's fused layers cannot run."""
    from onnx import helper, TensorProto
    D, G = (2 if direction == "bidirectional" else 1), (4 if op == "LSTM" else 3)
    rng = np.random.default_rng(2)
    init = {"W": rng.standard_normal((D, G * H, I)), "R": rng.standard_normal((D, G * H, H)),
            "B": rng.standard_normal((D, 2 * G * H)), "initial_h": rng.standard_normal((D, B, H))}
    names = ["X", "W", "R", "B", "sequence_lens", "initial_h"]
    attrs = dict(hidden_size=H, direction=direction)
    outputs = ["Y", "Y_h"]
    if op == "LSTM":
        init["initial_c"], init["P"] = rng.standard_normal((D, B, H)), rng.standard_normal((D, 3 * H))
        names += ["initial_c", "P"]
        outputs.append("Y_c")
    else:
        attrs["linear_before_reset"] = 0
    node = helper.make_node(op, names, outputs, **attrs)
    inits = [onnx.numpy_helper.from_array(v.astype(np.float32), k) for k, v in init.items()]
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I]),
                                        helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [B])],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_peepholes_and_reset_before_linear_match_onnxruntime(tmp_path, op, direction):
    """LSTM peepholes and GRU linear_before_reset = 0 run unrolled from engine ops; onnxruntime
    is the reference, with ragged sequence_lens (the padded steps output zeros and keep the
    state) and initial states. onnxruntime wants int32 lengths, SwiftNN's graph int64."""
    p = str(tmp_path / "n.onnx")
    onnx.save(_full_node_model(op, direction), p)
    x = np.random.default_rng(3).standard_normal((5, 3, 2)).astype(np.float32)
    lens = np.array([5, 2, 4], dtype=np.int32)
    ref = ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"X": x, "sequence_lens": lens})
    got = swiftnn.onnx.load(p).run(None, {"X": x, "sequence_lens": lens.astype(np.int64)})
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, **TOL)


def test_unsupported_recurrent_attributes_are_clear_errors(tmp_path):
    p = str(tmp_path / "g.onnx")
    onnx.save(_node_model("GRU", dict(linear_before_reset=0, clip=1.0), G=3), p)
    with pytest.raises(swiftnn.UnsupportedError, match="clip"):
        swiftnn.onnx.load(p)
    onnx.save(_node_model("LSTM", dict(activations=["Sigmoid", "Relu", "Tanh"])), p)
    with pytest.raises(swiftnn.UnsupportedError, match="activations"):
        swiftnn.onnx.load(p)


class WithState(nn.Module):
    """An LSTM given its initial states (initial_h / initial_c of each stacked node)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)

    def forward(self, x, h0, c0):
        out, (h, c) = self.lstm(x, (h0, c0))
        return out, h, c


def test_initial_states_and_unbatched_input(tmp_path):
    swiftnn.manual_seed(5)
    m = WithState().eval()
    # The symbolic batch is dim 0 of every input, which is not the batch here: one size only.
    x, h0, c0 = swiftnn.randn(5, 2, 3), swiftnn.randn(4, 2, 4), swiftnn.randn(4, 2, 4)
    p = str(tmp_path / "state.onnx")
    swiftnn.onnx.export(m, (x, h0, c0), p)
    onnx.checker.check_model(onnx.load(p), full_check=True)
    ref = _as_list(m(x, h0, c0))
    got = ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(
        None, {"input_0": x.numpy(), "input_1": h0.numpy(), "input_2": c0.numpy()})
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, **TOL)
    for g, r in zip(_as_list(swiftnn.onnx.load(p)(x, h0, c0)), ref):
        np.testing.assert_allclose(g, r, **TOL)

    class Unbatched(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4)

        def forward(self, x):
            return self.gru(x)[0]

    u = Unbatched().eval()
    x = swiftnn.randn(6, 3)  # [T, I]
    swiftnn.onnx.export(u, x, p)
    onnx.checker.check_model(onnx.load(p), full_check=True)
    (got,) = ort.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})
    np.testing.assert_allclose(got, u(x).detach().numpy(), **TOL)


def test_dropout_between_layers_in_training_mode_is_a_clear_error(tmp_path):
    class Dropped(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)

        def forward(self, x):
            return self.lstm(x)[0]

    m = Dropped()
    m.train()
    with pytest.raises(swiftnn.InvalidArgumentError, match="eval"):
        swiftnn.onnx.export(m, swiftnn.randn(5, 2, 3), str(tmp_path / "d.onnx"))
