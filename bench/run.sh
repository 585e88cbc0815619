#!/usr/bin/env bash
# Runs Keepsake's benchmarks: installs the anchors' tools (scripts/setup.sh --for bench), builds a
# Release keepsake + keepsake_bench (build-bench-release/,
# or $KEEPSAKE_BENCH_BUILD_DIR), starts a throwaway PostgreSQL, runs each benchmark (Keepsake's
# way and the anchor's way, alternating) and rewrites its section of docs/BENCHMARKS.md.
#
#   bench/run.sh                      # every benchmark at its default size
#   bench/run.sh --only seed --size 50000 --runs 3
#   bench/run.sh --list
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --for bench
BUILD_DIR=${KEEPSAKE_BENCH_BUILD_DIR:-build-bench-release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target keepsake keepsake_bench
exec "$BUILD_DIR/bench/keepsake_bench" "$@"
