#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from a copy of its seed corpus, and prints one
# summary line: "fuzz <name> seconds=<s> cpu=<s> execs=<n> cov=<edges> ft=<features> crashes=<0|1>",
# where seconds is the time the target really ran and cpu the processor time it got (less than
# seconds on a machine busy with other work).
# Usage: fuzz/run_target.sh <binary> <seed corpus dir> <work dir> <seconds> [runs]
# With runs (the ctest smoke): a fresh work dir, a fixed seed and that many executions (seconds is
# then only a cap), so the smoke tries the same inputs on every machine and a red CI is reproducible.
# The work dir keeps the growing corpus (work/corpus), the log (work/log) and any crash input
# (work/crash-*, work/timeout-*, ...). Exits non-zero when the target crashed, leaked or timed out.
set -uo pipefail
binary=$1 seeds=$2 work=$3 seconds=$4 runs=${5:-}
name=$(basename "$binary"); name=${name#fuzz_}
repeatable=()
if [ -n "$runs" ]; then
  rm -rf "$work"
  repeatable=(-seed=1 -runs="$runs")
fi
mkdir -p "$work/corpus"
cp -n "$seeds"/* "$work/corpus"/ 2>/dev/null || true
: >"$work/log"

# A timeout is a finding only when its input is slow on its own: on a machine busy with other work
# (a niced long run beside builds), libFuzzer's wall-clock timeout fires on fast inputs. Such a
# timeout is dropped and fuzzing goes on for the time that is left.
only_timeouts_that_run_in_time() {
  [ -z "$(ls "$work" | grep -E '^(crash|leak|oom)-' || true)" ] || return 1
  local t found=1
  for t in $(ls "$work" | grep -E '^timeout-' || true); do
    found=0
    "$binary" -timeout=10 -runs=1 "$work/$t" >>"$work/log.timeout-check" 2>&1 || return 1
    echo "fuzz $name: $t ran in time on its own (the machine was busy): not counted" >&2
    rm -f "$work/$t"
  done
  return $found
}

start=$(date +%s)
execs=0 rc=0
while :; do
  left=$((seconds - ($(date +%s) - start)))
  [ $left -gt 0 ] || break
  "$binary" -max_total_time="$left" "${repeatable[@]}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$work/" "$work/corpus" >>"$work/log" 2>&1
  rc=$?
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
  execs=$((execs + ${n:-0}))
  [ $rc -ne 0 ] && only_timeouts_that_run_in_time && { rc=0; [ -z "$runs" ] && continue; }
  break
done
elapsed=$(($(date +%s) - start))
# `times`' second line is the children's user and system time, e.g. "1m2.500s 0m0.300s" (run in
# this shell: in a $(...) subshell it would count that subshell's children only).
times >"$work/times"
cpu=$(tail -n1 "$work/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%d", t }')
last=$(grep -E '^#[0-9]+' "$work/log" | grep 'cov:' | tail -n1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
crashed=$([ $rc -eq 0 ] && echo 0 || echo 1)
echo "fuzz $name seconds=$elapsed cpu=$cpu execs=$execs cov=${cov:-0} ft=${ft:-0} crashes=$crashed"
if [ $rc -ne 0 ]; then
  echo "fuzz $name: FAILED (exit $rc); input kept in $work/ (see $work/log):" >&2
  ls "$work" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' >&2 || true
  grep -E 'ERROR|runtime error|Assertion|SUMMARY' "$work/log" | head -n 5 >&2 || true
fi
exit $rc
