#!/usr/bin/env python3
"""Writes the small committed fixtures of the data tests into Tests/fixtures/ (stdlib only).

inflate/  payload.bin and gzip/deflate encodings of it made by Python's gzip and zlib at
          several levels and strategies, multi-member and header-flag variants, hand-built
          DEFLATE streams (fixed and dynamic blocks, one or no distance code), and corrupt
          streams. Python's zlib is the oracle: every good stream must decode to its expected
          bytes with zlib, and zlib must reject every bad one.
idx/      hand-made IDX files (a few 3x3 images, labels, other element types) and broken ones.
mnist-tiny/  an MNIST-style folder (train gzipped, t10k raw) with 4 + 2 tiny images.

Run: python3 tools/make_data_fixtures.py (deterministic; the outputs are committed).
"""
import gzip
import io
import os
import struct
import zlib

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(REPO, "Tests", "fixtures")


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# ---- payload ----------------------------------------------------------------------------

def lcg_bytes(n, seed):
    out, x = bytearray(), seed
    for _ in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out.append(x >> 56)
    return bytes(out)


def payload():
    text = "".join(f"line {i}: the quick brown fox {i * i % 97} jumps over {i % 13} lazy dogs\n" for i in range(500))
    p = bytearray(text.encode())
    p += lcg_bytes(6000, 1)                    # incompressible: literals, stored blocks
    p += bytes(4000)                           # a long run: distance-1 matches
    block = lcg_bytes(300, 2)
    p += block * 3                             # distance-300 matches
    p += b"ab" * 500 + b"abc" * 300 + b"abcdefg" * 200  # short overlapping distances 2, 3, 7
    p += p[:3000]                              # distances near the 32 KiB window
    return bytes(p)


def gzip_bytes(data, level):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=level, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def raw_deflate(data, level=6, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
    return c.compress(data) + c.flush()


def gzip_member(deflate, data, flags=0, extra=b"", name=b"", comment=b"", hcrc=False):
    """A gzip member around a raw DEFLATE stream, with optional header fields."""
    flg = flags
    if extra:
        flg |= 4
    if name:
        flg |= 8
    if comment:
        flg |= 16
    if hcrc:
        flg |= 2
    h = bytes([0x1F, 0x8B, 8, flg]) + struct.pack("<I", 0) + bytes([0, 255])
    if extra:
        h += struct.pack("<H", len(extra)) + extra
    if name:
        h += name + b"\0"
    if comment:
        h += comment + b"\0"
    if hcrc:
        h += struct.pack("<H", zlib.crc32(h) & 0xFFFF)
    return h + deflate + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


# ---- a tiny DEFLATE writer for hand-built streams ---------------------------------------

class Bits:
    def __init__(self):
        self.acc, self.n, self.out = 0, 0, bytearray()

    def put(self, value, count):          # LSB first, as DEFLATE's header fields
        self.acc |= (value & ((1 << count) - 1)) << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, code, length):          # Huffman codes go MSB first
        for i in range(length - 1, -1, -1):
            self.put((code >> i) & 1, 1)

    def bytes(self):
        return bytes(self.out) + (bytes([self.acc]) if self.n else b"")


def canonical(lengths):
    counts = [0] * 16
    for l in lengths:
        if l:
            counts[l] += 1
    nxt, code = [0] * 16, 0
    for bits in range(1, 16):
        code = (code + counts[bits - 1]) << 1
        nxt[bits] = code
    codes = {}
    for sym, l in enumerate(lengths):
        if l:
            codes[sym] = (nxt[l], l)
            nxt[l] += 1
    return codes


def fixed_lengths():
    return [8] * 144 + [9] * 112 + [7] * 24 + [8] * 8, [5] * 32


LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
LEN_EXTRA = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [0]
DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
             3073, 4097, 6145, 8193, 12289, 16385, 24577]
DIST_EXTRA = [0, 0, 0, 0] + [i // 2 for i in range(2, 28)]


def emit(bits, items, lit_codes, dist_codes):
    """items: ints (literal bytes), ('match', length, distance), ('sym', litlen symbol),
    ('dsym', distance symbol) for invalid symbols, 'eob'."""
    for it in items:
        if it == "eob":
            bits.code(*lit_codes[256])
        elif isinstance(it, int):
            bits.code(*lit_codes[it])
        elif it[0] == "sym":
            bits.code(*lit_codes[it[1]])
        elif it[0] == "dsym":
            bits.code(*lit_codes[257])     # a length of 3, then the given distance symbol
            bits.code(*dist_codes[it[1]])
        else:
            _, length, dist = it
            i = max(k for k in range(29) if LEN_BASE[k] <= length)
            if length == 258:
                i = 28
            bits.code(*lit_codes[257 + i])
            bits.put(length - LEN_BASE[i], LEN_EXTRA[i])
            j = max(k for k in range(30) if DIST_BASE[k] <= dist)
            bits.code(*dist_codes[j])
            bits.put(dist - DIST_BASE[j], DIST_EXTRA[j])


def fixed_block(bits, items, final=True):
    bits.put(1 if final else 0, 1)
    bits.put(1, 2)
    l, d = fixed_lengths()
    emit(bits, items, canonical(l), canonical(d))


CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]


def dynamic_block(bits, items, lit_lengths, dist_lengths, final=True, cl_lengths=None, cl_symbols=None,
                  hlit=None, hdist=None):
    """A type-2 block. Code lengths are sent as plain symbols 0..15 unless `cl_symbols` (a list
    of (symbol, extra value)) is given; `cl_lengths` overrides the code-length code."""
    bits.put(1 if final else 0, 1)
    bits.put(2, 2)
    hlit = len(lit_lengths) if hlit is None else hlit
    hdist = len(dist_lengths) if hdist is None else hdist
    if cl_symbols is None:
        cl_symbols = [(l, 0) for l in list(lit_lengths) + list(dist_lengths)]
    if cl_lengths is None:
        used = sorted({s for s, _ in cl_symbols})
        cl_lengths = [0] * 19
        if len(used) == 1:
            used.append(0 if used[0] != 0 else 1)
        # a complete code: lengths from a balanced tree over the used symbols
        k = len(used)
        depth = max(1, (k - 1).bit_length())
        short = (1 << depth) - k          # this many get depth-1
        for idx, s in enumerate(used):
            cl_lengths[s] = depth - 1 if idx < short else depth
    cl_codes = canonical(cl_lengths)
    bits.put(hlit - 257, 5)
    bits.put(hdist - 1, 5)
    bits.put(19 - 4, 4)
    for s in CL_ORDER:
        bits.put(cl_lengths[s], 3)
    extra_bits = {16: 2, 17: 3, 18: 7}
    for s, e in cl_symbols:
        bits.code(*cl_codes[s])
        if s in extra_bits:
            bits.put(e, extra_bits[s])
    emit(bits, items, canonical(lit_lengths), canonical(dist_lengths))


def stored_block(bits, data, final=True, nlen=None):
    bits.put(1 if final else 0, 1)
    bits.put(0, 2)
    if bits.n:
        bits.put(0, 8 - bits.n)
    bits.put(len(data), 16)
    bits.put((~len(data) & 0xFFFF) if nlen is None else nlen, 16)
    bits.out += data


def lit_lengths_basic(extra_len_syms=(257, 258, 259), eob=True, n=286):
    """A complete literal/length code: 256 literals + EOB + a few length symbols."""
    syms = list(range(256)) + ([256] if eob else []) + list(extra_len_syms)
    l = [0] * n
    # 256 symbols at length 9 and the rest at 8 would not be complete; use a simple scheme:
    # k symbols -> a complete code from a balanced tree.
    k = len(syms)
    depth = (k - 1).bit_length()
    short = (1 << depth) - k
    for idx, s in enumerate(syms):
        l[s] = depth - 1 if idx < short else depth
    return l


def crafted():
    """(name, stream, expected bytes or None for invalid)."""
    cases = []

    b = Bits()  # fixed block: literals and an overlapping distance-1 match of length 258
    fixed_block(b, [ord("x"), ("match", 258, 1), ord("y"), ("match", 10, 2), "eob"])
    cases.append(("fixed-run", b.bytes(), b"x" + b"x" * 258 + b"y" + b"xy" * 5))

    b = Bits()  # stored, then fixed, then dynamic with a single one-bit distance code
    stored_block(b, b"hello ", final=False)
    fixed_block(b, [ord("w"), ord("o"), ("match", 3, 7), "eob"], final=False)
    ll = lit_lengths_basic()
    dl = [1] + [0] * 29  # one distance code (distance 1), length 1: incomplete but allowed
    dynamic_block(b, [ord("z"), ("match", 5, 1), "eob"], ll, dl, final=True)
    cases.append(("mixed-single-dist", b.bytes(), b"hello woell" + b"z" * 6))

    b = Bits()  # dynamic block with no distance codes at all: literals only
    dynamic_block(b, [ord(c) for c in "only literals"] + ["eob"], lit_lengths_basic(), [0])
    cases.append(("no-distance-codes", b.bytes(), b"only literals"))

    b = Bits()  # code-length repeat codes 16, 17, 18
    ll = lit_lengths_basic(extra_len_syms=())  # 257 symbols
    # ll is 256 literals + EOB at lengths 8/9: send them with repeats
    syms, i = [], 0
    seq = ll[:257] + [0] * (286 - 257) + [0] * 30
    seq[286] = 0
    while i < len(seq):
        v = seq[i]
        run = 1
        while i + run < len(seq) and seq[i + run] == v:
            run += 1
        if v == 0 and run >= 11:
            r = min(run, 138)
            syms.append((18, r - 11))
            i += r
        elif v == 0 and run >= 3:
            syms.append((17, run - 3))
            i += run
        elif run >= 4:
            syms.append((v, 0))
            r = min(run - 1, 6)
            syms.append((16, r - 3))
            i += 1 + r
        else:
            syms.append((v, 0))
            i += 1
    dl = [0] * 30
    dynamic_block(b, [ord(c) for c in "repeat codes"] + ["eob"], seq[:286], dl, cl_symbols=syms)
    cases.append(("repeat-codes", b.bytes(), b"repeat codes"))

    # ---- invalid streams ----
    b = Bits()
    b.put(1, 1)
    b.put(3, 2)
    b.put(0, 13)
    cases.append(("bad-block-type", b.bytes(), None))

    b = Bits()
    fixed_block(b, [ord("a"), ("match", 3, 2), "eob"])
    cases.append(("bad-distance-too-far", b.bytes(), None))

    b = Bits()
    fixed_block(b, [ord("a"), ("sym", 286), "eob"])
    cases.append(("bad-length-symbol-286", b.bytes(), None))

    b = Bits()
    fixed_block(b, [ord("a"), ord("b"), ord("c"), ("dsym", 30), "eob"])
    cases.append(("bad-distance-symbol-30", b.bytes(), None))

    b = Bits()
    stored_block(b, b"abc", nlen=0x1234)
    cases.append(("bad-stored-nlen", b.bytes(), None))

    b = Bits()  # over-subscribed literal/length code (three codes of length 1)
    ll = [0] * 257
    ll[0] = ll[1] = ll[256] = 1
    dynamic_block(b, [], ll, [1], final=True)
    cases.append(("bad-oversubscribed", b.bytes(), None))

    b = Bits()  # incomplete literal/length code (two codes of length 2)
    ll = [0] * 257
    ll[65] = ll[256] = 2
    try:
        dynamic_block(b, [65, "eob"], ll, [1])
    except KeyError:
        pass
    cases.append(("bad-incomplete", b.bytes(), None))

    b = Bits()  # no end-of-block code
    ll = lit_lengths_basic(extra_len_syms=(257,), eob=False)
    dynamic_block(b, [], ll, [1])
    cases.append(("bad-no-eob", b.bytes(), None))

    b = Bits()  # repeat (16) as the first code length
    ll = lit_lengths_basic()
    syms = [(16, 0)] + [(l, 0) for l in ll + [1]]
    dynamic_block(b, [], ll, [1], cl_symbols=syms)
    cases.append(("bad-repeat-first", b.bytes(), None))

    b = Bits()  # repeat past the end of the code lengths
    ll = lit_lengths_basic()
    syms = [(l, 0) for l in ll] + [(18, 127)]
    dynamic_block(b, [], ll, [1], cl_symbols=syms)
    cases.append(("bad-repeat-overflow", b.bytes(), None))

    b = Bits()  # HLIT = 287 (> 286)
    b.put(1, 1)
    b.put(2, 2)
    b.put(30, 5)
    b.put(0, 5)
    b.put(15, 4)
    b.put(0, 64)
    cases.append(("bad-hlit", b.bytes(), None))

    b = Bits()  # incomplete code-length code
    ll = lit_lengths_basic()
    cl = [0] * 19
    for s in set(ll + [1]):
        cl[s] = 3   # two or three symbols at length 3: incomplete
    dynamic_block(b, [], ll, [1], cl_lengths=cl)
    cases.append(("bad-codelength-incomplete", b.bytes(), None))
    return cases


def check_with_zlib(name, stream, expected):
    try:
        d = zlib.decompressobj(-15)
        got = d.decompress(stream) + d.flush()
        ok = d.eof
    except zlib.error:
        got, ok = None, False
    if expected is None:
        assert not ok, f"{name}: zlib accepts a stream meant to be invalid"
    else:
        assert ok and got == expected, f"{name}: zlib decodes {got!r}, expected {expected!r}"


# ---- IDX --------------------------------------------------------------------------------

def idx(code, shape, payload_bytes):
    return struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape) + payload_bytes


IMAGES = [
    [0, 1, 2, 127, 128, 129, 253, 254, 255],
    [255, 0, 255, 0, 255, 0, 255, 0, 255],
    [10, 20, 30, 40, 50, 60, 70, 80, 90],
    [3, 1, 4, 1, 5, 9, 2, 6, 5],
]
LABELS = [3, 1, 4, 1]


def main():
    data = payload()
    write("inflate/payload.bin", data)
    for level in (0, 1, 6, 9):
        g = gzip_bytes(data, level)
        assert gzip.decompress(g) == data
        write(f"inflate/payload-l{level}.gz", g)
    for name, strategy in (("fixed", zlib.Z_FIXED), ("huffman", zlib.Z_HUFFMAN_ONLY), ("rle", zlib.Z_RLE)):
        g = gzip_member(raw_deflate(data, 6, strategy), data)
        assert gzip.decompress(g) == data
        write(f"inflate/payload-{name}.gz", g)
    g = gzip_member(raw_deflate(data, 9), data, extra=b"SN\x04\x00abcd", name=b"payload.bin",
                    comment=b"all header fields", hcrc=True)
    assert gzip.decompress(g) == data
    write("inflate/payload-headers.gz", g)
    parts = [data[:10000], data[10000:10000], data[10000:]]
    g = b"".join(gzip_bytes(p, lvl) for p, lvl in zip(parts, (1, 6, 9)))
    assert gzip.decompress(g) == data
    write("inflate/payload-multi.gz", g)
    write("inflate/payload.deflate", raw_deflate(data, 6))
    write("inflate/empty.gz", gzip_bytes(b"", 6))

    good = gzip_bytes(data, 6)
    write("inflate/bad-crc.gz", good[:-8] + bytes([good[-8] ^ 1]) + good[-7:])
    write("inflate/bad-isize.gz", good[:-4] + struct.pack("<I", len(data) + 1))
    write("inflate/bad-method.gz", good[:2] + b"\x07" + good[3:])
    write("inflate/bad-flags.gz", good[:3] + b"\x20" + good[4:])
    write("inflate/bad-header-crc.gz", gzip_member(raw_deflate(b"x"), b"x", hcrc=True)[:10] + b"\0\0" +
          gzip_member(raw_deflate(b"x"), b"x")[10:])
    write("inflate/truncated-half.gz", good[: len(good) // 2])
    write("inflate/truncated-trailer.gz", good[:-3])
    write("inflate/trailing-garbage.gz", good + b"garbage")
    write("inflate/trailing-zeros.gz", good + bytes(16))
    write("inflate/not-gzip.gz", b"PK\x03\x04 this is not gzip")

    names = []
    for name, stream, expected in crafted():
        check_with_zlib(name, stream, expected)
        body = expected if expected is not None else b""
        member = gzip_member(stream, body)
        if expected is not None:
            assert gzip.decompress(member) == expected
            write(f"inflate/crafted-{name}.out", expected)
        write(f"inflate/crafted-{name}.gz", member)
        names.append(name)
    write("inflate/CRAFTED", ("\n".join(names) + "\n").encode())

    pixels = bytes(v for img in IMAGES for v in img)
    write("idx/images-4x3x3.idx3-ubyte", idx(0x08, [4, 3, 3], pixels))
    write("idx/images-4x3x3.idx3-ubyte.gz", gzip_bytes(idx(0x08, [4, 3, 3], pixels), 9))
    write("idx/labels-4.idx1-ubyte", idx(0x08, [4], bytes(LABELS)))
    write("idx/labels-4.idx1-ubyte.gz", gzip_bytes(idx(0x08, [4], bytes(LABELS)), 9))
    write("idx/uint8-2x6.idx", idx(0x08, [2, 6], bytes(range(0, 240, 20))))
    write("idx/int8-labels-3.idx", idx(0x09, [3], struct.pack(">3b", -1, 0, 127)))
    write("idx/int16-2x3.idx", idx(0x0B, [2, 3], struct.pack(">6h", -32768, -1, 0, 1, 300, 32767)))
    write("idx/int32-labels-3.idx", idx(0x0C, [3], struct.pack(">3i", -70000, 0, 2000000000)))
    write("idx/float32-2x2.idx", idx(0x0D, [2, 2], struct.pack(">4f", 1.5, -2.25, 0.0, 3e38)))
    write("idx/float64-3.idx", idx(0x0E, [1, 3], struct.pack(">3d", 0.1, -1e-3, 12345.678)))
    write("idx/bad-short-data.idx", idx(0x08, [5, 3, 3], pixels))
    write("idx/bad-trailing.idx", idx(0x08, [4, 3, 3], pixels + b"\0"))
    write("idx/bad-magic.idx", b"\x01\x00" + idx(0x08, [4], bytes(LABELS))[2:])
    write("idx/bad-type.idx", idx(0x0A, [4], bytes(LABELS)))
    write("idx/bad-rank0.idx", idx(0x08, [], b""))
    write("idx/bad-short-header.idx", idx(0x08, [4, 3, 3], b"")[:9])
    write("idx/bad-huge-dims.idx", idx(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], pixels))
    write("idx/bad-corrupt.idx3-ubyte.gz", gzip_bytes(idx(0x08, [4, 3, 3], pixels), 9)[:-8] + b"\0" * 8)

    write("mnist-tiny/train-images-idx3-ubyte.gz", gzip_bytes(idx(0x08, [4, 3, 3], pixels), 6))
    write("mnist-tiny/train-labels-idx1-ubyte.gz", gzip_bytes(idx(0x08, [4], bytes(LABELS)), 6))
    write("mnist-tiny/t10k-images-idx3-ubyte", idx(0x08, [2, 3, 3], pixels[:18]))
    write("mnist-tiny/t10k-labels-idx1-ubyte", idx(0x08, [2], bytes(LABELS[:2])))
    write("mnist-mismatch/train-images-idx3-ubyte", idx(0x08, [4, 3, 3], pixels))
    write("mnist-mismatch/train-labels-idx1-ubyte", idx(0x08, [3], bytes(LABELS[:3])))
    write("mnist-mismatch/t10k-images-idx3-ubyte", idx(0x08, [4], bytes(LABELS)))   # labels posing as images
    write("mnist-mismatch/t10k-labels-idx1-ubyte", idx(0x08, [4], bytes(LABELS)))
    print(f"make_data_fixtures: wrote {OUT}/{{inflate,idx,mnist-tiny,mnist-mismatch}} ({len(names)} crafted streams)")


if __name__ == "__main__":
    main()
