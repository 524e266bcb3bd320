//! uv's run-time semantics for system installs, PEP 668, configuration files and indexes, as
//! measured.
//!
//! Pure functions and types, no I/O: given what an image holds (uv version, environment in order,
//! configuration files through a [`FileLookup`], the interpreters and their `EXTERNALLY-MANAGED`
//! markers), say which values uv accepts, which configuration files it reads and which setting
//! wins, where `uv pip install` / `uv sync` put a package, and which index a package comes from.
//!
//! The reference is `tests/ground-truth/UV-SEMANTICS.md` (section numbers below point into it) and
//! `uv-truth.json`, 1,383 real runs of 7 uv releases (0.1.45 – 0.13.9), which the integration test
//! replays case by case per release.
//!
//! Main entry points:
//! - [`parse_bool`], [`IndexStrategy::parse`], [`parse_index_entries`], [`credential_env_name`],
//!   [`insecure_host_matches`]: how a value reads (§1, §5).
//! - [`UvConfigFile::parse`], [`key_known`]: one file (§3.3).
//! - [`discover_config_files`], [`resolve_settings`]: which files count and what wins (§3).
//! - [`pip_install_target`], [`sync_target`]: where an install lands (§2, §4).
//! - [`pick_version`]: the index strategy (§5.1).
//! - [`UvVersion`] and its change points.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod config;
mod index;
mod install;
mod keys;
mod settings;
mod value;
mod version;

pub use config::{ConfigEntry, ConfigValue, FileFormat, FileState, Table, UvConfigFile, key_known};
pub use index::pick_version;
pub use install::{Interpreter, PipInstallInput, PipLanding, pip_install_target, sync_target};
pub use settings::{
    Abort, CliFlags, ConfigCandidate, ConfigKind, Effective, FileLookup, IndexRole, Resolved,
    SearchIndex, SettingSource, SettingsInput, discover_config_files, index_credentials,
    resolve_settings,
};
pub use value::{
    BoolValue, CredentialPart, IndexEntry, IndexStrategy, credential_env_name, credential_variable,
    insecure_host_matches, parse_bool, parse_index_entries, split_list,
};
pub use version::{ParseVersionError, UvVersion};
