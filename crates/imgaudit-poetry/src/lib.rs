//! poetry's run-time semantics for where `poetry install` writes, its configuration files and
//! its credentials, as measured.
//!
//! Pure functions and types, no I/O: given what an image holds (poetry's version, the
//! environment in order, `config.toml`/`auth.toml`/`poetry.toml`, where poetry itself is
//! installed, active environments), say which value a setting ends up with and from where,
//! where an install lands (a project venv, an active env, or a system interpreter, past any
//! PEP 668 marker), and which credentials poetry would send.
//!
//! The reference is `tests/ground-truth/POETRY-SEMANTICS.md` (section numbers below point into
//! it) and `poetry-truth.json`, real runs of 8 poetry releases (1.2.2 – 2.5.1) that the
//! integration test `tests/ground_truth.rs` replays record by record. Where the runs are
//! silent, poetry's source is followed and the doc comment says so.
//!
//! Main entry points:
//! - [`parse_env_bool`]: what a `POETRY_*` boolean value means (no "invalid": anything but
//!   `true`/`1` is false).
//! - [`config_dir`], [`locate_project`], [`PoetryConfigFile::parse`]: the files and their keys.
//! - [`PoetryConfig`], [`resolve_create`]: the value of a setting and who set it.
//! - [`install_target`]: where packages go for `virtualenvs.create` and the rest.
//! - [`credential_variable`], [`resolve_http_basic`], [`publish_token`], [`credential_storage`]:
//!   credentials.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod boolean;
mod config;
mod credentials;
mod settings;
mod target;
mod version;

pub use boolean::{EnvBool, EnvBoolReading, parse_env_bool};
pub use config::{
    ConfigDir, ConfigDirSource, ConfigEntry, ConfigFileKind, ConfigParseError, PoetryConfigFile,
    TomlValue, config_dir, locate_project,
};
pub use credentials::{
    CredentialKind, CredentialStorage, CredentialVariable, Found, HttpBasic, Requires,
    credential_storage, credential_variable, publish_token, resolve_http_basic,
};
pub use settings::{
    ConfigLayer, CreateMode, CreateSetting, PoetryConfig, SeenSetting, SeenValue, SettingSource,
    env_var_name, file_create_mode, resolve_create,
};
pub use target::{
    InstallPlan, MARKER_STOPS_POETRY, PoetryHost, SystemEnv, Target, TargetInput, data_dir,
    install_target,
};
pub use version::{InstallerKind, ParseVersionError, PoetryVersion};
