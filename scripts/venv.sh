#!/usr/bin/env bash
# Creates the project-local virtualenv (.venv at the repo root) and installs
# scripts/requirements.txt into it, only when that file changed since the last
# install (its hash is stamped in .venv). Silent when nothing needs doing.
# Usage: scripts/venv.sh        (PYTHON=python3.x to choose the interpreter)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

up_to_date() {
  [[ -x "$venv/bin/python" && -f "$stamp" && "$(<"$stamp")" == "$want" ]]
}

up_to_date && exit 0

# Parallel callers (e.g. several localaws.sh runs) must not install at once.
mkdir -p "$root/.local"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/.local/venv.lock"
  flock 9
  up_to_date && exit 0
fi

if ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
  echo "venv.sh: creating $venv" >&2
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
fi
echo "venv.sh: installing ${req#"$root/"} into .venv" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
echo "$want" >"$stamp"
echo "venv.sh: done" >&2
