//! The commands: each reads or changes the registry through `registry`'s adapters.

use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
use aws_sdk_sagemaker::types::ModelApprovalStatus;
use futures::stream::{self, StreamExt, TryStreamExt};
use registry::clients::Clients;
use registry::config::RegisterConfig;
use registry::register::Registrar;
use registry::{limits, s3, sagemaker, Error};
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::output::{self, VersionRow};

pub struct Ctx {
    pub clients: Clients,
    pub group: String,
    pub json: bool,
}

/// A failure with its documented exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_NOT_FOUND: u8 = 3;
pub const EXIT_REFUSED: u8 = 4;
pub const EXIT_UNREACHABLE: u8 = 5;

impl CliError {
    fn new(code: u8, message: impl Into<String>) -> Self {
        CliError { code, message: message.into() }
    }
}

/// Turns a registry error into what an operator can act on.
impl From<Error> for CliError {
    fn from(err: Error) -> Self {
        let text = err.to_string();
        let lower = text.to_lowercase();
        if lower.contains("credential") {
            return CliError::new(
                EXIT_UNREACHABLE,
                format!("no usable AWS credentials ({text}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
            );
        }
        if lower.contains("dispatch failure") || lower.contains("connection refused") || lower.contains("timeout") {
            let hint = match std::env::var("AWS_ENDPOINT_URL") {
                Ok(endpoint) => format!("cannot reach {endpoint}: is the local emulator running? (`make demo` starts one)"),
                Err(_) => "cannot reach AWS: check the network and AWS_REGION".to_string(),
            };
            return CliError::new(EXIT_UNREACHABLE, format!("{hint} ({text})"));
        }
        CliError::new(EXIT_FAILURE, text)
    }
}

type CliResult<T = ()> = Result<T, CliError>;

async fn require_group(ctx: &Ctx) -> CliResult {
    let result = ctx.clients.sagemaker.describe_model_package_group().model_package_group_name(&ctx.group).send().await;
    match result {
        Ok(_) => Ok(()),
        Err(err) => {
            let text = format!("{err:?}");
            if text.contains("does not exist") || text.contains("ResourceNotFound") {
                Err(CliError::new(
                    EXIT_NOT_FOUND,
                    format!("model package group '{}' does not exist (set --group or MODEL_PACKAGE_GROUP_NAME)", ctx.group),
                ))
            } else {
                Err(registry::error::from_sdk("DescribeModelPackageGroup", err).into())
            }
        }
    }
}

async fn describe(ctx: &Ctx, arn: &str) -> CliResult<DescribeModelPackageOutput> {
    ctx.clients
        .sagemaker
        .describe_model_package()
        .model_package_name(arn)
        .send()
        .await
        .map_err(|err| registry::error::from_sdk("DescribeModelPackage", err).into())
}

/// Finds version `version` of the group.
async fn find(ctx: &Ctx, version: i32) -> CliResult<DescribeModelPackageOutput> {
    require_group(ctx).await?;
    let mut found = None;
    sagemaker::list_versions(&ctx.clients.sagemaker, &ctx.group, |v| {
        if v.version == Some(version) {
            found = Some(v.arn.clone());
            return true;
        }
        false
    })
    .await?;
    match found {
        Some(arn) => describe(ctx, &arn).await,
        None => Err(CliError::new(EXIT_NOT_FOUND, format!("version {version} does not exist in group '{}'", ctx.group))),
    }
}

fn metadata(package: &DescribeModelPackageOutput) -> BTreeMap<String, String> {
    package
        .customer_metadata_properties()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn approval(package: &DescribeModelPackageOutput) -> String {
    package.model_approval_status().map(|s| s.as_str().to_string()).unwrap_or_default()
}

/// The full metadata document the version references, when readable.
async fn document(ctx: &Ctx, package: &DescribeModelPackageOutput) -> Option<Value> {
    let uri = metadata(package).get("metadata-uri")?.clone();
    let (bucket, key) = uri.strip_prefix("s3://")?.split_once('/')?;
    let bytes = s3::get_optional(&ctx.clients.s3, bucket, key).await.ok()??;
    serde_json::from_slice(&bytes).ok()
}

pub async fn versions(ctx: &Ctx, status: Option<&str>) -> CliResult {
    require_group(ctx).await?;
    let summaries = sagemaker::list_versions(&ctx.clients.sagemaker, &ctx.group, |_| false).await?;
    let summaries: Vec<_> = summaries.into_iter().filter(|s| status.is_none_or(|want| s.approval_status == want)).collect();
    // The newest Approved version is the one deployments pick up.
    let production = summaries.iter().find(|s| s.approval_status == "Approved").map(|s| s.arn.clone());
    let production = production.as_deref();
    let rows: Vec<VersionRow> = stream::iter(summaries)
        .map(|summary| async move {
            let package = describe(ctx, &summary.arn).await?;
            let meta = metadata(&package);
            Ok::<_, CliError>(VersionRow {
                version: summary.version.unwrap_or_default(),
                model_name: meta.get("model-name").cloned().unwrap_or_default(),
                accuracy: meta.get("metric:accuracy").cloned().unwrap_or_default(),
                status: package.model_package_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                approval: summary.approval_status.clone(),
                created: summary.created.map(|t| output::timestamp(&t)).unwrap_or_default(),
                production: production == Some(summary.arn.as_str()),
                arn: summary.arn,
            })
        })
        .buffered(8)
        .try_collect()
        .await?;
    if ctx.json {
        output::print_json(&json!(rows));
    } else if rows.is_empty() {
        println!("no versions in group '{}'", ctx.group);
    } else {
        print!("{}", output::versions_table(&rows));
    }
    Ok(())
}

pub async fn show(ctx: &Ctx, version: i32) -> CliResult {
    let package = find(ctx, version).await?;
    let meta = metadata(&package);
    let doc = document(ctx, &package).await;
    let spec = package.inference_specification();
    let container = spec.and_then(|s| s.containers().first());
    let decided_by = package
        .last_modified_by()
        .and_then(|u| u.user_profile_name().map(String::from).or_else(|| u.iam_identity().and_then(|i| i.arn()).map(String::from)));
    let view = json!({
        "version": version,
        "arn": package.model_package_arn(),
        "group": ctx.group,
        "approval": approval(&package),
        "status": package.model_package_status().map(|s| s.as_str()),
        "description": package.model_package_description(),
        "artifact": container.and_then(|c| c.model_data_url()),
        "image": container.and_then(|c| c.image()),
        "content_types": spec.map(|s| s.supported_content_types()),
        "response_types": spec.map(|s| s.supported_response_mime_types()),
        "created": package.creation_time().map(output::timestamp),
        "lineage": package.metadata_properties().and_then(|m| m.generated_by()),
        "evaluation": package.model_metrics().and_then(|m| m.model_quality()).and_then(|q| q.statistics()).and_then(|s| s.s3_uri()),
        "decision": {
            "status": approval(&package),
            "description": package.approval_description(),
            "by": decided_by,
            "at": package.last_modified_time().map(output::timestamp),
        },
        "metadata": meta,
        "document": doc,
    });
    if ctx.json {
        output::print_json(&view);
    } else {
        print!("{}", output::show_text(&view));
    }
    Ok(())
}

/// Metrics and hyperparameters of a version: from the full document, else its metadata.
async fn numbers(ctx: &Ctx, package: &DescribeModelPackageOutput) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    if let Some(doc) = document(ctx, package).await {
        let section = |name: &str| -> BTreeMap<String, String> {
            doc.get(name)
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), registry::metadata::render(v))).collect())
                .unwrap_or_default()
        };
        return (section("metrics"), section("hyperparameters"));
    }
    let meta = metadata(package);
    let strip = |prefix: &str| -> BTreeMap<String, String> {
        meta.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone()))).collect()
    };
    (strip("metric:"), strip("hyperparameter:"))
}

pub async fn compare(ctx: &Ctx, a: i32, b: i32) -> CliResult {
    let (pa, pb) = (find(ctx, a).await?, find(ctx, b).await?);
    let (metrics_a, hyper_a) = numbers(ctx, &pa).await;
    let (metrics_b, hyper_b) = numbers(ctx, &pb).await;
    let metrics = output::side_by_side(&metrics_a, &metrics_b);
    let hyperparameters = output::side_by_side(&hyper_a, &hyper_b);
    if ctx.json {
        output::print_json(&json!({"a": a, "b": b, "metrics": metrics, "hyperparameters": hyperparameters}));
    } else {
        print!("{}", output::compare_text(a, b, &metrics, &hyperparameters));
    }
    Ok(())
}

pub async fn decide(ctx: &Ctx, version: i32, status: &str, reason: Option<&str>) -> CliResult {
    let package = find(ctx, version).await?;
    let current = approval(&package);
    if current == status {
        return Err(CliError::new(EXIT_REFUSED, format!("version {version} is already {status}; nothing changed")));
    }
    let arn = package.model_package_arn().unwrap_or_default().to_string();
    let mut request = ctx
        .clients
        .sagemaker
        .update_model_package()
        .model_package_arn(&arn)
        .model_approval_status(ModelApprovalStatus::from(status));
    if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
        request = request.approval_description(limits::sanitize_description(reason));
    } else if status == "Rejected" {
        return Err(CliError::new(2, "reject needs --reason: reviewers and notifications read it"));
    }
    request.send().await.map_err(|err| CliError::from(registry::error::from_sdk("UpdateModelPackage", err)))?;
    if ctx.json {
        output::print_json(&json!({"version": version, "arn": arn, "previous": current, "approval": status, "reason": reason}));
    } else {
        println!("version {version}: {current} -> {status}");
    }
    Ok(())
}

pub async fn register(ctx: &Ctx, uri: &str, metadata_file: Option<&std::path::Path>) -> CliResult {
    let (bucket, key) = uri
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| CliError::new(2, format!("'{uri}' is not an s3://bucket/key URI")))?;
    let group = ctx.group.clone();
    let config = RegisterConfig::from_lookup(|name| {
        if name == "MODEL_PACKAGE_GROUP_NAME" { Some(group.clone()) } else { std::env::var(name).ok() }
    })
    .map_err(|err| CliError::new(2, err.to_string()))?;
    let metadata_bytes = match metadata_file {
        Some(path) => Some(std::fs::read(path).map_err(|err| CliError::new(EXIT_FAILURE, format!("{}: {err}", path.display())))?),
        None => None,
    };
    let registrar = Registrar { config, sagemaker: ctx.clients.sagemaker.clone(), s3: ctx.clients.s3.clone() };
    let event = registry::intake::ObjectEvent {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id: None,
        etag: None,
        size: None,
        event_name: "ObjectCreated:Put".into(),
        sequencer: None,
    };
    if let Some(reason) = registry::register::skip_reason(&registrar.config, &event) {
        return Err(CliError::new(2, format!("{uri}: {reason}")));
    }
    let object = match s3::head(&ctx.clients.s3, bucket, key, None, None).await? {
        s3::Head::Found(object) => object,
        _ => return Err(CliError::new(EXIT_NOT_FOUND, format!("{uri} does not exist"))),
    };
    let result = registrar.register_object(object, metadata_bytes).await?;
    if ctx.json {
        output::print_json(&json!(result));
    } else {
        match (&result.version, &result.reason) {
            (Some(version), _) => println!("{uri}: {:?} as version {version} ({})", result.status, result.arn.as_deref().unwrap_or("")),
            (None, Some(reason)) => println!("{uri}: {:?}: {reason}", result.status),
            _ => println!("{uri}: {:?}", result.status),
        }
    }
    Ok(())
}
