#!/usr/bin/env bash
# The engine's char-RNN, seq2seq and classifier loops under mpirun, from C (Tests/dist/fit_ddp.c):
# 2 and 3 ranks (oversubscribed, one BLAS thread each, each mpirun under a timeout) must reach
# the parameters of one process with the global batch; rank 0 alone writes complete
# checkpoints, and a checkpoint written on 2 ranks resumes on 3 (and one from 3 on 2).
# Skips without mpirun.
set -euo pipefail
bin="${1:-build/tests/dist_fit}"
command -v mpirun >/dev/null || { echo "fits: mpirun not found: skipped (tools/setup.sh installs openmpi-bin)"; exit 0; }
out="$(mktemp -d /tmp/snn-fits.XXXXXX)"
trap 'rm -rf "$out"' EXIT
[ "$(id -u)" != 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS=1
# run N ARGS...: every one of the N ranks must report "ok"
run() {
    local n="$1"; shift
    local log="$out/log.$n.$1.${2:-}"
    if ! timeout 300 mpirun --oversubscribe -x OPENBLAS_NUM_THREADS -np "$n" "$bin" "$@" > "$log" 2>&1; then
        echo "fits: mpirun -np $n $bin $* failed:"; cat "$log"; exit 1
    fi
    local oks; oks="$(grep -o 'rank [0-9]*: ok ' "$log" | wc -l)"
    [ "$oks" = "$n" ] || { echo "fits: $n ranks but $oks ok lines:"; cat "$log"; exit 1; }
    grep -m1 'rank 0: ok' "$log"
}
for n in 2 3; do
    run "$n" charrnn
    run "$n" seq2seq
done
mkdir -p "$out/two" "$out/three"
run 2 checkpoint save "$out/two"
run 3 checkpoint save "$out/three"
run 3 checkpoint resume "$out/two/ckpt.rank0.safetensors"
run 2 checkpoint resume "$out/three/ckpt.rank0.safetensors"
echo "fits: ok"
