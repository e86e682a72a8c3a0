#!/usr/bin/env bash
# `make install PREFIX=<tmp>`, then builds smoke.c the way a user would, with
# `pkg-config --cflags --libs swiftnn` (PKG_CONFIG_PATH=<tmp>/lib/pkgconfig), and runs it.
# Usage: Tests/package/check_install.sh   (from the repository root; MAKE and CC honoured)
set -euo pipefail
cc=${CC:-cc}
make=${MAKE:-make}
command -v pkg-config >/dev/null || { echo "test-install: pkg-config is missing (tools/setup.sh installs it)" >&2; exit 1; }
prefix=$(mktemp -d /tmp/swiftnn-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
"$make" --no-print-directory install PREFIX="$prefix" >/dev/null
for f in lib/libswiftnn.so include/swiftnn.h lib/pkgconfig/swiftnn.pc; do
    [ -f "$prefix/$f" ] || { echo "test-install: $prefix/$f was not installed" >&2; exit 1; }
done
for h in include/swiftnn/*.h; do
    cmp -s "$h" "$prefix/include/swiftnn/$(basename "$h")" || { echo "test-install: $h not installed" >&2; exit 1; }
done
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --exists --print-errors swiftnn
flags=$(pkg-config --cflags --libs swiftnn)
pkg-config --static --libs swiftnn >/dev/null  # Requires.private: openblas must resolve too
# Compile from another directory so that nothing but the installed prefix can be found.
cp Tests/package/smoke.c "$prefix/smoke.c"
(cd "$prefix" && "$cc" -std=c11 -Wall -Wextra -Werror smoke.c -o smoke $flags -lm)
out=$(LD_LIBRARY_PATH="$prefix/lib" OPENBLAS_NUM_THREADS=1 "$prefix/smoke")
echo "$out"
version=$(pkg-config --modversion swiftnn)
case "$out" in
    *"SwiftNN $version,"*) ;;
    *) echo "test-install: swiftnn.pc says version $version, the library says: $out" >&2; exit 1 ;;
esac
echo "test-install: make install PREFIX=$prefix + pkg-config ($flags) builds and runs a C program"
