#!/usr/bin/env bash
# Everything the integration tests need besides node_modules: the local mediasoup routers,
# Node 24 and 22, coturn's turnserver, and Artillery (2.0.21, and the newest 2.x for Node
# >= 22.18) for artillery-engine-mediasoup-data's tests. `npm test` and .ci/run call it
# first; every step is cached and takes seconds once done.
#
# The router is mediasoup 3.8.4, or the one MEDIASOUP_PATH / MEDIASOUP_VERSION names. With
# neither set, the routers and Node versions of scripts/test.sh's matrix are set up too:
# mediasoup 3.27.1 and 3.32.2 when their workers are at hand (MEDIASOUP_TEST_WORKERS,
# default ../shared/mediasoup-worker/<version>/mediasoup-worker; MEDIASOUP_TEST_WORKER_BIN
# for 3.27.1, as there), and Node 24 and 22 from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-router.sh
if [ -z "${MEDIASOUP_PATH:-}" ] && [ -z "${MEDIASOUP_VERSION:-}" ]; then
  # In CI the repository is a fresh clone next to a copy of shared/.
  workers="${MEDIASOUP_TEST_WORKERS:-../shared/mediasoup-worker}"
  for version in 3.27.1 3.32.2; do
    worker="$workers/$version/mediasoup-worker"
    [ "$version" != 3.27.1 ] || worker="${MEDIASOUP_TEST_WORKER_BIN:-$worker}"
    if [ -x "$worker" ]; then
      MEDIASOUP_VERSION=$version MEDIASOUP_WORKER_BIN="$worker" bash scripts/setup-router.sh
    else
      echo "[setup-test-env] no mediasoup $version worker at $worker: scripts/test.sh skips it unless it is cached"
    fi
  done
  bash scripts/setup-node.sh 24 >/dev/null
  bash scripts/setup-node.sh 22 >/dev/null
  ARTILLERY_VERSION=newest bash scripts/setup-artillery.sh
fi
bash scripts/setup-coturn.sh
bash scripts/setup-artillery.sh
