"""swiftnn.nn's recurrent layers as a PyTorch user writes them: signatures, lengths=, a PyTorch
state dict giving PyTorch's outputs (Tests/golden/lstm_torch_state.safetensors), checkpoints,
training with truncated BPTT, embedding, exceptions, fork."""
import gc
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
from swiftnn._lib import check, lib
from swiftnn.nn import recurrent as R
from conftest import GOLDEN

TORCH_STATE = os.path.join(GOLDEN, "lstm_torch_state.safetensors")


def test_parameters_have_pytorch_names_order_and_shapes():
    m = nn.LSTM(5, 6, num_layers=2, bidirectional=True)
    names = [f"{w}_l{l}{s}" for l in range(2) for s in ("", "_reverse") for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert list(m.state_dict()) == names
    assert [n for n, _ in m.named_parameters()] == names
    assert tuple(m.weight_ih_l1_reverse.shape) == (24, 12) and m.weight_ih_l1_reverse.requires_grad
    assert (m.input_size, m.hidden_size, m.num_layers, m.bidirectional, m.batch_first) == (5, 6, 2, True, False)
    assert list(nn.GRUCell(3, 4).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert list(nn.RNN(3, 4, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert "LSTM(5, 6, num_layers=2, bidirectional=True)" in repr(m)


def test_a_pytorch_lstm_state_dict_gives_pytorchs_outputs():
    f = load_file(TORCH_STATE)
    m = nn.LSTM(5, 6, num_layers=2, bidirectional=True)
    m.load_state_dict({k: f[k] for k in m.state_dict()})
    x, h0, c0 = (swiftnn.from_numpy(f[k]) for k in ("input", "h0", "c0"))
    for prefix, kwargs in (("out", {}), ("packed", {"lengths": f["lengths"]})):
        out, (h, c) = m(x, (h0, c0), **kwargs)
        for got, key in ((out, "output"), (h, "h_n"), (c, "c_n")):
            np.testing.assert_allclose(got.detach().numpy(), f[f"{prefix}.{key}"], rtol=1e-4, atol=1e-5, err_msg=f"{prefix}.{key}")


def test_forward_signatures_and_shapes():
    x = swiftnn.randn(5, 3, 4)
    out, (h, c) = nn.LSTM(4, 6)(x)
    assert tuple(out.shape) == (5, 3, 6) and tuple(h.shape) == (1, 3, 6) and tuple(c.shape) == (1, 3, 6)
    out, h = nn.GRU(4, 6, num_layers=2, batch_first=True, bidirectional=True)(swiftnn.randn(3, 5, 4))
    assert tuple(out.shape) == (3, 5, 12) and tuple(h.shape) == (4, 3, 6)
    rnn = nn.RNN(4, 6, nonlinearity="relu")
    out, h = rnn(x, swiftnn.zeros(1, 3, 6))
    assert tuple(out.shape) == (5, 3, 6) and float(out.detach().numpy().min()) >= 0
    out, h = rnn(swiftnn.randn(5, 4))  # unbatched
    assert tuple(out.shape) == (5, 6) and tuple(h.shape) == (1, 6)
    h1, c1 = nn.LSTMCell(4, 6)(swiftnn.randn(3, 4), (swiftnn.zeros(3, 6), swiftnn.zeros(3, 6)))
    assert tuple(h1.shape) == (3, 6) and tuple(c1.shape) == (3, 6)
    assert tuple(nn.GRUCell(4, 6)(swiftnn.randn(3, 4)).shape) == (3, 6)
    assert tuple(nn.RNNCell(4, 6, nonlinearity="relu")(swiftnn.randn(4)).shape) == (6,)


def test_lengths_mask_padded_steps():
    m = nn.GRU(2, 3, batch_first=True)
    x = np.random.default_rng(0).standard_normal((2, 4, 2)).astype(np.float32)
    out, h = m(swiftnn.from_numpy(x), lengths=[4, 2])
    o = out.detach().numpy()
    assert np.all(o[1, 2:] == 0), "steps past a sequence's length output zeros"
    # h_n of the short sequence is its state after its last valid step, as if it were alone
    alone, h_alone = m(swiftnn.from_numpy(x[1:2, :2]))
    np.testing.assert_allclose(h.detach().numpy()[0, 1], h_alone.detach().numpy()[0, 0], rtol=1e-6)
    np.testing.assert_allclose(o[1, :2], alone.detach().numpy()[0], rtol=1e-6)


def test_functional_forms_take_weights_as_tensors():
    m = nn.LSTM(3, 4)
    x = swiftnn.randn(5, 2, 3)
    params = list(m.parameters())
    out, h, c = R.lstm(x, None, params)
    ref, (rh, rc) = m(x)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    h1, c1 = R.lstm_cell(swiftnn.randn(2, 3), None, *params)
    assert tuple(h1.shape) == (2, 4)


def test_checkpoints_rebuild_recurrent_models(tmp_path):
    for m in (nn.LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.5), nn.GRU(3, 2, bidirectional=True),
              nn.RNN(3, 2, nonlinearity="relu", batch_first=True)):
        m.eval()
        nn.save_model(m, tmp_path / "m.safetensors")
        back = nn.load_model(tmp_path / "m.safetensors").eval()  # loaded models start in training mode
        assert type(back) is type(m)
        assert (back.hidden_size, back.batch_first, back.bidirectional) == (m.hidden_size, m.batch_first, m.bidirectional)
        x = swiftnn.randn(2, 5, 3)
        with swiftnn.no_grad():
            np.testing.assert_array_equal(back(x)[0].numpy(), m(x)[0].numpy())
    e = nn.Embedding(6, 2, padding_idx=-1)
    nn.save_model(e, tmp_path / "e.safetensors")
    back = nn.load_model(tmp_path / "e.safetensors")
    assert back.padding_idx == 5 and back.num_embeddings == 6


def _sgd(params, lr):
    with swiftnn.no_grad():
        for p in params:
            new = p - p.grad * lr  # referenced until the call returns
            check(lib.snn_tensor_copy_(p._h, new._h))
            p.grad = None


def test_training_with_truncated_bptt_learns_a_leaky_running_sum():
    """Predict y_t = y_{t-1} / 2 + x_t from a scalar stream, trained in chunks of 10 steps with
    the state carried over (detached) between chunks: the loss must fall well below its start."""
    swiftnn.manual_seed(0)
    lstm, head = nn.LSTM(1, 8), nn.LSTM(8, 1)  # a 1-unit LSTM as the readout keeps this test recurrent-only
    rng = np.random.default_rng(1)
    stream = rng.uniform(-0.5, 0.5, (60, 4, 1)).astype(np.float32)
    target = np.zeros_like(stream)
    acc = np.zeros((4, 1), np.float32)
    for t in range(60):
        acc = 0.5 * acc + stream[t]
        target[t] = acc
    params = list(lstm.parameters()) + list(head.parameters())
    losses = []
    for epoch in range(30):
        state, state2, total = None, None, 0.0
        for t0 in range(0, 60, 10):
            out, state = lstm(swiftnn.from_numpy(stream[t0:t0 + 10]), state)
            y, state2 = head(out, state2)
            diff = y - swiftnn.from_numpy(target[t0:t0 + 10])
            loss = (diff * diff).mean()
            loss.backward()
            _sgd(params, 0.5)
            state = tuple(s.detach() for s in state)  # truncate BPTT at the chunk boundary
            state2 = tuple(s.detach() for s in state2)
            total += loss.item()
        losses.append(total)
    assert losses[-1] < 0.3 * losses[0], losses


def test_embedding_like_pytorch():
    e = nn.Embedding(10, 3, padding_idx=-2)
    assert e.padding_idx == 8 and np.all(e.weight.detach().numpy()[8] == 0)
    out = e(swiftnn.tensor([[1, 8, 1]]))
    assert tuple(out.shape) == (1, 3, 3)
    out.sum().backward()
    g = e.weight.grad.numpy()
    assert np.all(g[1] == 2) and np.all(g[8] == 0)
    with pytest.raises(IndexError, match="index 10"):
        e(swiftnn.tensor([10]))
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    f = nn.Embedding.from_pretrained(w)
    assert not f.weight.requires_grad
    np.testing.assert_array_equal(f(swiftnn.tensor([2, 0])).numpy(), w[[2, 0]])
    np.testing.assert_array_equal(R.embedding(swiftnn.tensor([1]), swiftnn.from_numpy(w), padding_idx=-1).numpy(), w[[1]])


def test_errors_are_exceptions_with_messages():
    m = nn.LSTM(3, 4)
    x = swiftnn.randn(5, 2, 3)
    with pytest.raises(swiftnn.ShapeError, match="h0 must have shape"):
        m(x, (swiftnn.zeros(1, 3, 4), swiftnn.zeros(1, 3, 4)))
    with pytest.raises(IndexError, match="lengths"):
        m(x, lengths=[6, 1])
    with pytest.raises(swiftnn.ShapeError, match="input must be"):
        m(swiftnn.randn(2))
    with pytest.raises(ValueError):
        nn.LSTM(0, 4)
    with pytest.raises(ValueError):
        nn.RNN(3, 4, nonlinearity="sigmoid")


def test_no_handles_leak():
    m = nn.LSTM(3, 4, num_layers=2)
    x = swiftnn.randn(5, 2, 3)
    out, (h, c) = m(x)
    out.sum().backward()
    del out, h, c
    m.zero_grad()
    gc.collect()  # count only what this test leaves alive
    before = swiftnn.live_handles()
    for _ in range(3):
        out, (h, c) = m(x, lengths=[5, 3])
        out.sum().backward()
        del out, h, c
        m.zero_grad()
    gc.collect()
    assert swiftnn.live_handles() == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_recurrent_layers():
    """The worker threads do not survive fork(); the child must start its own, not wait forever."""
    import signal
    import time
    m = nn.LSTM(64, 72)  # big enough to split each step over the workers
    x = swiftnn.randn(3, 16, 64)
    m(x)  # the parent's workers exist now
    pid = os.fork()
    if pid == 0:
        try:
            out, _ = m(x)
            os._exit(0 if tuple(out.shape) == (3, 16, 72) else 1)
        except BaseException:
            os._exit(2)
    deadline = time.time() + 60
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung in a recurrent forward")


# A child process that runs the LSTM, GRU and RNN forward and backward at 2 threads (sizes that
# reach the AVX-512 kernels' 8-, 4-, 2- and 1-row groups and an odd last panel) and writes its
# kernel set and every result's bytes.
_KERNEL_CHILD = r"""
import sys
import numpy as np
import swiftnn
from swiftnn import nn
swiftnn.set_num_threads(2)
rng = np.random.default_rng(7)
out = {"capability": swiftnn.backends.cpu.get_cpu_capability()}
for cell, hidden in (("LSTM", 80), ("GRU", 48), ("RNN", 100)):
    m = getattr(nn, cell)(24, hidden, num_layers=2)
    m.load_state_dict({name: rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.2
                       for name, p in m.named_parameters()})
    x = swiftnn.from_numpy(rng.standard_normal((9, 31, 24)).astype(np.float32))
    x.requires_grad = True
    y, _ = m(x)
    g = swiftnn.from_numpy(rng.standard_normal(tuple(y.shape)).astype(np.float32))
    y.backward(g)
    out[cell] = [y.detach().numpy().tobytes(), x.grad.detach().numpy().tobytes()] + [p.grad.detach().numpy().tobytes() for p in m.parameters()]
import pickle
sys.stdout.buffer.write(pickle.dumps(out))
"""


def _kernel_run(env_extra):
    import pickle
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "SWIFTNN_NO_AVX512"}
    env.update(env_extra)
    r = subprocess.run([sys.executable, "-c", _KERNEL_CHILD], env=env, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    return pickle.loads(r.stdout)


def test_both_kernel_sets_give_the_same_bits_through_the_library():
    """SWIFTNN_NO_AVX512 switches the step products to the AVX2 kernels, and every output and
    gradient of the three recurrent layers keeps its bits (each element is one FMA chain over k
    in order in both sets). Without AVX-512 on this CPU both runs use AVX2."""
    default, narrow = _kernel_run({}), _kernel_run({"SWIFTNN_NO_AVX512": "1"})
    assert narrow["capability"] in ("AVX2", "DEFAULT")
    assert default["capability"] in ("AVX512", "AVX2", "DEFAULT")
    cpu_flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if all(f in cpu_flags.split() for f in ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")):
        assert default["capability"] == "AVX512", "the CPU reports AVX-512 but the engine does not use it"
    for cell in ("LSTM", "GRU", "RNN"):
        assert len(default[cell]) == len(narrow[cell])
        for i, (a, b) in enumerate(zip(default[cell], narrow[cell])):
            assert a == b, f"{cell}: result {i} differs between {default['capability']} and {narrow['capability']}"
