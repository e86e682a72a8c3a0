#!/usr/bin/env python3
"""Writes the style images of the neural-style example (data/style/*.png) from Debian's
gcompris-qt-data, which tools/setup.sh installs: GCompris's "paintings" activity ships famous
public-domain paintings, cut into puzzle pieces, in a Qt resource file
(/usr/share/gcompris-qt/rcc/paintings.rcc). This reads the resource file (Qt's rcc format:
a tree of names, flags and data offsets; zlib-compressed entries), reassembles each painting
from its pieces at the positions its board file gives, and saves it as PNG.

The paintings are public domain (their painters died long ago); the digital reproductions come
from Nicolas Pioch's WebMuseum and are distributed in GCompris under GPLv3 or later (the
README inside the resource file). docs/style.md credits each one.

    python3 tools/fetch_paintings.py [--rcc PATH] [--out data/style]
"""
import argparse
import io
import os
import re
import struct
import sys
import zlib

from PIL import Image

RCC = "/usr/share/gcompris-qt/rcc/paintings.rcc"
HERE = os.path.dirname(os.path.abspath(__file__))
# board file -> output name (the ones the docs use; --all writes every board)
PAINTINGS = {"board7_0.qml": "great_wave", "board22_0.qml": "van_gogh_auvers", "board19_0.qml": "kandinsky_composition_8"}


def read_rcc(path):
    """{path inside the resource: bytes} of a Qt rcc file (format versions 1-3)."""
    b = open(path, "rb").read()
    if b[:4] != b"qres":
        raise SystemExit(f"fetch_paintings: {path} is not a Qt resource file (no 'qres' magic)")
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    node = 14 if version == 1 else 22   # version 2 added an 8-byte modification time per node

    def name(off):
        n, = struct.unpack(">H", b[names + off:names + off + 2])
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    files = {}

    def walk(i, prefix):
        p = tree + i * node
        name_off, flags = struct.unpack(">IH", b[p:p + 6])
        nm = name(name_off) if i else ""
        if flags & 2:   # directory: child count, first child index
            count, first = struct.unpack(">II", b[p + 6:p + 14])
            for c in range(count):
                walk(first + c, prefix + nm + "/")
            return
        off, = struct.unpack(">I", b[p + 10:p + 14])
        size, = struct.unpack(">I", b[data + off:data + off + 4])
        raw = b[data + off + 4:data + off + 4 + size]
        if flags & 4:
            raise SystemExit(f"fetch_paintings: {prefix}{nm} is zstd-compressed; this reader handles zlib only")
        files[(prefix + nm).lstrip("/")] = zlib.decompress(raw[4:]) if flags & 1 else raw

    walk(0, "")
    return files


def assemble(files, board_path):
    """(title, RGB image) of one board: its pieces pasted at their centres on the board."""
    base = os.path.dirname(os.path.dirname(board_path))
    text = files[board_path].decode()
    title = re.search(r'qsTr\("([^"]*)"', text).group(1)
    size = re.search(r'"width"\s*:\s*(\d+),\s*"height"\s*:\s*(\d+)', text)
    w, h = int(size.group(1)), int(size.group(2))
    pieces = re.findall(r'"pixmapfile"\s*:\s*"(image/[^"]+\.webp)",\s*"x"\s*:\s*"([\d.]+)",\s*"y"\s*:\s*"([\d.]+)"', text)
    if not pieces:
        raise SystemExit(f"fetch_paintings: {board_path} lists no pieces")
    canvas = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    for rel, x, y in pieces:
        piece = Image.open(io.BytesIO(files[f"{base}/{rel}"])).convert("RGBA")
        canvas.alpha_composite(piece, (round(float(x) * w - piece.width / 2), round(float(y) * h - piece.height / 2)))
    return title, canvas.crop(canvas.getbbox()).convert("RGB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rcc", default=RCC)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "data", "style"))
    ap.add_argument("--all", action="store_true", help="every painting of the activity, named by its board")
    args = ap.parse_args()
    if not os.path.exists(args.rcc):
        sys.exit(f"fetch_paintings: {args.rcc} not found; install Debian's gcompris-qt-data (tools/setup.sh does)")
    files = read_rcc(args.rcc)
    boards = sorted(p for p in files if re.search(r"paintings/resource/board/board\d+_0\.qml$", p))
    os.makedirs(args.out, exist_ok=True)
    credits = []
    for board in boards:
        key = os.path.basename(board)
        if not args.all and key not in PAINTINGS:
            continue
        title, image = assemble(files, board)
        name = PAINTINGS.get(key, key[:-len("_0.qml")])
        image.save(os.path.join(args.out, name + ".png"))
        credits.append(f"{name}.png\t{image.width}x{image.height}\t{title}")
        print(f"wrote {os.path.join(args.out, name + '.png')} ({image.width}x{image.height}): {title}")
    with open(os.path.join(args.out, "CREDITS.txt"), "w") as f:
        f.write("Public-domain paintings; digital reproductions from the WebMuseum (Nicolas Pioch), distributed in\n"
                "Debian's gcompris-qt-data (GCompris 'paintings' activity) under GPLv3 or later.\n\n")
        f.write("\n".join(credits) + "\n")


if __name__ == "__main__":
    main()
