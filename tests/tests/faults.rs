//! Faults a real deployment meets, against the emulator: throttling and 5xx injected at the SDK
//! boundary with `aws-smithy-mocks` (the emulator cannot make them), the emulator made
//! unreachable through a proxy (its state lives in memory, so it is never restarted), and a
//! crash between CreateModelPackage and recording its result. Every case ends with exactly one
//! complete version.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_sagemaker::error::ErrorMetadata;
use aws_sdk_sagemaker::operation::create_model_package::{CreateModelPackageError, CreateModelPackageOutput};
use aws_sdk_sagemaker::operation::describe_model_package_group::{DescribeModelPackageGroupError, DescribeModelPackageGroupOutput};
use aws_sdk_sagemaker::operation::list_model_packages::ListModelPackagesOutput;
use aws_smithy_mocks::{mock, mock_client, MockResponseInterceptor, RuleMode};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use e2e::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL: run with make test")
}

async fn fixture_event(clients: &registry::clients::Clients, bucket: &str, folder: &str) -> Value {
    create_bucket(&clients.s3, bucket, false).await;
    let uploaded = upload_fixture(&clients.s3, bucket, folder).await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    event
}

fn status(result: &Value) -> &str {
    result["records"][0]["status"].as_str().unwrap_or("")
}

fn passthrough(rules: &[&aws_smithy_mocks::Rule]) -> SharedInterceptor {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).allow_passthrough();
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    SharedInterceptor::new(interceptor)
}

#[tokio::test]
async fn given_emulator_unreachable_when_invoked_then_error_no_version_and_retry_registers_exactly_one() {
    let direct = clients().await;
    let (bucket, group) = (unique("unreach"), unique("unreach-group"));
    let event = fixture_event(&direct, &bucket, "model/").await;
    let proxy = Proxy::start().await;
    let registrar = registrar_over(&group, &[], &clients_via(&proxy.url, vec![], vec![]).await);

    proxy.cut();
    let failed = invoke_register(&registrar, &event).await;
    assert!(failed.is_err(), "an unreachable AWS must fail the invocation so Lambda retries: {failed:?}");
    assert!(versions(&direct.sagemaker, &group).await.is_empty());

    proxy.restore();
    assert_eq!(status(&invoke_register(&registrar, &event).await.unwrap()), "registered");
    assert_eq!(status(&invoke_register(&registrar, &event).await.unwrap()), "duplicate");
    assert_eq!(versions(&direct.sagemaker, &group).await.len(), 1);
}

#[tokio::test]
async fn given_emulator_cut_just_before_create_when_invoked_then_no_version_and_later_retry_registers_exactly_one() {
    let direct = clients().await;
    let (bucket, group) = (unique("cut"), unique("cut-group"));
    let event = fixture_event(&direct, &bucket, "model/").await;
    let proxy = Proxy::start().await;
    let fired = Arc::new(AtomicBool::new(false));
    let (cut, once) = (proxy.cutter(), fired.clone());
    let on_create = OnOperation {
        operation: "CreateModelPackage",
        action: Arc::new(move || {
            if !once.swap(true, Ordering::SeqCst) {
                cut();
            }
        }),
    };
    let clients = clients_via(&proxy.url, vec![SharedInterceptor::new(on_create)], vec![]).await;
    // The claim could not be released while cut; Lambda's first retry comes about a minute later,
    // after the (here shortened) staleness period.
    let registrar = registrar_over(&group, &[("REGISTRATION_STALE_SECONDS", "2")], &clients);

    let failed = invoke_register(&registrar, &event).await;
    assert!(failed.is_err(), "{failed:?}");
    assert!(fired.load(Ordering::SeqCst), "the cut happened at CreateModelPackage");
    assert!(versions(&direct.sagemaker, &group).await.is_empty(), "nothing half-registered");

    proxy.restore();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let retried = invoke_register(&registrar, &event).await.unwrap();
    assert_eq!(status(&retried), "registered", "{retried}");
    let all = versions(&direct.sagemaker, &group).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].customer_metadata_properties().unwrap()["metric:accuracy"], "0.958", "complete version");
}

#[tokio::test]
async fn given_sagemaker_throttles_create_three_times_when_invoked_then_one_complete_create_within_the_invocation() {
    let direct = clients().await;
    let (bucket, group) = (unique("throttle"), unique("throttle-group"));
    let event = fixture_event(&direct, &bucket, "model/").await;

    let sent: Arc<Mutex<Vec<aws_sdk_sagemaker::operation::create_model_package::CreateModelPackageInput>>> = Arc::default();
    let seen = sent.clone();
    let arn = format!("arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/1");
    let created = arn.clone();
    let create = mock!(aws_sdk_sagemaker::Client::create_model_package)
        .match_requests(move |input| {
            seen.lock().unwrap().push(input.clone());
            true
        })
        .sequence()
        .http_status(400, Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into()))
        .times(3)
        .output(move || CreateModelPackageOutput::builder().model_package_arn(created.clone()).build())
        .build();
    let describe_group =
        mock!(aws_sdk_sagemaker::Client::describe_model_package_group).then_output(|| DescribeModelPackageGroupOutput::builder().build());
    let list = mock!(aws_sdk_sagemaker::Client::list_model_packages).then_output(|| ListModelPackagesOutput::builder().build());
    let sagemaker = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, &[&create, &describe_group, &list]);
    let clients = registry::clients::Clients { sagemaker, ..direct.clone() };

    let result = invoke_register(&registrar_over(&group, &[], &clients), &event).await.unwrap();
    assert_eq!(status(&result), "registered", "{result}");
    assert_eq!(result["records"][0]["arn"], Value::from(arn));
    assert_eq!(create.num_calls(), 4, "three throttled attempts, then the one that created the version");
    assert_eq!(list.num_calls(), 3, "after each throttled attempt the group is searched before retrying");
    let inputs = sent.lock().unwrap();
    let last = inputs.last().unwrap();
    assert_eq!(inputs.iter().map(|i| i.client_token().unwrap_or("")).collect::<std::collections::BTreeSet<_>>().len(), 1, "one ClientToken");
    assert_eq!(last.customer_metadata_properties().unwrap()["metric:accuracy"], "0.958");
    assert_eq!(last.model_approval_status().map(|s| s.as_str()), Some("PendingManualApproval"));
}

#[tokio::test]
async fn given_create_answer_lost_after_it_succeeded_when_invoked_then_the_version_is_found_not_duplicated() {
    let direct = clients().await;
    let (bucket, group) = (unique("lost"), unique("lost-group"));
    let event = fixture_event(&direct, &bucket, "model/").await;
    // Passthrough: the request reaches the emulator (the version is created), then its answer is
    // replaced by a 5xx-class error, as when a response is lost on the way back.
    let lost = mock!(aws_sdk_sagemaker::Client::create_model_package)
        .sequence()
        .error(|| CreateModelPackageError::generic(ErrorMetadata::builder().code("InternalFailure").message("answer lost").build()))
        .build();
    let clients = clients_via(&endpoint(), vec![passthrough(&[&lost])], vec![]).await;

    let result = invoke_register(&registrar_over(&group, &[], &clients), &event).await.unwrap();
    assert_eq!(status(&result), "registered", "{result}");
    assert_eq!(result["records"][0]["version"], 1);
    assert_eq!(lost.num_calls(), 1);
    assert_eq!(versions(&direct.sagemaker, &group).await.len(), 1, "the lost answer was not retried into a second version");
}

#[tokio::test]
async fn given_sagemaker_throttles_twice_when_invoked_then_sdk_backoff_retries_within_the_invocation() {
    let direct = clients().await;
    let (bucket, group) = (unique("backoff"), unique("backoff-group"));
    let event = fixture_event(&direct, &bucket, "model/").await;
    let throttled = mock!(aws_sdk_sagemaker::Client::describe_model_package_group)
        .sequence()
        .error(|| DescribeModelPackageGroupError::generic(ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build()))
        .times(2)
        .build();
    let clients = clients_via(&endpoint(), vec![passthrough(&[&throttled])], vec![]).await;

    let result = invoke_register(&registrar_over(&group, &[], &clients), &event).await.unwrap();
    assert_eq!(status(&result), "registered", "{result}");
    assert_eq!(throttled.num_calls(), 3, "two throttled attempts, the third went through");
    assert_eq!(versions(&direct.sagemaker, &group).await.len(), 1);
}

#[tokio::test]
async fn given_s3_throttles_beyond_the_sdk_retries_when_invoked_then_error_and_the_lambda_retry_registers_once() {
    let direct = clients().await;
    let (bucket, group) = (unique("slowdown"), unique("slowdown-group"));
    let event = fixture_event(&direct, &bucket, "model/").await;
    let slow_down = mock!(aws_sdk_s3::Client::head_object)
        .sequence()
        .error(|| HeadObjectError::generic(aws_sdk_s3::error::ErrorMetadata::builder().code("SlowDown").message("Please reduce your request rate").build()))
        .times(3)
        .build();
    let clients = clients_via(&endpoint(), vec![], vec![passthrough(&[&slow_down])]).await;
    let registrar = registrar_over(&group, &[], &clients);

    let failed = invoke_register(&registrar, &event).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(slow_down.num_calls(), 3, "the SDK's standard retry policy made three attempts");
    assert!(versions(&direct.sagemaker, &group).await.is_empty());

    assert_eq!(status(&invoke_register(&registrar, &event).await.unwrap()), "registered");
    assert_eq!(versions(&direct.sagemaker, &group).await.len(), 1);
}

#[tokio::test]
async fn given_sqs_batch_with_one_failing_message_when_handled_then_only_that_message_is_retried() {
    let direct = clients().await;
    let (bucket, group) = (unique("batch"), unique("batch-group"));
    create_bucket(&direct.s3, &bucket, false).await;
    let a = upload_fixture(&direct.s3, &bucket, "a/").await;
    let b = upload_fixture(&direct.s3, &bucket, "b/").await;
    let message = |id: &str, object: &Uploaded| {
        let mut notification = event_file("s3-put.json");
        point_event_at(&mut notification, object);
        json!({"messageId": id, "eventSource": "aws:sqs", "body": notification.to_string()})
    };
    let batch = json!({"Records": [message("msg-a", &a), message("msg-b", &b)]});
    let failing = mock!(aws_sdk_s3::Client::head_object)
        .match_requests(|input| input.key() == Some("b/model.tar.gz"))
        .sequence()
        .error(|| HeadObjectError::generic(aws_sdk_s3::error::ErrorMetadata::builder().code("InternalError").message("We encountered an internal error").build()))
        .times(3)
        .build();
    let clients = clients_via(&endpoint(), vec![], vec![passthrough(&[&failing])]).await;
    let registrar = registrar_over(&group, &[], &clients);

    let result = invoke_register(&registrar, &batch).await.unwrap();
    assert_eq!(result["batchItemFailures"], json!([{"itemIdentifier": "msg-b"}]), "{result}");
    assert_eq!(result["records"][0]["status"], "registered");
    assert_eq!(versions(&direct.sagemaker, &group).await.len(), 1);

    // SQS redelivers only msg-b.
    let redelivery = json!({"Records": [message("msg-b", &b)]});
    let result = invoke_register(&registrar, &redelivery).await.unwrap();
    assert_eq!(result["batchItemFailures"], json!([]), "{result}");
    assert_eq!(versions(&direct.sagemaker, &group).await.len(), 2);
}

#[tokio::test]
async fn given_crash_between_create_and_recording_when_redelivered_then_duplicate_of_the_created_version() {
    let clients = clients().await;
    let (bucket, group) = (unique("crash"), unique("crash-group"));
    let event = fixture_event(&clients, &bucket, "model/").await;
    let registrar = registrar(&group, &[]).await;
    let first = invoke_register(&registrar, &event).await.unwrap();
    let arn = first["records"][0]["arn"].as_str().unwrap().to_string();

    // What a crash right after CreateModelPackage leaves: the claim without the ARN.
    let meta = versions(&clients.sagemaker, &group).await[0].customer_metadata_properties().unwrap().clone();
    let claim_key = format!("registry/{group}/{}/registration.json", meta["registration-id"]);
    let claim = json!({"registration_id": meta["registration-id"], "source": meta["source-uri"], "claimed_at": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 5});
    upload(&clients.s3, &bucket, &claim_key, claim.to_string().into_bytes(), &[]).await;

    let again = invoke_register(&registrar, &event).await.unwrap();
    assert_eq!(status(&again), "duplicate", "{again}");
    assert_eq!(again["records"][0]["arn"], Value::from(arn));
    assert_eq!(versions(&clients.sagemaker, &group).await.len(), 1);
}
