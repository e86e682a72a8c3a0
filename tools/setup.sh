#!/usr/bin/env bash
# Installs what building and testing SwiftNN needs on a fresh Debian machine (as root):
# OpenBLAS and pkg-config from Debian, the Python test dependencies from PyPI. Swift 6.3 must
# be on PATH.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# pkg-config: `make test-install` builds a program with `pkg-config --cflags --libs swiftnn`.
packages="libopenblas-dev pkg-config"
if ! dpkg -s $packages >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq $packages >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/../bindings/python/requirements-test.txt"
echo "setup: libopenblas-dev, pkg-config and Python test dependencies installed"
