#!/usr/bin/env bash
# Installs what Keepsake needs from Debian's package registry, and builds pgvector 0.8.0 from
# Debian's source package (trixie) for the installed PostgreSQL. Idempotent: skips what is done.
#   scripts/setup.sh --for run    what building and running `keepsake serve` needs (scripts/run.sh)
#   scripts/setup.sh [--for test] that, plus what the test suite adds (scripts/test.sh; the default)
#   scripts/setup.sh --for bench  building, plus the anchors the benchmarks compare with (bench/run.sh)
# Runs as root. Never touches the system's apt sources: the trixie source entry lives in a private
# apt configuration under /var/cache/keepsake/apt.
set -euo pipefail

# Building and running: the toolchain, PostgreSQL with its server headers (pgvector's build), and
# every library the keepsake binary links, and the programs it runs (restic: `keepsake files`).
# A library the build links belongs here, not below.
RUN_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache dpkg-dev
  postgresql-15 postgresql-server-dev-15 postgresql-contrib libpq-dev
  libcpp-httplib-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libssl-dev zlib1g-dev libisal-dev libhnswlib-dev libcrypt-dev
  libhiredis-dev libmsgpack-cxx-dev
  util-linux restic zstd
)
# The test suite adds: GoogleTest, the tools the tests call, and the maintenance page's browser
# test (Debian's chromium driven by playwright-core from npm, below; Debian's nodejs and npm only
# when no npm is installed, so that another Node installation is left alone).
TEST_PACKAGES=(
  redis-server
  libgtest-dev libgmock-dev
  clang-14 libclang-rt-14-dev
  gzip curl jq git
  chromium
  openssh-server openssh-client
)
# The benchmarks' anchors: the tools a user would otherwise use (bench/README.md).
BENCH_PACKAGES=(
  borgbackup rsync pgbackrest
)

PURPOSE=test
case "${1:-}" in
  "") ;;
  --for)
    case "${2:-}" in
      run|test|bench) PURPOSE=$2 ;;
      *) echo "setup: --for takes run, test or bench" >&2; exit 2 ;;
    esac ;;
  *) echo "usage: $0 [--for run|test|bench]" >&2; exit 2 ;;
esac
PACKAGES=("${RUN_PACKAGES[@]}")
[ "$PURPOSE" = test ] && PACKAGES+=("${TEST_PACKAGES[@]}")
[ "$PURPOSE" = bench ] && PACKAGES+=("${BENCH_PACKAGES[@]}")

log() { echo "setup: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (it installs Debian packages); try: sudo $0" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages already installed"
fi

# The Debian postgresql package starts a system cluster; Keepsake never uses it.
PG_CONFIG=$(ls /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -n1)
[ -n "$PG_CONFIG" ] || { echo "setup: no PostgreSQL server found after install" >&2; exit 1; }
PG_SHAREDIR=$("$PG_CONFIG" --sharedir)

PGVECTOR_VERSION=0.8.0
if [ -f "$PG_SHAREDIR/extension/vector--$PGVECTOR_VERSION.sql" ] && \
   [ -f "$("$PG_CONFIG" --pkglibdir)/vector.so" ]; then
  log "pgvector $PGVECTOR_VERSION already installed for $("$PG_CONFIG" --version)"
else
  APT_DIR=/var/cache/keepsake/apt
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/sources.list.d"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    > "$APT_DIR/sources.list"
  APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
            -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
            -o "Dir::State::Lists=$APT_DIR/lists")
  log "fetching pgvector source package from Debian trixie (private apt configuration)"
  apt-get "${APT_OPTS[@]}" update -qq
  BUILD=$(mktemp -d /tmp/keepsake-pgvector.XXXXXX)
  (cd "$BUILD" && apt-get "${APT_OPTS[@]}" source --download-only "pgvector=$PGVECTOR_VERSION-1" 2>/dev/null \
     || apt-get "${APT_OPTS[@]}" source --download-only pgvector)
  tar -xzf "$BUILD"/pgvector_"$PGVECTOR_VERSION".orig.tar.gz -C "$BUILD"
  log "building pgvector $PGVECTOR_VERSION"
  make -s -C "$BUILD/pgvector-$PGVECTOR_VERSION" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" -j"$(nproc)" >/dev/null
  make -s -C "$BUILD/pgvector-$PGVECTOR_VERSION" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install >/dev/null
  rm -rf "$BUILD"
  log "pgvector $PGVECTOR_VERSION installed"
fi

[ "$PURPOSE" = test ] || exit 0

if ! command -v npm >/dev/null 2>&1; then
  log "installing Debian's nodejs and npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
TESTS_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests"

# npm ci in tests/<dir> unless <package> is already installed at the version package.json pins.
npm_ci_pinned() {
  local dir="$TESTS_DIR/$1" package="$2" pinned installed
  pinned=$(node -p "require('$dir/package.json').dependencies['$package']")
  installed=$(node -p "require('$dir/node_modules/$package/package.json').version" 2>/dev/null || true)
  if [ "$installed" = "$pinned" ]; then
    log "$package $pinned already installed in tests/$1"
  else
    log "installing tests/$1's packages ($package $pinned; npm ci)"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# The maintenance page's browser test: playwright-core (pinned in tests/e2e/package-lock.json)
# from the npm registry drives Debian's chromium; it never downloads a browser.
npm_ci_pinned e2e playwright-core
# The restart channel's tests: a peer that speaks for Immich with Immich v2.7.5's own socket.io,
# @socket.io/redis-adapter and ioredis (pinned in tests/immich-peer/package-lock.json).
npm_ci_pinned immich-peer @socket.io/redis-adapter
