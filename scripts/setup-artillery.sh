#!/usr/bin/env bash
# Installs Artillery, which the tests of packages/artillery-engine-mediasoup-data run
# (`artillery run`), into the cache, outside the workspace: it is 590 MB, and the
# repository's `npm ci` must not install it (the engine only names it as an optional peer
# dependency). Two versions are tested: 2.0.21, the last Artillery that runs on Node 20, and
# the newest 2.x (2.0.34, which needs Node >= 22.18), on Node 22 or 24 (scripts/test.sh).
#
#   ARTILLERY_VERSION              which one (default 2.0.21; `newest` is 2.0.34, the newest
#                                  2.x on the registry when pinned); the engine's tests read
#                                  the same variable
#   MEDIASOUP_DATA_PRODUCER_CACHE  cache folder (default ~/.cache/mediasoup-data-producer);
#                                  Artillery goes to <cache>/artillery-<version>
#   ARTILLERY_PATH                 an artillery package directory of your own (its
#                                  bin/run is used): only checked, nothing installed
#
# Idempotent: once installed (the `.installed` marker is written last), a run takes well
# under a second. The first install takes 50-80 s (only the npm registry is needed: Playwright's
# browser download and every install script are skipped; the engine needs none of them).
set -euo pipefail

NEWEST=2.0.34
VERSION="${ARTILLERY_VERSION:-2.0.21}"
[ "$VERSION" != newest ] || VERSION=$NEWEST
CACHE_ROOT="${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}"
PREFIX="$CACHE_ROOT/artillery-$VERSION"
PKG="$PREFIX/node_modules/artillery"
MARKER="$PREFIX/.installed"

say() { printf '[setup-artillery] %s\n' "$*"; }
fail() { printf '[setup-artillery] FAILED: %s\n' "$*" >&2; exit 1; }
[[ "$VERSION" =~ ^2\.[0-9]+\.[0-9]+$ ]] ||
  fail "ARTILLERY_VERSION=$VERSION is not an Artillery 2 version: expected 2.<minor>.<patch> or newest"
version_of() { node -e 'process.stdout.write(String(require(process.argv[1]).version))' "$1/package.json"; }

if [ -n "${ARTILLERY_PATH:-}" ]; then
  [ -f "$ARTILLERY_PATH/package.json" ] && [ -f "$ARTILLERY_PATH/bin/run" ] ||
    fail "ARTILLERY_PATH=$ARTILLERY_PATH is not an artillery package directory (no bin/run)"
  say "using artillery $(version_of "$ARTILLERY_PATH") at $ARTILLERY_PATH (ARTILLERY_PATH); nothing to install"
  exit 0
fi

# One install at a time per version: engineers and CI runs on one machine share the cache,
# and two npm installs into one folder break each other. The lock is released on exit.
mkdir -p "$CACHE_ROOT"
exec 9>"$PREFIX.lock"
flock 9

if [ -f "$MARKER" ] && [ -f "$PKG/bin/run" ] && [ "$(version_of "$PKG")" = "$VERSION" ]; then
  say "artillery $VERSION ready (cached in $PREFIX)"
  exit 0
fi

# Installed into a staging folder and moved into place whole: a cache folder is either
# complete or absent, whatever else runs meanwhile.
STAGE="$PREFIX.staging"
rm -rf "$STAGE"
mkdir -p "$STAGE"
echo '{"private":true}' > "$STAGE/package.json"
LOG="$STAGE/install.log"
: > "$LOG"
say "installing artillery@$VERSION from the npm registry into $PREFIX (about 590 MB, 50-80 s; log: $PREFIX/install.log)"
start=$(date +%s)
(
  # --ignore-scripts and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: no browsers, no native builds.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$STAGE" --ignore-scripts \
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
    mb=$({ du -sm "$STAGE/node_modules" 2>/dev/null || true; } | cut -f1)
    say "  ... $((now - start)) s, ${mb:-0} MB of about 590 unpacked"
  fi
done
wait "$install_pid" || fail "npm install artillery@$VERSION failed: $(tail -n 5 "$LOG" | tr '\n' ' ') (log: $LOG)"
STAGED_PKG="$STAGE/node_modules/artillery"
[ -f "$STAGED_PKG/bin/run" ] || fail "the install finished without $STAGED_PKG/bin/run"
[ "$(version_of "$STAGED_PKG")" = "$VERSION" ] || fail "installed artillery $(version_of "$STAGED_PKG"), not $VERSION"
date -u +%Y-%m-%dT%H:%M:%SZ > "$STAGE/.installed"
# An incomplete folder left by an older version of this script goes once the new one is in place.
if [ -e "$PREFIX" ]; then
  mv "$PREFIX" "$PREFIX.old.$$"
fi
mv "$STAGE" "$PREFIX"
rm -rf "$PREFIX.old.$$"
say "artillery $VERSION ready in $(( $(date +%s) - start )) s ($(du -sh "$PREFIX" | cut -f1), cached in $PREFIX)"
