#!/usr/bin/env bash
# The test run of `npm test` (after scripts/setup-test-env.sh and the build). Several jest
# runs ("legs"), each against one router version on one Node version:
#
#   1. mediasoup 3.8.4 (usrsctp), Node of the machine (20): the whole suite, Artillery 2.0.21
#   2. mediasoup 3.27.1 (mediasoup's own SCTP stack), Node of the machine: the suites that
#      talk to a router (WIRE_SUITES: each package's test/integration, the library's
#      test/faults, the CLI's and the Artillery engine's tests), Artillery 2.0.21
#   3. mediasoup 3.32.2 (the newest; SCTP zero checksum), Node 24: WIRE_SUITES, on the
#      newest Artillery 2.x (which needs Node >= 22.18)
#   4. mediasoup 3.27.1, Node 22: the library's wire suites (its test/integration and
#      test/faults) and the Artillery engine's tests on the newest Artillery 2.x, without
#      the CLI's
#
# Why this matrix: .ci/run must stay under 30 minutes on a 2-core machine. Measured in the
# last full run here (2026-12-07 22:00, a fresh clone, the machine otherwise quiet): leg 1
# 438 s, leg 2 469 s, leg 3 367 s (Artillery 2.0.34 does not spend Artillery 2.0.21's 12 s per
# run retrying telemetry), leg 4 238 s: 1,513 s of jest, and the set-up between legs takes
# seconds. With npm ci, lint, typecheck and a warm cache, .ci/run takes about 28 min: at the
# bound, and over it on a cold cache, which adds about 6 min
# (building the 3.8.4 worker, two Artillery installs, two Node downloads). Every router
# runs every wire suite once; every Node major runs the library's wire suites and the
# Artillery engine's, Node 20 and 24 the CLI's too. Node 22 runs a subset to stay within
# time: mediasoup >= 3.27 asks for Node >= 22, so it runs against 3.27.1, the router
# otherwise tested on Node 20 only. Pairing the newest router with the newest Node covers
# what users upgrading both run; 3.8.4 stays on Node 20, the oldest pair. Each Node binary
# comes from the npm registry (scripts/setup-node.sh, cached); a router version's worker from
# $MEDIASOUP_TEST_WORKERS/<version>/mediasoup-worker (CI has them in ../shared) unless its
# cache is already complete.
#
# The last line names every leg, router and Node version with passed or FAILED (or why it
# did not run); the exit status is non-zero if any leg failed or could not be set up.
#
#   bash scripts/test.sh [jest arguments]   arguments go to every leg (each then runs what
#                                           they select instead of its suites)
#   MEDIASOUP_TEST_WORKERS     folder of worker binaries by version (default
#                              ../shared/mediasoup-worker)
#   MEDIASOUP_TEST_WORKER_BIN  the 3.27.1 worker, overriding the folder's
#   MEDIASOUP_PATH or MEDIASOUP_VERSION   one leg only, against that router, on the Node of
#                              TEST_NODE_VERSION (24, 22 or an exact version; default the
#                              machine's)
set -uo pipefail
cd "$(dirname "$0")/.."

# Jest path patterns. test/integration is every package's (the library's, the local router's,
# the CLI's, the Artillery engine's); the CLI's and the Artillery engine's test/unit ride
# along so that Node 24 (and Node 22, the Artillery engine's) runs their pure parts too.
WIRE_SUITES=(test/integration test/faults mediasoup-data-producer-cli/test/unit artillery-engine-mediasoup-data/test/unit)
NODE22_SUITES=(mediasoup-data-producer/test/integration mediasoup-data-producer/test/faults artillery-engine-mediasoup-data/test/integration artillery-engine-mediasoup-data/test/unit)
WORKERS="${MEDIASOUP_TEST_WORKERS:-../shared/mediasoup-worker}"
JEST=node_modules/.bin/jest

say() { printf '[test] %s\n' "$*"; }
started=$(date +%s)
results=()
failed=0

# The PATH entry for a Node version (empty for the machine's), or fails.
node_dir() { # major or version, or "" for the machine's
  [ -n "$1" ] || return 0
  bash scripts/setup-node.sh "$1"
}

run_jest() { # label, env assignments..., --, jest arguments...
  local label="$1"; shift
  local assignments=()
  while [ "$1" != -- ]; do assignments+=("$1"); shift; done
  shift
  say "jest: $label"
  local leg_started
  leg_started=$(date +%s)
  # No --forceExit: jest runs the suites in its own process (in band on 2 cores), and it ends
  # only once every PeerConnection and DataChannel of every file has been closed and has
  # reported it (node-datachannel holds the event loop until then), as a user's process does.
  # A jest that prints "did not exit" is a test (or library) leak to find, not to hide.
  if env "${assignments[@]}" "$JEST" "$@"; then
    results+=("$label: passed in $(( $(date +%s) - leg_started )) s")
  else
    results+=("$label: FAILED")
    failed=1
  fi
}

# One leg: router version, Node (major, or "" for the machine's), Artillery, suites label,
# then -- and the jest arguments.
leg() {
  local version="$1" node="$2" artillery="$3" what="$4"; shift 5
  local dir="" node_version label
  if [ -n "$node" ]; then
    if ! dir="$(node_dir "$node")"; then
      results+=("mediasoup $version on Node $node ($what): FAILED to set up Node $node")
      failed=1
      return
    fi
  fi
  node_version="$(PATH="${dir:+$dir:}$PATH" node --version)"
  label="mediasoup $version on Node ${node_version#v} ($what${artillery:+, Artillery $artillery})"
  if [ "$version" != 3.8.4 ]; then
    local worker="$WORKERS/$version/mediasoup-worker"
    [ "$version" != 3.27.1 ] || worker="${MEDIASOUP_TEST_WORKER_BIN:-$worker}"
    local setup_env=(MEDIASOUP_VERSION="$version")
    if [ -x "$worker" ]; then
      setup_env+=(MEDIASOUP_WORKER_BIN="$worker")
    elif [ ! -x "${MEDIASOUP_DATA_PRODUCER_CACHE:-$HOME/.cache/mediasoup-data-producer}/mediasoup-$version/node_modules/mediasoup/worker/out/Release/mediasoup-worker" ]; then
      results+=("mediasoup $version: not run (no worker at $worker and none cached)")
      return
    fi
    if ! env "${setup_env[@]}" bash scripts/setup-router.sh; then
      results+=("$label: FAILED to set up mediasoup $version")
      failed=1
      return
    fi
  fi
  local run_env=(PATH="${dir:+$dir:}$PATH")
  # 3.8.4 is LocalRouter's default: that leg runs without MEDIASOUP_VERSION, as users do, and
  # the tests that need the default run (setupRouter's fresh install, for one) run there.
  [ "$version" = 3.8.4 ] || run_env+=(MEDIASOUP_VERSION="$version")
  [ -z "$artillery" ] || run_env+=(ARTILLERY_VERSION="$artillery")
  if [ -n "$artillery" ] && [ "$artillery" != 2.0.21 ] &&
    ! ARTILLERY_VERSION="$artillery" bash scripts/setup-artillery.sh; then
    results+=("$label: FAILED to set up Artillery $artillery")
    failed=1
    return
  fi
  run_jest "$label" "${run_env[@]}" -- "$@"
}

finish() {
  local line="" result
  for result in "${results[@]}"; do line+="${line:+; }$result"; done
  say "covered: $line ($(( $(date +%s) - started )) s in all)"
  exit "$failed"
}

selected="all suites"
[ $# -eq 0 ] || selected="$*"

if [ -n "${MEDIASOUP_PATH:-}" ] || [ -n "${MEDIASOUP_VERSION:-}" ]; then
  # The router was chosen by hand: test that one only, on the Node asked for.
  dir=""
  if [ -n "${TEST_NODE_VERSION:-}" ] && ! dir="$(node_dir "$TEST_NODE_VERSION")"; then
    results+=("Node $TEST_NODE_VERSION: FAILED to set up")
    failed=1
    finish
  fi
  node_version="$(PATH="${dir:+$dir:}$PATH" node --version)"
  run_jest "mediasoup ${MEDIASOUP_VERSION:-at MEDIASOUP_PATH=${MEDIASOUP_PATH:-}} on Node ${node_version#v} ($selected)" \
    PATH="${dir:+$dir:}$PATH" -- "$@"
  finish
fi

# A leg runs the arguments given, if any, else its suites (none: the whole suite), named by
# the label given.
args=("$@")
pick() { # label, suites...
  local label="$1"; shift
  if [ ${#args[@]} -gt 0 ]; then
    picked=("${args[@]}"); picked_label="$selected"
  else
    picked=("$@"); picked_label="$label"
  fi
}
# The newest Artillery 2.x that setup-artillery.sh pins (2.0.21 is the last on Node 20).
newest_artillery="$(sed -n 's/^NEWEST=//p' scripts/setup-artillery.sh)"

pick "all suites"
leg 3.8.4 "" 2.0.21 "$picked_label" -- "${picked[@]}"
pick "wire suites" "${WIRE_SUITES[@]}"
leg 3.27.1 "" 2.0.21 "$picked_label" -- "${picked[@]}"
pick "wire suites" "${WIRE_SUITES[@]}"
leg 3.32.2 24 "$newest_artillery" "$picked_label" -- "${picked[@]}"
pick "the library's wire suites and Artillery's" "${NODE22_SUITES[@]}"
leg 3.27.1 22 "$newest_artillery" "$picked_label" -- "${picked[@]}"
finish
