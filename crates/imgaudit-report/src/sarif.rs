//! SARIF 2.1.0, shaped for GitHub code scanning as GitHub documents it in "SARIF support for
//! code scanning" (the properties it reads, its limits on results, file size and lengths).
//!
//! One run per file. Every enabled rule is described (so a rule with no result closes its
//! alerts); every result has a location: the Dockerfile line when the finding maps to one (pull
//! requests are annotated only on lines of files in the repository), else a stable pseudo-path
//! `<repository>/<path in image>`. The exact layer and history step are in a logical location
//! and in the result's properties. Suppressed findings stay, marked as suppressed with the
//! reason, so dashboards show them as dismissed rather than fixed.

use std::io::Write;

use imgaudit_finding::Severity;
use serde_json::{Value as Json, json};

use crate::fingerprint::FINGERPRINT_KEY;
use crate::{Audit, Reported, RuleInfo, SuppressionState, uri};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub's limits: more results are refused, a bigger file (gzip-compressed) is refused.
pub const MAX_RESULTS: usize = 25_000;
pub const MAX_GZIP_BYTES: usize = 10 * 1024 * 1024;
const MAX_DESCRIPTION: usize = 1024;
const MAX_TAGS: usize = 20;

/// GitHub's `security-severity`: above 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9
/// low. Values away from the boundaries, so no rounding moves them.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low | Severity::Info => "2.0",
    }
}

/// SARIF's `level`.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The SARIF log of `audit`, pretty-printed, within GitHub's limits: when the results would
/// exceed them, the least severe are left out and the run says so.
pub fn render(audit: &Audit) -> String {
    let mut results: Vec<&Reported> = audit.findings.iter().collect();
    // Most severe first, so that a cap keeps what matters.
    results.sort_by(|a, b| {
        a.suppressed
            .is_some()
            .cmp(&b.suppressed.is_some())
            .then_with(|| b.finding.severity.cmp(&a.finding.severity))
            .then_with(|| a.finding.rule_id.cmp(&b.finding.rule_id))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    let total = results.len();
    let kept = total.min(MAX_RESULTS);
    let text = render_with(audit, &results[..kept], total);
    if gzip_len(&text) <= MAX_GZIP_BYTES {
        return text;
    }
    // The most results that fit: the file with none always does.
    let (mut fits, mut too_many) = (0, kept);
    while too_many - fits > 1 {
        let middle = fits + (too_many - fits) / 2;
        if gzip_len(&render_with(audit, &results[..middle], total)) <= MAX_GZIP_BYTES {
            fits = middle;
        } else {
            too_many = middle;
        }
    }
    render_with(audit, &results[..fits], total)
}

fn render_with(audit: &Audit, results: &[&Reported], total: usize) -> String {
    let mut notifications: Vec<Json> = audit
        .notes
        .iter()
        .map(|note| json!({"level": "note", "message": {"text": note}}))
        .collect();
    if results.len() < total {
        notifications.push(json!({
            "level": "warning",
            "message": {"text": format!(
                "{} of {total} findings are in this file, the most severe first: code scanning \
                 refuses more than {MAX_RESULTS} results or {} MB compressed",
                results.len(),
                MAX_GZIP_BYTES / (1024 * 1024)
            )},
        }));
    }
    let config_notifications: Vec<Json> = audit
        .suppressions
        .iter()
        .filter(|s| s.status != SuppressionState::Used)
        .map(|s| {
            let expired = s.status == SuppressionState::Expired;
            let what = if expired {
                format!(
                    "expired on {}, it suppresses nothing",
                    s.expires.as_deref().unwrap_or("?")
                )
            } else {
                "matched no finding".to_owned()
            };
            json!({
                "level": if expired { "warning" } else { "note" },
                "message": {"text": format!(
                    "the suppression of {} at line {} of the configuration {what}",
                    s.rule, s.line
                )},
            })
        })
        .collect();

    let rule_index = |id: &str| audit.rules.iter().position(|rule| rule.id == id);
    let results: Vec<Json> = results
        .iter()
        .map(|reported| result(audit, reported, rule_index(&reported.finding.rule_id)))
        .collect();

    let mut invocation = json!({
        "executionSuccessful": true,
        "toolExecutionNotifications": notifications,
    });
    if !config_notifications.is_empty() {
        invocation["toolConfigurationNotifications"] = Json::Array(config_notifications);
    }
    let image = &audit.image;
    let log = json!({
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [{
            "tool": {"driver": {
                "name": audit.tool.name,
                "semanticVersion": audit.tool.version,
                "informationUri": audit.tool.information_uri,
                "rules": audit.rules.iter().map(rule).collect::<Vec<_>>(),
            }},
            "automationDetails": {"id": audit.category},
            "invocations": [invocation],
            "results": results,
            "properties": {
                "image": {
                    "source": image.source,
                    "repository": audit.repository,
                    "name": image.name,
                    "manifestDigest": image.manifest_digest,
                    "configDigest": image.config_digest,
                    "platform": image.platform,
                },
                "failOn": audit.gate.fail_on,
                "failing": audit.gate.failing,
                "resultsOmitted": total - results.len(),
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn gzip_len(text: &str) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    match encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
    {
        Ok(bytes) => bytes.len(),
        // Writing into memory does not fail; if it did, assume the worst.
        Err(_) => usize::MAX,
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn rule(rule: &RuleInfo) -> Json {
    let help_markdown = rule.doc.clone().unwrap_or_else(|| {
        format!(
            "{}\n\n**Fix:** {}",
            rule.description.trim(),
            rule.remediation.trim()
        )
    });
    let help_text = rule.help_text.clone();
    let mut tags = vec!["security".to_owned(), "container".to_owned()];
    if let Some(category) = &rule.category {
        tags.push(category.clone());
    }
    tags.truncate(MAX_TAGS);
    json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": truncate(&rule.title, MAX_DESCRIPTION)},
        "fullDescription": {"text": truncate(rule.description.trim(), MAX_DESCRIPTION)},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": problem_severity(rule.severity),
            "security-severity": security_severity(rule.severity),
        },
    })
}

/// CodeQL's `problem.severity`, which GitHub shows for rules without `security-severity`.
fn problem_severity(severity: Severity) -> &'static str {
    match level(severity) {
        "error" => "error",
        "warning" => "warning",
        _ => "recommendation",
    }
}

fn result(audit: &Audit, reported: &Reported, rule_index: Option<usize>) -> Json {
    let finding = &reported.finding;
    let repository = &audit.repository;
    let in_image = &reported.in_image;
    let image_uri = uri::of_finding(repository, reported);
    let image_location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": image_uri},
            "region": {"startLine": in_image.line.filter(|&n| n >= 1).unwrap_or(1)},
        },
        "message": {"text": "in the image"},
    });
    let mut primary = match &reported.dockerfile {
        Some(lines) => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": uri::encode(&lines.file)},
                "region": {"startLine": lines.start_line, "endLine": lines.end_line},
            },
        }),
        None => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": image_uri},
                "region": {"startLine": in_image.line.filter(|&n| n >= 1).unwrap_or(1)},
            },
        }),
    };
    if let Some(logical) = logical_location(reported) {
        primary["logicalLocations"] = json!([logical]);
    }

    let mut value = json!({
        "ruleId": finding.rule_id,
        "level": level(finding.severity),
        "message": {"text": format!("{repository} ({}): {}", audit.image.platform, finding.message)},
        "locations": [primary],
        "partialFingerprints": {FINGERPRINT_KEY: reported.fingerprint},
        "properties": {
            "severity": finding.severity.as_str(),
            "precision": finding.precision.as_str(),
            "image": repository,
            "platform": audit.image.platform,
            "path": reported.subject.path,
            "variable": reported.subject.variable,
            "layer": in_image.layer,
            "layerDigest": in_image.layer_digest,
            "historyStep": in_image.history_step,
            "createdBy": in_image.created_by,
            "evidence": finding.evidence,
        },
    });
    // Absent facts are left out rather than written as null.
    if let Some(properties) = value["properties"].as_object_mut() {
        properties.retain(|_, v| !v.is_null());
    }
    if let Some(index) = rule_index {
        value["ruleIndex"] = json!(index);
    }
    if reported.dockerfile.is_some() {
        let mut related = image_location;
        related["id"] = json!(1);
        value["relatedLocations"] = json!([related]);
    }
    if let Some(applied) = &reported.suppressed {
        let justification = match &applied.expires {
            Some(expires) => format!("{} (until {expires})", applied.reason),
            None => applied.reason.clone(),
        };
        value["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": justification,
        }]);
    }
    value
}

/// The layer and history step, as a logical location.
fn logical_location(reported: &Reported) -> Option<Json> {
    let in_image = &reported.in_image;
    let step = in_image.history_step?;
    let name = match in_image.layer {
        Some(layer) => format!("layer {layer}, history step {step}"),
        None => format!("history step {step}"),
    };
    Some(json!({"name": name, "fullyQualifiedName": name, "kind": "module"}))
}
