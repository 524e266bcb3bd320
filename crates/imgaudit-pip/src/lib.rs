//! pip's and CPython's run-time semantics for user installs, PEP 668 and index settings, as
//! measured.
//!
//! Pure functions and types, no I/O: given what an image holds (pip version, environment in
//! order, configuration files, command line, venv state, the `EXTERNALLY-MANAGED` marker,
//! writability), say which setting pip ends up with, which one decided it, and where
//! `pip install` puts a package or why it refuses.
//!
//! The reference is `tests/ground-truth/PIP-SEMANTICS.md` (section numbers below point into
//! it) and `pip-user-truth.json`, 2,206 real pip runs over 13 pip releases, which the
//! integration test replays case by case. Where the runs are silent, pip's source is followed
//! and the doc comment says so.
//!
//! Index settings (`index-url`, `extra-index-url`, `find-links`, `trusted-host`, `no-index`)
//! follow `tests/ground-truth/PIP-INDEX-SEMANTICS.md` and `pip-index-truth.json`, 549 runs over 9
//! releases against local indexes, replayed by the `index_truth` test.
//!
//! Main entry points:
//! - [`decide_install`] / [`evaluate_install`]: the outcome of `pip install`/`uninstall`.
//! - [`resolve_settings`]: `use_user_site`, `break-system-packages` and friends, with the
//!   winning [`SettingRef`] and every setting seen.
//! - [`index_plan`]: the locations pip reads for resolved settings, each judged by
//!   [`secure_origin`] against the [`TrustedHost`]s; [`pick`]: the version pip takes across them;
//!   [`split_list`]: how list values are split.
//! - [`PipConfigFile::parse`], [`read_marker`], [`parse_bool`], [`env_option_name`],
//!   [`user_site_disabled`], [`PipVersion`] and its change points.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod boolean;
mod config;
mod decide;
mod environ;
mod index;
mod marker;
mod settings;
mod version;

pub use boolean::{BoolValue, ValueOrigin, parse_bool};
pub use config::{ConfigEntry, ConfigSection, ItemRef, ParseProblem, PipConfigFile, ProblemKind};
pub use decide::{
    Decision, ErrorReason, InstallOutcome, LogLine, Pep668, Scenario, VenvKind, decide_install,
    evaluate_install,
};
pub use environ::{
    Launch, env_option_name, messages_language, user_base, user_site, user_site_disabled,
};
pub use index::{
    Found, IndexPlan, Location, LocationRole, OriginVerdict, TrustedHost, TrustedHosts, UrlOrigin,
    index_plan, pick, secure_origin, split_list,
};
pub use marker::{MarkerRead, MarkerState, marker_error_keys, read_marker};
pub use settings::{
    Abort, AbortKind, ConfigFileKind, ConfigFileState, ConfigSource, FileUse, PipCommand,
    Resolution, ResolvedSettings, SeenSetting, SettingRef, SettingStatus, SettingsInput,
    resolve_settings,
};
pub use version::{ConfigMerge, ParseVersionError, PipVersion};
