//! Registration of one S3 object version as one model package version, exactly once.
//!
//! Order of work, chosen so that a crash anywhere leaves either nothing or a complete version:
//! 1. look up the exact object (its version, or conditional on its ETag);
//! 2. if the registry already recorded this registration, answer "duplicate";
//! 3. collect metadata (training job, user metadata, sidecars);
//! 4. copy the artifact, the evaluation and the full metadata document to
//!    `<prefix><group>/<registration-id>/` (idempotent: same bytes every time);
//! 5. claim the registration with a conditional write (`If-None-Match: *`), race-free even
//!    where `ClientToken` is ignored; a lost claim waits for the winner's result;
//! 6. CreateModelPackage with every piece of metadata in one call (and a deterministic
//!    `ClientToken`, which makes real SageMaker idempotent too);
//! 7. record the version's ARN in the claim.

use aws_sdk_s3::Client as S3Client;
use aws_sdk_sagemaker::Client as SageMakerClient;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::{info, warn};

use crate::config::RegisterConfig;
use crate::error::{Error, Result};
use crate::intake::ObjectEvent;
use crate::metadata::{
    self, Evaluation, MetadataFile, ModelDocument, RegistryLocation, SourceObject, Sources, EVALUATION_FILE,
    METADATA_FILE,
};
use crate::request::{self, PackageRequest};
use crate::{s3, sagemaker};

pub const ARTIFACT_FILE: &str = "model.tar.gz";
pub const CLAIM_FILE: &str = "registration.json";
/// Attempts at CreateModelPackage within one invocation; Lambda's retries come after.
const CREATE_ATTEMPTS: u32 = 4;

/// The outcome of one record, as `register-model` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Registered,
    Duplicate,
    Ignored,
    Superseded,
}

/// One entry of the function's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    pub key: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl RecordResult {
    pub fn ignored(key: Option<String>, reason: impl Into<String>) -> Self {
        RecordResult { key, status: Status::Ignored, arn: None, version: None, reason: Some(reason.into()) }
    }
}

/// The claim record kept at `<folder>registration.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Claim {
    registration_id: String,
    source: String,
    claimed_at: i64,
    #[serde(default)]
    arn: Option<String>,
    #[serde(default)]
    version: Option<i32>,
    /// Set by a holder whose create failed: the next delivery takes over at once.
    #[serde(default)]
    released: bool,
}

/// What registration needs: configuration and clients, built once per cold start.
#[derive(Debug, Clone)]
pub struct Registrar {
    pub config: RegisterConfig,
    pub sagemaker: SageMakerClient,
    pub s3: S3Client,
}

/// Why a record is not a registration candidate, or `None` when it is.
pub fn skip_reason(config: &RegisterConfig, event: &ObjectEvent) -> Option<String> {
    if !event.event_name.starts_with("ObjectCreated:") {
        let name = if event.event_name.is_empty() { "unnamed event" } else { &event.event_name };
        return Some(format!("{name} is not an object creation"));
    }
    if event.key.starts_with(&config.registry_prefix) {
        return Some(format!("key is under the registry prefix '{}' (the registry's own copies)", config.registry_prefix));
    }
    let file = event.key.rsplit('/').next().unwrap_or_default();
    if file == METADATA_FILE || file == EVALUATION_FILE {
        return Some(format!("{file} is a sidecar of the artifact, not an artifact"));
    }
    if !event.key.ends_with(ARTIFACT_FILE) {
        return Some(format!("key does not end in {ARTIFACT_FILE}"));
    }
    if event.size == Some(0) {
        return Some("object is empty".into());
    }
    None
}

/// The identity of one S3 object version: its version id, else its ETag.
pub fn registration_id(bucket: &str, key: &str, version_id: Option<&str>, etag: &str) -> String {
    let identity = match version_id {
        Some(version) => format!("s3://{bucket}/{key}\nversion:{version}"),
        None => format!("s3://{bucket}/{key}\netag:{etag}"),
    };
    hex::encode(&Sha256::digest(identity.as_bytes())[..16])
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|err| Error::InvalidInput(format!("cannot serialise: {err}")))
}

impl Registrar {
    /// The folder of a registration's copies.
    pub fn location(&self, bucket: &str, registration_id: &str) -> RegistryLocation {
        RegistryLocation {
            bucket: bucket.to_string(),
            folder: format!("{}{}/{}/", self.config.registry_prefix, self.config.group_name, registration_id),
        }
    }

    /// Registers the object an event names, or says why not.
    pub async fn register_event(&self, event: &ObjectEvent) -> Result<RecordResult> {
        if let Some(reason) = skip_reason(&self.config, event) {
            info!(bucket = %event.bucket, key = %event.key, reason = %reason, "record ignored");
            return Ok(RecordResult::ignored(Some(event.key.clone()), reason));
        }
        let head = s3::head(&self.s3, &event.bucket, &event.key, event.version_id.as_deref(), event.etag.as_deref())
            .await?;
        let object = match head {
            s3::Head::Found(object) => object,
            s3::Head::Gone => {
                return Ok(RecordResult::ignored(Some(event.key.clone()), "object no longer exists"));
            }
            s3::Head::Replaced => return Ok(superseded(&event.key)),
        };
        self.register_object(object, None).await
    }

    /// Registers an object already looked up; `metadata_override` replaces `metadata.json`
    /// (the CLI's `--metadata FILE`).
    pub async fn register_object(&self, object: SourceObject, metadata_override: Option<Vec<u8>>) -> Result<RecordResult> {
        let key = object.key.clone();
        let id = registration_id(&object.bucket, &object.key, object.version_id.as_deref(), &object.etag);
        let location = self.location(&object.bucket, &id);

        if let Some(claim) = self.read_claim(&location).await? {
            if let Some(arn) = claim.arn {
                info!(key = %key, model_package_arn = %arn, "already registered");
                return Ok(duplicate(&key, arn, claim.version));
            }
        }

        let (sources, evaluation_bytes) = self.collect(object, metadata_override).await?;
        let image = self.inference_image(&sources);
        let doc = metadata::build_document(&sources, &id, &self.config.group_name, &location, &image);
        let package = request::build(&self.config, &doc);
        request::check(&package).map_err(|why| Error::InvalidInput(format!("request outside the API limits: {why}")))?;

        let copied = s3::copy_exact(
            &self.s3,
            &sources.object,
            &location.key(ARTIFACT_FILE),
            self.config.multipart_threshold,
            self.config.multipart_part_size,
        )
        .await?;
        if copied == s3::Copy::SourceChanged {
            return Ok(superseded(&key));
        }
        if let Some(bytes) = evaluation_bytes {
            s3::put(&self.s3, &location.bucket, &location.key(EVALUATION_FILE), bytes, "application/json").await?;
        }
        let full = FullDocument { document: &doc, customer_metadata: &package.metadata.entries, left_out: &package.metadata.left_out, altered: &package.metadata.altered };
        s3::put(&self.s3, &location.bucket, &location.key(METADATA_FILE), to_json(&full)?, "application/json").await?;

        sagemaker::ensure_group(&self.sagemaker, &self.config.group_name, &group_description(&self.config)).await?;
        self.claim_and_create(&location, &doc, &package).await
    }

    async fn read_claim(&self, location: &RegistryLocation) -> Result<Option<Claim>> {
        let bytes = s3::get_optional(&self.s3, &location.bucket, &location.key(CLAIM_FILE)).await?;
        // An unreadable claim is treated as an unfinished one: the version search decides.
        Ok(bytes.map(|b| serde_json::from_slice(&b).unwrap_or_default()))
    }

    async fn claim_and_create(&self, location: &RegistryLocation, doc: &ModelDocument, package: &PackageRequest) -> Result<RecordResult> {
        let key = doc.source.key.clone();
        let claim = Claim {
            registration_id: doc.registration_id.clone(),
            source: doc.source.uri(),
            claimed_at: now_secs(),
            arn: None,
            version: None,
            released: false,
        };
        let claim_key = location.key(CLAIM_FILE);
        let won = s3::put_if_absent(&self.s3, &location.bucket, &claim_key, to_json(&claim)?, "application/json").await?;
        if !won {
            match self.await_other(location, &doc.registration_id).await? {
                Some((arn, version)) => return Ok(duplicate(&key, arn, version)),
                None => {
                    warn!(registration_id = %doc.registration_id, "released or abandoned claim taken over");
                    s3::put(&self.s3, &location.bucket, &claim_key, to_json(&claim)?, "application/json").await?;
                }
            }
        }

        let (arn, version) = match self.create_exactly_once(package, &doc.registration_id, claim.claimed_at).await {
            Ok(created) => created,
            Err(err) => {
                // Best effort: let the retry take over at once instead of waiting for staleness.
                let released = Claim { released: true, ..claim.clone() };
                if let Ok(body) = to_json(&released) {
                    let _ = s3::put(&self.s3, &location.bucket, &claim_key, body, "application/json").await;
                }
                return Err(err);
            }
        };
        info!(key = %key, model_package_arn = %arn, version, "model version registered");
        let done = Claim { arn: Some(arn.clone()), version, ..claim };
        s3::put(&self.s3, &location.bucket, &claim_key, to_json(&done)?, "application/json").await?;
        Ok(RecordResult { key: Some(key), status: Status::Registered, arn: Some(arn), version, reason: None })
    }

    /// CreateModelPackage with its own retries: after a transient failure the version may exist
    /// already (the request went through, its answer was lost), so look for it before retrying.
    async fn create_exactly_once(&self, package: &PackageRequest, id: &str, claimed_at: i64) -> Result<(String, Option<i32>)> {
        let mut attempt: u32 = 0;
        loop {
            match sagemaker::create_package(&self.sagemaker, package).await {
                Ok(arn) => {
                    let version = sagemaker::version_from_arn(&arn);
                    return Ok((arn, version));
                }
                Err(err) if err.is_retryable() => {
                    warn!(registration_id = %id, attempt, error = %err, "CreateModelPackage failed; checking whether it went through");
                    if let Some(found) = sagemaker::find_registration(&self.sagemaker, &package.group, id, claimed_at - 60).await? {
                        return Ok(found);
                    }
                    attempt += 1;
                    if attempt >= CREATE_ATTEMPTS {
                        return Err(err);
                    }
                    tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Another delivery holds the claim: wait for its ARN, look for its version, and take the
    /// claim over only when it is older than any invocation can live (a crashed holder).
    /// `Ok(None)` means "take over".
    async fn await_other(&self, location: &RegistryLocation, id: &str) -> Result<Option<(String, Option<i32>)>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.config.claim_wait_secs);
        let mut first = true;
        loop {
            let claim = self.read_claim(location).await?;
            let claimed_at = claim.as_ref().map_or(0, |c| c.claimed_at);
            let released = claim.as_ref().is_some_and(|c| c.released);
            if let Some(Claim { arn: Some(arn), version, .. }) = claim {
                return Ok(Some((arn, version)));
            }
            let stale = released || now_secs() - claimed_at > self.config.claim_stale_secs as i64;
            let out_of_time = tokio::time::Instant::now() >= deadline;
            // A version created after the claim but never recorded (crash after create). The
            // search lists and describes versions, so it runs when waiting starts and before
            // giving up or taking over, not on every poll of the claim.
            if first || stale || out_of_time {
                let since = claimed_at - 60;
                if let Some(found) = sagemaker::find_registration(&self.sagemaker, &self.config.group_name, id, since).await? {
                    self.record(location, id, &found).await?;
                    return Ok(Some(found));
                }
            }
            if stale {
                return Ok(None);
            }
            if out_of_time {
                return Err(Error::InProgress { registration_id: id.to_string() });
            }
            first = false;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn record(&self, location: &RegistryLocation, id: &str, found: &(String, Option<i32>)) -> Result<()> {
        let claim = Claim {
            registration_id: id.to_string(),
            claimed_at: now_secs(),
            arn: Some(found.0.clone()),
            version: found.1,
            ..Claim::default()
        };
        s3::put(&self.s3, &location.bucket, &location.key(CLAIM_FILE), to_json(&claim)?, "application/json").await
    }

    /// Gathers every metadata source; returns the evaluation's bytes to copy as they were read.
    async fn collect(&self, object: SourceObject, metadata_override: Option<Vec<u8>>) -> Result<(Sources, Option<Vec<u8>>)> {
        let folder = object.folder().to_string();
        let mut sources = Sources { object, ..Sources::default() };

        if let Some(job_name) = sources.object.training_job_name().map(String::from) {
            match sagemaker::training_job(&self.sagemaker, &job_name).await? {
                Some(job) => {
                    if job.status != "Completed" {
                        sources.notes.push(format!(
                            "Training job {job_name} was {} at registration: its final metrics may be incomplete",
                            job.status
                        ));
                    }
                    sources.training_job = Some(job);
                }
                None => sources.notes.push(format!("Training job {job_name} was not found: no lineage recorded")),
            }
        }

        let metadata_bytes = match metadata_override {
            Some(bytes) => Some(bytes),
            None => s3::get_optional(&self.s3, &sources.object.bucket, &format!("{folder}{METADATA_FILE}")).await?,
        };
        match metadata_bytes {
            Some(bytes) => sources.metadata_file = Some(MetadataFile::parse(&bytes)?),
            None => sources.missing.push(METADATA_FILE.into()),
        }
        let evaluation_bytes =
            s3::get_optional(&self.s3, &sources.object.bucket, &format!("{folder}{EVALUATION_FILE}")).await?;
        match &evaluation_bytes {
            Some(bytes) => sources.evaluation = Some(Evaluation::parse(bytes)?),
            None => sources.missing.push(EVALUATION_FILE.into()),
        }
        Ok((sources, evaluation_bytes))
    }

    /// The configured image, else the training job's, else the built-in XGBoost image.
    fn inference_image(&self, sources: &Sources) -> String {
        self.config
            .inference_image
            .clone()
            .or_else(|| sources.training_job.as_ref().and_then(|job| job.image.clone()))
            .or_else(|| self.config.default_image.clone())
            .unwrap_or_default()
    }
}

/// The document stored as `metadata.json` beside the copy: the merged metadata and what the
/// version's `CustomerMetadataProperties` hold of it.
#[derive(Serialize)]
struct FullDocument<'a> {
    #[serde(flatten)]
    document: &'a ModelDocument,
    customer_metadata: &'a [(String, String)],
    left_out: &'a [String],
    altered: &'a [String],
}

fn group_description(config: &RegisterConfig) -> String {
    format!(
        "Models registered automatically from S3 training outputs (registry prefix {})",
        config.registry_prefix
    )
}

fn duplicate(key: &str, arn: String, version: Option<i32>) -> RecordResult {
    RecordResult {
        key: Some(key.to_string()),
        status: Status::Duplicate,
        arn: Some(arn),
        version,
        reason: Some("this object version is already registered".into()),
    }
}

fn superseded(key: &str) -> RecordResult {
    RecordResult {
        key: Some(key.to_string()),
        status: Status::Superseded,
        arn: None,
        version: None,
        reason: Some("the key was overwritten before registration; the newer object's own event registers it".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RegisterConfig {
        RegisterConfig::from_lookup(|name| (name == "AWS_REGION").then(|| "us-east-1".to_string())).unwrap()
    }

    fn event(key: &str, name: &str) -> ObjectEvent {
        ObjectEvent {
            bucket: "b".into(),
            key: key.into(),
            version_id: None,
            etag: Some("e".into()),
            size: Some(10),
            event_name: name.into(),
            sequencer: None,
        }
    }

    #[test]
    fn given_keys_when_classified_then_only_artifacts_outside_the_registry_register() {
        let cfg = config();
        assert_eq!(skip_reason(&cfg, &event("model/model.tar.gz", "ObjectCreated:Put")), None);
        assert_eq!(skip_reason(&cfg, &event("jobs/j/output/model.tar.gz", "ObjectCreated:CompleteMultipartUpload")), None);
        let reason = |key: &str, name: &str| skip_reason(&cfg, &event(key, name)).unwrap_or_default();
        assert!(reason("model/other.csv", "ObjectCreated:Put").contains("model.tar.gz"));
        assert!(reason("registry/g/id/model.tar.gz", "ObjectCreated:Copy").contains("registry"));
        assert!(reason("model/metadata.json", "ObjectCreated:Put").contains("sidecar"));
        assert!(reason("model/model.tar.gz", "ObjectRemoved:Delete").contains("not an object creation"));
    }

    #[test]
    fn given_object_identity_when_hashed_then_stable_and_distinct() {
        let a = registration_id("b", "k", None, "etag1");
        assert_eq!(a, registration_id("b", "k", None, "etag1"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, registration_id("b", "k", None, "etag2"));
        assert_ne!(a, registration_id("b", "k", Some("v1"), "etag1"));
    }
}
