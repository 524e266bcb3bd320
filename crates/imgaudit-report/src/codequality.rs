//! GitLab's Code Quality report (`artifacts:reports:codequality`): a JSON array of issues in
//! the Code Climate shape GitLab reads, shown in merge request widgets and on changed lines.
//! Suppressed findings are left out: GitLab has no way to show them as dismissed.

use imgaudit_finding::Severity;
use serde_json::{Value as Json, json};

use crate::{Audit, Reported, uri};

/// GitLab's severities: info, minor, major, critical, blocker.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// The Code Quality report of `audit`.
pub fn render(audit: &Audit) -> String {
    let issues: Vec<Json> = audit.active().map(|f| issue(audit, f)).collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}

fn issue(audit: &Audit, reported: &Reported) -> Json {
    let finding = &reported.finding;
    let (path, line) = if let Some(lines) = &reported.dockerfile {
        (lines.file.clone(), lines.start_line)
    } else {
        // GitLab shows the path as given: no percent-encoding here.
        let path = uri::pseudo_path(&audit.repository, reported);
        (
            path,
            reported.in_image.line.filter(|&n| n >= 1).unwrap_or(1),
        )
    };
    json!({
        "type": "issue",
        "check_name": finding.rule_id,
        "description": format!("{} {}: {}", finding.rule_id, audit.repository, finding.message),
        "categories": ["Security"],
        "severity": severity(finding.severity),
        "fingerprint": reported.fingerprint,
        "location": {"path": path, "lines": {"begin": line}},
    })
}
