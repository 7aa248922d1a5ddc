#!/usr/bin/env bash
# Everything the integration tests need besides node_modules: the local mediasoup router
# and coturn's turnserver. `npm test` and .ci/run call it first; both steps are cached and
# take seconds once done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-router.sh
bash scripts/setup-coturn.sh
