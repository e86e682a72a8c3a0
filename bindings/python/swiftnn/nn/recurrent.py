"""Recurrent layers (RNN, LSTM, GRU, their cells) and Embedding with PyTorch's arguments, names
and forward signatures, plus functional forms (lstm, gru, rnn_tanh, ..., embedding) taking
weights as tensors. Padded batches: pass `lengths=` (one per sequence) instead of packing."""
from __future__ import annotations

import ctypes
import json
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union, cast, overload

from .._handles import read_string
from .._lib import check, lib
from .._ffi import SNN_RNN_RELU, SNN_RNN_TANH, snn_rnn_options
from ..dtypes import int64
from ..tensor import Tensor, _new, _wrap_new, tensor
from .modules import EngineModule

if TYPE_CHECKING:
    from .utils.rnn import PackedSequence

_NONLINEARITY = {"tanh": SNN_RNN_TANH, "relu": SNN_RNN_RELU}


def _options(input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True, batch_first: bool = False,
             dropout: float = 0.0, bidirectional: bool = False, nonlinearity: str = "tanh",
             training: bool = False) -> Any:
    if nonlinearity not in _NONLINEARITY:
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    o = snn_rnn_options()
    check(lib.snn_rnn_options_init(ctypes.byref(o)))
    o.input_size, o.hidden_size, o.num_layers = int(input_size), int(hidden_size), int(num_layers)
    o.bias, o.batch_first, o.bidirectional, o.training = bool(bias), bool(batch_first), bool(bidirectional), bool(training)
    o.dropout = float(dropout)
    o.nonlinearity = _NONLINEARITY[nonlinearity]
    return o


def _lengths_tensor(lengths: Optional[Union[Tensor, Sequence[int]]]) -> Optional[Tensor]:
    if lengths is None or isinstance(lengths, Tensor):
        return lengths
    return tensor(lengths, dtype=int64)


def _handle(t: Optional[Tensor]) -> Optional[int]:
    return None if t is None else t._h


def _new_module(fn: Callable[..., int], *args: Any) -> int:
    h = ctypes.c_void_p()
    check(fn(ctypes.byref(h), *args))
    return cast(int, h.value)  # set whenever the call succeeds


class _RecurrentModule(EngineModule):
    """Shared by every layer here: binds the engine module and mirrors its config as attributes
    (also when a checkpoint is loaded with load_model, which bypasses __init__)."""

    def _bind(self, handle: int) -> None:
        super()._bind(handle)
        config = json.loads(read_string(lib.snn_module_architecture, handle)).get("config", {})
        for k, v in config.items():
            object.__setattr__(self, k, v)

    def _forward_multi(self, inputs: Sequence[Optional[Tensor]], n_out: int) -> list[Tensor]:
        """snn_module_forward_multi with None entries for absent optional inputs."""
        arr = (ctypes.c_void_p * len(inputs))(*[_handle(t) for t in inputs])
        outs = (ctypes.c_void_p * n_out)()
        count = ctypes.c_size_t()
        check(lib.snn_module_forward_multi(outs, n_out, ctypes.byref(count), self._mh, arr, len(inputs)))
        return [_wrap_new(outs[i]) for i in range(count.value)]


class RNNBase(_RecurrentModule):
    """What RNN, LSTM and GRU share: the constructor arguments of torch.nn.RNNBase.

    Args:
        input_size: features of each input step.
        hidden_size: features of the hidden state.
        num_layers: stacked layers (default 1).
        bias: whether the layers have b_ih and b_hh (default True).
        batch_first: input and output as [N, L, *] instead of [L, N, *].
        dropout: dropout on the outputs of each layer but the last (training only).
        bidirectional: run a reverse direction too (outputs concatenated).

    Shape:
        Input [L, N, input_size] ([N, L, input_size] with batch_first), or [L, input_size];
        output [L, N, D * hidden_size] with D = 2 if bidirectional else 1; h_n
        [D * num_layers, N, hidden_size].

    Example:
        >>> out, (h, c) = nn.LSTM(10, 20, 2)(swiftnn.randn(5, 3, 10))
    """

    _CTOR: Optional[str] = None
    _MODE = None

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 nonlinearity: str = "tanh") -> None:
        opts = _options(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, nonlinearity)
        self._bind(_new_module(getattr(lib, str(self._CTOR)), ctypes.byref(opts)))

    def extra_repr(self) -> str:
        """The constructor arguments that differ from the defaults."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
    forward(input, hx=None, lengths=None) -> (output, h_n)."""
    _CTOR = "snn_module_rnn"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, nonlinearity)

    @overload  # type: ignore[override]  # torch's Module.forward is Callable[..., Any]
    def forward(self, input: Tensor, hx: Optional[Tensor] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, Tensor]: ...

    @overload
    def forward(self, input: PackedSequence, hx: Optional[Tensor] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[PackedSequence, Tensor]: ...

    def forward(self, input: Union[Tensor, PackedSequence], hx: Optional[Tensor] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Union[Tensor, PackedSequence], Tensor]:
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        if isinstance(input, tuple):  # a PackedSequence (nn/utils/rnn.py)
            from .utils.rnn import run_packed
            return run_packed(self, input, hx)
        out, h_n = self._forward_multi([input, hx, _lengths_tensor(lengths)], 2)
        return out, h_n


class LSTM(RNNBase):
    """Long short-term memory, gate order i, f, g, o.
    forward(input, hx=None, lengths=None) -> (output, (h_n, c_n)); hx = (h0, c0)."""
    _CTOR = "snn_module_lstm"

    @overload  # type: ignore[override]  # torch's Module.forward is Callable[..., Any]
    def forward(self, input: Tensor, hx: Optional[tuple[Tensor, Tensor]] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, tuple[Tensor, Tensor]]: ...

    @overload
    def forward(self, input: PackedSequence, hx: Optional[tuple[Tensor, Tensor]] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None
                ) -> tuple[PackedSequence, tuple[Tensor, Tensor]]: ...

    def forward(self, input: Union[Tensor, PackedSequence], hx: Optional[tuple[Tensor, Tensor]] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None
                ) -> tuple[Union[Tensor, PackedSequence], tuple[Tensor, Tensor]]:
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        if isinstance(input, tuple):  # a PackedSequence (nn/utils/rnn.py)
            from .utils.rnn import run_packed
            return run_packed(self, input, hx)
        h0, c0 = hx if hx is not None else (None, None)
        out, h_n, c_n = self._forward_multi([input, h0, c0, _lengths_tensor(lengths)], 3)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, gate order r, z, n. forward(input, hx=None, lengths=None) -> (output, h_n)."""
    _CTOR = "snn_module_gru"

    @overload  # type: ignore[override]  # torch's Module.forward is Callable[..., Any]
    def forward(self, input: Tensor, hx: Optional[Tensor] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, Tensor]: ...

    @overload
    def forward(self, input: PackedSequence, hx: Optional[Tensor] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[PackedSequence, Tensor]: ...

    def forward(self, input: Union[Tensor, PackedSequence], hx: Optional[Tensor] = None,
                lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Union[Tensor, PackedSequence], Tensor]:
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        if isinstance(input, tuple):  # a PackedSequence (nn/utils/rnn.py)
            from .utils.rnn import run_packed
            return run_packed(self, input, hx)
        out, h_n = self._forward_multi([input, hx, _lengths_tensor(lengths)], 2)
        return out, h_n


class RNNCell(_RecurrentModule):
    """One RNN step: forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh") -> None:
        if nonlinearity not in _NONLINEARITY:
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self._bind(_new_module(lib.snn_module_rnn_cell, int(input_size), int(hidden_size), bool(bias),
                               _NONLINEARITY[nonlinearity]))

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        return self._forward_multi([input, hx], 1)[0]

    def extra_repr(self) -> str:
        """The constructor arguments that differ from the defaults."""
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False") + \
            ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity}")


class LSTMCell(_RecurrentModule):
    """One LSTM step: forward(input, hx=None) -> (h', c'); hx = (h, c)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        self._bind(_new_module(lib.snn_module_lstm_cell, int(input_size), int(hidden_size), bool(bias)))

    def forward(self, input: Tensor, hx: Optional[tuple[Tensor, Tensor]] = None) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        h, c = hx if hx is not None else (None, None)
        h1, c1 = self._forward_multi([input, h, c], 2)
        return h1, c1

    def extra_repr(self) -> str:
        """The constructor arguments that differ from the defaults."""
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class GRUCell(_RecurrentModule):
    """One GRU step: forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        self._bind(_new_module(lib.snn_module_gru_cell, int(input_size), int(hidden_size), bool(bias)))

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        return self._forward_multi([input, hx], 1)[0]

    def extra_repr(self) -> str:
        """The constructor arguments that differ from the defaults."""
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class Embedding(_RecurrentModule):
    """A table of num_embeddings vectors: forward(int64 indices [...]) -> [..., embedding_dim].
    padding_idx (negative counts from the end) starts at zero and gets no gradient."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: Optional[int] = None) -> None:
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx + num_embeddings if padding_idx < 0 else padding_idx
        self._bind(_new_module(lib.snn_module_embedding, int(num_embeddings), int(embedding_dim),
                               -1 if padding_idx is None else int(padding_idx)))

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: Optional[int] = None) -> Embedding:
        """An Embedding holding a copy of `embeddings` [num, dim] (a Tensor or array)."""
        w = embeddings if isinstance(embeddings, Tensor) else tensor(embeddings)
        num, dim = w.shape
        m = cls(num, dim, padding_idx=padding_idx)
        from ..autograd import no_grad
        with no_grad():
            check(lib.snn_tensor_copy_(m.weight._h, w._h))
        m.weight.requires_grad_(not freeze)
        return m

    def forward(self, input: Any) -> Tensor:
        """Runs the layer over input (a Tensor, or a PackedSequence for RNN/LSTM/GRU); see the class docstring."""
        if not isinstance(input, Tensor):
            input = tensor(input, dtype=int64)
        return _new(lib.snn_module_forward, self._mh, input._h)

    def extra_repr(self) -> str:
        """The constructor arguments that differ from the defaults."""
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


# ---- functional forms (torch._VF.rnn_tanh / lstm / gru and the cells) -----------------------

def _sequence(fn: Callable[..., int], n_out: int, input: Tensor, states: Sequence[Optional[Tensor]],
              params: Sequence[Tensor], has_biases: bool, num_layers: int, dropout: float, train: bool,
              bidirectional: bool, batch_first: bool, lengths: Optional[Union[Tensor, Sequence[int]]],
              nonlinearity: str = "tanh") -> tuple[Tensor, ...]:
    params = list(params)
    opts = _options(input.shape[-1], params[1].shape[1] if len(params) > 1 and len(params[1].shape) == 2 else 1,
                    num_layers, has_biases, batch_first, dropout, bidirectional, nonlinearity, train)
    lengths = _lengths_tensor(lengths)
    ws = (ctypes.c_void_p * max(len(params), 1))(*[p._h for p in params])
    outs = [ctypes.c_void_p() for _ in range(n_out)]
    check(fn(*[ctypes.byref(o) for o in outs], input._h, *[_handle(s) for s in states], ws, len(params),
             _handle(lengths), ctypes.byref(opts)))
    return tuple(_wrap_new(o.value) for o in outs)


def lstm(input: Tensor, hx: Optional[tuple[Tensor, Tensor]], params: Sequence[Tensor], has_biases: bool = True,
         num_layers: int = 1, dropout: float = 0.0, train: bool = False, bidirectional: bool = False,
         batch_first: bool = False, lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, ...]:
    """(output, h_n, c_n), as torch._VF.lstm; hx = (h0, c0) or None; params in the flat order
    w_ih, w_hh, b_ih, b_hh per layer and direction."""
    h0, c0 = hx if hx is not None else (None, None)
    return _sequence(lib.snn_tensor_lstm, 3, input, [h0, c0], params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first, lengths)


def gru(input: Tensor, hx: Optional[Tensor], params: Sequence[Tensor], has_biases: bool = True,
        num_layers: int = 1, dropout: float = 0.0, train: bool = False, bidirectional: bool = False,
        batch_first: bool = False, lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, ...]:
    """(output, h_n), as torch._VF.gru."""
    return _sequence(lib.snn_tensor_gru, 2, input, [hx], params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first, lengths)


def rnn_tanh(input: Tensor, hx: Optional[Tensor], params: Sequence[Tensor], has_biases: bool = True,
             num_layers: int = 1, dropout: float = 0.0, train: bool = False, bidirectional: bool = False,
             batch_first: bool = False, lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, ...]:
    """(output, h_n), as torch._VF.rnn_tanh."""
    return _sequence(lib.snn_tensor_rnn, 2, input, [hx], params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first, lengths, "tanh")


def rnn_relu(input: Tensor, hx: Optional[Tensor], params: Sequence[Tensor], has_biases: bool = True,
             num_layers: int = 1, dropout: float = 0.0, train: bool = False, bidirectional: bool = False,
             batch_first: bool = False, lengths: Optional[Union[Tensor, Sequence[int]]] = None) -> tuple[Tensor, ...]:
    """(output, h_n), as torch._VF.rnn_relu."""
    return _sequence(lib.snn_tensor_rnn, 2, input, [hx], params, has_biases, num_layers, dropout, train,
                     bidirectional, batch_first, lengths, "relu")


def lstm_cell(input: Tensor, hx: Optional[tuple[Tensor, Tensor]], w_ih: Tensor, w_hh: Tensor,
              b_ih: Optional[Tensor] = None, b_hh: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    """(h', c') for hx = (h, c) or None."""
    h, c = hx if hx is not None else (None, None)
    oh, oc = ctypes.c_void_p(), ctypes.c_void_p()
    check(lib.snn_tensor_lstm_cell(ctypes.byref(oh), ctypes.byref(oc), input._h, _handle(h), _handle(c), w_ih._h,
                                   w_hh._h, _handle(b_ih), _handle(b_hh)))
    return _wrap_new(oh.value), _wrap_new(oc.value)


def gru_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
             b_hh: Optional[Tensor] = None) -> Tensor:
    return _new(lib.snn_tensor_gru_cell, input._h, _handle(hx), w_ih._h, w_hh._h, _handle(b_ih), _handle(b_hh))


def rnn_tanh_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
                  b_hh: Optional[Tensor] = None) -> Tensor:
    return _new(lib.snn_tensor_rnn_cell, input._h, _handle(hx), w_ih._h, w_hh._h, _handle(b_ih), _handle(b_hh), 0)


def rnn_relu_cell(input: Tensor, hx: Optional[Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor] = None,
                  b_hh: Optional[Tensor] = None) -> Tensor:
    return _new(lib.snn_tensor_rnn_cell, input._h, _handle(hx), w_ih._h, w_hh._h, _handle(b_ih), _handle(b_hh), 1)


def embedding(input: Any, weight: Tensor, padding_idx: Optional[int] = None) -> Tensor:
    """torch.nn.functional.embedding: weight[input]; padding_idx may count from the end."""
    if not isinstance(input, Tensor):
        input = tensor(input, dtype=int64)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return _new(lib.snn_tensor_embedding, input._h, weight._h, -1 if padding_idx is None else int(padding_idx))
