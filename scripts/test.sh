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
tests_status=0
scripts/localaws.sh cargo test --workspace --locked --no-fail-fast || tests_status=$?
# After the tests, so that a template problem does not hide test results (and vice versa);
# installs its tools on first use (.venv-tools, .venv-checkov), ~20 s afterwards.
echo "==> infrastructure checks: cfn-lint, sam validate --lint, checkov (template.yaml)"
template_status=0
scripts/check-template.sh || template_status=$?
if ((tests_status != 0 || template_status != 0)); then
  echo "make test FAILED: cargo test exit ${tests_status}, template checks exit ${template_status}" >&2
  exit 1
fi
