#!/usr/bin/env bash
# Installs the Debian packages a make target needs, when run as root, and for
# the tests the npm packages pinned in package-lock.json (axe-core for the TV
# screen audit) into node_modules/, stamped so that it runs again only when the
# lock file changes.
# Usage: scripts/system-deps.sh run|test
# Not root and something missing: one line saying what to run, exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

npm_deps() {
  # npm ci installs exactly the lock file's versions; the stamp is newer than the lock when done.
  [ "${1:-run}" = run ] && return 0
  local stamp=node_modules/.installed
  if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then return 0; fi
  echo "Installing npm packages (package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error >/tmp/tvgov-npm.log 2>&1 || {
    echo "npm ci failed; see /tmp/tvgov-npm.log" >&2; exit 1; }
  touch "$stamp"
}

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
# npm installs axe-core, the accessibility engine the screen audit runs in the page.
if [ "${1:-run}" != run ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -eq 0 ]; then npm_deps "${1:-run}"; exit 0; fi

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
npm_deps "${1:-run}"
