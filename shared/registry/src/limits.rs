//! The real SageMaker API limits, enforced here because the local emulator does not.
//!
//! `CustomerMetadataProperties`: at most 50 entries, keys of 1-128 and values of 1-256
//! characters matching `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`. Descriptions: at most 1024
//! characters without control characters. `ClientToken`: 1-36 of `[a-zA-Z0-9-]`.
//! Making a value fit is deterministic (the same input always gives the same output, so
//! retries send the same request) and never silent: the full document is stored beside the
//! artifact copy and referenced by `metadata-uri`.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::OnceLock;

pub const MAX_METADATA_ENTRIES: usize = 50;
pub const MAX_KEY_LEN: usize = 128;
pub const MAX_VALUE_LEN: usize = 256;
pub const MAX_DESCRIPTION_LEN: usize = 1024;
pub const MAX_CLIENT_TOKEN_LEN: usize = 36;
const ELLIPSIS: &str = "...";
/// What an empty value becomes: the API refuses empty values.
pub const EMPTY_VALUE: &str = "-";

fn allowed_char() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    // The API's own pattern, one character at a time.
    PATTERN.get_or_init(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]$").unwrap_or_else(|_| unreachable!()))
}

/// Whether `text` matches the metadata pattern as a whole.
pub fn is_valid_metadata_text(text: &str, max_len: usize) -> bool {
    let len = utf16_len(text);
    len >= 1 && len <= max_len && text.chars().all(is_allowed)
}

fn is_allowed(c: char) -> bool {
    let mut buf = [0u8; 4];
    allowed_char().is_match(c.encode_utf8(&mut buf))
}

/// Lengths are counted in UTF-16 code units, the stricter of the ways the API may count.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Replaces characters the pattern refuses: whitespace and controls by a space, others by `_`.
fn replace_disallowed(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_allowed(c) {
                c
            } else if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                '_'
            }
        })
        .collect()
}

/// Cuts `text` to at most `max` UTF-16 units, ending with `suffix` when cut.
fn truncate(text: &str, max: usize, suffix: &str) -> String {
    if utf16_len(text) <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(utf16_len(suffix));
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push_str(suffix);
    out
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..4])
}

/// A valid metadata value: disallowed characters replaced, cut to 256 with `...`, never empty.
pub fn sanitize_value(raw: &str) -> String {
    let cleaned = replace_disallowed(raw.trim());
    if cleaned.trim().is_empty() {
        return EMPTY_VALUE.to_string();
    }
    truncate(&cleaned, MAX_VALUE_LEN, ELLIPSIS)
}

/// A valid metadata key. A key that had to be cut carries a hash of the original so that two
/// long keys with one prefix stay distinct.
pub fn sanitize_key(raw: &str) -> String {
    let cleaned = replace_disallowed(raw.trim());
    let cleaned = if cleaned.trim().is_empty() { format!("key-{}", short_hash(raw)) } else { cleaned };
    if utf16_len(&cleaned) <= MAX_KEY_LEN {
        return cleaned;
    }
    truncate(&cleaned, MAX_KEY_LEN, &format!("-{}", short_hash(raw)))
}

/// A valid description: control characters become spaces, cut to 1024 with `...`.
pub fn sanitize_description(raw: &str) -> String {
    let cleaned: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    truncate(cleaned.trim(), MAX_DESCRIPTION_LEN, ELLIPSIS)
}

/// A deterministic `ClientToken` (at most 36 of `[a-zA-Z0-9-]`) from an identity string.
pub fn client_token(identity: &str) -> String {
    let token: String = identity.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    if !token.is_empty() && token.len() <= MAX_CLIENT_TOKEN_LEN && token == identity {
        return token;
    }
    hex::encode(&Sha256::digest(identity.as_bytes())[..16])
}

/// The result of fitting metadata into the API limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FittedMetadata {
    /// At most 50 valid entries, in priority order.
    pub entries: Vec<(String, String)>,
    /// Original keys that did not fit in 50 entries (all are in the full document).
    pub left_out: Vec<String>,
    /// Original keys whose key or value had to be changed to fit.
    pub altered: Vec<String>,
}

/// Fits `(key, value)` pairs, already in priority order, into the API limits. Later duplicates
/// of a key are dropped (callers merge sources before), sanitised keys that collide get a hash.
pub fn fit_metadata(entries: &[(String, String)]) -> FittedMetadata {
    let mut fitted = FittedMetadata::default();
    let mut seen = BTreeSet::new();
    for (raw_key, raw_value) in entries {
        let mut key = sanitize_key(raw_key);
        if seen.contains(&key) {
            key = truncate(&key, MAX_KEY_LEN - 9, "") + "-" + &short_hash(raw_key);
            if seen.contains(&key) {
                continue;
            }
        }
        if fitted.entries.len() >= MAX_METADATA_ENTRIES {
            fitted.left_out.push(raw_key.clone());
            continue;
        }
        let value = sanitize_value(raw_value);
        if key != *raw_key || value != *raw_value {
            fitted.altered.push(raw_key.clone());
        }
        seen.insert(key.clone());
        fitted.entries.push((key, value));
    }
    fitted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_plain_values_when_sanitized_then_unchanged() {
        assert_eq!(sanitize_value("0.958"), "0.958");
        assert_eq!(sanitize_value("s3://bucket/model/model.tar.gz"), "s3://bucket/model/model.tar.gz");
        assert_eq!(sanitize_key("metric:accuracy"), "metric:accuracy");
        assert_eq!(sanitize_value("modèle Ωmega 数据"), "modèle Ωmega 数据");
    }

    #[test]
    fn given_hostile_values_when_sanitized_then_valid_and_deterministic() {
        let hostile = [
            "{\"a\": [1, 2]}",
            "line one\nline two\ttab",
            "quote's \"double\", comma",
            "",
            "   ",
            &"x".repeat(2000),
            &"é".repeat(300),
            "emoji 🚀 rocket",
        ];
        for raw in hostile {
            let value = sanitize_value(raw);
            assert!(is_valid_metadata_text(&value, MAX_VALUE_LEN), "{raw:?} -> {value:?}");
            assert_eq!(value, sanitize_value(raw), "deterministic");
            let key = sanitize_key(raw);
            assert!(is_valid_metadata_text(&key, MAX_KEY_LEN), "{raw:?} -> {key:?}");
        }
        assert_eq!(sanitize_value(""), "-");
        assert!(sanitize_value(&"x".repeat(300)).ends_with("..."));
    }

    #[test]
    fn given_long_keys_with_same_prefix_when_sanitized_then_distinct() {
        let a = sanitize_key(&format!("{}a", "k".repeat(200)));
        let b = sanitize_key(&format!("{}b", "k".repeat(200)));
        assert_ne!(a, b);
        assert!(utf16_len(&a) <= MAX_KEY_LEN);
    }

    #[test]
    fn given_80_entries_when_fitted_then_first_50_kept_and_rest_reported() {
        let entries: Vec<(String, String)> =
            (0..80).map(|i| (format!("data:field-{i:02}"), format!("value {i}"))).collect();
        let fitted = fit_metadata(&entries);
        assert_eq!(fitted.entries.len(), 50);
        assert_eq!(fitted.entries[0].0, "data:field-00");
        assert_eq!(fitted.left_out.len(), 30);
        assert_eq!(fitted.left_out[0], "data:field-50");
    }

    #[test]
    fn given_keys_colliding_after_sanitizing_when_fitted_then_both_kept() {
        let entries = vec![("data:a,b".to_string(), "1".to_string()), ("data:a;b".to_string(), "2".to_string())];
        let fitted = fit_metadata(&entries);
        assert_eq!(fitted.entries.len(), 2);
        assert_ne!(fitted.entries[0].0, fitted.entries[1].0);
        assert!(fitted.entries.iter().all(|(k, v)| is_valid_metadata_text(k, 128) && is_valid_metadata_text(v, 256)));
    }

    #[test]
    fn given_description_with_controls_when_sanitized_then_fits() {
        let raw = format!("first\nsecond\u{0007}{}", "d".repeat(2000));
        let description = sanitize_description(&raw);
        assert!(utf16_len(&description) <= MAX_DESCRIPTION_LEN);
        assert!(!description.chars().any(char::is_control));
        assert!(description.starts_with("first second"));
    }

    #[test]
    fn given_any_identity_when_tokenized_then_valid_client_token() {
        for identity in ["abc-123", "s3://b/k.tar.gz#\"etag\"", &"z".repeat(100)] {
            let token = client_token(identity);
            assert!((1..=36).contains(&token.len()), "{token}");
            assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            assert_eq!(token, client_token(identity));
        }
        assert_eq!(client_token("abc-123"), "abc-123");
    }
}
