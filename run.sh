#!/usr/bin/env bash
# Install what golocal needs into .venv, then run it. Without arguments: the bot, which
# talks on this terminal when no Slack tokens are set. Any arguments are a golocal command
# (e.g. ./run.sh demo --days 30, ./run.sh --help).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
if [ "$#" -eq 0 ]; then
  set -- run
fi
exec .venv/bin/golocal "$@"
