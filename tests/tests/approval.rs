//! End-to-end: SageMaker model package state change events (the `events/` files, and events
//! built from DescribeModelPackage with `state_change_event`, since the emulator emits none)
//! through the real `approval-handler` against the local AWS emulator, asserting what arrives
//! in SQS queues subscribed to the notification topic.
//!
//! Every test has its own bucket, group, topic and queues.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
use aws_sdk_sagemaker::types::{InferenceSpecification, ModelApprovalStatus, ModelPackageContainerDefinition};
use aws_sdk_sqs::types::{Message, QueueAttributeName};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use e2e::*;
use registry::approval::{self, decide, parse_event, state_change_event, ApprovalConfig, Notifier, Parsed, Verdict};
use registry::clients::Clients;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The group, account and region the `events/` files name.
const FILE_GROUP: &str = "ml-pipeline-model-group";
const DOCUMENTED_GROUP: &str = "versionedmp-p-idy6c3e1fiqj";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const IMAGE: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

/// One test's private world: a state bucket, a group, a topic, and a notifier for them.
struct World {
    clients: Clients,
    sqs: aws_sdk_sqs::Client,
    bucket: String,
    group: String,
    topic_arn: String,
    notifier: Notifier,
}

fn config(group: &str, topic_arn: &str, bucket: &str) -> ApprovalConfig {
    let vars: HashMap<&str, &str> =
        HashMap::from([("MODEL_PACKAGE_GROUP_NAME", group), ("NOTIFICATION_TOPIC_ARN", topic_arn), ("STATE_BUCKET", bucket)]);
    ApprovalConfig::from_lookup(|name| vars.get(name).map(|v| v.to_string())).expect("config")
}

async fn world() -> World {
    let clients = clients().await;
    let bucket = unique("approvals");
    create_bucket(&clients.s3, &bucket, false).await;
    let group = unique("approval-group");
    clients
        .sagemaker
        .create_model_package_group()
        .model_package_group_name(&group)
        .model_package_group_description("approval-handler tests")
        .send()
        .await
        .expect("group");
    let topic_arn = clients
        .sns
        .create_topic()
        .name(unique("notifications"))
        .send()
        .await
        .expect("topic")
        .topic_arn()
        .unwrap()
        .to_string();
    let notifier = Notifier {
        config: config(&group, &topic_arn, &bucket),
        sagemaker: clients.sagemaker.clone(),
        s3: clients.s3.clone(),
        sns: clients.sns.clone(),
    };
    World { sqs: sqs().await, clients, bucket, group, topic_arn, notifier }
}

impl World {
    /// A queue subscribed to the topic; `raw` delivers the `sqs` document as the body.
    async fn subscribe(&self, raw: bool, filter_policy: Option<Value>) -> String {
        let url = self.sqs.create_queue().queue_name(unique("inbox")).send().await.expect("queue").queue_url().unwrap().to_string();
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes");
        let queue_arn = attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
        let mut request = self
            .clients
            .sns
            .subscribe()
            .topic_arn(&self.topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", if raw { "true" } else { "false" });
        if let Some(policy) = filter_policy {
            request = request.attributes("FilterPolicy", policy.to_string());
        }
        request.send().await.expect("subscribe");
        url
    }

    /// Registers a version (PendingManualApproval) with `register-model`-style metadata.
    async fn register(&self, metadata: &[(&str, &str)]) -> String {
        let container =
            ModelPackageContainerDefinition::builder().image(IMAGE).model_data_url(format!("s3://{}/registry/{}/m/model.tar.gz", self.bucket, self.group)).build();
        let spec = InferenceSpecification::builder()
            .containers(container)
            .supported_content_types("text/csv")
            .supported_response_mime_types("text/csv")
            .build();
        let properties: HashMap<String, String> = metadata.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.clients
            .sagemaker
            .create_model_package()
            .model_package_group_name(&self.group)
            .model_package_description("registered by the approval tests")
            .model_approval_status(ModelApprovalStatus::PendingManualApproval)
            .inference_specification(spec)
            .set_customer_metadata_properties(Some(properties))
            .send()
            .await
            .expect("create model package")
            .model_package_arn()
            .unwrap()
            .to_string()
    }

    async fn describe(&self, arn: &str) -> DescribeModelPackageOutput {
        self.clients.sagemaker.describe_model_package().model_package_name(arn).send().await.expect("describe")
    }

    /// A reviewer's decision, as `aws sagemaker update-model-package` makes it.
    async fn decide(&self, arn: &str, status: &str, reason: &str) {
        self.clients
            .sagemaker
            .update_model_package()
            .model_package_arn(arn)
            .model_approval_status(ModelApprovalStatus::from(status))
            .approval_description(reason)
            .send()
            .await
            .expect("update model package");
    }

    /// The event SageMaker would emit for the version as it is now.
    async fn event(&self, arn: &str, previous_status: Option<&str>) -> Value {
        state_change_event(&self.describe(arn).await, previous_status, REGION, ACCOUNT)
    }

    async fn handle(&self, event: &Value) -> Value {
        let output = approval_handler::handle(&self.notifier, event).await.unwrap_or_else(|err| panic!("handler failed: {err}"));
        serde_json::to_value(output).unwrap()
    }
}

const MODEL_METADATA: &[(&str, &str)] = &[
    ("model-name", "ml-pipeline-model-v1"),
    ("model-version", "v1.0"),
    ("framework", "XGBoost"),
    ("metric:accuracy", "0.958"),
    ("metric:auc", "0.9954"),
    ("data:rows", "426"),
    ("data:training", "s3://ml-pipeline-bucket/data/train.csv"),
    ("hyperparameter:max_depth", "3"),
];

/// Every message now in the queue (the emulator delivers SNS to SQS synchronously).
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Message> {
    let mut messages = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive");
        if out.messages().is_empty() {
            return messages;
        }
        messages.extend(out.messages().iter().cloned());
    }
}

/// The JSON documents in a raw-delivery queue.
async fn documents(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    drain(sqs, url).await.iter().map(|m| serde_json::from_str(m.body().unwrap()).expect("JSON document")).collect()
}

fn attribute<'a>(message: &'a Message, name: &str) -> (&'a str, &'a str) {
    let value = &message.message_attributes().unwrap_or_else(|| panic!("no attributes on {message:?}"))[name];
    (value.data_type(), value.string_value().unwrap())
}

/// Rewrites an `events/` file to name `group` instead of `placeholder` (in the group name and
/// every ARN), so that it concerns a version this test registered.
fn in_group(mut event: Value, placeholder: &str, group: &str) -> Value {
    fn walk(value: &mut Value, from: &str, to: &str) {
        match value {
            Value::String(s) => *s = s.replace(from, to),
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, from, to)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, from, to)),
            _ => {}
        }
    }
    walk(&mut event, placeholder, group);
    event
}

fn outcome(result: &Value) -> &str {
    result["outcome"].as_str().unwrap_or_else(|| panic!("no outcome: {result}"))
}

// ------------------------------------------------------------------------------ events/ files

#[tokio::test]
async fn given_review_requested_event_file_when_handled_then_one_notification_with_metrics_data_and_how_to_decide() {
    let w = world().await;
    let arn = w.register(MODEL_METADATA).await;
    let raw = w.subscribe(true, None).await;
    let envelope = w.subscribe(false, None).await;
    let event = in_group(event_file("sagemaker-model-package-review-requested.json"), FILE_GROUP, &w.group);
    assert_eq!(event["detail"]["ModelPackageArn"], arn, "the file names the version this test registered");

    let result = w.handle(&event).await;
    assert_eq!(outcome(&result), "notified", "{result}");
    assert_eq!(result["event"], "review-requested");
    assert_eq!(result["version"], 1);
    assert!(result["message_id"].as_str().is_some_and(|id| !id.is_empty()), "{result}");

    let messages = drain(&w.sqs, &raw).await;
    assert_eq!(messages.len(), 1);
    let doc: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(doc["event"], "review-requested");
    assert_eq!(doc["group"], w.group.as_str());
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["model_package"]["model_name"], "ml-pipeline-model-v1");
    assert_eq!(doc["model_package"]["metrics"]["accuracy"], 0.958);
    assert_eq!(doc["model_package"]["data"]["rows"], "426");
    assert_eq!(doc["model_package"]["data"]["training"], "s3://ml-pipeline-bucket/data/train.csv");
    assert!(doc["comparison"].is_null(), "no Approved version yet: {doc}");
    let approve = doc["approve"]["aws_cli"].as_str().unwrap();
    assert!(approve.starts_with("aws sagemaker update-model-package"), "{approve}");
    assert!(approve.contains(&format!("--model-package-arn {arn} --model-approval-status Approved --approval-description")), "{approve}");
    assert_eq!(doc["approve"]["modelreg"], "modelreg approve 1 --reason \"<reason>\"");
    assert!(doc["reject"]["aws_cli"].as_str().unwrap().contains("--model-approval-status Rejected"));

    assert_eq!(attribute(&messages[0], "event"), ("String", "review-requested"));
    assert_eq!(attribute(&messages[0], "group"), ("String", w.group.as_str()));
    assert_eq!(attribute(&messages[0], "version"), ("Number", "1"));
    assert_eq!(attribute(&messages[0], "status"), ("String", "PendingManualApproval"));

    // Without raw delivery, the SNS envelope shows the subject; its Message is the sqs document.
    let wrapped = drain(&w.sqs, &envelope).await;
    assert_eq!(wrapped.len(), 1);
    let sns: Value = serde_json::from_str(wrapped[0].body().unwrap()).unwrap();
    let subject = sns["Subject"].as_str().unwrap();
    assert_eq!(subject, format!("Review requested: {} v1 (ml-pipeline-model-v1)", w.group));
    assert!(subject.len() <= 100);
    let inner: Value = serde_json::from_str(sns["Message"].as_str().unwrap()).unwrap();
    assert_eq!(inner, doc);
    assert_eq!(doc["subject"], subject);
    let text = doc["text"].as_str().unwrap();
    assert!(text.starts_with(&format!("Version 1 of model package group {} is waiting for review.", w.group)), "{text}");
    assert!(text.contains("To approve it:"), "{text}");
}

#[tokio::test]
async fn given_approved_event_file_when_handled_then_notification_names_decider_and_reason() {
    let w = world().await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Approved", "Accuracy 0.958 on the held-out set, above the 0.95 bar").await;
    let queue = w.subscribe(true, None).await;
    let event = in_group(event_file("sagemaker-model-package-approved.json"), FILE_GROUP, &w.group);

    let result = w.handle(&event).await;
    assert_eq!(outcome(&result), "notified", "{result}");
    assert_eq!(result["event"], "approved");

    let messages = drain(&w.sqs, &queue).await;
    assert_eq!(messages.len(), 1);
    let doc: Value = serde_json::from_str(messages[0].body().unwrap()).unwrap();
    assert_eq!(doc["event"], "approved");
    assert_eq!(doc["status"], "Approved");
    assert_eq!(doc["decided_by"]["user_profile_name"], "alice");
    assert_eq!(doc["decided_by"]["domain_id"], "d-abcdef123456");
    assert_eq!(doc["approval_description"], "Accuracy 0.958 on the held-out set, above the 0.95 bar");
    assert_eq!(doc["decided_at"], "2024-05-01T10:15:41.532Z");
    assert_eq!(doc["model_package"]["model_package_arn"], arn);
    assert_eq!(attribute(&messages[0], "event"), ("String", "approved"));
    assert_eq!(attribute(&messages[0], "status"), ("String", "Approved"));
}

#[tokio::test]
async fn given_rejected_event_file_with_string_version_when_handled_then_notification_names_iam_caller() {
    let w = world().await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Rejected", "Recall on the minority class dropped below 0.9").await;
    let queue = w.subscribe(true, None).await;
    let event = in_group(event_file("sagemaker-model-package-rejected.json"), FILE_GROUP, &w.group);
    assert_eq!(event["detail"]["ModelPackageVersion"], "1");

    let result = w.handle(&event).await;
    assert_eq!(outcome(&result), "notified", "{result}");
    assert_eq!(result["event"], "rejected");
    assert_eq!(result["version"], 1);

    let docs = documents(&w.sqs, &queue).await;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["event"], "rejected");
    assert_eq!(docs[0]["decided_by"]["iam_arn"], "arn:aws:sts::123456789012:assumed-role/ModelReviewer/bob");
    assert_eq!(docs[0]["approval_description"], "Recall on the minority class dropped below 0.9");
    assert_eq!(docs[0]["decided_at"], "2024-05-01T10:20:06.914Z", "epoch milliseconds read as such");
}

/// Files that must be acknowledged without a notification, and the reason each gives.
async fn assert_ignored_without_notification(file: &str, rewrite: bool, reason_contains: &str) {
    let w = world().await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Approved", "approved before the update").await;
    let queue = w.subscribe(true, None).await;
    let mut event = event_file(file);
    if rewrite {
        event = in_group(event, FILE_GROUP, &w.group);
    }
    let result = w.handle(&event).await;
    assert_eq!(outcome(&result), "ignored", "{file}: {result}");
    assert!(result["reason"].as_str().unwrap().contains(reason_contains), "{file}: {result}");
    assert!(drain(&w.sqs, &queue).await.is_empty(), "{file} published a notification");
}

#[tokio::test]
async fn given_metadata_update_event_file_when_handled_then_ignored_and_nothing_published() {
    assert_ignored_without_notification("sagemaker-model-package-metadata-update.json", true, "only CustomerMetadataProperties changed").await;
}

#[tokio::test]
async fn given_lifecycle_change_event_file_when_handled_then_ignored_and_nothing_published() {
    assert_ignored_without_notification("sagemaker-model-package-lifecycle-change.json", true, "only ModelLifeCycle changed").await;
}

#[tokio::test]
async fn given_other_group_event_file_when_handled_then_ignored_and_nothing_published() {
    assert_ignored_without_notification("sagemaker-model-package-other-group.json", true, "other group 'fraud-detection-models'").await;
}

#[tokio::test]
async fn given_other_detail_type_event_file_when_handled_then_ignored_and_nothing_published() {
    assert_ignored_without_notification("sagemaker-training-job-state-change.json", false, "SageMaker Training Job State Change").await;
}

#[tokio::test]
async fn given_documented_aws_example_when_handled_then_its_lifecycle_update_is_ignored_and_its_older_form_is_a_rejection() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let documented = event_file("sagemaker-model-package-documented-example.json");

    // As published (repaired): another group.
    let result = w.handle(&documented).await;
    assert_eq!(outcome(&result), "ignored", "{result}");
    assert!(result["reason"].as_str().unwrap().contains("other group"), "{result}");

    // In our group: only ModelLifeCycle changed.
    let ours = in_group(documented.clone(), DOCUMENTED_GROUP, &w.group);
    let result = w.handle(&ours).await;
    assert_eq!(outcome(&result), "ignored", "{result}");
    assert_eq!(result["version"], 2);
    assert!(result["reason"].as_str().unwrap().contains("only ModelLifeCycle changed"), "{result}");
    assert!(drain(&w.sqs, &queue).await.is_empty());

    // The earlier published form had no UpdatedModelPackageFields: status Rejected is a decision.
    // The version does not exist here, so the message says so and carries what the event has.
    let mut older = ours;
    older["detail"].as_object_mut().unwrap().remove("UpdatedModelPackageFields");
    let result = w.handle(&older).await;
    assert_eq!(outcome(&result), "notified", "{result}");
    assert_eq!(result["event"], "rejected");
    let docs = documents(&w.sqs, &queue).await;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["version"], 2);
    assert!(docs[0]["model_package"]["note"].as_str().unwrap().contains("could not be described"), "{}", docs[0]);
}

#[tokio::test]
async fn given_malformed_events_when_handled_then_acknowledged_with_a_clear_reason() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    for payload in [
        json!("just a string"),
        json!({"Records": []}),
        json!({"detail-type": "SageMaker Model Package State Change", "source": "aws.sagemaker", "detail": [1]}),
        json!({"detail-type": "SageMaker Model Package State Change", "source": "aws.sagemaker",
               "detail": {"ModelPackageGroupName": w.group, "ModelApprovalStatus": "Approved"}}),
    ] {
        let result = w.handle(&payload).await;
        assert_eq!(outcome(&result), "ignored", "{payload}: {result}");
        assert!(result["reason"].as_str().unwrap().starts_with("invalid event: "), "{payload}: {result}");
    }
    assert!(drain(&w.sqs, &queue).await.is_empty());
}

// ------------------------------------------------------------------------------ once per decision

#[tokio::test]
async fn given_same_event_delivered_again_when_handled_then_one_notification() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Approved", "good enough").await;
    let event = w.event(&arn, Some("PendingManualApproval")).await;

    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(outcome(&w.handle(&event).await).to_string());
    }
    // SageMaker may emit several events for one change: another id, the same decision.
    let mut twin = event.clone();
    twin["id"] = "11111111-2222-3333-4444-555555555555".into();
    outcomes.push(outcome(&w.handle(&twin).await).to_string());
    let (a, b) = tokio::join!(w.handle(&event), w.handle(&event));
    outcomes.extend([outcome(&a).to_string(), outcome(&b).to_string()]);
    assert_eq!(outcomes, ["notified", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate"]);

    let docs = documents(&w.sqs, &queue).await;
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["event"], "approved");
}

#[tokio::test]
async fn given_two_deliveries_at_once_of_a_new_decision_when_handled_then_one_notification() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let arn = w.register(MODEL_METADATA).await;
    let event = w.event(&arn, None).await;

    let (a, b) = tokio::join!(
        approval_handler::handle(&w.notifier, &event),
        approval_handler::handle(&w.notifier, &event)
    );
    // The loser finds the winner's claim: "sent" (duplicate) or still "pending" (retry later).
    let mut seen = Vec::new();
    for result in [a, b] {
        match result {
            Ok(output) => seen.push(serde_json::to_value(output).unwrap()["outcome"].as_str().unwrap().to_string()),
            Err(err) => {
                assert!(err.is_retryable(), "{err}");
                // Lambda's retry of that invocation.
                seen.push(outcome(&w.handle(&event).await).to_string());
            }
        }
    }
    seen.sort();
    assert_eq!(seen, ["duplicate", "notified"]);
    assert_eq!(documents(&w.sqs, &queue).await.len(), 1);
}

#[tokio::test]
async fn given_approve_reject_approve_when_each_decision_handled_then_three_notifications() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let arn = w.register(MODEL_METADATA).await;

    w.decide(&arn, "Approved", "first look: fine").await;
    let first = w.event(&arn, Some("PendingManualApproval")).await;
    assert_eq!(outcome(&w.handle(&first).await), "notified");
    w.decide(&arn, "Rejected", "drift found in the training data").await;
    let second = w.event(&arn, Some("Approved")).await;
    assert_eq!(outcome(&w.handle(&second).await), "notified");
    w.decide(&arn, "Approved", "retrained data checked: fine again").await;
    let third = w.event(&arn, Some("Rejected")).await;
    assert_eq!(outcome(&w.handle(&third).await), "notified");
    // A late redelivery of the first decision is still a duplicate.
    assert_eq!(outcome(&w.handle(&first).await), "duplicate");

    let docs = documents(&w.sqs, &queue).await;
    let summary: Vec<(String, String)> = docs
        .iter()
        .map(|d| (d["event"].as_str().unwrap().to_string(), d["approval_description"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        summary,
        [
            ("approved".to_string(), "first look: fine".to_string()),
            ("rejected".to_string(), "drift found in the training data".to_string()),
            ("approved".to_string(), "retrained data checked: fine again".to_string()),
        ]
    );
}

#[tokio::test]
async fn given_metadata_only_update_of_an_approved_version_when_handled_then_no_notification() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Approved", "ok").await;
    assert_eq!(outcome(&w.handle(&w.event(&arn, Some("PendingManualApproval")).await).await), "notified");

    // A deployment stamps metadata on the approved version: SageMaker re-emits "Approved".
    w.clients
        .sagemaker
        .update_model_package()
        .model_package_arn(&arn)
        .customer_metadata_properties("deployed-to", "staging")
        .send()
        .await
        .expect("metadata update");
    let stamp = w.event(&arn, Some("Approved")).await;
    assert_eq!(stamp["detail"]["ModelApprovalStatus"], "Approved");
    let result = w.handle(&stamp).await;
    assert_eq!(outcome(&result), "ignored", "{result}");
    assert_eq!(documents(&w.sqs, &queue).await.len(), 1, "only the approval itself");
}

#[tokio::test]
async fn given_claims_left_by_dead_or_running_invocations_when_redelivered_then_stale_ones_are_taken_over() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Approved", "ok").await;
    let event = w.event(&arn, Some("PendingManualApproval")).await;
    let Parsed::StateChange(parsed) = parse_event(&event).unwrap() else { panic!("not parsed") };
    let Verdict::Notify(change) = decide(&parsed, &w.group) else { panic!("not a notification") };
    let key = approval::claim_key("registry/", &change, 1);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claim = |claimed_at: i64| {
        json!({"state": "pending", "attempt": 1, "claimed_at": claimed_at, "event": "approved", "group": w.group, "version": 1})
            .to_string()
            .into_bytes()
    };

    // An invocation claimed it a second ago and may be publishing: retry later, publish nothing.
    upload(&w.clients.s3, &w.bucket, &key, claim(now - 1), &[]).await;
    let err = approval_handler::handle(&w.notifier, &event).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("another invocation"), "{err}");
    assert!(drain(&w.sqs, &queue).await.is_empty());

    // The claim is an hour old: its invocation died before publishing. Take over, once.
    upload(&w.clients.s3, &w.bucket, &key, claim(now - 3600), &[]).await;
    assert_eq!(outcome(&w.handle(&event).await), "notified");
    assert_eq!(outcome(&w.handle(&event).await), "duplicate");
    assert_eq!(documents(&w.sqs, &queue).await.len(), 1);
    let takeover = approval::claim_key("registry/", &change, 2);
    let record: Value = serde_json::from_slice(&read_uri(&w.clients.s3, &format!("s3://{}/{takeover}", w.bucket)).await).unwrap();
    assert_eq!(record["state"], "sent");
    assert_eq!(record["attempt"], 2);
}

// ------------------------------------------------------------------------------ filtering, comparison

#[tokio::test]
async fn given_filter_policy_on_event_attribute_when_all_kinds_published_then_queue_receives_only_approved() {
    let w = world().await;
    let everything = w.subscribe(true, None).await;
    let approved_only = w.subscribe(true, Some(json!({"event": ["approved"]}))).await;
    let decisions = w.subscribe(true, Some(json!({"event": ["approved", "rejected"]}))).await;

    let v1 = w.register(MODEL_METADATA).await;
    assert_eq!(outcome(&w.handle(&w.event(&v1, None).await).await), "notified");
    w.decide(&v1, "Approved", "ship it").await;
    assert_eq!(outcome(&w.handle(&w.event(&v1, Some("PendingManualApproval")).await).await), "notified");
    let v2 = w.register(MODEL_METADATA).await;
    assert_eq!(outcome(&w.handle(&w.event(&v2, None).await).await), "notified");
    w.decide(&v2, "Rejected", "no better than v1").await;
    assert_eq!(outcome(&w.handle(&w.event(&v2, Some("PendingManualApproval")).await).await), "notified");

    let kinds = |docs: Vec<Value>| -> Vec<(String, i64)> {
        docs.iter().map(|d| (d["event"].as_str().unwrap().to_string(), d["version"].as_i64().unwrap())).collect()
    };
    assert_eq!(
        kinds(documents(&w.sqs, &everything).await),
        [("review-requested".into(), 1), ("approved".into(), 1), ("review-requested".into(), 2), ("rejected".into(), 2)]
    );
    assert_eq!(kinds(documents(&w.sqs, &approved_only).await), [("approved".to_string(), 1)]);
    assert_eq!(kinds(documents(&w.sqs, &decisions).await), [("approved".to_string(), 1), ("rejected".to_string(), 2)]);
}

#[tokio::test]
async fn given_registered_v1_approved_when_v2_requests_review_then_message_compares_with_v1() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let registrar = registrar(&w.group, &[]).await;

    // v1: the fixture model, evaluated at 0.912; registered by register-model, then approved.
    let v1_evaluation = br#"{"binary_classification_metrics": {"accuracy": {"value": 0.912, "standard_deviation": "NaN"}, "auc": {"value": 0.97, "standard_deviation": "NaN"}}}"#;
    upload(&w.clients.s3, &w.bucket, "model/metadata.json", fixture("metadata.json"), &[]).await;
    upload(&w.clients.s3, &w.bucket, "model/evaluation.json", v1_evaluation.to_vec(), &[]).await;
    let first = upload(&w.clients.s3, &w.bucket, "model/model.tar.gz", fixture("model.tar.gz"), &[]).await;
    let mut s3_event = event_file("s3-put.json");
    point_event_at(&mut s3_event, &first);
    let registered = invoke_register(&registrar, &s3_event).await.unwrap();
    assert_eq!(registered["records"][0]["version"], 1, "{registered}");
    let v1 = registered["records"][0]["arn"].as_str().unwrap().to_string();
    w.decide(&v1, "Approved", "baseline").await;

    // v2: retrained, evaluated at 0.958 (the fixture's evaluation.json).
    upload(&w.clients.s3, &w.bucket, "model/evaluation.json", fixture("evaluation.json"), &[]).await;
    let second = upload(&w.clients.s3, &w.bucket, "model/model.tar.gz", b"retrained model".to_vec(), &[]).await;
    point_event_at(&mut s3_event, &second);
    let registered = invoke_register(&registrar, &s3_event).await.unwrap();
    assert_eq!(registered["records"][0]["version"], 2, "{registered}");
    let v2 = registered["records"][0]["arn"].as_str().unwrap().to_string();

    let result = w.handle(&w.event(&v2, None).await).await;
    assert_eq!(outcome(&result), "notified", "{result}");
    assert_eq!(result["event"], "review-requested");
    assert_eq!(result["version"], 2);

    let docs = documents(&w.sqs, &queue).await;
    assert_eq!(docs.len(), 1);
    let comparison = &docs[0]["comparison"];
    assert_eq!(comparison["baseline_version"], 1);
    assert_eq!(comparison["baseline_arn"], v1.as_str());
    let summary: Vec<&str> = comparison["summary"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(summary.contains(&"accuracy 0.958, v1 0.912, +0.046"), "{summary:?}");
    assert!(summary.contains(&"auc 0.9954, v1 0.97, +0.0254"), "{summary:?}");
    assert!(summary.contains(&"f1 0.9663, v1 not recorded"), "{summary:?}");
    assert_eq!(docs[0]["model_package"]["data"]["rows"], "426");
    let text = docs[0]["text"].as_str().unwrap();
    assert!(text.contains("accuracy 0.958, v1 0.912, +0.046"), "{text}");
    assert!(text.contains("modelreg approve 2 --reason"), "{text}");

    // The e-mail body (composed the same way) carries the same lines.
    let Parsed::StateChange(parsed) = parse_event(&w.event(&v2, None).await).unwrap() else { panic!("not parsed") };
    let Verdict::Notify(change) = decide(&parsed, &w.group) else { panic!("not a notification") };
    let text = w.notifier.compose(&change).await.unwrap().text;
    assert!(text.contains("accuracy 0.958, v1 0.912, +0.046"), "{text}");
    assert!(text.contains("modelreg approve 2 --reason"), "{text}");
}

// ------------------------------------------------------------------------------ faults

const SNS_THROTTLED: &str = r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>0b1f5a2c-0000-0000-0000-000000000000</RequestId></ErrorResponse>"#;

#[tokio::test]
async fn given_sns_throttled_or_failing_when_handled_then_retryable_error_and_next_delivery_publishes_once() {
    for (fault, status, body) in [("throttling", 400, Some(SNS_THROTTLED.to_string())), ("5xx", 500, None)] {
        let w = world().await;
        let arn = w.register(MODEL_METADATA).await;
        w.decide(&arn, "Approved", "ok").await;
        let event = w.event(&arn, Some("PendingManualApproval")).await;

        let publish = mock!(aws_sdk_sns::Client::publish)
            .sequence()
            .http_status(status, body)
            .output(|| aws_sdk_sns::operation::publish::PublishOutput::builder().message_id("mocked-message-1").build())
            .repeatedly()
            .build();
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&publish], |config| config
            .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled()));
        let notifier = Notifier { sns, ..w.notifier.clone() };

        let err = approval_handler::handle(&notifier, &event).await.unwrap_err();
        assert!(err.is_retryable(), "{fault}: {err}");
        assert_eq!(lambda_runtime::Diagnostic::from(err).error_type, "TransientError", "{fault}");
        assert_eq!(publish.num_calls(), 1, "{fault}");

        // Lambda's retry publishes; a later redelivery does not publish again.
        let retried = serde_json::to_value(approval_handler::handle(&notifier, &event).await.unwrap()).unwrap();
        assert_eq!(outcome(&retried), "notified", "{fault}: {retried}");
        assert_eq!(retried["message_id"], "mocked-message-1");
        let again = serde_json::to_value(approval_handler::handle(&notifier, &event).await.unwrap()).unwrap();
        assert_eq!(outcome(&again), "duplicate", "{fault}: {again}");
        assert_eq!(again["message_id"], "mocked-message-1");
        assert_eq!(publish.num_calls(), 2, "{fault}: one failed and one successful publish");
    }
}

#[tokio::test]
async fn given_sagemaker_throttled_when_handled_then_retryable_error_and_nothing_claimed_or_published() {
    let w = world().await;
    let queue = w.subscribe(true, None).await;
    let arn = w.register(MODEL_METADATA).await;
    w.decide(&arn, "Approved", "ok").await;
    let event = w.event(&arn, Some("PendingManualApproval")).await;
    let real = w.describe(&arn).await;

    let describe = mock!(aws_sdk_sagemaker::Client::describe_model_package)
        .sequence()
        .http_status(400, Some(r#"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#.to_string()))
        .output(move || real.clone())
        .repeatedly()
        .build();
    let sagemaker = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&describe], |config| config
        .retry_config(aws_sdk_sagemaker::config::retry::RetryConfig::disabled()));
    let notifier = Notifier { sagemaker, ..w.notifier.clone() };

    let err = approval_handler::handle(&notifier, &event).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("DescribeModelPackage"), "{err}");
    assert!(drain(&w.sqs, &queue).await.is_empty());

    let retried = serde_json::to_value(approval_handler::handle(&notifier, &event).await.unwrap()).unwrap();
    assert_eq!(outcome(&retried), "notified", "the failed attempt left no claim behind: {retried}");
    assert_eq!(describe.num_calls(), 2);
    let docs = documents(&w.sqs, &queue).await;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["model_package"]["model_name"], "ml-pipeline-model-v1");
}

// ------------------------------------------------------------------------------ building events

#[tokio::test]
async fn given_a_described_version_when_its_event_is_built_then_it_has_the_documented_shape() {
    let w = world().await;
    let arn = w.register(MODEL_METADATA).await;
    let created = w.event(&arn, None).await;
    assert_eq!(created["version"], "0");
    assert_eq!(created["detail-type"], "SageMaker Model Package State Change");
    assert_eq!(created["source"], "aws.sagemaker");
    assert_eq!(created["account"], ACCOUNT);
    assert_eq!(created["region"], REGION);
    assert_eq!(created["resources"], json!([arn]));
    let detail = &created["detail"];
    assert_eq!(detail["ModelPackageGroupName"], w.group.as_str());
    assert_eq!(detail["ModelPackageVersion"], 1);
    assert_eq!(detail["ModelPackageArn"], arn);
    assert_eq!(detail["ModelApprovalStatus"], "PendingManualApproval");
    assert_eq!(detail["ModelPackageStatus"], "Completed");
    assert_eq!(detail["InferenceSpecification"]["Containers"][0]["Image"], IMAGE);
    assert_eq!(detail["InferenceSpecification"]["SupportedContentTypes"], json!(["text/csv"]));
    assert_eq!(detail["CustomerMetadataProperties"]["metric:accuracy"], "0.958");
    assert!(detail["CreationTime"].as_str().unwrap().ends_with('Z'));
    assert!(detail.get("UpdatedModelPackageFields").is_none());

    w.decide(&arn, "Approved", "ok").await;
    let approved = w.event(&arn, Some("PendingManualApproval")).await;
    assert_eq!(approved["detail"]["UpdatedModelPackageFields"], json!(["ModelApprovalStatus", "ApprovalDescription"]));
    assert_eq!(approved["detail"]["ApprovalDescription"], "ok");
    assert_eq!(approved["time"], approved["detail"]["LastModifiedTime"]);
    assert_ne!(approved["id"], created["id"]);
}
