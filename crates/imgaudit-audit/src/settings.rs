//! What an audit is told to do, once the caller has merged its flags with the configuration
//! file and checked them.

use std::path::PathBuf;

use imgaudit_config::{Config, Threshold};
use imgaudit_finding::Severity;

/// The settings of an audit, validated: the caller (the `imgaudit` binary's settings step) has
/// already applied flags over `imgaudit.toml` over defaults.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// The configuration file, when one was read: rule settings and suppressions.
    pub config: Option<Config>,
    /// Unsuppressed findings at or above this fail the build.
    pub fail_on: Threshold,
    /// Findings below this are left out of the reports (they still count for the gate).
    pub min_severity: Severity,
    /// Policy directories besides the built-in rules.
    pub policy_dirs: Vec<PathBuf>,
    /// Only these rules (ids, names or aliases), when any are given.
    pub select: Vec<String>,
    /// Not these rules (ids, names or aliases), besides those the configuration disables.
    pub disable: Vec<String>,
    /// The Dockerfile findings are mapped to.
    pub dockerfile: Option<DockerfileChoice>,
    /// The name reports, fingerprints and suppressions use for the image, instead of its
    /// repository.
    pub image_name: Option<String>,
    /// SARIF's `automationDetails.id`, instead of `imgaudit/<image name>/`.
    pub category: Option<String>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            config: None,
            fail_on: Threshold::AtOrAbove(Severity::High),
            min_severity: Severity::Info,
            policy_dirs: Vec::new(),
            select: Vec::new(),
            disable: Vec::new(),
            dockerfile: None,
            image_name: None,
            category: None,
        }
    }
}

/// The Dockerfile to map findings to, and whether the user named it: then it must be usable; a
/// discovered one is used only if it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileChoice {
    pub path: PathBuf,
    pub named: bool,
}
