#!/usr/bin/env python3
"""Writes Tests/golden/packed_sequences.safetensors: PyTorch's nn.LSTM, nn.GRU and nn.RNN run on
PackedSequences (pack_padded_sequence with unsorted lengths and enforce_sorted=False, sorted
lengths with enforce_sorted=True, batch_first, bidirectional, two layers), with their
state_dicts, the padded inputs and lengths, pad_packed_sequence of the output, h_n (c_n), the
packed data and batch_sizes, and the gradient of the input. Read by
bindings/python/tests/test_packed_sequence.py. Needs torch (tools only).

    python3 tools/gen_golden_packed.py
"""
import os

import numpy as np
import torch
from safetensors.numpy import save_file
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden", "packed_sequences.safetensors")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    t = {}
    cases = [
        ("lstm_unsorted", torch.nn.LSTM(3, 4), [5, 2, 4], False, False),
        ("gru_sorted", torch.nn.GRU(3, 5), [6, 4, 1], False, True),
        ("lstm_bf_bidir", torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), [3, 6, 2, 5], True, False),
        ("rnn_relu", torch.nn.RNN(2, 3, nonlinearity="relu"), [2, 4], False, False),
    ]
    for name, m, lengths, batch_first, enforce_sorted in cases:
        for k, v in m.state_dict().items():
            t[f"{name}.state.{k}"] = v.detach().numpy().copy()
        steps = max(lengths)
        shape = (len(lengths), steps, m.input_size) if batch_first else (steps, len(lengths), m.input_size)
        x = torch.randn(shape)
        t[f"{name}.x"] = x.numpy().copy()
        t[f"{name}.lengths"] = np.array(lengths, np.int64)
        leaf = x.clone().requires_grad_(True)
        packed = pack_padded_sequence(leaf, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
        t[f"{name}.batch_sizes"] = packed.batch_sizes.numpy().copy()
        out, hidden = m(packed)
        t[f"{name}.out_data"] = out.data.detach().numpy().copy()
        padded, lens = pad_packed_sequence(out, batch_first=batch_first)
        t[f"{name}.out_padded"] = padded.detach().numpy().copy()
        h = hidden[0] if isinstance(hidden, tuple) else hidden
        t[f"{name}.h_n"] = h.detach().numpy().copy()
        if isinstance(hidden, tuple):
            t[f"{name}.c_n"] = hidden[1].detach().numpy().copy()
        g = torch.randn(out.data.shape)
        gh = torch.randn(h.shape)
        t[f"{name}.gout"] = g.numpy().copy()
        t[f"{name}.gh"] = gh.numpy().copy()
        torch.autograd.backward([out.data, h], [g, gh])
        t[f"{name}.grad_x"] = leaf.grad.numpy().copy()
    save_file({k: np.ascontiguousarray(v) for k, v in t.items()}, OUT)
    print(f"wrote {OUT}: {len(t)} tensors")


if __name__ == "__main__":
    main()
