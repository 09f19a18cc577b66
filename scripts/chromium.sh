#!/usr/bin/env bash
# Debian's Chromium (and its driver) for the console's browser tests (tests/console/):
# Playwright drives /usr/bin/chromium and never downloads a browser of its own.
# Idempotent: does nothing when /usr/bin/chromium is there. Needs root (or sudo) and apt.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
command -v apt-get >/dev/null || { echo "installing chromium needs apt-get (Debian)" >&2; exit 1; }
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "installing chromium needs root or sudo" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-noto-cjk
/usr/bin/chromium --version
