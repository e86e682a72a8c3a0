"""Whole models implemented in the engine. Seq2Seq: an LSTM or GRU encoder-decoder over token ids
(optionally bidirectional encoder, Luong dot/general attention) with teacher-forced training,
greedy and beam decoding; saved and loaded with swiftnn.nn.save_model / load_model."""
from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union, cast

from .. import _ffi
from .._handles import read_string
from .._lib import check, lib
from .._options import options
from ..nn.modules import EngineModule, _as_parameter, _handle_from
from ..nn.modules import Module as _Module
from ..dtypes import int64
from ..tensor import Tensor, _new, _wrap_new, tensor
from .._handles import Handle

if TYPE_CHECKING:
    from ..optim.optimizer import Optimizer

_ATTENTION = {None: _ffi.SNN_SEQ2SEQ_ATTENTION_NONE, "none": _ffi.SNN_SEQ2SEQ_ATTENTION_NONE,
              "dot": _ffi.SNN_SEQ2SEQ_ATTENTION_DOT, "general": _ffi.SNN_SEQ2SEQ_ATTENTION_GENERAL}
_CELL = {"lstm": _ffi.SNN_SEQ2SEQ_CELL_LSTM, "gru": _ffi.SNN_SEQ2SEQ_CELL_GRU}
# Token ids: an int64 Tensor [B, L] or nested lists of ints (converted with swiftnn.tensor).
Tokens = Union[Tensor, Sequence[Sequence[int]]]


def _tokens(t: Tokens) -> Tensor:
    return t if isinstance(t, Tensor) else tensor(t, dtype=int64)


class Seq2Seq(EngineModule):
    """Seq2Seq(src_vocab, tgt_vocab, embed_dim, hidden_size, num_layers=1, bidirectional=False,
    attention=None | "dot" | "general", pad_idx=0, bos_idx=1, eos_idx=2, cell="lstm" | "gru").

    Batches are int64 [B, L] token ids padded with pad_idx at the end; target rows hold the
    output tokens alone (BOS/EOS are added by the model). Parameter names follow PyTorch
    (src_embed.weight, encoder.weight_ih_l0, decoder..., attn_combine..., out...). cell picks
    the encoder's and decoder's recurrent layer (torch.nn.LSTM or torch.nn.GRU semantics)."""

    def __init__(self, src_vocab: int, tgt_vocab: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, attention: Optional[str] = None, pad_idx: int = 0, bos_idx: int = 1,
                 eos_idx: int = 2, cell: str = "lstm") -> None:
        if attention not in _ATTENTION:
            raise ValueError(f"attention must be None, 'dot' or 'general', got {attention!r}")
        if not isinstance(cell, str) or cell.lower() not in _CELL:
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        c = options(_ffi.snn_seq2seq_options, src_vocab=int(src_vocab), tgt_vocab=int(tgt_vocab),
                    embed_dim=int(embed_dim), hidden_size=int(hidden_size), num_layers=int(num_layers),
                    bidirectional=bool(bidirectional), attention=_ATTENTION[attention], pad_idx=int(pad_idx),
                    bos_idx=int(bos_idx), eos_idx=int(eos_idx), cell=_CELL[cell.lower()])
        h = ctypes.c_void_p()
        check(lib.snn_seq2seq_new(ctypes.byref(h), ctypes.byref(c)))
        self._bind(cast(int, h.value))  # set whenever the call succeeds

    def _bind(self, handle: int) -> None:
        """Mirrors every engine parameter under its dotted PyTorch name (no Python children)."""
        _Module.__init__(self)
        object.__setattr__(self, "_engine", Handle(handle, lib.snn_module_free))
        from ..serialization import TensorMap
        params = TensorMap(_handle_from(lib.snn_module_named_parameters, handle)).to_dict()
        for n, t in TensorMap(_handle_from(lib.snn_module_state_dict, handle)).to_dict().items():
            if n in params:
                self._parameters[n] = _as_parameter(t)
            else:
                self._buffers[n] = t

    def forward(self, src: Tokens, tgt: Tokens) -> Tensor:  # type: ignore[override]
        """Mean masked cross-entropy of the teacher-forced decoder (a graph for backward)."""
        return _new(lib.snn_seq2seq_loss, self._mh, _tokens(src)._h, _tokens(tgt)._h)

    loss = forward

    def train_step(self, src: Tokens, tgt: Tokens,
                   optimizer: Optimizer, max_grad_norm: float = 0.0) -> float:
        """loss, backward, clip, optimizer.step(); returns the loss as a float."""
        v = ctypes.c_double()
        s, t = _tokens(src), _tokens(tgt)
        check(lib.snn_seq2seq_train_step(ctypes.byref(v), self._mh, optimizer._h, s._h, t._h, float(max_grad_norm)))
        return v.value

    def fit(self, src: Tokens, tgt: Tokens, optimizer: Optimizer, epochs: int = 1, batch_size: int = 32, seed: int = 0,
            max_grad_norm: float = 0.0, scheduler: Any = None, report_every: int = 50,
            progress: Optional[Callable[[Any], Any]] = None, ddp: Any = None) -> list[float]:
        """Trains in the engine on all rows; progress(p) as swiftnn.train.fit_classifier's.
        Returns per-step losses. ddp: a DistributedDataParallel wrapping this model trains
        data-parallel: batch_size is global, each rank takes rows rank::world_size of every
        batch (N ranks equal one process when every row has as many target tokens: the loss is
        each rank's mean over its own tokens)."""
        s, t = _tokens(src), _tokens(tgt)
        steps = -(-s.shape[0] // int(batch_size)) * int(epochs) if batch_size > 0 else 1
        from ..train import _run_fit
        return _run_fit(lambda opts: lib.snn_seq2seq_fit(self._mh, optimizer._h, s._h, t._h, int(batch_size),
                                                         int(seed) & (2**64 - 1), float(max_grad_norm), opts),
                        steps, epochs, report_every, scheduler, progress, _ddp_handle(ddp, self))

    def _decode(self, fn: Callable[..., int], *args: Any) -> tuple[Tensor, Tensor]:
        toks, lps = ctypes.c_void_p(), ctypes.c_void_p()
        check(fn(ctypes.byref(toks), ctypes.byref(lps), *args))
        return _wrap_new(toks.value), _wrap_new(lps.value)

    def _lists(self, toks: Tensor) -> list[list[int]]:
        pad = self.pad_idx
        return [[int(v) for v in row if v != pad] for row in toks.tolist()]

    def greedy(self, src: Tokens, max_length: int = 50,
               return_log_probs: bool = False) -> Any:
        """Greedy decoding: a list of token-id lists (no BOS/EOS) per source row."""
        s = _tokens(src)
        toks, lps = self._decode(lib.snn_seq2seq_greedy, self._mh, s._h, int(max_length))
        out = self._lists(toks)
        return (out, lps.tolist()) if return_log_probs else out

    def beam_search(self, src: Tokens, beam_width: int = 5, max_length: int = 50, length_penalty: float = 0.0,
                    return_log_probs: bool = False) -> Any:
        """Beam search (ranked by log_prob / length^length_penalty); width 1 is greedy."""
        s = _tokens(src)
        toks, lps = self._decode(lib.snn_seq2seq_beam, self._mh, s._h, int(beam_width), int(max_length), float(length_penalty))
        out = self._lists(toks)
        return (out, lps.tolist()) if return_log_probs else out

    def score(self, src: Tokens, tgt: Tokens,
              with_eos: bool = True) -> list[float]:
        """Summed log-probability of each target row (+EOS) given its source (list of floats)."""
        s, t = _tokens(src), _tokens(tgt)
        scores: list[float] = _new(lib.snn_seq2seq_score, self._mh, s._h, t._h, bool(with_eos)).tolist()
        return scores

    def set_tokens(self, src_tokens: Optional[Sequence[str]] = None,
                   tgt_tokens: Optional[Sequence[str]] = None) -> None:
        """Stores vocabularies (lists of strings, index = id) in the model and its checkpoints."""
        for target, toks in ((False, src_tokens), (True, tgt_tokens)):
            if toks is None:
                continue
            enc = [str(x).encode() for x in toks]
            arr = (ctypes.c_char_p * max(len(enc), 1))(*enc)
            check(lib.snn_seq2seq_set_tokens(self._mh, target, arr, len(enc)))
        object.__setattr__(self, "_cfg", None)

    def tokens(self, target: bool = True) -> list[str]:
        """The stored vocabulary (set_tokens) of the target side, or the source side with target=False."""
        s = read_string(lib.snn_seq2seq_tokens, self._mh, bool(target))
        return s.split("\n") if s else []


def _ddp_handle(ddp: Any, model: _Module) -> Optional[int]:
    """The engine reducer of a DistributedDataParallel over `model` (None without one)."""
    if ddp is None:
        return None
    from ..nn.parallel import DistributedDataParallel
    if not isinstance(ddp, DistributedDataParallel) or ddp.module is not model:
        raise ValueError("Seq2Seq.fit: ddp must be a DistributedDataParallel wrapping this model")
    return ddp._ddp.value
