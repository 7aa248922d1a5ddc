#!/usr/bin/env bash
# Everything the integration tests need besides node_modules: the local mediasoup routers,
# coturn's turnserver, and Artillery 2.0.21 for artillery-engine-mediasoup-data's tests.
# `npm test` and .ci/run call it first; every step is cached and takes seconds once done.
#
# The router is mediasoup 3.8.4, or the one MEDIASOUP_PATH / MEDIASOUP_VERSION names. With
# neither set, mediasoup 3.27.1 is set up too when its worker is at hand: scripts/test.sh
# runs the router-facing suites against it (same MEDIASOUP_TEST_WORKER_BIN default there).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-router.sh
if [ -z "${MEDIASOUP_PATH:-}" ] && [ -z "${MEDIASOUP_VERSION:-}" ]; then
  # In CI the repository is a fresh clone next to a copy of shared/.
  worker="${MEDIASOUP_TEST_WORKER_BIN:-../shared/mediasoup-worker/3.27.1/mediasoup-worker}"
  if [ -x "$worker" ]; then
    MEDIASOUP_VERSION=3.27.1 MEDIASOUP_WORKER_BIN="$worker" bash scripts/setup-router.sh
  else
    echo "[setup-test-env] no mediasoup 3.27.1 worker at $worker: tests run against 3.8.4 only"
  fi
fi
bash scripts/setup-coturn.sh
bash scripts/setup-artillery.sh
