#!/usr/bin/env bash
# Installs and builds the local mediasoup router used by the tests, the demo
# and the benchmark. It lives outside the project's node_modules so that
# `npm ci` never depends on a native build, and it is cached: a second run
# takes seconds.
#
#   MEDIASOUP_PATH        use this mediasoup package directory instead (nothing is built)
#   MEDIASOUP_WORKER_BIN  use this worker binary (mediasoup honours it); only the JS package is installed
#   MEDIASOUP_DATA_PRODUCER_CACHE  cache folder (default ~/.cache/mediasoup-data-producer)
set -euo pipefail

MEDIASOUP_VERSION=3.8.4
CACHE_ROOT="${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}"
PREFIX="$CACHE_ROOT/mediasoup-$MEDIASOUP_VERSION"
PKG="$PREFIX/node_modules/mediasoup"
WORKER="$PKG/worker/out/Release/mediasoup-worker"
LOG="$PREFIX/build.log"

say() { printf '[setup-router] %s\n' "$*"; }
fail() { printf '[setup-router] FAILED: %s (full log: %s)\n' "$1" "$LOG" >&2; exit 1; }

if [ -n "${MEDIASOUP_PATH:-}" ]; then
  [ -f "$MEDIASOUP_PATH/package.json" ] || { echo "[setup-router] FAILED: MEDIASOUP_PATH=$MEDIASOUP_PATH is not a mediasoup package directory" >&2; exit 1; }
  say "using the mediasoup package at $MEDIASOUP_PATH (MEDIASOUP_PATH); nothing to build"
  exit 0
fi

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ] && [ ! -x "$MEDIASOUP_WORKER_BIN" ]; then
  echo "[setup-router] FAILED: MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not an executable file" >&2
  exit 1
fi

if [ -f "$PKG/package.json" ] && { [ -n "${MEDIASOUP_WORKER_BIN:-}" ] || [ -x "$WORKER" ]; }; then
  say "mediasoup $MEDIASOUP_VERSION ready (cached in $PREFIX)"
  exit 0
fi

mkdir -p "$PREFIX"
: > "$LOG"

if [ ! -f "$PKG/package.json" ]; then
  say "installing mediasoup@$MEDIASOUP_VERSION from the npm registry into $PREFIX"
  # --ignore-scripts: its postinstall would build with the wrong Python and no glibc fix.
  (cd "$PREFIX" && [ -f package.json ] || echo '{"private":true}' > "$PREFIX/package.json")
  npm install --prefix "$PREFIX" --ignore-scripts --no-audit --no-fund --no-save \
    "mediasoup@$MEDIASOUP_VERSION" >>"$LOG" 2>&1 || fail "npm install mediasoup@$MEDIASOUP_VERSION failed"
fi

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  say "using the worker at $MEDIASOUP_WORKER_BIN (MEDIASOUP_WORKER_BIN); nothing to build"
  exit 0
fi

# gyp of this mediasoup version needs Python 2; this image carries one under pyenv.
PY2=""
for candidate in "PYENV_VERSION=2.7.18 python2" "python2" "python2.7"; do
  if env $candidate -c 'import sys; sys.exit(0 if sys.version_info[0] == 2 else 1)' >/dev/null 2>&1; then
    PY2="$candidate"; break
  fi
done
[ -n "$PY2" ] || fail "no Python 2 found (gyp of mediasoup $MEDIASOUP_VERSION needs one; pyenv 2.7.18 or python2 on PATH)"
PY2_BIN="$(env $PY2 -c 'import sys; print(sys.executable)')"

# glibc >= 2.34 made SIGSTKSZ a sysconf() call (a long), so abseil's std::max(SIGSTKSZ, 65536)
# no longer deduces one type. Pinning the template argument keeps its meaning on every glibc.
ABSL_FILE="$PKG/worker/deps/libwebrtc/deps/abseil-cpp/abseil-cpp/absl/debugging/failure_signal_handler.cc"
if grep -q 'std::max(SIGSTKSZ, 65536)' "$ABSL_FILE"; then
  sed -i 's/std::max(SIGSTKSZ, 65536)/std::max<size_t>(SIGSTKSZ, 65536)/' "$ABSL_FILE"
fi

CORES="$(nproc 2>/dev/null || echo 2)"
say "building mediasoup-worker $MEDIASOUP_VERSION with $CORES cores (3-4 minutes on 2 cores; log: $LOG)"
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
say "built $WORKER in $(( $(date +%s) - start )) s"
