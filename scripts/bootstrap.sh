#!/usr/bin/env bash
# Create (or refresh) the repository's virtual environment in .venv.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "golocal: creating a virtual environment in .venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.golocal-installed${extras:+-$extras}"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "golocal: installing dependencies into .venv (first run takes a minute)" >&2
  log="$venv/install.log"
  if ! { "$venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
    "$venv/bin/python" -m pip install --disable-pip-version-check \
      -e "$root${extras:+[$extras]}"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "golocal: installing failed; the whole log is in $log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
