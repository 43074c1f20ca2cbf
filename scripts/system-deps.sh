#!/usr/bin/env bash
# Installs the Debian packages a make target needs, when run as root.
# Usage: scripts/system-deps.sh run|test
# Not root and something missing: one line saying what to run, exit 1.
set -euo pipefail

run_pkgs=(redis-server fonts-nanum)
test_pkgs=("${run_pkgs[@]}" postgresql chromium chromium-driver zbar-tools libtiff-tools
  ghostscript poppler-utils hylafax-server hylafax-client kannel kannel-extras nginx wrk)

case "${1:-run}" in
  run) want=("${run_pkgs[@]}") ;;
  test|bench) want=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node checks that the remote_nav runtime parses as plain script; any node will do.
if [ "${1:-run}" != run ] && ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages; run once: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# hylafax-server and kannel ship init scripts we never use: keep them from starting.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/tvgov-apt.log 2>&1; then
  apt-get update >>/tmp/tvgov-apt.log 2>&1 || true
  apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/tvgov-apt.log 2>&1 || {
    echo "apt-get install failed; see /tmp/tvgov-apt.log" >&2; exit 1; }
fi
