//! Helpers for the end-to-end tests: real AWS SDK clients against the local emulator that
//! `make test` starts (`scripts/localaws.sh`), unique names per test, the shared fixtures,
//! and the `events/` files rewritten to point at what a test uploaded.
//!
//! Tests run in parallel against one emulator, so every test uses its own bucket and group.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use registry::clients::Clients;
use registry::config::RegisterConfig;
use registry::register::Registrar;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file of `../shared/fixtures/` (the real XGBoost model and its sidecars).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = root().join("../shared/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("fixture {}: {err}", path.display()))
}

/// An `events/` file as JSON.
pub fn event_file(name: &str) -> Value {
    let path = root().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A name no other test of this run uses: `<prefix>-<pid>-<n>`, valid for buckets and groups.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// Clients for the emulator. Fails loudly when it is not running: a skipped end-to-end test
/// would pass without testing anything.
pub async fn clients() -> Clients {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run the end-to-end tests with `make test` (it starts the local AWS emulator)"
    );
    Clients::from_env().await.expect("clients")
}

/// An SQS client for the emulator.
pub async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&registry::clients::sdk_config().await)
}

/// A registrar for `group`, with extra configuration variables.
pub async fn registrar(group: &str, extra: &[(&str, &str)]) -> Registrar {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("AWS_REGION".to_string(), "us-east-1".to_string()),
        ("MODEL_PACKAGE_GROUP_NAME".to_string(), group.to_string()),
        ("REGISTRATION_WAIT_SECONDS".to_string(), "20".to_string()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let config = RegisterConfig::from_lookup(|name| vars.get(name).cloned()).expect("config");
    let clients = clients().await;
    Registrar { config, sagemaker: clients.sagemaker, s3: clients.s3 }
}

/// Creates a bucket, versioned or not.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str, versioned: bool) {
    s3.create_bucket().bucket(bucket).send().await.expect("create bucket");
    if versioned {
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
            .send()
            .await
            .expect("versioning");
    }
}

/// What an upload produced, as an S3 event would name it.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub bucket: String,
    pub key: String,
    pub etag: String,
    pub version_id: Option<String>,
    pub size: usize,
}

/// Uploads `body` with optional user metadata.
pub async fn upload(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>, meta: &[(&str, &str)]) -> Uploaded {
    let size = body.len();
    let mut request = s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body));
    for (k, v) in meta {
        request = request.metadata(*k, *v);
    }
    let out = request.send().await.expect("put object");
    Uploaded {
        bucket: bucket.into(),
        key: key.into(),
        etag: out.e_tag().unwrap_or_default().trim_matches('"').to_string(),
        version_id: out.version_id().map(String::from),
        size,
    }
}

/// Uploads the fixture's sidecars then its model under `folder` (training writes sidecars first).
pub async fn upload_fixture(s3: &aws_sdk_s3::Client, bucket: &str, folder: &str) -> Uploaded {
    upload(s3, bucket, &format!("{folder}metadata.json"), fixture("metadata.json"), &[]).await;
    upload(s3, bucket, &format!("{folder}evaluation.json"), fixture("evaluation.json"), &[]).await;
    upload(s3, bucket, &format!("{folder}model.tar.gz"), fixture("model.tar.gz"), &[]).await
}

/// Encodes a key the way S3 notifications do (`+` for space, percent-escapes).
pub fn encode_key(key: &str) -> String {
    let mut out = String::new();
    for byte in key.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Rewrites every S3 record of an event (native, EventBridge, or inside SQS/SNS bodies) to
/// name `object`, as S3 would have sent it.
pub fn point_event_at(event: &mut Value, object: &Uploaded) {
    rewrite(event, object, 0);
}

fn rewrite(value: &mut Value, object: &Uploaded, depth: usize) {
    if depth > 4 {
        return;
    }
    if let Some(s3) = value.get_mut("s3") {
        s3["bucket"]["name"] = object.bucket.clone().into();
        s3["bucket"]["arn"] = format!("arn:aws:s3:::{}", object.bucket).into();
        let o = &mut s3["object"];
        o["key"] = encode_key(&object.key).into();
        o["eTag"] = object.etag.clone().into();
        o["size"] = object.size.into();
        match &object.version_id {
            Some(v) => o["versionId"] = v.clone().into(),
            None => {
                if let Some(map) = o.as_object_mut() {
                    map.remove("versionId");
                }
            }
        }
    }
    if value.get("source").and_then(Value::as_str) == Some("aws.s3") {
        let d = &mut value["detail"];
        d["bucket"]["name"] = object.bucket.clone().into();
        d["object"]["key"] = object.key.clone().into();
        d["object"]["etag"] = object.etag.clone().into();
        d["object"]["size"] = object.size.into();
        if let Some(v) = &object.version_id {
            d["object"]["version-id"] = v.clone().into();
        }
    }
    for field in ["body", "Message"] {
        if let Some(text) = value.get(field).and_then(Value::as_str) {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                rewrite(&mut inner, object, depth + 1);
                value[field] = inner.to_string().into();
            }
        }
    }
    if let Some(sns) = value.get_mut("Sns") {
        rewrite(sns, object, depth + 1);
    }
    if let Some(records) = value.get_mut("Records").and_then(Value::as_array_mut) {
        for record in records {
            rewrite(record, object, depth + 1);
        }
    }
}

/// Reads an object's bytes from an `s3://bucket/key` URI.
pub async fn read_uri(s3: &aws_sdk_s3::Client, uri: &str) -> Vec<u8> {
    let rest = uri.strip_prefix("s3://").expect("s3 uri");
    let (bucket, key) = rest.split_once('/').expect("bucket/key");
    let out = s3.get_object().bucket(bucket).key(key).send().await.expect("get object");
    out.body.collect().await.expect("body").into_bytes().to_vec()
}

/// The group's versions, oldest first, fully described.
pub async fn versions(
    sagemaker: &aws_sdk_sagemaker::Client,
    group: &str,
) -> Vec<aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput> {
    let mut summaries = registry::sagemaker::list_versions(sagemaker, group, |_| false).await.expect("list");
    summaries.reverse();
    let mut out = Vec::new();
    for summary in summaries {
        out.push(sagemaker.describe_model_package().model_package_name(&summary.arn).send().await.expect("describe"));
    }
    out
}

/// A fake Lambda context-free invocation of `register-model` on a JSON payload.
pub async fn invoke_register(
    registrar: &Registrar,
    payload: &Value,
) -> Result<Value, register_model::RetryableFailure> {
    register_model::handle(registrar, payload).await.map(|response| serde_json::to_value(response).expect("json"))
}

/// Rewrites an event file's records to `bucket`, and each record naming the key of one of
/// `objects` to that object's ETag, size and version, as S3 would have sent them. Keys stay as
/// the file spells them (URL-encoded in S3 notifications, raw in EventBridge events).
pub fn retarget(event: &mut Value, bucket: &str, objects: &[Uploaded]) {
    retarget_value(event, bucket, objects, 0);
}

fn retarget_value(value: &mut Value, bucket: &str, objects: &[Uploaded], depth: usize) {
    if depth > 5 {
        return;
    }
    let find = |key: &str| objects.iter().find(|o| o.key == key);
    if let Some(s3) = value.get_mut("s3").filter(|s| s.is_object()) {
        s3["bucket"]["name"] = bucket.into();
        if s3["bucket"].get("arn").is_some() {
            s3["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
        }
        let raw = s3["object"]["key"].as_str().unwrap_or_default().to_string();
        let decoded = registry::intake::decode_key(&raw).unwrap_or_default();
        if let Some(object) = find(&decoded) {
            let o = &mut s3["object"];
            o["eTag"] = object.etag.clone().into();
            o["size"] = object.size.into();
            if o.get("versionId").is_some() {
                o["versionId"] = object.version_id.clone().unwrap_or_default().into();
            }
        }
    }
    if value.get("source").and_then(Value::as_str) == Some("aws.s3") {
        let d = &mut value["detail"];
        d["bucket"]["name"] = bucket.into();
        let key = d["object"]["key"].as_str().unwrap_or_default().to_string();
        if let Some(object) = find(&key) {
            d["object"]["etag"] = object.etag.clone().into();
            d["object"]["size"] = object.size.into();
            if let Some(v) = &object.version_id {
                d["object"]["version-id"] = v.clone().into();
            }
        }
        if let Some(resources) = value.get_mut("resources") {
            *resources = serde_json::json!([format!("arn:aws:s3:::{bucket}")]);
        }
    }
    if value.get("Bucket").is_some() && value.get("Event").is_some() {
        value["Bucket"] = bucket.into();
    }
    for field in ["body", "Message"] {
        if let Some(text) = value.get(field).and_then(Value::as_str) {
            if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
                retarget_value(&mut inner, bucket, objects, depth + 1);
                value[field] = inner.to_string().into();
            }
        }
    }
    if let Some(sns) = value.get_mut("Sns") {
        retarget_value(sns, bucket, objects, depth + 1);
    }
    if let Some(records) = value.get_mut("Records").and_then(Value::as_array_mut) {
        for record in records {
            retarget_value(record, bucket, objects, depth + 1);
        }
    }
}

/// Clients for the emulator reached through `endpoint` (a [`Proxy`]), each with `interceptors`.
pub async fn clients_via(
    endpoint: &str,
    sagemaker_interceptors: Vec<aws_smithy_runtime_api::client::interceptors::SharedInterceptor>,
    s3_interceptors: Vec<aws_smithy_runtime_api::client::interceptors::SharedInterceptor>,
) -> Clients {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(endpoint).load().await;
    let mut sagemaker = aws_sdk_sagemaker::config::Builder::from(&config);
    for interceptor in sagemaker_interceptors {
        sagemaker.push_interceptor(interceptor);
    }
    let mut s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(true);
    for interceptor in s3_interceptors {
        s3.push_interceptor(interceptor);
    }
    Clients {
        sagemaker: aws_sdk_sagemaker::Client::from_conf(sagemaker.build()),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        sns: aws_sdk_sns::Client::new(&config),
    }
}

/// A registrar over given clients.
pub fn registrar_over(group: &str, extra: &[(&str, &str)], clients: &Clients) -> Registrar {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("AWS_REGION".to_string(), "us-east-1".to_string()),
        ("MODEL_PACKAGE_GROUP_NAME".to_string(), group.to_string()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let config = RegisterConfig::from_lookup(|name| vars.get(name).cloned()).expect("config");
    Registrar { config, sagemaker: clients.sagemaker.clone(), s3: clients.s3.clone() }
}

/// Runs `action` each time the client is about to send operation `operation` (for
/// example "CreateModelPackage"): a seam to cut the network at an exact step.
#[derive(Clone)]
pub struct OnOperation {
    pub operation: &'static str,
    pub action: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for OnOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OnOperation({})", self.operation)
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for OnOperation {
    fn name(&self) -> &'static str {
        "OnOperation"
    }

    fn read_before_transmit(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let metadata = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>();
        if metadata.is_some_and(|m| m.name() == self.operation) {
            (self.action)();
        }
        Ok(())
    }
}

/// A TCP proxy in front of the emulator that can be cut (open connections dropped, new ones
/// refused) and restored, to make the emulator unreachable without restarting it: its state
/// lives in memory.
pub struct Proxy {
    pub url: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 to the emulator (`AWS_ENDPOINT_URL`).
    pub async fn start() -> Proxy {
        let target = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL");
        let target = target.trim_start_matches("http://").trim_end_matches('/').to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (cut_flag, conns) = (cut.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if cut_flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns.lock().expect("lock").push(task.abort_handle());
            }
        });
        Proxy { url, cut, connections, accept }
    }

    /// Makes the emulator unreachable through this proxy.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    /// A closure that cuts this proxy, for [`OnOperation`].
    pub fn cutter(&self) -> std::sync::Arc<dyn Fn() + Send + Sync> {
        let (cut, connections) = (self.cut.clone(), self.connections.clone());
        std::sync::Arc::new(move || {
            cut.store(true, Ordering::SeqCst);
            for connection in connections.lock().expect("lock").drain(..) {
                connection.abort();
            }
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
