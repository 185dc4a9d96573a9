//! Notifications: what a reviewer or a machine is told when a version waits for review or is
//! approved or rejected, and publishing it through SNS.
//!
//! One SNS message per notification, `MessageStructure: json`: a plain-text body for `default`
//! and `email`, one JSON document for `sqs`, `lambda`, `http` and `https`. Message attributes
//! `event`, `group`, `version` (Number) and `status` let subscribers filter. Everything here
//! except [`publish`] is pure, so the texts are unit-tested without I/O.

use aws_sdk_sns::types::MessageAttributeValue;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

use crate::error::{from_sdk, Error, Result};

/// SNS allows at most 100 characters in a subject.
pub const MAX_SUBJECT_LEN: usize = 100;

/// The protocols that receive the JSON document; `default` and `email` get the text.
const DOCUMENT_PROTOCOLS: [&str; 4] = ["sqs", "lambda", "http", "https"];

/// What happened to a version, as the `event` message attribute names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotificationKind {
    ReviewRequested,
    Approved,
    Rejected,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ReviewRequested => "review-requested",
            NotificationKind::Approved => "approved",
            NotificationKind::Rejected => "rejected",
        }
    }

    /// The approval status the version has when this is announced.
    pub fn status(self) -> &'static str {
        match self {
            NotificationKind::ReviewRequested => "PendingManualApproval",
            NotificationKind::Approved => "Approved",
            NotificationKind::Rejected => "Rejected",
        }
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the registry knows about one version, read from its `CustomerMetadataProperties`
/// (the keys `register-model` writes) and the package itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionFacts {
    pub arn: String,
    pub version: i32,
    pub model_name: Option<String>,
    pub model_version: Option<String>,
    pub framework: Option<String>,
    pub framework_version: Option<String>,
    pub description: Option<String>,
    pub created_at: Option<String>,
    pub model_data_url: Option<String>,
    pub source_uri: Option<String>,
    pub metadata_uri: Option<String>,
    pub training_job: Option<String>,
    /// `metric:<name>` entries, by name.
    pub metrics: BTreeMap<String, String>,
    /// `data:<name>` entries, by name.
    pub data: BTreeMap<String, String>,
    /// `hyperparameter:<name>` entries, by name.
    pub hyperparameters: BTreeMap<String, String>,
    /// Why some of the above may be missing (for example: the version could not be described).
    pub note: Option<String>,
}

impl VersionFacts {
    /// Facts from a version's `CustomerMetadataProperties`.
    pub fn from_metadata(arn: &str, version: i32, metadata: &HashMap<String, String>) -> Self {
        let prefixed = |prefix: &str| -> BTreeMap<String, String> {
            metadata
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|name| (name.to_string(), v.clone())))
                .collect()
        };
        let get = |key: &str| metadata.get(key).cloned();
        VersionFacts {
            arn: arn.to_string(),
            version,
            model_name: get("model-name"),
            model_version: get("model-version"),
            framework: get("framework"),
            framework_version: get("framework-version"),
            source_uri: get("source-uri"),
            metadata_uri: get("metadata-uri"),
            training_job: get("training-job"),
            metrics: prefixed("metric:"),
            data: prefixed("data:"),
            hyperparameters: prefixed("hyperparameter:"),
            ..VersionFacts::default()
        }
    }

    fn model_line(&self) -> Option<String> {
        let name = self.model_name.as_deref()?;
        let mut line = name.to_string();
        if let Some(version) = &self.model_version {
            line.push_str(&format!(" ({version})"));
        }
        if let Some(framework) = &self.framework {
            line.push_str(&format!(", {framework}"));
            if let Some(fv) = &self.framework_version {
                line.push_str(&format!(" {fv}"));
            }
        }
        Some(line)
    }
}

/// One metric of a version next to the same metric of the baseline version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricComparison {
    pub name: String,
    pub value: String,
    /// The baseline's value, `None` when it did not record this metric.
    pub baseline: Option<String>,
    /// `value - baseline` with the precision of the inputs (`+0.046`), when both are numbers.
    pub delta: Option<String>,
}

impl MetricComparison {
    /// `accuracy 0.958, v1 0.912, +0.046`.
    pub fn line(&self, baseline_version: i32) -> String {
        match (&self.baseline, &self.delta) {
            (Some(base), Some(delta)) => format!("{} {}, v{baseline_version} {base}, {delta}", self.name, self.value),
            (Some(base), None) => format!("{} {}, v{baseline_version} {base}", self.name, self.value),
            (None, _) => format!("{} {}, v{baseline_version} not recorded", self.name, self.value),
        }
    }
}

/// Compares every metric of `current` with `baseline`, by name.
pub fn compare_metrics(current: &BTreeMap<String, String>, baseline: &BTreeMap<String, String>) -> Vec<MetricComparison> {
    current
        .iter()
        .map(|(name, value)| {
            let base = baseline.get(name).cloned();
            let delta = base.as_deref().and_then(|b| delta(value, b));
            MetricComparison { name: name.clone(), value: value.clone(), baseline: base, delta }
        })
        .collect()
}

/// `a - b` formatted with the larger number of decimals of the two (`0.958 - 0.912 = +0.046`,
/// not the float noise `0.04599999`), `None` unless both are finite numbers.
pub fn delta(a: &str, b: &str) -> Option<String> {
    let (x, y) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
    if !x.is_finite() || !y.is_finite() {
        return None;
    }
    let decimals = |s: &str| -> usize {
        let s = s.trim();
        if s.contains(['e', 'E']) {
            return 6;
        }
        s.split_once('.').map(|(_, frac)| frac.len()).unwrap_or(0)
    };
    let places = decimals(a).max(decimals(b)).min(12);
    let text = format!("{:+.*}", places, x - y);
    // Rounding can leave "-0.000"; a difference of nothing has no sign to show.
    if text.trim_start_matches(['+', '-']).chars().all(|c| c == '0' || c == '.') {
        return Some(format!("+{}", text.trim_start_matches(['+', '-'])));
    }
    Some(text)
}

/// Who made an approval decision, as far as the event or the version says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecidedBy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_profile_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_arn: Option<String>,
}

impl DecidedBy {
    pub fn is_empty(&self) -> bool {
        self.user_profile_name.is_none() && self.user_profile_arn.is_none() && self.iam_arn.is_none()
    }

    /// `alice (domain d-123)`, or the IAM principal, or the user profile ARN.
    pub fn display(&self) -> Option<String> {
        if let Some(name) = &self.user_profile_name {
            return Some(match &self.domain_id {
                Some(domain) => format!("{name} (SageMaker user profile, domain {domain})"),
                None => format!("{name} (SageMaker user profile)"),
            });
        }
        self.iam_arn.clone().or_else(|| self.user_profile_arn.clone())
    }
}

/// An approval decision to announce.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub kind: NotificationKind,
    pub decided_by: Option<DecidedBy>,
    pub approval_description: Option<String>,
    /// ISO 8601, when the event says.
    pub decided_at: Option<String>,
}

/// A composed notification, ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub kind: NotificationKind,
    pub group: String,
    pub version: i32,
    pub status: String,
    pub subject: String,
    /// The plain-text body (`default` and `email`).
    pub text: String,
    /// The machine-readable body (`sqs`, `lambda`, `http`, `https`).
    pub document: Value,
}

/// A double-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`"))
}

/// The commands that approve or reject a version: the AWS CLI call and the `modelreg` one.
pub fn decision_commands(arn: &str, version: i32, status: &str) -> (String, String) {
    let verb = if status == "Approved" { "approve" } else { "reject" };
    let (region, _) = crate::sagemaker::arn_region_and_account(arn);
    let region = if region.is_empty() { String::new() } else { format!(" --region {region}") };
    let reason = shell_quote("<reason>");
    let aws = format!(
        "aws sagemaker update-model-package{region} --model-package-arn {arn} --model-approval-status {status} --approval-description {reason}"
    );
    let modelreg = format!("modelreg {verb} {version} --reason {reason}");
    (aws, modelreg)
}

/// A subject SNS accepts: printable ASCII only, no line breaks, at most 100 characters,
/// starting with a letter, digit or punctuation.
pub fn subject(raw: &str) -> String {
    let mut out = String::new();
    let mut last_space = true;
    for c in raw.chars() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else if c.is_ascii_graphic() {
            c
        } else {
            '?'
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        out.push(c);
    }
    let mut out = out.trim().to_string();
    if out.is_empty() {
        out = "Model registry notification".into();
    }
    if out.len() > MAX_SUBJECT_LEN {
        out.truncate(MAX_SUBJECT_LEN - 3);
        out = out.trim_end().to_string() + "...";
    }
    out
}

fn labelled_lines(title: &str, entries: &BTreeMap<String, String>) -> String {
    if entries.is_empty() {
        return format!("{title}: none recorded\n");
    }
    let mut text = format!("{title}:\n");
    for (name, value) in entries {
        text.push_str(&format!("  {name}: {value}\n"));
    }
    text
}

fn facts_document(facts: &VersionFacts) -> Value {
    let numbers = |entries: &BTreeMap<String, String>| -> Value {
        entries
            .iter()
            .map(|(k, v)| {
                // Shortest JSON form of numbers, so machines need not parse strings.
                let value = serde_json::from_str::<Value>(v).ok().filter(Value::is_number).unwrap_or_else(|| v.clone().into());
                (k.clone(), value)
            })
            .collect::<serde_json::Map<String, Value>>()
            .into()
    };
    json!({
        "model_package_arn": facts.arn,
        "version": facts.version,
        "model_name": facts.model_name,
        "model_version": facts.model_version,
        "framework": facts.framework,
        "framework_version": facts.framework_version,
        "description": facts.description,
        "created_at": facts.created_at,
        "model_data_url": facts.model_data_url,
        "source_uri": facts.source_uri,
        "metadata_uri": facts.metadata_uri,
        "training_job": facts.training_job,
        "metrics": numbers(&facts.metrics),
        "data": facts.data,
        "hyperparameters": facts.hyperparameters,
        "note": facts.note,
    })
}

/// A new version waits for review: what it is, how it compares with the newest Approved
/// version (`baseline`), and how to approve or reject it.
pub fn review_requested(group: &str, facts: &VersionFacts, baseline: Option<&VersionFacts>) -> Notification {
    let kind = NotificationKind::ReviewRequested;
    let version = facts.version;
    let mut text = format!("Version {version} of model package group {group} is waiting for review.\n\n");
    if let Some(model) = facts.model_line() {
        text.push_str(&format!("Model: {model}\n"));
    }
    text.push_str(&format!("Package: {}\n", facts.arn));
    for (label, value) in [
        ("Registered", &facts.created_at),
        ("Artifact", &facts.model_data_url),
        ("Source", &facts.source_uri),
        ("Training job", &facts.training_job),
        ("Full metadata", &facts.metadata_uri),
        ("Description", &facts.description),
    ] {
        if let Some(value) = value {
            text.push_str(&format!("{label}: {value}\n"));
        }
    }
    if let Some(note) = &facts.note {
        text.push_str(&format!("Note: {note}\n"));
    }
    text.push('\n');

    let comparison = baseline.map(|base| (base, compare_metrics(&facts.metrics, &base.metrics)));
    match &comparison {
        Some((base, rows)) => {
            text.push_str(&format!(
                "Metrics, compared with v{} (the newest Approved version of the group):\n",
                base.version
            ));
            if rows.is_empty() {
                text.push_str("  none recorded\n");
            }
            for row in rows {
                text.push_str(&format!("  {}\n", row.line(base.version)));
            }
        }
        None => {
            text.push_str(&labelled_lines("Metrics", &facts.metrics));
            text.push_str("  (no version of the group is Approved yet: nothing to compare with)\n");
        }
    }
    text.push_str(&labelled_lines("Data", &facts.data));
    if !facts.hyperparameters.is_empty() {
        text.push_str(&labelled_lines("Hyperparameters", &facts.hyperparameters));
    }

    let (approve_aws, approve_modelreg) = decision_commands(&facts.arn, version, "Approved");
    let (reject_aws, reject_modelreg) = decision_commands(&facts.arn, version, "Rejected");
    text.push_str(&format!(
        "\nTo approve it:\n  {approve_aws}\n  or: {approve_modelreg}\nTo reject it:\n  {reject_aws}\n  or: {reject_modelreg}\n"
    ));

    let title = match &facts.model_name {
        Some(model) => format!("Review requested: {group} v{version} ({model})"),
        None => format!("Review requested: {group} v{version}"),
    };
    let document = json!({
        "event": kind.as_str(),
        "group": group,
        "version": version,
        "status": kind.status(),
        "model_package": facts_document(facts),
        "comparison": comparison.as_ref().map(|(base, rows)| json!({
            "baseline_version": base.version,
            "baseline_arn": base.arn,
            "metrics": rows,
            "summary": rows.iter().map(|row| row.line(base.version)).collect::<Vec<_>>(),
        })),
        "approve": {"aws_cli": approve_aws, "modelreg": approve_modelreg},
        "reject": {"aws_cli": reject_aws, "modelreg": reject_modelreg},
    });
    finish(kind, group, version, &title, text, document)
}

/// A version was approved or rejected: who decided (when known), why, and what the version is.
pub fn decided(group: &str, facts: &VersionFacts, decision: &Decision) -> Notification {
    let kind = decision.kind;
    let version = facts.version;
    let verb = if kind == NotificationKind::Approved { "approved" } else { "rejected" };
    let who = decision.decided_by.as_ref().and_then(DecidedBy::display);
    let mut text = format!("Version {version} of model package group {group} was {verb}");
    if let Some(who) = &who {
        text.push_str(&format!(" by {who}"));
    }
    if let Some(at) = &decision.decided_at {
        text.push_str(&format!(" at {at}"));
    }
    text.push_str(".\n\n");
    match &decision.approval_description {
        Some(reason) if !reason.trim().is_empty() => text.push_str(&format!("Reason: {reason}\n")),
        _ => text.push_str("Reason: none given (ApprovalDescription is empty)\n"),
    }
    if who.is_none() {
        text.push_str(
            "Decided by: the event does not say; CloudTrail's UpdateModelPackage record names the caller.\n",
        );
    }
    text.push('\n');
    if let Some(model) = facts.model_line() {
        text.push_str(&format!("Model: {model}\n"));
    }
    text.push_str(&format!("Package: {}\n", facts.arn));
    if let Some(url) = &facts.model_data_url {
        text.push_str(&format!("Artifact: {url}\n"));
    }
    if let Some(note) = &facts.note {
        text.push_str(&format!("Note: {note}\n"));
    }
    text.push_str(&labelled_lines("Metrics", &facts.metrics));

    let title = match &facts.model_name {
        Some(model) => format!("{}: {group} v{version} ({model})", if kind == NotificationKind::Approved { "Approved" } else { "Rejected" }),
        None => format!("{}: {group} v{version}", if kind == NotificationKind::Approved { "Approved" } else { "Rejected" }),
    };
    let document = json!({
        "event": kind.as_str(),
        "group": group,
        "version": version,
        "status": kind.status(),
        "decided_by": decision.decided_by.as_ref().filter(|d| !d.is_empty()),
        "approval_description": decision.approval_description,
        "decided_at": decision.decided_at,
        "model_package": facts_document(facts),
    });
    finish(kind, group, version, &title, text, document)
}

/// The notification, its subject and text also in the document (for subscribers that forward
/// it to people, and for demos reading a queue).
fn finish(kind: NotificationKind, group: &str, version: i32, title: &str, text: String, mut document: Value) -> Notification {
    let subject = subject(title);
    if let Value::Object(map) = &mut document {
        map.insert("subject".into(), subject.clone().into());
        map.insert("text".into(), text.clone().into());
    }
    Notification { kind, group: group.to_string(), version, status: kind.status().to_string(), subject, text, document }
}

/// The SNS `Message` for `MessageStructure: json`: one entry per protocol, each a string.
pub fn message_json(notification: &Notification) -> String {
    let document = notification.document.to_string();
    let mut message = serde_json::Map::new();
    message.insert("default".into(), notification.text.clone().into());
    message.insert("email".into(), notification.text.clone().into());
    for protocol in DOCUMENT_PROTOCOLS {
        message.insert(protocol.into(), document.clone().into());
    }
    Value::Object(message).to_string()
}

/// The message attributes subscribers filter on: `(name, data type, value)`.
pub fn attributes(notification: &Notification) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("event", "String", notification.kind.as_str().to_string()),
        ("group", "String", notification.group.clone()),
        ("version", "Number", notification.version.to_string()),
        ("status", "String", notification.status.clone()),
    ]
}

/// Publishes a notification; returns the SNS message id.
pub async fn publish(client: &aws_sdk_sns::Client, topic_arn: &str, notification: &Notification) -> Result<String> {
    let mut request = client
        .publish()
        .topic_arn(topic_arn)
        .subject(&notification.subject)
        .message_structure("json")
        .message(message_json(notification));
    for (name, data_type, value) in attributes(notification) {
        let attribute = MessageAttributeValue::builder()
            .data_type(data_type)
            .string_value(value)
            .build()
            .map_err(|err| Error::InvalidInput(format!("message attribute {name}: {err}")))?;
        request = request.message_attributes(name, attribute);
    }
    let output = request.send().await.map_err(|err| from_sdk("Publish", err))?;
    Ok(output.message_id().unwrap_or_default().to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn facts(version: i32, accuracy: &str) -> VersionFacts {
        let metadata: HashMap<String, String> = [
            ("model-name", "ml-pipeline-model-v1"),
            ("model-version", "v1.0"),
            ("framework", "XGBoost"),
            ("metric:accuracy", accuracy),
            ("metric:auc", "0.9954"),
            ("data:rows", "426"),
            ("data:training", "s3://ml-pipeline-bucket/data/train.csv"),
            ("hyperparameter:max_depth", "3"),
            ("metadata-uri", "s3://b/registry/g/x/metadata.json"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let arn = format!("arn:aws:sagemaker:us-east-1:123456789012:model-package/ml-pipeline-model-group/{version}");
        VersionFacts::from_metadata(&arn, version, &metadata)
    }

    #[test]
    fn given_two_decimal_strings_when_delta_taken_then_precision_of_inputs_without_float_noise() {
        assert_eq!(delta("0.958", "0.912").as_deref(), Some("+0.046"));
        assert_eq!(delta("0.9", "0.912").as_deref(), Some("-0.012"));
        assert_eq!(delta("0.5", "0.5").as_deref(), Some("+0.0"));
        assert_eq!(delta("3", "1").as_deref(), Some("+2"));
        assert_eq!(delta("high", "0.5"), None);
        assert_eq!(delta("NaN", "0.5"), None);
    }

    #[test]
    fn given_baseline_when_review_requested_then_text_compares_and_says_how_to_decide() {
        let current = facts(2, "0.958");
        let mut baseline = facts(1, "0.912");
        baseline.metrics.remove("auc");
        let n = review_requested("ml-pipeline-model-group", &current, Some(&baseline));
        assert!(n.text.contains("accuracy 0.958, v1 0.912, +0.046"), "{}", n.text);
        assert!(n.text.contains("auc 0.9954, v1 not recorded"), "{}", n.text);
        assert!(n.text.contains("rows: 426"), "{}", n.text);
        assert!(n.text.contains(
            "aws sagemaker update-model-package --region us-east-1 --model-package-arn arn:aws:sagemaker:us-east-1:123456789012:model-package/ml-pipeline-model-group/2 --model-approval-status Approved --approval-description \"<reason>\""
        ), "{}", n.text);
        assert!(n.text.contains("modelreg approve 2 --reason \"<reason>\""), "{}", n.text);
        assert!(n.text.contains("modelreg reject 2 --reason"), "{}", n.text);
        assert_eq!(n.subject, "Review requested: ml-pipeline-model-group v2 (ml-pipeline-model-v1)");
        assert_eq!(n.document["comparison"]["baseline_version"], 1);
        assert_eq!(n.document["comparison"]["metrics"][0]["delta"], "+0.046");
        assert_eq!(n.document["comparison"]["summary"][0], "accuracy 0.958, v1 0.912, +0.046");
        assert_eq!(n.document["model_package"]["metrics"]["accuracy"], 0.958);
        assert_eq!(n.document["status"], "PendingManualApproval");
        assert_eq!(n.document["subject"], n.subject);
        assert_eq!(n.document["text"], n.text);
    }

    #[test]
    fn given_no_approved_version_when_review_requested_then_says_nothing_to_compare() {
        let n = review_requested("g", &facts(1, "0.958"), None);
        assert!(n.text.contains("nothing to compare with"), "{}", n.text);
        assert!(n.text.contains("accuracy: 0.958"), "{}", n.text);
        assert!(n.document["comparison"].is_null());
    }

    #[test]
    fn given_decider_and_reason_when_approved_then_both_in_text_and_document() {
        let decision = Decision {
            kind: NotificationKind::Approved,
            decided_by: Some(DecidedBy { user_profile_name: Some("alice".into()), ..DecidedBy::default() }),
            approval_description: Some("beats v1 on accuracy".into()),
            decided_at: Some("2024-05-01T10:00:00Z".into()),
        };
        let n = decided("g", &facts(3, "0.958"), &decision);
        assert!(n.text.starts_with("Version 3 of model package group g was approved by alice"), "{}", n.text);
        assert!(n.text.contains("Reason: beats v1 on accuracy"), "{}", n.text);
        assert_eq!(n.subject, "Approved: g v3 (ml-pipeline-model-v1)");
        assert_eq!(n.document["decided_by"]["user_profile_name"], "alice");
        assert_eq!(n.document["event"], "approved");
    }

    #[test]
    fn given_unknown_decider_when_rejected_then_text_says_where_to_look() {
        let decision =
            Decision { kind: NotificationKind::Rejected, decided_by: None, approval_description: None, decided_at: None };
        let n = decided("g", &facts(1, "0.5"), &decision);
        assert!(n.text.contains("was rejected.\n"), "{}", n.text);
        assert!(n.text.contains("CloudTrail"), "{}", n.text);
        assert!(n.document["decided_by"].is_null());
        assert_eq!(n.status, "Rejected");
    }

    #[test]
    fn given_hostile_subject_when_sanitized_then_sns_rules_hold() {
        let long = format!("Review requested: {} v1 (modèle\nΩ\t\"x\")", "g".repeat(120));
        for raw in [long.as_str(), "  \n", "Approved: g v1 (naïve)"] {
            let s = subject(raw);
            assert!(s.len() <= MAX_SUBJECT_LEN, "{s}");
            assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{s:?}");
            assert!(s.starts_with(|c: char| c.is_ascii_alphanumeric() || c.is_ascii_punctuation()), "{s:?}");
        }
        assert_eq!(subject("Approved: g v1 (naïve)"), "Approved: g v1 (na?ve)");
    }

    #[test]
    fn given_notification_when_message_built_then_every_protocol_has_a_string_body() {
        let n = review_requested("g", &facts(1, "0.958"), None);
        let message: Value = serde_json::from_str(&message_json(&n)).unwrap();
        assert_eq!(message["default"], n.text);
        assert_eq!(message["email"], n.text);
        for protocol in DOCUMENT_PROTOCOLS {
            let body: Value = serde_json::from_str(message[protocol].as_str().unwrap()).unwrap();
            assert_eq!(body["event"], "review-requested");
        }
        let attrs = attributes(&n);
        assert_eq!(attrs[2], ("version", "Number", "1".to_string()));
        assert_eq!(attrs[0], ("event", "String", "review-requested".to_string()));
    }
}
