#!/usr/bin/env python3
"""Real image/caption pairs for the captioner: every single-code-point emoji of Debian's
fonts-noto-color-emoji (installed by tools/setup.sh), rendered with Pillow from the CBDT colour
font at its native size 109, composited on white, resized to SIZE x SIZE RGB, captioned with
its Unicode name lowercased (U+1F603 -> "grinning face with big eyes").

Writes data/emoji/emoji.safetensors: images uint8 [N, 3, SIZE, SIZE], codepoints int64 [N],
split int64 [N] (0 train, 1 held out: a fixed-seed random 10% of the emoji, so held-out images
are emoji never seen in training), and data/emoji/captions.txt (line i is sample i's caption).

    python3 tools/make_emoji_captions.py [--size 32] [--out data/emoji]
"""
import argparse
import os
import sys
import unicodedata

import numpy as np

FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"


def codepoints(font_path):
    """Code points the font maps to a glyph (fontTools, installed with matplotlib), or the
    emoji blocks when fontTools is absent."""
    try:
        from fontTools.ttLib import TTFont
        cmap = TTFont(font_path, lazy=True).getBestCmap()
        return sorted(cmap)
    except ImportError:
        ranges = [(0x2190, 0x2BFF), (0x1F000, 0x1FAFF)]
        return [c for a, b in ranges for c in range(a, b + 1)]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "emoji"))
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--held-out", type=float, default=0.1)
    a = ap.parse_args(argv)
    if not os.path.exists(FONT):
        sys.exit(f"make_emoji_captions: {FONT} is missing; run tools/setup.sh (Debian fonts-noto-color-emoji)")
    from PIL import Image, ImageDraw, ImageFont
    from safetensors.numpy import save_file
    font = ImageFont.truetype(FONT, 109)  # CBDT bitmaps exist only at this size
    images, cps, caps = [], [], []
    for cp in codepoints(FONT):
        ch = chr(cp)
        name = unicodedata.name(ch, "")
        # Emoji proper: skip ASCII, spaces, format/combining characters and variation selectors.
        if not name or cp < 0x2000 or unicodedata.category(ch) not in ("So", "Sm"):
            continue
        canvas = Image.new("RGBA", (136, 128), (255, 255, 255, 0))
        ImageDraw.Draw(canvas).text((0, 0), ch, font=font, embedded_color=True)
        bbox = canvas.getbbox()
        if bbox is None:
            continue
        glyph = canvas.crop(bbox)
        side = max(glyph.size)
        square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
        square.alpha_composite(glyph, ((side - glyph.size[0]) // 2, (side - glyph.size[1]) // 2))
        rgb = square.convert("RGB").resize((a.size, a.size), Image.LANCZOS)
        images.append(np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1))
        cps.append(cp)
        caps.append(name.lower())
    n = len(images)
    rng = np.random.default_rng(a.seed)
    split = np.zeros(n, dtype=np.int64)
    split[rng.permutation(n)[: int(round(n * a.held_out))]] = 1
    os.makedirs(a.out, exist_ok=True)
    save_file({"images": np.ascontiguousarray(np.stack(images)), "codepoints": np.array(cps, dtype=np.int64), "split": split},
              os.path.join(a.out, "emoji.safetensors"), metadata={"source": "Debian fonts-noto-color-emoji " + FONT,
                                                                    "captions": "captions.txt (unicodedata.name lowercased)"})
    with open(os.path.join(a.out, "captions.txt"), "w") as f:
        f.write("\n".join(caps) + "\n")
    print(f"make_emoji_captions: {n} emoji ({int(split.sum())} held out, seed {a.seed}) at {a.size}x{a.size} -> {os.path.abspath(a.out)}")


if __name__ == "__main__":
    main(sys.argv[1:])
