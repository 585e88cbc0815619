#!/usr/bin/env bash
# Runs the fault matrix (ctest's fault_matrix_<shard>, gtest's Phases/FaultMatrix.*: every declared phase of every operation
# killed and failed with EIO and ENOSPC, see docs/RELIABILITY.md) in a test build, then rewrites
# the fault table of docs/RELIABILITY.md from the outcomes the cases recorded in
# <build>/fault-matrix/. Exits non-zero when a case failed.
#
#   scripts/fault_matrix.sh [build folder]        (default build-asan; configured and built by scripts/test.sh)
#   scripts/fault_matrix.sh --table-only [build]  (only rewrite the table from the last run)
set -euo pipefail
cd "$(dirname "$0")/.."
table_only=0
if [ "${1:-}" = "--table-only" ]; then table_only=1; shift; fi
BUILD_DIR=${1:-${KEEPSAKE_BUILD_DIR:-build-asan}}
LEDGER="$BUILD_DIR/fault-matrix"
DOC=docs/RELIABILITY.md

failed=0
if [ $table_only -eq 0 ]; then
  [ -x "$BUILD_DIR/tests/keepsake_tests" ] || { echo "fault_matrix: no test build in $BUILD_DIR (run scripts/test.sh)" >&2; exit 2; }
  rm -rf "$LEDGER"
  (cd "$BUILD_DIR" && KEEPSAKE_FAULT_MATRIX_ALL=1 ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} ctest -j"$(nproc)" -R 'pg_cluster|fault_matrix_' --output-on-failure) || failed=1
fi
compgen -G "$LEDGER/*.tsv" >/dev/null || { echo "fault_matrix: no outcomes in $LEDGER" >&2; exit 2; }

# One row per operation: its phases, the cases tried (phases x faults), survived, data lost.
table=$(cat "$LEDGER"/*.tsv | sort | awk -F'\t' '
  { op = $1; phase = $2; sub(/.*\./, "", phase)
    if (!(op in tried)) order[++n] = op
    if (!((op, phase) in seen)) { seen[op, phase] = 1; phases[op] = phases[op] (phases[op] ? ", " : "") phase; count[op]++ }
    tried[op]++; faults[op, $3]++; survived[op] += $4; lost[op] += $5 }
  END {
    print "| operation | phases | kill | eio | enospc | tried | survived | data lost |"
    print "|---|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      op = order[i]
      printf "| %s | %d: %s | %d | %d | %d | %d | %d | %d |\n", op, count[op], phases[op], faults[op, "kill"],
             faults[op, "eio"], faults[op, "enospc"], tried[op], survived[op], lost[op]
      T += tried[op]; S += survived[op]; L += lost[op]
    }
    printf "| **all** | | | | | %d | %d | %d |\n", T, S, L
  }')
awk -v table="$table" -v when="$(date -u +%Y-%m-%d)" '
  /<!-- fault-table:begin/ { print; print table; print ""; print "Last run: " when "."; skip = 1; next }
  /<!-- fault-table:end/ { skip = 0 }
  !skip { print }' "$DOC" >"$DOC.tmp"
mv "$DOC.tmp" "$DOC"
echo "fault_matrix: table written to $DOC"
exit $failed
