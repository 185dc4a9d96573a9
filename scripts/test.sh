#!/usr/bin/env bash
# `make test`: every test. Unit tests, end-to-end tests against the local AWS emulator,
# the infrastructure checks. Fails on any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "==> installing the project's Python tools (.venv)"
scripts/venv.sh
echo "==> building the workspace (first build compiles the AWS SDK crates: ~10-15 minutes)"
cargo build --workspace --tests --locked
echo "==> unit and end-to-end tests against the local AWS emulator"
scripts/localaws.sh cargo test --workspace --locked --no-fail-fast
