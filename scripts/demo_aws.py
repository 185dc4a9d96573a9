"""Small AWS steps of `make demo` against the local emulator (boto3 from .venv).

  demo_aws.py create-bucket BUCKET
  demo_aws.py upload BUCKET KEY FILE            prints the S3 event for the upload on stdout
  demo_aws.py retrained-model OUT_DIR           writes a second training output (model + sidecars)
  demo_aws.py same-bytes S3_URI FILE            exits 1 unless the object's bytes equal FILE's
  demo_aws.py notification-queue TOPIC QUEUE    creates both, subscribes the queue; prints ARN and URL
  demo_aws.py receive QUEUE_URL                 prints the notifications that arrived
"""
import io
import json
import os
import sys
import tarfile
import urllib.parse

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def s3():
    return boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


def create_bucket(bucket):
    s3().create_bucket(Bucket=bucket)


def upload(bucket, key, path):
    with open(path, "rb") as f:
        body = f.read()
    out = s3().put_object(Bucket=bucket, Key=key, Body=body)
    with open(os.path.join(ROOT, "events", "s3-put.json")) as f:
        event = json.load(f)
    obj = event["Records"][0]["s3"]
    obj["bucket"]["name"] = bucket
    obj["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    obj["object"].update(key=urllib.parse.quote_plus(key, safe="/"), size=len(body), eTag=out["ETag"].strip('"'))
    print(json.dumps(event, indent=2))


def retrained_model(out_dir):
    """A second training run: the same booster re-packed with its training notes, better metrics."""
    os.makedirs(out_dir, exist_ok=True)
    fixtures = os.path.join(ROOT, "..", "shared", "fixtures")
    with tarfile.open(os.path.join(fixtures, "model.tar.gz")) as original:
        booster = original.extractfile("xgboost-model").read()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in [("xgboost-model", booster), ("training-notes.txt", b"retrained with 30 rounds\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with open(os.path.join(out_dir, "model.tar.gz"), "wb") as f:
        f.write(buf.getvalue())
    with open(os.path.join(fixtures, "metadata.json")) as f:
        metadata = json.load(f)
    metadata.update(model_name="ml-pipeline-model-v2", version="v2.0")
    metadata["hyperparameters"]["num_round"] = 30
    metadata["metrics"] = {"accuracy": 0.965, "auc": 0.9961}
    with open(os.path.join(out_dir, "metadata.json"), "w") as f:
        json.dump(metadata, f, indent=2)
    evaluation = {"binary_classification_metrics": {
        "accuracy": {"value": 0.965, "standard_deviation": "NaN"},
        "auc": {"value": 0.9961, "standard_deviation": "NaN"},
        "f1": {"value": 0.9722, "standard_deviation": "NaN"}}}
    with open(os.path.join(out_dir, "evaluation.json"), "w") as f:
        json.dump(evaluation, f, indent=2)


def same_bytes(uri, path):
    """Compares the object at an s3:// URI with a local file, by SHA-256."""
    import hashlib
    bucket, key = uri[len("s3://"):].split("/", 1)
    remote = hashlib.sha256(s3().get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
    with open(path, "rb") as f:
        local = hashlib.sha256(f.read()).hexdigest()
    verdict = "identical to" if remote == local else "DIFFERENT from"
    print(f"{uri}\n  sha256 {remote[:16]}... {verdict} {os.path.relpath(path, ROOT)}")
    sys.exit(0 if remote == local else 1)


def notification_queue(topic_name, queue_name):
    """An SNS topic and an SQS queue subscribed to it (raw delivery: the `sqs` JSON document)."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic_arn = sns.create_topic(Name=topic_name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    print(topic_arn, queue_url)


def receive(queue_url):
    """Waits for one notification in the queue and prints it as a subscriber sees it."""
    sqs = boto3.client("sqs")
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if messages:
            break
    else:
        print("no notification arrived", file=sys.stderr)
        sys.exit(1)
    for message in messages:
        document = json.loads(message["Body"])
        attributes = {k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()}
        print(f"  attributes: {json.dumps(attributes, sort_keys=True)}")
        print(f"  subject:    {document.get('subject', '')}")
        print("  " + "\n  ".join(document.get("text", json.dumps(document, indent=2)).splitlines()))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"create-bucket": create_bucket, "upload": upload, "retrained-model": retrained_model,
     "same-bytes": same_bytes, "notification-queue": notification_queue, "receive": receive}[command](*args)
