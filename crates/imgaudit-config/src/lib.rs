//! Reads `imgaudit.toml`, the configuration file of the `imgaudit` CLI, and points at the line
//! and key of anything wrong in it.
//!
//! The CLI reads `imgaudit.toml` from the working directory ([`Config::discover`]) or the file
//! given with `--config` ([`Config::load`]); flags override the file, which overrides the
//! defaults. This crate only reads and checks the file: applying it is the CLI's business.
//!
//! ```toml
//! fail-on = "high"                  # critical|high|medium|low|info|none
//! min-severity = "info"
//! dockerfile = "docker/Dockerfile"  # relative to this file's directory
//! policies = ["policies/extra"]     # policy directories, relative to this file's directory
//! sarif-category = "imgaudit/app/"
//! image-name = "team/app"           # the name used in reports and suppression matching
//!
//! [rules]
//! enable = ["PIP", "PY001", "user-site-packages-present"]  # id prefixes, ids or names; absent = all
//! disable = ["PY004"]
//! severity = { PY002 = "low", "user-site-packages-present" = "high" }   # id, prefix or name
//!
//! [[suppress]]
//! rule = "PY002"                          # one rule's id or name (required)
//! image = "registry.example.com/team/*"   # glob on the image name; `*` crosses `/`
//! target = "/root/.local/**"              # glob on the path or variable; `*` stays in a segment
//! reason = "vendored wheels, tracked in JIRA-123"  # required
//! expires = 2026-12-31                    # last day it applies: a TOML date or "YYYY-MM-DD"
//! ```
//!
//! Keys are kebab-case and unknown keys are errors. Every error is a [`ConfigError`] that knows
//! its line, column and key and renders like a compiler diagnostic. Rule ids and names can only
//! be checked against the rules actually loaded, so that happens in [`Config::resolve_rules`].
//!
//! Nothing here prints, and no input makes it panic.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod config;
mod date;
mod error;
mod rules;
mod suppress;
mod threshold;

pub use config::{Config, FILE_NAME, MAX_INPUT_FILE, read_capped, read_file_capped};
pub use date::{Date, ParseDateError};
pub use error::{ConfigError, ErrorKind};
pub use rules::{ResolvedRules, RuleKey, RuleSelector, RuleSettings};
pub use suppress::Suppression;
pub use threshold::{ParseThresholdError, Threshold};
