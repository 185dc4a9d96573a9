//! End-to-end: the real `modelreg` binary against the local AWS emulator (`make test` starts
//! it), asserting what an operator or a script relies on: the output, the registry's state
//! afterwards, and the documented exit codes. Every test uses its own group (and bucket).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_sagemaker::types::{InferenceSpecification, ModelApprovalStatus, ModelPackageContainerDefinition};
use e2e::*;
use serde_json::Value;
use std::time::{Duration, Instant};

const XGBOOST_IMAGE: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";

/// What one run of the binary produced.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {self:?}"))
    }

    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }
}

/// Runs `modelreg` with `args` and the test process's environment (the emulator's), changed by
/// `set` and `unset`. The default group never leaks in: tests pass `--group`.
async fn modelreg_with(args: &[&str], set: &[(&str, &str)], unset: &[&str]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_modelreg"));
    command.args(args).env_remove("MODEL_PACKAGE_GROUP_NAME");
    for name in unset {
        command.env_remove(name);
    }
    for (name, value) in set {
        command.env(name, value);
    }
    let started = Instant::now();
    let out = command.output().await.expect("run modelreg");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Runs `modelreg <args> --group <group>` against the emulator.
async fn modelreg(group: &str, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--group", group]);
    modelreg_with(&all, &[], &[]).await
}

async fn new_group(prefix: &str) -> (String, registry::clients::Clients) {
    let clients = clients().await;
    let group = unique(prefix);
    registry::sagemaker::ensure_group(&clients.sagemaker, &group, "modelreg end-to-end test").await.unwrap();
    (group, clients)
}

/// Creates a version directly (not through registration), with the metadata `versions` reads.
async fn create_version(sagemaker: &aws_sdk_sagemaker::Client, group: &str, name: &str, accuracy: &str) -> String {
    let container = ModelPackageContainerDefinition::builder().image(XGBOOST_IMAGE).model_data_url(format!("s3://bucket/{name}/model.tar.gz")).build();
    let spec = InferenceSpecification::builder()
        .containers(container)
        .supported_content_types("text/csv")
        .supported_response_mime_types("text/csv")
        .build();
    sagemaker
        .create_model_package()
        .model_package_group_name(group)
        .model_approval_status(ModelApprovalStatus::PendingManualApproval)
        .inference_specification(spec)
        .customer_metadata_properties("model-name", name)
        .customer_metadata_properties("metric:accuracy", accuracy)
        .customer_metadata_properties("hyperparameter:max_depth", "4")
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string()
}

async fn set_status(sagemaker: &aws_sdk_sagemaker::Client, arn: &str, status: ModelApprovalStatus) {
    sagemaker.update_model_package().model_package_arn(arn).model_approval_status(status).send().await.unwrap();
}

/// The version as SageMaker now describes it.
async fn described(
    sagemaker: &aws_sdk_sagemaker::Client,
    group: &str,
    version: i32,
) -> aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput {
    versions(sagemaker, group).await.into_iter().find(|v| v.model_package_version() == Some(version)).unwrap()
}

/// Uploads the fixture to a new bucket and registers it through the function's handler:
/// version 1 of `group`. Returns the bucket.
async fn register_fixture(group: &str) -> String {
    let clients = clients().await;
    let bucket = unique("cli");
    create_bucket(&clients.s3, &bucket, false).await;
    let uploaded = upload_fixture(&clients.s3, &bucket, "model/").await;
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    let result = invoke_register(&registrar(group, &[]).await, &event).await.unwrap();
    assert_eq!(result["records"][0]["version"], 1, "{result}");
    bucket
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn table_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect())
        .collect()
}

// ---- versions ----

#[tokio::test]
async fn given_150_versions_when_listed_then_all_150_newest_first_with_newest_approved_marked() {
    let (group, clients) = new_group("cli-150").await;
    let mut arns = Vec::new();
    for n in 1..=150 {
        arns.push(create_version(&clients.sagemaker, &group, &format!("model-{n}"), &format!("0.{}", 500 + n)).await);
    }
    set_status(&clients.sagemaker, &arns[36], ModelApprovalStatus::Approved).await;
    set_status(&clients.sagemaker, &arns[119], ModelApprovalStatus::Approved).await;
    set_status(&clients.sagemaker, &arns[139], ModelApprovalStatus::Rejected).await;

    // The emulator really pages ListModelPackages: this test exercises pagination.
    let first_page = clients.sagemaker.list_model_packages().model_package_group_name(&group).max_results(100).send().await.unwrap();
    assert_eq!(first_page.model_package_summary_list().len(), 100);
    assert!(first_page.next_token().is_some());

    let run = modelreg(&group, &["versions"]).await.ok();
    eprintln!("modelreg versions, 150 versions: {:?}", run.elapsed);
    let rows = table_rows(&run.stdout);
    assert_eq!(rows.len(), 150, "{}", run.stdout);
    let numbers: Vec<String> = rows.iter().map(|r| r[0].trim_end_matches(" *").to_string()).collect();
    let expected: Vec<String> = (1..=150).rev().map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected);
    assert_eq!(rows[0][1], "model-150");
    assert_eq!(rows[0][2], "0.650");
    assert_eq!(rows[0][3], "Completed");
    assert_eq!(rows[0][4], "PendingManualApproval");
    let marked: Vec<&str> = rows.iter().filter(|r| r[0].ends_with('*')).map(|r| r[0].as_str()).collect();
    assert_eq!(marked, ["120 *"], "only the newest Approved version is marked");
    assert_eq!(rows[150 - 37][4], "Approved");
    assert_eq!(rows[150 - 140][4], "Rejected");
    assert!(run.stdout.contains("* the newest Approved version"), "{}", run.stdout);

    let started = Instant::now();
    let json = modelreg(&group, &["versions", "--json"]).await.ok().json();
    eprintln!("modelreg versions --json, 150 versions: {:?}", started.elapsed());
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 150);
    assert_eq!(list.iter().map(|v| v["version"].as_i64().unwrap()).collect::<Vec<_>>(), (1..=150).rev().collect::<Vec<_>>());
    let v120 = &list[150 - 120];
    assert_eq!(v120["production"], true);
    assert_eq!(v120["approval"], "Approved");
    assert_eq!(v120["model_name"], "model-120");
    assert_eq!(v120["accuracy"], 0.62);
    assert!(v120["arn"].as_str().unwrap().ends_with(&format!("{group}/120")));
    assert!(v120["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list.iter().filter(|v| v["production"] == true).count(), 1);

    let approved = modelreg(&group, &["versions", "--status", "approved", "--json"]).await.ok().json();
    let approved: Vec<i64> = approved.as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(approved, [120, 37]);
}

#[tokio::test]
async fn given_empty_group_when_listed_then_says_so_and_json_is_an_empty_array() {
    let (group, _) = new_group("cli-empty").await;
    let run = modelreg(&group, &["versions"]).await.ok();
    assert!(run.stdout.contains("no versions"), "{run:?}");
    assert_eq!(modelreg(&group, &["versions", "--json"]).await.ok().json(), serde_json::json!([]));
}

#[tokio::test]
async fn given_unknown_group_when_any_command_runs_then_exit_3_names_it_and_says_what_to_do() {
    let (existing, _) = new_group("cli-known").await;
    let group = unique("cli-nosuch");
    for args in [
        vec!["versions"],
        vec!["show", "1"],
        vec!["compare", "1", "2"],
        vec!["approve", "1"],
        vec!["reject", "1", "--reason", "bad"],
    ] {
        let run = modelreg(&group, &args).await;
        assert_eq!(run.code, 3, "{args:?}: {run:?}");
        assert!(run.stderr.contains(&format!("'{group}' does not exist")), "{run:?}");
        assert!(run.stderr.contains("--group") && run.stderr.contains("MODEL_PACKAGE_GROUP_NAME"), "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    // It lists the groups that do exist (newest first, so a group created just now is there).
    let run = modelreg(&group, &["versions"]).await;
    assert!(run.stderr.contains("existing groups"), "{run:?}");
    assert!(run.stderr.contains(&existing) || run.stderr.matches(", ").count() >= 9, "{run:?}");
}

// ---- show ----

#[tokio::test]
async fn given_registered_fixture_when_shown_then_everything_a_reviewer_reads() {
    let group = unique("cli-show");
    let bucket = register_fixture(&group).await;
    let clients = clients().await;
    let v1 = described(&clients.sagemaker, &group, 1).await;

    let view = modelreg(&group, &["show", "1", "--json"]).await.ok().json();
    let artifact = view["artifact"].as_str().unwrap();
    assert!(artifact.starts_with(&format!("s3://{bucket}/registry/{group}/")), "{view}");
    assert_eq!(read_uri(&clients.s3, artifact).await, fixture("model.tar.gz"));
    assert_eq!(view["version"], 1);
    assert_eq!(view["arn"], v1.model_package_arn().unwrap());
    assert_eq!(view["image"], XGBOOST_IMAGE);
    assert_eq!(view["content_types"], serde_json::json!(["text/csv"]));
    assert_eq!(view["approval"], "PendingManualApproval");
    assert_eq!(view["metrics"]["accuracy"], 0.958);
    assert_eq!(view["metrics"]["auc"], 0.9954);
    assert_eq!(view["hyperparameters"]["max_depth"], 3);
    assert_eq!(view["hyperparameters"]["objective"], "binary:logistic");
    assert_eq!(view["data"]["rows"], 426);
    assert_eq!(view["data"]["training"], "s3://ml-pipeline-bucket/data/train.csv");
    assert_eq!(view["lineage"]["source"], format!("s3://{bucket}/model/model.tar.gz"));
    assert!(view["lineage"]["generated_by"].as_str().unwrap().contains("model/model.tar.gz"), "{view}");
    assert!(view["evaluation"].as_str().unwrap().ends_with("evaluation.json"), "{view}");
    assert_eq!(view["document"]["model_name"], "ml-pipeline-model-v1");
    assert_eq!(view["document"]["framework"], "XGBoost");
    assert_eq!(view["document_uri"], v1.customer_metadata_properties().unwrap()["metadata-uri"]);
    assert_eq!(view["metadata"]["model-name"], "ml-pipeline-model-v1");
    assert_eq!(view["decision"]["status"], "PendingManualApproval");
    assert!(view["created"].as_str().unwrap().ends_with('Z'));

    let text = modelreg(&group, &["show", "1"]).await.ok().stdout;
    for needle in [
        &format!("Version 1 of {group}"),
        artifact,
        XGBOOST_IMAGE,
        "none yet (PendingManualApproval)",
        "accuracy                 0.958",
        "max_depth                3",
        "rows                     426",
        "Lineage",
        "Full metadata document (s3://",
        "\"model_name\": \"ml-pipeline-model-v1\"",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[tokio::test]
async fn given_rejected_version_when_shown_then_decision_with_its_reason_who_and_when() {
    let (group, clients) = new_group("cli-decision").await;
    create_version(&clients.sagemaker, &group, "m1", "0.9").await;
    let before = std::time::SystemTime::now();
    modelreg(&group, &["reject", "1", "--reason", "overfits the 2024 data"]).await.ok();

    let view = modelreg(&group, &["show", "1", "--json"]).await.ok().json();
    let decision = &view["decision"];
    assert_eq!(decision["status"], "Rejected");
    assert_eq!(decision["description"], "overfits the 2024 data");
    // What the endpoint records as LastModifiedBy: the emulator names a fake Studio user profile;
    // real SageMaker names the caller's IAM identity for model packages.
    let described = described(&clients.sagemaker, &group, 1).await;
    let recorded = described.last_modified_by().and_then(|u| u.user_profile_name().or(u.iam_identity().and_then(|i| i.arn())));
    match recorded {
        Some(name) => assert!(decision["by"].as_str().unwrap().contains(name), "{decision}"),
        None => assert!(decision["by"].is_null(), "{decision}"),
    }
    let at = decision["at"].as_str().unwrap();
    let at = aws_sdk_sagemaker::primitives::DateTime::from_str(at, aws_sdk_sagemaker::primitives::DateTimeFormat::DateTime).unwrap();
    let before = aws_sdk_sagemaker::primitives::DateTime::from(before);
    assert!(at.secs() >= before.secs() - 1, "decision time {at:?} before the command ran ({before:?})");

    let text = modelreg(&group, &["show", "1"]).await.ok().stdout;
    assert!(text.contains("description    overfits the 2024 data"), "{text}");
    assert!(text.contains("(the version's last modification)"), "{text}");
    assert!(text.contains("Metrics\n  accuracy                 0.9"), "metadata fallback without a document:\n{text}");
    assert!(text.contains("Full metadata document: none referenced"), "{text}");
}

#[tokio::test]
async fn given_missing_version_when_shown_compared_approved_or_rejected_then_exit_3() {
    let (group, clients) = new_group("cli-missing").await;
    create_version(&clients.sagemaker, &group, "m1", "0.9").await;
    create_version(&clients.sagemaker, &group, "m2", "0.91").await;
    for args in [
        vec!["show", "9"],
        vec!["show", "9", "--json"],
        vec!["compare", "1", "9"],
        vec!["approve", "9", "--reason", "x"],
        vec!["reject", "9", "--reason", "x"],
    ] {
        let run = modelreg(&group, &args).await;
        assert_eq!(run.code, 3, "{args:?}: {run:?}");
        assert!(run.stderr.contains("version 9 does not exist") && run.stderr.contains("newest is 2"), "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    assert!(versions(&clients.sagemaker, &group).await.iter().all(|v| v.model_approval_status() == Some(&ModelApprovalStatus::PendingManualApproval)));
}

// ---- compare ----

#[tokio::test]
async fn given_two_registered_versions_when_compared_then_metrics_and_hyperparameters_side_by_side() {
    let group = unique("cli-compare");
    let bucket = register_fixture(&group).await;
    let clients = clients().await;
    // A second training run: other metrics and one other hyperparameter, registered by the CLI.
    let mut metadata: Value = serde_json::from_slice(&fixture("metadata.json")).unwrap();
    metadata["hyperparameters"]["max_depth"] = 5.into();
    metadata["hyperparameters"]["gamma"] = 0.1.into();
    upload(&clients.s3, &bucket, "run2/metadata.json", serde_json::to_vec(&metadata).unwrap(), &[]).await;
    let evaluation = br#"{"binary_classification_metrics": {"accuracy": {"value": 0.97, "standard_deviation": "NaN"}, "auc": {"value": 0.9954, "standard_deviation": "NaN"}}}"#;
    upload(&clients.s3, &bucket, "run2/evaluation.json", evaluation.to_vec(), &[]).await;
    upload(&clients.s3, &bucket, "run2/model.tar.gz", b"retrained".to_vec(), &[]).await;
    let registered = modelreg(&group, &["register", &format!("s3://{bucket}/run2/model.tar.gz"), "--json"]).await.ok().json();
    assert_eq!(registered["version"], 2, "{registered}");

    let json = modelreg(&group, &["compare", "1", "2", "--json"]).await.ok().json();
    assert_eq!((json["a"].as_i64(), json["b"].as_i64()), (Some(1), Some(2)));
    let entry = |section: &str, name: &str| -> Value {
        json[section].as_array().unwrap().iter().find(|e| e["name"] == name).cloned().unwrap_or_else(|| panic!("{section}.{name} in {json}"))
    };
    let accuracy = entry("metrics", "accuracy");
    assert_eq!((accuracy["a"].as_str(), accuracy["b"].as_str()), (Some("0.958"), Some("0.97")));
    assert_eq!(accuracy["difference"], "+0.012");
    assert_eq!(accuracy["same"], false);
    assert_eq!(entry("metrics", "auc")["same"], true);
    assert_eq!(entry("metrics", "auc")["difference"], "0");
    let depth = entry("hyperparameters", "max_depth");
    assert_eq!((depth["a"].as_str(), depth["b"].as_str(), depth["difference"].as_str()), (Some("3"), Some("5"), Some("+2")));
    let gamma = entry("hyperparameters", "gamma");
    assert!(gamma["a"].is_null() && gamma["b"] == "0.1" && gamma["same"] == false, "{gamma}");
    assert_eq!(entry("hyperparameters", "objective")["difference"], Value::Null);

    let text = modelreg(&group, &["compare", "1", "2"]).await.ok().stdout;
    let line = |name: &str| text.lines().find(|l| l.starts_with(&format!("| {name} "))).unwrap_or_else(|| panic!("{name} in\n{text}")).to_string();
    assert!(text.contains("| Name ") && text.contains("| v1 ") && text.contains("| v2 "), "{text}");
    assert!(line("accuracy").contains("+0.012 <"), "{text}");
    assert!(line("max_depth").contains("+2 <"), "{text}");
    assert!(!line("auc").contains('<'), "{text}");
}

// ---- approve and reject ----

#[tokio::test]
async fn given_pending_version_when_approved_then_approved_with_reason_and_a_second_approve_is_refused() {
    let (group, clients) = new_group("cli-approve").await;
    create_version(&clients.sagemaker, &group, "m1", "0.9").await;

    let run = modelreg(&group, &["approve", "1", "--reason", "beats v0 on AUC"]).await.ok();
    assert!(run.stdout.contains("PendingManualApproval -> Approved"), "{run:?}");
    let v1 = described(&clients.sagemaker, &group, 1).await;
    assert_eq!(v1.model_approval_status(), Some(&ModelApprovalStatus::Approved));
    assert_eq!(v1.approval_description(), Some("beats v0 on AUC"));
    assert_eq!(v1.customer_metadata_properties().unwrap()["model-name"], "m1", "metadata kept");

    let again = modelreg(&group, &["approve", "1", "--reason", "again"]).await;
    assert_eq!(again.code, 4, "{again:?}");
    assert!(again.stderr.contains("already Approved") && again.stderr.contains("nothing changed"), "{again:?}");
    assert!(again.stderr.contains("beats v0 on AUC"), "says what the standing decision is: {again:?}");
    assert_eq!(described(&clients.sagemaker, &group, 1).await.approval_description(), Some("beats v0 on AUC"));

    let listed = modelreg(&group, &["versions"]).await.ok();
    assert!(listed.stdout.contains("| 1 *"), "{}", listed.stdout);
}

#[tokio::test]
async fn given_pending_version_when_rejected_then_rejected_with_reason_and_json_says_what_changed() {
    let (group, clients) = new_group("cli-reject").await;
    create_version(&clients.sagemaker, &group, "m1", "0.9").await;

    let json = modelreg(&group, &["reject", "1", "--reason", "overfits", "--json"]).await.ok().json();
    assert_eq!(json["version"], 1);
    assert_eq!(json["previous"], "PendingManualApproval");
    assert_eq!(json["approval"], "Rejected");
    assert_eq!(json["reason"], "overfits");
    assert!(json["arn"].as_str().unwrap().ends_with(&format!("{group}/1")));
    let v1 = described(&clients.sagemaker, &group, 1).await;
    assert_eq!(v1.model_approval_status(), Some(&ModelApprovalStatus::Rejected));
    assert_eq!(v1.approval_description(), Some("overfits"));

    let again = modelreg(&group, &["reject", "1", "--reason", "still overfits"]).await;
    assert_eq!(again.code, 4, "{again:?}");
    assert!(again.stderr.contains("already Rejected"), "{again:?}");
    assert_eq!(described(&clients.sagemaker, &group, 1).await.approval_description(), Some("overfits"));
}

#[tokio::test]
async fn given_reject_without_a_reason_then_usage_error_and_nothing_changes() {
    let (group, clients) = new_group("cli-noreason").await;
    create_version(&clients.sagemaker, &group, "m1", "0.9").await;

    let run = modelreg(&group, &["reject", "1"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--reason"), "{run:?}");
    let blank = modelreg(&group, &["reject", "1", "--reason", "  "]).await;
    assert_eq!(blank.code, 2, "{blank:?}");
    assert!(blank.stderr.contains("non-empty --reason"), "{blank:?}");
    assert_eq!(described(&clients.sagemaker, &group, 1).await.model_approval_status(), Some(&ModelApprovalStatus::PendingManualApproval));
}

#[tokio::test]
async fn given_rejected_version_when_approved_without_reason_then_the_old_reason_does_not_linger() {
    let (group, clients) = new_group("cli-reapprove").await;
    create_version(&clients.sagemaker, &group, "m1", "0.9").await;
    modelreg(&group, &["reject", "1", "--reason", "overfits"]).await.ok();

    let run = modelreg(&group, &["approve", "1"]).await.ok();
    assert!(run.stdout.contains("Rejected -> Approved"), "{run:?}");
    let v1 = described(&clients.sagemaker, &group, 1).await;
    assert_eq!(v1.model_approval_status(), Some(&ModelApprovalStatus::Approved));
    assert_eq!(v1.approval_description(), Some("no reason given"));
}

// ---- register ----

#[tokio::test]
async fn given_artifact_when_registered_by_the_cli_then_a_version_with_its_metadata_and_a_rerun_is_a_duplicate() {
    let clients = clients().await;
    let group = unique("cli-register");
    let bucket = unique("cli-reg");
    create_bucket(&clients.s3, &bucket, false).await;
    upload_fixture(&clients.s3, &bucket, "model/").await;
    let uri = format!("s3://{bucket}/model/model.tar.gz");

    let run = modelreg(&group, &["register", &uri]).await.ok();
    assert!(run.stdout.contains("registered as version 1"), "{run:?}");
    let v1 = described(&clients.sagemaker, &group, 1).await;
    let meta = v1.customer_metadata_properties().unwrap();
    assert_eq!(meta["metric:accuracy"], "0.958");
    assert_eq!(meta["model-name"], "ml-pipeline-model-v1");
    assert_eq!(meta["source-uri"], uri);
    let url = v1.inference_specification().unwrap().containers()[0].model_data_url().unwrap();
    assert_eq!(read_uri(&clients.s3, url).await, fixture("model.tar.gz"));

    let rerun = modelreg(&group, &["register", &uri, "--json"]).await.ok().json();
    assert_eq!(rerun["status"], "duplicate", "{rerun}");
    assert_eq!(rerun["version"], 1);
    assert_eq!(rerun["arn"], v1.model_package_arn().unwrap());
    assert_eq!(versions(&clients.sagemaker, &group).await.len(), 1);
}

#[tokio::test]
async fn given_metadata_file_when_registered_then_it_replaces_the_one_beside_the_artifact() {
    let clients = clients().await;
    let group = unique("cli-regmeta");
    let bucket = unique("cli-regm");
    create_bucket(&clients.s3, &bucket, false).await;
    upload_fixture(&clients.s3, &bucket, "old/").await;
    let mut metadata: Value = serde_json::from_slice(&fixture("metadata.json")).unwrap();
    metadata["model_name"] = "legacy-churn-model".into();
    let path = std::env::temp_dir().join(format!("{}.json", unique("modelreg-metadata")));
    std::fs::write(&path, serde_json::to_vec(&metadata).unwrap()).unwrap();

    let json = modelreg(&group, &["register", &format!("s3://{bucket}/old/model.tar.gz"), "--metadata", path.to_str().unwrap(), "--json"]).await.ok().json();
    std::fs::remove_file(&path).ok();
    assert_eq!(json["status"], "registered", "{json}");
    let v1 = described(&clients.sagemaker, &group, 1).await;
    assert_eq!(v1.customer_metadata_properties().unwrap()["model-name"], "legacy-churn-model");
}

#[tokio::test]
async fn given_bad_register_inputs_then_documented_exit_codes_and_no_version() {
    let clients = clients().await;
    let group = unique("cli-regbad");
    let bucket = unique("cli-regb");
    create_bucket(&clients.s3, &bucket, false).await;
    upload_fixture(&clients.s3, &bucket, "model/").await;
    let invalid = std::env::temp_dir().join(format!("{}.json", unique("modelreg-invalid")));
    std::fs::write(&invalid, b"{\"metrics\": {\"accuracy\": \"high\"}}").unwrap();
    let invalid = invalid.to_str().unwrap().to_string();
    let artifact = format!("s3://{bucket}/model/model.tar.gz");

    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (vec![format!("s3://{bucket}/nothing/model.tar.gz")], 3, "does not exist"),
        (vec![format!("s3://{}/model/model.tar.gz", unique("cli-nobucket"))], 3, "does not exist"),
        (vec![format!("s3://{bucket}/model/metadata.json")], 2, "sidecar"),
        (vec![format!("s3://{bucket}/model/weights.bin")], 2, "model.tar.gz"),
        (vec![format!("s3://{bucket}/registry/{group}/x/model.tar.gz")], 2, "registry"),
        (vec!["model/model.tar.gz".to_string()], 2, "s3://bucket/key"),
        (vec![artifact.clone(), "--metadata".into(), "/nonexistent/metadata.json".into()], 1, "--metadata"),
        (vec![artifact.clone(), "--metadata".into(), invalid.clone()], 1, "must be a number"),
    ];
    for (args, code, says) in cases {
        let mut all = vec!["register"];
        all.extend(args.iter().map(String::as_str));
        let run = modelreg(&group, &all).await;
        assert_eq!(run.code, code, "{args:?}: {run:?}");
        assert!(run.stderr.contains(says), "{args:?} should say {says:?}: {run:?}");
    }
    std::fs::remove_file(&invalid).ok();
    let group_exists = clients.sagemaker.describe_model_package_group().model_package_group_name(&group).send().await.is_ok();
    assert!(!group_exists, "a refused registration must not create the group");
}

// ---- talking to AWS ----

#[tokio::test]
async fn given_no_emulator_at_the_endpoint_when_run_then_exit_5_within_seconds_saying_what_to_do() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    for args in [vec!["versions", "--group", "g"], vec!["approve", "1", "--group", "g"], vec!["register", "s3://b/model/model.tar.gz", "--group", "g"]] {
        let run = modelreg_with(&args, &[("AWS_ENDPOINT_URL", &endpoint)], &[]).await;
        eprintln!("{args:?} against a closed port: exit {} after {:?}", run.code, run.elapsed);
        assert_eq!(run.code, 5, "{run:?}");
        assert!(run.stderr.contains(&format!("cannot reach {endpoint}")), "{run:?}");
        assert!(run.stderr.contains("emulator running") && run.stderr.contains("scripts/localaws.sh"), "{run:?}");
        // One attempt: a connection that cannot be opened is not retried (three attempts and
        // their backoff took 1.4-2.4 s).
        assert!(run.elapsed < Duration::from_secs(1), "took {:?}", run.elapsed);
    }
}

#[tokio::test]
async fn given_no_credentials_when_run_then_exit_5_naming_what_to_set() {
    let home = std::env::temp_dir().join(unique("modelreg-home"));
    std::fs::create_dir_all(&home).unwrap();
    let home = home.to_str().unwrap().to_string();
    let run = modelreg_with(
        &["versions", "--group", "g"],
        &[
            ("HOME", &home),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"],
    )
    .await;
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("no AWS credentials found"), "{run:?}");
    assert!(run.stderr.contains("AWS_PROFILE") && run.stderr.contains("AWS_ACCESS_KEY_ID"), "{run:?}");
}

#[tokio::test]
async fn given_no_region_when_run_then_exit_5_naming_aws_region() {
    let run = modelreg_with(
        &["versions", "--group", "g"],
        &[("AWS_CONFIG_FILE", "/nonexistent/config"), ("AWS_EC2_METADATA_DISABLED", "true")],
        &["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"],
    )
    .await;
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("AWS_REGION"), "{run:?}");
}

// ---- help and usage ----

#[tokio::test]
async fn given_help_then_examples_and_exit_codes_and_bad_usage_exits_2() {
    let help = modelreg_with(&["--help"], &[], &[]).await.ok().stdout;
    for needle in ["Examples:", "modelreg approve 3 --reason", "Exit codes:", "4  refused", "5  cannot talk to AWS", "AWS_ENDPOINT_URL"] {
        assert!(help.contains(needle), "{needle:?} in\n{help}");
    }
    let versions_help = modelreg_with(&["versions", "--help"], &[], &[]).await.ok().stdout;
    assert!(versions_help.contains("marked `*` is the newest Approved version"), "{versions_help}");
    for args in [vec!["show"], vec!["show", "0"], vec!["show", "latest"], vec!["versions", "--status", "pending"], vec!["frobnicate"]] {
        let run = modelreg_with(&args, &[], &[]).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
}
