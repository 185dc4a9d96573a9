#!/usr/bin/env bash
# `make demo`: the main job end to end on the local AWS emulator.
# Builds the workspace, starts the emulator, and runs scripts/demo-steps.sh inside it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
echo "==> installing the project's Python tools (moto, cargo-lambda) into .venv"
scripts/venv.sh
echo "==> building the functions and modelreg (first build compiles the AWS SDK crates: ~10-15 minutes)"
cargo build --workspace --locked --quiet
echo "==> starting the local AWS emulator"
exec scripts/localaws.sh scripts/demo-steps.sh
