#!/usr/bin/env bash
# The benchmark's headless-Chromium yardstick (bench/clients/chromium.ts): Debian's chromium
# (apt, never a browser download), playwright-core to drive it and a browser bundle of
# mediasoup-client, both cached outside the workspace, so that `npm ci` never pays for them.
#
#   bash bench/chromium/setup.sh        idempotent; prints what it did
#   MEDIASOUP_DATA_PRODUCER_CACHE       cache root (default ~/.cache/mediasoup-data-producer)
set -euo pipefail
cd "$(dirname "$0")/../.."

PLAYWRIGHT_VERSION=1.65.1
CACHE="${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}/bench-chromium"
say() { printf '[setup-chromium] %s\n' "$*"; }

if ! command -v chromium > /dev/null; then
  say "installing Debian's chromium (apt-get) ..."
  if [ "$(id -u)" -ne 0 ]; then
    say "chromium is missing and this is not root: run 'sudo apt-get install chromium'"
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
say "$(chromium --version 2> /dev/null | head -1) at $(command -v chromium)"

mkdir -p "$CACHE"
if [ "$(node -p "try { require('$CACHE/node_modules/playwright-core/package.json').version } catch { '' }")" != "$PLAYWRIGHT_VERSION" ]; then
  say "installing playwright-core@$PLAYWRIGHT_VERSION into $CACHE ..."
  [ -f "$CACHE/package.json" ] || echo '{ "name": "bench-chromium", "private": true }' > "$CACHE/package.json"
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save "playwright-core@$PLAYWRIGHT_VERSION" > /dev/null
fi
say "playwright-core $PLAYWRIGHT_VERSION ready"

# The page gets mediasoup-client as the repository installed it (the same version as the
# Node-side mediasoup-client client of the benchmark), bundled for the browser.
node_modules/.bin/esbuild bench/chromium/page.ts --bundle --format=iife --platform=browser \
  --target=chrome110 --log-level=warning --outfile="$CACHE/mediasoup-client.js"
say "mediasoup-client $(node -p "require('./node_modules/mediasoup-client/package.json').version") bundled at $CACHE/mediasoup-client.js"
