#!/usr/bin/env python3
"""Neural style transfer (Gatys et al. 2015) with swiftnn alone: a photo repainted in the
style of a painting by optimizing its pixels through torchvision's ImageNet MobileNetV2
(docs/style.md). Progress with an ETA; writes the image as PNG, and with --plot a figure of
content, style and result.

    python3 examples/python/style_transfer.py [--content photo.png] [--style painting.png]
        [--size 512] [--steps 300] [--out build/style.png] [--plot build/style_figure.png]
    python3 examples/python/style_transfer.py --smoke      (the golden test's small images, 5 steps)

Defaults: scikit-image's astronaut.png (NASA, public domain) and Hokusai's The Great Wave
(data/style/great_wave.png: `make data` assembles it from Debian's gcompris-qt-data).
"""
import argparse
import importlib.util
import os
import sys
import time
from typing import Any, Dict, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
import swiftnn  # noqa: E402
import swiftnn.nn.functional as F  # noqa: E402
from swiftnn.models import mobilenet_v2, style_transfer  # noqa: E402


def package_file(package: str, rel: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"style_transfer: the {package} package is not installed (tools/setup.sh installs it); or give --content")
    return os.path.join(list(spec.submodule_search_locations)[0], rel)


def resize(image: swiftnn.Tensor, size: tuple[int, int]) -> swiftnn.Tensor:
    """Bilinear resize of [1, 3, H, W]."""
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False)


def square(image: swiftnn.Tensor, size: int) -> swiftnn.Tensor:
    """The largest centred square of an image [3, H, W], resized to size x size: [1, 3, size, size]."""
    _, h, w = image.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = image[:, top:top + s, left:left + s].unsqueeze(0)
    return crop if s == size else resize(crop, (size, size))


def fit(image: swiftnn.Tensor, longest: int) -> swiftnn.Tensor:
    """An image [3, H, W] resized so that its longer side is `longest`: [1, 3, h, w]."""
    _, h, w = image.shape
    scale = longest / max(h, w)
    size = (max(32, round(h * scale)), max(32, round(w * scale)))
    return resize(image.unsqueeze(0), size)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--content", help="photo (PNG or JPEG); default scikit-image's astronaut.png")
    p.add_argument("--style", default=os.path.join(REPO, "data", "style", "great_wave.png"))
    p.add_argument("--size", type=int, default=512, help="the result is size x size (the content's centred square)")
    p.add_argument("--style-size", type=int, default=0, help="longer side of the style image (default: --size)")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--lr", type=float, default=0.03)
    p.add_argument("--style-weight", type=float, default=1e7)
    p.add_argument("--content-weight", type=float, default=1.0)
    p.add_argument("--tv-weight", type=float, default=1.0)
    p.add_argument("--out", default=os.path.join(REPO, "build", "style.png"))
    p.add_argument("--plot", help="also write a figure: content, style, result")
    p.add_argument("--threads", type=int, default=0, help="engine threads (default: all cores)")
    p.add_argument("--smoke", action="store_true", help="the golden test's small images, 5 steps: checks the example runs")
    a = p.parse_args(argv)
    if a.smoke:
        a.steps = 5
    if a.threads:
        swiftnn.set_num_threads(a.threads)
    if a.smoke:
        # The golden test's small photo and painting: the smoke run needs nothing beyond the repository.
        golden = swiftnn.load(os.path.join(REPO, "Tests", "golden", "style", "mobilenet_v2_style.safetensors"))
        content_path, a.style = "golden content (chelsea.png, 64x80)", "golden style (great_wave.png, 64x96)"
        content, style = golden["content"].unsqueeze(0), golden["style"].unsqueeze(0)
    else:
        if not os.path.exists(a.style):
            sys.exit(f"style_transfer: {a.style} not found; `make data` writes the paintings (from Debian's gcompris-qt-data)")
        content_path = a.content or package_file("skimage", os.path.join("data", "astronaut.png"))
        content = square(swiftnn.io.read_image(content_path, 3), a.size)
        style = fit(swiftnn.io.read_image(a.style, 3), a.style_size or a.size)
    model = mobilenet_v2(weights="DEFAULT")
    print(f"content {os.path.basename(content_path)} -> {content.shape[2]}x{content.shape[3]}; style "
          f"{os.path.basename(a.style)} -> {style.shape[2]}x{style.shape[3]}; {a.steps} Adam steps, lr {a.lr}")
    started = time.perf_counter()

    def progress(r: Any, losses: Dict[str, float]) -> None:
        print(f"  step {r.step:4d}/{r.steps_per_epoch}  loss {losses['total']:9.4f} (content {losses['content']:.4f}, "
              f"style {losses['style']:.4f}, tv {losses['tv']:.4f})  {r.samples_per_second:5.1f} steps/s  "
              f"ETA {r.eta_seconds:5.0f} s", flush=True)

    image = style_transfer(model, content, style, steps=a.steps, lr=a.lr, style_weight=a.style_weight,
                           content_weight=a.content_weight, tv_weight=a.tv_weight,
                           report_every=max(1, a.steps // 15), progress=progress)
    seconds = time.perf_counter() - started
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    swiftnn.io.write_png(image[0], a.out)
    print(f"wrote {a.out} ({image.shape[2]}x{image.shape[3]}) in {seconds:.1f} s ({a.steps / max(seconds, 1e-9):.2f} steps/s)")
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
        for ax, img, title in zip(axes, (content, style, image), ("content", "style", f"result ({a.steps} steps)")):
            ax.imshow(img[0].permute(1, 2, 0).numpy())
            ax.set_title(title)
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(a.plot, dpi=80)
        print(f"wrote {a.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
