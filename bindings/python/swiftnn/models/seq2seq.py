"""Whole models implemented in the engine. Seq2Seq: an LSTM or GRU encoder-decoder over token ids
(optionally bidirectional encoder, Luong dot/general attention) with teacher-forced training,
greedy and beam decoding; saved and loaded with swiftnn.nn.save_model / load_model."""
import ctypes

from .. import _ffi
from .._handles import read_string
from .._lib import check, lib
from .._options import options
from ..nn.modules import EngineModule, _as_parameter, _handle_from
from ..nn.modules import Module as _Module
from ..tensor import Tensor, _new, int64, tensor
from .._handles import Handle

_ATTENTION = {None: _ffi.SNN_SEQ2SEQ_ATTENTION_NONE, "none": _ffi.SNN_SEQ2SEQ_ATTENTION_NONE,
              "dot": _ffi.SNN_SEQ2SEQ_ATTENTION_DOT, "general": _ffi.SNN_SEQ2SEQ_ATTENTION_GENERAL}
_CELL = {"lstm": _ffi.SNN_SEQ2SEQ_CELL_LSTM, "gru": _ffi.SNN_SEQ2SEQ_CELL_GRU}


def _tokens(t):
    return t if isinstance(t, Tensor) else tensor(t, dtype=int64)


class Seq2Seq(EngineModule):
    """Seq2Seq(src_vocab, tgt_vocab, embed_dim, hidden_size, num_layers=1, bidirectional=False,
    attention=None | "dot" | "general", pad_idx=0, bos_idx=1, eos_idx=2, cell="lstm" | "gru").

    Batches are int64 [B, L] token ids padded with pad_idx at the end; target rows hold the
    output tokens alone (BOS/EOS are added by the model). Parameter names follow PyTorch
    (src_embed.weight, encoder.weight_ih_l0, decoder..., attn_combine..., out...). cell picks
    the encoder's and decoder's recurrent layer (torch.nn.LSTM or torch.nn.GRU semantics)."""

    def __init__(self, src_vocab, tgt_vocab, embed_dim, hidden_size, num_layers=1, bidirectional=False,
                 attention=None, pad_idx=0, bos_idx=1, eos_idx=2, cell="lstm"):
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
        self._bind(h.value)

    def _bind(self, handle):
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

    def forward(self, src, tgt):
        """Mean masked cross-entropy of the teacher-forced decoder (a graph for backward)."""
        return _new(lib.snn_seq2seq_loss, self._mh, _tokens(src)._h, _tokens(tgt)._h)

    loss = forward

    def train_step(self, src, tgt, optimizer, max_grad_norm=0.0):
        """loss, backward, clip, optimizer.step(); returns the loss as a float."""
        v = ctypes.c_double()
        s, t = _tokens(src), _tokens(tgt)
        check(lib.snn_seq2seq_train_step(ctypes.byref(v), self._mh, optimizer._h, s._h, t._h, float(max_grad_norm)))
        return v.value

    def fit(self, src, tgt, optimizer, epochs=1, batch_size=32, seed=0, max_grad_norm=0.0, scheduler=None,
            report_every=50, progress=None, ddp=None):
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

    def _decode(self, fn, *args):
        toks, lps = ctypes.c_void_p(), ctypes.c_void_p()
        check(fn(ctypes.byref(toks), ctypes.byref(lps), *args))
        return Tensor._wrap(toks.value), Tensor._wrap(lps.value)

    def _lists(self, toks):
        pad = self.pad_idx
        return [[int(v) for v in row if v != pad] for row in toks.tolist()]

    def greedy(self, src, max_length=50, return_log_probs=False):
        """Greedy decoding: a list of token-id lists (no BOS/EOS) per source row."""
        s = _tokens(src)
        toks, lps = self._decode(lib.snn_seq2seq_greedy, self._mh, s._h, int(max_length))
        out = self._lists(toks)
        return (out, lps.tolist()) if return_log_probs else out

    def beam_search(self, src, beam_width=5, max_length=50, length_penalty=0.0, return_log_probs=False):
        """Beam search (ranked by log_prob / length^length_penalty); width 1 is greedy."""
        s = _tokens(src)
        toks, lps = self._decode(lib.snn_seq2seq_beam, self._mh, s._h, int(beam_width), int(max_length), float(length_penalty))
        out = self._lists(toks)
        return (out, lps.tolist()) if return_log_probs else out

    def score(self, src, tgt, with_eos=True):
        """Summed log-probability of each target row (+EOS) given its source (list of floats)."""
        s, t = _tokens(src), _tokens(tgt)
        return _new(lib.snn_seq2seq_score, self._mh, s._h, t._h, bool(with_eos)).tolist()

    def set_tokens(self, src_tokens=None, tgt_tokens=None):
        """Stores vocabularies (lists of strings, index = id) in the model and its checkpoints."""
        for target, toks in ((False, src_tokens), (True, tgt_tokens)):
            if toks is None:
                continue
            enc = [str(x).encode() for x in toks]
            arr = (ctypes.c_char_p * max(len(enc), 1))(*enc)
            check(lib.snn_seq2seq_set_tokens(self._mh, target, arr, len(enc)))
        object.__setattr__(self, "_cfg", None)

    def tokens(self, target=True):
        s = read_string(lib.snn_seq2seq_tokens, self._mh, bool(target))
        return s.split("\n") if s else []


def _ddp_handle(ddp, model):
    """The engine reducer of a DistributedDataParallel over `model` (None without one)."""
    if ddp is None:
        return None
    from ..nn.parallel import DistributedDataParallel
    if not isinstance(ddp, DistributedDataParallel) or ddp.module is not model:
        raise ValueError("Seq2Seq.fit: ddp must be a DistributedDataParallel wrapping this model")
    return ddp._ddp.value
