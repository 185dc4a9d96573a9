//! Event intake: every envelope an S3 object-created notification arrives in, turned into
//! [`ObjectEvent`]s without any I/O.
//!
//! The shape decides, not configuration: the native S3 notification (`Records[].s3`), S3 via
//! EventBridge (`detail-type: Object Created`, key NOT URL-encoded), and either of those wrapped in
//! SQS (`Records[].body`), SNS (`Records[].Sns.Message`), or SNS then SQS. `s3:TestEvent` is
//! recognised in any wrapper.

use serde::Deserialize;
use serde_json::Value;

/// Wrappers nest at most SNS-in-SQS; anything deeper is not an S3 delivery.
const MAX_DEPTH: usize = 4;

/// One S3 object event, with the key decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// Without quotes, as S3 events carry it.
    pub etag: Option<String>,
    pub size: Option<u64>,
    /// `ObjectCreated:Put` style; EventBridge reasons are mapped onto it.
    pub event_name: String,
    pub sequencer: Option<String>,
}

/// What one part of the event turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Object(ObjectEvent),
    /// Acknowledged without work (test events, removals), with the reason.
    Ignored { key: Option<String>, reason: String },
    /// Not understandable; acknowledged with the reason, since no retry can fix it.
    Invalid { key: Option<String>, reason: String },
}

/// A unit of delivery: one SQS message (which Lambda can redeliver alone), or the whole
/// invocation for direct deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The SQS `messageId`, reported in `batchItemFailures` when the message must be retried.
    pub sqs_message_id: Option<String>,
    pub items: Vec<Item>,
}

/// The parsed invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// Delivered by an SQS event source mapping: answer with `batchItemFailures`.
    pub sqs_batch: bool,
    pub messages: Vec<Message>,
}

/// Parses a raw invocation payload. Never fails: what cannot be understood becomes
/// [`Item::Invalid`] so the other records are still processed.
pub fn parse(payload: &Value) -> Intake {
    let records = match serde_json::from_value::<RecordsEnvelope>(payload.clone()) {
        Ok(envelope) => envelope.records,
        Err(_) => None,
    };
    if let Some(records) = records {
        let is_sqs = !records.is_empty()
            && records.iter().all(|r| source_of(r).as_deref() == Some("aws:sqs"));
        if is_sqs {
            let messages = records.iter().map(parse_sqs_record).collect();
            return Intake { sqs_batch: true, messages };
        }
    }
    Intake {
        sqs_batch: false,
        messages: vec![Message { sqs_message_id: None, items: parse_payload(payload, 0) }],
    }
}

/// Parses raw bytes (the Lambda payload or an SQS body); malformed JSON is an invalid item.
pub fn parse_bytes(raw: &[u8]) -> Intake {
    match serde_json::from_slice::<Value>(raw) {
        Ok(value) => parse(&value),
        Err(err) => Intake {
            sqs_batch: false,
            messages: vec![Message {
                sqs_message_id: None,
                items: vec![invalid(None, format!("payload is not JSON: {err}"))],
            }],
        },
    }
}

#[derive(Deserialize)]
struct RecordsEnvelope {
    #[serde(rename = "Records")]
    records: Option<Vec<Value>>,
}

/// The fields that tell the shapes apart.
#[derive(Deserialize, Default)]
struct Probe {
    #[serde(rename = "Records")]
    records: Option<Vec<Value>>,
    #[serde(rename = "detail-type")]
    detail_type: Option<String>,
    source: Option<String>,
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(rename = "Type")]
    sns_type: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

#[derive(Deserialize)]
struct SourceProbe {
    #[serde(rename = "eventSource", alias = "EventSource")]
    event_source: Option<String>,
}

fn source_of(record: &Value) -> Option<String> {
    serde_json::from_value::<SourceProbe>(record.clone()).ok().and_then(|p| p.event_source)
}

#[derive(Deserialize)]
struct SqsRecord {
    #[serde(rename = "messageId")]
    message_id: Option<String>,
    body: Option<String>,
}

#[derive(Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsPayload,
}

#[derive(Deserialize)]
struct SnsPayload {
    #[serde(rename = "Message")]
    message: String,
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName")]
    event_name: Option<String>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: S3Bucket,
    object: S3Object,
}

#[derive(Deserialize)]
struct S3Bucket {
    name: String,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
    size: Option<u64>,
    #[serde(rename = "eTag", alias = "etag")]
    etag: Option<String>,
    #[serde(rename = "versionId", alias = "version-id")]
    version_id: Option<String>,
    sequencer: Option<String>,
}

#[derive(Deserialize)]
struct EventBridgeS3 {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: EventBridgeS3Detail,
}

#[derive(Deserialize)]
struct EventBridgeS3Detail {
    bucket: S3Bucket,
    object: S3Object,
    reason: Option<String>,
}

fn parse_sqs_record(record: &Value) -> Message {
    match serde_json::from_value::<SqsRecord>(record.clone()) {
        Ok(sqs) => {
            let items = match sqs.body.as_deref().map(serde_json::from_str::<Value>) {
                Some(Ok(body)) => parse_payload(&body, 1),
                Some(Err(err)) => vec![invalid(None, format!("SQS message body is not JSON: {err}"))],
                None => vec![invalid(None, "SQS message has no body".into())],
            };
            Message { sqs_message_id: sqs.message_id, items }
        }
        Err(err) => Message {
            sqs_message_id: None,
            items: vec![invalid(None, format!("SQS record is malformed: {err}"))],
        },
    }
}

/// Parses one payload of any supported shape, unwrapping SNS and SQS envelopes.
fn parse_payload(payload: &Value, depth: usize) -> Vec<Item> {
    if depth > MAX_DEPTH {
        return vec![invalid(None, "envelopes nested too deeply".into())];
    }
    if !payload.is_object() {
        return vec![invalid(None, "event is not a JSON object".into())];
    }
    let probe: Probe = serde_json::from_value(payload.clone()).unwrap_or_default();

    if probe.event.as_deref() == Some("s3:TestEvent") {
        return vec![Item::Ignored { key: None, reason: "s3:TestEvent: nothing to register".into() }];
    }
    if let Some(records) = probe.records {
        if records.is_empty() {
            return vec![Item::Ignored { key: None, reason: "event has no records".into() }];
        }
        return records.iter().flat_map(|record| parse_record(record, depth)).collect();
    }
    if probe.sns_type.as_deref() == Some("Notification") {
        // An SNS message delivered to SQS without raw message delivery.
        return match probe.message.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(inner)) => parse_payload(&inner, depth + 1),
            Some(Err(err)) => vec![invalid(None, format!("SNS message is not JSON: {err}"))],
            None => vec![invalid(None, "SNS notification has no Message".into())],
        };
    }
    if probe.source.as_deref() == Some("aws.s3") && probe.detail_type.is_some() {
        return vec![parse_eventbridge(payload)];
    }
    if let (Some(source), Some(detail_type)) = (probe.source, probe.detail_type) {
        return vec![Item::Ignored {
            key: None,
            reason: format!("EventBridge event '{detail_type}' from {source} is not an S3 event"),
        }];
    }
    vec![invalid(None, "unrecognised event shape: expected an S3 notification, an EventBridge S3 event, or an SQS/SNS envelope of one".into())]
}

fn parse_record(record: &Value, depth: usize) -> Vec<Item> {
    match source_of(record).as_deref() {
        Some("aws:s3") => vec![parse_s3_record(record)],
        Some("aws:sns") => match serde_json::from_value::<SnsRecord>(record.clone()) {
            Ok(sns) => match serde_json::from_str::<Value>(&sns.sns.message) {
                Ok(inner) => parse_payload(&inner, depth + 1),
                Err(err) => vec![invalid(None, format!("SNS message is not JSON: {err}"))],
            },
            Err(err) => vec![invalid(None, format!("SNS record is malformed: {err}"))],
        },
        Some("aws:sqs") => parse_sqs_record(record).items,
        Some(other) => vec![Item::Ignored { key: None, reason: format!("records from {other} are not handled") }],
        None => vec![invalid(None, "record has no eventSource".into())],
    }
}

fn parse_s3_record(record: &Value) -> Item {
    let parsed: S3Record = match serde_json::from_value(record.clone()) {
        Ok(parsed) => parsed,
        Err(err) => return invalid(None, format!("S3 record is malformed: {err}")),
    };
    let raw_key = parsed.s3.object.key;
    let key = match decode_key(&raw_key) {
        Ok(key) => key,
        Err(reason) => return invalid(Some(raw_key), reason),
    };
    Item::Object(ObjectEvent {
        bucket: parsed.s3.bucket.name,
        key,
        version_id: parsed.s3.object.version_id.filter(|v| !v.is_empty() && v != "null"),
        etag: parsed.s3.object.etag.map(|e| unquote(&e)).filter(|e| !e.is_empty()),
        size: parsed.s3.object.size,
        event_name: parsed.event_name.unwrap_or_default(),
        sequencer: parsed.s3.object.sequencer,
    })
}

fn parse_eventbridge(payload: &Value) -> Item {
    let parsed: EventBridgeS3 = match serde_json::from_value(payload.clone()) {
        Ok(parsed) => parsed,
        Err(err) => return invalid(None, format!("EventBridge S3 event is malformed: {err}")),
    };
    let event_name = match parsed.detail_type.as_str() {
        "Object Created" => {
            let action = match parsed.detail.reason.as_deref() {
                Some("PutObject") => "Put",
                Some("POST Object") | Some("PostObject") => "Post",
                Some("CopyObject") => "Copy",
                Some("CompleteMultipartUpload") => "CompleteMultipartUpload",
                _ => "*",
            };
            format!("ObjectCreated:{action}")
        }
        other => other.to_string(),
    };
    // EventBridge carries the key as is: no URL decoding.
    Item::Object(ObjectEvent {
        bucket: parsed.detail.bucket.name,
        key: parsed.detail.object.key,
        version_id: parsed.detail.object.version_id.filter(|v| !v.is_empty() && v != "null"),
        etag: parsed.detail.object.etag.map(|e| unquote(&e)).filter(|e| !e.is_empty()),
        size: parsed.detail.object.size,
        event_name,
        sequencer: parsed.detail.object.sequencer,
    })
}

/// Decodes a key as S3 notifications encode it: `+` is a space, `%XX` a byte, and the bytes
/// must form UTF-8. Accepts `%2F` for `/` (the local emulator encodes it; S3 does not).
pub fn decode_key(raw: &str) -> Result<String, String> {
    let plus_as_space = raw.replace('+', " ");
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&plus_as_space).collect();
    let key = String::from_utf8(bytes)
        .map_err(|_| format!("object key '{raw}' is not valid UTF-8 once decoded"))?;
    if key.is_empty() {
        return Err("object key is empty".into());
    }
    Ok(key)
}

/// ETags arrive quoted from the API and bare in events.
pub fn unquote(etag: &str) -> String {
    etag.trim().trim_matches('"').to_string()
}

fn invalid(key: Option<String>, reason: String) -> Item {
    Item::Invalid { key, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_notification(key: &str) -> Value {
        json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "ml-pipeline-bucket"},
                   "object": {"key": key, "size": 4213, "eTag": "abc", "sequencer": "0A"}}
        }]})
    }

    fn objects(intake: &Intake) -> Vec<ObjectEvent> {
        intake
            .messages
            .iter()
            .flat_map(|m| m.items.iter())
            .filter_map(|i| match i {
                Item::Object(o) => Some(o.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn given_encoded_keys_when_decoded_then_s3_rules_apply() {
        assert_eq!(decode_key("model/my+model.tar.gz").unwrap(), "model/my model.tar.gz");
        assert_eq!(decode_key("model/a%2Bb.tar.gz").unwrap(), "model/a+b.tar.gz");
        assert_eq!(decode_key("model%2Fmodel.tar.gz").unwrap(), "model/model.tar.gz");
        assert_eq!(decode_key("mod%C3%A8le/model.tar.gz").unwrap(), "modèle/model.tar.gz");
        assert!(decode_key("bad%FF%FE/model.tar.gz").unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn given_native_notification_when_parsed_then_one_object_with_decoded_key() {
        let intake = parse(&s3_notification("model%2Fmodel.tar.gz"));
        assert!(!intake.sqs_batch);
        let objs = objects(&intake);
        assert_eq!(objs.len(), 1);
        assert_eq!(objs[0].key, "model/model.tar.gz");
        assert_eq!(objs[0].etag.as_deref(), Some("abc"));
        assert_eq!(objs[0].version_id, None);
        assert_eq!(objs[0].event_name, "ObjectCreated:Put");
    }

    #[test]
    fn given_eventbridge_event_when_parsed_then_key_is_not_decoded() {
        let event = json!({
            "version": "0", "id": "1", "detail-type": "Object Created", "source": "aws.s3",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:s3:::b"],
            "detail": {"version": "0", "bucket": {"name": "b"},
                       "object": {"key": "model/a+b%2B.tar.gz", "size": 1, "etag": "e", "version-id": "v1"},
                       "reason": "CompleteMultipartUpload"}
        });
        let objs = objects(&parse(&event));
        assert_eq!(objs[0].key, "model/a+b%2B.tar.gz");
        assert_eq!(objs[0].version_id.as_deref(), Some("v1"));
        assert_eq!(objs[0].event_name, "ObjectCreated:CompleteMultipartUpload");
    }

    #[test]
    fn given_sns_inside_sqs_when_parsed_then_batch_with_message_ids() {
        let sns = json!({"Type": "Notification", "MessageId": "m",
                         "Message": s3_notification("model/model.tar.gz").to_string()});
        let event = json!({"Records": [
            {"messageId": "id-1", "eventSource": "aws:sqs", "body": sns.to_string()},
            {"messageId": "id-2", "eventSource": "aws:sqs", "body": "{not json"}
        ]});
        let intake = parse(&event);
        assert!(intake.sqs_batch);
        assert_eq!(intake.messages[0].sqs_message_id.as_deref(), Some("id-1"));
        assert!(matches!(intake.messages[0].items[0], Item::Object(_)));
        assert!(matches!(&intake.messages[1].items[0], Item::Invalid { reason, .. } if reason.contains("not JSON")));
    }

    #[test]
    fn given_sns_record_when_parsed_then_inner_notification_is_used() {
        let event = json!({"Records": [{"EventSource": "aws:sns",
            "Sns": {"Message": s3_notification("model/model.tar.gz").to_string()}}]});
        assert_eq!(objects(&parse(&event)).len(), 1);
    }

    #[test]
    fn given_test_event_in_any_wrapper_when_parsed_then_ignored() {
        let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"});
        let wrapped = json!({"Records": [{"messageId": "1", "eventSource": "aws:sqs", "body": test_event.to_string()}]});
        for event in [test_event, wrapped] {
            let intake = parse(&event);
            assert!(matches!(&intake.messages[0].items[0], Item::Ignored { reason, .. } if reason.contains("TestEvent")));
        }
    }

    #[test]
    fn given_garbage_when_parsed_then_invalid_items_not_panics() {
        for raw in [&b"[1,2]"[..], b"null", b"{\"Records\": [{}]}", b"\xff", b"{\"foo\": 1}"] {
            let intake = parse_bytes(raw);
            let item = &intake.messages[0].items[0];
            assert!(matches!(item, Item::Invalid { .. }), "{raw:?} -> {item:?}");
        }
    }
}
