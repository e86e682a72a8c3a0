#!/usr/bin/env python3
"""Writes Tests/golden/lstm_torch_state.safetensors: a PyTorch nn.LSTM(5, 6, num_layers=2,
bidirectional=True) state dict under its own keys, plus an input, initial states and PyTorch's
outputs, for the tests that load it into swiftnn's LSTM (Swift, Python):

    input [4, 3, 5], h0, c0 [4, 3, 6]        -> out.output [4, 3, 12], out.h_n, out.c_n [4, 3, 6]
    the same with lengths [4, 2, 3] (packed) -> packed.output, packed.h_n, packed.c_n

Run by hand (needs torch); the output is committed.
"""
import os

import torch
from safetensors.torch import save_file
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(11)
lstm = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True)
x = torch.randn(4, 3, 5)
h0, c0 = torch.randn(4, 3, 6) * 0.5, torch.randn(4, 3, 6) * 0.5
lengths = torch.tensor([4, 2, 3])
with torch.no_grad():
    out, (h_n, c_n) = lstm(x, (h0, c0))
    packed, (ph, pc) = lstm(pack_padded_sequence(x, lengths, enforce_sorted=False), (h0, c0))
    pout, _ = pad_packed_sequence(packed, total_length=4)
tensors = {k: v.detach().clone().contiguous() for k, v in lstm.state_dict().items()}
tensors.update({"input": x, "h0": h0, "c0": c0, "lengths": lengths,
                "out.output": out, "out.h_n": h_n, "out.c_n": c_n,
                "packed.output": pout, "packed.h_n": ph, "packed.c_n": pc})
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden", "lstm_torch_state.safetensors")
save_file(tensors, path, metadata={"format": "pt"})
print(f"wrote {os.path.normpath(path)}: {len(tensors)} tensors, torch {torch.__version__}")
