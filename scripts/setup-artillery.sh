#!/usr/bin/env bash
# Installs Artillery 2.0.21, which the tests of packages/artillery-engine-mediasoup-data run
# (`artillery run`), into the cache, outside the workspace: it is 590 MB, and the
# repository's `npm ci` must not install it (the engine only names it as an optional peer
# dependency). 2.0.21 is the last Artillery that runs on Node 20 (later ones need Node >= 22).
#
#   MEDIASOUP_DATA_PRODUCER_CACHE  cache folder (default ~/.cache/mediasoup-data-producer);
#                                  Artillery goes to <cache>/artillery-2.0.21
#   ARTILLERY_PATH                 an artillery package directory of your own (its
#                                  bin/run is used): only checked, nothing installed
#
# Idempotent: once installed (the `.installed` marker is written last), a run takes well
# under a second. The first install takes 50-80 s (only the npm registry is needed: Playwright's
# browser download and every install script are skipped; the engine needs none of them).
set -euo pipefail

VERSION=2.0.21
CACHE_ROOT="${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}"
PREFIX="$CACHE_ROOT/artillery-$VERSION"
PKG="$PREFIX/node_modules/artillery"
MARKER="$PREFIX/.installed"
LOG="$PREFIX/install.log"

say() { printf '[setup-artillery] %s\n' "$*"; }
fail() { printf '[setup-artillery] FAILED: %s\n' "$*" >&2; exit 1; }
version_of() { node -e 'process.stdout.write(String(require(process.argv[1]).version))' "$1/package.json"; }

if [ -n "${ARTILLERY_PATH:-}" ]; then
  [ -f "$ARTILLERY_PATH/package.json" ] && [ -f "$ARTILLERY_PATH/bin/run" ] ||
    fail "ARTILLERY_PATH=$ARTILLERY_PATH is not an artillery package directory (no bin/run)"
  say "using artillery $(version_of "$ARTILLERY_PATH") at $ARTILLERY_PATH (ARTILLERY_PATH); nothing to install"
  exit 0
fi

if [ -f "$MARKER" ] && [ -f "$PKG/bin/run" ] && [ "$(version_of "$PKG")" = "$VERSION" ]; then
  say "artillery $VERSION ready (cached in $PREFIX)"
  exit 0
fi

mkdir -p "$PREFIX"
rm -f "$MARKER"
[ -f "$PREFIX/package.json" ] || echo '{"private":true}' > "$PREFIX/package.json"
: > "$LOG"
say "installing artillery@$VERSION from the npm registry into $PREFIX (about 590 MB, 50-80 s; log: $LOG)"
start=$(date +%s)
(
  # --ignore-scripts and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: no browsers, no native builds.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$PREFIX" --ignore-scripts \
    --no-audit --no-fund --no-save --loglevel=warn "artillery@$VERSION"
) >>"$LOG" 2>&1 &
install_pid=$!
# Visible progress: one line every 15 s (npm first resolves the tree, then unpacks it).
last_report=$start
while kill -0 "$install_pid" 2>/dev/null; do
  sleep 1
  now=$(date +%s)
  if [ $((now - last_report)) -ge 15 ]; then
    last_report=$now
    # du may trip over folders that npm renames meanwhile: a rough figure is enough.
    mb=$({ du -sm "$PREFIX/node_modules" 2>/dev/null || true; } | cut -f1)
    say "  ... $((now - start)) s, ${mb:-0} MB of about 590 unpacked"
  fi
done
wait "$install_pid" || fail "npm install artillery@$VERSION failed: $(tail -n 5 "$LOG" | tr '\n' ' ')"
[ -f "$PKG/bin/run" ] || fail "the install finished without $PKG/bin/run"
[ "$(version_of "$PKG")" = "$VERSION" ] || fail "installed artillery $(version_of "$PKG"), not $VERSION"
date -u +%Y-%m-%dT%H:%M:%SZ > "$MARKER"
say "artillery $VERSION ready in $(( $(date +%s) - start )) s ($(du -sh "$PREFIX" | cut -f1), cached in $PREFIX)"
