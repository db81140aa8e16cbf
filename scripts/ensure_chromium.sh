#!/usr/bin/env bash
# Installs Debian's chromium for the browser test (tests/browser/chat.spec.mjs) when
# `chromium` is not on PATH. Idempotent: returns at once when chromium is already there.
# Playwright's own browser download is not used (it needs the internet beyond the package
# mirrors); playwright-core drives this system chromium instead.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: chromium is not installed and apt-get is not available." >&2
  echo "Install Chromium with your system's package manager so that \`chromium\` is on PATH," >&2
  echo "or set CHROMIUM_PATH to a Chromium executable when running the browser test." >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "error: chromium is not installed, and installing it needs root (no sudo found):" >&2
    echo "  apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
fi

printf '\033[1m==> %s\033[0m\n' "Installing Debian's chromium for the browser test (once)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null

if ! command -v chromium >/dev/null 2>&1; then
  echo "error: apt-get installed chromium but \`chromium\` is still not on PATH" >&2
  exit 1
fi
echo "chromium installed: $(readlink -f "$(command -v chromium)")"
