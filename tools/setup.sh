#!/usr/bin/env bash
# Installs what building and testing SwiftNN needs on a fresh Debian machine (as root):
# OpenBLAS from Debian, the Python test dependencies from PyPI. Swift 6.3 must be on PATH.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s libopenblas-dev >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq libopenblas-dev >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/../bindings/python/requirements-test.txt"
echo "setup: libopenblas-dev and Python test dependencies installed"
