//! `register-model`: S3 object-created events in (direct, via EventBridge, or wrapped in
//! SQS/SNS), one model package version per new S3 object version out.
//!
//! The result lists one entry per record. A direct invocation with a record that a retry can
//! fix returns an error so that Lambda retries the whole event (registration is idempotent, so
//! the other records' retries are harmless); an SQS batch reports those messages in
//! `batchItemFailures` instead.

use futures::stream::{self, StreamExt};
use lambda_runtime::Diagnostic;
use registry::intake::{self, Item, ObjectEvent};
use registry::register::{RecordResult, Registrar};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use tracing::{error, info, warn};

/// The function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    pub records: Vec<RecordResult>,
    /// Present only for SQS deliveries: the Lambda partial batch response.
    #[serde(rename = "batchItemFailures", skip_serializing_if = "Option::is_none")]
    pub batch_item_failures: Option<Vec<BatchItemFailure>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// A direct invocation that must be retried: some records met a failure a retry can fix.
#[derive(Debug, thiserror::Error)]
#[error("{} of {total} records must be retried: {}", failures.len(), failures.join("; "))]
pub struct RetryableFailure {
    pub failures: Vec<String>,
    pub total: usize,
}

impl From<RetryableFailure> for Diagnostic {
    fn from(err: RetryableFailure) -> Self {
        Diagnostic { error_type: "RetryableFailure".into(), error_message: err.to_string() }
    }
}

/// What happened to one record.
enum Outcome {
    Done(RecordResult),
    Retry(String),
}

/// Handles one invocation payload.
pub async fn handle(registrar: &Registrar, payload: &Value) -> Result<Response, RetryableFailure> {
    let parsed = intake::parse(payload);

    // Deliveries of one object inside one invocation are registered once and share the answer.
    let mut unique: Vec<ObjectEvent> = Vec::new();
    for message in &parsed.messages {
        for item in &message.items {
            if let Item::Object(object) = item {
                if !unique.contains(object) {
                    unique.push(object.clone());
                }
            }
        }
    }
    let outcomes: HashMap<usize, Outcome> = stream::iter(unique.iter().enumerate())
        .map(|(index, object)| async move { (index, process(registrar, object).await) })
        .buffer_unordered(registrar.config.max_concurrency)
        .collect()
        .await;

    let mut records = Vec::new();
    let mut retry = Vec::new();
    let mut batch_failures = Vec::new();
    for message in &parsed.messages {
        let mut message_failed = false;
        for item in &message.items {
            match item {
                Item::Object(object) => {
                    let outcome = unique.iter().position(|o| o == object).and_then(|i| outcomes.get(&i));
                    match outcome {
                        Some(Outcome::Done(result)) => records.push(result.clone()),
                        Some(Outcome::Retry(why)) => {
                            message_failed = true;
                            retry.push(format!("{}: {why}", object.key));
                        }
                        None => {
                            message_failed = true;
                            retry.push(format!("{}: not processed", object.key));
                        }
                    }
                }
                Item::Ignored { key, reason } => {
                    info!(key = ?key, reason = %reason, "record ignored");
                    records.push(RecordResult::ignored(key.clone(), reason.clone()));
                }
                Item::Invalid { key, reason } => {
                    error!(key = ?key, reason = %reason, "invalid record acknowledged");
                    records.push(RecordResult::ignored(key.clone(), format!("invalid: {reason}")));
                }
            }
        }
        if message_failed {
            if let Some(id) = &message.sqs_message_id {
                batch_failures.push(BatchItemFailure { item_identifier: id.clone() });
            }
        }
    }

    if parsed.sqs_batch {
        return Ok(Response { records, batch_item_failures: Some(batch_failures) });
    }
    if !retry.is_empty() {
        let total = parsed.messages.iter().map(|m| m.items.len()).sum();
        return Err(RetryableFailure { failures: retry, total });
    }
    Ok(Response { records, batch_item_failures: None })
}

async fn process(registrar: &Registrar, object: &ObjectEvent) -> Outcome {
    match registrar.register_event(object).await {
        Ok(result) => Outcome::Done(result),
        Err(err) if err.is_retryable() || matches!(err, registry::Error::Service { .. }) => {
            // Service refusals go to the failure destination too: the input may be fine and
            // the fault ours or the account's; acknowledging would lose the model.
            warn!(bucket = %object.bucket, key = %object.key, error = %err, kind = err.kind(), "registration failed, will be retried");
            Outcome::Retry(err.to_string())
        }
        Err(err) => {
            error!(bucket = %object.bucket, key = %object.key, error = %err, kind = err.kind(), "record cannot be registered");
            Outcome::Done(RecordResult::ignored(Some(object.key.clone()), format!("invalid: {err}")))
        }
    }
}
