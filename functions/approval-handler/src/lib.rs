//! `approval-handler`: SageMaker "Model Package State Change" events in (from EventBridge),
//! one SNS notification per review request or approval decision out.
//!
//! The answer is `{"outcome": "notified" | "duplicate" | "ignored", "event"?, "version"?,
//! "reason"?, "message_id"?}`. Events no retry makes usable (other groups, metadata-only
//! updates, malformed events) are acknowledged with their reason. What a retry can fix
//! (throttling, 5xx, a concurrent delivery still publishing, a failed publish) is an invocation
//! error, so that Lambda's asynchronous retries and the on-failure destination take over.

use lambda_runtime::Diagnostic;
use registry::approval::Notifier;
use serde_json::Value;
use tracing::warn;

pub use registry::approval::{HandlerOutput, Outcome};

/// An invocation that must be retried (or, after the retries, land in the failure destination).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(#[from] pub registry::Error);

impl HandlerError {
    pub fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Self {
        Diagnostic { error_type: err.0.kind().into(), error_message: err.to_string() }
    }
}

/// Handles one invocation payload.
pub async fn handle(notifier: &Notifier, payload: &Value) -> Result<HandlerOutput, HandlerError> {
    notifier.handle(payload).await.map_err(|err| {
        warn!(error = %err, kind = err.kind(), retryable = err.is_retryable(), "invocation failed, Lambda retries it");
        HandlerError(err)
    })
}

#[cfg(test)]
mod tests {
    //! Every `events/` file through intake and the decision rules (no I/O); the end-to-end
    //! tests run the same files through [`handle`] against the local emulator.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use registry::approval::{decide, parse_event, Parsed, Verdict};
    use registry::notify::NotificationKind;
    use serde_json::Value;
    use std::path::PathBuf;

    const GROUP: &str = "ml-pipeline-model-group";

    fn event_file(name: &str) -> Value {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    fn verdict(name: &str) -> Verdict {
        match parse_event(&event_file(name)).unwrap() {
            Parsed::StateChange(event) => decide(&event, GROUP),
            Parsed::Other { detail_type, .. } => Verdict::Ignore { reason: format!("other: {detail_type}"), version: None },
        }
    }

    fn kind(name: &str) -> NotificationKind {
        match verdict(name) {
            Verdict::Notify(change) => change.kind,
            other => panic!("{name}: expected a notification, got {other:?}"),
        }
    }

    fn ignored(name: &str) -> String {
        match verdict(name) {
            Verdict::Ignore { reason, .. } => reason,
            other => panic!("{name}: expected ignore, got {other:?}"),
        }
    }

    #[test]
    fn given_each_notifying_event_file_when_decided_then_its_kind() {
        assert_eq!(kind("sagemaker-model-package-review-requested.json"), NotificationKind::ReviewRequested);
        assert_eq!(kind("sagemaker-model-package-approved.json"), NotificationKind::Approved);
        assert_eq!(kind("sagemaker-model-package-rejected.json"), NotificationKind::Rejected);
    }

    #[test]
    fn given_each_ignored_event_file_when_decided_then_the_reason_says_why() {
        assert!(ignored("sagemaker-model-package-metadata-update.json").contains("CustomerMetadataProperties"));
        assert!(ignored("sagemaker-model-package-lifecycle-change.json").contains("ModelLifeCycle"));
        assert!(ignored("sagemaker-model-package-other-group.json").contains("other group"));
        assert!(ignored("sagemaker-model-package-documented-example.json").contains("other group 'versionedmp-p-idy6c3e1fiqj'"));
        assert!(ignored("sagemaker-training-job-state-change.json").contains("SageMaker Training Job State Change"));
    }

    #[test]
    fn given_documented_example_in_our_group_when_decided_then_lifecycle_update_ignored() {
        let mut event = event_file("sagemaker-model-package-documented-example.json");
        event["detail"]["ModelPackageGroupName"] = GROUP.into();
        let Parsed::StateChange(parsed) = parse_event(&event).unwrap() else { panic!("not parsed") };
        let Verdict::Ignore { reason, version } = decide(&parsed, GROUP) else { panic!("not ignored") };
        assert!(reason.contains("only ModelLifeCycle changed"), "{reason}");
        assert_eq!(version, Some(2));
    }
}
