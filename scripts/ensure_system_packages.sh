#!/usr/bin/env bash
# Installs the Debian packages the test suite and the scale-out mode run for real, and only
# those missing: chromium (browser test, driven by playwright-core: Playwright's own browser
# download needs more internet than the package mirrors), nginx and redis-server (scale-out),
# PostgreSQL (intake and scale-out tests; scripts/services/postgres.sh also installs it).
# Idempotent: returns at once when everything is there. Nothing is started here.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

missing=()
have chromium || missing+=(chromium)
have nginx || missing+=(nginx)
have redis-server || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
[ "${#missing[@]}" -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "error: missing ${missing[*]}, and installing needs root (no sudo found):" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  }
  SUDO="sudo"
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "error: missing ${missing[*]} and apt-get is not available; install them with your" >&2
  echo "system's package manager (or set CHROMIUM_PATH for the browser test)." >&2
  exit 1
}

printf '\033[1m==> %s\033[0m\n' "Installing Debian packages: ${missing[*]} (once)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for name in "${missing[@]}"; do
  [ "$name" = postgresql ] && continue
  have "$name" || { echo "error: apt-get installed $name but it is still not found" >&2; exit 1; }
done
