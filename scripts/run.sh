#!/usr/bin/env bash
# Sets up the machine, builds Keepsake, and runs `keepsake serve` with an embedded PostgreSQL
# and the media folder under ./data (unless DB_URL / DB_HOSTNAME / IMMICH_MEDIA_LOCATION say otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then scripts/setup.sh --for run; else sudo scripts/setup.sh --for run; fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEPSAKE_BUILD_TESTS=OFF -DKEEPSAKE_FAULT_INJECTION=OFF >/dev/null
cmake --build build -j"$(nproc)" --target keepsake
if [ -z "${KEEPSAKE_DATA_DIR:-}" ]; then
  KEEPSAKE_DATA_DIR=$PWD/data
  # As root, the embedded PostgreSQL runs as the postgres user, which must reach the data folder.
  if [ "$(id -u)" -eq 0 ] && ! su -s /bin/sh postgres -c "test -x '$PWD'" 2>/dev/null; then
    KEEPSAKE_DATA_DIR=/var/lib/keepsake
    echo "run: $PWD is not reachable by the postgres user; keeping the data in $KEEPSAKE_DATA_DIR" >&2
  fi
fi
export KEEPSAKE_DATA_DIR
export IMMICH_MEDIA_LOCATION=${IMMICH_MEDIA_LOCATION:-$KEEPSAKE_DATA_DIR/media}
exec build/keepsake serve "$@"
