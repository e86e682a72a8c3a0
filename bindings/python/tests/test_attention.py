"""Attention against PyTorch: F.scaled_dot_product_attention by hand, and nn.MultiheadAttention,
nn.TransformerEncoderLayer and nn.TransformerEncoder loaded with PyTorch's state_dicts
(Tests/golden/attention_modules.safetensors, tools/gen_golden_attention.py): outputs, attention
weights and input gradients, with masks (key padding, bool attn_mask, causal)."""
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
import swiftnn.nn.functional as F
from conftest import GOLDEN

G = load_file(os.path.join(GOLDEN, "attention_modules.safetensors"))


def state(name):
    prefix = f"{name}.state."
    return {k[len(prefix):]: swiftnn.from_numpy(v.copy()) for k, v in G.items() if k.startswith(prefix)}


def check(name, module, run):
    module.load_state_dict(state(name))
    module.eval()
    ins = []
    i = 0
    while f"{name}.in{i}" in G:
        ins.append(swiftnn.from_numpy(G[f"{name}.in{i}"].copy()).requires_grad_())
        i += 1
    out = run(module, *ins)
    np.testing.assert_allclose(out.detach().numpy(), G[f"{name}.out"], rtol=1e-4, atol=2e-5, err_msg=f"{name} output")
    out.backward(swiftnn.from_numpy(G[f"{name}.gout"].copy()))
    for j, x in enumerate(ins):
        want = G.get(f"{name}.grad{j}")
        if want is None:  # the output does not depend on this input (attention weights on value)
            assert x.grad is None, f"{name} grad {j}: PyTorch has none"
            continue
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-4, atol=2e-5, err_msg=f"{name} grad {j}")


def test_sdpa_by_hand_and_masks():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 6)])
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True
    s = q @ k.transpose(0, 2, 1) / 2.0 + np.where(mask, 0, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    want = (w / w.sum(-1, keepdims=True)) @ v
    got = F.scaled_dot_product_attention(swiftnn.from_numpy(q), swiftnn.from_numpy(k), swiftnn.from_numpy(v),
                                         attn_mask=swiftnn.from_numpy(mask))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    causal = F.scaled_dot_product_attention(swiftnn.from_numpy(q), swiftnn.from_numpy(q), swiftnn.from_numpy(q), is_causal=True)
    np.testing.assert_allclose(causal.numpy()[:, 0], q[:, 0], rtol=1e-6)  # the first query sees only itself
    with pytest.raises(swiftnn.InvalidArgumentError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(swiftnn.from_numpy(q), swiftnn.from_numpy(k), swiftnn.from_numpy(v),
                                       attn_mask=swiftnn.from_numpy(mask), is_causal=True)
    with pytest.raises(swiftnn.ShapeError, match="must have the same last dimension"):
        F.scaled_dot_product_attention(swiftnn.zeros(2, 3, 4), swiftnn.zeros(2, 5, 3), swiftnn.zeros(2, 5, 6))


def test_multihead_attention_matches_pytorch():
    check("mha", nn.MultiheadAttention(8, 2), lambda m, q, k, v: m(q, k, v)[0])
    check("mha_weights", nn.MultiheadAttention(8, 2), lambda m, q, k, v: m(q, k, v)[1])
    pad = swiftnn.from_numpy(G["mha_masks.pad"].copy())
    causal = swiftnn.from_numpy(np.triu(np.ones((5, 6), bool), 2))
    check("mha_masks", nn.MultiheadAttention(8, 2),
          lambda m, q, k, v: m(q, k, v, key_padding_mask=pad, attn_mask=causal)[0])
    assert sorted(n for n, _ in nn.MultiheadAttention(8, 2).named_parameters()) == \
        ["in_proj_bias", "in_proj_weight", "out_proj.bias", "out_proj.weight"]


def test_transformer_encoder_matches_pytorch():
    check("enc", nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True), lambda m, x: m(x))
    mask = swiftnn.from_numpy(np.triu(np.full((4, 4), -np.inf, np.float32), 1))
    check("enc_pre_causal", nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation="gelu", norm_first=True),
          lambda m, x: m(x, src_mask=mask, is_causal=True))
    layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True)
    check("stack", nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)), lambda m, x: m(x))
