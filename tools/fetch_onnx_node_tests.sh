#!/usr/bin/env bash
# The ONNX backend conformance node tests (one-node model.onnx + test_data_set_*/*.pb per test)
# into data/onnx-node-tests/node/ (git-ignored). They ship inside the onnx==1.22.0 wheel
# (onnx/backend/test/data/node, 11 MB): fetched from PyPI with pip (no other host), only that
# folder unpacked. Newer onnx wheels no longer ship them; Debian's libonnx-testdata has older
# ones (onnx 1.12). Idempotent: nothing is fetched when the folder is complete. Called by
# tools/setup.sh; bindings/python/tests/test_onnx_node.py skips, saying so, without it.
set -euo pipefail
VERSION=1.22.0
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/data/onnx-node-tests"
if [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$VERSION" ]; then
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: "onnx==$VERSION" -d "$tmp"
rm -rf "$dest"
python3 - "$tmp" "$dest" <<'PY'
import glob, os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "onnx-*.whl"))[0]
prefix = "onnx/backend/test/data/node/"
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            rel = name[len(prefix):]
            if ".." in rel.split("/"):
                continue
            out = os.path.join(dest, "node", rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as f, open(out, "wb") as g:
                g.write(f.read())
            n += 1
print(f"fetch_onnx_node_tests: {n} files of {len(os.listdir(os.path.join(dest, 'node')))} node tests in {dest}/node")
PY
echo "$VERSION" > "$dest/VERSION"
