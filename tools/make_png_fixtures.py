#!/usr/bin/env python3
"""Writes the PNG decoder's fixtures into Tests/fixtures/png/ (run by hand; outputs committed).

Most files are written by Pillow (adaptive filters, optimize=True on some, every colour type
and the bit depths Pillow writes); the ones Pillow cannot write (16-bit RGB, Adam7
interlacing, every filter type on purpose) by the small encoder below with Python's zlib,
and Pillow must decode those back to the source pixels. expected.safetensors holds, per file
stem, the pixels as stored (palette expanded, a tRNS colour key as an alpha channel) as
float32 [C, H, W] = value / (2^depth - 1): what snn_image_read(path, 0) must return exactly.

Run: python3 tools/make_png_fixtures.py   (needs numpy, Pillow, safetensors; deterministic)
"""
import os
import struct
import zlib

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(REPO, "Tests", "fixtures", "png")
rng = np.random.default_rng(7)


def pattern(h, w, c, hi):
    """Smooth gradients plus noise, so adaptive filtering picks different filters per row."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * (k + 3) + y * (2 * k + 1)) for k in range(c)], axis=-1) * hi / (3 * (w + h))
    noise = rng.integers(0, max(2, hi // 8), size=(h, w, c))
    return np.clip(base + noise, 0, hi).astype(np.int64)


def chw(values, maxval):
    """float32 [C, H, W] from integer [H, W, C] (or [H, W]) values."""
    a = np.asarray(values, dtype=np.int64)
    if a.ndim == 2:
        a = a[:, :, None]
    return np.ascontiguousarray((a.astype(np.float32) / np.float32(maxval)).transpose(2, 0, 1))


def ihdr(path):
    with open(path, "rb") as f:
        head = f.read(33)
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", head[16:29])
    return depth, ctype, interlace


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows, bpp):
    """Filters each row with type (row index % 5): every filter, on every pass."""
    out, prior = b"", bytes(len(rows[0])) if rows else b""
    for r, row in enumerate(rows):
        t = r % 5
        f = bytearray(len(row))
        for i, v in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][t]
            f[i] = (v - pred) & 0xFF
        out += bytes([t]) + bytes(f)
        prior = row
    return out


def pack_row(values, depth):
    """One row of integer samples as PNG bytes (big-endian 16-bit, MSB-first sub-byte)."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in values)
    if depth == 8:
        return bytes(int(v) for v in values)
    per = 8 // depth
    out = bytearray((len(values) + per - 1) // per)
    for i, v in enumerate(values):
        out[i // per] |= int(v) << (8 - depth * (i % per + 1))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def encode(path, pixels, depth, ctype, interlace):
    """Our own PNG writer: pixels int [H, W, C]."""
    h, w, c = pixels.shape
    bpp = max(1, c * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        raw += filter_rows([pack_row(r.reshape(-1), depth) for r in sub], bpp)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))
    z = zlib.compress(raw, 9)
    data += chunk(b"IDAT", z[: len(z) // 2]) + chunk(b"IDAT", z[len(z) // 2:])  # split across two IDATs
    data += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    def pil(name, img, want, **save):
        path = os.path.join(OUT, name + ".png")
        img.save(path, **save)
        depth, ctype, interlace = ihdr(path)
        assert (depth, ctype, interlace) == want, (name, depth, ctype, interlace)
        return Image.open(path)

    g = pattern(9, 13, 1, 255)[:, :, 0].astype(np.uint8)
    expected["gray8"] = chw(np.asarray(pil("gray8", Image.fromarray(g, "L"), (8, 0, 0))), 255)
    expected["gray8_opt"] = chw(np.asarray(pil("gray8_opt", Image.fromarray(g, "L"), (8, 0, 0), optimize=True)), 255)
    bits = (pattern(7, 13, 1, 255)[:, :, 0] > 127)
    expected["gray1"] = chw(np.asarray(pil("gray1", Image.fromarray(bits).convert("1"), (1, 0, 0))).astype(np.int64), 1)
    g16 = pattern(6, 11, 1, 65535)[:, :, 0].astype(np.uint16)
    im16 = Image.fromarray(g16)  # uint16 -> mode I;16
    got16 = np.asarray(pil("gray16", im16, (16, 0, 0)))
    assert (got16 == g16).all()
    expected["gray16"] = chw(got16, 65535)
    la = pattern(8, 10, 2, 255).astype(np.uint8)
    expected["gray_alpha"] = chw(np.asarray(pil("gray_alpha", Image.fromarray(la, "LA"), (8, 4, 0))), 255)
    rgb = pattern(10, 12, 3, 255).astype(np.uint8)
    expected["rgb"] = chw(np.asarray(pil("rgb", Image.fromarray(rgb, "RGB"), (8, 2, 0))), 255)
    expected["rgb_opt"] = chw(np.asarray(pil("rgb_opt", Image.fromarray(rgb, "RGB"), (8, 2, 0), optimize=True)), 255)
    rgba = pattern(9, 11, 4, 255).astype(np.uint8)
    expected["rgba"] = chw(np.asarray(pil("rgba", Image.fromarray(rgba, "RGBA"), (8, 6, 0), optimize=True)), 255)

    # Palettes: 16 colours at 4 bits; 4 colours at 2 bits with per-entry alpha (tRNS).
    pal16 = rng.integers(0, 256, size=(16, 3)).astype(np.uint8)
    idx = pattern(9, 15, 1, 15)[:, :, 0].astype(np.uint8)
    p4 = Image.fromarray(idx, "P")
    p4.putpalette(pal16.reshape(-1).tolist())
    expected["palette4"] = chw(np.asarray(pil("palette4", p4, (4, 3, 0), bits=4).convert("RGB")), 255)
    idx2 = pattern(7, 9, 1, 3)[:, :, 0].astype(np.uint8)
    p2 = Image.fromarray(idx2, "P")
    p2.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 250])
    expected["palette2_trns"] = chw(np.asarray(pil("palette2_trns", p2, (2, 3, 0), bits=2,
                                                    transparency=bytes([0, 128, 255])).convert("RGBA")), 255)

    # Colour keys (tRNS on gray and RGB): the decoder adds an alpha channel, 0 on the key.
    gk = g.copy()
    key = int(gk[2, 3])
    pil("gray_trns", Image.fromarray(gk, "L"), (8, 0, 0), transparency=key)
    expected["gray_trns"] = chw(np.stack([gk, np.where(gk == key, 0, 255)], axis=-1), 255)
    rk = rgb.copy()
    rkey = tuple(int(v) for v in rk[4, 5])
    pil("rgb_trns", Image.fromarray(rk, "RGB"), (8, 2, 0), transparency=rkey)
    expected["rgb_trns"] = chw(np.concatenate([rk, np.where((rk == rkey).all(-1), 0, 255)[:, :, None]], -1), 255)

    # Our encoder: what Pillow cannot write. Pillow must read these back as their source.
    rgb16 = pattern(7, 11, 3, 65535)
    encode(os.path.join(OUT, "rgb16_filters.png"), rgb16, 16, 2, 0)
    expected["rgb16_filters"] = chw(rgb16, 65535)
    rgba_i = pattern(13, 11, 4, 255)
    encode(os.path.join(OUT, "rgba_adam7.png"), rgba_i, 8, 6, 1)
    assert (np.asarray(Image.open(os.path.join(OUT, "rgba_adam7.png"))) == rgba_i).all()
    expected["rgba_adam7"] = chw(rgba_i, 255)
    g2 = pattern(10, 9, 1, 3)
    encode(os.path.join(OUT, "gray2_adam7.png"), g2, 2, 0, 1)
    assert (np.asarray(Image.open(os.path.join(OUT, "gray2_adam7.png"))) == g2[:, :, 0] * 85).all()
    expected["gray2_adam7"] = chw(g2, 3)
    tiny = pattern(3, 2, 3, 255)  # smaller than the first Adam7 passes: some passes are empty
    encode(os.path.join(OUT, "rgb_adam7_tiny.png"), tiny, 8, 2, 1)
    assert (np.asarray(Image.open(os.path.join(OUT, "rgb_adam7_tiny.png"))) == tiny).all()
    expected["rgb_adam7_tiny"] = chw(tiny, 255)

    save_file(expected, os.path.join(OUT, "expected.safetensors"))
    with open(os.path.join(OUT, "FILES"), "w") as f:
        f.write("\n".join(sorted(expected)) + "\n")
    print(f"wrote {len(expected)} PNG fixtures to {OUT}")


if __name__ == "__main__":
    main()
