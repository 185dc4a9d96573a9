//! Every `events/` file `register-model` accepts, sent as the real services send it, through the
//! real handler against the emulator, with its expected outcome. A new event file without an
//! expectation here fails `every_register_event_file_has_an_expected_outcome`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::*;
use serde_json::Value;

/// One event file: what to upload first, and the statuses (with a reason fragment) to expect.
struct Case {
    file: &'static str,
    versioned: bool,
    /// Folders that get the fixture (sidecars, then model.tar.gz).
    fixtures: &'static [&'static str],
    /// Other objects: (key, body).
    others: &'static [(&'static str, &'static str)],
    expect: &'static [(&'static str, &'static str)],
    /// `Some(ids)`: an SQS batch answer with exactly these batchItemFailures.
    batch_failures: Option<&'static [&'static str]>,
}

const REGISTERED: (&str, &str) = ("registered", "");

const CASES: &[Case] = &[
    Case { file: "s3-put.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-put-minimal.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-put-versioned.json", versioned: true, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-post.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-copy.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-complete-multipart-upload.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-delete.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "ObjectRemoved:Delete is not an object creation")], batch_failures: None },
    Case { file: "s3-test-event.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "s3:TestEvent")], batch_failures: None },
    Case { file: "s3-put-encoded-key.json", versioned: false, fixtures: &["models/churn model+1/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "s3-put-other-key.json", versioned: false, fixtures: &[], others: &[("model/other.csv", "a,b\n")], expect: &[("ignored", "does not end in model.tar.gz")], batch_failures: None },
    Case { file: "s3-put-registry-copy.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "registry prefix")], batch_failures: None },
    Case { file: "s3-put-sidecar.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "sidecar")], batch_failures: None },
    Case {
        file: "s3-batch.json",
        versioned: false,
        fixtures: &["team-a/", "team-b/"],
        others: &[("team-a/train.csv", "x,y\n")],
        expect: &[REGISTERED, REGISTERED, ("ignored", "does not end in model.tar.gz")],
        batch_failures: None,
    },
    Case {
        file: "s3-malformed-records.json",
        versioned: false,
        fixtures: &["model/"],
        others: &[],
        expect: &[REGISTERED, ("ignored", "invalid: S3 record is malformed"), ("ignored", "not valid UTF-8")],
        batch_failures: None,
    },
    Case { file: "eventbridge-s3-object-created.json", versioned: false, fixtures: &["models/churn model+1/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "eventbridge-s3-object-deleted.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "Object Deleted is not an object creation")], batch_failures: None },
    Case { file: "sqs-s3.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: Some(&[]) },
    Case { file: "sqs-sns-s3.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: Some(&[]) },
    Case { file: "sqs-test-event.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "s3:TestEvent")], batch_failures: Some(&[]) },
    Case { file: "sqs-eventbridge-s3.json", versioned: false, fixtures: &["models/churn model+1/"], others: &[], expect: &[REGISTERED], batch_failures: Some(&[]) },
    Case {
        file: "sqs-batch-mixed.json",
        versioned: false,
        fixtures: &["model/"],
        others: &[],
        expect: &[REGISTERED, ("ignored", "SQS message body is not JSON"), ("ignored", "s3:TestEvent")],
        batch_failures: Some(&[]),
    },
    Case { file: "sns-s3.json", versioned: false, fixtures: &["model/"], others: &[], expect: &[REGISTERED], batch_failures: None },
    Case { file: "unknown-shape.json", versioned: false, fixtures: &[], others: &[], expect: &[("ignored", "unrecognised event shape")], batch_failures: None },
];

async fn run(case: &Case) {
    let clients = clients().await;
    let bucket = unique("ev");
    let group = unique("ev-group");
    create_bucket(&clients.s3, &bucket, case.versioned).await;
    let mut uploaded = Vec::new();
    for folder in case.fixtures {
        uploaded.push(upload_fixture(&clients.s3, &bucket, folder).await);
    }
    for (key, body) in case.others {
        uploaded.push(upload(&clients.s3, &bucket, key, body.as_bytes().to_vec(), &[]).await);
    }
    let mut event = event_file(case.file);
    retarget(&mut event, &bucket, &uploaded);

    let result = invoke_register(&registrar(&group, &[]).await, &event)
        .await
        .unwrap_or_else(|err| panic!("{}: invocation failed: {err}", case.file));
    let records = result["records"].as_array().unwrap_or_else(|| panic!("{}: {result}", case.file));
    let got: Vec<(String, String)> = records
        .iter()
        .map(|r| (r["status"].as_str().unwrap_or("").to_string(), r["reason"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(got.len(), case.expect.len(), "{}: {result}", case.file);
    for ((status, reason), (want_status, want_reason)) in got.iter().zip(case.expect) {
        assert_eq!(status, want_status, "{}: {result}", case.file);
        assert!(reason.contains(want_reason), "{}: reason {reason:?} lacks {want_reason:?}", case.file);
    }
    match case.batch_failures {
        Some(ids) => {
            let failures: Vec<&str> = result["batchItemFailures"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: an SQS batch must answer batchItemFailures: {result}", case.file))
                .iter()
                .map(|f| f["itemIdentifier"].as_str().unwrap_or(""))
                .collect();
            assert_eq!(failures, ids, "{}", case.file);
        }
        None => assert!(result.get("batchItemFailures").is_none(), "{}: {result}", case.file),
    }

    let registered = case.expect.iter().filter(|(s, _)| *s == "registered").count();
    let versions = versions(&clients.sagemaker, &group).await;
    assert_eq!(versions.len(), registered, "{}: versions in the group", case.file);
    for version in &versions {
        let meta = version.customer_metadata_properties().unwrap();
        assert!(uploaded.iter().any(|o| meta["source-uri"] == format!("s3://{bucket}/{}", o.key)), "{}: {meta:?}", case.file);
        if case.versioned {
            assert_eq!(Some(&meta["source-version-id"]), uploaded.last().and_then(|o| o.version_id.as_ref()), "{}", case.file);
        }
    }
}

#[tokio::test]
async fn every_register_event_file_gets_its_expected_outcome() {
    // Bounded concurrency: the cases are independent (own bucket and group each).
    use futures::stream::{self, StreamExt};
    stream::iter(CASES).for_each_concurrent(6, run).await;
}

#[test]
fn every_register_event_file_has_an_expected_outcome() {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(root().join("events")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        // approval-handler's events are covered by tests/tests/approval.rs.
        if name.ends_with(".json") && !name.starts_with("sagemaker-") && !CASES.iter().any(|c| c.file == name) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "event files without an expected outcome: {missing:?}");
}

#[tokio::test]
async fn given_encoded_key_event_when_registered_then_version_names_the_decoded_key() {
    let clients = clients().await;
    let bucket = unique("ev-key");
    let group = unique("ev-key-group");
    create_bucket(&clients.s3, &bucket, false).await;
    let object = upload_fixture(&clients.s3, &bucket, "models/churn model+1/").await;
    for file in ["s3-put-encoded-key.json", "eventbridge-s3-object-created.json"] {
        let mut event = event_file(file);
        retarget(&mut event, &bucket, std::slice::from_ref(&object));
        let result = invoke_register(&registrar(&group, &[]).await, &event).await.unwrap();
        assert_eq!(result["records"][0]["key"], Value::from("models/churn model+1/model.tar.gz"), "{file}: {result}");
    }
    // Both shapes name the same object version: one version.
    assert_eq!(versions(&clients.sagemaker, &group).await.len(), 1);
}
