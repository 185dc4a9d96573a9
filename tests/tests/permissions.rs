//! Each function's IAM policy in `template.yaml` allows every AWS operation its code calls, on
//! the resources it calls them on, and nothing it never calls: a deploy cannot fail at the first
//! event on a missing permission, and the policies stay least privilege.
//!
//! Nothing here is a hand-kept list of calls that could drift from the code:
//! - the real handlers run their flows against the emulator (registration: plain, redelivery,
//!   superseded, no sidecars, training-job layout, versioned, multipart copy, an aborted
//!   multipart copy, recovery of a claim left by a crash; notification: review requested with
//!   and without a baseline, decision, redelivery) through clients carrying a [`Recorder`]
//!   interceptor, which records every operation with its bucket, key, version, copy source,
//!   input and HTTP status;
//! - each recorded call becomes the IAM actions and resource ARNs AWS authorises it with
//!   ([`needs`]), checked against the function's policy statements parsed from `template.yaml`
//!   with the test's parameters, and against the Deny statements of the bucket policy;
//! - a scan of the functions' source finds every SDK operation they can call; one that no flow
//!   exercised fails the test, so a new call cannot go unchecked;
//! - every action a policy grants must be needed by a recorded call;
//! - statically, for the default parameters and a custom bucket name: no wildcard action, S3
//!   writes only under the registry prefix, SageMaker on the group, its versions and training
//!   jobs, `*` only for the actions that have no resource-level permissions, SNS on the topic.
//!
//! The emulator enforces no IAM here (moto checks IAM per action against resource `*` only,
//! and only for IAM users' keys); the evaluation below is a deliberately small IAM evaluator:
//! Allow statements without conditions in the function policies, Deny statements with
//! `Arn*`/`String*`/`Bool` conditions in the bucket policy. Anything else fails loudly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, ModelApprovalStatus, OutputDataConfig, ResourceConfig, StoppingCondition,
    TrainingInputMode, TrainingInstanceType,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use e2e::*;
use registry::approval::{state_change_event, ApprovalConfig, Notifier};
use registry::clients::Clients;
use registry::config::RegisterConfig;
use registry::register::{registration_id, Registrar, CLAIM_FILE};
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const REGION: &str = "us-east-1";
/// The account the emulator puts in its ARNs.
const ACCOUNT: &str = "123456789012";
const REGISTER_MODEL: &str = "register-model";
const APPROVAL_HANDLER: &str = "approval-handler";

// ------------------------------------------------------------------------------------------
// Recording the calls
// ------------------------------------------------------------------------------------------

/// One AWS call as the SDK sent it.
#[derive(Debug, Clone)]
struct Call {
    service: String,
    operation: String,
    uri: String,
    copy_source: Option<String>,
    body: Vec<u8>,
    response_body: Vec<u8>,
    status: Option<u16>,
}

impl Call {
    fn describe(&self) -> String {
        let target = match self.service.as_str() {
            "s3" => {
                let (bucket, key, query) = s3_target(&self.uri);
                format!("s3://{bucket}/{key}{}", if query.is_empty() { String::new() } else { format!("?{query}") })
            }
            _ => String::from_utf8_lossy(&self.body).chars().take(160).collect(),
        };
        format!("{} {} -> {}", self.operation, target, self.status.map_or("no response".into(), |s| s.to_string()))
    }
}

/// Records every call of the clients it is added to; can break the next UploadPartCopy's
/// ETag condition so that a multipart copy fails half-way (the abort path).
#[derive(Debug, Clone, Default)]
struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
    break_upload_part_copy: Arc<AtomicBool>,
}

impl Recorder {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "PermissionRecorder"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let is_part_copy = cfg.load::<Metadata>().is_some_and(|m| m.name() == "UploadPartCopy");
        if is_part_copy && self.break_upload_part_copy.load(Ordering::SeqCst) {
            context.request_mut().headers_mut().insert("x-amz-copy-source-if-match", "\"0123456789abcdef\"");
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The request is gone once sent: keep what the check needs for after the response.
        let request = context.request();
        cfg.interceptor_state().store_put(SentRequest {
            uri: request.uri().to_string(),
            copy_source: request.headers().get("x-amz-copy-source").map(String::from),
            body: request.body().bytes().map(<[u8]>::to_vec).unwrap_or_default(),
        });
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else { return Ok(()) };
        let sent = cfg.load::<SentRequest>().cloned().unwrap_or_default();
        let call = Call {
            service: metadata.service().to_ascii_lowercase(),
            operation: metadata.name().to_string(),
            uri: sent.uri,
            copy_source: sent.copy_source,
            body: sent.body,
            response_body: context.response().and_then(|r| r.body().bytes()).map(<[u8]>::to_vec).unwrap_or_default(),
            status: context.response().map(|r| r.status().as_u16()),
        };
        self.calls.lock().unwrap().push(call);
        Ok(())
    }
}

/// The request of the current attempt, as sent.
#[derive(Debug, Clone, Default)]
struct SentRequest {
    uri: String,
    copy_source: Option<String>,
    body: Vec<u8>,
}

impl Storable for SentRequest {
    type Storer = StoreReplace<Self>;
}

/// Clients like the functions' (`registry::clients`), recording every call.
async fn recording_clients(recorder: &Recorder) -> Clients {
    let config = registry::clients::sdk_config().await;
    let sagemaker = aws_sdk_sagemaker::config::Builder::from(&config).interceptor(recorder.clone()).build();
    let s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(true).interceptor(recorder.clone()).build();
    let sns = aws_sdk_sns::config::Builder::from(&config).interceptor(recorder.clone()).build();
    Clients {
        sagemaker: aws_sdk_sagemaker::Client::from_conf(sagemaker),
        s3: aws_sdk_s3::Client::from_conf(s3),
        sns: aws_sdk_sns::Client::from_conf(sns),
    }
}

// ------------------------------------------------------------------------------------------
// From a call to the IAM actions and resources AWS authorises it with
// ------------------------------------------------------------------------------------------

/// One permission a call needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    action: String,
    resource: String,
    /// The call that needs it, for the failure message.
    why: String,
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// (bucket, key, query) of a path-style S3 request URI.
fn s3_target(uri: &str) -> (String, String, String) {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path_and_query = after_scheme.find('/').map_or("", |i| &after_scheme[i + 1..]);
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    (decode(bucket), decode(key), query.to_string())
}

fn query_has(query: &str, name: &str) -> bool {
    query.split('&').any(|pair| pair.split('=').next() == Some(name))
}

/// (bucket, key, versioned) of an `x-amz-copy-source` header.
fn copy_source(header: &str) -> (String, String, bool) {
    let header = header.trim_start_matches('/');
    let (path, query) = header.split_once('?').unwrap_or((header, ""));
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    (decode(bucket), decode(key), query_has(query, "versionId"))
}

fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(body).split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| decode(&v.replace('+', " ")))
    })
}

fn sagemaker_arn(kind: &str, name: &str) -> String {
    // SageMaker writes names lower-cased into ARNs.
    format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{}", name.to_lowercase())
}

/// The IAM actions and resources AWS authorises one call with (the Service Authorization
/// Reference for S3, SageMaker and SNS). A call this table does not know fails the test: extend
/// the table, then the template.
fn needs(call: &Call) -> Result<Vec<Need>, String> {
    let why = call.describe();
    let need = |action: &str, resource: String| Need { action: action.to_string(), resource, why: why.clone() };
    let mut out = Vec::new();
    match call.service.as_str() {
        "s3" => {
            let (bucket, key, query) = s3_target(&call.uri);
            let object = object_arn(&bucket, &key);
            let versioned = query_has(&query, "versionId");
            let source = || call.copy_source.as_deref().map(copy_source).ok_or(format!("{why}: no x-amz-copy-source"));
            match call.operation.as_str() {
                // HeadObject is authorised as GetObject; a specific version needs GetObjectVersion.
                "HeadObject" | "GetObject" => {
                    out.push(need(if versioned { "s3:GetObjectVersion" } else { "s3:GetObject" }, object));
                    // Without ListBucket, S3 answers 403 instead of 404 for a missing key, and the
                    // code reads a 404 as "absent" (sidecars, claims): a 403 would fail the event.
                    if call.status == Some(404) {
                        out.push(need("s3:ListBucket", format!("arn:aws:s3:::{bucket}")));
                    }
                }
                "PutObject" | "CreateMultipartUpload" | "CompleteMultipartUpload" => out.push(need("s3:PutObject", object)),
                "AbortMultipartUpload" => out.push(need("s3:AbortMultipartUpload", object)),
                "CopyObject" => {
                    // The copy reads the source and writes the destination; with the default
                    // tagging directive (COPY) it also reads the source's tags and writes them.
                    let (src_bucket, src_key, src_versioned) = source()?;
                    let src = object_arn(&src_bucket, &src_key);
                    out.push(need(if src_versioned { "s3:GetObjectVersion" } else { "s3:GetObject" }, src.clone()));
                    out.push(need(if src_versioned { "s3:GetObjectVersionTagging" } else { "s3:GetObjectTagging" }, src));
                    out.push(need("s3:PutObject", object.clone()));
                    out.push(need("s3:PutObjectTagging", object));
                }
                "UploadPartCopy" => {
                    let (src_bucket, src_key, src_versioned) = source()?;
                    let src = object_arn(&src_bucket, &src_key);
                    out.push(need(if src_versioned { "s3:GetObjectVersion" } else { "s3:GetObject" }, src));
                    out.push(need("s3:PutObject", object));
                }
                other => return Err(format!("{why}: no IAM mapping for S3 {other}; add it to needs()")),
            }
        }
        "sagemaker" => {
            let input: Json = serde_json::from_slice(&call.body).map_err(|err| format!("{why}: body: {err}"))?;
            let field = |name: &str| input[name].as_str().map(String::from).ok_or(format!("{why}: no {name} in the input"));
            let action = format!("sagemaker:{}", call.operation);
            let resource = match call.operation.as_str() {
                "DescribeModelPackageGroup" | "CreateModelPackageGroup" => {
                    sagemaker_arn("model-package-group", &field("ModelPackageGroupName")?)
                }
                // The new version's ARN; without an answer, the group's next version.
                "CreateModelPackage" => serde_json::from_slice::<Json>(&call.response_body)
                    .ok()
                    .and_then(|out| out["ModelPackageArn"].as_str().map(String::from))
                    .unwrap_or_else(|| format!("{}/1", sagemaker_arn("model-package", &input["ModelPackageGroupName"].as_str().unwrap_or_default()))),
                "DescribeModelPackage" => {
                    let name = field("ModelPackageName")?;
                    if name.starts_with("arn:") { name } else { sagemaker_arn("model-package", &name) }
                }
                "UpdateModelPackage" => field("ModelPackageArn")?,
                "DescribeTrainingJob" => sagemaker_arn("training-job", &field("TrainingJobName")?),
                // SageMaker's List actions have no resource-level permissions: resource "*".
                "ListModelPackages" => "*".to_string(),
                other => return Err(format!("{why}: no IAM mapping for SageMaker {other}; add it to needs()")),
            };
            out.push(need(&action, resource));
        }
        "sns" => match call.operation.as_str() {
            "Publish" => {
                let topic = form_field(&call.body, "TopicArn").or_else(|| form_field(&call.body, "TargetArn"));
                out.push(need("sns:Publish", topic.ok_or(format!("{why}: no TopicArn"))?));
            }
            other => return Err(format!("{why}: no IAM mapping for SNS {other}; add it to needs()")),
        },
        other => return Err(format!("{why}: no IAM mapping for service {other}; add it to needs()")),
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// template.yaml, resolved for given parameters
// ------------------------------------------------------------------------------------------

/// The template with parameter values, and the values that `Ref`/`GetAtt` of resources stand for.
struct Template {
    doc: Yaml,
    params: HashMap<String, String>,
    refs: HashMap<String, String>,
}

fn template_text() -> String {
    let path = root().join("template.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn as_str(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

fn list(value: &Yaml) -> Vec<Yaml> {
    match value {
        Yaml::Sequence(items) => items.clone(),
        Yaml::Null => Vec::new(),
        single => vec![single.clone()],
    }
}

impl Template {
    /// Parameters not given take the template's defaults.
    fn load(given: &[(&str, &str)], refs: &[(&str, &str)]) -> Template {
        let doc: Yaml = serde_yaml::from_str(&template_text()).expect("template.yaml is YAML");
        let mut params: HashMap<String, String> = HashMap::new();
        if let Some(Yaml::Mapping(declared)) = doc.get("Parameters") {
            for (name, spec) in declared {
                if let Some(default) = spec.get("Default") {
                    params.insert(as_str(name), as_str(default));
                }
            }
        }
        for (name, value) in given {
            assert!(params.contains_key(*name) || doc["Parameters"].get(*name).is_some(), "no parameter {name} in template.yaml");
            params.insert(name.to_string(), value.to_string());
        }
        for (name, value) in [
            ("AWS::Partition", "aws"),
            ("AWS::Region", REGION),
            ("AWS::AccountId", ACCOUNT),
            ("AWS::StackName", "model-registry"),
            ("AWS::URLSuffix", "amazonaws.com"),
        ] {
            params.insert(name.to_string(), value.to_string());
        }
        let refs = refs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Template { doc, params, refs }
    }

    fn resource(&self, logical_id: &str) -> &Yaml {
        self.doc["Resources"].get(logical_id).unwrap_or_else(|| panic!("no resource {logical_id} in template.yaml"))
    }

    /// The `AWS::Serverless::Function` that builds `binary`.
    fn function_id(&self, binary: &str) -> String {
        let Yaml::Mapping(resources) = &self.doc["Resources"] else { panic!("no Resources") };
        let found: Vec<String> = resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .filter(|(_, r)| r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(binary))
            .map(|(id, _)| as_str(id))
            .collect();
        assert_eq!(found.len(), 1, "exactly one function builds {binary}: {found:?}");
        found[0].clone()
    }

    fn lookup(&self, name: &str, vars: &HashMap<String, String>) -> String {
        if let Some(v) = vars.get(name).or_else(|| self.params.get(name)).or_else(|| self.refs.get(name)) {
            return v.clone();
        }
        panic!("template.yaml refers to {name}, which this test does not know: give it a value in Template::load")
    }

    fn condition(&self, name: &str) -> bool {
        let expr = self.doc["Conditions"].get(name).unwrap_or_else(|| panic!("no condition {name}")).clone();
        self.truth(&expr)
    }

    fn truth(&self, expr: &Yaml) -> bool {
        let (tag, arg) = intrinsic(expr).unwrap_or_else(|| panic!("condition expected, got {expr:?}"));
        let args = list(&arg);
        match tag.as_str() {
            "Equals" => self.resolve(&args[0]) == self.resolve(&args[1]),
            "Not" => !self.truth(&args[0]),
            "And" => args.iter().all(|a| self.truth(a)),
            "Or" => args.iter().any(|a| self.truth(a)),
            "Condition" => self.condition(&as_str(&arg)),
            other => panic!("condition function {other} not supported by this test"),
        }
    }

    /// Evaluates the intrinsic functions of a template value.
    fn resolve(&self, value: &Yaml) -> Yaml {
        self.resolve_with(value, &HashMap::new())
    }

    fn resolve_with(&self, value: &Yaml, vars: &HashMap<String, String>) -> Yaml {
        if let Some((tag, arg)) = intrinsic(value) {
            return match tag.as_str() {
                "Ref" => Yaml::String(self.lookup(&as_str(&arg), vars)),
                "GetAtt" => {
                    let name = match &arg {
                        Yaml::Sequence(parts) => parts.iter().map(as_str).collect::<Vec<_>>().join("."),
                        other => as_str(other),
                    };
                    Yaml::String(self.lookup(&name, vars))
                }
                "Sub" => {
                    let (text, local) = match &arg {
                        Yaml::Sequence(parts) => {
                            let mut local = vars.clone();
                            if let Some(Yaml::Mapping(defs)) = parts.get(1) {
                                for (k, v) in defs {
                                    local.insert(as_str(k), as_str(&self.resolve_with(v, vars)));
                                }
                            }
                            (as_str(&parts[0]), local)
                        }
                        other => (as_str(other), vars.clone()),
                    };
                    Yaml::String(self.substitute(&text, &local))
                }
                "If" => {
                    let parts = list(&arg);
                    let branch = if self.condition(&as_str(&parts[0])) { &parts[1] } else { &parts[2] };
                    self.resolve_with(branch, vars)
                }
                "Join" => {
                    let parts = list(&arg);
                    let items: Vec<String> = list(&self.resolve_with(&parts[1], vars)).iter().map(as_str).collect();
                    Yaml::String(items.join(&as_str(&parts[0])))
                }
                other => panic!("intrinsic function {other} not supported by this test"),
            };
        }
        match value {
            Yaml::Mapping(map) => {
                Yaml::Mapping(map.iter().map(|(k, v)| (k.clone(), self.resolve_with(v, vars))).collect())
            }
            Yaml::Sequence(items) => Yaml::Sequence(items.iter().map(|v| self.resolve_with(v, vars)).collect()),
            other => other.clone(),
        }
    }

    fn substitute(&self, text: &str, vars: &HashMap<String, String>) -> String {
        let pattern = regex::Regex::new(r"\$\{([^}!][^}]*)\}").unwrap();
        pattern.replace_all(text, |caps: &regex::Captures<'_>| self.lookup(&caps[1], vars)).into_owned()
    }

    /// The function's environment variables, resolved.
    fn environment(&self, function_id: &str) -> HashMap<String, String> {
        let env = self.resolve(&self.resource(function_id)["Properties"]["Environment"]["Variables"]);
        let Yaml::Mapping(vars) = env else { return HashMap::new() };
        vars.iter().map(|(k, v)| (as_str(k), as_str(v))).collect()
    }

    /// The statements of the function's `Policies`, resolved. Only inline policy documents are
    /// understood: a SAM policy template or a managed policy would need its own expansion here.
    fn function_statements(&self, function_id: &str) -> Vec<Statement> {
        let properties = &self.resource(function_id)["Properties"];
        assert!(properties.get("Role").is_none(), "{function_id}: an explicit Role is not checked by this test");
        let mut out = Vec::new();
        for policy in list(&properties["Policies"]) {
            let statements = policy
                .get("Statement")
                .unwrap_or_else(|| panic!("{function_id}: policy {policy:?} is not an inline document; this test cannot expand it"));
            for statement in list(statements) {
                out.push(Statement::parse(&self.resolve(&statement), function_id));
            }
        }
        out
    }

    /// The statements of the bucket policy of `bucket_id`, resolved.
    fn bucket_policy_statements(&self, bucket_id: &str) -> Vec<Statement> {
        let Yaml::Mapping(resources) = &self.doc["Resources"] else { panic!("no Resources") };
        let mut out = Vec::new();
        for (id, resource) in resources {
            if resource["Type"].as_str() != Some("AWS::S3::BucketPolicy") {
                continue;
            }
            let bucket = &resource["Properties"]["Bucket"];
            if intrinsic(bucket).is_some_and(|(tag, arg)| tag == "Ref" && as_str(&arg) == bucket_id) {
                for statement in list(&resource["Properties"]["PolicyDocument"]["Statement"]) {
                    out.push(Statement::parse(&self.resolve(&statement), &as_str(id)));
                }
            }
        }
        out
    }
}

/// (function, argument) of `!Fn arg` or `{"Fn::Fn": arg}` / `{"Ref": arg}`.
fn intrinsic(value: &Yaml) -> Option<(String, Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((tagged.tag.to_string().trim_start_matches('!').to_string(), tagged.value.clone())),
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            if key == "Ref" || key == "Condition" {
                Some((key.to_string(), arg.clone()))
            } else {
                key.strip_prefix("Fn::").map(|name| (name.to_string(), arg.clone()))
            }
        }
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// A small IAM evaluator
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Statement {
    origin: String,
    sid: String,
    allow: bool,
    actions: Vec<String>,
    not_actions: Vec<String>,
    resources: Vec<String>,
    not_resources: Vec<String>,
    conditions: Yaml,
}

impl Statement {
    fn parse(value: &Yaml, origin: &str) -> Statement {
        let strings = |key: &str| list(&value[key]).iter().map(as_str).collect::<Vec<_>>();
        Statement {
            origin: origin.to_string(),
            sid: value.get("Sid").map(as_str).unwrap_or_default(),
            allow: match value["Effect"].as_str() {
                Some("Allow") => true,
                Some("Deny") => false,
                other => panic!("{origin}: Effect {other:?}"),
            },
            actions: strings("Action"),
            not_actions: strings("NotAction"),
            resources: strings("Resource"),
            not_resources: strings("NotResource"),
            conditions: value.get("Condition").cloned().unwrap_or(Yaml::Null),
        }
    }

    fn name(&self) -> String {
        format!("{}:{}", self.origin, if self.sid.is_empty() { "(no Sid)" } else { &self.sid })
    }

    fn matches_action(&self, action: &str) -> bool {
        if !self.not_actions.is_empty() {
            return !self.not_actions.iter().any(|p| glob(&p.to_lowercase(), &action.to_lowercase()));
        }
        self.actions.iter().any(|p| glob(&p.to_lowercase(), &action.to_lowercase()))
    }

    fn matches_resource(&self, resource: &str) -> bool {
        if !self.not_resources.is_empty() {
            return !self.not_resources.iter().any(|p| glob(p, resource));
        }
        self.resources.iter().any(|p| glob(p, resource))
    }

    /// Whether the conditions hold for a request of `principal` over TLS.
    fn conditions_hold(&self, principal: &str) -> bool {
        let Yaml::Mapping(operators) = &self.conditions else { return true };
        operators.iter().all(|(operator, tests)| {
            let operator = as_str(operator);
            let Yaml::Mapping(tests) = tests else { panic!("{}: condition {operator} is not a map", self.name()) };
            tests.iter().all(|(key, wanted)| {
                let key = as_str(key);
                let actual = match key.as_str() {
                    "aws:PrincipalArn" => principal.to_string(),
                    "aws:SecureTransport" => "true".to_string(),
                    other => panic!("{}: condition key {other} not supported by this test", self.name()),
                };
                let wanted: Vec<String> = list(wanted).iter().map(as_str).collect();
                let any = |f: &dyn Fn(&str) -> bool| wanted.iter().any(|w| f(w));
                match operator.as_str() {
                    "ArnEquals" | "StringEquals" => any(&|w| w == actual),
                    "ArnNotEquals" | "StringNotEquals" => !any(&|w| w == actual),
                    "ArnLike" | "StringLike" => any(&|w| glob(w, &actual)),
                    "ArnNotLike" | "StringNotLike" => !any(&|w| glob(w, &actual)),
                    "Bool" => any(&|w| w.eq_ignore_ascii_case(&actual)),
                    other => panic!("{}: condition operator {other} not supported by this test", self.name()),
                }
            })
        })
    }
}

/// IAM wildcard matching: `*` any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Problems with one function's permissions for the calls it made: needs no Allow statement
/// grants, needs a bucket-policy Deny refuses, and granted actions no call needs.
fn check_function(template: &Template, binary: &str, calls: &[Call], model_bucket: &str) -> Vec<String> {
    let function_id = template.function_id(binary);
    let statements = template.function_statements(&function_id);
    let bucket_denies: Vec<Statement> =
        template.bucket_policy_statements("ModelBucket").into_iter().filter(|s| !s.allow).collect();
    let principal = template.lookup(&format!("{function_id}Role.Arn"), &HashMap::new());
    let mut problems = Vec::new();
    let mut needed_actions: BTreeSet<String> = BTreeSet::new();

    let mut all: BTreeSet<Need> = BTreeSet::new();
    for call in calls {
        match needs(call) {
            Ok(list) => all.extend(list),
            Err(problem) => problems.push(format!("{binary}: {problem}")),
        }
    }
    // One message per missing (action, resource), naming the first call that needed it.
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for need in &all {
        needed_actions.insert(need.action.to_lowercase());
        for statement in &statements {
            assert!(statement.allow, "{}: Deny statements in a function policy are not evaluated by this test", statement.name());
            assert!(
                statement.conditions.is_null(),
                "{}: conditions in a function policy are not evaluated by this test",
                statement.name()
            );
        }
        let allowed = statements.iter().any(|s| s.matches_action(&need.action) && s.matches_resource(&need.resource));
        if !allowed && reported.insert((need.action.clone(), need.resource.clone())) {
            problems.push(format!(
                "{binary} ({function_id}): no statement allows {} on {} (needed by {})",
                need.action, need.resource, need.why
            ));
        }
        let in_model_bucket = need.resource.starts_with(&format!("arn:aws:s3:::{model_bucket}"));
        if in_model_bucket {
            for deny in &bucket_denies {
                if deny.matches_action(&need.action) && deny.matches_resource(&need.resource) && deny.conditions_hold(&principal) {
                    problems.push(format!(
                        "{binary}: bucket policy statement {} denies {} on {} (needed by {})",
                        deny.name(),
                        need.action,
                        need.resource,
                        need.why
                    ));
                }
            }
        }
    }
    for statement in &statements {
        for action in &statement.actions {
            if !needed_actions.contains(&action.to_lowercase()) {
                problems.push(format!(
                    "{binary}: {} grants {action}, which no call of the function needed: remove it (or add the flow that needs it)",
                    statement.name()
                ));
            }
        }
    }
    problems
}

// ------------------------------------------------------------------------------------------
// The operations the functions' source can call
// ------------------------------------------------------------------------------------------

/// `service:Operation` for every SDK operation called in the functions' code (the registry
/// crate and the function crates): `<client>.<operation>()` with the client named `client`,
/// `sagemaker`, `s3` or `sns` (the names the code gives them).
fn operations_in_source() -> BTreeMap<String, Vec<String>> {
    // Method calls on those names that are not SDK operations.
    const NOT_OPERATIONS: &[&str] = &["clone", "to_string", "as_ref", "as_str", "config", "is_some", "is_none"];
    let pattern = regex::Regex::new(r"\b(client|sagemaker|s3|sns)\s*\.\s*([a-z][a-z0-9_]*)\s*\(\s*\)").unwrap();
    let mut files = Vec::new();
    for dir in ["shared/registry/src", "functions/register-model/src", "functions/approval-handler/src"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests build requests too; only the code before `mod tests` runs in Lambda.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for caps in pattern.captures_iter(code) {
            let method = &caps[2];
            if NOT_OPERATIONS.contains(&method) {
                continue;
            }
            let service = match &caps[1] {
                "client" => {
                    // A parameter named `client`: its service is the file's.
                    let name = file.file_name().unwrap().to_string_lossy().to_string();
                    match name.as_str() {
                        "s3.rs" => "s3",
                        "sagemaker.rs" => "sagemaker",
                        "notify.rs" => "sns",
                        other => panic!("{other}: a `client` without a known service; name the client after its service"),
                    }
                }
                other => other,
            };
            let operation: String = method
                .split('_')
                .map(|part| {
                    let mut chars = part.chars();
                    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
                })
                .collect();
            found.entry(format!("{service}:{operation}")).or_default().push(file.display().to_string());
        }
    }
    found
}

// ------------------------------------------------------------------------------------------
// The flows
// ------------------------------------------------------------------------------------------

fn status(result: &Json) -> String {
    result["records"][0]["status"].as_str().unwrap_or_default().to_string()
}

async fn handle_register(registrar: &Registrar, event: &Json) -> Json {
    let response = register_model::handle(registrar, event).await.unwrap_or_else(|err| panic!("register-model failed: {err}"));
    serde_json::to_value(response).unwrap()
}

fn event_for(object: &Uploaded) -> Json {
    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, object);
    event
}

/// A registrar configured from the template's environment for register-model (as Lambda would
/// start it), with `extra` variables on top.
fn registrar_from_template(template: &Template, clients: &Clients, extra: &[(&str, &str)]) -> Registrar {
    let mut vars = template.environment(&template.function_id(REGISTER_MODEL));
    vars.insert("AWS_REGION".into(), REGION.into());
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let config = RegisterConfig::from_lookup(|name| vars.get(name).cloned()).expect("the template's environment is a valid register-model configuration");
    Registrar { config, sagemaker: clients.sagemaker.clone(), s3: clients.s3.clone() }
}

/// Every path of a registration that calls AWS differently; returns the calls made.
async fn register_flows(template: &Template, bucket: &str, versioned_bucket: &str, group: &str) -> Vec<Call> {
    let setup = clients().await;
    let recorder = Recorder::default();
    let recorded = recording_clients(&recorder).await;
    let registrar = registrar_from_template(template, &recorded, &[]);
    assert_eq!(registrar.config.group_name, group);
    let multipart = registrar_from_template(
        template,
        &recorded,
        &[("MULTIPART_COPY_THRESHOLD_BYTES", "5242880"), ("MULTIPART_PART_SIZE_BYTES", "5242880")],
    );
    let big: Vec<u8> = (0..(10 * 1024 * 1024 + 17)).map(|i: u32| (i % 253) as u8).collect();

    // Plain fixture in an unversioned bucket: the group is created, version 1 registered.
    let first = upload_fixture(&setup.s3, bucket, "model/").await;
    assert_eq!(status(&handle_register(&registrar, &event_for(&first)).await), "registered");
    // The same event again: the claim answers.
    assert_eq!(status(&handle_register(&registrar, &event_for(&first)).await), "duplicate");
    // Overwritten before its event was handled.
    let old = upload_fixture(&setup.s3, bucket, "over/").await;
    upload(&setup.s3, bucket, "over/model.tar.gz", b"newer".to_vec(), &[]).await;
    assert_eq!(status(&handle_register(&registrar, &event_for(&old)).await), "superseded");
    // No sidecars: the reads of metadata.json and evaluation.json find nothing (404).
    let bare = upload(&setup.s3, bucket, "bare/model.tar.gz", fixture("model.tar.gz"), &[("team", "fraud")]).await;
    assert_eq!(status(&handle_register(&registrar, &event_for(&bare)).await), "registered");

    // Training-job layout: DescribeTrainingJob for lineage.
    let job = unique("job");
    setup
        .sagemaker
        .create_training_job()
        .training_job_name(&job)
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/training"))
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .output_data_config(OutputDataConfig::builder().s3_output_path(format!("s3://{bucket}/jobs/")).build())
        .resource_config(
            ResourceConfig::builder().instance_type(TrainingInstanceType::MlM5Large).instance_count(1).volume_size_in_gb(10).build(),
        )
        .stopping_condition(StoppingCondition::builder().max_runtime_in_seconds(3600).build())
        .hyper_parameters("max_depth", "3")
        .send()
        .await
        .expect("create training job");
    let trained = upload_fixture(&setup.s3, bucket, &format!("jobs/{job}/output/")).await;
    assert_eq!(status(&handle_register(&registrar, &event_for(&trained)).await), "registered");

    // Multipart copy, and one whose source changes half-way: the upload is aborted.
    let large = upload(&setup.s3, bucket, "big/model.tar.gz", big.clone(), &[]).await;
    assert_eq!(status(&handle_register(&multipart, &event_for(&large)).await), "registered");
    let broken = upload(&setup.s3, bucket, "big-broken/model.tar.gz", big.clone(), &[]).await;
    recorder.break_upload_part_copy.store(true, Ordering::SeqCst);
    let result = handle_register(&multipart, &event_for(&broken)).await;
    recorder.break_upload_part_copy.store(false, Ordering::SeqCst);
    assert_eq!(status(&result), "superseded", "{result}");

    // A claim left without an ARN by a crashed invocation whose version exists: found by
    // listing and describing the group's versions.
    let crashed = upload_fixture(&setup.s3, bucket, "crash/").await;
    let id = registration_id(bucket, &crashed.key, None, &crashed.etag);
    let arn = setup
        .sagemaker
        .create_model_package()
        .model_package_group_name(group)
        .model_approval_status(ModelApprovalStatus::PendingManualApproval)
        .customer_metadata_properties("registration-id", &id)
        .send()
        .await
        .expect("version of the crashed invocation")
        .model_package_arn()
        .unwrap()
        .to_string();
    let claim_key = registrar.location(bucket, &id).key(CLAIM_FILE);
    upload(&setup.s3, bucket, &claim_key, b"{}".to_vec(), &[]).await;
    let result = handle_register(&registrar, &event_for(&crashed)).await;
    assert_eq!(status(&result), "duplicate", "{result}");
    assert_eq!(result["records"][0]["arn"], arn.as_str());

    // Versioned bucket: the exact version is read and copied, in one piece and in parts.
    let versioned = upload_fixture(&setup.s3, versioned_bucket, "model/").await;
    assert!(versioned.version_id.is_some());
    assert_eq!(status(&handle_register(&registrar, &event_for(&versioned)).await), "registered");
    let large_versioned = upload(&setup.s3, versioned_bucket, "big/model.tar.gz", big, &[]).await;
    assert_eq!(status(&handle_register(&multipart, &event_for(&large_versioned)).await), "registered");

    recorder.take()
}

/// Every path of a notification that calls AWS differently; returns the calls made.
async fn approval_flows(template: &Template, bucket: &str, group: &str, topic_arn: &str) -> Vec<Call> {
    let setup = clients().await;
    let recorder = Recorder::default();
    let recorded = recording_clients(&recorder).await;
    let mut vars = template.environment(&template.function_id(APPROVAL_HANDLER));
    vars.insert("AWS_REGION".into(), REGION.into());
    let config = ApprovalConfig::from_lookup(|name| vars.get(name).cloned()).expect("the template's environment is a valid approval-handler configuration");
    assert_eq!((config.group_name.as_str(), config.topic_arn.as_str(), config.state_bucket.as_str()), (group, topic_arn, bucket));
    let notifier = Notifier { config, sagemaker: recorded.sagemaker.clone(), s3: recorded.s3.clone(), sns: recorded.sns.clone() };

    let create = |name: &str| {
        let request = setup
            .sagemaker
            .create_model_package()
            .model_package_group_name(group)
            .model_approval_status(ModelApprovalStatus::PendingManualApproval)
            .customer_metadata_properties("model-name", name)
            .customer_metadata_properties("metric:accuracy", "0.958");
        async move { request.send().await.expect("create model package").model_package_arn().unwrap().to_string() }
    };
    let describe = |arn: String| {
        let request = setup.sagemaker.describe_model_package().model_package_name(arn);
        async move { request.send().await.expect("describe") }
    };
    let handle = |event: Json| {
        let notifier = &notifier;
        async move {
            let output = approval_handler::handle(notifier, &event).await.unwrap_or_else(|err| panic!("approval-handler failed: {err}"));
            serde_json::to_value(output).unwrap()
        }
    };

    // Version 1 created: review requested, no approved baseline.
    let v1 = create("model-v1").await;
    let created = state_change_event(&describe(v1.clone()).await, None, REGION, ACCOUNT);
    assert_eq!(handle(created.clone()).await["outcome"], "notified");
    // The same event again: the dedupe record answers.
    assert_eq!(handle(created).await["outcome"], "duplicate");
    // Version 1 approved: a decision.
    setup
        .sagemaker
        .update_model_package()
        .model_package_arn(&v1)
        .model_approval_status(ModelApprovalStatus::Approved)
        .approval_description("good")
        .send()
        .await
        .expect("approve");
    let approved = state_change_event(&describe(v1.clone()).await, Some("PendingManualApproval"), REGION, ACCOUNT);
    assert_eq!(handle(approved).await["outcome"], "notified");
    // Version 2 created: review requested, compared with the approved version 1.
    let v2 = create("model-v2").await;
    let created = state_change_event(&describe(v2).await, None, REGION, ACCOUNT);
    assert_eq!(handle(created).await["outcome"], "notified");

    recorder.take()
}

fn role_arn(function_id: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{function_id}Role")
}

/// The template for a test's own bucket, group and topic.
fn template_for(bucket: &str, group: &str, topic_arn: &str) -> Template {
    let bare = Template::load(&[], &[]);
    let roles: Vec<(String, String)> = [REGISTER_MODEL, APPROVAL_HANDLER]
        .iter()
        .map(|binary| {
            let id = bare.function_id(binary);
            (format!("{id}Role.Arn"), role_arn(&id))
        })
        .collect();
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let mut refs: Vec<(&str, &str)> = vec![("NotificationTopic", topic_arn), ("ModelBucket", bucket), ("ModelBucket.Arn", &bucket_arn)];
    refs.extend(roles.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Template::load(&[("ModelBucketName", bucket), ("ModelPackageGroupName", group)], &refs)
}

#[tokio::test]
async fn given_every_call_path_of_both_functions_when_checked_against_the_template_then_each_is_allowed_and_no_grant_is_unused() {
    let setup = clients().await;
    let bucket = unique("perm");
    let versioned_bucket = unique("perm-versioned");
    let group = unique("perm-group");
    create_bucket(&setup.s3, &bucket, false).await;
    create_bucket(&setup.s3, &versioned_bucket, true).await;
    let topic_arn = setup.sns.create_topic().name(unique("perm-topic")).send().await.expect("topic").topic_arn().unwrap().to_string();

    let template = template_for(&bucket, &group, &topic_arn);
    let register_calls = register_flows(&template, &bucket, &versioned_bucket, &group).await;
    let approval_calls = approval_flows(&template, &bucket, &group, &topic_arn).await;

    // The template has one model bucket (versioned); the flows use a second, versioned bucket
    // beside the unversioned one, whose calls stand for calls on the same model bucket.
    let as_model_bucket: Vec<Call> = register_calls
        .iter()
        .cloned()
        .map(|mut call| {
            call.uri = call.uri.replace(&format!("/{versioned_bucket}/"), &format!("/{bucket}/"));
            call.copy_source = call.copy_source.map(|s| s.replace(&versioned_bucket, &bucket));
            call
        })
        .collect();
    let mut problems = check_function(&template, REGISTER_MODEL, &as_model_bucket, &bucket);
    problems.extend(check_function(&template, APPROVAL_HANDLER, &approval_calls, &bucket));

    // Every operation the source can call was exercised by a flow above.
    let exercised: BTreeSet<String> =
        register_calls.iter().chain(&approval_calls).map(|c| format!("{}:{}", c.service, c.operation)).collect();
    let in_source = operations_in_source();
    assert!(in_source.contains_key("sagemaker:CreateModelPackage"), "the source scan found nothing: {in_source:?}");
    for (operation, files) in &in_source {
        if !exercised.contains(operation) {
            problems.push(format!(
                "{operation} is called in {files:?} but no flow of this test exercised it: add a flow, so that its permission is checked"
            ));
        }
    }
    let summary: BTreeSet<String> = exercised.iter().cloned().collect();
    assert!(problems.is_empty(), "{} problem(s):\n- {}\n(operations exercised: {summary:?})", problems.len(), problems.join("\n- "));
}

// ------------------------------------------------------------------------------------------
// Static least-privilege checks
// ------------------------------------------------------------------------------------------

/// SageMaker actions without resource-level permissions (the Service Authorization Reference:
/// SageMaker's List actions take resource "*").
const RESOURCE_STAR_ONLY: &[&str] = &["sagemaker:ListModelPackages"];

fn is_s3_read(action: &str) -> bool {
    let name = action.trim_start_matches("s3:");
    name.starts_with("Get") || name.starts_with("List")
}

/// Least privilege, for one set of parameters.
fn least_privilege_problems(template: &Template, bucket: &str, group: &str, prefix: &str, topic_arn: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let group_arn = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{group}");
    let versions_arn = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group}/*");
    let training_jobs_arn = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/*");
    for (binary, write_prefix) in [(REGISTER_MODEL, prefix.to_string()), (APPROVAL_HANDLER, format!("{prefix}notifications/"))] {
        let id = template.function_id(binary);
        let statements = template.function_statements(&id);
        assert!(!statements.is_empty(), "{binary}: no policy statements");
        for s in &statements {
            let name = s.name();
            if !s.not_actions.is_empty() || !s.not_resources.is_empty() || !s.allow || !s.conditions.is_null() {
                problems.push(format!("{name}: only plain Allow statements (Action, Resource) are expected"));
            }
            for action in &s.actions {
                if action.contains('*') || action.contains('?') {
                    problems.push(format!("{name}: wildcard action {action}"));
                }
                let service = action.split(':').next().unwrap_or_default();
                for resource in &s.resources {
                    let ok = match service {
                        "s3" if is_s3_read(action) => {
                            resource == &format!("arn:aws:s3:::{bucket}") || resource.starts_with(&format!("arn:aws:s3:::{bucket}/"))
                        }
                        // Writes only under the prefix the function owns, never the bucket.
                        "s3" => resource.starts_with(&format!("arn:aws:s3:::{bucket}/{write_prefix}")),
                        "sagemaker" if resource == "*" => RESOURCE_STAR_ONLY.contains(&action.as_str()),
                        "sagemaker" => [&group_arn, &versions_arn, &training_jobs_arn].contains(&resource),
                        "sns" => resource == topic_arn,
                        _ => false,
                    };
                    if !ok {
                        problems.push(format!("{name}: {action} on {resource} is wider than {binary} needs (or of an unexpected service)"));
                    }
                }
            }
            // A "*" resource only in a statement of actions that cannot be narrowed.
            if s.resources.iter().any(|r| r == "*") && !s.actions.iter().all(|a| RESOURCE_STAR_ONLY.contains(&a.as_str())) {
                problems.push(format!("{name}: resource \"*\" beside actions that support resource-level permissions"));
            }
        }
    }
    problems
}

#[test]
fn given_default_and_custom_parameters_when_policies_read_then_least_privilege() {
    let base = Template::load(&[], &[]);
    let refs = |bucket: &str| -> Vec<(String, String)> {
        let mut refs = vec![
            ("NotificationTopic".to_string(), format!("arn:aws:sns:{REGION}:{ACCOUNT}:model-registry-topic")),
            ("ModelBucket".to_string(), bucket.to_string()),
            ("ModelBucket.Arn".to_string(), format!("arn:aws:s3:::{bucket}")),
        ];
        for binary in [REGISTER_MODEL, APPROVAL_HANDLER] {
            let id = base.function_id(binary);
            refs.push((format!("{id}Role.Arn"), role_arn(&id)));
        }
        refs
    };
    let default_bucket = format!("ml-pipeline-{ACCOUNT}-{REGION}");
    for (params, bucket) in [
        (vec![], default_bucket.clone()),
        (vec![("ModelBucketName", "my-models"), ("RegistryPrefix", "approved/registry/"), ("ModelPackageGroupName", "fraud")], "my-models".to_string()),
    ] {
        let refs = refs(&bucket);
        let refs: Vec<(&str, &str)> = refs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let template = Template::load(&params, &refs);
        let group = template.params["ModelPackageGroupName"].clone();
        let prefix = template.params["RegistryPrefix"].clone();
        let topic = template.refs["NotificationTopic"].clone();
        // The functions are configured with the same prefix and group as their policies.
        for binary in [REGISTER_MODEL, APPROVAL_HANDLER] {
            let env = template.environment(&template.function_id(binary));
            assert_eq!(env.get("REGISTRY_PREFIX"), Some(&prefix), "{binary}: REGISTRY_PREFIX");
            assert_eq!(env.get("MODEL_PACKAGE_GROUP_NAME"), Some(&group), "{binary}: MODEL_PACKAGE_GROUP_NAME");
        }
        let problems = least_privilege_problems(&template, &bucket, &group, &prefix, &topic);
        assert!(problems.is_empty(), "parameters {params:?}:\n- {}", problems.join("\n- "));
    }
}

#[test]
fn given_policy_patterns_when_matched_then_iam_wildcard_semantics() {
    assert!(glob("arn:aws:s3:::b/registry/*", "arn:aws:s3:::b/registry/g/x/model.tar.gz"));
    assert!(!glob("arn:aws:s3:::b/registry/*", "arn:aws:s3:::b/model/model.tar.gz"));
    assert!(glob("s3:Get?bject", "s3:GetObject"));
    assert!(!glob("arn:aws:sagemaker:us-east-1:1:model-package/g/*", "*"));
    assert!(glob("*", "*"));
    assert_eq!(s3_target("http://127.0.0.1:5000/b/a%20b/model.tar.gz?versionId=v1"), ("b".into(), "a b/model.tar.gz".into(), "versionId=v1".into()));
    assert_eq!(copy_source("b/k%2Bey?versionId=3"), ("b".into(), "k+ey".into(), true));
}

#[test]
fn given_a_missing_permission_when_checked_then_the_call_is_named() {
    let template = template_for("bucket-a", "group-a", "arn:aws:sns:us-east-1:123456789012:t");
    let call = Call {
        service: "s3".into(),
        operation: "DeleteObject".into(),
        uri: "http://127.0.0.1:1/bucket-a/registry/group-a/x/model.tar.gz".into(),
        copy_source: None,
        body: Vec::new(),
        response_body: Vec::new(),
        status: Some(204),
    };
    let problems = check_function(&template, REGISTER_MODEL, &[call], "bucket-a");
    assert!(problems.iter().any(|p| p.contains("no IAM mapping for S3 DeleteObject")), "{problems:?}");
    let put_outside = Call { operation: "PutObject".into(), uri: "http://127.0.0.1:1/bucket-a/model/model.tar.gz".into(), status: Some(200), ..call_stub() };
    let problems = check_function(&template, REGISTER_MODEL, &[put_outside], "bucket-a");
    assert!(problems.iter().any(|p| p.contains("no statement allows s3:PutObject on arn:aws:s3:::bucket-a/model/model.tar.gz")), "{problems:?}");
}

fn call_stub() -> Call {
    Call {
        service: "s3".into(),
        operation: String::new(),
        uri: String::new(),
        copy_source: None,
        body: Vec::new(),
        response_body: Vec::new(),
        status: None,
    }
}
