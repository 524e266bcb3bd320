//! imgaudit's reports of one audit, each rendered whole into a string:
//!
//! - [`text`]: for people, grouped by rule, with evidence, fix and a one-line summary;
//! - [`json`]: the documented, versioned document (`docs/json.md`);
//! - [`sarif`]: SARIF 2.1.0 as GitHub code scanning ingests it;
//! - [`codequality`]: GitLab's Code Quality report.
//!
//! The caller assembles an [`Audit`] (findings with their place in the image, their Dockerfile
//! line, fingerprint and suppression) and picks the renderers. Nothing here reads an image or
//! prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod codequality;
pub mod fingerprint;
pub mod inert;
pub mod json;
pub mod sarif;
pub mod text;
mod uri;

use imgaudit_finding::{ImageIdentity, Location, Severity};
use imgaudit_policy::Finding;
use serde::Serialize;

pub use fingerprint::{Subject, fingerprint};

/// The program that made the report.
#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub information_uri: String,
}

/// A rule as reports describe it.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    /// The rule's severity, after the configuration's override.
    pub severity: Severity,
    pub remediation: String,
    /// The rule's documentation (Markdown), when it has one.
    pub doc: Option<String>,
    /// The documentation as plain text, as `imgaudit rule ID` prints it.
    pub help_text: String,
    pub help_uri: String,
    /// The policy directory's first level (`pip`, `python`), a tag in SARIF.
    pub category: Option<String>,
}

/// Where a finding is in the image: its first location, with the digest of the layer it names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InImage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The layer's digest (its blob's, else its `diff_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_step: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// The Dockerfile lines a finding maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLines {
    /// Relative to the working directory, `/`-separated: the URI code scanning matches
    /// against the repository.
    pub file: String,
    pub start_line: u32,
    pub end_line: u32,
    /// The instruction's keyword (`ENV`, `RUN`, `FROM`).
    pub instruction: String,
    pub how: LineMatch,
}

/// How a finding was tied to a Dockerfile line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LineMatch {
    /// The history step is this instruction's.
    Instruction,
    /// The step comes from the base image, so the line is `FROM`.
    BaseImage,
    /// The `ENV` that sets the finding's variable.
    Env,
}

/// A suppression that applies to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedSuppression {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The suppression's line in the configuration file.
    pub line: usize,
}

/// One finding with everything the reports say about it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub finding: Finding,
    pub subject: Subject,
    pub fingerprint: String,
    pub in_image: InImage,
    pub dockerfile: Option<SourceLines>,
    pub suppressed: Option<AppliedSuppression>,
}

/// What became of one configured suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionStatus {
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub line: usize,
    pub status: SuppressionState,
    /// How many findings it suppressed, or would have before it expired.
    pub matched: usize,
}

/// Whether a suppression did anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionState {
    /// It suppressed findings.
    Used,
    /// It matched no finding.
    Unused,
    /// Its date has passed: it suppresses nothing.
    Expired,
}

/// The build gate's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    /// `none` or a severity name.
    pub fail_on: String,
    /// Unsuppressed findings at or above the threshold, whether reported or not.
    pub failing: usize,
}

/// Everything one audit produced.
#[derive(Debug, Clone)]
pub struct Audit {
    pub tool: Tool,
    pub image: ImageIdentity,
    /// The repository name without tag or digest (`team/app`): what reports, fingerprints and
    /// suppressions call the image, the same from one build (and tag) to the next.
    pub repository: String,
    /// The enabled rules, in the policy set's order.
    pub rules: Vec<RuleInfo>,
    pub disabled: Vec<String>,
    /// The reported findings (at or above `--min-severity`), suppressed ones included.
    pub findings: Vec<Reported>,
    pub gate: Gate,
    pub suppressions: Vec<SuppressionStatus>,
    /// The Dockerfile findings were mapped to, when one was given or found.
    pub dockerfile: Option<DockerfileUse>,
    /// SARIF's `automationDetails.id`.
    pub category: String,
    /// Things worth telling that did not stop the audit.
    pub notes: Vec<String>,
    pub config_file: Option<String>,
}

/// The Dockerfile an audit used and whether the image's history matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DockerfileUse {
    pub file: String,
    /// Whether the image's history lined up with the file's instructions.
    pub matched: bool,
    /// The stage that built the image (0-based), when matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
}

impl InImage {
    /// `location` (a finding's first), with `layer_digest` the digest of its layer, when it
    /// names one the image has. A line below 1 is no line.
    pub fn new(location: &Location, layer_digest: impl FnOnce(usize) -> Option<String>) -> InImage {
        InImage {
            path: location.path.clone(),
            line: location.line.filter(|&n| n >= 1),
            layer: location.layer,
            layer_digest: location.layer.and_then(layer_digest),
            history_step: location.history_step,
            created_by: location.created_by.clone(),
        }
    }
}

impl Audit {
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|rule| rule.id == id)
    }

    /// Reported findings no suppression covers.
    pub fn active(&self) -> impl Iterator<Item = &Reported> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn suppressed_count(&self) -> usize {
        self.findings.len() - self.active().count()
    }
}

/// The default category of an image's runs: `imgaudit/<repository>/`, stable across tags.
pub fn default_category(repository: &str) -> String {
    format!("imgaudit/{repository}/")
}
