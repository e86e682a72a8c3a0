#!/usr/bin/env python3
"""Writes Tests/golden/attention_modules.safetensors: PyTorch's nn.MultiheadAttention and
nn.TransformerEncoderLayer / TransformerEncoder (random weights, fixed inputs, masks) with their
state_dicts, outputs and input gradients, which test_attention.py loads into SwiftNN's modules
and compares. Needs torch (tools only).

    python3 tools/gen_golden_attention.py
"""
import os

import numpy as np
import torch
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "golden", "attention_modules.safetensors")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    t = {}

    def record(name, module, inputs, run):
        module.eval()
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

    mha = torch.nn.MultiheadAttention(8, 2)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    q, k = torch.randn(5, 3, 8), torch.randn(6, 3, 8)
    record("mha", mha, [q, k, k.clone()], lambda m, a, b, c: m(a, b, c)[0])
    record("mha_weights", mha, [q, k, k.clone()], lambda m, a, b, c: m(a, b, c)[1])
    pad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2, [True] + [False] * 5])
    t["mha_masks.pad"] = pad.numpy()
    record("mha_masks", mha, [q, k, k.clone()], lambda m, a, b, c: m(a, b, c, key_padding_mask=pad,
                                                                        attn_mask=torch.triu(torch.ones(5, 6, dtype=torch.bool), 2))[0])
    enc = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    record("enc", enc, [torch.randn(2, 5, 8)], lambda m, x: m(x))
    enc_pre = torch.nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation="gelu", norm_first=True)
    record("enc_pre_causal", enc_pre, [torch.randn(4, 2, 8)], lambda m, x: m(x, src_mask=torch.nn.Transformer.generate_square_subsequent_mask(4), is_causal=True))
    stack = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2,
                                        norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    record("stack", stack, [torch.randn(3, 4, 8)], lambda m, x: m(x))
    save_file({k: np.ascontiguousarray(v) for k, v in t.items()}, OUT)
    print(f"wrote {OUT}: {len(t)} tensors")


if __name__ == "__main__":
    main()
