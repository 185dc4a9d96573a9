#!/usr/bin/env bash
# The demo's steps, run by scripts/demo.sh inside scripts/localaws.sh (AWS_ENDPOINT_URL set).
# The functions run unchanged behind the Lambda Runtime API that `cargo lambda` serves.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${CARGO_TARGET_DIR:-$root/target}/debug"
work="$root/.local/demo"
rm -rf "$work" && mkdir -p "$work"
bucket=ml-pipeline-bucket
group=ml-pipeline-model-group
fixtures="$root/../shared/fixtures"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
modelreg() { "$bin/modelreg" "$@"; }

port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
runtime="http://127.0.0.1:$port"

# Serves the Lambda Runtime API on 127.0.0.1:$port; the functions are started below.
start_runtime() {
  cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" >"$work/runtime.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if python -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "the Lambda Runtime API did not start; see $work/runtime.log" >&2
  return 1
}

# Starts a function binary as Lambda would, with the template's environment.
start_function() {
  local name="$1"; shift
  env "$@" AWS_LAMBDA_FUNCTION_NAME="$name" AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
    AWS_LAMBDA_RUNTIME_API="$runtime/.rt/$name" AWS_LAMBDA_LOG_LEVEL=info \
    "$bin/$name" >"$work/$name.log" 2>&1 &
  pids+=($!)
}

invoke() {
  cargo lambda invoke "$1" --invoke-address 127.0.0.1 --invoke-port "$port" --data-file "$2" --output-format json
}

step "creating s3://$bucket (the training job's output bucket)"
python scripts/demo_aws.py create-bucket "$bucket"

step "training run 1 wrote metadata.json, evaluation.json, then model.tar.gz to s3://$bucket/model/"
python scripts/demo_aws.py upload "$bucket" model/metadata.json "$fixtures/metadata.json" >/dev/null
python scripts/demo_aws.py upload "$bucket" model/evaluation.json "$fixtures/evaluation.json" >/dev/null
python scripts/demo_aws.py upload "$bucket" model/model.tar.gz "$fixtures/model.tar.gz" >"$work/event-1.json"
echo "S3 event: ObjectCreated:Put s3://$bucket/model/model.tar.gz ($(wc -c <"$fixtures/model.tar.gz") bytes)"

step "starting register-model behind the Lambda Runtime API (cargo lambda, port $port)"
start_runtime
start_function register-model MODEL_PACKAGE_GROUP_NAME="$group"

step "invoking register-model with the S3 event"
invoke register-model "$work/event-1.json"
echo

step "training run 2 overwrites s3://$bucket/model/model.tar.gz with a retrained model"
python scripts/demo_aws.py retrained-model "$work/run-2"
python scripts/demo_aws.py upload "$bucket" model/metadata.json "$work/run-2/metadata.json" >/dev/null
python scripts/demo_aws.py upload "$bucket" model/evaluation.json "$work/run-2/evaluation.json" >/dev/null
python scripts/demo_aws.py upload "$bucket" model/model.tar.gz "$work/run-2/model.tar.gz" >"$work/event-2.json"

step "invoking register-model with the second S3 event"
invoke register-model "$work/event-2.json"
echo

step "the same event delivered again (S3 delivers at least once): no new version"
invoke register-model "$work/event-2.json"
echo

step "the registry: versions of $group"
modelreg versions --group "$group"

step "version 1 still points at its own bytes, although model/model.tar.gz was overwritten"
v1_artifact="$(modelreg show 1 --group "$group" --json | python -c 'import json,sys; print(json.load(sys.stdin)["artifact"])')"
python scripts/demo_aws.py same-bytes "$v1_artifact" "$fixtures/model.tar.gz"

step "notifications: an SNS topic, and an SQS queue subscribed to it (raw delivery) to read them"
read -r topic_arn queue_url < <(python scripts/demo_aws.py notification-queue model-registry-notifications model-registry-inbox)
echo "topic $topic_arn"
echo "starting approval-handler behind the same Lambda Runtime API"
start_function approval-handler MODEL_PACKAGE_GROUP_NAME="$group" NOTIFICATION_TOPIC_ARN="$topic_arn" STATE_BUCKET="$bucket"

step "a reviewer approves version 1: modelreg approve 1 --reason ..."
modelreg approve 1 --group "$group" --reason "Held-out accuracy 0.958 and AUC 0.9954 on the Wisconsin data set; cleared for production"
# The emulator emits no EventBridge events: build the one SageMaker would emit from DescribeModelPackage.
modelreg event 1 --group "$group" --previous-status PendingManualApproval >"$work/event-approved.json"

step "invoking approval-handler with the 'SageMaker Model Package State Change' event"
invoke approval-handler "$work/event-approved.json"
echo
step "the notification, as it arrives in the subscribed queue"
python scripts/demo_aws.py receive "$queue_url"

step "the same event delivered again: no second notification"
invoke approval-handler "$work/event-approved.json"
echo

step "version 2 asks for review: its creation event, with the comparison against approved version 1"
modelreg event 2 --group "$group" >"$work/event-review-requested.json"
invoke approval-handler "$work/event-review-requested.json"
echo
python scripts/demo_aws.py receive "$queue_url"

step "the registry now"
modelreg versions --group "$group"

echo
echo "Demo complete: version 1 approved (in production, marked *), version 2 waiting for review. Logs: $work/"
