#!/usr/bin/env bash
# Runs one fuzz target for a number of seconds on its seed corpus (Tests/fuzz/<target>/) and
# prints one line: executions, executions per second, and crashes found. New corpus entries
# go to build/fuzz/corpus-<target>/ (the committed seeds are never modified); a crashing or
# hanging input is written to build/fuzz/<target>-crash-* / -timeout-* and the exit status is 1.
#   Tests/fuzz/run.sh <binary> <target> <seconds> [seed]
set -uo pipefail
bin=$1 target=$2 seconds=$3 seed=${4:-1}
out=$(dirname "$bin")
mkdir -p "$out/corpus-$target"
rm -f "$out/$target-"crash-* "$out/$target-"timeout-* "$out/$target-"leak-* "$out/$target-"oom-*
log="$out/$target.log"
"$bin" -max_total_time="$seconds" -seed="$seed" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$out/$target-" "$out/corpus-$target" "Tests/fuzz/$target" >"$log" 2>&1
rc=$?
# libFuzzer: "stat::number_of_executed_units: N" and "Done N runs in S second(s)";
# the standalone driver: "==driver== DONE N executions in S s".
runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p; s/^==driver== DONE \([0-9]*\) executions.*/\1/p' "$log" | tail -n1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p; s/^==driver== DONE [0-9]* executions in \([0-9.]*\) s.*/\1/p' "$log" | tail -n1)
crashes=$(ls "$out/$target-"crash-* "$out/$target-"timeout-* "$out/$target-"leak-* "$out/$target-"oom-* 2>/dev/null | wc -l)
rate=$(awk -v r="${runs:-0}" -v s="${secs:-0}" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "?" }')
echo "fuzz $target: ${runs:-?} executions in ${secs:-?} s (${rate} exec/s), $crashes crash(es)/hang(s), exit $rc"
if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    echo "fuzz $target: FAILED; last lines of $log:"; tail -n 30 "$log"; exit 1
fi
