#!/usr/bin/env bash
# The shipping library alone: copies libswiftnn.so by itself into an empty directory, checks
# that nothing it needs resolves into the Swift toolchain, builds smoke.c against include/
# linking that copy (rpath to it), runs it and the Python binding (SWIFTNN_LIB) in an
# environment emptied with `env -i`, so no toolchain library path can help.
# Usage: Tests/package/check_standalone.sh build/lib/libswiftnn.so   (from the repository root)
set -euo pipefail
lib=${1:?usage: $0 path/to/libswiftnn.so}
cc=${CC:-cc}
py=$(${PYTHON:-python3} -c 'import sys; print(sys.executable)')  # the real interpreter, not a shim
tmp=$(mktemp -d /tmp/swiftnn-standalone.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lib"
cp "$lib" "$tmp/lib/libswiftnn.so"
copy="$tmp/lib/libswiftnn.so"
fail() { echo "test-standalone: $*" >&2; exit 1; }

# Where the Swift toolchain lives (its runtime libraries are under <toolchain>/lib/swift).
toolchain=/opt/swift
if command -v swift >/dev/null; then toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")"); fi
# (Outputs are matched as strings, not through `| grep -q`, which can SIGPIPE the writer.)
deps=$(ldd "$copy")
[[ $deps == *"not found"* ]] && fail "ldd cannot resolve a dependency of the copy:"$'\n'"$deps"
for bad in /opt/swift "$toolchain"; do
    [[ $deps == *"$bad"* ]] && fail "the copy resolves a library under $bad:"$'\n'"$deps"
done
paths=$(readelf -d "$copy" | sed -n 's/.*R\(UN\)\{0,1\}PATH.*\[\(.*\)\]/\2/p')
[[ -z $paths || $paths == '$ORIGIN' ]] || fail "RUNPATH/RPATH of the copy is '$paths', expected \$ORIGIN"

# C: compile against the header, link the copy, run with an empty environment.
"$cc" -std=c11 -Wall -Wextra -Werror -Iinclude Tests/package/smoke.c -o "$tmp/smoke" \
    -L"$tmp/lib" -lswiftnn -Wl,-rpath,"$tmp/lib" -lm
loaded=$(env -i PATH=/usr/bin:/bin ldd "$tmp/smoke")
[[ $loaded == *"libswiftnn.so => $copy "* ]] || fail "smoke does not load the copy:"$'\n'"$loaded"
env -i PATH=/usr/bin:/bin OPENBLAS_NUM_THREADS=1 "$tmp/smoke"

# Python: the binding loads the copy through SWIFTNN_LIB, again with an empty environment.
env -i PATH=/usr/bin:/bin OPENBLAS_NUM_THREADS=1 SWIFTNN_LIB="$copy" PYTHONPATH="$PWD/bindings/python" \
    "$py" -c '
import os, swiftnn
assert os.path.realpath(swiftnn.library_path) == os.path.realpath(os.environ["SWIFTNN_LIB"]), swiftnn.library_path
x = swiftnn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (x @ x).sum()
y.backward()
assert y.item() == 54.0 and x.grad.tolist() == [[7.0, 11.0], [9.0, 13.0]], (y.item(), x.grad.tolist())
print("python: ok (" + swiftnn.library_path + ")")'
echo "test-standalone: $(basename "$lib") alone in $tmp/lib works from C and Python without the Swift toolchain"
