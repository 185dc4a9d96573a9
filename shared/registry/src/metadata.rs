//! What a registered version carries: the sources, their merge, the full metadata document
//! stored beside the artifact copy, and the `CustomerMetadataProperties` cut from it.
//!
//! Sources merge in this order, later winning on the same key: the training job, the object's
//! user metadata, `metadata.json`, `evaluation.json`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::{Error, Result};

pub const METADATA_FILE: &str = "metadata.json";
pub const EVALUATION_FILE: &str = "evaluation.json";

/// The S3 object being registered, as HeadObject saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceObject {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub etag: String,
    pub size: u64,
    /// `x-amz-meta-*`, names without the prefix.
    pub user_metadata: BTreeMap<String, String>,
}

impl SourceObject {
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// The folder holding the artifact and its sidecars (`""` at the bucket root).
    pub fn folder(&self) -> &str {
        self.key.rfind('/').map_or("", |i| &self.key[..=i])
    }

    /// The training job name for SageMaker's `<prefix>/<job>/output/model.tar.gz` layout.
    pub fn training_job_name(&self) -> Option<&str> {
        let mut parts = self.key.rsplit('/');
        let (file, output, job) = (parts.next()?, parts.next()?, parts.next()?);
        let valid = file == "model.tar.gz"
            && output == "output"
            && crate::config::validate_group_name("job", job).is_ok();
        valid.then_some(job)
    }
}

/// `metadata.json`, the product's own sidecar schema. Unknown fields are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetadataFile {
    pub model_name: Option<String>,
    pub version: Option<Value>,
    pub framework: Option<String>,
    pub framework_version: Option<Value>,
    pub description: Option<String>,
    #[serde(default)]
    pub data: BTreeMap<String, Value>,
    #[serde(default)]
    pub hyperparameters: BTreeMap<String, Value>,
    #[serde(default)]
    pub metrics: BTreeMap<String, Value>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl MetadataFile {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let parsed: MetadataFile = serde_json::from_slice(bytes)
            .map_err(|err| Error::InvalidInput(format!("{METADATA_FILE} is not valid: {err}")))?;
        if let Some((name, value)) = parsed.metrics.iter().find(|(_, v)| !v.is_number()) {
            return Err(Error::InvalidInput(format!(
                "{METADATA_FILE}: metric '{name}' must be a number, found {value}"
            )));
        }
        Ok(parsed)
    }
}

/// `evaluation.json` in SageMaker's model-quality statistics format.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// `binary_classification`, `multiclass_classification` or `regression`.
    pub problem_type: String,
    /// Every metric with a numeric `value`.
    pub metrics: BTreeMap<String, Value>,
}

impl Evaluation {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let bad = |why: String| Error::InvalidInput(format!("{EVALUATION_FILE} is not valid: {why}"));
        let document: BTreeMap<String, Value> =
            serde_json::from_slice(bytes).map_err(|err| bad(err.to_string()))?;
        let (section, metrics) = document
            .iter()
            .find(|(name, value)| name.ends_with("_metrics") && value.is_object())
            .ok_or_else(|| {
                bad("expected binary_classification_metrics, multiclass_classification_metrics or regression_metrics".into())
            })?;
        #[derive(Deserialize)]
        struct Statistic {
            value: Option<Value>,
        }
        let metrics: BTreeMap<String, Value> = metrics
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, stat)| {
                let value = serde_json::from_value::<Statistic>(stat.clone()).ok()?.value?;
                value.is_number().then(|| (name.clone(), value))
            })
            .collect();
        Ok(Evaluation { problem_type: section.trim_end_matches("_metrics").to_string(), metrics })
    }
}

/// What DescribeTrainingJob told about the job that produced the artifact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingJobInfo {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub image: Option<String>,
    pub hyperparameters: BTreeMap<String, String>,
    pub final_metrics: BTreeMap<String, Value>,
    /// Input channel name to its S3 URI.
    pub input_channels: BTreeMap<String, String>,
}

/// Everything collected about one artifact, before merging.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub object: SourceObject,
    pub training_job: Option<TrainingJobInfo>,
    pub metadata_file: Option<MetadataFile>,
    pub evaluation: Option<Evaluation>,
    /// Sidecar files that were not found.
    pub missing: Vec<String>,
    /// Things a reviewer should know (a job not found, still running...).
    pub notes: Vec<String>,
}

/// Where the registry's immutable copies of one registration live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryLocation {
    pub bucket: String,
    /// `<prefix><group>/<registration-id>/`
    pub folder: String,
}

impl RegistryLocation {
    pub fn key(&self, file: &str) -> String {
        format!("{}{}", self.folder, file)
    }
    pub fn uri(&self, file: &str) -> String {
        format!("s3://{}/{}{}", self.bucket, self.folder, file)
    }
}

/// The full metadata document of a version, stored as `metadata.json` beside the copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelDocument {
    pub registration_id: String,
    pub group: String,
    pub source: SourceObject,
    pub artifact_uri: String,
    pub metadata_uri: String,
    pub evaluation_uri: Option<String>,
    pub inference_image: String,
    pub model_name: Option<String>,
    pub model_version: Option<String>,
    pub framework: Option<String>,
    pub framework_version: Option<String>,
    pub description: Option<String>,
    pub problem_type: Option<String>,
    pub metrics: BTreeMap<String, Value>,
    pub data: BTreeMap<String, Value>,
    pub hyperparameters: BTreeMap<String, Value>,
    pub training_job: Option<TrainingJobInfo>,
    pub missing: Vec<String>,
    pub notes: Vec<String>,
    /// Unknown fields of `metadata.json`, kept as they were.
    pub extra: BTreeMap<String, Value>,
}

/// A JSON value as a metadata string: strings as is, numbers in their shortest form.
pub fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn pick<'a>(meta: &'a BTreeMap<String, String>, names: &[&str]) -> Option<&'a String> {
    names.iter().find_map(|name| meta.get(*name)).filter(|v| !v.is_empty())
}

/// Merges the sources into the document (later sources win on the same key).
pub fn build_document(
    sources: &Sources,
    registration_id: &str,
    group: &str,
    location: &RegistryLocation,
    inference_image: &str,
) -> ModelDocument {
    let mut doc = ModelDocument {
        registration_id: registration_id.to_string(),
        group: group.to_string(),
        source: sources.object.clone(),
        artifact_uri: location.uri("model.tar.gz"),
        metadata_uri: location.uri(METADATA_FILE),
        evaluation_uri: sources.evaluation.as_ref().map(|_| location.uri(EVALUATION_FILE)),
        inference_image: inference_image.to_string(),
        missing: sources.missing.clone(),
        notes: sources.notes.clone(),
        ..ModelDocument::default()
    };

    // 1. the training job
    if let Some(job) = &sources.training_job {
        doc.training_job = Some(job.clone());
        doc.model_name = Some(job.name.clone());
        for (name, value) in &job.hyperparameters {
            doc.hyperparameters.insert(name.clone(), Value::String(value.clone()));
        }
        doc.metrics.extend(job.final_metrics.clone());
        for (channel, uri) in &job.input_channels {
            doc.data.insert(channel.clone(), Value::String(uri.clone()));
        }
    }

    // 2. the object's user metadata (also kept as is under s3-meta:)
    let user = &sources.object.user_metadata;
    if let Some(v) = pick(user, &["model-name", "model_name"]) {
        doc.model_name = Some(v.clone());
    }
    if let Some(v) = pick(user, &["model-version", "model_version", "version"]) {
        doc.model_version = Some(v.clone());
    }
    if let Some(v) = pick(user, &["framework"]) {
        doc.framework = Some(v.clone());
    }
    if let Some(v) = pick(user, &["framework-version", "framework_version"]) {
        doc.framework_version = Some(v.clone());
    }

    // 3. metadata.json
    if let Some(file) = &sources.metadata_file {
        let text = |v: &Option<Value>| v.as_ref().map(render).filter(|s| !s.is_empty());
        doc.model_name = file.model_name.clone().or(doc.model_name.take());
        doc.model_version = text(&file.version).or(doc.model_version.take());
        doc.framework = file.framework.clone().or(doc.framework.take());
        doc.framework_version = text(&file.framework_version).or(doc.framework_version.take());
        doc.description = file.description.clone();
        doc.data.extend(file.data.clone());
        doc.hyperparameters.extend(file.hyperparameters.clone());
        doc.metrics.extend(file.metrics.clone());
        doc.extra = file.extra.clone();
    }

    // 4. evaluation.json
    if let Some(evaluation) = &sources.evaluation {
        doc.problem_type = Some(evaluation.problem_type.clone());
        doc.metrics.extend(evaluation.metrics.clone());
    }
    doc
}

/// `CustomerMetadataProperties` candidates in DESIGN.md's priority order (before fitting).
pub fn metadata_entries(doc: &ModelDocument) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut push = |key: String, value: Option<String>| {
        if let Some(value) = value {
            entries.push((key, value));
        }
    };
    push("source-uri".into(), Some(doc.source.uri()));
    push("source-etag".into(), Some(doc.source.etag.clone()));
    push("source-version-id".into(), doc.source.version_id.clone());
    push("registration-id".into(), Some(doc.registration_id.clone()));
    push("training-job".into(), doc.training_job.as_ref().map(|j| j.name.clone()));
    push("metadata-uri".into(), Some(doc.metadata_uri.clone()));
    push("model-name".into(), doc.model_name.clone());
    push("model-version".into(), doc.model_version.clone());
    push("framework".into(), doc.framework.clone());
    push("framework-version".into(), doc.framework_version.clone());
    if !doc.missing.is_empty() {
        push("missing".into(), Some(doc.missing.join(" ")));
    }
    for (name, value) in &doc.metrics {
        push(format!("metric:{name}"), Some(render(value)));
    }
    for (name, value) in &doc.data {
        push(format!("data:{name}"), Some(render(value)));
    }
    for (name, value) in &doc.hyperparameters {
        push(format!("hyperparameter:{name}"), Some(render(value)));
    }
    for (name, value) in &doc.source.user_metadata {
        push(format!("s3-meta:{name}"), Some(value.clone()));
    }
    entries
}

/// The human description of a version (before fitting into 1024 characters).
pub fn describe(doc: &ModelDocument) -> String {
    let name = doc.model_name.as_deref().unwrap_or("model");
    let mut text = match &doc.model_version {
        Some(version) => format!("{name} {version}"),
        None => name.to_string(),
    };
    text.push_str(&format!(" from {}", doc.source.uri()));
    if let Some(job) = &doc.training_job {
        text.push_str(&format!(" (training job {})", job.name));
    }
    let headline: Vec<String> = ["accuracy", "auc", "f1", "rmse", "mse", "r2"]
        .iter()
        .filter_map(|m| doc.metrics.get(*m).map(|v| format!("{m} {}", render(v))))
        .collect();
    if !headline.is_empty() {
        text.push_str(&format!("; {}", headline.join(", ")));
    }
    if let Some(description) = &doc.description {
        text.push_str(&format!(". {description}"));
    }
    if !doc.missing.is_empty() {
        text.push_str(&format!(". Registered without {}", doc.missing.join(" and ")));
    }
    for note in &doc.notes {
        text.push_str(&format!(". {note}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE_METADATA: &[u8] = include_bytes!("../../../../shared/fixtures/metadata.json");
    const FIXTURE_EVALUATION: &[u8] = include_bytes!("../../../../shared/fixtures/evaluation.json");

    fn location() -> RegistryLocation {
        RegistryLocation { bucket: "b".into(), folder: "registry/g/id/".into() }
    }

    fn sources() -> Sources {
        Sources {
            object: SourceObject {
                bucket: "b".into(),
                key: "model/model.tar.gz".into(),
                etag: "e".into(),
                size: 10,
                ..SourceObject::default()
            },
            ..Sources::default()
        }
    }

    #[test]
    fn given_fixture_sidecars_when_parsed_then_metrics_and_fields_are_read() {
        let meta = MetadataFile::parse(FIXTURE_METADATA).unwrap();
        assert_eq!(meta.model_name.as_deref(), Some("ml-pipeline-model-v1"));
        assert_eq!(meta.hyperparameters["max_depth"], Value::from(3));
        let evaluation = Evaluation::parse(FIXTURE_EVALUATION).unwrap();
        assert_eq!(evaluation.problem_type, "binary_classification");
        assert_eq!(render(&evaluation.metrics["accuracy"]), "0.958");
        assert_eq!(evaluation.metrics.len(), 3);
    }

    #[test]
    fn given_all_sources_when_merged_then_later_sources_win() {
        let mut s = sources();
        s.training_job = Some(TrainingJobInfo {
            name: "job-1".into(),
            final_metrics: BTreeMap::from([("accuracy".into(), Value::from(0.5)), ("loss".into(), Value::from(0.1))]),
            hyperparameters: BTreeMap::from([("eta".into(), "0.1".into())]),
            ..TrainingJobInfo::default()
        });
        s.object.user_metadata = BTreeMap::from([("model-name".into(), "from-s3".into())]);
        s.metadata_file = Some(MetadataFile::parse(FIXTURE_METADATA).unwrap());
        s.evaluation = Some(Evaluation::parse(FIXTURE_EVALUATION).unwrap());
        let doc = build_document(&s, "id", "g", &location(), "img");
        assert_eq!(doc.model_name.as_deref(), Some("ml-pipeline-model-v1"));
        assert_eq!(doc.model_version.as_deref(), Some("v1.0"));
        assert_eq!(render(&doc.metrics["accuracy"]), "0.958");
        assert_eq!(render(&doc.metrics["loss"]), "0.1");
        assert_eq!(render(&doc.hyperparameters["eta"]), "0.3");
        assert_eq!(doc.evaluation_uri.as_deref(), Some("s3://b/registry/g/id/evaluation.json"));
    }

    #[test]
    fn given_document_when_entries_built_then_design_priority_order() {
        let mut s = sources();
        s.metadata_file = Some(MetadataFile::parse(FIXTURE_METADATA).unwrap());
        s.object.user_metadata = BTreeMap::from([("team".into(), "fraud".into())]);
        let doc = build_document(&s, "id", "g", &location(), "img");
        let keys: Vec<String> = metadata_entries(&doc).into_iter().map(|(k, _)| k).collect();
        assert_eq!(&keys[..4], ["source-uri", "source-etag", "registration-id", "metadata-uri"]);
        let position = |k: &str| keys.iter().position(|x| x == k).unwrap();
        assert!(position("model-name") < position("metric:accuracy"));
        assert!(position("metric:accuracy") < position("data:rows"));
        assert!(position("data:rows") < position("hyperparameter:eta"));
        assert!(position("hyperparameter:eta") < position("s3-meta:team"));
    }

    #[test]
    fn given_training_output_layout_when_asked_then_job_name() {
        let mut object = SourceObject { key: "runs/xgb-2026-01-01/output/model.tar.gz".into(), ..SourceObject::default() };
        assert_eq!(object.training_job_name(), Some("xgb-2026-01-01"));
        object.key = "model/model.tar.gz".into();
        assert_eq!(object.training_job_name(), None);
        object.key = "bad_name/output/model.tar.gz".into();
        assert_eq!(object.training_job_name(), None);
        assert_eq!(object.folder(), "bad_name/output/");
    }

    #[test]
    fn given_bad_sidecars_when_parsed_then_clear_errors() {
        assert!(MetadataFile::parse(b"{").unwrap_err().to_string().contains("metadata.json"));
        let err = MetadataFile::parse(br#"{"metrics": {"accuracy": "high"}}"#).unwrap_err();
        assert!(err.to_string().contains("accuracy"));
        assert!(Evaluation::parse(br#"{"x": 1}"#).unwrap_err().to_string().contains("evaluation.json"));
    }

    #[test]
    fn given_missing_sidecars_when_described_then_says_which() {
        let mut s = sources();
        s.missing = vec!["metadata.json".into(), "evaluation.json".into()];
        let doc = build_document(&s, "id", "g", &location(), "img");
        assert!(describe(&doc).contains("Registered without metadata.json and evaluation.json"));
        assert!(metadata_entries(&doc).contains(&("missing".into(), "metadata.json evaluation.json".into())));
    }
}
