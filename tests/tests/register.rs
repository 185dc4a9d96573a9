//! End-to-end: `events/` files through the real `register-model` handler against the local
//! AWS emulator, asserting the versions that now exist and what they carry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::*;
use registry::limits;
use serde_json::Value;

async fn setup(versioned: bool) -> (String, String, registry::clients::Clients) {
    let clients = clients().await;
    let bucket = unique("reg");
    let group = unique("group");
    create_bucket(&clients.s3, &bucket, versioned).await;
    (bucket, group, clients)
}

fn record(result: &Value, index: usize) -> &Value {
    &result["records"][index]
}

#[tokio::test]
async fn given_fixture_upload_when_event_handled_then_version_1_is_pending_with_everything_a_reviewer_needs() {
    let (bucket, group, clients) = setup(false).await;
    let uploaded = upload_fixture(&clients.s3, &bucket, "model/").await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);

    let result = invoke_register(&registrar(&group, &[]).await, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "registered", "{result}");
    assert_eq!(record(&result, 0)["version"], 1);

    let versions = versions(&clients.sagemaker, &group).await;
    assert_eq!(versions.len(), 1);
    let v1 = &versions[0];
    assert_eq!(v1.model_package_version(), Some(1));
    assert_eq!(v1.model_approval_status().map(|s| s.as_str()), Some("PendingManualApproval"));

    let spec = v1.inference_specification().unwrap();
    let container = &spec.containers()[0];
    assert_eq!(container.image(), Some("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"));
    assert_eq!(spec.supported_content_types(), ["text/csv"]);
    assert_eq!(spec.supported_response_mime_types(), ["text/csv"]);
    let data_url = container.model_data_url().unwrap();
    assert!(data_url.starts_with(&format!("s3://{bucket}/registry/{group}/")), "{data_url}");
    assert_eq!(read_uri(&clients.s3, data_url).await, fixture("model.tar.gz"));

    let meta = v1.customer_metadata_properties().unwrap();
    assert_eq!(meta["metric:accuracy"], "0.958");
    assert_eq!(meta["metric:auc"], "0.9954");
    assert_eq!(meta["metric:f1"], "0.9663");
    assert_eq!(meta["hyperparameter:max_depth"], "3");
    assert_eq!(meta["hyperparameter:objective"], "binary:logistic");
    assert_eq!(meta["data:rows"], "426");
    assert_eq!(meta["data:training"], "s3://ml-pipeline-bucket/data/train.csv");
    assert_eq!(meta["model-name"], "ml-pipeline-model-v1");
    assert_eq!(meta["model-version"], "v1.0");
    assert_eq!(meta["framework"], "XGBoost");
    assert_eq!(meta["source-uri"], format!("s3://{bucket}/model/model.tar.gz"));
    assert_eq!(meta["source-etag"], uploaded.etag);
    assert!(meta.len() <= 50);
    for (key, value) in meta {
        assert!(limits::is_valid_metadata_text(key, 128), "key {key:?}");
        assert!(limits::is_valid_metadata_text(value, 256), "value of {key:?}: {value:?}");
    }

    let statistics = v1.model_metrics().unwrap().model_quality().unwrap().statistics().unwrap();
    assert_eq!(statistics.content_type(), Some("application/json"));
    assert!(statistics.s3_uri().unwrap().starts_with(&format!("s3://{bucket}/registry/")));
    assert_eq!(read_uri(&clients.s3, statistics.s3_uri().unwrap()).await, fixture("evaluation.json"));

    let description = v1.model_package_description().unwrap();
    assert!(description.contains("accuracy 0.958"), "{description}");
    assert!(v1.metadata_properties().unwrap().generated_by().unwrap().contains("model/model.tar.gz"));

    // The full metadata document is referenced and holds the complete metadata.
    let document: Value = serde_json::from_slice(&read_uri(&clients.s3, &meta["metadata-uri"]).await).unwrap();
    assert_eq!(document["model_name"], "ml-pipeline-model-v1");
    assert_eq!(document["metrics"]["accuracy"], 0.958);
}

#[tokio::test]
async fn given_second_training_output_on_same_key_when_registered_then_v2_and_v1_keeps_its_bytes() {
    let (bucket, group, clients) = setup(false).await;
    let registrar = registrar(&group, &[]).await;
    let first = upload_fixture(&clients.s3, &bucket, "model/").await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &first);
    invoke_register(&registrar, &event).await.unwrap();

    let evaluation = br#"{"binary_classification_metrics": {"accuracy": {"value": 0.97, "standard_deviation": "NaN"}}}"#;
    upload(&clients.s3, &bucket, "model/evaluation.json", evaluation.to_vec(), &[]).await;
    let second_model = b"second model bytes, not the fixture".to_vec();
    let second = upload(&clients.s3, &bucket, "model/model.tar.gz", second_model.clone(), &[]).await;
    point_event_at(&mut event, &second);
    let result = invoke_register(&registrar, &event).await.unwrap();
    assert_eq!(record(&result, 0)["version"], 2, "{result}");

    let versions = versions(&clients.sagemaker, &group).await;
    assert_eq!(versions.len(), 2);
    let url = |v: &aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput| {
        v.inference_specification().unwrap().containers()[0].model_data_url().unwrap().to_string()
    };
    assert_eq!(read_uri(&clients.s3, &url(&versions[0])).await, fixture("model.tar.gz"));
    assert_eq!(read_uri(&clients.s3, &url(&versions[1])).await, second_model);
    assert_eq!(versions[1].customer_metadata_properties().unwrap()["metric:accuracy"], "0.97");
    assert_eq!(versions[0].customer_metadata_properties().unwrap()["metric:accuracy"], "0.958");
}

#[tokio::test]
async fn given_other_key_when_event_handled_then_nothing_registered_and_reason_returned() {
    let (bucket, group, clients) = setup(false).await;
    let uploaded = upload(&clients.s3, &bucket, "model/other.csv", b"a,b\n1,2\n".to_vec(), &[]).await;
    let mut event = event_file("s3-put-other-key.json");
    point_event_at(&mut event, &uploaded);

    let result = invoke_register(&registrar(&group, &[]).await, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "ignored");
    assert!(record(&result, 0)["reason"].as_str().unwrap().contains("model.tar.gz"), "{result}");
    assert!(versions(&clients.sagemaker, &group).await.is_empty());
}

#[tokio::test]
async fn given_same_event_delivered_five_times_when_handled_then_exactly_one_version() {
    let (bucket, group, clients) = setup(false).await;
    let registrar = registrar(&group, &[]).await;
    let uploaded = upload_fixture(&clients.s3, &bucket, "model/").await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);

    let mut statuses = Vec::new();
    for _ in 0..3 {
        let result = invoke_register(&registrar, &event).await.unwrap();
        statuses.push(record(&result, 0)["status"].as_str().unwrap().to_string());
    }
    let (a, b) = tokio::join!(invoke_register(&registrar, &event), invoke_register(&registrar, &event));
    for result in [a, b] {
        statuses.push(record(&result.unwrap(), 0)["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["registered", "duplicate", "duplicate", "duplicate", "duplicate"]);
    assert_eq!(versions(&clients.sagemaker, &group).await.len(), 1);
}

#[tokio::test]
async fn given_two_deliveries_at_once_of_a_new_object_when_handled_then_one_version() {
    let (bucket, group, clients) = setup(true).await;
    let registrar = registrar(&group, &[]).await;
    let uploaded = upload_fixture(&clients.s3, &bucket, "runs/a/").await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);

    let (a, b) = tokio::join!(invoke_register(&registrar, &event), invoke_register(&registrar, &event));
    let mut statuses = vec![
        record(&a.unwrap(), 0)["status"].as_str().unwrap().to_string(),
        record(&b.unwrap(), 0)["status"].as_str().unwrap().to_string(),
    ];
    statuses.sort();
    assert_eq!(statuses, ["duplicate", "registered"]);
    assert_eq!(versions(&clients.sagemaker, &group).await.len(), 1);
}

#[tokio::test]
async fn given_versioned_bucket_and_overwrite_when_old_event_arrives_then_old_bytes_registered() {
    let (bucket, group, clients) = setup(true).await;
    let registrar = registrar(&group, &[]).await;
    let first = upload_fixture(&clients.s3, &bucket, "model/").await;
    assert!(first.version_id.is_some());
    upload(&clients.s3, &bucket, "model/model.tar.gz", b"newer".to_vec(), &[]).await;

    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &first);
    let result = invoke_register(&registrar, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    let url = v1.inference_specification().unwrap().containers()[0].model_data_url().unwrap();
    assert_eq!(read_uri(&clients.s3, url).await, fixture("model.tar.gz"));
    assert_eq!(v1.customer_metadata_properties().unwrap()["source-version-id"], first.version_id.clone().unwrap());
}

#[tokio::test]
async fn given_unversioned_overwrite_before_handling_when_old_event_arrives_then_superseded() {
    let (bucket, group, clients) = setup(false).await;
    let registrar = registrar(&group, &[]).await;
    let first = upload_fixture(&clients.s3, &bucket, "model/").await;
    upload(&clients.s3, &bucket, "model/model.tar.gz", b"newer".to_vec(), &[]).await;

    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &first);
    let result = invoke_register(&registrar, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "superseded", "{result}");
    assert!(versions(&clients.sagemaker, &group).await.is_empty());
}

#[tokio::test]
async fn given_no_sidecars_when_registered_then_version_says_which_are_missing() {
    let (bucket, group, clients) = setup(false).await;
    let uploaded = upload(&clients.s3, &bucket, "bare/model.tar.gz", fixture("model.tar.gz"), &[("team", "fraud")]).await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    let result = invoke_register(&registrar(&group, &[]).await, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    let meta = v1.customer_metadata_properties().unwrap();
    assert_eq!(meta["missing"], "metadata.json evaluation.json");
    assert_eq!(meta["s3-meta:team"], "fraud");
    assert!(v1.model_metrics().is_none() || v1.model_metrics().unwrap().model_quality().is_none());
    assert!(v1.model_package_description().unwrap().contains("Registered without metadata.json and evaluation.json"));
}

#[tokio::test]
async fn given_artifact_above_multipart_threshold_when_registered_then_copy_is_byte_identical() {
    let (bucket, group, clients) = setup(false).await;
    let body: Vec<u8> = (0..(11 * 1024 * 1024 + 123)).map(|i: u32| (i % 251) as u8).collect();
    let uploaded = upload(&clients.s3, &bucket, "big/model.tar.gz", body.clone(), &[]).await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    let registrar = registrar(
        &group,
        &[("MULTIPART_COPY_THRESHOLD_BYTES", "5242880"), ("MULTIPART_PART_SIZE_BYTES", "5242880")],
    )
    .await;
    let result = invoke_register(&registrar, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    let url = v1.inference_specification().unwrap().containers()[0].model_data_url().unwrap();
    assert_eq!(read_uri(&clients.s3, url).await, body);
}

#[tokio::test]
async fn given_registry_copy_event_when_handled_then_ignored_without_work() {
    let (bucket, group, clients) = setup(false).await;
    let uploaded = upload(&clients.s3, &bucket, &format!("registry/{group}/x/model.tar.gz"), fixture("model.tar.gz"), &[]).await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    let result = invoke_register(&registrar(&group, &[]).await, &event).await.unwrap();
    assert_eq!(record(&result, 0)["status"], "ignored");
    assert!(record(&result, 0)["reason"].as_str().unwrap().contains("registry"));
    assert!(versions(&clients.sagemaker, &group).await.is_empty());
}
