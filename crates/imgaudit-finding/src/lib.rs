//! The vocabulary every stage of an audit shares, so that facts, policies, configuration and
//! reports speak of one thing with one type:
//!
//! - [`Severity`] and [`Precision`]: how bad a finding is and how sure its rule is;
//! - [`Location`]: where something is in the image (a file and line, the layer that wrote it,
//!   the history step that made that layer), made by the facts and carried unchanged by findings
//!   into every report;
//! - [`ImageIdentity`]: which image was audited, as reports, fingerprints and suppressions name it.
//!
//! This crate is the lowest of the workspace: serde and schemars, never a reader, the policy
//! engine or a renderer.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod image;
mod location;
mod severity;

pub use image::ImageIdentity;
pub use location::Location;
pub use severity::{ParseLevelError, Precision, Severity};
