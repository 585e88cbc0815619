#!/usr/bin/env bash
# Sets up the machine, builds Keepsake, and runs `keepsake serve` with an embedded PostgreSQL
# and the media folder under ./data (unless DB_URL / DB_HOSTNAME / IMMICH_MEDIA_LOCATION say otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then scripts/setup.sh; else sudo scripts/setup.sh; fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
export KEEPSAKE_DATA_DIR=${KEEPSAKE_DATA_DIR:-$PWD/data}
export IMMICH_MEDIA_LOCATION=${IMMICH_MEDIA_LOCATION:-$KEEPSAKE_DATA_DIR/media}
exec build/keepsake serve "$@"
