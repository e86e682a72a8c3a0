"""swiftnn.io: every PNG fixture (Tests/fixtures/png, tools/make_png_fixtures.py) decodes to
the committed pixels (read with safetensors.numpy, independently of the engine); channel
conversions follow the documented formulas; write_png -> read_image is exact; and corrupt
files raise errors (in a child process, so a crash fails the test instead of pytest)."""
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from safetensors.numpy import load_file

import swiftnn
from swiftnn import io
from conftest import REPO

PNG = os.path.join(REPO, "Tests", "fixtures", "png")
EXPECTED = load_file(os.path.join(PNG, "expected.safetensors"))
NAMES = open(os.path.join(PNG, "FILES")).read().split()


@pytest.mark.parametrize("name", NAMES)
def test_fixture_exact(name):
    got = io.read_image(os.path.join(PNG, name + ".png")).numpy()
    want = EXPECTED[name]
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.array_equal(got, want), f"{name}: {np.count_nonzero(got != want)} samples differ"


def test_channel_conversions():
    path = os.path.join(PNG, "rgba.png")
    s = EXPECTED["rgba"]
    a = s[3]
    white = s[:3] * a + (1 - a)
    np.testing.assert_allclose(io.read_image(path, 3).numpy(), white, atol=1e-6, rtol=0)
    luma = (0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2]) * a + (1 - a)
    np.testing.assert_allclose(io.read_image(path, 1).numpy()[0], luma, atol=1e-6, rtol=0)
    assert np.array_equal(io.read_image(path, 4).numpy(), s)
    g = EXPECTED["gray8"]
    assert np.array_equal(io.read_image(os.path.join(PNG, "gray8.png"), 3).numpy(), np.repeat(g, 3, axis=0))
    ga = EXPECTED["gray_alpha"]
    np.testing.assert_allclose(io.read_image(os.path.join(PNG, "gray_alpha.png"), 1).numpy()[0],
                               ga[0] * ga[1] + (1 - ga[1]), atol=1e-6, rtol=0)


def test_round_trip(tmp_path):
    for name in ("rgb", "rgba", "gray8", "gray_alpha", "palette4"):
        t = io.read_image(os.path.join(PNG, name + ".png"))
        p = str(tmp_path / (name + ".png"))
        io.write_png(t, p)
        assert np.array_equal(io.read_image(p).numpy(), t.numpy()), name
    # Clamped and rounded to 8 bits; the file is a valid zlib/PNG stream for Python's zlib too.
    x = np.array([[[-1.0, 2.0, 0.5, 0.2]]], dtype=np.float32)
    p = str(tmp_path / "clamp.png")
    io.write_png(swiftnn.from_numpy(x), p)
    assert np.array_equal(io.read_image(p).numpy()[0, 0], np.float32([0, 255, 128, 51]) / np.float32(255))
    raw = open(p, "rb").read()
    idat = raw.index(b"IDAT")
    n = struct.unpack(">I", raw[idat - 4:idat])[0]
    assert zlib.decompress(raw[idat + 4:idat + 4 + n]) == bytes([0, 0, 255, 128, 51])


def test_errors(tmp_path):
    with pytest.raises(swiftnn.SwiftNNIOError, match="missing.png"):
        io.read_image(str(tmp_path / "missing.png"))
    with pytest.raises(swiftnn.InvalidArgumentError, match="channels"):
        io.read_image(os.path.join(PNG, "rgb.png"), channels=2)
    with pytest.raises(swiftnn.FormatError, match="not a PNG"):
        io.read_image(os.path.join(PNG, "expected.safetensors"))
    with pytest.raises(swiftnn.ShapeError):
        io.write_png(swiftnn.zeros(2, 3), str(tmp_path / "x.png"))
    with pytest.raises(swiftnn.InvalidArgumentError, match="NaN"):
        io.write_png(swiftnn.from_numpy(np.full((1, 1, 1), np.nan, np.float32)), str(tmp_path / "x.png"))
    with pytest.raises(TypeError):
        io.write_png(np.zeros((1, 1, 1), np.float32), str(tmp_path / "x.png"))


def _fix_crc(b, pos):
    n = struct.unpack(">I", b[pos:pos + 4])[0]
    b[pos + 8 + n:pos + 12 + n] = struct.pack(">I", zlib.crc32(bytes(b[pos + 4:pos + 8 + n])))


def corrupt_variants():
    good = open(os.path.join(PNG, "rgb.png"), "rb").read()
    out = {"truncated_%d" % k: good[:k] for k in (0, 7, 8, 20, 33, 40, len(good) // 2, len(good) - 12, len(good) - 1)}
    b = bytearray(good); b[0] = 0x88; out["bad_signature"] = bytes(b)
    b = bytearray(good); b[20] ^= 1; out["bad_crc"] = bytes(b)
    b = bytearray(good); b[41] = 0x79; _fix_crc(b, 33); out["bad_zlib_header"] = bytes(b)
    b = bytearray(good); b[60] ^= 0x55; _fix_crc(b, 33); out["bad_deflate"] = bytes(b)
    b = bytearray(good); b[16:24] = struct.pack(">II", 0x7FFFFFFF, 0x7FFFFFFF); _fix_crc(b, 8); out["huge_ihdr"] = bytes(b)
    b = bytearray(good); b[16:20] = bytes(4); _fix_crc(b, 8); out["zero_width"] = bytes(b)
    out["missing_ihdr"] = good[:8] + good[33:]
    out["missing_iend"] = good[:-12]
    return out


CHILD = r"""
import sys, swiftnn
from swiftnn import io
for path in sys.argv[1:]:
    try:
        io.read_image(path)
        print(path, "OK")
    except swiftnn.SwiftNNError as e:
        print(path, type(e).__name__, str(e).replace("\n", " "))
"""


def test_corrupt_files_in_child(tmp_path):
    variants = corrupt_variants()
    paths = []
    for name, data in variants.items():
        p = tmp_path / (name + ".png")
        p.write_bytes(data)
        paths.append(str(p))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(swiftnn.__file__))] + sys.path))
    r = subprocess.run([sys.executable, "-c", CHILD, *paths], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, f"child died ({r.returncode}): {r.stderr[-2000:]}"
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    for p in paths:
        kind = lines[p].split(" ", 1)[0]
        expected = "UnsupportedError" if p.endswith("huge_ihdr.png") else "FormatError"
        assert kind == expected, f"{os.path.basename(p)}: {lines[p]}"
        assert "snn_image_read" in lines[p] and os.path.basename(p) in lines[p], lines[p]
