//! The audit as a library: what `imgaudit scan` does between reading an image and printing.
//!
//! 1. [`AuditSettings`] (already validated by the caller: flags over `imgaudit.toml` over
//!    defaults) become an [`Auditor`]: the policy set, the rules selected and their severities,
//!    the compiled engine, the Dockerfile. Everything that can be checked without an image is
//!    checked there, first, so a typo costs nothing.
//! 2. [`Auditor::audit`] judges one [`LoadedImage`](imgaudit_loader::LoadedImage): facts,
//!    evaluation, severities, fingerprints, where each finding is ([`locate`]: the image path,
//!    layer and history step, then the Dockerfile line), suppressions and the gate.
//! 3. [`render`] turns an [`Audit`](imgaudit_report::Audit) into the reports asked for and
//!    writes files all or none.
//! 4. [`batch`] audits many images on a few threads within a memory budget, sharing one layer
//!    cache, and tells a [`BatchReporter`](batch::BatchReporter) as each one finishes.
//!
//! Reading the image is the caller's (`imgaudit-source`): this crate never reaches a network,
//! and never prints.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod auditor;
pub mod batch;
pub mod locate;
mod remember;
pub mod render;
mod rules;
mod settings;

pub use auditor::{Audited, Auditor, ImageLoader, facts_capture};
pub use render::{OutputTarget, ReportFormat};
pub use rules::{Selection, policy_set};
pub use settings::{AuditSettings, DockerfileChoice};

/// Where imgaudit's sources and rule documentation live (SARIF's `informationUri`, rule help).
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
