//! Training-job lineage and metadata beyond the API limits, end to end against the emulator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, DataSource, OutputDataConfig, ResourceConfig, S3DataSource, S3DataType,
    StoppingCondition, TrainingInputMode, TrainingInstanceType, TrainingJobStatus,
};
use aws_smithy_mocks::{mock, MockResponseInterceptor, RuleMode};
use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use e2e::*;
use registry::limits;
use serde_json::{json, Value};

const TRAINING_IMAGE: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

async fn create_training_job(sagemaker: &aws_sdk_sagemaker::Client, name: &str, bucket: &str) -> String {
    let channel = |name: &str, uri: &str| {
        Channel::builder()
            .channel_name(name)
            .data_source(
                DataSource::builder()
                    .s3_data_source(S3DataSource::builder().s3_data_type(S3DataType::S3Prefix).s3_uri(uri).build())
                    .build(),
            )
            .build()
    };
    sagemaker
        .create_training_job()
        .training_job_name(name)
        .algorithm_specification(
            AlgorithmSpecification::builder().training_image(TRAINING_IMAGE).training_input_mode(TrainingInputMode::File).build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/SageMakerTraining")
        .output_data_config(OutputDataConfig::builder().s3_output_path(format!("s3://{bucket}/jobs/")).build())
        .resource_config(
            ResourceConfig::builder().instance_type(TrainingInstanceType::MlM5Large).instance_count(1).volume_size_in_gb(10).build(),
        )
        .stopping_condition(StoppingCondition::builder().max_runtime_in_seconds(3600).build())
        .hyper_parameters("max_depth", "5")
        .hyper_parameters("num_round", "50")
        .input_data_config(channel("train", &format!("s3://{bucket}/data/train/")))
        .input_data_config(channel("validation", &format!("s3://{bucket}/data/validation/")))
        .send()
        .await
        .unwrap()
        .training_job_arn()
        .unwrap()
        .to_string()
}

async fn register_at(registrar: &registry::register::Registrar, clients: &registry::clients::Clients, bucket: &str, folder: &str) -> Value {
    let uploaded = upload_fixture(&clients.s3, bucket, folder).await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    invoke_register(registrar, &event).await.unwrap()
}

#[tokio::test]
async fn given_training_job_output_layout_when_registered_then_version_carries_the_jobs_lineage() {
    let clients = clients().await;
    let (bucket, group, job) = (unique("job"), unique("job-group"), unique("xgb-job"));
    create_bucket(&clients.s3, &bucket, false).await;
    let job_arn = create_training_job(&clients.sagemaker, &job, &bucket).await;

    let result = register_at(&registrar(&group, &[]).await, &clients, &bucket, &format!("jobs/{job}/output/")).await;
    assert_eq!(result["records"][0]["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    let meta = v1.customer_metadata_properties().unwrap();
    assert_eq!(meta["training-job"], job);
    assert_eq!(v1.metadata_properties().unwrap().generated_by(), Some(job_arn.as_str()));
    assert_eq!(meta["data:train"], format!("s3://{bucket}/data/train/"));
    assert_eq!(meta["data:validation"], format!("s3://{bucket}/data/validation/"));
    // metadata.json (later in the merge) overrides the job's max_depth; the job's num_round is
    // overridden too, and its own-only values survive.
    assert_eq!(meta["hyperparameter:max_depth"], "3");
    assert_eq!(meta["metric:accuracy"], "0.958");
    assert_eq!(v1.inference_specification().unwrap().containers()[0].image(), Some(TRAINING_IMAGE));
}

#[tokio::test]
async fn given_configured_image_when_registered_then_it_wins_over_the_training_image() {
    let clients = clients().await;
    let (bucket, group, job) = (unique("img"), unique("img-group"), unique("img-job"));
    create_bucket(&clients.s3, &bucket, false).await;
    create_training_job(&clients.sagemaker, &job, &bucket).await;
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn-serving:2.1";
    let registrar = registrar(&group, &[("INFERENCE_IMAGE_URI", image)]).await;
    register_at(&registrar, &clients, &bucket, &format!("jobs/{job}/output/")).await;
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    assert_eq!(v1.inference_specification().unwrap().containers()[0].image(), Some(image));
}

#[tokio::test]
async fn given_training_job_missing_when_registered_then_registered_with_what_is_known_and_says_so() {
    let clients = clients().await;
    let (bucket, group) = (unique("nojob"), unique("nojob-group"));
    create_bucket(&clients.s3, &bucket, false).await;
    let result = register_at(&registrar(&group, &[]).await, &clients, &bucket, "jobs/vanished-job-1/output/").await;
    assert_eq!(result["records"][0]["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    assert!(v1.model_package_description().unwrap().contains("Training job vanished-job-1 was not found"));
    assert!(!v1.customer_metadata_properties().unwrap().contains_key("training-job"));
    assert!(v1.metadata_properties().unwrap().generated_by().unwrap().starts_with(&format!("s3://{bucket}/jobs/")));
}

#[tokio::test]
async fn given_training_job_still_in_progress_when_registered_then_registered_and_flagged() {
    let clients = clients().await;
    let (bucket, group, job) = (unique("running"), unique("running-group"), unique("running-job"));
    create_bucket(&clients.s3, &bucket, false).await;
    // The emulator completes jobs at once; the answer of a job still InProgress (output uploaded
    // before the job's final status) is injected at the SDK boundary.
    let in_progress = mock!(aws_sdk_sagemaker::Client::describe_training_job).then_output(|| {
        DescribeTrainingJobOutput::builder()
            .training_job_arn("arn:aws:sagemaker:us-east-1:123456789012:training-job/running")
            .training_job_status(TrainingJobStatus::InProgress)
            .hyper_parameters("eta", "0.2")
            .build()
    });
    let interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).with_rule(&in_progress).allow_passthrough();
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let mocked = clients_via(&endpoint, vec![SharedInterceptor::new(interceptor)], vec![]).await;

    let result = register_at(&registrar_over(&group, &[], &mocked), &clients, &bucket, &format!("runs/{job}/output/")).await;
    assert_eq!(result["records"][0]["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    assert!(v1.model_package_description().unwrap().contains("was InProgress at registration"), "{:?}", v1.model_package_description());
    assert_eq!(v1.customer_metadata_properties().unwrap()["hyperparameter:eta"], "0.3", "metadata.json wins over the job");
}

#[tokio::test]
async fn given_metadata_with_80_hostile_entries_when_registered_then_valid_version_and_full_document_retrievable() {
    let clients = clients().await;
    let (bucket, group) = (unique("hostile"), unique("hostile-group"));
    create_bucket(&clients.s3, &bucket, false).await;
    let mut data = serde_json::Map::new();
    for i in 0..80 {
        let value = match i % 8 {
            0 => json!(format!("quote \" and 'apostrophe' {i}")),
            1 => json!(format!("{{braces}} [brackets] {i}")),
            2 => json!(format!("comma, separated, {i}")),
            3 => json!(format!("line one\nline two\t{i}")),
            4 => json!(""),
            5 => json!("x".repeat(400)),
            6 => json!(format!("données modèle 数据 {i} 🚀")),
            _ => json!({"nested": [i, i + 1]}),
        };
        data.insert(format!("field {i:02} <{}>", "k".repeat(i % 3 * 60)), value);
    }
    let metadata = json!({
        "model_name": "hostile \"model\"\n",
        "version": 7,
        "description": format!("{}\u{0007}end", "long description ".repeat(120)),
        "data": data,
        "metrics": {"accuracy": 0.9}
    });
    upload(&clients.s3, &bucket, "h/metadata.json", serde_json::to_vec(&metadata).unwrap(), &[]).await;
    let model = upload(&clients.s3, &bucket, "h/model.tar.gz", fixture("model.tar.gz"), &[]).await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &model);

    let result = invoke_register(&registrar(&group, &[]).await, &event).await.unwrap();
    assert_eq!(result["records"][0]["status"], "registered", "{result}");
    let v1 = &versions(&clients.sagemaker, &group).await[0];
    let meta = v1.customer_metadata_properties().unwrap();
    assert_eq!(meta.len(), 50);
    for (key, value) in meta {
        assert!(limits::is_valid_metadata_text(key, 128), "key {key:?}");
        assert!(limits::is_valid_metadata_text(value, 256), "value of {key:?}: {value:?}");
    }
    let description = v1.model_package_description().unwrap();
    assert!(limits::utf16_len(description) <= 1024 && !description.chars().any(char::is_control));
    assert_eq!(meta["metric:accuracy"], "0.9");

    // Nothing dropped silently: the referenced document holds every entry as it was.
    let document: Value = serde_json::from_slice(&read_uri(&clients.s3, &meta["metadata-uri"]).await).unwrap();
    assert_eq!(document["data"], metadata["data"]);
    assert_eq!(document["description"], metadata["description"]);
    assert_eq!(document["model_name"], metadata["model_name"]);
    assert!(document["left_out"].as_array().unwrap().len() >= 30, "the document lists what the version could not hold");
}
