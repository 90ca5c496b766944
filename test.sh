#!/usr/bin/env bash
# Install what the tests need into .venv, then lint, type-check and run the whole suite.
# Extra arguments go to pytest (e.g. ./test.sh -k volume).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
bash scripts/typecheck.sh
exec .venv/bin/python -m pytest "$@"
