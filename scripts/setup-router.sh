#!/usr/bin/env bash
# Makes the local mediasoup router used by the tests, the demo and the benchmark ready: the
# mediasoup JS package and a worker binary of the same version. Which mediasoup, in order:
#
#   MEDIASOUP_PATH        a mediasoup package directory of your own: only checked
#   MEDIASOUP_VERSION     this version, installed into the cache (default 3.8.4)
#   (neither)             the mediasoup your project has in node_modules (found from the
#                         working directory up), if any: only checked; else 3.8.4 in the cache
#
#   MEDIASOUP_WORKER_BIN  use this worker binary (mediasoup honours it); it must be of the
#                         package's version. Installing into the cache, nothing is built or
#                         downloaded, and the binary is copied into the cached package when
#                         it has no worker yet, so that later runs need no variable.
#   MEDIASOUP_DATA_PRODUCER_CACHE  cache folder (default ~/.cache/mediasoup-data-producer)
#
# The cache lives outside the project's node_modules so that `npm ci` never depends on a
# native build, and holds one folder per version: a second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILT_VERSION=3.8.4
CACHE_ROOT="${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}"
LOG=""

say() { printf '[setup-router] %s\n' "$*"; }
fail() {
  if [ -n "$LOG" ]; then
    printf '[setup-router] FAILED: %s (full log: %s)\n' "$1" "$LOG" >&2
  else
    printf '[setup-router] FAILED: %s\n' "$1" >&2
  fi
  exit 1
}
version_of() { node -e 'process.stdout.write(String(require(process.argv[1]).version))' "$1/package.json"; }
# The same check as LocalRouter.start(): the worker that will run is of the package's version.
check_worker() {
  local reason
  reason="$("$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/check-worker.ts" "$1" 2>&1)" || fail "$reason"
}
# Like packages/mediasoup-local-router/src/loadMediasoup.ts projectMediasoupDir(): node_modules/mediasoup in the
# working directory or a parent, as require() finds it from there.
project_mediasoup() {
  local dir="$PWD"
  while :; do
    if [ -f "$dir/node_modules/mediasoup/package.json" ]; then
      printf '%s\n' "$dir/node_modules/mediasoup"
      return
    fi
    [ "$dir" = / ] && return
    dir="$(dirname "$dir")"
  done
}

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  if [ ! -f "$MEDIASOUP_WORKER_BIN" ] || [ ! -x "$MEDIASOUP_WORKER_BIN" ]; then
    fail "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not an executable file"
  fi
  # Absolute, so that messages and worker-origin.txt name it wherever they are read.
  MEDIASOUP_WORKER_BIN="$(cd "$(dirname "$MEDIASOUP_WORKER_BIN")" && pwd)/$(basename "$MEDIASOUP_WORKER_BIN")"
  export MEDIASOUP_WORKER_BIN
fi
if [ -n "${MEDIASOUP_VERSION:-}" ] && ! [[ "$MEDIASOUP_VERSION" =~ ^3\.[0-9]+\.[0-9]+$ ]]; then
  fail "MEDIASOUP_VERSION=$MEDIASOUP_VERSION is not a mediasoup version: expected 3.<minor>.<patch>, such as $BUILT_VERSION or 3.27.1"
fi

# A mediasoup someone else installed: check it, install nothing.
external=""
if [ -n "${MEDIASOUP_PATH:-}" ]; then
  [ -f "$MEDIASOUP_PATH/package.json" ] || fail "MEDIASOUP_PATH=$MEDIASOUP_PATH is not a mediasoup package directory"
  external="$MEDIASOUP_PATH"
  why="MEDIASOUP_PATH"
elif [ -z "${MEDIASOUP_VERSION:-}" ]; then
  external="$(project_mediasoup)"
  why="your project's node_modules, found from $PWD; set MEDIASOUP_VERSION to use the cache instead"
fi
if [ -n "$external" ]; then
  version="$(version_of "$external")"
  if [ -n "${MEDIASOUP_VERSION:-}" ] && [ "$version" != "$MEDIASOUP_VERSION" ]; then
    fail "the mediasoup package at $external (MEDIASOUP_PATH) is $version, not $MEDIASOUP_VERSION as MEDIASOUP_VERSION says"
  fi
  check_worker "$external"
  say "using mediasoup $version at $external ($why); nothing to install or build"
  exit 0
fi

VERSION="${MEDIASOUP_VERSION:-$BUILT_VERSION}"
PREFIX="$CACHE_ROOT/mediasoup-$VERSION"
PKG="$PREFIX/node_modules/mediasoup"
WORKER="$PKG/worker/out/Release/mediasoup-worker"
ORIGIN="$PREFIX/worker-origin.txt"

# Where the cached worker came from, for the "ready" line.
worker_note() {
  if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
    printf '; worker MEDIASOUP_WORKER_BIN=%s' "$MEDIASOUP_WORKER_BIN"
  elif [ -f "$ORIGIN" ]; then
    printf '; worker copied from %s' "$(cat "$ORIGIN")"
  fi
}

# With MEDIASOUP_WORKER_BIN, a cached package without a worker gets a copy of that one.
adopt_worker() {
  check_worker "$PKG"
  if [ ! -x "$WORKER" ]; then
    mkdir -p "$(dirname "$WORKER")"
    cp "$MEDIASOUP_WORKER_BIN" "$WORKER.tmp" && chmod 755 "$WORKER.tmp" && mv "$WORKER.tmp" "$WORKER"
    printf '%s\n' "$MEDIASOUP_WORKER_BIN" > "$ORIGIN"
    say "copied MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN to $WORKER: later runs need no MEDIASOUP_WORKER_BIN"
  fi
}

# One set-up at a time per version: engineers and CI runs on one machine share the cache,
# and two installs or builds into one folder break each other. Released on exit.
mkdir -p "$CACHE_ROOT"
exec 9>"$PREFIX.lock"
flock 9

if [ -f "$PKG/package.json" ] && { [ -x "$WORKER" ] || [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; }; then
  if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then adopt_worker; else check_worker "$PKG"; fi
  say "mediasoup $VERSION ready (cached in $PREFIX$(worker_note))"
  exit 0
fi

mkdir -p "$PREFIX"
LOG="$PREFIX/build.log"
: > "$LOG"
[ -f "$PREFIX/package.json" ] || echo '{"private":true}' > "$PREFIX/package.json"

if [ ! -f "$PKG/package.json" ]; then
  if [ "$VERSION" = "$BUILT_VERSION" ]; then
    say "installing mediasoup@$VERSION from the npm registry into $PREFIX"
    # --ignore-scripts: its postinstall would build with the wrong Python and no glibc fix.
    scripts=(--ignore-scripts)
  elif [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
    say "installing mediasoup@$VERSION from the npm registry into $PREFIX (its postinstall skips the worker: MEDIASOUP_WORKER_BIN is set)"
    scripts=()
  else
    say "installing mediasoup@$VERSION from the npm registry into $PREFIX (its postinstall downloads the prebuilt worker, or builds it)"
    scripts=()
  fi
  # mediasoup 3.27.1 asks for Node >= 22; npm only warns (EBADENGINE, in the log), and it runs on Node 20.
  npm install --prefix "$PREFIX" "${scripts[@]}" --no-audit --no-fund --no-save \
    "mediasoup@$VERSION" >>"$LOG" 2>&1 || fail "npm install mediasoup@$VERSION failed"
fi

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  adopt_worker
  say "mediasoup $VERSION ready (cached in $PREFIX$(worker_note)); nothing built"
  exit 0
fi

if [ "$VERSION" != "$BUILT_VERSION" ]; then
  [ -x "$WORKER" ] || fail "mediasoup@$VERSION has no worker at $WORKER: its postinstall could neither download nor build one (offline? set MEDIASOUP_WORKER_BIN to a mediasoup $VERSION worker)"
  check_worker "$PKG"
  say "mediasoup $VERSION ready (cached in $PREFIX)"
  exit 0
fi

# gyp of this mediasoup version needs Python 2; this image carries one under pyenv.
PY2=""
for candidate in "PYENV_VERSION=2.7.18 python2" "python2" "python2.7"; do
  if env $candidate -c 'import sys; sys.exit(0 if sys.version_info[0] == 2 else 1)' >/dev/null 2>&1; then
    PY2="$candidate"; break
  fi
done
[ -n "$PY2" ] || fail "no Python 2 found (gyp of mediasoup $VERSION needs one; pyenv 2.7.18 or python2 on PATH)"
PY2_BIN="$(env $PY2 -c 'import sys; print(sys.executable)')"

# glibc >= 2.34 made SIGSTKSZ a sysconf() call (a long), so abseil's std::max(SIGSTKSZ, 65536)
# no longer deduces one type. Pinning the template argument keeps its meaning on every glibc.
ABSL_FILE="$PKG/worker/deps/libwebrtc/deps/abseil-cpp/abseil-cpp/absl/debugging/failure_signal_handler.cc"
if grep -q 'std::max(SIGSTKSZ, 65536)' "$ABSL_FILE"; then
  sed -i 's/std::max(SIGSTKSZ, 65536)/std::max<size_t>(SIGSTKSZ, 65536)/' "$ABSL_FILE"
fi

CORES="$(nproc 2>/dev/null || echo 2)"
say "building mediasoup-worker $VERSION with $CORES cores (3-4 minutes on 2 cores; log: $LOG)"
start=$(date +%s)
(
  cd "$PKG/worker"
  PYTHON="$PY2_BIN" "$PY2_BIN" ./scripts/configure.py -R mediasoup-worker
  make -j"$CORES" BUILDTYPE=Release -C out
) >>"$LOG" 2>&1 &
build_pid=$!
# Visible progress: one line every 30 s with the number of objects compiled so far.
last_report=$start
while kill -0 "$build_pid" 2>/dev/null; do
  sleep 2
  now=$(date +%s)
  if [ $((now - last_report)) -ge 30 ]; then
    last_report=$now
    objs=$(find "$PKG/worker/out" -name '*.o' 2>/dev/null | wc -l)
    say "  ... $((now - start)) s, $objs objects compiled (about 1000 in all)"
  fi
done
wait "$build_pid" || fail "$(grep -m1 -E 'error:|Error ' "$LOG" || echo 'make failed')"
[ -x "$WORKER" ] || fail "the build finished without producing $WORKER"
rm -f "$ORIGIN"
say "built $WORKER in $(( $(date +%s) - start )) s"
