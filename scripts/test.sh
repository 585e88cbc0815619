#!/usr/bin/env bash
# Sets up the machine, builds Keepsake with ASan + UBSan and the fuzz targets, and runs every test
# (ctest, including a short smoke of each fuzz target).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then scripts/setup.sh --for test; else sudo scripts/setup.sh --for test; fi
BUILD_DIR=${KEEPSAKE_BUILD_DIR:-build-asan}
# The fuzz targets (clang + libFuzzer), which ctest runs briefly as fuzz_smoke_<target>.
FUZZ_BUILD_DIR=${KEEPSAKE_FUZZ_BUILD_DIR:-build-fuzz}
KEEPSAKE_FUZZ_BUILD_DIR="$FUZZ_BUILD_DIR" scripts/fuzz.sh --build-only
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEEPSAKE_SANITIZE=ON \
  -DKEEPSAKE_FUZZ_DIR="$(pwd)/$FUZZ_BUILD_DIR" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
