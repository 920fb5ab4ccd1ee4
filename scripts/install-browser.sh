#!/usr/bin/env bash
# Install the browser the browser tests drive: Debian's chromium at /usr/bin/chromium.
# Idempotent: does nothing when it is already there. Never downloads a browser build of
# its own (no `playwright install`): Playwright launches this one via executable_path.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
echo "chromium: installed ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))"
