//! The commands: each reads or changes the registry through `registry`'s adapters, and turns
//! every failure into a documented exit code and a message that says what to do.

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
use aws_sdk_sagemaker::types::{ModelApprovalStatus, ModelPackageGroupSortBy, SortOrder, UserContext};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::http::Response;
use futures::stream::{self, StreamExt, TryStreamExt};
use registry::config::RegisterConfig;
use registry::metadata::MetadataFile;
use registry::register::{Registrar, Status};
use registry::{limits, s3, sagemaker, Error};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::output::{self, VersionRow};

/// A connection that does not open within this is an unreachable endpoint, not a slow one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// DescribeModelPackage calls in flight while listing versions.
const DESCRIBE_CONCURRENCY: usize = 8;
/// What `approve` records when no reason is given, so that an earlier reason does not linger
/// (SageMaker keeps the ApprovalDescription an update does not replace).
pub const NO_REASON: &str = "no reason given";

pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_NOT_FOUND: u8 = 3;
pub const EXIT_REFUSED: u8 = 4;
pub const EXIT_UNREACHABLE: u8 = 5;

/// A failure with its documented exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    fn new(code: u8, message: impl Into<String>) -> Self {
        CliError { code, message: message.into() }
    }
}

type CliResult<T = ()> = Result<T, CliError>;

/// Error codes meaning AWS received the request but not valid credentials.
const REJECTED_CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "InvalidAccessKeyId",
];

fn endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.trim().is_empty())
}

/// Turns a failed AWS call into what an operator can act on. `code` is the service's error
/// code (`None` when no response was understood), `detail` the whole error chain.
fn classify(operation: &str, code: Option<&str>, status: Option<u16>, detail: &str) -> CliError {
    let lower = detail.to_lowercase();
    let code = code.filter(|c| !c.is_empty());
    if let Some(code) = code.filter(|c| REJECTED_CREDENTIAL_CODES.contains(c)) {
        return CliError::new(
            EXIT_UNREACHABLE,
            format!(
                "AWS rejected the credentials ({code}): refresh them (`aws sso login`, new access keys) \
                 or choose another AWS_PROFILE ({operation}: {detail})"
            ),
        );
    }
    if code.is_some_and(|c| c.starts_with("AccessDenied")) || lower.contains("accessdenied") {
        return CliError::new(
            EXIT_FAILURE,
            format!("{operation} was denied: the identity in use lacks that permission; ask for it or use another AWS_PROFILE ({detail})"),
        );
    }
    let transport = code.is_none() || code == Some("Unknown");
    if transport && (lower.contains("loading credentials") || lower.contains("no credentials") || lower.contains("credentials provider")) {
        return CliError::new(
            EXIT_UNREACHABLE,
            format!(
                "no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`) or \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; against the local emulator any values do, \
                 e.g. test/test ({detail})"
            ),
        );
    }
    let unreachable = ["dispatch failure", "connection refused", "tcp connect", "timed out", "timeout", "dns error", "failed to lookup", "connect error"];
    if transport && unreachable.iter().any(|needle| lower.contains(needle)) {
        let hint = match endpoint() {
            Some(endpoint) => format!(
                "cannot reach {endpoint} (AWS_ENDPOINT_URL): is the local emulator running? Start one with \
                 `scripts/localaws.sh <command>`, or unset AWS_ENDPOINT_URL to use AWS"
            ),
            None => "cannot reach AWS: check the network, a proxy, and AWS_REGION".to_string(),
        };
        return CliError::new(EXIT_UNREACHABLE, format!("{hint} ({operation}: {detail})"));
    }
    if code == Some("Unknown") {
        if let Some(endpoint) = endpoint() {
            let status = status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "something".into());
            return CliError::new(
                EXIT_UNREACHABLE,
                format!("{endpoint} (AWS_ENDPOINT_URL) answered {operation} with {status}, not like AWS: check the URL"),
            );
        }
    }
    CliError::new(EXIT_FAILURE, format!("{operation} failed: {detail}"))
}

/// An SDK error of a call the CLI makes itself.
fn aws<E>(operation: &str, err: SdkError<E, Response>) -> CliError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = registry::error::error_code(&err).map(String::from);
    let code = code.or_else(|| matches!(err, SdkError::ServiceError(_)).then(|| "Unknown".to_string()));
    classify(operation, code.as_deref(), registry::error::http_status(&err), &registry::error::describe(&err))
}

/// An error of the shared registry code.
impl From<Error> for CliError {
    fn from(err: Error) -> Self {
        match err {
            Error::Service { operation, code, message } => classify(operation, Some(&code), None, &message),
            Error::Transient { operation, message } => {
                // `message` starts with the service's code when there was one.
                let code = message.split_once(':').map(|(c, _)| c).filter(|c| !c.contains(' '));
                classify(operation, code, None, &message)
            }
            Error::Config { .. } | Error::InvalidEvent(_) => CliError::new(EXIT_USAGE, err.to_string()),
            Error::InvalidInput(_) => CliError::new(EXIT_FAILURE, err.to_string()),
            Error::InProgress { .. } => {
                CliError::new(EXIT_FAILURE, format!("{err}: run the command again in a minute"))
            }
        }
    }
}

/// Forbids the SDK's retries when the connection could not even be opened (refused, connect
/// timeout, DNS): an operator waiting on a dead endpoint should hear about it at once, not
/// after three attempts and their backoff. Failures on an open connection (a reset pooled
/// connection, throttling, 5xx) keep the SDK's retries.
#[derive(Debug)]
struct NoRetryWhenUnreachable;

impl ClassifyRetry for NoRetryWhenUnreachable {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(err)) = ctx.output_or_error() else { return RetryAction::NoActionIndicated };
        match err.as_connector_error() {
            Some(connector) if is_connect_failure(connector) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "NoRetryWhenUnreachable"
    }
}

/// Whether a transport error happened while connecting (hyper names that phase `Connect`).
fn is_connect_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if text.contains("(Connect)") || text.contains("tcp connect error") || text.contains("connect timeout") {
            return true;
        }
        current = e.source();
    }
    false
}

pub struct Ctx {
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub s3: aws_sdk_s3::Client,
    pub group: String,
    pub json: bool,
    /// The region the SDK resolved (environment or profile).
    pub region: String,
}

impl Ctx {
    /// Clients from the environment that fail fast on an unreachable endpoint: a short connect
    /// timeout and no retries of a connection that could not be opened.
    pub async fn from_env(group: String, json: bool) -> CliResult<Self> {
        let force_path_style = registry::config::force_path_style().map_err(|err| CliError::new(EXIT_USAGE, err.to_string()))?;
        let config = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).build())
            .load()
            .await;
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            CliError::new(
                EXIT_UNREACHABLE,
                "no AWS region: set AWS_REGION (e.g. AWS_REGION=us-east-1) or a region in your AWS_PROFILE",
            )
        })?;
        let sagemaker_config = aws_sdk_sagemaker::config::Builder::from(&config).retry_classifier(NoRetryWhenUnreachable).build();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(force_path_style)
            .retry_classifier(NoRetryWhenUnreachable)
            .build();
        Ok(Ctx {
            sagemaker: aws_sdk_sagemaker::Client::from_conf(sagemaker_config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            group,
            json,
            region,
        })
    }

    fn whereabouts(&self) -> String {
        match endpoint() {
            Some(endpoint) => format!("{} at {endpoint}", self.region),
            None => self.region.clone(),
        }
    }
}

/// Fails with "not found" and the groups that do exist when the group does not.
async fn require_group(ctx: &Ctx) -> CliResult {
    let err = match ctx.sagemaker.describe_model_package_group().model_package_group_name(&ctx.group).send().await {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    if !registry::sagemaker::is_missing(&err) {
        return Err(aws("DescribeModelPackageGroup", err));
    }
    let groups = ctx
        .sagemaker
        .list_model_package_groups()
        .sort_by(ModelPackageGroupSortBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .max_results(10)
        .send()
        .await
        .map(|out| out.model_package_group_summary_list().iter().filter_map(|g| g.model_package_group_name().map(String::from)).collect::<Vec<_>>())
        .unwrap_or_default();
    let known = if groups.is_empty() {
        "no group exists there yet (`modelreg register s3://...` or the register-model function creates one)".to_string()
    } else {
        format!("existing groups (newest first): {}", groups.join(", "))
    };
    Err(CliError::new(
        EXIT_NOT_FOUND,
        format!(
            "model package group '{}' does not exist in {}; {known}. Pass --group NAME or set MODEL_PACKAGE_GROUP_NAME",
            ctx.group,
            ctx.whereabouts()
        ),
    ))
}

async fn describe(ctx: &Ctx, arn: &str) -> CliResult<DescribeModelPackageOutput> {
    ctx
        .sagemaker
        .describe_model_package()
        .model_package_name(arn)
        .send()
        .await
        .map_err(|err| aws("DescribeModelPackage", err))
}

/// Finds version `version` of the group (newest first, so recent versions are found on the
/// first page).
pub(crate) async fn find(ctx: &Ctx, version: i32) -> CliResult<DescribeModelPackageOutput> {
    require_group(ctx).await?;
    let mut found = None;
    let mut newest = None;
    sagemaker::list_versions(&ctx.sagemaker, &ctx.group, |v| {
        newest = newest.max(v.version);
        if v.version == Some(version) {
            found = Some(v.arn.clone());
            return true;
        }
        false
    })
    .await?;
    match found {
        Some(arn) => describe(ctx, &arn).await,
        None => {
            let range = match newest {
                Some(n) => format!("its newest is {n}; `modelreg versions --group {}` lists them", ctx.group),
                None => "it has no versions yet".to_string(),
            };
            Err(CliError::new(EXIT_NOT_FOUND, format!("version {version} does not exist in group '{}': {range}", ctx.group)))
        }
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
async fn document(ctx: &Ctx, meta: &BTreeMap<String, String>) -> Option<Value> {
    let (bucket, key) = meta.get("metadata-uri")?.strip_prefix("s3://")?.split_once('/')?;
    let bytes = s3::get_optional(&ctx.s3, bucket, key).await.ok()??;
    serde_json::from_slice::<Value>(&bytes).ok().filter(Value::is_object)
}

/// A metadata string as JSON: numbers as numbers, the rest as text.
fn typed(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Number(n)) => Value::Number(n),
        _ => Value::String(text.to_string()),
    }
}

/// One section (`metrics`, `hyperparameters`, `data`) of a version: from the full document,
/// else from the `<prefix>` entries of its metadata.
fn section(doc: Option<&Value>, meta: &BTreeMap<String, String>, name: &str, prefix: &str) -> Map<String, Value> {
    if let Some(map) = doc.and_then(|d| d.get(name)).and_then(Value::as_object) {
        return map.clone();
    }
    meta.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), typed(v)))).collect()
}

/// Who a SageMaker user context names: the IAM identity (real AWS, for model packages), else a
/// Studio user profile; `None` when the endpoint recorded nobody.
pub fn who(user: Option<&UserContext>) -> Option<String> {
    let user = user?;
    if let Some(identity) = user.iam_identity() {
        if let Some(arn) = identity.arn() {
            return Some(match identity.source_identity() {
                Some(source) => format!("{arn} (source identity {source})"),
                None => arn.to_string(),
            });
        }
    }
    let profile = user.user_profile_name().or(user.user_profile_arn())?;
    Some(match user.domain_id() {
        Some(domain) => format!("SageMaker Studio user profile {profile} (domain {domain})"),
        None => format!("SageMaker Studio user profile {profile}"),
    })
}

pub async fn versions(ctx: &Ctx, status: Option<&str>) -> CliResult {
    require_group(ctx).await?;
    let mut summaries = sagemaker::list_versions(&ctx.sagemaker, &ctx.group, |_| false).await?;
    // Newest first by version number: creation times can tie, version numbers cannot.
    summaries.sort_by(|a, b| b.version.cmp(&a.version));
    // The newest Approved version is the one a deployment of "the latest approved model" picks up.
    let production = summaries.iter().find(|s| s.approval_status == "Approved").map(|s| s.arn.clone());
    let selected: Vec<_> = summaries.into_iter().filter(|s| status.is_none_or(|want| s.approval_status == want)).collect();
    let production = production.as_deref();
    let rows: Vec<VersionRow> = stream::iter(selected)
        .map(|summary| async move {
            let package = describe(ctx, &summary.arn).await?;
            let meta = metadata(&package);
            Ok::<_, CliError>(VersionRow {
                version: summary.version.or(package.model_package_version()).unwrap_or_default(),
                model_name: meta.get("model-name").cloned(),
                accuracy: meta.get("metric:accuracy").cloned(),
                status: package.model_package_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                approval: summary.approval_status.clone(),
                created: summary.created.or(package.creation_time().cloned()),
                production: production == Some(summary.arn.as_str()),
                arn: summary.arn,
            })
        })
        .buffered(DESCRIBE_CONCURRENCY)
        .try_collect()
        .await?;
    if ctx.json {
        output::print_json(&Value::Array(rows.iter().map(VersionRow::to_json).collect()));
    } else if rows.is_empty() {
        match status {
            Some(status) => println!("no {status} versions in group '{}'", ctx.group),
            None => println!("no versions in group '{}'", ctx.group),
        }
    } else {
        print!("{}", output::versions_table(&rows));
    }
    Ok(())
}

pub async fn show(ctx: &Ctx, version: i32) -> CliResult {
    let package = find(ctx, version).await?;
    let meta = metadata(&package);
    let doc = document(ctx, &meta).await;
    let spec = package.inference_specification();
    let container = spec.and_then(|s| s.containers().first());
    let training_job = meta
        .get("training-job")
        .cloned()
        .or_else(|| doc.as_ref().and_then(|d| d["training_job"]["arn"].as_str().map(String::from)));
    let list = |key: &str| doc.as_ref().and_then(|d| d.get(key)).cloned().unwrap_or_else(|| json!([]));
    let view = json!({
        "version": version,
        "arn": package.model_package_arn(),
        "group": ctx.group,
        "approval": approval(&package),
        "status": package.model_package_status().map(|s| s.as_str()),
        "description": package.model_package_description(),
        "created": package.creation_time().map(output::timestamp_json),
        "created_by": who(package.created_by()),
        "artifact": container.and_then(|c| c.model_data_url()),
        "image": container.and_then(|c| c.image()),
        "content_types": spec.map(|s| s.supported_content_types()),
        "response_types": spec.map(|s| s.supported_response_mime_types()),
        "evaluation": package.model_metrics().and_then(|m| m.model_quality()).and_then(|q| q.statistics()).and_then(|s| s.s3_uri()),
        "lineage": {
            "generated_by": package.metadata_properties().and_then(|m| m.generated_by()),
            "source": meta.get("source-uri"),
            "training_job": training_job,
        },
        "metrics": section(doc.as_ref(), &meta, "metrics", "metric:"),
        "hyperparameters": section(doc.as_ref(), &meta, "hyperparameters", "hyperparameter:"),
        "data": section(doc.as_ref(), &meta, "data", "data:"),
        "decision": {
            "status": approval(&package),
            "description": package.approval_description(),
            "by": who(package.last_modified_by()),
            "at": package.last_modified_time().map(output::timestamp_json),
        },
        "metadata": meta,
        "document_uri": meta.get("metadata-uri"),
        "document": doc,
        "missing": list("missing"),
        "notes": list("notes"),
    });
    if ctx.json {
        output::print_json(&view);
    } else {
        print!("{}", output::show_text(&view));
    }
    Ok(())
}

/// Metrics and hyperparameters of a version, rendered as text.
async fn numbers(ctx: &Ctx, package: &DescribeModelPackageOutput) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let meta = metadata(package);
    let doc = document(ctx, &meta).await;
    let rendered = |name: &str, prefix: &str| -> BTreeMap<String, String> {
        section(doc.as_ref(), &meta, name, prefix).iter().map(|(k, v)| (k.clone(), registry::metadata::render(v))).collect()
    };
    (rendered("metrics", "metric:"), rendered("hyperparameters", "hyperparameter:"))
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

/// What `approve` and `reject` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    fn status(self) -> &'static str {
        match self {
            Decision::Approve => "Approved",
            Decision::Reject => "Rejected",
        }
    }
}

pub async fn decide(ctx: &Ctx, version: i32, decision: Decision, reason: Option<&str>) -> CliResult {
    let reason = reason.map(limits::sanitize_description).filter(|r| !r.is_empty());
    if decision == Decision::Reject && reason.is_none() {
        return Err(CliError::new(EXIT_USAGE, "reject needs a non-empty --reason: reviewers and notifications read it"));
    }
    let status = decision.status();
    let package = find(ctx, version).await?;
    let current = approval(&package);
    if current == status {
        let by = who(package.last_modified_by()).map(|by| format!(" by {by}")).unwrap_or_default();
        let at = package.last_modified_time().map(|t| format!(" at {}", output::timestamp(t))).unwrap_or_default();
        let why = package.approval_description().map(|d| format!(": \"{d}\"")).unwrap_or_default();
        return Err(CliError::new(
            EXIT_REFUSED,
            format!("version {version} of '{}' is already {status}{by}{at}{why}; nothing changed", ctx.group),
        ));
    }
    let arn = package.model_package_arn().unwrap_or_default().to_string();
    let description = reason.clone().unwrap_or_else(|| NO_REASON.to_string());
    ctx
        .sagemaker
        .update_model_package()
        .model_package_arn(&arn)
        .model_approval_status(ModelApprovalStatus::from(status))
        .approval_description(&description)
        .send()
        .await
        .map_err(|err| aws("UpdateModelPackage", err))?;
    if ctx.json {
        output::print_json(&json!({"version": version, "arn": arn, "previous": current, "approval": status, "reason": description}));
    } else {
        println!("version {version} of '{}': {current} -> {status} (\"{description}\")", ctx.group);
    }
    Ok(())
}

pub async fn register(ctx: &Ctx, uri: &str, metadata_file: Option<&std::path::Path>) -> CliResult {
    let (bucket, key) = uri
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
        .ok_or_else(|| CliError::new(EXIT_USAGE, format!("'{uri}' is not an s3://bucket/key URI")))?;
    let config = RegisterConfig::from_lookup(|name| match name {
        "MODEL_PACKAGE_GROUP_NAME" => Some(ctx.group.clone()),
        // The region may come from a profile rather than the environment.
        "AWS_REGION" => std::env::var(name).ok().or_else(|| Some(ctx.region.clone())),
        _ => std::env::var(name).ok(),
    })
    .map_err(|err| CliError::new(EXIT_USAGE, err.to_string()))?;
    let event = registry::intake::ObjectEvent {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id: None,
        etag: None,
        size: None,
        event_name: "ObjectCreated:Put".into(),
        sequencer: None,
    };
    if let Some(reason) = registry::register::skip_reason(&config, &event) {
        return Err(CliError::new(EXIT_USAGE, format!("{uri} is not registered: {reason}")));
    }
    // Read and check the metadata file before touching anything.
    let metadata_bytes = match metadata_file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|err| CliError::new(EXIT_FAILURE, format!("--metadata {}: {err}", path.display())))?;
            MetadataFile::parse(&bytes).map_err(|err| CliError::new(EXIT_FAILURE, format!("--metadata {}: {err}", path.display())))?;
            Some(bytes)
        }
        None => None,
    };
    let object = match s3::head(&ctx.s3, bucket, key, None, None).await? {
        s3::Head::Found(object) => object,
        _ => {
            return Err(CliError::new(
                EXIT_NOT_FOUND,
                format!("{uri} does not exist (or the bucket does not): check the bucket and key, e.g. `aws s3 ls s3://{bucket}/`"),
            ))
        }
    };
    if object.size == 0 {
        return Err(CliError::new(EXIT_USAGE, format!("{uri} is empty: not a model artifact")));
    }
    let registrar = Registrar { config, sagemaker: ctx.sagemaker.clone(), s3: ctx.s3.clone() };
    let result = registrar.register_object(object, metadata_bytes).await?;
    let registered = matches!(result.status, Status::Registered | Status::Duplicate);
    if ctx.json {
        output::print_json(&json!(result));
    } else {
        let version = result.version.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        let arn = result.arn.as_deref().unwrap_or("");
        match result.status {
            Status::Registered => println!("{uri}: registered as version {version} of '{}' ({arn})", ctx.group),
            Status::Duplicate => println!("{uri}: already registered as version {version} of '{}' ({arn}); nothing changed", ctx.group),
            _ => {}
        }
    }
    if registered {
        Ok(())
    } else {
        let reason = result.reason.unwrap_or_default();
        Err(CliError::new(EXIT_FAILURE, format!("{uri} was not registered ({:?}): {reason}; run the command again", result.status)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_rejected_credentials_when_classified_then_exit_5_says_refresh() {
        let err = classify("ListModelPackages", Some("ExpiredTokenException"), Some(400), "ExpiredTokenException: expired");
        assert_eq!(err.code, EXIT_UNREACHABLE);
        assert!(err.message.contains("aws sso login"), "{}", err.message);
    }

    #[test]
    fn given_missing_credentials_when_classified_then_exit_5_names_the_variables() {
        let detail = "dispatch failure: other: an error occurred while loading credentials: no providers in chain";
        let err = classify("DescribeModelPackageGroup", None, None, detail);
        assert_eq!(err.code, EXIT_UNREACHABLE);
        assert!(err.message.contains("AWS_ACCESS_KEY_ID"), "{}", err.message);
    }

    #[test]
    fn given_access_denied_when_classified_then_exit_1_names_the_call() {
        let err = classify("UpdateModelPackage", Some("AccessDeniedException"), Some(400), "AccessDeniedException: no");
        assert_eq!(err.code, EXIT_FAILURE);
        assert!(err.message.starts_with("UpdateModelPackage was denied"), "{}", err.message);
    }

    #[test]
    fn given_registry_transient_connect_error_when_converted_then_unreachable() {
        let err = CliError::from(Error::Transient {
            operation: "HeadObject",
            message: "dispatch failure: io error: tcp connect error: Connection refused (os error 111)".into(),
        });
        assert_eq!(err.code, EXIT_UNREACHABLE);
    }

    #[test]
    fn given_validation_error_when_classified_then_plain_failure() {
        let err = classify("UpdateModelPackage", Some("ValidationException"), Some(400), "ValidationException: bad");
        assert_eq!(err.code, EXIT_FAILURE);
    }

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<Chain>>);

    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Chain {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn given_connect_phase_failure_when_checked_then_not_retried_but_a_reset_connection_is() {
        let refused = Chain("io error", Some(Box::new(Chain("client error (Connect)", Some(Box::new(Chain("Connection refused", None)))))));
        assert!(is_connect_failure(&refused));
        let reset = Chain("io error", Some(Box::new(Chain("connection closed before message completed", None))));
        assert!(!is_connect_failure(&reset));
    }
}
