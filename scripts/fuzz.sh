#!/usr/bin/env bash
# Builds Keepsake's libFuzzer targets (fuzz/: clang, ASan + UBSan, into build-fuzz) and runs each
# for the given seconds (default 60) from a copy of its seed corpus, so the repository stays clean
# (build-fuzz/work/<target>/ keeps the grown corpus, the log and any crash input).
# Prints executions and coverage per target, adds the run to docs/fuzz-runs.tsv and rewrites the
# fuzz table of docs/RELIABILITY.md from that ledger. Exits non-zero when a target crashed.
#
#   scripts/fuzz.sh [seconds per target] [target ...]    e.g. scripts/fuzz.sh 600 dump_scan cron
#   scripts/fuzz.sh --build-only                          (what scripts/test.sh runs)
#   scripts/fuzz.sh --table                               (rewrite the table from the ledger)
#   KEEPSAKE_FUZZ_JOBS=2 scripts/fuzz.sh 300             (two targets at a time)
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_DIR=${KEEPSAKE_FUZZ_BUILD_DIR:-build-fuzz}
CXX_CLANG=${KEEPSAKE_FUZZ_CXX:-clang++-14}
LEDGER=docs/fuzz-runs.tsv
DOC=docs/RELIABILITY.md

build() {
  command -v "$CXX_CLANG" >/dev/null || { echo "fuzz: $CXX_CLANG not found; run scripts/setup.sh" >&2; exit 1; }
  cmake -S fuzz -B "$FUZZ_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_CLANG" >/dev/null
  cmake --build "$FUZZ_DIR" -j"${KEEPSAKE_BUILD_JOBS:-$(nproc)}"
}

# The ledger's totals per target as the Markdown table of docs/RELIABILITY.md.
write_table() {
  local table
  table=$(awk -F'\t' -v corpus=fuzz/corpus '
    NR == 1 { next }
    { t = $2; runs[t]++; secs[t] += $3; execs[t] += $4; crashes[t] += $7; cpu[t] += $8
      if ($5 > cov[t]) cov[t] = $5; if ($6 > ft[t]) ft[t] = $6 }
    END {
      print "| target | runs | fuzz time (h) | CPU time (h) | executions | edges (cov) | features (ft) | crashes found | regression inputs kept |"
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      n = 0; for (t in runs) names[++n] = t
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (names[j] < names[i]) { x = names[i]; names[i] = names[j]; names[j] = x }
      for (i = 1; i <= n; i++) {
        t = names[i]; kept = 0
        cmd = "ls " corpus "/" t " 2>/dev/null | grep -c ^crash- || true"; cmd | getline kept; close(cmd)
        printf "| %s | %d | %.2f | %.2f | %d | %d | %d | %d | %d |\n", t, runs[t], secs[t] / 3600, cpu[t] / 3600, execs[t], cov[t], ft[t], crashes[t], kept
      }
    }' "$LEDGER")
  awk -v table="$table" '
    /<!-- fuzz-table:begin/ { print; print table; skip = 1; next }
    /<!-- fuzz-table:end/ { skip = 0 }
    !skip { print }' "$DOC" >"$DOC.tmp"
  mv "$DOC.tmp" "$DOC"
}

if [ "${1:-}" = "--table" ]; then
  write_table
  exit 0
fi
if [ "${1:-}" = "--build-only" ]; then
  build
  exit 0
fi
seconds=${1:-60}
shift || true
build
mapfile -t targets < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat "$FUZZ_DIR/fuzz_targets.txt"; fi)
[ -f "$LEDGER" ] || printf 'date\ttarget\tseconds\texecutions\tcov\tft\tcrashes\tcpu_seconds\n' >"$LEDGER"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
run() {
  local t=$1 line
  line=$(fuzz/run_target.sh "$FUZZ_DIR/fuzz_$t" "fuzz/corpus/$t" "$FUZZ_DIR/work/$t" "$seconds") || true
  echo "$line"
  echo "$line" >>"$results"
}
jobs_max=${KEEPSAKE_FUZZ_JOBS:-1}
for t in "${targets[@]}"; do
  [ -x "$FUZZ_DIR/fuzz_$t" ] || { echo "fuzz: no target $t (see $FUZZ_DIR/fuzz_targets.txt)" >&2; exit 2; }
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run "$t" &
done
wait

failed=0
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
while read -r _ name rest; do
  declare -A kv=()
  for pair in $rest; do kv[${pair%%=*}]=${pair#*=}; done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$name" "${kv[seconds]}" "${kv[execs]}" "${kv[cov]}" "${kv[ft]}" \
    "${kv[crashes]}" "${kv[cpu]}" >>"$LEDGER"
  [ "${kv[crashes]}" = 0 ] || failed=1
  unset kv
done <"$results"
write_table
echo "fuzz: recorded in $LEDGER and $DOC"
if [ $failed -ne 0 ]; then
  echo "fuzz: a target crashed; its input is in $FUZZ_DIR/work/<target>/ (make it a regression test)" >&2
  exit 1
fi
