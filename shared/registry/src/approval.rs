//! Approvals: SageMaker "Model Package State Change" events in, one notification per decision
//! out.
//!
//! Parse first, act second: [`parse_event`] turns the raw payload into a typed
//! [`StateChangeEvent`], [`decide`] (pure) says what happened and why, and only then does the
//! [`Notifier`] read the registry and publish.
//!
//! # What happened (DESIGN.md "Results and notifications")
//! - With `UpdatedModelPackageFields`, only a change of `ModelApprovalStatus` to `Approved` or
//!   `Rejected` is a decision; metadata, description and lifecycle updates re-emit the same
//!   event with the old status and are ignored (reacting to them loops or spams).
//! - Without it (older event format, or an empty list), `PendingManualApproval` is a new version
//!   waiting for review and `Approved` / `Rejected` a decision.
//! - Other groups, other detail types, other statuses: acknowledged and ignored, with the reason.
//!
//! # Once per decision: the claim chain
//! EventBridge and Lambda deliver at least once, and SageMaker may emit several events for one
//! change. Each decision has an identity (review requested: the version; approved/rejected:
//! the version, the status and `LastModifiedTime`, else the event's time) and a chain of claim
//! records in `STATE_BUCKET` at
//! `<REGISTRY_PREFIX>notifications/<group>/<version>/<event>-<identity>.json`
//! (then `...-<identity>.attempt-2.json`, `-3`, ...). An invocation:
//! 1. composes the message first (SageMaker reads; a failure there leaves no trace);
//! 2. claims attempt 1 with a conditional write (`If-None-Match: *`) of a `pending` record;
//! 3. when it wins: publishes, then overwrites its record with `sent` (or `failed` when the
//!    publish failed, and returns the error so that Lambda retries);
//! 4. when it loses: reads the record. `sent`: a duplicate, nothing published. `pending` and
//!    younger than `NOTIFICATION_CLAIM_STALE_SECONDS` (default 60, above the function timeout):
//!    another invocation is publishing now, so return a retryable error (its retry then finds
//!    `sent`, or a stale claim). `failed`, or `pending` and stale (its invocation died): claim
//!    the next attempt the same way, so exactly one invocation takes over.
//!
//! Claiming after publishing could publish twice under concurrency, and claiming once before
//! publishing loses the message when the publish fails; the chain gives at-least-once delivery
//! and no duplicate on redelivery. The one remaining duplicate: an invocation that publishes
//! and dies before recording `sent` is re-published by a redelivery after the stale time.
//! Records are only read after a lost conditional write, so the key exists: no `s3:ListBucket`
//! is needed to tell "missing" from "forbidden".

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_sdk_s3::Client as S3Client;
use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{
    ModelApprovalStatus, ModelPackageSortBy, SortOrder, UserContext as SdkUserContext,
};
use aws_sdk_sagemaker::Client as SageMakerClient;
use aws_smithy_types::date_time::Format;
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::{error, info, warn};

use crate::config;
use crate::error::{from_sdk, Error, Result};
use crate::notify::{self, DecidedBy, Decision, Notification, NotificationKind, VersionFacts};
use crate::s3;

pub const DETAIL_TYPE: &str = "SageMaker Model Package State Change";
pub const SOURCE: &str = "aws.sagemaker";
/// A claim older than this belongs to an invocation that died (the function timeout is 30 s).
pub const DEFAULT_CLAIM_STALE_SECS: u64 = 60;
/// Attempts per decision before giving up (each failed publish or dead invocation uses one).
pub const MAX_ATTEMPTS: u32 = 20;

// ------------------------------------------------------------------------------ configuration

/// How `approval-handler` behaves; built by [`ApprovalConfig::from_env`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalConfig {
    /// The group whose versions are announced; events of other groups are ignored.
    pub group_name: String,
    pub topic_arn: String,
    /// Bucket of the dedupe records.
    pub state_bucket: String,
    pub registry_prefix: String,
    pub claim_stale_secs: u64,
}

impl ApprovalConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = config::non_empty(lookup);
        let group_name = config::group_name(&get)?;

        let topic_arn = get("NOTIFICATION_TOPIC_ARN")
            .ok_or_else(|| Error::config("NOTIFICATION_TOPIC_ARN", "is required: the SNS topic to notify"))?;
        if !topic_arn_pattern().is_match(&topic_arn) {
            return Err(Error::config(
                "NOTIFICATION_TOPIC_ARN",
                format!("'{topic_arn}' is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)"),
            ));
        }

        let state_bucket = get("STATE_BUCKET")
            .ok_or_else(|| Error::config("STATE_BUCKET", "is required: the bucket of the notification records"))?;
        let bucket_ok = (3..=63).contains(&state_bucket.len())
            && state_bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            && state_bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && state_bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(Error::config("STATE_BUCKET", format!("'{state_bucket}' is not an S3 bucket name")));
        }

        let registry_prefix = config::registry_prefix(&get)?;

        let claim_stale_secs = match get("NOTIFICATION_CLAIM_STALE_SECONDS") {
            None => DEFAULT_CLAIM_STALE_SECS,
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
                .ok_or_else(|| Error::config("NOTIFICATION_CLAIM_STALE_SECONDS", format!("'{raw}' is not a number of seconds between 1 and 86400")))?,
        };

        Ok(ApprovalConfig { group_name, topic_arn, state_bucket, registry_prefix, claim_stale_secs })
    }
}

fn topic_arn_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
            .unwrap_or_else(|_| unreachable!())
    })
}

// ------------------------------------------------------------------------------ typed intake

/// The EventBridge event SageMaker emits for a model package.
pub type StateChangeEvent = EventBridgeEvent<ModelPackageStateChange>;

/// An approval status, with a catch-all for values this code does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalStatus {
    PendingManualApproval,
    Approved,
    Rejected,
    Other(String),
}

impl ApprovalStatus {
    pub fn as_str(&self) -> &str {
        match self {
            ApprovalStatus::PendingManualApproval => "PendingManualApproval",
            ApprovalStatus::Approved => "Approved",
            ApprovalStatus::Rejected => "Rejected",
            ApprovalStatus::Other(other) => other,
        }
    }
}

impl From<&str> for ApprovalStatus {
    fn from(value: &str) -> Self {
        match value {
            "PendingManualApproval" => ApprovalStatus::PendingManualApproval,
            "Approved" => ApprovalStatus::Approved,
            "Rejected" => ApprovalStatus::Rejected,
            other => ApprovalStatus::Other(other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for ApprovalStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(ApprovalStatus::from(text.as_str()))
    }
}

impl Serialize for ApprovalStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A point in time from an event: ISO 8601 strings and epoch milliseconds (numbers or digit
/// strings) are both seen in SageMaker events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventTime(pub DateTime);

impl EventTime {
    /// Parses the forms events use; `None` for anything else.
    pub fn parse(value: &Value) -> Option<Self> {
        match value {
            Value::Number(n) => n.as_f64().and_then(Self::from_number),
            Value::String(s) => {
                let s = s.trim();
                if let Ok(n) = s.parse::<f64>() {
                    return Self::from_number(n);
                }
                DateTime::from_str(s, Format::DateTimeWithOffset).ok().map(EventTime)
            }
            _ => None,
        }
    }

    /// Epoch milliseconds; small values are taken as seconds (what the SDKs' JSON uses).
    fn from_number(n: f64) -> Option<Self> {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        if n >= 100_000_000_000.0 {
            Some(EventTime(DateTime::from_millis(n as i64)))
        } else {
            Some(EventTime(DateTime::from_secs_f64(n)))
        }
    }

    pub fn millis(&self) -> Option<i64> {
        self.0.to_millis().ok()
    }

    /// ISO 8601 (`2024-05-01T10:00:00.123Z`).
    pub fn iso(&self) -> String {
        iso(&self.0)
    }
}

fn iso(time: &DateTime) -> String {
    time.fmt(Format::DateTime).unwrap_or_else(|_| time.secs().to_string())
}

impl Serialize for EventTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.iso())
    }
}

/// Who created or changed a package (SageMaker's `UserContext`). A bare string is taken as
/// the user profile name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_identity: Option<IamIdentity>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamIdentity {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub source_identity: Option<String>,
}

impl UserContext {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(name) if !name.trim().is_empty() => {
                Some(UserContext { user_profile_name: Some(name.trim().to_string()), ..UserContext::default() })
            }
            Value::Object(map) => {
                let text = |key: &str| map.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
                let context = UserContext {
                    user_profile_name: text("UserProfileName"),
                    user_profile_arn: text("UserProfileArn"),
                    domain_id: text("DomainId"),
                    iam_identity: map.get("IamIdentity").and_then(|v| serde_json::from_value(v.clone()).ok()),
                };
                Some(context)
            }
            _ => None,
        }
    }

    pub fn decided_by(&self) -> DecidedBy {
        DecidedBy {
            user_profile_name: self.user_profile_name.clone(),
            user_profile_arn: self.user_profile_arn.clone(),
            domain_id: self.domain_id.clone(),
            iam_arn: self.iam_identity.as_ref().and_then(|i| i.arn.clone()),
        }
    }
}

/// `ModelLifeCycle` of a package (stage changes re-emit the state change event).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ModelLifeCycle {
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub stage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub stage_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient_string")]
    pub stage_description: Option<String>,
}

/// The `detail` of a model package state change: what this handler reads of it. Every field is
/// optional and read leniently; unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ModelPackageStateChange {
    #[serde(deserialize_with = "lenient_string")]
    pub model_package_group_name: Option<String>,
    /// A number in documented events, a string in some real ones.
    #[serde(deserialize_with = "lenient_version")]
    pub model_package_version: Option<i32>,
    #[serde(deserialize_with = "lenient_string")]
    pub model_package_arn: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub model_package_name: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub model_package_description: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub model_package_status: Option<String>,
    #[serde(deserialize_with = "lenient_status")]
    pub model_approval_status: Option<ApprovalStatus>,
    #[serde(deserialize_with = "lenient_string")]
    pub approval_description: Option<String>,
    #[serde(deserialize_with = "lenient_time")]
    pub creation_time: Option<EventTime>,
    #[serde(deserialize_with = "lenient_time")]
    pub last_modified_time: Option<EventTime>,
    #[serde(deserialize_with = "lenient_user")]
    pub created_by: Option<UserContext>,
    #[serde(alias = "ModifiedBy", deserialize_with = "lenient_user")]
    pub last_modified_by: Option<UserContext>,
    /// What an update changed: `ModelApprovalStatus`, `ApprovalDescription`,
    /// `CustomerMetadataProperties`, `ModelLifeCycle`, ... Absent on creation events and in the
    /// older event format.
    #[serde(deserialize_with = "lenient_fields")]
    pub updated_model_package_fields: Option<Vec<String>>,
    #[serde(deserialize_with = "lenient_metadata")]
    pub customer_metadata_properties: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "lenient_lifecycle")]
    pub model_life_cycle: Option<ModelLifeCycle>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_specification: Option<Value>,
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn lenient_version<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i32>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .and_then(|n| i32::try_from(n).ok())
            .filter(|n| *n > 0),
        Value::String(s) => s.trim().parse::<i32>().ok().filter(|n| *n > 0),
        _ => None,
    })
}

fn lenient_status<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<ApprovalStatus>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.trim().is_empty() => Some(ApprovalStatus::from(s.trim())),
        _ => None,
    })
}

fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<EventTime>, D::Error> {
    Ok(EventTime::parse(&Value::deserialize(d)?))
}

fn lenient_user<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<UserContext>, D::Error> {
    Ok(UserContext::from_value(&Value::deserialize(d)?))
}

fn lenient_fields<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<String>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).map(String::from).collect()),
        Value::String(one) => Some(one.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()),
        _ => None,
    })
}

fn lenient_metadata<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<BTreeMap<String, String>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => Some(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect(),
        ),
        _ => None,
    })
}

fn lenient_lifecycle<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<ModelLifeCycle>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

/// What a payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    StateChange(Box<StateChangeEvent>),
    /// An EventBridge event of another kind (`detail-type`, `source`).
    Other { detail_type: String, source: String },
}

/// Parses an invocation payload. Tolerates the documented example's repeated `source` (a JSON
/// parser keeps the last one, an array) and an epoch-milliseconds `time`.
pub fn parse_event(payload: &Value) -> Result<Parsed> {
    let Value::Object(map) = payload else {
        return Err(Error::InvalidEvent("payload is not a JSON object".into()));
    };
    let mut map = map.clone();
    if let Some(Value::Array(sources)) = map.get("source") {
        if let Some(first) = sources.iter().find_map(Value::as_str) {
            let first = first.to_string();
            map.insert("source".into(), first.into());
        }
    }
    let detail_type = map.get("detail-type").and_then(Value::as_str).map(String::from);
    let source = map.get("source").and_then(Value::as_str).map(String::from);
    let (Some(detail_type), Some(source)) = (detail_type, source) else {
        return Err(Error::InvalidEvent(
            "not an EventBridge event: no string 'detail-type' and 'source'".into(),
        ));
    };
    if detail_type != DETAIL_TYPE || source != SOURCE {
        return Ok(Parsed::Other { detail_type, source });
    }
    if !map.get("detail").is_some_and(Value::is_object) {
        return Err(Error::InvalidEvent("'detail' is missing or not an object".into()));
    }
    // The envelope's `time` must be RFC 3339 for the typed event: epoch milliseconds and
    // offsets are normalised; an unreadable time is dropped (it is optional) rather than
    // making the whole event unusable.
    if let Some(time) = map.get("time") {
        match EventTime::parse(time) {
            Some(parsed) => map.insert("time".into(), parsed.iso().into()),
            None => map.remove("time"),
        };
    }
    let event: StateChangeEvent = serde_json::from_value(Value::Object(map))
        .map_err(|err| Error::InvalidEvent(format!("not a model package state change: {err}")))?;
    Ok(Parsed::StateChange(Box::new(event)))
}

// ------------------------------------------------------------------------------ deciding

/// The part of a versioned package ARN after `model-package/`: `(group, version)`.
pub fn group_and_version_from_arn(arn: &str) -> Option<(String, Option<i32>)> {
    let (_, resource) = arn.split_once(":model-package/")?;
    resource.split_once('/').map(|(group, version)| (group.to_string(), version.parse().ok()))
}

/// A change worth a notification, as a domain value.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalChange {
    pub kind: NotificationKind,
    pub group: String,
    pub version: i32,
    pub arn: String,
    /// Why this is a notification (logged and returned).
    pub reason: String,
    /// Identity of the decision within the version, part of the dedupe key.
    pub identity: String,
    pub event_id: Option<String>,
    pub decided_by: Option<DecidedBy>,
    pub approval_description: Option<String>,
    /// When it happened (ISO 8601): `LastModifiedTime`, else the event's time.
    pub occurred_at: Option<String>,
    /// The event's `CustomerMetadataProperties`, used when the version cannot be described.
    pub event_metadata: Option<BTreeMap<String, String>>,
}

/// What to do with an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Notify(Box<ApprovalChange>),
    Ignore { reason: String, version: Option<i32> },
    /// No retry makes this event usable.
    Invalid { reason: String },
}

/// Decides what a state change means for the watched `group` (pure).
pub fn decide(event: &StateChangeEvent, group: &str) -> Verdict {
    let detail = &event.detail;
    let arn_parts = detail
        .model_package_arn
        .as_deref()
        .or_else(|| event.resources.as_ref().and_then(|r| r.iter().find(|a| a.contains(":model-package/"))).map(String::as_str))
        .and_then(|arn| group_and_version_from_arn(arn).map(|parts| (arn.to_string(), parts)));
    let event_group = detail.model_package_group_name.clone().or_else(|| arn_parts.as_ref().map(|(_, (g, _))| g.clone()));
    let version = detail.model_package_version.or_else(|| arn_parts.as_ref().and_then(|(_, (_, v))| *v));

    let Some(event_group) = event_group else {
        let name = detail.model_package_name.as_deref().unwrap_or("(unnamed)");
        return Verdict::Ignore {
            reason: format!("model package {name} is not a version of a model package group"),
            version,
        };
    };
    // SageMaker writes group names lower-cased into ARNs.
    if !event_group.eq_ignore_ascii_case(group) {
        return Verdict::Ignore {
            reason: format!("other group '{event_group}': this handler announces '{group}'"),
            version,
        };
    }
    let Some(version) = version else {
        return Verdict::Invalid {
            reason: "the event names no ModelPackageVersion and no versioned ModelPackageArn".into(),
        };
    };
    let Some(status) = detail.model_approval_status.clone() else {
        return Verdict::Ignore { reason: "the event carries no ModelApprovalStatus".into(), version: Some(version) };
    };

    let updated: Option<&Vec<String>> = detail.updated_model_package_fields.as_ref().filter(|f| !f.is_empty());
    let (kind, reason) = match (updated, &status) {
        (Some(fields), _) if !fields.iter().any(|f| f == "ModelApprovalStatus") => {
            return Verdict::Ignore {
                reason: format!(
                    "only {} changed (UpdatedModelPackageFields), not the approval status ({})",
                    fields.join(", "),
                    status.as_str()
                ),
                version: Some(version),
            };
        }
        (Some(_), ApprovalStatus::Approved) => (NotificationKind::Approved, "ModelApprovalStatus changed to Approved".to_string()),
        (Some(_), ApprovalStatus::Rejected) => (NotificationKind::Rejected, "ModelApprovalStatus changed to Rejected".to_string()),
        (Some(_), other) => {
            return Verdict::Ignore {
                reason: format!("ModelApprovalStatus changed to {}: not a decision to announce", other.as_str()),
                version: Some(version),
            };
        }
        (None, ApprovalStatus::PendingManualApproval) => (
            NotificationKind::ReviewRequested,
            "new version with status PendingManualApproval (no UpdatedModelPackageFields)".to_string(),
        ),
        (None, ApprovalStatus::Approved) => (
            NotificationKind::Approved,
            "status Approved without UpdatedModelPackageFields (older event format): a decision".to_string(),
        ),
        (None, ApprovalStatus::Rejected) => (
            NotificationKind::Rejected,
            "status Rejected without UpdatedModelPackageFields (older event format): a decision".to_string(),
        ),
        (None, ApprovalStatus::Other(other)) => {
            return Verdict::Ignore {
                reason: format!("approval status '{other}' is not one this handler announces"),
                version: Some(version),
            };
        }
    };

    let event_time = event.time.map(|t| EventTime(DateTime::from_millis(t.timestamp_millis())));
    let occurred = detail.last_modified_time.or(event_time).or(detail.creation_time);
    let identity = match kind {
        NotificationKind::ReviewRequested => "created".to_string(),
        _ => decision_identity(detail.last_modified_time.or(event_time), event.id.as_deref(), detail),
    };
    let arn = arn_parts.map(|(arn, _)| arn).unwrap_or_else(|| {
        let region = event.region.as_deref().unwrap_or("us-east-1");
        let account = event.account.as_deref().unwrap_or("000000000000");
        format!("arn:{}:sagemaker:{region}:{account}:model-package/{}/{version}", partition(region), event_group.to_lowercase())
    });
    Verdict::Notify(Box::new(ApprovalChange {
        kind,
        group: group.to_string(),
        version,
        arn,
        reason,
        identity,
        event_id: event.id.clone(),
        decided_by: detail.last_modified_by.as_ref().map(UserContext::decided_by).filter(|d| !d.is_empty()),
        approval_description: detail.approval_description.clone(),
        occurred_at: occurred.map(|t| t.iso()),
        event_metadata: detail.customer_metadata_properties.clone(),
    }))
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// `t<epoch ms>` of the decision, else `id-<event id>`, else a hash of the detail.
fn decision_identity(time: Option<EventTime>, event_id: Option<&str>, detail: &ModelPackageStateChange) -> String {
    if let Some(ms) = time.and_then(|t| t.millis()) {
        return format!("t{ms}");
    }
    if let Some(id) = event_id.filter(|id| !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        return format!("id-{id}");
    }
    let text = serde_json::to_string(detail).unwrap_or_default();
    format!("h{}", hex::encode(&Sha256::digest(text.as_bytes())[..8]))
}

/// Key of attempt `attempt` (from 1) of a change's claim chain.
pub fn claim_key(prefix: &str, change: &ApprovalChange, attempt: u32) -> String {
    let base = format!("{prefix}notifications/{}/{}/{}-{}", change.group, change.version, change.kind.as_str(), change.identity);
    if attempt <= 1 {
        format!("{base}.json")
    } else {
        format!("{base}.attempt-{attempt}.json")
    }
}

// ------------------------------------------------------------------------------ the handler core

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Notified,
    Duplicate,
    Ignored,
}

/// The function's answer for one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerOutput {
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl HandlerOutput {
    pub fn ignored(version: Option<i32>, reason: impl Into<String>) -> Self {
        HandlerOutput { outcome: Outcome::Ignored, event: None, version, reason: Some(reason.into()), message_id: None }
    }
}

/// One record of a claim chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ClaimRecord {
    state: ClaimState,
    attempt: u32,
    /// Seconds since the epoch.
    claimed_at: i64,
    event: String,
    group: String,
    version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ClaimState {
    Pending,
    Sent,
    Failed,
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// What `approval-handler` needs: configuration and clients, built once per cold start.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub config: ApprovalConfig,
    pub sagemaker: SageMakerClient,
    pub s3: S3Client,
    pub sns: aws_sdk_sns::Client,
}

impl Notifier {
    /// Handles one invocation payload. `Err` only for what a retry can fix (or an operator,
    /// then a retry); events no retry makes usable are acknowledged as ignored, with the reason.
    pub async fn handle(&self, payload: &Value) -> Result<HandlerOutput> {
        let event = match parse_event(payload) {
            Ok(Parsed::StateChange(event)) => event,
            Ok(Parsed::Other { detail_type, source }) => {
                let reason = format!("other event: '{detail_type}' from {source}, not '{DETAIL_TYPE}'");
                info!(reason = %reason, "event ignored");
                return Ok(HandlerOutput::ignored(None, reason));
            }
            Err(err) => {
                error!(error = %err, kind = err.kind(), "invalid event acknowledged");
                return Ok(HandlerOutput::ignored(None, err.to_string()));
            }
        };
        let change = match decide(&event, &self.config.group_name) {
            Verdict::Notify(change) => change,
            Verdict::Ignore { reason, version } => {
                info!(event_id = ?event.id, version = ?version, reason = %reason, "event ignored");
                return Ok(HandlerOutput::ignored(version, reason));
            }
            Verdict::Invalid { reason } => {
                let err = Error::InvalidEvent(reason);
                error!(event_id = ?event.id, error = %err, kind = err.kind(), "invalid event acknowledged");
                return Ok(HandlerOutput::ignored(None, err.to_string()));
            }
        };
        info!(
            event = change.kind.as_str(),
            group = %change.group,
            version = change.version,
            model_package_arn = %change.arn,
            reason = %change.reason,
            "event is a notification"
        );
        let notification = self.compose(&change).await?;
        self.deliver_once(&change, &notification).await
    }

    /// Reads what the message needs from the registry and writes it.
    pub async fn compose(&self, change: &ApprovalChange) -> Result<Notification> {
        let facts = self.facts(&change.arn, change.version, change.event_metadata.as_ref()).await?;
        match change.kind {
            NotificationKind::ReviewRequested => {
                let baseline = self.newest_approved(&change.group, &change.arn).await?;
                Ok(notify::review_requested(&change.group, &facts.0, baseline.as_ref()))
            }
            kind => {
                let described = facts.1;
                // The version's current description is this decision's only when the status matches.
                let description = change.approval_description.clone().or_else(|| {
                    described
                        .as_ref()
                        .filter(|d| d.model_approval_status().map(ModelApprovalStatus::as_str) == Some(kind.status()))
                        .and_then(|d| d.approval_description().map(String::from))
                });
                let decision = Decision {
                    kind,
                    decided_by: change.decided_by.clone(),
                    approval_description: description,
                    decided_at: change.occurred_at.clone(),
                };
                Ok(notify::decided(&change.group, &facts.0, &decision))
            }
        }
    }

    /// Facts about a version (and its description when there is one). A version that cannot be
    /// described for a reason no retry fixes is announced with what the event carries.
    async fn facts(
        &self,
        arn: &str,
        version: i32,
        event_metadata: Option<&BTreeMap<String, String>>,
    ) -> Result<(VersionFacts, Option<DescribeModelPackageOutput>)> {
        match self.sagemaker.describe_model_package().model_package_name(arn).send().await {
            Ok(described) => Ok((facts_of(&described, version), Some(described))),
            Err(err) => {
                let err = from_sdk("DescribeModelPackage", err);
                if err.is_retryable() {
                    return Err(err);
                }
                warn!(model_package_arn = %arn, error = %err, "version not described; announcing what the event says");
                let metadata: HashMap<String, String> =
                    event_metadata.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
                let mut facts = VersionFacts::from_metadata(arn, version, &metadata);
                facts.note = Some(format!("the version could not be described ({err})"));
                Ok((facts, None))
            }
        }
    }

    /// The newest Approved version of the group other than `except`, described.
    pub async fn newest_approved(&self, group: &str, except: &str) -> Result<Option<VersionFacts>> {
        let page = self
            .sagemaker
            .list_model_packages()
            .model_package_group_name(group)
            .model_approval_status(ModelApprovalStatus::Approved)
            .sort_by(ModelPackageSortBy::CreationTime)
            .sort_order(SortOrder::Descending)
            .max_results(10)
            .send()
            .await;
        let page = match page {
            Ok(page) => page,
            Err(err) => {
                let err = from_sdk("ListModelPackages", err);
                if err.is_retryable() {
                    return Err(err);
                }
                warn!(group, error = %err, "approved versions not listed; no comparison");
                return Ok(None);
            }
        };
        let Some(newest) = page
            .model_package_summary_list()
            .iter()
            .find(|s| s.model_package_arn().is_some_and(|arn| arn != except))
        else {
            return Ok(None);
        };
        let arn = newest.model_package_arn().unwrap_or_default();
        let version = newest.model_package_version().or_else(|| crate::sagemaker::version_from_arn(arn)).unwrap_or(0);
        match self.sagemaker.describe_model_package().model_package_name(arn).send().await {
            Ok(described) => Ok(Some(facts_of(&described, version))),
            Err(err) => {
                let err = from_sdk("DescribeModelPackage", err);
                if err.is_retryable() {
                    return Err(err);
                }
                warn!(model_package_arn = %arn, error = %err, "approved version not described; no comparison");
                Ok(None)
            }
        }
    }

    /// Publishes `notification` unless this change was already announced (see the module doc).
    pub async fn deliver_once(&self, change: &ApprovalChange, notification: &Notification) -> Result<HandlerOutput> {
        let bucket = &self.config.state_bucket;
        for attempt in 1..=MAX_ATTEMPTS {
            let key = claim_key(&self.config.registry_prefix, change, attempt);
            let record = self.record(change, ClaimState::Pending, attempt, None, None);
            if s3::put_if_absent(&self.s3, bucket, &key, to_json(&record)?, "application/json").await? {
                return self.publish_claimed(change, notification, &key, attempt).await;
            }
            let existing = s3::get_optional(&self.s3, bucket, &key).await?.ok_or_else(|| Error::Transient {
                operation: "GetObject",
                message: format!("claim s3://{bucket}/{key} exists but cannot be read yet"),
            })?;
            let existing: Option<ClaimRecord> = serde_json::from_slice(&existing).ok();
            match existing {
                Some(ClaimRecord { state: ClaimState::Sent, message_id, .. }) => {
                    info!(event = change.kind.as_str(), version = change.version, claim = %key, "already notified: duplicate delivery");
                    return Ok(HandlerOutput {
                        outcome: Outcome::Duplicate,
                        event: Some(change.kind.as_str().into()),
                        version: Some(change.version),
                        reason: Some(format!("already notified ({})", change.reason)),
                        message_id,
                    });
                }
                Some(ClaimRecord { state: ClaimState::Pending, claimed_at, .. }) => {
                    let age = now_secs().saturating_sub(claimed_at);
                    if age < self.config.claim_stale_secs as i64 {
                        return Err(Error::Transient {
                            operation: "Notify",
                            message: format!(
                                "another invocation claimed this notification {age} s ago and may be publishing it; retry later (claim s3://{bucket}/{key})"
                            ),
                        });
                    }
                    warn!(claim = %key, age, "claim abandoned by a dead invocation; taking over");
                }
                Some(ClaimRecord { state: ClaimState::Failed, error, .. }) => {
                    info!(claim = %key, error = ?error, "previous attempt failed; taking over");
                }
                // Not ours to interpret: a damaged record blocks nothing, the next attempt decides.
                None => warn!(claim = %key, "unreadable claim record; taking over"),
            }
        }
        Err(Error::Service {
            operation: "Notify",
            code: "TooManyAttempts".into(),
            message: format!("{MAX_ATTEMPTS} attempts to publish this notification failed"),
        })
    }

    async fn publish_claimed(
        &self,
        change: &ApprovalChange,
        notification: &Notification,
        key: &str,
        attempt: u32,
    ) -> Result<HandlerOutput> {
        let bucket = &self.config.state_bucket;
        match notify::publish(&self.sns, &self.config.topic_arn, notification).await {
            Ok(message_id) => {
                let sent = self.record(change, ClaimState::Sent, attempt, Some(message_id.clone()), None);
                if let Err(err) = s3::put(&self.s3, bucket, key, to_json(&sent)?, "application/json").await {
                    // The message is out: do not fail (a retry would find a fresh claim anyway).
                    warn!(claim = %key, error = %err, "notification sent but not recorded; a redelivery after the stale time repeats it");
                }
                info!(event = change.kind.as_str(), version = change.version, message_id = %message_id, subject = %notification.subject, "notification published");
                Ok(HandlerOutput {
                    outcome: Outcome::Notified,
                    event: Some(change.kind.as_str().into()),
                    version: Some(change.version),
                    reason: Some(change.reason.clone()),
                    message_id: Some(message_id),
                })
            }
            Err(err) => {
                let failed = self.record(change, ClaimState::Failed, attempt, None, Some(err.to_string()));
                if let Err(mark_err) = s3::put(&self.s3, bucket, key, to_json(&failed)?, "application/json").await {
                    warn!(claim = %key, error = %mark_err, "failed attempt not recorded; a retry takes over after the stale time");
                }
                warn!(event = change.kind.as_str(), version = change.version, error = %err, kind = err.kind(), "publish failed, will be retried");
                Err(err)
            }
        }
    }

    fn record(
        &self,
        change: &ApprovalChange,
        state: ClaimState,
        attempt: u32,
        message_id: Option<String>,
        error: Option<String>,
    ) -> ClaimRecord {
        ClaimRecord {
            state,
            attempt,
            claimed_at: now_secs(),
            event: change.kind.as_str().into(),
            group: change.group.clone(),
            version: change.version,
            event_id: change.event_id.clone(),
            message_id,
            error,
        }
    }
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|err| Error::InvalidInput(format!("cannot serialise: {err}")))
}

/// Facts of a described version.
pub fn facts_of(described: &DescribeModelPackageOutput, version: i32) -> VersionFacts {
    let arn = described.model_package_arn().unwrap_or_default();
    let metadata = described.customer_metadata_properties().cloned().unwrap_or_default();
    let mut facts = VersionFacts::from_metadata(arn, described.model_package_version().unwrap_or(version), &metadata);
    facts.description = described.model_package_description().filter(|d| !d.is_empty()).map(String::from);
    facts.created_at = described.creation_time().map(iso);
    facts.model_data_url = described
        .inference_specification()
        .and_then(|spec| spec.containers().first())
        .and_then(|c| c.model_data_url())
        .map(String::from);
    facts
}

// ------------------------------------------------------------------------------ building events

/// The EventBridge event SageMaker would emit for `package` in its current state, in the
/// documented shape (`detail` holds the DescribeModelPackage fields in PascalCase). With
/// `previous_status`, it is the event of an update: `UpdatedModelPackageFields` names
/// `ModelApprovalStatus` (and `ApprovalDescription` when set) when the status differs from
/// `previous_status`, else `CustomerMetadataProperties` (an update that left the status alone).
/// Without it, the event of the version's creation. The event id is derived from the state, so
/// building it twice gives a redelivery of the same event.
pub fn state_change_event(
    package: &DescribeModelPackageOutput,
    previous_status: Option<&str>,
    region: &str,
    account: &str,
) -> Value {
    let arn = package.model_package_arn().unwrap_or_default();
    let status = package.model_approval_status().map(ModelApprovalStatus::as_str);
    let mut detail = serde_json::Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            detail.insert(key.to_string(), value);
        }
    };
    put("ModelPackageGroupName", json!(package.model_package_group_name()));
    put("ModelPackageVersion", json!(package.model_package_version()));
    put("ModelPackageArn", json!(package.model_package_arn()));
    put("ModelPackageName", json!(package.model_package_name()));
    put("ModelPackageDescription", json!(package.model_package_description()));
    put("CreationTime", json!(package.creation_time().map(iso)));
    put("InferenceSpecification", json!(package.inference_specification().map(|spec| {
        let containers: Vec<Value> = spec
            .containers()
            .iter()
            .map(|c| {
                compact(json!({
                    "ContainerHostname": c.container_hostname(),
                    "Image": c.image(),
                    "ImageDigest": c.image_digest(),
                    "ModelDataUrl": c.model_data_url(),
                    "Environment": c.environment(),
                    "Framework": c.framework(),
                    "FrameworkVersion": c.framework_version(),
                    "NearestModelName": c.nearest_model_name(),
                }))
            })
            .collect();
        compact(json!({
            "Containers": containers,
            "SupportedContentTypes": spec.supported_content_types(),
            "SupportedResponseMIMETypes": spec.supported_response_mime_types(),
            "SupportedRealtimeInferenceInstanceTypes": spec.supported_realtime_inference_instance_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "SupportedTransformInstanceTypes": spec.supported_transform_instance_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        }))
    })));
    put("ModelPackageStatus", json!(package.model_package_status().map(|s| s.as_str())));
    put("ModelPackageStatusDetails", json!(package.model_package_status_details().map(|details| {
        let items = |list: &[aws_sdk_sagemaker::types::ModelPackageStatusItem]| -> Vec<Value> {
            list.iter()
                .map(|i| compact(json!({"Name": i.name(), "Status": i.status().map(|s| s.as_str()), "FailureReason": i.failure_reason()})))
                .collect()
        };
        json!({"ValidationStatuses": items(details.validation_statuses()), "ImageScanStatuses": items(details.image_scan_statuses())})
    })));
    put("CertifyForMarketplace", json!(package.certify_for_marketplace()));
    put("ModelApprovalStatus", json!(status));
    put("ApprovalDescription", json!(package.approval_description()));
    put("CreatedBy", json!(package.created_by().map(user_context_json)));
    put("MetadataProperties", json!(package.metadata_properties().map(|m| compact(json!({
        "CommitId": m.commit_id(),
        "Repository": m.repository(),
        "GeneratedBy": m.generated_by(),
        "ProjectId": m.project_id(),
    })))));
    put("ModelMetrics", json!(package.model_metrics().map(|m| {
        let source = |s: Option<&aws_sdk_sagemaker::types::MetricsSource>| {
            s.map(|s| compact(json!({"ContentType": s.content_type(), "ContentDigest": s.content_digest(), "S3Uri": s.s3_uri()})))
        };
        compact(json!({
            "ModelQuality": m.model_quality().map(|q| compact(json!({"Statistics": source(q.statistics()), "Constraints": source(q.constraints())}))),
            "ModelDataQuality": m.model_data_quality().map(|q| compact(json!({"Statistics": source(q.statistics()), "Constraints": source(q.constraints())}))),
            "Bias": m.bias().map(|b| compact(json!({"Report": source(b.report()), "PreTrainingReport": source(b.pre_training_report()), "PostTrainingReport": source(b.post_training_report())}))),
            "Explainability": m.explainability().map(|e| compact(json!({"Report": source(e.report())}))),
        }))
    })));
    put("CustomerMetadataProperties", json!(package.customer_metadata_properties().map(|m| m.iter().collect::<BTreeMap<_, _>>())));
    put("ModelLifeCycle", json!(package.model_life_cycle().map(|l| compact(json!({
        "Stage": l.stage(),
        "StageStatus": l.stage_status(),
        "StageDescription": l.stage_description(),
    })))));
    put("Domain", json!(package.domain()));
    put("Task", json!(package.task()));
    put("SourceUri", json!(package.source_uri()));
    put("LastModifiedTime", json!(package.last_modified_time().map(iso)));
    put("LastModifiedBy", json!(package.last_modified_by().map(user_context_json)));
    if let Some(previous) = previous_status {
        let fields: Vec<&str> = if Some(previous) != status {
            let mut fields = vec!["ModelApprovalStatus"];
            if package.approval_description().is_some() {
                fields.push("ApprovalDescription");
            }
            fields
        } else {
            vec!["CustomerMetadataProperties"]
        };
        put("UpdatedModelPackageFields", json!(fields));
    }

    let time = package.last_modified_time().or(package.creation_time()).map(iso).unwrap_or_else(|| iso(&DateTime::from(SystemTime::now())));
    let identity = format!(
        "{arn}\n{}\n{}\n{}",
        status.unwrap_or_default(),
        package.last_modified_time().map(iso).unwrap_or_default(),
        previous_status.unwrap_or("(created)")
    );
    json!({
        "version": "0",
        "id": uuid_like(&identity),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": [arn],
        "detail": Value::Object(detail),
    })
}

fn user_context_json(user: &SdkUserContext) -> Value {
    compact(json!({
        "UserProfileArn": user.user_profile_arn(),
        "UserProfileName": user.user_profile_name(),
        "DomainId": user.domain_id(),
        "IamIdentity": user.iam_identity().map(|i| compact(json!({
            "Arn": i.arn(),
            "PrincipalId": i.principal_id(),
            "SourceIdentity": i.source_identity(),
        }))),
    }))
}

/// Drops null members and empty arrays (what AWS leaves out).
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null() && !v.as_array().is_some_and(Vec::is_empty))
                .collect(),
        ),
        other => other,
    }
}

/// A UUID-shaped id (8-4-4-4-12 hex) derived from `text`.
fn uuid_like(text: &str) -> String {
    let h = hex::encode(&Sha256::digest(text.as_bytes())[..16]);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use aws_sdk_sagemaker::types::{InferenceSpecification, ModelPackageContainerDefinition};

    const GROUP: &str = "ml-pipeline-model-group";
    const ARN: &str = "arn:aws:sagemaker:us-east-1:123456789012:model-package/ml-pipeline-model-group/3";

    fn event(detail: Value) -> Value {
        json!({
            "version": "0",
            "id": "0f7b4b8e-1111-2222-3333-444455556666",
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": "123456789012",
            "time": "2024-05-01T10:00:00Z",
            "region": "us-east-1",
            "resources": [ARN],
            "detail": detail,
        })
    }

    fn verdict(payload: Value) -> Verdict {
        match parse_event(&payload).unwrap() {
            Parsed::StateChange(event) => decide(&event, GROUP),
            other => panic!("not a state change: {other:?}"),
        }
    }

    fn notify(payload: Value) -> ApprovalChange {
        match verdict(payload) {
            Verdict::Notify(change) => *change,
            other => panic!("expected a notification, got {other:?}"),
        }
    }

    fn ignored(payload: Value) -> String {
        match verdict(payload) {
            Verdict::Ignore { reason, .. } => reason,
            other => panic!("expected ignore, got {other:?}"),
        }
    }

    #[test]
    fn given_created_pending_version_when_decided_then_review_requested_once_per_version() {
        let change = notify(event(json!({
            "ModelPackageGroupName": GROUP, "ModelPackageVersion": 3, "ModelPackageArn": ARN,
            "ModelApprovalStatus": "PendingManualApproval", "CreationTime": 1714557600000u64,
        })));
        assert_eq!(change.kind, NotificationKind::ReviewRequested);
        assert_eq!(change.version, 3);
        assert_eq!(change.identity, "created");
        assert_eq!(claim_key("registry/", &change, 1), "registry/notifications/ml-pipeline-model-group/3/review-requested-created.json");
        assert_eq!(claim_key("registry/", &change, 2), "registry/notifications/ml-pipeline-model-group/3/review-requested-created.attempt-2.json");
    }

    #[test]
    fn given_status_change_to_approved_when_decided_then_approved_with_decider_and_time_identity() {
        let change = notify(event(json!({
            "ModelPackageGroupName": GROUP, "ModelPackageVersion": "3", "ModelPackageArn": ARN,
            "ModelApprovalStatus": "Approved", "ApprovalDescription": "better than v2",
            "UpdatedModelPackageFields": ["ModelApprovalStatus", "ApprovalDescription"],
            "LastModifiedTime": "2024-05-01T10:00:00.250Z",
            "LastModifiedBy": {"UserProfileName": "alice", "DomainId": "d-1"},
            "SomethingNew": {"nested": true},
        })));
        assert_eq!(change.kind, NotificationKind::Approved);
        assert_eq!(change.version, 3, "version given as a string");
        assert_eq!(change.identity, "t1714557600250");
        assert_eq!(change.approval_description.as_deref(), Some("better than v2"));
        assert_eq!(change.decided_by.unwrap().user_profile_name.as_deref(), Some("alice"));
        assert_eq!(change.occurred_at.as_deref(), Some("2024-05-01T10:00:00.25Z"));
    }

    #[test]
    fn given_same_decision_with_iso_or_epoch_ms_times_when_decided_then_same_identity() {
        let detail = |time: Value| {
            event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 3, "ModelApprovalStatus": "Rejected",
                "UpdatedModelPackageFields": ["ModelApprovalStatus"], "LastModifiedTime": time}))
        };
        let iso = notify(detail(json!("2024-05-01T10:00:00Z")));
        let ms = notify(detail(json!(1714557600000u64)));
        let ms_text = notify(detail(json!("1714557600000")));
        assert_eq!(iso.identity, ms.identity);
        assert_eq!(iso.identity, ms_text.identity);
        assert_eq!(iso.kind, NotificationKind::Rejected);
        assert_eq!(iso.arn, ARN, "ARN from resources when the detail has none");
    }

    #[test]
    fn given_decision_without_modified_time_when_decided_then_identity_from_event_time() {
        let change = notify(event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 3,
            "ModelApprovalStatus": "Approved", "UpdatedModelPackageFields": ["ModelApprovalStatus"]})));
        assert_eq!(change.identity, "t1714557600000");
    }

    #[test]
    fn given_metadata_or_lifecycle_only_update_when_decided_then_ignored_with_the_fields() {
        let reason = ignored(event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 3,
            "ModelApprovalStatus": "Approved", "UpdatedModelPackageFields": ["CustomerMetadataProperties"]})));
        assert!(reason.contains("only CustomerMetadataProperties changed"), "{reason}");
        let reason = ignored(event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 3,
            "ModelApprovalStatus": "Approved", "UpdatedModelPackageFields": ["ModelLifeCycle"],
            "ModelLifeCycle": {"Stage": "Staging", "StageStatus": "Approved"}})));
        assert!(reason.contains("ModelLifeCycle"), "{reason}");
    }

    #[test]
    fn given_other_group_or_status_reset_when_decided_then_ignored() {
        let reason = ignored(event(json!({"ModelPackageGroupName": "someone-elses", "ModelPackageVersion": 1,
            "ModelApprovalStatus": "Approved"})));
        assert!(reason.contains("other group 'someone-elses'"), "{reason}");
        let reason = ignored(event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 1,
            "ModelApprovalStatus": "PendingManualApproval", "UpdatedModelPackageFields": ["ModelApprovalStatus"]})));
        assert!(reason.contains("not a decision"), "{reason}");
        let reason = ignored(event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 1,
            "ModelApprovalStatus": "Archived"})));
        assert!(reason.contains("'Archived'"), "{reason}");
    }

    #[test]
    fn given_older_format_decision_when_decided_then_announced() {
        let change = notify(event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 2.0,
            "ModelApprovalStatus": "Rejected", "UpdatedModelPackageFields": []})));
        assert_eq!(change.kind, NotificationKind::Rejected);
        assert_eq!(change.version, 2);
        assert!(change.reason.contains("older event format"));
    }

    #[test]
    fn given_bad_payloads_when_parsed_then_clear_errors_not_panics() {
        for payload in [json!([1, 2]), json!({"detail": {}}), json!({"detail-type": DETAIL_TYPE, "source": SOURCE, "detail": "x"})] {
            let err = parse_event(&payload).unwrap_err();
            assert_eq!(err.kind(), "InvalidEvent", "{payload}");
        }
        let no_version = verdict(event(json!({"ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved"})));
        // The ARN in resources carries the version.
        assert!(matches!(no_version, Verdict::Notify(ref c) if c.version == 3), "{no_version:?}");
        let mut bare = event(json!({"ModelPackageGroupName": GROUP, "ModelApprovalStatus": "Approved"}));
        bare["resources"] = json!([]);
        assert!(matches!(verdict(bare), Verdict::Invalid { .. }));
        let other = parse_event(&json!({"detail-type": "Object Created", "source": "aws.s3", "detail": {}})).unwrap();
        assert_eq!(other, Parsed::Other { detail_type: "Object Created".into(), source: "aws.s3".into() });
    }

    #[test]
    fn given_repeated_source_and_epoch_time_when_parsed_then_tolerated() {
        let mut payload = event(json!({"ModelPackageGroupName": GROUP, "ModelPackageVersion": 3, "ModelApprovalStatus": "Approved"}));
        payload["source"] = json!(["aws.sagemaker"]);
        payload["time"] = json!("1714557600000");
        let Parsed::StateChange(parsed) = parse_event(&payload).unwrap() else { panic!("not parsed") };
        assert_eq!(parsed.time.map(|t| t.timestamp_millis()), Some(1714557600000));

        payload["time"] = json!("2024-05-01T12:00:00+02:00");
        let Parsed::StateChange(parsed) = parse_event(&payload).unwrap() else { panic!("not parsed") };
        assert_eq!(parsed.time.map(|t| t.timestamp_millis()), Some(1714557600000));
        payload["time"] = json!("yesterday");
        let Parsed::StateChange(parsed) = parse_event(&payload).unwrap() else { panic!("not parsed") };
        assert_eq!(parsed.time, None);
        let offset = EventTime::parse(&json!("2024-05-01T12:00:00.250+02:00")).unwrap();
        assert_eq!(offset.millis(), Some(1714557600250));
        assert_eq!(EventTime::parse(&json!(1714557600.25)).unwrap().millis(), Some(1714557600250), "epoch seconds");
        assert_eq!(EventTime::parse(&json!({"t": 1})), None);
    }

    #[test]
    fn given_config_values_when_read_then_each_error_names_its_variable() {
        let base = [
            ("NOTIFICATION_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:model-registry"),
            ("STATE_BUCKET", "ml-pipeline-123456789012-us-east-1"),
        ];
        let read = |extra: &[(&str, &str)]| {
            let vars: HashMap<String, String> =
                base.iter().chain(extra.iter()).map(|(k, v)| (k.to_string(), v.to_string())).collect();
            ApprovalConfig::from_lookup(|name| vars.get(name).cloned())
        };
        let cfg = read(&[]).unwrap();
        assert_eq!(cfg.group_name, "ml-pipeline-model-group");
        assert_eq!(cfg.registry_prefix, "registry/");
        assert_eq!(cfg.claim_stale_secs, DEFAULT_CLAIM_STALE_SECS);
        for (variable, value) in [
            ("NOTIFICATION_TOPIC_ARN", "arn:aws:sqs:us-east-1:123456789012:q"),
            ("NOTIFICATION_TOPIC_ARN", "my-topic"),
            ("STATE_BUCKET", "Bad_Bucket"),
            ("MODEL_PACKAGE_GROUP_NAME", "my_group"),
            ("REGISTRY_PREFIX", "/abs"),
            ("NOTIFICATION_CLAIM_STALE_SECONDS", "0"),
        ] {
            let err = read(&[(variable, value)]).unwrap_err();
            assert!(err.to_string().contains(variable), "{variable}={value}: {err}");
        }
        let missing = ApprovalConfig::from_lookup(|_| None).unwrap_err();
        assert!(missing.to_string().contains("NOTIFICATION_TOPIC_ARN"), "{missing}");
    }

    fn described(status: &str, modified: Option<i64>) -> DescribeModelPackageOutput {
        let container = ModelPackageContainerDefinition::builder().image("img:1").model_data_url("s3://b/registry/m.tar.gz").build();
        let mut builder = DescribeModelPackageOutput::builder()
            .model_package_group_name(GROUP)
            .model_package_version(3)
            .model_package_arn(ARN)
            .creation_time(DateTime::from_secs(1714550000))
            .model_approval_status(ModelApprovalStatus::from(status))
            .approval_description("ok")
            .inference_specification(InferenceSpecification::builder().containers(container).supported_content_types("text/csv").build())
            .customer_metadata_properties("metric:accuracy", "0.958")
            .last_modified_by(SdkUserContext::builder().user_profile_name("bob").build());
        if let Some(ms) = modified {
            builder = builder.last_modified_time(DateTime::from_millis(ms));
        }
        builder.build()
    }

    #[test]
    fn given_described_versions_when_events_built_then_they_parse_and_decide_as_sagemaker_would() {
        let created = state_change_event(&described("PendingManualApproval", None), None, "us-east-1", "123456789012");
        assert_eq!(created["detail-type"], DETAIL_TYPE);
        assert_eq!(created["detail"]["ModelPackageVersion"], 3);
        assert_eq!(created["detail"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl"], "s3://b/registry/m.tar.gz");
        assert!(created["detail"].get("UpdatedModelPackageFields").is_none());
        assert_eq!(notify(created.clone()).kind, NotificationKind::ReviewRequested);

        let approved = state_change_event(&described("Approved", Some(1714557600123)), Some("PendingManualApproval"), "us-east-1", "123456789012");
        assert_eq!(approved["detail"]["UpdatedModelPackageFields"], json!(["ModelApprovalStatus", "ApprovalDescription"]));
        assert_eq!(approved["time"], "2024-05-01T10:00:00.123Z");
        let change = notify(approved.clone());
        assert_eq!(change.kind, NotificationKind::Approved);
        assert_eq!(change.identity, "t1714557600123");
        assert_eq!(change.decided_by.unwrap().user_profile_name.as_deref(), Some("bob"));

        let again = state_change_event(&described("Approved", Some(1714557600123)), Some("PendingManualApproval"), "us-east-1", "123456789012");
        assert_eq!(approved["id"], again["id"], "same state, same event id");
        let metadata_only = state_change_event(&described("Approved", Some(1714557700000)), Some("Approved"), "us-east-1", "123456789012");
        assert!(ignored(metadata_only).contains("CustomerMetadataProperties"));
    }
}
