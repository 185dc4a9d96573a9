//! The CreateModelPackage request of a version, built and checked without I/O.

use crate::config::RegisterConfig;
use crate::limits::{self, fit_metadata, FittedMetadata};
use crate::metadata::{self, ModelDocument};

/// Everything CreateModelPackage receives for one version, already inside the API limits.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRequest {
    pub group: String,
    pub description: String,
    pub approval_status: String,
    pub image: String,
    pub model_data_url: String,
    pub content_types: Vec<String>,
    pub response_types: Vec<String>,
    pub metadata: FittedMetadata,
    /// `ModelMetrics.ModelQuality.Statistics` (the registry's copy of evaluation.json).
    pub statistics_uri: Option<String>,
    /// `MetadataProperties.GeneratedBy`: the training job ARN, else the source object.
    pub generated_by: String,
    pub client_token: String,
}

/// Builds the request for `doc` under `config`.
pub fn build(config: &RegisterConfig, doc: &ModelDocument) -> PackageRequest {
    let generated_by = doc
        .training_job
        .as_ref()
        .map(|job| job.arn.clone())
        .filter(|arn| !arn.is_empty())
        .unwrap_or_else(|| match &doc.source.version_id {
            Some(version) => format!("{}?versionId={version}", doc.source.uri()),
            None => doc.source.uri(),
        });
    PackageRequest {
        group: config.group_name.clone(),
        description: limits::sanitize_description(&metadata::describe(doc)),
        approval_status: config.initial_status.as_str().to_string(),
        image: doc.inference_image.clone(),
        model_data_url: doc.artifact_uri.clone(),
        content_types: config.content_types.clone(),
        response_types: config.response_types.clone(),
        metadata: fit_metadata(&metadata::metadata_entries(doc)),
        statistics_uri: doc.evaluation_uri.clone(),
        generated_by: limits::sanitize_description(&generated_by),
        client_token: limits::client_token(&doc.registration_id),
    }
}

/// Checks the limits the emulator does not; a failure here is a bug, never a user's fault.
pub fn check(request: &PackageRequest) -> Result<(), String> {
    if request.metadata.entries.len() > limits::MAX_METADATA_ENTRIES {
        return Err(format!("{} metadata entries", request.metadata.entries.len()));
    }
    for (key, value) in &request.metadata.entries {
        if !limits::is_valid_metadata_text(key, limits::MAX_KEY_LEN) {
            return Err(format!("metadata key {key:?} is invalid"));
        }
        if !limits::is_valid_metadata_text(value, limits::MAX_VALUE_LEN) {
            return Err(format!("metadata value of {key:?} is invalid"));
        }
    }
    if limits::utf16_len(&request.description) > limits::MAX_DESCRIPTION_LEN
        || request.description.chars().any(char::is_control)
    {
        return Err("description is invalid".into());
    }
    let token_ok = (1..=limits::MAX_CLIENT_TOKEN_LEN).contains(&request.client_token.len())
        && request.client_token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !token_ok {
        return Err(format!("client token {:?} is invalid", request.client_token));
    }
    if request.image.is_empty() || request.image.len() > 255 {
        return Err("inference image is invalid".into());
    }
    if request.model_data_url.len() > 1024 {
        return Err("model data URL is longer than 1024 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{build_document, MetadataFile, RegistryLocation, SourceObject, Sources};
    use serde_json::Value;
    use std::collections::BTreeMap;

    fn config() -> RegisterConfig {
        RegisterConfig::from_lookup(|name| (name == "AWS_REGION").then(|| "us-east-1".to_string())).unwrap()
    }

    fn document(metadata_file: Option<MetadataFile>) -> ModelDocument {
        let sources = Sources {
            object: SourceObject { bucket: "b".into(), key: "model/model.tar.gz".into(), etag: "e".into(), ..SourceObject::default() },
            metadata_file,
            ..Sources::default()
        };
        let location = RegistryLocation { bucket: "b".into(), folder: "registry/g/0123/".into() };
        build_document(&sources, "0123abcd", "g", &location, "img:1")
    }

    #[test]
    fn given_plain_document_when_built_then_request_points_at_the_copy() {
        let request = build(&config(), &document(None));
        assert_eq!(request.model_data_url, "s3://b/registry/g/0123/model.tar.gz");
        assert_eq!(request.approval_status, "PendingManualApproval");
        assert_eq!(request.content_types, vec!["text/csv"]);
        assert_eq!(request.generated_by, "s3://b/model/model.tar.gz");
        assert_eq!(request.client_token, "0123abcd");
        assert_eq!(check(&request), Ok(()));
    }

    #[test]
    fn given_hostile_metadata_with_80_entries_when_built_then_request_is_within_limits() {
        let data: BTreeMap<String, Value> = (0..80)
            .map(|i| (format!("field {i}, \"quoted\" {{brace}}"), Value::String(format!("line\n{}", "v".repeat(400)))))
            .collect();
        let file = MetadataFile {
            description: Some(format!("{}\u{1}", "d".repeat(2000))),
            data,
            ..MetadataFile::default()
        };
        let request = build(&config(), &document(Some(file)));
        assert_eq!(check(&request), Ok(()));
        assert_eq!(request.metadata.entries.len(), 50);
        assert!(!request.metadata.left_out.is_empty());
        let keys: Vec<&str> = request.metadata.entries.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"metadata-uri"), "the pointer to the full document is always kept");
    }
}
