#!/usr/bin/env bash
# Shows that the ThreadSanitizer set-up catches a race: the TSan build of the library compiled
# with SNN_TSAN_BUILD packs strided views without their lock when SWIFTNN_PLANT_RACE is set
# (Sources/SwiftNN/Core/TensorLayout.swift). test_concurrency's fresh-view probe makes threads
# pack one view at once, so TSan must report a data race in the packing code and exit 66.
# Without the variable, the same binary must run clean (make test-tsan's first step).
set -u
: "${TSAN_TEST:?path of the TSan-built test_concurrency}"
: "${TSAN_SUPPRESSIONS:?path of Tests/tsan/suppressions.txt}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# TSan reports the race when two threads' unlocked packings of one view have no lock hand-off
# between them (happens-before); if the scheduler runs the probe's threads one after another,
# the locks each takes in between (handles, allocation) order their packings and there is
# nothing to report. A fresh clone on a busy 2-core VM once ran all 80 packings that way, so the
# probe gets up to three tries: one report proves the set-up catches the race.
for try in 1 2 3; do
  SWIFTNN_PLANT_RACE=1 OPENBLAS_NUM_THREADS=2 \
    TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$TSAN_SUPPRESSIONS" \
    "$TSAN_TEST" --threads 4 --rounds 1 >"$log" 2>&1
  rc=$?
  if [ "$rc" -eq 66 ] && grep -q "WARNING: ThreadSanitizer: \(data race\|Swift access race\)" "$log" \
     && grep -q "packedElements" "$log"; then
    echo "check_planted_race: TSan reported the planted race in packedElements (exit $rc, try $try), as it must"
    grep -m1 "WARNING: ThreadSanitizer" "$log"
    exit 0
  fi
  # any other report, or another failure, is not the planted race: fail at once
  [ "$rc" -eq 0 ] || break
done
echo "check_planted_race: FAILED: with SWIFTNN_PLANT_RACE=1 expected a TSan report in packedElements and exit 66, got exit $rc (try $try)"
tail -n 40 "$log"
exit 1
