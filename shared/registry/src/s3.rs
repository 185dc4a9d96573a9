//! The S3 adapter: reading the artifact and its sidecars, the immutable copy, conditional writes.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use std::collections::BTreeMap;
use tracing::{debug, info};

use crate::error::{from_sdk, http_status, Error, Result};
use crate::intake::unquote;
use crate::metadata::SourceObject;

/// What HeadObject found for the object an event named.
#[derive(Debug)]
pub enum Head {
    Found(SourceObject),
    /// The object (or that version of it) no longer exists.
    Gone,
    /// The key now holds another object than the event's ETag names.
    Replaced,
}

/// Looks up the exact object an event names: its version when given, else conditional on its
/// ETag so that an overwrite in between is noticed.
pub async fn head(
    client: &Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    etag: Option<&str>,
) -> Result<Head> {
    let mut request = client.head_object().bucket(bucket).key(key);
    match version_id {
        Some(version) => request = request.version_id(version),
        None => {
            if let Some(etag) = etag {
                request = request.if_match(format!("\"{etag}\""));
            }
        }
    }
    match request.send().await {
        Ok(out) => Ok(Head::Found(SourceObject {
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id: out
                .version_id()
                .filter(|v| !v.is_empty() && *v != "null")
                .map(String::from)
                .or_else(|| version_id.map(String::from)),
            etag: out.e_tag().map(unquote).unwrap_or_default(),
            size: out.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            user_metadata: out
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_else(BTreeMap::new),
        })),
        Err(err) => match http_status(&err) {
            Some(404) => Ok(Head::Gone),
            Some(412) => Ok(Head::Replaced),
            // S3 answers 400 for a malformed version id; no retry fixes it.
            Some(400) => Err(Error::InvalidInput(format!(
                "HeadObject s3://{bucket}/{key}: bad request (version id {version_id:?})"
            ))),
            _ => Err(from_sdk("HeadObject", err)),
        },
    }
}

/// Reads a small object, `None` when it does not exist.
pub async fn get_optional(client: &Client, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let body = out.body.collect().await.map_err(|err| Error::Transient {
                operation: "GetObject",
                message: format!("reading s3://{bucket}/{key}: {err}"),
            })?;
            Ok(Some(body.into_bytes().to_vec()))
        }
        Err(err) if http_status(&err) == Some(404) => Ok(None),
        Err(err) => Err(from_sdk("GetObject", err)),
    }
}

/// Writes an object.
pub async fn put(client: &Client, bucket: &str, key: &str, body: Vec<u8>, content_type: &str) -> Result<()> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|err| from_sdk("PutObject", err))?;
    Ok(())
}

/// Writes an object only if the key is free (`If-None-Match: *`): `false` when it exists.
pub async fn put_if_absent(
    client: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<bool> {
    let result = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .if_none_match("*")
        .body(ByteStream::from(body))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(err) if http_status(&err) == Some(412) => Ok(false),
        Err(err) => Err(from_sdk("PutObject", err)),
    }
}

/// Outcome of copying the artifact into the registry.
#[derive(Debug, PartialEq, Eq)]
pub enum Copy {
    Copied,
    /// The source key no longer holds the object the event named.
    SourceChanged,
}

/// Copies exactly `source` (its version, or conditional on its ETag) to `bucket/dest_key`,
/// with a multipart copy above `threshold` bytes.
pub async fn copy_exact(
    client: &Client,
    source: &SourceObject,
    dest_key: &str,
    threshold: u64,
    part_size: u64,
) -> Result<Copy> {
    let copy_source = copy_source(source);
    if source.size > threshold {
        return multipart_copy(client, source, &copy_source, dest_key, part_size).await;
    }
    let mut request = client.copy_object().bucket(&source.bucket).key(dest_key).copy_source(&copy_source);
    if source.version_id.is_none() {
        request = request.copy_source_if_match(format!("\"{}\"", source.etag));
    }
    match request.send().await {
        Ok(_) => {
            debug!(dest_key, "artifact copied");
            Ok(Copy::Copied)
        }
        Err(err) if http_status(&err) == Some(412) => Ok(Copy::SourceChanged),
        Err(err) => Err(from_sdk("CopyObject", err)),
    }
}

/// `bucket/key[?versionId=...]`, the key URL-encoded as CopySource requires.
fn copy_source(source: &SourceObject) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let key = percent_encoding::utf8_percent_encode(&source.key, KEEP);
    match &source.version_id {
        Some(version) => format!("{}/{key}?versionId={version}", source.bucket),
        None => format!("{}/{key}", source.bucket),
    }
}

async fn multipart_copy(
    client: &Client,
    source: &SourceObject,
    copy_source: &str,
    dest_key: &str,
    part_size: u64,
) -> Result<Copy> {
    let upload = client
        .create_multipart_upload()
        .bucket(&source.bucket)
        .key(dest_key)
        .send()
        .await
        .map_err(|err| from_sdk("CreateMultipartUpload", err))?;
    let upload_id = upload.upload_id().unwrap_or_default().to_string();
    let result = copy_parts(client, source, copy_source, dest_key, &upload_id, part_size).await;
    if !matches!(result, Ok(Copy::Copied)) {
        // Do not leave billed parts behind; the lifecycle rule is only the backstop.
        let _ = client
            .abort_multipart_upload()
            .bucket(&source.bucket)
            .key(dest_key)
            .upload_id(&upload_id)
            .send()
            .await;
    }
    result
}

async fn copy_parts(
    client: &Client,
    source: &SourceObject,
    copy_source: &str,
    dest_key: &str,
    upload_id: &str,
    part_size: u64,
) -> Result<Copy> {
    let mut parts = Vec::new();
    let mut start = 0u64;
    let mut number = 1i32;
    while start < source.size {
        let end = (start + part_size).min(source.size) - 1;
        let mut request = client
            .upload_part_copy()
            .bucket(&source.bucket)
            .key(dest_key)
            .upload_id(upload_id)
            .part_number(number)
            .copy_source(copy_source)
            .copy_source_range(format!("bytes={start}-{end}"));
        if source.version_id.is_none() {
            request = request.copy_source_if_match(format!("\"{}\"", source.etag));
        }
        let out = match request.send().await {
            Ok(out) => out,
            Err(err) if http_status(&err) == Some(412) => return Ok(Copy::SourceChanged),
            Err(err) => return Err(from_sdk("UploadPartCopy", err)),
        };
        let etag = out.copy_part_result().and_then(|r| r.e_tag()).unwrap_or_default().to_string();
        parts.push(CompletedPart::builder().part_number(number).e_tag(etag).build());
        start = end + 1;
        number += 1;
    }
    client
        .complete_multipart_upload()
        .bucket(&source.bucket)
        .key(dest_key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map_err(|err| from_sdk("CompleteMultipartUpload", err))?;
    info!(dest_key, parts = number - 1, "artifact copied in parts");
    Ok(Copy::Copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_key_with_spaces_and_plus_when_copy_source_built_then_url_encoded() {
        let mut source = SourceObject { bucket: "b".into(), key: "my model/a+b.tar.gz".into(), ..SourceObject::default() };
        assert_eq!(copy_source(&source), "b/my%20model/a%2Bb.tar.gz");
        source.version_id = Some("v1".into());
        assert_eq!(copy_source(&source), "b/my%20model/a%2Bb.tar.gz?versionId=v1");
    }
}
