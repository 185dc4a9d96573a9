//! Configuration, read from the environment once at cold start.
//!
//! Every value is validated here so that a bad deployment fails its first init with a message
//! naming the variable, instead of failing on every event later.

use crate::error::{Error, Result};
use crate::image_uri;

pub const DEFAULT_GROUP: &str = "ml-pipeline-model-group";
pub const DEFAULT_XGBOOST_VERSION: &str = "1.7-1";
pub const DEFAULT_REGISTRY_PREFIX: &str = "registry/";
const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;
/// S3's CopyObject limit: larger objects need a multipart copy.
pub const MAX_SINGLE_COPY_BYTES: u64 = 5 * GIB;
/// S3's smallest part (except the last).
pub const MIN_PART_BYTES: u64 = 5 * MIB;

/// Approval status a new version is registered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialStatus {
    PendingManualApproval,
    Approved,
}

impl InitialStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InitialStatus::PendingManualApproval => "PendingManualApproval",
            InitialStatus::Approved => "Approved",
        }
    }
}

/// How `register-model` behaves; built by [`RegisterConfig::from_env`].
#[derive(Debug, Clone)]
pub struct RegisterConfig {
    pub group_name: String,
    pub initial_status: InitialStatus,
    /// Explicit image; wins over the training job's and the built-in one.
    pub inference_image: Option<String>,
    /// The built-in XGBoost image of this region, used when nothing else names an image.
    pub default_image: Option<String>,
    pub content_types: Vec<String>,
    pub response_types: Vec<String>,
    pub registry_prefix: String,
    pub multipart_threshold: u64,
    pub multipart_part_size: u64,
    pub max_concurrency: usize,
    /// How long a delivery waits for a concurrent one that holds the claim to finish.
    pub claim_wait_secs: u64,
    /// After this long a claim without a version is considered abandoned (an invocation that
    /// crashed or timed out between claiming and creating). Longer than one create can take.
    pub claim_stale_secs: u64,
}

impl RegisterConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = non_empty(lookup);
        let group_name = group_name(&get)?;

        let initial_status = match get("MODEL_APPROVAL_STATUS").as_deref() {
            None | Some("PendingManualApproval") => InitialStatus::PendingManualApproval,
            Some("Approved") => InitialStatus::Approved,
            Some(other) => {
                return Err(Error::config(
                    "MODEL_APPROVAL_STATUS",
                    format!("'{other}' is not PendingManualApproval or Approved"),
                ))
            }
        };

        let inference_image = get("INFERENCE_IMAGE_URI");
        if let Some(image) = &inference_image {
            if image.len() > 255 || image.chars().any(char::is_whitespace) {
                return Err(Error::config(
                    "INFERENCE_IMAGE_URI",
                    "must be at most 255 characters without spaces",
                ));
            }
        }

        let xgboost_version =
            get("XGBOOST_VERSION").unwrap_or_else(|| DEFAULT_XGBOOST_VERSION.into());
        let version_ok = xgboost_version.len() <= 64
            && xgboost_version.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !version_ok {
            return Err(Error::config("XGBOOST_VERSION", format!("'{xgboost_version}' is not an image tag")));
        }

        let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
        let default_image =
            region.as_deref().and_then(|r| image_uri::xgboost_image_uri(r, &xgboost_version));
        if inference_image.is_none() && default_image.is_none() {
            return Err(Error::config(
                "INFERENCE_IMAGE_URI",
                format!(
                    "must be set: the built-in XGBoost image is not published in region {}",
                    region.as_deref().unwrap_or("(AWS_REGION unset)")
                ),
            ));
        }

        let content_types = list(&get, "SUPPORTED_CONTENT_TYPES")?;
        let response_types = list(&get, "SUPPORTED_RESPONSE_MIME_TYPES")?;

        let registry_prefix = registry_prefix(&get)?;

        let multipart_threshold =
            number(&get, "MULTIPART_COPY_THRESHOLD_BYTES", MAX_SINGLE_COPY_BYTES)?;
        if multipart_threshold == 0 || multipart_threshold > MAX_SINGLE_COPY_BYTES {
            return Err(Error::config(
                "MULTIPART_COPY_THRESHOLD_BYTES",
                format!("must be between 1 and {MAX_SINGLE_COPY_BYTES} (S3's CopyObject limit)"),
            ));
        }
        let multipart_part_size = number(&get, "MULTIPART_PART_SIZE_BYTES", 512 * MIB)?;
        if !(MIN_PART_BYTES..=MAX_SINGLE_COPY_BYTES).contains(&multipart_part_size) {
            return Err(Error::config(
                "MULTIPART_PART_SIZE_BYTES",
                "must be between 5 MiB and 5 GiB (S3's part size limits)",
            ));
        }
        let max_concurrency = number(&get, "MAX_CONCURRENT_RECORDS", 8)?;
        if !(1..=64).contains(&max_concurrency) {
            return Err(Error::config("MAX_CONCURRENT_RECORDS", "must be between 1 and 64"));
        }
        let claim_wait_secs = number(&get, "REGISTRATION_WAIT_SECONDS", 10)?;
        let claim_stale_secs = number(&get, "REGISTRATION_STALE_SECONDS", 120)?;

        Ok(RegisterConfig {
            group_name,
            initial_status,
            inference_image,
            default_image,
            content_types,
            response_types,
            registry_prefix,
            multipart_threshold,
            multipart_part_size,
            max_concurrency: max_concurrency as usize,
            claim_wait_secs,
            claim_stale_secs,
        })
    }
}

/// SageMaker's pattern for entity names: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`.
pub fn validate_group_name(variable: &'static str, name: &str) -> Result<()> {
    let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let ends_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !chars_ok || !ends_ok || name.len() > 63 {
        return Err(Error::config(
            variable,
            format!(
                "'{name}' is not a valid model package group name: 1-63 letters, digits and \
                 hyphens, starting and ending with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// A lookup that sees only trimmed, non-empty values: an empty variable means its default.
pub(crate) fn non_empty(lookup: impl Fn(&str) -> Option<String>) -> impl Fn(&str) -> Option<String> {
    move |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `MODEL_PACKAGE_GROUP_NAME`, shared by both functions.
pub(crate) fn group_name(get: &impl Fn(&str) -> Option<String>) -> Result<String> {
    let name = get("MODEL_PACKAGE_GROUP_NAME").unwrap_or_else(|| DEFAULT_GROUP.into());
    validate_group_name("MODEL_PACKAGE_GROUP_NAME", &name)?;
    Ok(name)
}

/// `REGISTRY_PREFIX`, shared by both functions.
pub(crate) fn registry_prefix(get: &impl Fn(&str) -> Option<String>) -> Result<String> {
    let prefix = get("REGISTRY_PREFIX").unwrap_or_else(|| DEFAULT_REGISTRY_PREFIX.into());
    if prefix.starts_with('/') || !prefix.ends_with('/') || prefix.len() > 512 || prefix == "/" {
        return Err(Error::config("REGISTRY_PREFIX", format!("'{prefix}' must be a key prefix like 'registry/'")));
    }
    Ok(prefix)
}

fn list(get: &impl Fn(&str) -> Option<String>, variable: &'static str) -> Result<Vec<String>> {
    let raw = get(variable).unwrap_or_else(|| "text/csv".into());
    let items: Vec<String> =
        raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    let bad = items.iter().find(|t| t.len() > 256 || !t.contains('/') || t.contains(char::is_whitespace));
    if items.is_empty() || items.len() > 10 {
        return Err(Error::config(variable, "must list 1 to 10 MIME types, comma-separated"));
    }
    if let Some(bad) = bad {
        return Err(Error::config(variable, format!("'{bad}' is not a MIME type")));
    }
    Ok(items)
}

fn number(get: &impl Fn(&str) -> Option<String>, variable: &'static str, default: u64) -> Result<u64> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|_| Error::config(variable, format!("'{raw}' is not a whole number"))),
    }
}

/// `S3_FORCE_PATH_STYLE`: `true` for local emulators.
pub fn force_path_style() -> Result<bool> {
    match std::env::var("S3_FORCE_PATH_STYLE").ok().as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(Error::config("S3_FORCE_PATH_STYLE", format!("'{other}' is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<RegisterConfig> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        RegisterConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn given_only_a_region_when_read_then_defaults_apply() {
        let cfg = config(&[("AWS_REGION", "us-east-1")]).unwrap();
        assert_eq!(cfg.group_name, "ml-pipeline-model-group");
        assert_eq!(cfg.initial_status, InitialStatus::PendingManualApproval);
        assert_eq!(
            cfg.default_image.as_deref(),
            Some("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
        );
        assert_eq!(cfg.content_types, vec!["text/csv"]);
        assert_eq!(cfg.registry_prefix, "registry/");
        assert_eq!(cfg.multipart_threshold, MAX_SINGLE_COPY_BYTES);
    }

    #[test]
    fn given_group_name_with_underscore_when_read_then_error_names_the_variable() {
        let err = config(&[("AWS_REGION", "us-east-1"), ("MODEL_PACKAGE_GROUP_NAME", "my_group")])
            .unwrap_err();
        assert!(err.to_string().contains("MODEL_PACKAGE_GROUP_NAME"), "{err}");
    }

    #[test]
    fn given_bad_values_when_read_then_each_error_names_its_variable() {
        let cases = [
            ("MODEL_APPROVAL_STATUS", "Rejected"),
            ("INFERENCE_IMAGE_URI", "has space"),
            ("XGBOOST_VERSION", "1.7 1"),
            ("SUPPORTED_CONTENT_TYPES", "csv"),
            ("REGISTRY_PREFIX", "/abs"),
            ("MULTIPART_COPY_THRESHOLD_BYTES", "lots"),
            ("MULTIPART_PART_SIZE_BYTES", "1024"),
            ("MAX_CONCURRENT_RECORDS", "0"),
        ];
        for (variable, value) in cases {
            let err = config(&[("AWS_REGION", "us-east-1"), (variable, value)]).unwrap_err();
            assert!(err.to_string().contains(variable), "{variable}={value}: {err}");
        }
    }

    #[test]
    fn given_region_without_builtin_image_when_no_image_configured_then_init_fails() {
        let err = config(&[("AWS_REGION", "xx-nowhere-1")]).unwrap_err();
        assert!(err.to_string().contains("INFERENCE_IMAGE_URI"), "{err}");
        let ok = config(&[("AWS_REGION", "xx-nowhere-1"), ("INFERENCE_IMAGE_URI", "img:1")]);
        assert!(ok.is_ok());
    }

    #[test]
    fn given_content_type_list_when_read_then_split_and_trimmed() {
        let cfg = config(&[("AWS_REGION", "eu-west-1"), ("SUPPORTED_CONTENT_TYPES", "text/csv, application/json")])
            .unwrap();
        assert_eq!(cfg.content_types, vec!["text/csv", "application/json"]);
    }
}
