#!/usr/bin/env bash
# Install huren into ./.venv with exact pins (pyproject.toml + constraints.txt).
#   scripts/install.sh         what running a node needs (no node.js)
#   scripts/install.sh --dev   also the test toolchain: solcjs, OpenZeppelin, anvil (npm ci),
#                              Chromium for the browser tests (apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate
      break
    fi
  done
fi
[ -n "$python" ] || { echo "huren needs Python 3.11 (set PYTHON=...)" >&2; exit 1; }

# Debian packages the node uses at run time: a CJK font for drawing seals (huren/node/seals).
need_apt=()
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need_apt+=(fonts-wqy-zenhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get install -y -q "${need_apt[@]}" >/dev/null 2>&1 || {
    apt_get update -q >/dev/null && apt_get install -y -q "${need_apt[@]}" >/dev/null
  } || { echo "could not install ${need_apt[*]} with apt-get" >&2; exit 1; }
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check pip==26.3
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"

if [ "${1:-}" = "--dev" ]; then
  command -v npm >/dev/null || { echo "the test toolchain needs node.js and npm" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
  scripts/chromium.sh  # Debian's Chromium for the browser tests (Playwright never downloads one)
fi
