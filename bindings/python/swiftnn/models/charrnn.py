"""Ready-made models trained and run in the engine. CharRNN: a character-level LSTM language
model (Embedding -> LSTM -> Linear over a byte vocabulary) with truncated-BPTT training,
bits-per-character evaluation and a fused sampler (swiftnn/charrnn.h).

    import swiftnn
    text = open("data/text/shakespeare.txt", "rb").read()
    m = swiftnn.models.CharRNN(swiftnn.models.CharRNN.vocab_of(text), embed=64, hidden=256, layers=2)
    m.fit(text, seq_len=100, batch_size=32, max_steps=1000, progress=lambda p: print(p["loss"]))
    m.evaluate(text[-100000:])             # bits per character
    m.save("charrnn.safetensors")
    swiftnn.models.CharRNN.load("charrnn.safetensors").sample("ROMEO.", 200, temperature=0.8)
"""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Optional, Union, overload

from .._ffi import snn_charrnn_fit_options, snn_progress_fn
from .._handles import Handle
from .._lib import check, lib
from .._options import options


# Text or its bytes: a str is UTF-8 encoded (characters are bytes).
Text = Union[str, bytes, bytearray, memoryview]


def _bytes(text: Text, what: str = "text") -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"{what} must be str or bytes, got {type(text).__name__}")


class CharRNN:
    """Embedding(V, embed) -> LSTM(embed, hidden, layers) -> Linear(hidden, V) over the bytes
    in `vocab` (1 to 256 distinct bytes). Characters are bytes: a str is UTF-8 encoded."""

    def __init__(self, vocab: Text, embed: int = 64, hidden: int = 256,
                 layers: int = 2) -> None:
        v = _bytes(vocab, "vocab")
        h = ctypes.c_void_p()
        check(lib.snn_charrnn_new(ctypes.byref(h), v, len(v), int(embed), int(hidden), int(layers)))
        self._h = Handle(h.value, lib.snn_module_free)
        self.embed, self.hidden, self.layers = int(embed), int(hidden), int(layers)

    @staticmethod
    def vocab_of(text: Text) -> bytes:
        """The distinct bytes of text, ascending."""
        t = _bytes(text)
        buf = ctypes.create_string_buffer(256)
        n = ctypes.c_size_t()
        check(lib.snn_charrnn_vocab_of(buf, 256, ctypes.byref(n), t, len(t)))
        return buf.raw[:n.value]

    @property
    def vocab(self) -> bytes:
        """The model's distinct bytes, ascending (token id = position)."""
        buf = ctypes.create_string_buffer(256)
        n = ctypes.c_size_t()
        check(lib.snn_charrnn_vocab(buf, 256, ctypes.byref(n), self._h.value))
        return buf.raw[:n.value]

    def fit(self, text: Text, seq_len: int = 100, batch_size: int = 32, epochs: int = 1, max_steps: int = 0,
            lr: float = 2e-3, clip: float = 5.0, report_every: int = 50,
            progress: Optional[Callable[[dict[str, Any]], Any]] = None) -> list[float]:
        """Truncated-BPTT training (Adam, gradient clipping; the optimizer persists across
        calls). progress(dict) gets epoch, step, global_step, loss (nats/char), bpc,
        chars_per_second, elapsed_seconds, eta_seconds; returning False stops. Returns every
        step's loss in nats per character."""
        t = _bytes(text)
        o = options(snn_charrnn_fit_options)
        o.seq_len, o.batch_size, o.epochs, o.max_steps = int(seq_len), int(batch_size), int(epochs), int(max_steps)
        o.lr, o.clip, o.report_every = float(lr), float(clip), int(report_every)
        errors: list[BaseException] = []

        def cb(p: Any, _user: Any) -> bool:
            assert progress is not None  # cb is installed only with a progress
            q = p.contents
            try:
                r = progress({"epoch": q.epoch, "epochs": q.epochs, "step": q.step, "global_step": q.global_step,
                              "steps_per_epoch": q.steps_per_epoch, "loss": q.loss, "bpc": q.loss / 0.6931471805599453,
                              "chars_per_second": q.samples_per_second, "elapsed_seconds": q.elapsed_seconds,
                              "eta_seconds": q.eta_seconds})
                return r is None or bool(r)
            except BaseException as e:  # noqa: BLE001  (re-raised after the C call returns)
                errors.append(e)
                return False

        keep = snn_progress_fn(cb) if progress is not None else snn_progress_fn()
        o.progress = keep
        cap = int(max_steps) if max_steps else 1 << 20
        hist = (ctypes.c_double * cap)()
        count = ctypes.c_size_t()
        o.loss_history = ctypes.cast(hist, ctypes.POINTER(ctypes.c_double))
        o.loss_history_capacity = cap
        o.loss_history_count = ctypes.pointer(count)
        check(lib.snn_charrnn_fit(self._h.value, t, len(t), ctypes.byref(o)))
        if errors:
            raise errors[0]
        return list(hist[:min(count.value, cap)])

    def evaluate(self, text: Text, seq_len: int = 100,
                 batch_size: int = 16) -> float:
        """Bits per character of predicting each next byte of text."""
        t = _bytes(text)
        out = ctypes.c_double()
        check(lib.snn_charrnn_evaluate(ctypes.byref(out), self._h.value, t, len(t), int(seq_len), int(batch_size)))
        return out.value

    @overload
    def sample(self, prime: str = "", n: int = 200, temperature: float = 1.0, seed: int = 0) -> str: ...
    @overload
    def sample(self, prime: Union[bytes, bytearray], n: int = 200, temperature: float = 1.0,
               seed: int = 0) -> bytes: ...

    def sample(self, prime: Union[str, bytes, bytearray] = "", n: int = 200, temperature: float = 1.0,
               seed: int = 0) -> Union[str, bytes]:
        """prime followed by n sampled characters (bytes decoded as UTF-8 with replacement when
        prime is a str; bytes when prime is bytes)."""
        p = _bytes(prime, "prime")
        if b"\0" in p:
            raise ValueError("prime must not contain NUL bytes")
        if int(n) < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        cap = len(p) + int(n) + 1
        buf = ctypes.create_string_buffer(cap)
        length = ctypes.c_size_t()
        check(lib.snn_charrnn_sample(buf, cap, ctypes.byref(length), self._h.value, p, int(n), float(temperature),
                                     int(seed) & ((1 << 64) - 1)))
        raw = buf.raw[:length.value]
        return raw if isinstance(prime, (bytes, bytearray)) else raw.decode("utf-8", errors="replace")

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """A safetensors checkpoint with PyTorch names (embed.weight, lstm.weight_ih_l0, ...,
        head.weight); the architecture and vocabulary are in its metadata."""
        check(lib.snn_module_save(self._h.value, os.fsencode(path)))

    @classmethod
    def load(cls, path: Union[str, os.PathLike[str]]) -> CharRNN:
        """A CharRNN saved by save(); ValueError if the file holds another model."""
        h = ctypes.c_void_p()
        check(lib.snn_module_load(ctypes.byref(h), os.fsencode(path)))
        m = cls.__new__(cls)
        m._h = Handle(h.value, lib.snn_module_free)
        import json
        from .._handles import read_string
        cfg = json.loads(read_string(lib.snn_module_architecture, h.value)).get("config", {})
        if "vocab" not in cfg:
            del m._h
            raise ValueError(f"{path} does not hold a CharRNN (its architecture is not CharRNN)")
        m.embed, m.hidden, m.layers = cfg["embedding_dim"], cfg["hidden_size"], cfg["num_layers"]
        return m
