#!/usr/bin/env python3
"""Writes Tests/golden/transformer_modules.safetensors: PyTorch's nn.TransformerDecoderLayer
(post- and pre-norm, masks), nn.TransformerDecoder and nn.Transformer with random weights,
fixed inputs, their state_dicts, outputs and the gradients of every input, which
bindings/python/tests/test_transformer_decoder.py loads into SwiftNN's modules and compares
(the layout of tools/gen_golden_attention.py). Needs torch (tools only).

    python3 tools/gen_golden_transformer.py
"""
import os

import numpy as np
import torch
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden", "transformer_modules.safetensors")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    t = {}

    def record(name, module, inputs, run):
        module.eval()
        with torch.no_grad():  # non-zero biases, so that a bias wired wrongly shows
            for k, p in module.named_parameters():
                if k.endswith("bias"):
                    p.normal_(0, 0.5)
        for k, v in module.state_dict().items():
            t[f"{name}.state.{k}"] = v.detach().numpy().copy()
        leaves = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
        for i, x in enumerate(inputs):
            t[f"{name}.in{i}"] = x.numpy().copy()
        out = run(module, *leaves)
        g = torch.randn(out.shape)
        t[f"{name}.out"] = out.detach().numpy().copy()
        t[f"{name}.gout"] = g.numpy().copy()
        out.backward(g)
        for i, x in enumerate(leaves):
            if x.grad is not None:
                t[f"{name}.grad{i}"] = x.grad.numpy().copy()

    causal5 = torch.nn.Transformer.generate_square_subsequent_mask(5)
    dec = torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    record("dec", dec, [torch.randn(5, 3, 8), torch.randn(6, 3, 8)], lambda m, x, mem: m(x, mem))
    dec_bf = torch.nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, dropout=0.0, batch_first=True, activation="gelu")
    pad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    t["dec_masks.memory_pad"] = pad.numpy()
    record("dec_masks", dec_bf, [torch.randn(2, 5, 8), torch.randn(2, 6, 8)],
           lambda m, x, mem: m(x, mem, tgt_mask=causal5, tgt_is_causal=True, memory_key_padding_mask=pad))
    dec_pre = torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=True)
    record("dec_pre", dec_pre, [torch.randn(5, 2, 8), torch.randn(4, 2, 8)],
           lambda m, x, mem: m(x, mem, tgt_mask=causal5))
    stack = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, 0.0, batch_first=True), 2,
                                        norm=torch.nn.LayerNorm(8))
    record("dec_stack", stack, [torch.randn(3, 5, 8), torch.randn(3, 4, 8)],
           lambda m, x, mem: m(x, mem, tgt_mask=causal5))
    full = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                                dropout=0.0, batch_first=True)
    record("transformer", full, [torch.randn(2, 6, 8), torch.randn(2, 5, 8)],
           lambda m, src, tgt: m(src, tgt, tgt_mask=causal5))
    save_file({k: np.ascontiguousarray(v) for k, v in t.items()}, OUT)
    print(f"wrote {OUT}: {len(t)} tensors")


if __name__ == "__main__":
    main()
