"""ImageCaptioner: a CNN encoder whose image features initialise an LSTM decoder's (h0, c0),
with an Embedding + LSTM + Linear decoder over a caption vocabulary (swiftnn/caption.h).
Training uses teacher forcing and cross-entropy that ignores padding; captions come from
greedy or beam-search decoding in the engine. The vocabulary is saved in the checkpoint, so
nn.save_model / nn.load_model round-trip the whole captioner. Also: corpus BLEU-4."""
from __future__ import annotations

import collections
import ctypes
import json
import math
from typing import Any, Callable, Iterable, Optional, Sequence, cast

from .._ffi import snn_caption_options, snn_captioner_options
from .._handles import read_string
from .._lib import check, lib
from .._handles import Handle
from ..dtypes import int64
from ..nn.modules import EngineModule, _as_parameter, _handle_from, Module
from ..serialization import TensorMap
from ..tensor import Tensor, _new, _wrap_new, tensor

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


class ImageCaptioner(EngineModule):
    """ImageCaptioner(vocab, in_channels=3, embed_dim=64, hidden_size=256, base_channels=32,
    conv_blocks=3, pixel_mean=0.0, pixel_std=1.0, image_size=None, feature_grid=2). `vocab`: the caption words
    (ids 4, 5, ...; 0-3 are <pad> <bos> <eos> <unk>). pixel_mean / pixel_std: the training
    normalisation x = (x01 - mean) / std of pixel values x01 in [0, 1], and image_size (H, W):
    the training size; both are saved in the checkpoint so that caption_image (and C's
    snn_captioner_caption_image) can take an image file's pixels as swiftnn.io.read_image gives them.
    feature_grid: the encoder averages its last feature map over a grid x grid grid (1 = one
    value per channel, which forgets where things are)."""

    def __init__(self, vocab: Iterable[str], in_channels: int = 3, embed_dim: int = 64, hidden_size: int = 256,
                 base_channels: int = 32, conv_blocks: int = 3, pixel_mean: float = 0.0, pixel_std: float = 1.0,
                 image_size: Optional[tuple[int, int]] = None, feature_grid: int = 2) -> None:
        o = snn_captioner_options()
        check(lib.snn_captioner_options_init(ctypes.byref(o)))
        o.in_channels, o.embed_dim, o.hidden_size = int(in_channels), int(embed_dim), int(hidden_size)
        o.base_channels, o.conv_blocks = int(base_channels), int(conv_blocks)
        o.pixel_mean, o.pixel_std = float(pixel_mean), float(pixel_std)
        o.feature_grid = int(feature_grid)
        if image_size is not None:
            o.image_height, o.image_width = (int(v) for v in image_size)
        words = [w for w in vocab if w not in SPECIALS]
        h = ctypes.c_void_p()
        check(lib.snn_captioner_new(ctypes.byref(h), ctypes.byref(o), "\n".join(words).encode("utf-8")))
        self._bind(cast(int, h.value))  # set whenever the call succeeds

    def _bind(self, handle: int) -> None:
        # Every entry of the engine's state dict, under its dotted name: the captioner's
        # children are engine-internal, so the Python object holds them all.
        Module.__init__(self)
        object.__setattr__(self, "_engine", Handle(handle, lib.snn_module_free))
        params = TensorMap(_handle_from(lib.snn_module_named_parameters, handle)).to_dict()
        state = TensorMap(_handle_from(lib.snn_module_state_dict, handle)).to_dict()
        for n, t in state.items():
            if n in params:
                self._parameters[n] = _as_parameter(t)
            else:
                self._buffers[n] = t

    @property
    def vocab(self) -> list[str]:
        """Every token, specials first: vocab[id]."""
        return list(self._config()["vocab"])

    @property
    def in_channels(self) -> int:
        """The image channels the model takes (C of [N, C, H, W])."""
        value: int = self._options().in_channels
        return value

    @property
    def pixel_mean(self) -> float:
        """The training normalisation's mean of pixel values in [0, 1]."""
        value: float = self._options().pixel_mean
        return value

    @property
    def pixel_std(self) -> float:
        """The training normalisation's standard deviation of pixel values in [0, 1]."""
        value: float = self._options().pixel_std
        return value

    @property
    def feature_grid(self) -> int:
        """The side of the grid the encoder averages its last feature map over."""
        value: int = self._options().feature_grid
        return value

    @property
    def image_size(self) -> Optional[tuple[int, int]]:
        """The training image size (H, W), or None when unknown."""
        o = self._options()
        return (o.image_height, o.image_width) if o.image_height > 0 else None

    def _options(self) -> Any:
        o = snn_captioner_options()
        check(lib.snn_captioner_get_options(ctypes.byref(o), self._mh))
        return o

    def extra_repr(self) -> str:
        c = self._config()
        return (f"vocab_size={len(c['vocab'])}, in_channels={c['in_channels']}, embed_dim={c['embed_dim']}, "
                f"hidden_size={c['hidden_size']}, base_channels={c['base_channels']}, conv_blocks={c['conv_blocks']}, "
                f"pixel_mean={c.get('pixel_mean', 0)}, pixel_std={c.get('pixel_std', 1)}, "
                f"feature_grid={c.get('feature_grid', 1)}")

    # text <-> tokens
    def encode(self, text: str) -> list[int]:
        """Token ids of the words of text (unknown words -> <unk>), without <bos>/<eos>."""
        cap, n = 64, ctypes.c_size_t()
        while True:
            buf = (ctypes.c_int64 * cap)()
            status = lib.snn_captioner_encode(buf, cap, ctypes.byref(n), self._mh, text.encode("utf-8"))
            if status != 0 and n.value > cap:
                cap = n.value
                continue
            check(status)
            return list(buf[: n.value])

    def decode(self, tokens: Iterable[int]) -> str:
        """The words of token ids, joined by spaces (specials left out)."""
        ids = [int(t) for t in tokens]
        arr = (ctypes.c_int64 * max(len(ids), 1))(*ids)
        return read_string(lib.snn_captioner_decode, self._mh, arr, len(ids))

    def encode_batch(self, captions: Iterable[str], max_len: Optional[int] = None) -> Tensor:
        """int64 [N, L]: <bos> words <eos> <pad>...; L = longest + 2 unless max_len (truncates)."""
        rows = [[BOS] + self.encode(c) + [EOS] for c in captions]
        L = max_len or max(len(r) for r in rows)
        rows = [(r[: L - 1] + [EOS]) if len(r) > L else r + [PAD] * (L - len(r)) for r in rows]
        return tensor(rows, dtype=int64)

    # training
    def forward(self, images: Tensor, tokens: Tensor) -> Tensor:  # type: ignore[override]
        """Teacher-forced logits [B, T, V] for images [B, C, H, W] and tokens int64 [B, T]."""
        arr = (ctypes.c_void_p * 2)(images._h, tokens._h)
        outs = (ctypes.c_void_p * 1)()
        count = ctypes.c_size_t()
        check(lib.snn_module_forward_multi(outs, 1, ctypes.byref(count), self._mh, arr, 2))
        return _wrap_new(outs[0])

    def loss(self, images: Tensor, captions: Tensor) -> Tensor:
        """Mean next-token cross-entropy (padding ignored); a recorded scalar."""
        return _new(lib.snn_captioner_loss, self._mh, images._h, captions._h)

    def fit(self, loader: Any, optimizer: Any, epochs: int = 1, scheduler: Any = None, report_every: int = 50,
            progress: Optional[Callable[[Any], Any]] = None) -> list[float]:
        """The engine's loop over a swiftnn.data.DataLoader(images, captions); progress(p) as in
        swiftnn.train.fit_classifier (return False to stop). Returns per-step losses."""
        from ..train import _run_fit
        return _run_fit(lambda opts: lib.snn_captioner_fit(self._mh, optimizer._h, loader._h, opts),
                        len(loader) * epochs, epochs, report_every, scheduler, progress)

    # generation
    def generate(self, image: Tensor, beam_width: int = 0, max_length: int = 20, length_penalty: float = 0.0,
                 end_token: int = -1, normalize: bool = False) -> tuple[list[int], float]:
        """(token ids, log-probability) for one image [C, H, W]; beam_width 0 is greedy.
        normalize=True: image holds pixel values in [0, 1] (swiftnn.io.read_image), normalised
        with pixel_mean / pixel_std (and checked against image_size) first."""
        o = snn_caption_options()
        check(lib.snn_caption_options_init(ctypes.byref(o)))
        o.beam_width, o.max_length, o.length_penalty, o.end_token = int(beam_width), int(max_length), float(length_penalty), int(end_token)
        cap = int(max_length) + 1
        buf = (ctypes.c_int64 * cap)()
        n, lp = ctypes.c_size_t(), ctypes.c_double()
        fn = lib.snn_captioner_caption_image if normalize else lib.snn_captioner_caption
        check(fn(buf, cap, ctypes.byref(n), ctypes.byref(lp), self._mh, image._h, ctypes.byref(o)))
        return list(buf[: n.value]), lp.value

    def caption(self, image: Tensor, **kw: Any) -> str:
        """The caption text of one image [C, H, W] (keywords as generate)."""
        return self.decode(self.generate(image, **kw)[0])

    def caption_image(self, image: Tensor, **kw: Any) -> str:
        """The caption of an image with pixel values in [0, 1], e.g. swiftnn.io.read_image(path,
        model.in_channels): normalised as in training, then captioned (keywords as generate)."""
        return self.decode(self.generate(image, normalize=True, **kw)[0])


def bleu(references: Sequence[Sequence[Sequence[Any]]], hypotheses: Sequence[Sequence[Any]], n: int = 4) -> float:
    """Corpus BLEU-n (geometric mean of modified n-gram precisions times the brevity penalty)
    with add-one smoothing of the n-gram counts for n > 1 (Lin and Och's smoothing 1 style), as
    a fraction 0..1. references[i]: a list of reference token lists; hypotheses[i]: tokens."""
    matches, totals = [0] * n, [0] * n
    hyp_len = ref_len = 0
    for refs, hyp in zip(references, hypotheses):
        hyp_len += len(hyp)
        ref_len += min((len(r) for r in refs), key=lambda L: (abs(L - len(hyp)), L))
        for k in range(1, n + 1):
            h = collections.Counter(tuple(hyp[i:i + k]) for i in range(len(hyp) - k + 1))
            best: collections.Counter[tuple[Any, ...]] = collections.Counter()
            for r in refs:
                for g, c in collections.Counter(tuple(r[i:i + k]) for i in range(len(r) - k + 1)).items():
                    best[g] = max(best[g], c)
            matches[k - 1] += sum(min(c, best[g]) for g, c in h.items())
            totals[k - 1] += max(len(hyp) - k + 1, 0)
    if hyp_len == 0 or matches[0] == 0:
        return 0.0
    logp = 0.0
    for k in range(n):
        m, t = (matches[k], totals[k]) if k == 0 else (matches[k] + 1, totals[k] + 1)
        logp += math.log(m / t) / n
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(logp)
