#!/usr/bin/env bash
# The C example through the engine's own loop (snn_classifier_fit with snn_fit_options.ddp):
# `lenet5 --distributed --smoke` on one process (the same DistributedSampler order, batch 64)
# and on 2 ranks (32 images each) must report the same training loss and test error, and
# 3 ranks (global batch 63) must run and agree across ranks. Skips without mpirun.
set -euo pipefail
lenet="${1:-build/examples/lenet5}"
command -v mpirun >/dev/null || { echo "lenet_same: mpirun not found: skipped (tools/setup.sh installs openmpi-bin)"; exit 0; }
out="$(mktemp -d /tmp/snn-lenet.XXXXXX)"
trap 'rm -rf "$out"' EXIT
[ "$(id -u)" != 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
summary() { tr '\r' '\n' < "$1" | grep -E 'step +[0-9]+/[0-9]+|^test:' | tail -2 | sed -E 's/ +[0-9]+ img\/s.*//'; }
OPENBLAS_NUM_THREADS=2 timeout 600 "$lenet" --distributed --smoke --out "$out/one.safetensors" > "$out/one.txt"
OPENBLAS_NUM_THREADS=1 timeout 600 mpirun --oversubscribe -x OPENBLAS_NUM_THREADS -np 2 \
    "$lenet" --distributed --smoke --out "$out/two.safetensors" > "$out/two.txt"
echo "one process: $(summary "$out/one.txt" | tr '\n' ' ')"
echo "two ranks:   $(summary "$out/two.txt" | tr '\n' ' ')"
python3 - "$out/one.txt" "$out/two.txt" <<'PY'
import re, sys
def read(p):
    t = open(p).read().replace("\r", "\n")
    loss = float(re.findall(r"step +\d+/\d+ +loss ([0-9.]+)", t)[-1])
    err = float(re.search(r"^test: loss [0-9.]+ +error ([0-9.]+)%", t, re.M).group(1))
    return loss, err
(l1, e1), (l2, e2) = read(sys.argv[1]), read(sys.argv[2])
assert abs(l1 - l2) <= 2e-3 and abs(e1 - e2) <= 0.5, f"one process: loss {l1} error {e1}%; two ranks: loss {l2} error {e2}%"
PY
grep -q "all 2 ranks agree" "$out/two.txt"
OPENBLAS_NUM_THREADS=1 timeout 600 mpirun --oversubscribe -x OPENBLAS_NUM_THREADS -np 3 \
    "$lenet" --distributed --smoke --out "$out/three.safetensors" > "$out/three.txt"
grep -q "all 3 ranks agree" "$out/three.txt"
echo "three ranks: $(summary "$out/three.txt" | tr '\n' ' ')"
echo "lenet_same: ok"
