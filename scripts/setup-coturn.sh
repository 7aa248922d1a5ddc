#!/usr/bin/env bash
# Installs coturn's `turnserver`, which the TURN tests start on their own (a private
# process on 127.0.0.1 with a free port, see test/support/turnServer.ts). Idempotent: it
# does nothing when `turnserver` is already on PATH.
#
# Installing Debian's package must not leave a system coturn daemon behind that holds port
# 3478: no service is started during the install (policy-rc.d), and afterwards the service
# is stopped and disabled if an init system started or enabled it anyway.
#
#   TURNSERVER_BIN  use this turnserver binary instead (nothing is installed)
set -euo pipefail

say() { printf '[setup-coturn] %s\n' "$*"; }
fail() { printf '[setup-coturn] FAILED: %s\n' "$*" >&2; exit 1; }

if [ -n "${TURNSERVER_BIN:-}" ]; then
  [ -x "$TURNSERVER_BIN" ] || fail "TURNSERVER_BIN=$TURNSERVER_BIN is not an executable file"
  say "using $TURNSERVER_BIN (TURNSERVER_BIN); nothing to install"
  exit 0
fi

# Debian installs it in /usr/bin, but look in the sbin folders too for other layouts.
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"
if command -v turnserver >/dev/null 2>&1; then
  say "turnserver ready ($(command -v turnserver))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null ||
    fail "turnserver is missing and installing coturn needs root (run as root or with passwordless sudo: apt-get install coturn)"
  SUDO="sudo -n"
fi
command -v apt-get >/dev/null 2>&1 ||
  fail "turnserver is missing and there is no apt-get; install coturn with your package manager"

LOG="$(mktemp -t setup-coturn.XXXXXX.log)"
POLICY=/usr/sbin/policy-rc.d
made_policy=0
cleanup() {
  if [ "$made_policy" = 1 ]; then $SUDO rm -f "$POLICY"; fi
}
trap cleanup EXIT

# invoke-rc.d and deb-systemd-invoke ask policy-rc.d before starting a service: exit code 101
# forbids it. Docker images already ship one; elsewhere we add one for the install only.
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from mediasoup-data-producer scripts/setup-coturn.sh\nexit 101\n' |
    $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  made_policy=1
fi

say "installing coturn from Debian's apt repository (log: $LOG)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >>"$LOG" 2>&1 ||
  fail "apt-get update failed: $(grep -m1 -E '^(E|Err):' "$LOG" || tail -n1 "$LOG") (full log: $LOG)"
$SUDO apt-get install -y -q --no-install-recommends coturn >>"$LOG" 2>&1 ||
  fail "apt-get install coturn failed: $(grep -m1 -E '^E:' "$LOG" || tail -n1 "$LOG") (full log: $LOG)"

cleanup
made_policy=0

# The package ships with TURNSERVER_ENABLED commented out in /etc/default/coturn, so its
# init script would not start it either; still, make sure no system daemon runs or starts
# at boot.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now coturn.service >>"$LOG" 2>&1 || true
elif [ -x /etc/init.d/coturn ]; then
  $SUDO /etc/init.d/coturn stop >>"$LOG" 2>&1 || true
  $SUDO update-rc.d coturn disable >>"$LOG" 2>&1 || true
fi

command -v turnserver >/dev/null 2>&1 || fail "coturn installed but turnserver is not on PATH (full log: $LOG)"
say "installed $(command -v turnserver) ($(dpkg-query -W -f='coturn ${Version}' coturn 2>/dev/null || echo coturn))"
rm -f "$LOG"
