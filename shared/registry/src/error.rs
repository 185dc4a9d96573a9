//! Errors of the registry domain, split by what a retry can do about them.
//!
//! `Transient` failures (throttling, 5xx, network, a registration still in flight) must reach
//! Lambda as invocation errors so that its retries and the on-failure destination work.
//! Everything else is an input or configuration problem that no retry fixes.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;

/// One error type for the whole crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration variable is missing or invalid; raised at cold start.
    #[error("invalid configuration: {variable}: {reason}")]
    Config { variable: &'static str, reason: String },

    /// The event (or one record of it) cannot be understood; no retry fixes it.
    #[error("invalid event: {0}")]
    InvalidEvent(String),

    /// An input (sidecar file, object, metadata) that no retry fixes.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// An AWS call failed in a way a retry can fix (throttling, 5xx, network, access).
    #[error("{operation} failed (retryable): {message}")]
    Transient { operation: &'static str, message: String },

    /// An AWS call was refused for a reason no retry fixes (validation, missing resource).
    #[error("{operation} failed: {code}: {message}")]
    Service { operation: &'static str, code: String, message: String },

    /// Another delivery of the same object version is registering it right now.
    #[error("registration {registration_id} is in progress in another invocation")]
    InProgress { registration_id: String },
}

impl Error {
    /// Whether Lambda should retry the invocation that met this error.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Transient { .. } | Error::InProgress { .. })
    }

    /// A stable error type name for the Lambda error response and for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config { .. } => "ConfigError",
            Error::InvalidEvent(_) => "InvalidEvent",
            Error::InvalidInput(_) => "InvalidInput",
            Error::Transient { .. } => "TransientError",
            Error::Service { .. } => "ServiceError",
            Error::InProgress { .. } => "RegistrationInProgress",
        }
    }

    pub(crate) fn config(variable: &'static str, reason: impl Into<String>) -> Self {
        Error::Config { variable, reason: reason.into() }
    }
}

/// Error codes that mean "try again later" whatever the service.
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    // An IAM or KMS misconfiguration is fixed by the operator, then the retry succeeds;
    // acknowledging it would lose the model silently.
    "AccessDenied",
    "AccessDeniedException",
    "KMS.ThrottlingException",
];

/// The error code of a service error, `None` for transport-level failures.
pub fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// The HTTP status of a service error, when there was a response.
pub fn http_status<E>(err: &SdkError<E, Response>) -> Option<u16> {
    err.raw_response().map(|response| response.status().as_u16())
}

/// Classifies an SDK error: transient when a retry can fix it, a service error otherwise.
pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, Response>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = http_status(&err);
    let message = describe(&err);
    match &err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_string();
            let server_fault = status.is_some_and(|s| s >= 500) || status == Some(429);
            if server_fault || RETRYABLE_CODES.contains(&code.as_str()) {
                Error::Transient { operation, message }
            } else {
                Error::Service { operation, code, message }
            }
        }
        // Timeouts, dispatch (connection) failures and unparseable responses are transport
        // problems: the request may or may not have reached the service, so retry.
        _ => Error::Transient { operation, message },
    }
}

/// A one-line description with the whole source chain, so logs say what really happened.
pub fn describe<E>(err: &SdkError<E, Response>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::ServiceError(service) = err {
        let inner = service.err();
        return format!(
            "{}: {}",
            inner.code().unwrap_or("Unknown"),
            inner.message().unwrap_or("no message")
        );
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_transient_and_in_progress_when_asked_then_only_they_are_retryable() {
        let transient = Error::Transient { operation: "CreateModelPackage", message: "x".into() };
        let busy = Error::InProgress { registration_id: "r".into() };
        let invalid = Error::InvalidEvent("bad".into());
        assert!(transient.is_retryable());
        assert!(busy.is_retryable());
        assert!(!invalid.is_retryable());
        assert_eq!(invalid.kind(), "InvalidEvent");
    }

    #[test]
    fn given_config_error_when_displayed_then_names_the_variable() {
        let err = Error::config("MODEL_PACKAGE_GROUP_NAME", "must not contain '_'");
        assert!(err.to_string().contains("MODEL_PACKAGE_GROUP_NAME"));
    }
}
