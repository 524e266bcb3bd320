//! The JSON report (`docs/json.md`): versioned by `schema_version`; within a version fields are
//! only ever added, never renamed or removed.

use imgaudit_finding::{ImageIdentity, Severity};
use imgaudit_policy::Finding;
use serde::Serialize;

use crate::{
    AppliedSuppression, Audit, DockerfileUse, InImage, Reported, SourceLines, Subject,
    SuppressionStatus,
};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
struct Report<'a> {
    schema_version: u32,
    image: ImageOut<'a>,
    /// Reported findings no suppression covers.
    findings: Vec<FindingOut<'a>>,
    /// Findings a suppression covers, with its reason.
    suppressed: Vec<FindingOut<'a>>,
    /// Unsuppressed findings per severity, every severity present (zero included).
    summary: serde_json::Map<String, serde_json::Value>,
    rules: Vec<&'a str>,
    disabled: &'a [String],
    fail_on: &'a str,
    failing: usize,
    suppressions: &'a [SuppressionStatus],
    #[serde(skip_serializing_if = "Option::is_none")]
    dockerfile: Option<&'a DockerfileUse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config_file: Option<&'a str>,
    category: &'a str,
    notes: &'a [String],
}

/// The image as the report names it: its identity, with the repository after its name.
#[derive(Debug, Serialize)]
struct ImageOut<'a> {
    source: &'a str,
    transport: &'a str,
    name: Option<&'a str>,
    repository: &'a str,
    manifest_digest: Option<&'a str>,
    config_digest: &'a str,
    platform: &'a str,
}

impl<'a> ImageOut<'a> {
    fn of(image: &'a ImageIdentity, repository: &'a str) -> Self {
        ImageOut {
            source: &image.source,
            transport: image.transport,
            name: image.name.as_deref(),
            repository,
            manifest_digest: image.manifest_digest.as_deref(),
            config_digest: &image.config_digest,
            platform: &image.platform,
        }
    }
}

#[derive(Debug, Serialize)]
struct FindingOut<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: &'a str,
    subject: &'a Subject,
    in_image: &'a InImage,
    #[serde(skip_serializing_if = "Option::is_none")]
    dockerfile: Option<&'a SourceLines>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a AppliedSuppression>,
}

impl<'a> FindingOut<'a> {
    fn of(reported: &'a Reported) -> Self {
        FindingOut {
            finding: &reported.finding,
            fingerprint: &reported.fingerprint,
            subject: &reported.subject,
            in_image: &reported.in_image,
            dockerfile: reported.dockerfile.as_ref(),
            suppression: reported.suppressed.as_ref(),
        }
    }
}

/// The JSON report, pretty-printed.
pub fn render(audit: &Audit) -> String {
    let (suppressed, active): (Vec<&Reported>, Vec<&Reported>) =
        audit.findings.iter().partition(|f| f.suppressed.is_some());
    let summary = Severity::ALL
        .iter()
        .map(|severity| {
            let n = active
                .iter()
                .filter(|f| f.finding.severity == *severity)
                .count();
            (severity.to_string(), n.into())
        })
        .collect();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        image: ImageOut::of(&audit.image, &audit.repository),
        findings: active.into_iter().map(FindingOut::of).collect(),
        suppressed: suppressed.into_iter().map(FindingOut::of).collect(),
        summary,
        rules: audit.rules.iter().map(|r| r.id.as_str()).collect(),
        disabled: &audit.disabled,
        fail_on: &audit.gate.fail_on,
        failing: audit.gate.failing,
        suppressions: &audit.suppressions,
        dockerfile: audit.dockerfile.as_ref(),
        config_file: audit.config_file.as_deref(),
        category: &audit.category,
        notes: &audit.notes,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
