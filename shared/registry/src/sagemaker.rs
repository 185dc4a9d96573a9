//! The SageMaker adapter: groups, versions, training jobs.

use aws_sdk_sagemaker::config::retry::RetryConfig;
use aws_sdk_sagemaker::config::timeout::TimeoutConfig;
use std::time::Duration;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{
    InferenceSpecification, MetadataProperties, MetricsSource, ModelApprovalStatus, ModelMetrics,
    ModelPackageContainerDefinition, ModelPackageSortBy, ModelQuality, SortOrder, TrainingJobStatus,
};
use aws_sdk_sagemaker::Client;
use serde_json::Value;
use std::collections::BTreeMap;
use tracing::info;

use crate::error::{describe, error_code, from_sdk, Error, Result};
use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use crate::metadata::TrainingJobInfo;
use crate::request::PackageRequest;

/// Creates the group unless it exists. Describe first: the local emulator replaces an existing
/// group on create, and AWS answers a conflict; a conflict from a concurrent create is success.
pub async fn ensure_group(client: &Client, group: &str, description: &str) -> Result<()> {
    match client.describe_model_package_group().model_package_group_name(group).send().await {
        Ok(_) => return Ok(()),
        Err(err) if is_missing(&err) => {}
        Err(err) => return Err(from_sdk("DescribeModelPackageGroup", err)),
    }
    match client
        .create_model_package_group()
        .model_package_group_name(group)
        .model_package_group_description(description)
        .send()
        .await
    {
        Ok(_) => {
            info!(group, "model package group created");
            Ok(())
        }
        Err(err) if error_text(&err).contains("already exists") => Ok(()),
        Err(err) => Err(from_sdk("CreateModelPackageGroup", err)),
    }
}

fn error_text<E: std::fmt::Debug>(err: &E) -> String {
    format!("{err:?}")
}

/// SageMaker reports a missing entity as a ValidationException ("does not exist") or
/// ResourceNotFound, depending on the call.
pub fn is_missing<E>(err: &SdkError<E, Response>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error_code(err) {
        Some("ResourceNotFound") | Some("ResourceNotFoundException") => true,
        Some("ValidationException") => {
            let text = describe(err);
            text.contains("does not exist") || text.contains("not found") || text.contains("Could not find")
        }
        _ => false,
    }
}

/// Sends CreateModelPackage; returns the new version's ARN.
pub async fn create_package(client: &Client, request: &PackageRequest) -> Result<String> {
    let container = ModelPackageContainerDefinition::builder()
        .image(&request.image)
        .model_data_url(&request.model_data_url)
        .build();
    let inference = InferenceSpecification::builder()
        .containers(container)
        .set_supported_content_types(Some(request.content_types.clone()))
        .set_supported_response_mime_types(Some(request.response_types.clone()))
        .build();
    let metrics = request.statistics_uri.as_ref().map(|uri| {
        let statistics = MetricsSource::builder().content_type("application/json").s3_uri(uri).build();
        ModelMetrics::builder().model_quality(ModelQuality::builder().statistics(statistics).build()).build()
    });
    let metadata: std::collections::HashMap<String, String> =
        request.metadata.entries.iter().cloned().collect();
    let output = client
        .create_model_package()
        .model_package_group_name(&request.group)
        .model_package_description(&request.description)
        .model_approval_status(ModelApprovalStatus::from(request.approval_status.as_str()))
        .inference_specification(inference)
        .set_model_metrics(metrics)
        .metadata_properties(MetadataProperties::builder().generated_by(&request.generated_by).build())
        .set_customer_metadata_properties(Some(metadata))
        .client_token(&request.client_token)
        // No SDK retries here: a create whose answer was lost may have created the version, so
        // the caller looks for it before trying again (the emulator ignores ClientToken).
        .customize()
        .config_override(
            aws_sdk_sagemaker::config::Builder::default()
                .retry_config(RetryConfig::disabled())
                // Bounds a create so that a claim older than REGISTRATION_STALE_SECONDS is dead.
                .timeout_config(TimeoutConfig::builder().operation_attempt_timeout(Duration::from_secs(20)).build()),
        )
        .send()
        .await
        .map_err(|err| from_sdk("CreateModelPackage", err))?;
    output
        .model_package_arn()
        .map(String::from)
        .ok_or_else(|| Error::Transient { operation: "CreateModelPackage", message: "no ARN returned".into() })
}

/// The region and account fields of an ARN (`arn:<partition>:<service>:<region>:<account>:...`).
pub fn arn_region_and_account(arn: &str) -> (&str, &str) {
    let mut fields = arn.split(':').skip(3);
    (fields.next().unwrap_or_default(), fields.next().unwrap_or_default())
}

/// The version number at the end of a versioned package ARN (`.../<group>/<version>`).
pub fn version_from_arn(arn: &str) -> Option<i32> {
    arn.rsplit('/').next()?.parse().ok()
}

/// One version as the registry reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSummary {
    pub arn: String,
    pub version: Option<i32>,
    pub approval_status: String,
    pub created: Option<DateTime>,
}

/// Lists a group's versions, newest first, following every page; stops early when `stop`
/// says so for a version.
pub async fn list_versions(
    client: &Client,
    group: &str,
    mut stop: impl FnMut(&VersionSummary) -> bool,
) -> Result<Vec<VersionSummary>> {
    let mut versions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_model_packages()
            .model_package_group_name(group)
            .sort_by(ModelPackageSortBy::CreationTime)
            .sort_order(SortOrder::Descending)
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|err| from_sdk("ListModelPackages", err))?;
        for summary in page.model_package_summary_list() {
            let version = VersionSummary {
                arn: summary.model_package_arn().unwrap_or_default().to_string(),
                version: summary.model_package_version(),
                approval_status: summary.model_approval_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                created: summary.creation_time().cloned(),
            };
            if stop(&version) {
                return Ok(versions);
            }
            versions.push(version);
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(versions),
        }
    }
}

/// Finds the version registered for `registration_id` among those created since `since`
/// (seconds since the epoch), newest first. The guard the emulator can exercise, since it
/// ignores `ClientToken`.
pub async fn find_registration(
    client: &Client,
    group: &str,
    registration_id: &str,
    since: i64,
) -> Result<Option<(String, Option<i32>)>> {
    let candidates = list_versions(client, group, |v| v.created.is_some_and(|t| t.secs() < since)).await?;
    for candidate in candidates {
        let described = client
            .describe_model_package()
            .model_package_name(&candidate.arn)
            .send()
            .await
            .map_err(|err| from_sdk("DescribeModelPackage", err))?;
        let matches = described
            .customer_metadata_properties()
            .and_then(|m| m.get("registration-id"))
            .is_some_and(|id| id == registration_id);
        if matches {
            return Ok(Some((candidate.arn, candidate.version.or(described.model_package_version()))));
        }
    }
    Ok(None)
}

/// What DescribeTrainingJob knows, `Ok(None)` when the job does not exist.
pub async fn training_job(client: &Client, name: &str) -> Result<Option<TrainingJobInfo>> {
    let job = match client.describe_training_job().training_job_name(name).send().await {
        Ok(job) => job,
        Err(err) if is_missing(&err) => return Ok(None),
        Err(err) => return Err(from_sdk("DescribeTrainingJob", err)),
    };
    let hyperparameters: BTreeMap<String, String> =
        job.hyper_parameters().map(|h| h.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let final_metrics: BTreeMap<String, Value> = job
        .final_metric_data_list()
        .iter()
        .filter_map(|m| {
            // f32 on the wire: its shortest decimal form, not the widened f64's noise.
            let value: Value = serde_json::from_str(&m.value()?.to_string()).ok()?;
            value.is_number().then(|| (m.metric_name().unwrap_or_default().to_string(), value))
        })
        .collect();
    let input_channels: BTreeMap<String, String> = job
        .input_data_config()
        .iter()
        .filter_map(|channel| {
            let uri = channel.data_source()?.s3_data_source()?.s3_uri()?.to_string();
            Some((channel.channel_name()?.to_string(), uri))
        })
        .collect();
    Ok(Some(TrainingJobInfo {
        name: name.to_string(),
        arn: job.training_job_arn().unwrap_or_default().to_string(),
        status: job.training_job_status().map(TrainingJobStatus::as_str).unwrap_or("Unknown").to_string(),
        image: job.algorithm_specification().and_then(|a| a.training_image()).map(String::from),
        hyperparameters,
        final_metrics,
        input_channels,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_versioned_arn_when_parsed_then_version_number() {
        let arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/ml-pipeline-model-group/12";
        assert_eq!(version_from_arn(arn), Some(12));
        assert_eq!(version_from_arn("arn:aws:sagemaker:us-east-1:1:model-package/name"), None);
        assert_eq!(arn_region_and_account(arn), ("us-east-1", "123456789012"));
        assert_eq!(arn_region_and_account("not-an-arn"), ("", ""));
    }
}
