//! Text and JSON output of `modelreg`.

use aws_sdk_sagemaker::primitives::{DateTime, DateTimeFormat};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One line of `modelreg versions`.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i32,
    pub model_name: Option<String>,
    /// `metric:accuracy` as registered.
    pub accuracy: Option<String>,
    pub status: String,
    pub approval: String,
    pub created: Option<DateTime>,
    /// The newest Approved version: the one a deployment of the latest approved model picks up.
    pub production: bool,
    pub arn: String,
}

impl VersionRow {
    /// The documented `--json` shape: accuracy as a number when it is one.
    pub fn to_json(&self) -> Value {
        let accuracy = self.accuracy.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()).filter(Value::is_number);
        json!({
            "version": self.version,
            "model_name": self.model_name,
            "accuracy": accuracy,
            "status": self.status,
            "approval": self.approval,
            "created": self.created.as_ref().map(timestamp_json),
            "production": self.production,
            "arn": self.arn,
        })
    }
}

/// A time for people: RFC 3339 to the second, UTC.
pub fn timestamp(time: &DateTime) -> String {
    DateTime::from_secs(time.secs()).fmt(DateTimeFormat::DateTime).unwrap_or_default()
}

/// A time for scripts: RFC 3339 to the millisecond, UTC (the emulator's float timestamps
/// would otherwise print as `.326999`).
pub fn timestamp_json(time: &DateTime) -> String {
    let millis = (time.as_nanos() + 500_000).div_euclid(1_000_000);
    let millis = i64::try_from(millis).unwrap_or(i64::MAX);
    DateTime::from_millis(millis).fmt(DateTimeFormat::DateTime).unwrap_or_default()
}

pub fn print_json(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A plain table with a header and aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    out.push_str(&format!("|{}|\n", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|")));
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

pub fn versions_table(rows: &[VersionRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let version = if r.production { format!("{} *", r.version) } else { r.version.to_string() };
            let or_dash = |v: &Option<String>| v.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "-".into());
            let created = r.created.as_ref().map(timestamp).unwrap_or_else(|| "-".into());
            vec![version, or_dash(&r.model_name), or_dash(&r.accuracy), r.status.clone(), r.approval.clone(), created]
        })
        .collect();
    let mut out = table(&["Version", "Model Name", "Accuracy", "Status", "Approval", "Created"], &cells);
    if rows.iter().any(|r| r.production) {
        out.push_str("* the newest Approved version: the one a deployment of the latest approved model picks up\n");
    }
    out
}

/// Metric or hyperparameter values of two versions, with the difference where both are numbers.
pub fn side_by_side(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<Value> {
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let (va, vb) = (a.get(name), b.get(name));
            let diff = match (va.and_then(|v| v.parse::<f64>().ok()), vb.and_then(|v| v.parse::<f64>().ok())) {
                (Some(x), Some(y)) => Some(format_diff(y - x)),
                _ => None,
            };
            serde_json::json!({"name": name, "a": va, "b": vb, "difference": diff, "same": va == vb})
        })
        .collect()
}

/// A signed difference in its shortest form, rounded to what metrics carry.
pub fn format_diff(diff: f64) -> String {
    let rounded = (diff * 1e6).round() / 1e6;
    if rounded == 0.0 {
        "0".into()
    } else if rounded > 0.0 {
        format!("+{rounded}")
    } else {
        format!("{rounded}")
    }
}

pub fn compare_text(a: i32, b: i32, metrics: &[Value], hyperparameters: &[Value]) -> String {
    let mut out = String::new();
    for (title, rows) in [("Metrics", metrics), ("Hyperparameters", hyperparameters)] {
        let _ = writeln!(out, "{title}");
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let cell = |k: &str| r[k].as_str().unwrap_or("-").to_string();
                let marker = if r["same"].as_bool().unwrap_or(true) { "" } else { " <" };
                vec![cell("name"), cell("a"), cell("b"), format!("{}{marker}", r["difference"].as_str().unwrap_or(""))]
            })
            .collect();
        out.push_str(&table(&["Name", &format!("v{a}"), &format!("v{b}"), "Difference"], &cells));
        out.push('\n');
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::String(s) if s.is_empty() => "-".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".to_string(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `modelreg show` for people: the view `show --json` prints, laid out for reading.
pub fn show_text(view: &Value) -> String {
    let mut out = String::new();
    let field = |out: &mut String, label: &str, value: &Value| {
        let _ = writeln!(out, "{label:<16} {}", text(value));
    };
    let _ = writeln!(out, "Version {} of {}", text(&view["version"]), text(&view["group"]));
    field(&mut out, "ARN", &view["arn"]);
    field(&mut out, "Approval", &view["approval"]);
    field(&mut out, "Status", &view["status"]);
    field(&mut out, "Created", &view["created"]);
    field(&mut out, "Created by", &view["created_by"]);
    field(&mut out, "Description", &view["description"]);
    field(&mut out, "Artifact", &view["artifact"]);
    field(&mut out, "Image", &view["image"]);
    field(&mut out, "Content types", &view["content_types"]);
    field(&mut out, "Response types", &view["response_types"]);
    field(&mut out, "Evaluation", &view["evaluation"]);

    let _ = writeln!(out, "\nDecision (SageMaker keeps only the latest)");
    let decision = &view["decision"];
    let undecided = decision["status"] == "PendingManualApproval" && decision["at"].is_null();
    if undecided {
        let _ = writeln!(out, "  {:<14} none yet (PendingManualApproval)", "status");
    } else {
        let _ = writeln!(out, "  {:<14} {}", "status", text(&decision["status"]));
        let _ = writeln!(out, "  {:<14} {}", "description", text(&decision["description"]));
        let by = match &decision["by"] {
            Value::String(by) => by.clone(),
            _ => "unknown (not recorded by this endpoint)".to_string(),
        };
        let _ = writeln!(out, "  {:<14} {by}", "by");
        let at = match &decision["at"] {
            Value::String(at) => format!("{at} (the version's last modification)"),
            _ => "unknown (not recorded by this endpoint)".to_string(),
        };
        let _ = writeln!(out, "  {:<14} {at}", "at");
    }

    let _ = writeln!(out, "\nLineage");
    for (label, key) in [("generated by", "generated_by"), ("source", "source"), ("training job", "training_job")] {
        let _ = writeln!(out, "  {label:<14} {}", text(&view["lineage"][key]));
    }

    for (title, key) in [("Metrics", "metrics"), ("Hyperparameters", "hyperparameters"), ("Data", "data")] {
        let _ = writeln!(out, "\n{title}");
        match view[key].as_object().filter(|m| !m.is_empty()) {
            Some(map) => {
                for (name, value) in map {
                    let _ = writeln!(out, "  {name:<24} {}", registry::metadata::render(value));
                }
            }
            None => {
                let _ = writeln!(out, "  (none recorded)");
            }
        }
    }
    for (title, key) in [("Missing at registration", "missing"), ("Notes", "notes")] {
        if let Some(items) = view[key].as_array().filter(|a| !a.is_empty()) {
            let _ = writeln!(out, "\n{title}");
            for item in items {
                let _ = writeln!(out, "  {}", text(item));
            }
        }
    }

    let _ = writeln!(out, "\nMetadata (CustomerMetadataProperties)");
    if let Some(map) = view["metadata"].as_object() {
        for (k, v) in map {
            let _ = writeln!(out, "  {k:<32} {}", text(v));
        }
    }
    match &view["document"] {
        Value::Object(_) => {
            let _ = writeln!(
                out,
                "\nFull metadata document ({})\n{}",
                text(&view["document_uri"]),
                serde_json::to_string_pretty(&view["document"]).unwrap_or_default()
            );
        }
        _ => {
            let why = if view["document_uri"].is_null() { "none referenced" } else { "unreadable" };
            let _ = writeln!(out, "\nFull metadata document: {why} ({})", text(&view["document_uri"]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_rows_when_tabled_then_aligned_and_production_marked() {
        let row = |v: i32, approval: &str, production: bool| VersionRow {
            version: v,
            model_name: Some("m".into()),
            accuracy: Some("0.958".into()),
            status: "Completed".into(),
            approval: approval.into(),
            created: Some(DateTime::from_millis(1_764_771_304_166)),
            production,
            arn: String::new(),
        };
        let text = versions_table(&[row(2, "PendingManualApproval", false), row(1, "Approved", true)]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("| Version | Model Name | Accuracy |"));
        assert!(lines[3].starts_with("| 1 *"));
        assert!(lines.iter().all(|l| l.is_empty() || !l.starts_with('|') || l.len() == lines[0].len()));
    }

    #[test]
    fn given_two_metric_sets_when_compared_then_signed_differences() {
        let a = BTreeMap::from([("accuracy".to_string(), "0.912".to_string())]);
        let b = BTreeMap::from([("accuracy".to_string(), "0.958".to_string()), ("auc".to_string(), "0.99".to_string())]);
        let rows = side_by_side(&a, &b);
        assert_eq!(rows[0]["difference"], "+0.046");
        assert_eq!(rows[1]["a"], Value::Null);
        assert_eq!(format_diff(-0.0125), "-0.0125");
    }

    #[test]
    fn given_decision_without_recorded_user_when_shown_then_says_unknown_not_recorded() {
        let view = serde_json::json!({
            "version": 3, "group": "g",
            "decision": {"status": "Rejected", "description": "overfits", "by": null, "at": "2026-12-03T14:15:04Z"},
        });
        let text = show_text(&view);
        assert!(text.contains("by             unknown (not recorded by this endpoint)"), "{text}");
        assert!(text.contains("at             2026-12-03T14:15:04Z (the version's last modification)"), "{text}");
        assert!(text.contains("description    overfits"), "{text}");
    }

    #[test]
    fn given_undecided_version_when_shown_then_no_decision_yet() {
        let view = serde_json::json!({"decision": {"status": "PendingManualApproval", "by": null, "at": null}});
        assert!(show_text(&view).contains("none yet (PendingManualApproval)"));
    }

    #[test]
    fn given_emulator_float_time_when_formatted_then_whole_seconds_for_people_and_millis_for_scripts() {
        let time = DateTime::from_secs_and_nanos(1_764_771_304, 165_999_000);
        assert_eq!(timestamp(&time), "2025-12-03T14:15:04Z");
        assert_eq!(timestamp_json(&time), "2025-12-03T14:15:04.166Z");
    }
}
