#!/usr/bin/env bash
# Lints template.yaml with cfn-lint, `sam validate --lint` and checkov, offline, and fails on any
# problem: a cfn-lint error or warning, a failed checkov check, or a checkov skip without a reason.
# Installs the tools on first use into project-local virtualenvs (.venv-tools, .venv-checkov; checkov
# pins a boto3 that conflicts with aws-sam-cli's) and reinstalls only when a requirements file changes.
#
# Usage: scripts/check-template.sh [template]   (default: template.yaml at the repository root)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
template="${1:-template.yaml}"
python="${PYTHON:-python3}"

# ensure_venv DIR REQUIREMENTS: (re)installs when the requirements' hash differs from the stamp.
ensure_venv() {
  local dir="$1" requirements="$2" stamp="$1/.requirements.sha256" want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ -x "$dir/bin/python" ]] && "$dir/bin/python" -c '' 2>/dev/null \
    && [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "==> installing $requirements into $dir"
  if ! "$dir/bin/python" -c '' 2>/dev/null; then
    "$python" -m venv --clear "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  "$dir/bin/python" -m pip check --disable-pip-version-check
  echo "$want" >"$stamp"
}

ensure_venv .venv-tools scripts/requirements-tools.txt
ensure_venv .venv-checkov scripts/requirements-checkov.txt

failed=()
# check NAME COMMAND...: runs every check, even after a failure, and reports them all at the end.
check() {
  local name="$1"
  shift
  echo "==> $name"
  if "$@"; then
    echo "    ok: $name"
  else
    echo "    FAILED: $name"
    failed+=("$name")
  fi
}

# checkov exits 0 on a template it cannot parse ("Parsing errors: 1", nothing checked): fail on that.
run_checkov() {
  local output status=0
  output="$(.venv-checkov/bin/checkov -f "$template" --framework cloudformation \
    --skip-download --quiet --compact 2>&1)" || status=$?
  printf '%s\n' "$output"
  if grep -Eq 'Parsing errors: [1-9]' <<<"$output" || ! grep -Eq 'Passed checks: [1-9]' <<<"$output"; then
    echo "    checkov could not check $template"
    return 1
  fi
  return "$status"
}

# Every checkov skip in the template must say why (Metadata: checkov: skip: [{id, comment}]).
skips_explained() {
  .venv-tools/bin/python - "$template" <<'PY'
import sys
from cfnlint.decode import decode

template, errors = decode(sys.argv[1])
if errors:
    sys.exit(f"cannot parse {sys.argv[1]}: {errors}")
bad = 0
for name, resource in (template.get("Resources") or {}).items():
    skips = ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
    for skip in skips:
        reason = str(skip.get("comment") or "").strip()
        print(f"    skip {skip.get('id')} on {name}: {reason[:90] or 'NO REASON'}")
        if not skip.get("id") or len(reason) < 20:
            print(f"    {name}: checkov skip {skip.get('id')} needs an id and a real comment")
            bad += 1
sys.exit(1 if bad else 0)
PY
}

# Offline: no telemetry, a fixed region for the SAM translator, no checkov downloads.
export SAM_CLI_TELEMETRY=0
check "cfn-lint" .venv-tools/bin/cfn-lint -- "$template"
check "sam validate --lint" env AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" \
  .venv-tools/bin/sam validate --lint --template "$template"
check "checkov" run_checkov
check "checkov skips explained" skips_explained

if ((${#failed[@]})); then
  echo "template checks FAILED: ${failed[*]}"
  exit 1
fi
echo "template checks passed: cfn-lint, sam validate --lint, checkov, checkov skips explained"
