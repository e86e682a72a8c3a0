"""Attention with torch.nn's names: F.scaled_dot_product_attention (engine op),
nn.MultiheadAttention and nn.TransformerEncoderLayer / TransformerEncoder, composed of engine
ops exactly as PyTorch composes them (parameter names, initialisation, mask conventions), so a
PyTorch state_dict loads and gives PyTorch's outputs."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from .._lib import lib
from ..tensor import Tensor, _new, rand, zeros
from .modules import Module, Parameter

if TYPE_CHECKING:
    from .container import ModuleList

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor] = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """F.scaled_dot_product_attention: softmax(q k^T * scale + mask) v; a bool mask keeps the
    positions where it is True."""
    if enable_gqa:
        raise NotImplementedError("swiftnn: scaled_dot_product_attention(enable_gqa=True) is not supported")
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    return _new(lib.snn_tensor_scaled_dot_product_attention, query._h, key._h, value._h,
                attn_mask._h if attn_mask is not None else None, float(dropout_p), bool(is_causal),
                float(scale) if scale is not None else 0.0)


def _xavier_uniform(*shape: int) -> Tensor:
    fan_out, fan_in = shape[0], shape[1]
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rand(*shape) * (2 * bound) - bound


def _additive(mask: Tensor, what: str) -> Tensor:
    """A mask where True (or a nonzero float -inf) means "do not attend", as a float32 tensor
    of 0 and -inf (MultiheadAttention's convention, the opposite of sdpa's bool masks)."""
    from ..tensor import from_numpy
    m = mask.numpy()
    if m.dtype == np.bool_:
        return from_numpy(np.where(m, -np.inf, 0).astype(np.float32))
    if m.dtype.kind == "f":
        return mask if m.dtype == np.float32 else from_numpy(m.astype(np.float32))
    raise TypeError(f"only bool and floating types of {what} are supported")


class MultiheadAttention(Module):
    """nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
    in_proj_weight [3E, E] (xavier uniform), in_proj_bias [3E] (zeros), out_proj (Linear E->E,
    bias zeros). forward(query, key, value, key_padding_mask, need_weights, attn_mask,
    average_attn_weights, is_causal) -> (output, weights or None)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Optional[int] = None,
                 vdim: Optional[int] = None, batch_first: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("swiftnn: MultiheadAttention with add_bias_kv, add_zero_attn or kdim/vdim != embed_dim")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        from .layers import Linear
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(_xavier_uniform(3 * embed_dim, embed_dim))
        if bias:
            self.in_proj_bias = Parameter(zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.load_state_dict({"weight": self.out_proj.weight.detach(), "bias": zeros(embed_dim)})

    def _project(self, x: Tensor, i: int) -> Tensor:
        from ..conv import linear
        e = self.embed_dim
        w = self.in_proj_weight.narrow(0, i * e, e)
        b = self.in_proj_bias.narrow(0, i * e, e) if self.in_proj_bias is not None else None
        return linear(x, w, b)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = True, attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Optional[Tensor]]:
        """(attn_output [L, N, E] or [N, L, E] with batch_first, attn_weights or None) for query
        [L, N, E], key and value [S, N, E]; masks and flags as torch.nn.MultiheadAttention.forward."""
        from ..reduce import softmax
        from ..conv import dropout as _dropout
        from ..tensor import matmul
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        length, n, e = query.shape
        s = key.shape[0]
        h, hd = self.num_heads, self.head_dim
        # [L, N, E] -> [N, heads, L, head_dim]
        q = self._project(query, 0).reshape(length, n, h, hd).permute(1, 2, 0, 3)
        k = self._project(key, 1).reshape(s, n, h, hd).permute(1, 2, 0, 3)
        v = self._project(value, 2).reshape(s, n, h, hd).permute(1, 2, 0, 3)
        mask = None
        if is_causal and attn_mask is None:
            from ..tensor import from_numpy
            mask = from_numpy(np.triu(np.full((length, s), -np.inf, np.float32), 1))
        if attn_mask is not None:
            m = _additive(attn_mask, "attn_mask")
            mask = m.reshape(n, h, length, s) if m.ndim == 3 else m
        if key_padding_mask is not None:
            kp = _additive(key_padding_mask, "key_padding_mask").reshape(n, 1, 1, s)
            mask = kp if mask is None else mask + kp
        scores = matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        if mask is not None:
            scores = scores + mask
        weights = softmax(scores, -1)
        if self.dropout > 0 and self.training:
            weights = _dropout(weights, self.dropout, True)
        out = matmul(weights, v)                                   # [N, heads, L, head_dim]
        out = out.permute(2, 0, 1, 3).reshape(length, n, e)       # [L, N, E]
        out = self.out_proj(out)  # a Linear: a Tensor
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        w = weights.mean(dim=1) if average_attn_weights else weights
        return out, (w if batched else w.squeeze(0))


class TransformerEncoderLayer(Module):
    """nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation='relu', layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Union[str, Callable[[Tensor], Tensor]] = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        from .layers import Dropout, Linear
        from .normalization import LayerNorm
        self._args = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                          activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                          norm_first=norm_first, bias=bias)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            from .. import elementwise
            if activation not in ("relu", "gelu"):
                raise RuntimeError(f"activation should be relu/gelu, not {activation}")
            self.activation: Callable[[Tensor], Tensor] = getattr(elementwise, activation)
        else:
            self.activation = activation

    def _sa_block(self, x: Tensor, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                  is_causal: bool) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        out: Tensor = self.dropout1(x)
        return out

    def _ff_block(self, x: Tensor) -> Tensor:
        out: Tensor = self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))
        return out

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None, src_key_padding_mask: Optional[Tensor] = None,
                is_causal: bool = False) -> Tensor:
        """Runs the module; arguments, masks and shapes as the class docstring and PyTorch's."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        out: Tensor = self.norm2(x + self._ff_block(x))
        return out


def _get_clones(layer: Module, n: int) -> ModuleList:
    """PyTorch's _get_clones: a ModuleList of n layers built with `layer`'s arguments and
    holding copies of its weights (identical initial values, independent storage)."""
    from .container import ModuleList
    state = layer.state_dict()
    clones = []
    for _ in range(n):
        c = type(layer)(**layer._args)
        c.load_state_dict({k: v.clone() for k, v in state.items()})
        clones.append(c)
    return ModuleList(clones)


class TransformerEncoder(Module):
    """nn.TransformerEncoder(encoder_layer, num_layers, norm=None): num_layers copies of the
    layer (identical initial weights, as PyTorch's deep copies), then the optional norm."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Optional[Module] = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, src: Tensor, mask: Optional[Tensor] = None, src_key_padding_mask: Optional[Tensor] = None,
                is_causal: Optional[bool] = None) -> Tensor:
        """Runs the module; arguments, masks and shapes as the class docstring and PyTorch's."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        out: Tensor = self.norm(x) if self.norm is not None else x
        return out
