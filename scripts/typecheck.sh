#!/usr/bin/env bash
# Type-check golocal with mypy (settings in pyproject.toml, [tool.mypy]).
#
# The top-level folders are installed as golocal.bot, golocal.jobs, golocal.db and
# golocal.config (setuptools' package-dir), which mypy cannot read from an editable
# install. So a tree of links that spells the import package is made in .venv, and mypy
# checks the package through it: every module is checked under its real name.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tree="$root/.venv/golocal-typecheck"
rm -rf "$tree"
mkdir -p "$tree/golocal"
for file in "$root"/golocal/*.py; do
  ln -s "$file" "$tree/golocal/$(basename "$file")"
done
for folder in bot jobs db config; do
  ln -s "$root/$folder" "$tree/golocal/$folder"
done
cd "$root"
MYPYPATH="$tree" exec "$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" -p golocal "$@"
