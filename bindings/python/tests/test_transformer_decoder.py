"""nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer against PyTorch's
modules with the same state_dicts (Tests/golden/transformer_modules.safetensors, written by
tools/gen_golden_transformer.py): outputs and the gradients of tgt, memory and src, with causal
and key-padding masks, post- and pre-norm, batch_first."""
import os

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import nn
from conftest import GOLDEN

G = load_file(os.path.join(GOLDEN, "transformer_modules.safetensors"))
CAUSAL5 = nn.Transformer.generate_square_subsequent_mask(5)


def check(name, module, run):
    prefix = f"{name}.state."
    state = {k[len(prefix):]: swiftnn.from_numpy(v.copy()) for k, v in G.items() if k.startswith(prefix)}
    assert sorted(state) == sorted(module.state_dict()), f"{name}: parameter names differ from PyTorch's"
    module.load_state_dict(state)
    module.eval()
    ins, i = [], 0
    while f"{name}.in{i}" in G:
        ins.append(swiftnn.from_numpy(G[f"{name}.in{i}"].copy()).requires_grad_())
        i += 1
    out = run(module, *ins)
    np.testing.assert_allclose(out.detach().numpy(), G[f"{name}.out"], rtol=1e-4, atol=3e-5, err_msg=f"{name} output")
    out.backward(swiftnn.from_numpy(G[f"{name}.gout"].copy()))
    for j, x in enumerate(ins):
        np.testing.assert_allclose(x.grad.numpy(), G[f"{name}.grad{j}"], rtol=1e-4, atol=3e-5, err_msg=f"{name} grad {j}")


def test_decoder_layer_matches_pytorch():
    check("dec", nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0), lambda m, x, mem: m(x, mem))
    pad = swiftnn.from_numpy(G["dec_masks.memory_pad"].copy())
    check("dec_masks", nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, dropout=0.0, batch_first=True, activation="gelu"),
          lambda m, x, mem: m(x, mem, tgt_mask=CAUSAL5, tgt_is_causal=True, memory_key_padding_mask=pad))
    check("dec_pre", nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, norm_first=True),
          lambda m, x, mem: m(x, mem, tgt_mask=CAUSAL5))


def test_decoder_stack_and_transformer_match_pytorch():
    layer = nn.TransformerDecoderLayer(8, 2, 16, 0.0, batch_first=True)
    check("dec_stack", nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8)), lambda m, x, mem: m(x, mem, tgt_mask=CAUSAL5))
    full = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                          dropout=0.0, batch_first=True)
    check("transformer", full, lambda m, src, tgt: m(src, tgt, tgt_mask=CAUSAL5))


def test_causal_mask_and_errors():
    m = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    assert m[0, 1] == -np.inf and m[1, 0] == 0 and m[2, 2] == 0
    # The decoder is causal: changing a later target position leaves earlier outputs alone.
    swiftnn.manual_seed(3)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, 0.0), 2).eval()
    tgt, mem = swiftnn.randn(4, 1, 8), swiftnn.randn(3, 1, 8)
    a = dec(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4)).detach().numpy()
    t2 = tgt.numpy().copy()
    t2[3] += 1.0
    b = dec(swiftnn.from_numpy(t2), mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4)).detach().numpy()
    np.testing.assert_allclose(a[:3], b[:3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(a[3], b[3])
    with pytest.raises(RuntimeError, match="equal to d_model"):
        nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1)(swiftnn.zeros(2, 1, 6),
                                                                                      swiftnn.zeros(2, 1, 8))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
