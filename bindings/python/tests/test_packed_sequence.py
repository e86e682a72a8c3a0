"""swiftnn.nn.utils.rnn against PyTorch: nn.LSTM / GRU / RNN on PackedSequences (unsorted lengths
with enforce_sorted=False, sorted, batch_first, bidirectional, two layers) loaded with PyTorch's
state_dicts (Tests/golden/packed_sequences.safetensors, tools/gen_golden_packed.py): packed data,
batch_sizes, the padded output, h_n / c_n and the input's gradient through packing; then
pad_sequence / pack_sequence / unpack by hand, and errors."""
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
from swiftnn.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence,
                                  pad_sequence, unpack_sequence)
from conftest import GOLDEN

G = load_file(os.path.join(GOLDEN, "packed_sequences.safetensors"))
CASES = {
    "lstm_unsorted": (lambda: nn.LSTM(3, 4), False, False),
    "gru_sorted": (lambda: nn.GRU(3, 5), False, True),
    "lstm_bf_bidir": (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), True, False),
    "rnn_relu": (lambda: nn.RNN(2, 3, nonlinearity="relu"), False, False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_recurrent_layers_on_packed_sequences_match_pytorch(name):
    make, batch_first, enforce_sorted = CASES[name]
    m = make()
    prefix = f"{name}.state."
    m.load_state_dict({k[len(prefix):]: swiftnn.from_numpy(v.copy()) for k, v in G.items() if k.startswith(prefix)})
    x = swiftnn.from_numpy(G[f"{name}.x"].copy()).requires_grad_()
    lengths = G[f"{name}.lengths"].tolist()
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    assert isinstance(packed, PackedSequence)
    assert packed.batch_sizes.tolist() == G[f"{name}.batch_sizes"].tolist()
    out, hidden = m(packed)
    assert isinstance(out, PackedSequence) and out.batch_sizes.tolist() == packed.batch_sizes.tolist()
    tol = dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.data.detach().numpy(), G[f"{name}.out_data"], err_msg="packed output", **tol)
    padded, lens = pad_packed_sequence(out, batch_first=batch_first)
    np.testing.assert_allclose(padded.detach().numpy(), G[f"{name}.out_padded"], err_msg="padded output", **tol)
    assert lens.tolist() == lengths
    h = hidden[0] if isinstance(hidden, tuple) else hidden
    np.testing.assert_allclose(h.detach().numpy(), G[f"{name}.h_n"], err_msg="h_n", **tol)
    if isinstance(hidden, tuple):
        np.testing.assert_allclose(hidden[1].detach().numpy(), G[f"{name}.c_n"], err_msg="c_n", **tol)
    loss = (out.data * swiftnn.from_numpy(G[f"{name}.gout"].copy())).sum() + \
        (h * swiftnn.from_numpy(G[f"{name}.gh"].copy())).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), G[f"{name}.grad_x"], err_msg="input gradient", **tol)


def test_padding_helpers_by_hand():
    a, b, c = swiftnn.tensor([1.0, 2.0, 3.0]), swiftnn.tensor([4.0]), swiftnn.tensor([5.0, 6.0])
    assert pad_sequence([a, b, c]).tolist() == [[1, 4, 5], [2, 0, 6], [3, 0, 0]]
    assert pad_sequence([a, b], batch_first=True, padding_value=-1).tolist() == [[1, 2, 3], [4, -1, -1]]
    assert pad_sequence([a, b], batch_first=True, padding_side="left").tolist() == [[1, 2, 3], [0, 0, 4]]
    packed = pack_sequence([a, b, c], enforce_sorted=False)
    assert packed.data.tolist() == [1, 5, 4, 2, 6, 3] and packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.sorted_indices.tolist() == [0, 2, 1] and packed.unsorted_indices.tolist() == [0, 2, 1]
    assert [s.tolist() for s in unpack_sequence(packed)] == [[1, 2, 3], [4], [5, 6]]
    padded, lens = pad_packed_sequence(packed, total_length=4, padding_value=9)
    assert padded.tolist() == [[1, 4, 5], [2, 9, 6], [3, 9, 9], [9, 9, 9]] and lens.tolist() == [3, 1, 2]


def test_errors():
    x = swiftnn.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        pack_padded_sequence(x, [2, 0, 1], enforce_sorted=False)
    with pytest.raises(ValueError, match="equal to batch_size"):
        pack_padded_sequence(x, [2, 1])
    with pytest.raises(ValueError, match="total_length"):
        pad_packed_sequence(pack_padded_sequence(x, [4, 2, 1]), total_length=3)
