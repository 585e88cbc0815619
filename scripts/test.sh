#!/usr/bin/env bash
# Sets up the machine, builds Keepsake with ASan + UBSan, and runs every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then scripts/setup.sh --for test; else sudo scripts/setup.sh --for test; fi
BUILD_DIR=${KEEPSAKE_BUILD_DIR:-build-asan}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEEPSAKE_SANITIZE=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
