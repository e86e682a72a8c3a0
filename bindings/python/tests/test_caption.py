"""swiftnn.models.ImageCaptioner: construction and PyTorch-style state dicts, the masked
teacher-forced loss decreasing on a tiny SYNTHETIC set, the engine's fit with progress, greedy
and beam decoding (beam width 1 equals greedy), checkpoint round trips (vocabulary in the
metadata) with identical captions, BLEU, and bad inputs raising (never crashing)."""
import ctypes
import json

import numpy as np
import pytest
from safetensors import safe_open

import swiftnn
from swiftnn import nn
from swiftnn._ffi import SNN_ERR_INVALID_HANDLE
from swiftnn._lib import lib
from swiftnn.models import EOS, ImageCaptioner, bleu

WORDS = ["a", "bright", "dark", "square", "spot"]
CAPS = ["a bright square", "dark spot"]


def toy(n=8):
    rng = np.random.default_rng(0)
    x = np.stack([np.full((1, 8, 8), 1.0 if i % 2 == 0 else -1.0) + 0.1 * rng.standard_normal((1, 8, 8))
                  for i in range(n)]).astype(np.float32)
    return swiftnn.from_numpy(x), [CAPS[i % 2] for i in range(n)]


def small(seed=0):
    swiftnn.manual_seed(seed)
    return ImageCaptioner(WORDS, in_channels=1, embed_dim=8, hidden_size=16, base_channels=4, conv_blocks=2)


def trained():
    m = small()
    x, caps = toy()
    y = m.encode_batch(caps)
    opt = swiftnn.optim.Adam(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        loss = m.loss(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return m, x, losses


def test_structure_vocab_and_tokens():
    m = small()
    assert m.vocab[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"] and m.vocab[4:] == WORDS
    names = [n for n, _ in m.named_parameters()]
    assert names[0] == "encoder.0.weight" and "lstm.weight_hh_l0" in names and names[-1] == "out.bias"
    assert "encoder.1.running_mean" in m.state_dict()
    assert m.encode("a bright zebra") == [4, 5, 3]
    assert m.decode([1, 4, 6, 8, 2, 0]) == "a dark spot"
    y = m.encode_batch(CAPS)
    assert y.numpy().tolist() == [[1, 4, 5, 7, 2], [1, 6, 8, 2, 0]]
    x, _ = toy(2)
    assert tuple(m(x, y).shape) == (2, 5, 9)


def test_loss_decreases_and_captions_are_learned():
    m, x, losses = trained()
    assert losses[-1] < 0.5 * losses[0]
    assert m.caption(x[0]) == "a bright square" and m.caption(x[1]) == "dark spot"


def test_beam_width_1_equals_greedy_and_beam_runs():
    m, x, _ = trained()
    untrained = small(3)
    for model in (m, untrained):
        for i in range(4):
            g = model.generate(x[i], beam_width=0, max_length=7)
            assert model.generate(x[i], beam_width=1, max_length=7) == g
            toks, lp = model.generate(x[i], beam_width=4, max_length=7, length_penalty=0.7)
            assert lp <= 0 and len(toks) <= 7 and EOS not in toks
    # Beam search finds a caption at least as likely as greedy's (no length penalty).
    assert m.generate(x[0], beam_width=4)[1] >= m.generate(x[0])[1] - 1e-6


def test_fit_with_progress_and_early_stop():
    m = small()
    x, caps = toy()
    loader = swiftnn.data.DataLoader(x, m.encode_batch(caps), batch_size=4, shuffle=True, seed=1)
    opt = swiftnn.optim.Adam(m.parameters(), lr=1e-2)
    seen = []
    hist = m.fit(loader, opt, epochs=15, report_every=1, progress=lambda p: seen.append((p.epoch, p.step, p.loss)))
    assert len(hist) == 30 and len(seen) == 30 and seen[-1][0] == 15
    assert np.mean(hist[-4:]) < np.mean(hist[:4])
    stopped = m.fit(loader, opt, epochs=5, report_every=1, progress=lambda p: p.global_step < 3)
    assert len(stopped) == 3


def test_checkpoint_round_trip_gives_identical_captions(tmp_path):
    m, x, _ = trained()
    path = str(tmp_path / "cap.safetensors")
    nn.save_model(m, path)
    with safe_open(path, "np") as f:
        arch = json.loads(f.metadata()["swiftnn.architecture"])
    assert arch["type"] == "ImageCaptioner" and arch["config"]["vocab"][4:] == WORDS
    again = nn.load_model(path)
    assert isinstance(again, ImageCaptioner) and again.vocab == m.vocab
    for i in range(4):
        for b in (0, 1, 3):
            assert again.generate(x[i], beam_width=b) == m.generate(x[i], beam_width=b)


def test_bleu():
    ref = [["a", "cat", "on", "the", "mat"]]
    assert bleu([ref], [ref[0]]) == pytest.approx(1.0)
    assert bleu([ref], [["dog"]]) == 0.0
    assert 0 < bleu([ref], [["a", "cat", "on", "a", "mat"]]) < 1
    # Two references: the closer length is used for the brevity penalty.
    assert bleu([[["a", "b"], ref[0]]], [["a", "b"]]) == pytest.approx(1.0)


def test_bad_inputs_raise():
    m = small()
    x, caps = toy(2)
    y = m.encode_batch(caps)
    with pytest.raises(swiftnn.InvalidArgumentError):
        ImageCaptioner(["a", "a"])
    with pytest.raises(swiftnn.InvalidArgumentError):
        ImageCaptioner(["two words"])
    with pytest.raises(swiftnn.InvalidArgumentError):
        ImageCaptioner(WORDS, hidden_size=0)
    with pytest.raises(swiftnn.DTypeError):
        m.loss(y, y)
    with pytest.raises(swiftnn.ShapeError):
        m.loss(x, swiftnn.tensor([[1, 2]]))  # batch sizes differ
    with pytest.raises(swiftnn.OutOfRangeError):
        m.loss(x, swiftnn.tensor([[1, 99], [1, 2]]))
    with pytest.raises(swiftnn.ShapeError):
        m.generate(x)  # a batch, not one image
    with pytest.raises(swiftnn.ShapeError):
        m.generate(swiftnn.randn(3, 8, 8))  # wrong channel count
    with pytest.raises(swiftnn.InvalidArgumentError):
        m.generate(x[0], beam_width=-1)
    with pytest.raises(swiftnn.OutOfRangeError):
        m.generate(x[0], end_token=1)
    with pytest.raises(swiftnn.OutOfRangeError):
        m.decode([100])
    with pytest.raises(swiftnn.SwiftNNError):
        m.generate(swiftnn.randn(1, 1, 1))  # too small for two pooling blocks
    v = ctypes.c_int64()
    assert lib.snn_captioner_vocab_size(ctypes.byref(v), nn.Linear(2, 2)._mh) == SNN_ERR_INVALID_HANDLE


def test_preprocessing_travels_with_the_checkpoint(tmp_path):
    """pixel_mean/std and image_size are saved; caption_image of pixels in [0, 1] (here through
    a PNG file, as examples/c/caption.c does) equals caption of numpy's normalisation."""
    swiftnn.manual_seed(1)
    m = ImageCaptioner(WORDS, in_channels=3, embed_dim=8, hidden_size=16, base_channels=4, conv_blocks=2,
                       pixel_mean=0.5, pixel_std=0.5, image_size=(8, 8))
    path = str(tmp_path / "cap.safetensors")
    nn.save_model(m, path)
    again = nn.load_model(path)
    assert (again.pixel_mean, again.pixel_std, again.image_size, again.in_channels) == (0.5, 0.5, (8, 8), 3)
    pixels = np.random.default_rng(3).integers(0, 256, size=(3, 8, 8)).astype(np.uint8)
    x01 = pixels.astype(np.float32) / 255.0
    png = str(tmp_path / "img.png")
    swiftnn.io.write_png(swiftnn.from_numpy(x01), png)
    img = swiftnn.io.read_image(png, again.in_channels)
    assert np.array_equal(img.numpy(), x01)
    normalised = swiftnn.from_numpy(np.ascontiguousarray((x01 - 0.5) / 0.5))
    for b in (0, 3):
        assert again.generate(img, beam_width=b, normalize=True) == again.generate(normalised, beam_width=b)
    assert again.caption_image(img) == again.caption(normalised)
    with pytest.raises(swiftnn.ShapeError, match="trained on 8 x 8"):
        again.caption_image(swiftnn.zeros(3, 16, 16))
    with pytest.raises(swiftnn.InvalidArgumentError, match="pixel_std"):
        ImageCaptioner(WORDS, pixel_std=0.0)


def test_checkpoint_without_preprocessing_loads_with_defaults(tmp_path):
    """A checkpoint saved before pixel_mean/std, the image size and feature_grid existed (its
    encoder averaged to one value per channel: feature_grid 1)."""
    from safetensors.numpy import load_file, save_file
    swiftnn.manual_seed(0)
    m = ImageCaptioner(WORDS, in_channels=1, embed_dim=8, hidden_size=16, base_channels=4, conv_blocks=2, feature_grid=1)
    path = str(tmp_path / "new.safetensors")
    nn.save_model(m, path)
    with safe_open(path, "np") as f:
        meta = dict(f.metadata())
    arch = json.loads(meta["swiftnn.architecture"])
    for k in ("pixel_mean", "pixel_std", "image_height", "image_width", "feature_grid"):
        del arch["config"][k]
    meta["swiftnn.architecture"] = json.dumps(arch)
    old = str(tmp_path / "old.safetensors")
    save_file(load_file(path), old, metadata=meta)
    again = nn.load_model(old)
    assert (again.pixel_mean, again.pixel_std, again.image_size, again.feature_grid) == (0.0, 1.0, None, 1)
    x, _ = toy()
    assert again.generate(x[0]) == m.generate(x[0])
    assert again.generate(x[0], normalize=True) == m.generate(x[0])  # mean 0, std 1: no change


def test_feature_grid_keeps_where_things_are():
    """The encoder's last map is averaged over a grid (default 2 x 2) before its Linear, so the
    features keep which quadrant things are in; grid 1 is a global average per channel."""
    g2 = ImageCaptioner(WORDS, in_channels=1, embed_dim=8, hidden_size=16, base_channels=4, conv_blocks=2)
    g1 = ImageCaptioner(WORDS, in_channels=1, embed_dim=8, hidden_size=16, base_channels=4, conv_blocks=2, feature_grid=1)
    g3 = ImageCaptioner(WORDS, in_channels=1, embed_dim=8, hidden_size=16, base_channels=4, conv_blocks=2, feature_grid=3)
    assert (g1.feature_grid, g2.feature_grid, g3.feature_grid) == (1, 2, 3)
    # 2 blocks of 4 -> 8 channels; the encoder's Linear reads 8 * grid^2 features
    assert [tuple(m.state_dict()["encoder.10.weight"].shape) for m in (g1, g2, g3)] == [(16, 8), (16, 32), (16, 72)]
    assert "feature_grid=2" in repr(g2)
    x, caps = toy(2)
    assert tuple(g3(x, g3.encode_batch(caps)).shape) == (2, 5, 9)
    for bad in (0, 9):
        with pytest.raises(swiftnn.InvalidArgumentError, match="feature_grid"):
            ImageCaptioner(WORDS, feature_grid=bad)
