#!/usr/bin/env bash
# Runs fuzz targets built in Fuzz/.build/release, each for SECONDS, and fails on any crash, leak,
# timeout or out-of-memory. Usage: Fuzz/run.sh SECONDS [TARGET...] (default: every target).
# New inputs go to Fuzz/.build/fuzz/corpus/TARGET (the seeds in Fuzz/Corpus/TARGET stay as they
# are); a crashing input is saved as Fuzz/.build/fuzz/artifacts/TARGET-crash-… and its log
# is Fuzz/.build/fuzz/TARGET.log.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(ls Corpus))
fi
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
work=.build/fuzz
mkdir -p "$work/artifacts"
status=0
for target in "${targets[@]}"; do
    mkdir -p "$work/corpus/$target"
    log="$work/$target.log"
    .build/release/"$target" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$target-" "$work/corpus/$target" "Corpus/$target" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: $target: ${seconds} s, ${execs:-?} inputs, no crash"
    else
        echo "fuzz: $target: FAILED (exit $rc) after ${execs:-?} inputs; $PWD/$log:"
        grep -E 'ERROR|SUMMARY|Fatal error|Test unit written|==[0-9]+==' "$log" | head -20
        status=1
    fi
done
exit $status
