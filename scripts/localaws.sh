#!/usr/bin/env bash
# Runs one command against a fresh local AWS emulator (moto, see ../shared/DESIGN.md
# "Local world") and stops the emulator afterwards, whatever happens.
#
# Usage: scripts/localaws.sh <command> [args...]
#   e.g. scripts/localaws.sh cargo test -p tests
#        scripts/localaws.sh python -c 'import boto3; print(boto3.client("s3").list_buckets())'
#
# The command sees AWS_ENDPOINT_URL, test credentials, us-east-1,
# S3_FORCE_PATH_STYLE=true, MOTO_PORT and .venv/bin first on PATH. It exits
# with the command's exit code. Server-side settings such as
# INITIAL_NO_AUTH_ACTION_COUNT pass through from the caller's environment.
# Any AWS_PROFILE / AWS_SESSION_TOKEN of the caller is unset for the command.
# Knobs: LOCALAWS_START_TIMEOUT (seconds, default 30).
# The server's log is .local/moto-<port>.log while it runs, .local/moto-last.log after.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: ${0##*/} <command> [args...]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/venv.sh"
python="$root/.venv/bin/python"
mkdir -p "$root/.local"

server_pid=""
cmd_pid=""
log=""

stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  if [[ -n "$log" && -f "$log" ]]; then
    mv -f "$log" "$root/.local/moto-last.log" 2>/dev/null || true
  fi
}

on_signal() {
  # TERM, not the signal itself: a background command ignores INT (bash rule).
  if [[ -n "$cmd_pid" ]]; then kill -TERM "$cmd_pid" 2>/dev/null || true; fi
  exit $((128 + $(kill -l "$1")))
}

trap stop_server EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() {
  "$python" - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=2).read()
PY
}

start_server() {
  local port="$1" deadline
  log="$root/.local/moto-$port.log"
  MOTO_PORT="$port" "$python" "$root/scripts/moto_server.py" --port "$port" >"$log" 2>&1 &
  server_pid=$!
  deadline=$((SECONDS + ${LOCALAWS_START_TIMEOUT:-30}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true
      server_pid=""
      return 1
    fi
    answers "$port" && return 0
    sleep 0.2
  done
  return 1
}

# A free port can be taken between the probe and the bind: try a few.
started=""
for _ in 1 2 3; do
  port="$(free_port)"
  if start_server "$port"; then
    started=1
    break
  fi
  if [[ -n "$server_pid" ]] || ! grep -q 'Address already in use' "$log" 2>/dev/null; then
    break
  fi
  rm -f "$log"
done
if [[ -z "$started" ]]; then
  echo "localaws.sh: moto server on 127.0.0.1:$port exited or did not answer within ${LOCALAWS_START_TIMEOUT:-30}s; log tail (kept as .local/moto-last.log):" >&2
  tail -n 30 "$log" >&2 || true
  exit 1
fi

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export S3_FORCE_PATH_STYLE=true
export MOTO_PORT="$port"
export PATH="$root/.venv/bin:$PATH"
unset AWS_SESSION_TOKEN AWS_PROFILE

# In the background so INT/TERM reach the trap at once (a foreground command
# would delay the trap until it ends); stdin kept.
set +e
"$@" <&0 &
cmd_pid=$!
wait "$cmd_pid"
rc=$?
set -e
cmd_pid=""
exit "$rc"
