#!/usr/bin/env bash
# The test run of `npm test` (after scripts/setup-test-env.sh and the build): the whole jest
# suite against the default local router, mediasoup 3.8.4; then the suites that talk to a
# router (each package's test/integration, the library's test/faults, the CLI's and the
# Artillery engine's tests) again against mediasoup 3.27.1, whose
# worker channel, sctpParameters and SCTP stack differ, when a 3.27.1 worker is at hand
# (CI has one in ../shared). The last line names the versions covered; the exit status is
# non-zero if any run failed.
#
#   bash scripts/test.sh [jest arguments]   arguments go to both runs (the second then runs
#                                           what they select instead of the three suites)
#   MEDIASOUP_TEST_WORKER_BIN               the 3.27.1 worker (default
#                                           ../shared/mediasoup-worker/3.27.1/mediasoup-worker)
#   MEDIASOUP_PATH or MEDIASOUP_VERSION     one run, against that router only
set -uo pipefail
cd "$(dirname "$0")/.."

EXTRA_VERSION=3.27.1
EXTRA_SUITES=(test/integration test/faults mediasoup-data-producer-cli/test artillery-engine-mediasoup-data/test)
EXTRA_WORKER="${MEDIASOUP_TEST_WORKER_BIN:-../shared/mediasoup-worker/$EXTRA_VERSION/mediasoup-worker}"
JEST=node_modules/.bin/jest

say() { printf '[test] %s\n' "$*"; }
started=$(date +%s)
results=()
failed=0

run_jest() { # label, env assignments..., --, jest arguments...
  local label="$1"; shift
  local assignments=()
  while [ "$1" != -- ]; do assignments+=("$1"); shift; done
  shift
  say "jest against $label"
  # --forceExit: jest runs the suites in its own process (in band on 2 cores), where hundreds
  # of transports and raw peers of many files come and go; in about one full run in three a
  # node-datachannel callback was still held once all had passed, and jest never ended. That
  # a user's process exits on its own is asserted in child processes (Transport.exit,
  # Transport.ownership, faults/leaks, the CLI's), which this flag does not touch.
  if env "${assignments[@]}" "$JEST" --forceExit "$@"; then
    results+=("$label: passed")
  else
    results+=("$label: FAILED")
    failed=1
  fi
}

finish() {
  local line="" result
  for result in "${results[@]}"; do line+="${line:+; }$result"; done
  say "router versions covered: $line ($(( $(date +%s) - started )) s)"
  exit "$failed"
}

selected="all suites"
[ $# -eq 0 ] || selected="$*"

if [ -n "${MEDIASOUP_PATH:-}" ] || [ -n "${MEDIASOUP_VERSION:-}" ]; then
  # The router was chosen by hand: test that one only.
  run_jest "mediasoup ${MEDIASOUP_VERSION:-at MEDIASOUP_PATH=${MEDIASOUP_PATH:-}} ($selected)" -- "$@"
  finish
fi

run_jest "mediasoup 3.8.4 ($selected)" -- "$@"

extra_args=("$@")
[ $# -gt 0 ] || extra_args=("${EXTRA_SUITES[@]}")
extra_label="mediasoup $EXTRA_VERSION (${selected/#all suites/${EXTRA_SUITES[*]}})"
if [ -x "$EXTRA_WORKER" ]; then
  if MEDIASOUP_VERSION=$EXTRA_VERSION MEDIASOUP_WORKER_BIN="$EXTRA_WORKER" bash scripts/setup-router.sh; then
    run_jest "$extra_label" MEDIASOUP_VERSION=$EXTRA_VERSION -- "${extra_args[@]}"
  else
    results+=("$extra_label: FAILED to set up")
    failed=1
  fi
else
  results+=("mediasoup $EXTRA_VERSION: not run (no worker at $EXTRA_WORKER)")
fi
finish
