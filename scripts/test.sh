#!/usr/bin/env bash
# Install everything and run the whole test suite: lint, types, contract artifacts, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev
. .venv/bin/activate
ruff check .
ruff format --check .
mypy huren
python scripts/compile_contracts.py --check
pytest -q "$@"
