#!/usr/bin/env bash
# `make test-sdist`: the Python sdist builds the library from source. Makes the sdist, checks it
# holds the Swift sources, include/, the Makefile and Package.swift; checks that without
# `swift` on PATH the build stops with a clear message (no placeholder such as {LIB_NAME});
# then `pip install swiftnn-*.tar.gz` in a fresh venv (a full release build of the engine:
# several minutes, hence not part of `make test`) and Tests/package/check_package.py from /tmp.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
OUT=$ROOT/build/sdist
rm -rf "$OUT" && mkdir -p "$OUT"
(cd "$ROOT/bindings/python" && "$PYTHON" setup.py -q sdist -d "$OUT" >/dev/null 2>&1) || {
    echo "check_sdist: setup.py sdist failed"; exit 1; }
SDIST=$(ls "$OUT"/swiftnn-*.tar.gz)
LISTING=$(tar tzf "$SDIST")
for want in Makefile Package.swift include/swiftnn.h Sources/SwiftNN/Ops/Loss.swift Sources/SwiftNNC/Boundary.swift \
            tools/build/exports.map bench/kernels setup.py pyproject.toml swiftnn/__init__.py swiftnn/py.typed; do
    grep -q "^swiftnn-[^/]*/$want" <<<"$LISTING" || { echo "check_sdist: $SDIST lacks $want"; exit 1; }
done
echo "check_sdist: $(basename "$SDIST") holds the engine's sources ($(wc -l <<<"$LISTING") entries)"

# No Swift toolchain: a clear error naming what is missing.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
tar xzf "$SDIST" -C "$WORK"
SRC=$(ls -d "$WORK"/swiftnn-*)
if msg=$(cd "$SRC" && env PATH=/usr/bin:/bin "$PYTHON" setup.py -q build_py 2>&1); then
    echo "check_sdist: build_py without swift on PATH succeeded?"; exit 1
fi
echo "$msg" | grep -q 'needs `swift` on PATH' || { echo "check_sdist: unclear error without swift:"; echo "$msg" | tail -5; exit 1; }
if echo "$msg" | grep -q '{LIB_NAME}'; then echo "check_sdist: the error shows a literal {LIB_NAME}"; exit 1; fi
echo "check_sdist: without swift: $(echo "$msg" | grep -o 'swiftnn: building.*PATH, which is missing')"

# The real thing: install the sdist into a fresh venv (builds libswiftnn.so with swift).
VENV=$ROOT/build/venv-sdist
rm -rf "$VENV"
"$PYTHON" -m venv --system-site-packages --without-pip "$VENV"
"$VENV/bin/python" -m pip install -q --no-build-isolation --disable-pip-version-check "$SDIST"
cd /tmp && env -u SWIFTNN_LIB "$VENV/bin/python" "$ROOT/Tests/package/check_package.py"
echo "check_sdist: pip install $(basename "$SDIST") built the library and works"
