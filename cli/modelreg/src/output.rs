//! Text and JSON output of `modelreg`.

use aws_sdk_sagemaker::primitives::{DateTime, DateTimeFormat};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One line of `modelreg versions`.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    pub version: i32,
    pub model_name: String,
    pub accuracy: String,
    pub status: String,
    pub approval: String,
    pub created: String,
    /// The newest Approved version: the one in production.
    pub production: bool,
    pub arn: String,
}

pub fn timestamp(time: &DateTime) -> String {
    time.fmt(DateTimeFormat::DateTime).unwrap_or_default()
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
            vec![version, r.model_name.clone(), r.accuracy.clone(), r.status.clone(), r.approval.clone(), r.created.clone()]
        })
        .collect();
    let mut out = table(&["Version", "Model Name", "Accuracy", "Status", "Approval", "Created"], &cells);
    if rows.iter().any(|r| r.production) {
        out.push_str("* in production: the newest Approved version\n");
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

pub fn show_text(view: &Value) -> String {
    let text = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "Version {}  ({})", text(&view["version"]), text(&view["arn"]));
    for (label, field) in [
        ("Approval", "approval"),
        ("Status", "status"),
        ("Created", "created"),
        ("Artifact", "artifact"),
        ("Image", "image"),
        ("Content types", "content_types"),
        ("Response types", "response_types"),
        ("Lineage", "lineage"),
        ("Evaluation", "evaluation"),
        ("Description", "description"),
    ] {
        let _ = writeln!(out, "{label:<15} {}", text(&view[field]));
    }
    let decision = &view["decision"];
    let _ = writeln!(
        out,
        "{:<15} {} by {} at {}: {}",
        "Decision",
        text(&decision["status"]),
        text(&decision["by"]),
        text(&decision["at"]),
        text(&decision["description"])
    );
    let source = if view["document"].is_object() { &view["document"] } else { &Value::Null };
    for section in ["metrics", "hyperparameters", "data"] {
        let _ = writeln!(out, "\n{}:", section[..1].to_uppercase() + &section[1..]);
        let entries: Vec<(String, String)> = match source.get(section).and_then(Value::as_object) {
            Some(map) => map.iter().map(|(k, v)| (k.clone(), registry::metadata::render(v))).collect(),
            None => {
                let prefix = match section {
                    "metrics" => "metric:",
                    "hyperparameters" => "hyperparameter:",
                    _ => "data:",
                };
                view["metadata"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), text(v))))
                    .collect()
            }
        };
        for (name, value) in entries {
            let _ = writeln!(out, "  {name:<24} {value}");
        }
    }
    let _ = writeln!(out, "\nMetadata:");
    if let Some(map) = view["metadata"].as_object() {
        for (k, v) in map {
            let _ = writeln!(out, "  {k:<32} {}", text(v));
        }
    }
    if source.is_object() {
        let _ = writeln!(out, "\nFull metadata document:\n{}", serde_json::to_string_pretty(source).unwrap_or_default());
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
            model_name: "m".into(),
            accuracy: "0.958".into(),
            status: "Completed".into(),
            approval: approval.into(),
            created: "t".into(),
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
}
