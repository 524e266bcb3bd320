//! Where `pip install` puts a package, or why it refuses (PIP-SEMANTICS.md §1.7, §1.8, §2).

use serde::Serialize;

use crate::PipVersion;
use crate::environ::{Launch, getenv, user_base, user_site, user_site_disabled};
use crate::marker::{MarkerRead, MarkerState, read_marker};
use crate::settings::{
    AbortKind, ConfigSource, PipCommand, ResolvedSettings, SettingsInput, resolve_settings,
};

/// What kind of environment the interpreter runs in (§1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VenvKind {
    /// `sys.prefix == sys.base_prefix`: image Pythons, conda envs, pyenv builds.
    #[default]
    NotVenv,
    /// A venv without system site-packages: CPython disables the user site, pip refuses
    /// `--user` ("not visible in this virtualenv").
    Plain,
    /// `--system-site-packages`: the user site is on, `--user` goes to `~/.local`.
    SystemSitePackages,
    /// `pyvenv.cfg` read differently by CPython (case-insensitive, last line wins, anything but
    /// `true` disables) and pip (first lowercase `true|false` match), e.g.
    /// `include-system-site-packages = False` (§1.8 edge case, src).
    Inconsistent {
        /// CPython keeps the user site (`include-system-site-packages` is `true`).
        cpython_user_site: bool,
        /// pip's `virtualenv_no_global()`.
        pip_no_global: bool,
    },
}

impl VenvKind {
    /// Classifies a `pyvenv.cfg` the way both CPython's `site.venv` and pip's
    /// `_no_global_under_venv` read it.
    pub fn from_pyvenv_cfg(text: &str) -> Self {
        let mut cpython_system_site = true;
        let mut pip_no_global = false;
        let mut pip_decided = false;
        for line in text.lines() {
            if let Some((key, value)) = line.split_once('=') {
                if key
                    .trim()
                    .eq_ignore_ascii_case("include-system-site-packages")
                {
                    cpython_system_site = value.trim().eq_ignore_ascii_case("true");
                }
            }
            // pip: re.match(r"include-system-site-packages\s*=\s*(?P<value>true|false)").
            if !pip_decided {
                if let Some(rest) = line.strip_prefix("include-system-site-packages") {
                    if let Some(value) = rest.trim_start().strip_prefix('=') {
                        let value = value.trim_start();
                        if value.starts_with("false") {
                            pip_no_global = true;
                            pip_decided = true;
                        }
                    }
                }
            }
        }
        match (cpython_system_site, pip_no_global) {
            (true, false) => Self::SystemSitePackages,
            (false, true) => Self::Plain,
            (cpython_user_site, pip_no_global) => Self::Inconsistent {
                cpython_user_site,
                pip_no_global,
            },
        }
    }

    /// `running_under_virtualenv()`.
    pub const fn is_venv(self) -> bool {
        !matches!(self, Self::NotVenv)
    }

    /// CPython leaves `site.ENABLE_USER_SITE` alone (a plain venv sets it to False).
    pub const fn cpython_allows_user_site(self) -> bool {
        match self {
            Self::NotVenv | Self::SystemSitePackages => true,
            Self::Plain => false,
            Self::Inconsistent {
                cpython_user_site, ..
            } => cpython_user_site,
        }
    }

    /// pip's `virtualenv_no_global()`.
    pub const fn pip_no_global(self) -> bool {
        match self {
            Self::NotVenv | Self::SystemSitePackages => false,
            Self::Plain => true,
            Self::Inconsistent { pip_no_global, .. } => pip_no_global,
        }
    }
}

/// Everything `decide_install` needs, all static facts about one interpreter and one launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scenario {
    pub version: PipVersion,
    pub command: PipCommand,
    /// The environment in its known order (image `Env`).
    pub env: Vec<(String, String)>,
    /// The arguments after `pip`, command name excluded (e.g. `["--user", "pkg"]`).
    pub cli_args: Vec<String>,
    /// Candidate configuration files with their state (§1.6); see [`ConfigSource`].
    pub config_files: Vec<ConfigSource>,
    pub launch: Launch,
    pub venv: VenvKind,
    /// `<stdlib>/EXTERNALLY-MANAGED` of the interpreter running pip (§2.1).
    pub marker: MarkerState,
    /// `site_packages_writable()`: the runtime user can write purelib/platlib (or their nearest
    /// existing ancestors). Root always can (§1.7).
    pub site_packages_writable: bool,
    /// The runtime user can create/write `USER_BASE` (HOME is not checked by pip, §1.7).
    pub user_base_writable: bool,
    /// `--target`/`--prefix`/`--root` destinations are writable.
    pub other_locations_writable: bool,
    /// The interpreter runs with `-s` or `-I`.
    pub python_no_user_site_flag: bool,
    /// The interpreter runs with `-E` or `-I` (then `PYTHONNOUSERSITE` is ignored).
    pub python_ignore_environment: bool,
    /// uid ≠ euid or gid ≠ egid: `site.ENABLE_USER_SITE` is `None` (§1.9).
    pub privileges_differ: bool,
    /// The uid's passwd home, used when `HOME` is unset (§3).
    pub passwd_home: Option<String>,
    /// `X.Y` of the interpreter, for the `--prefix` and user-site paths.
    pub python_xy: String,
    /// `sysconfig.get_path("purelib")`, for `--root` paths.
    pub purelib: String,
}

impl Scenario {
    /// A root-like, non-venv scenario with no environment, no configuration and no marker.
    pub fn new(
        version: PipVersion,
        command: PipCommand,
        python_xy: impl Into<String>,
        purelib: impl Into<String>,
    ) -> Self {
        Self {
            version,
            command,
            env: Vec::new(),
            cli_args: Vec::new(),
            config_files: Vec::new(),
            launch: Launch::Exec,
            venv: VenvKind::NotVenv,
            marker: MarkerState::Absent,
            site_packages_writable: true,
            user_base_writable: true,
            other_locations_writable: true,
            python_no_user_site_flag: false,
            python_ignore_environment: false,
            privileges_differ: false,
            passwd_home: None,
            python_xy: python_xy.into(),
            purelib: purelib.into(),
        }
    }

    /// `site.ENABLE_USER_SITE` of the interpreter (§1.9, §1.8).
    pub fn user_site_enabled(&self) -> bool {
        if self.python_no_user_site_flag || self.privileges_differ {
            return false;
        }
        if !self.python_ignore_environment
            && user_site_disabled(getenv(&self.env, "PYTHONNOUSERSITE"))
        {
            return false;
        }
        self.venv.cpython_allows_user_site()
    }
}

/// Where the package goes, or what stops pip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", content = "detail", rename_all = "kebab-case")]
pub enum Decision {
    /// Into the default user site (`~/.local/lib/pythonX.Y/site-packages`).
    User,
    /// Into the scheme's site-packages (`purelib`).
    Site,
    /// Elsewhere: the site-packages directory under `--target`, `--prefix`, `--root` or a
    /// `PYTHONUSERBASE` (vanilla CPython scheme).
    Other(String),
    Error(ErrorReason),
    /// `--dry-run` accepted; nothing written.
    DryRunOk,
    /// `pip uninstall` goes ahead.
    Uninstalled,
}

/// Why pip fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum ErrorReason {
    /// A boolean option with a non-boolean value (§1.2).
    BadValue { option: String, value: String },
    /// An option this version/command does not have (optparse, exit 2).
    NoSuchOption { option: String },
    /// Another optparse usage error (flag given a value, option missing its argument).
    Usage { message: String },
    /// A configuration file configparser cannot read.
    ConfigFile { path: String, exception: String },
    /// `--user` with `--target`: rejected up front (≥ 20.1) or by distutils' "can't combine
    /// user with prefix" (before).
    CombineUserTarget { upfront: bool },
    /// `--user` with `--prefix` (§1.7).
    CombineUserPrefix,
    /// `--user` in a plain venv (§1.8).
    UserSiteNotVisibleInVenv,
    /// `--user` with the user site disabled, pip ≥ 25.3 (§1.9).
    UserSiteDisabled,
    /// The PEP 668 marker blocks (§2).
    ExternallyManaged,
    /// The marker makes configparser raise an exception pip does not catch (§2.2).
    MarkerCrash { exception: String },
    /// The destination is not writable.
    Permission { path: String },
}

impl ErrorReason {
    /// The short code `pip-user-truth.json` uses in `error_reason`.
    pub fn code(&self) -> String {
        match self {
            Self::BadValue { .. } => "badvalue".to_owned(),
            Self::NoSuchOption { .. } => "nosuchopt".to_owned(),
            Self::Usage { .. } => "usage".to_owned(),
            Self::ConfigFile { .. } => "config".to_owned(),
            Self::CombineUserTarget { .. } | Self::CombineUserPrefix => "combine".to_owned(),
            Self::UserSiteNotVisibleInVenv => "venv-no-user".to_owned(),
            Self::UserSiteDisabled => "user-site-disabled".to_owned(),
            Self::ExternallyManaged => "EM".to_owned(),
            Self::MarkerCrash { exception } => format!("crash-{exception}"),
            Self::Permission { .. } => "perm".to_owned(),
        }
    }
}

/// A line pip writes that identifies the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub text: String,
    /// How many `-v` are needed to see it (0 = always shown).
    pub verbosity: u8,
}

/// What happened with PEP 668 (§2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "pep668", rename_all = "kebab-case")]
pub enum Pep668 {
    /// pip < 23.0 has no check.
    NotEnforced,
    /// pip stopped before reaching the check.
    NotReached,
    /// Skipped inside any virtualenv.
    InsideVenv,
    /// Skipped by `--target`, `--prefix`, `--root` or `--dry-run --report`.
    SkippedByLocation,
    /// No regular file at the marker path.
    NoMarker,
    /// A marker exists but `break-system-packages` is true.
    Bypassed,
    /// The marker blocks.
    Blocked(MarkerRead),
}

/// The full verdict: decision, exit status, the identifying log lines, and the settings
/// resolution behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallOutcome {
    pub decision: Decision,
    pub exit_code: i32,
    pub log: Vec<LogLine>,
    pub settings: ResolvedSettings,
    /// `site.ENABLE_USER_SITE`.
    pub user_site_enabled: bool,
    pub pep668: Pep668,
}

/// The decision alone; see [`evaluate_install`].
pub fn decide_install(scenario: &Scenario) -> Decision {
    evaluate_install(scenario).decision
}

/// What `pip install`/`pip uninstall` does in `scenario` (§1.7, §1.8, §2), in pip's order:
/// option parsing (config, env, argv), `--user` with `--target`, the PEP 668 check,
/// `decide_user_install`, then writing.
pub fn evaluate_install(scenario: &Scenario) -> InstallOutcome {
    let settings = resolve_settings(&SettingsInput {
        version: scenario.version,
        command: scenario.command,
        env: &scenario.env,
        config_files: &scenario.config_files,
        cli_args: &scenario.cli_args,
        launch: scenario.launch,
        in_venv: scenario.venv.is_venv(),
        passwd_home: scenario.passwd_home.as_deref(),
    });
    let mut run = Run {
        scenario,
        log: Vec::new(),
        pep668: Pep668::NotReached,
    };
    let (decision, exit_code) = run.decide(&settings);
    InstallOutcome {
        decision,
        exit_code,
        log: run.log,
        settings,
        user_site_enabled: scenario.user_site_enabled(),
        pep668: run.pep668,
    }
}

struct Run<'a> {
    scenario: &'a Scenario,
    log: Vec<LogLine>,
    pep668: Pep668,
}

impl Run<'_> {
    fn say(&mut self, text: impl Into<String>, verbosity: u8) {
        self.log.push(LogLine {
            text: text.into(),
            verbosity,
        });
    }

    /// A `decide_user_install` debug line, logged only by pip ≥ 20.0.
    fn decision_line(&mut self, text: &str) {
        if let Some(verbosity) = self.scenario.version.decision_log_verbosity() {
            self.say(text, verbosity);
        }
    }

    fn fail(&mut self, reason: ErrorReason, exit_code: i32, message: String) -> (Decision, i32) {
        self.say(message, 0);
        (Decision::Error(reason), exit_code)
    }

    fn decide(&mut self, settings: &ResolvedSettings) -> (Decision, i32) {
        let s = self.scenario;
        let version = s.version;
        if let Some(abort) = &settings.abort {
            let reason = match &abort.kind {
                AbortKind::InvalidBoolean { option, value, .. } => ErrorReason::BadValue {
                    option: option.clone(),
                    value: value.clone(),
                },
                AbortKind::NoSuchOption { option } => ErrorReason::NoSuchOption {
                    option: option.clone(),
                },
                AbortKind::TakesNoValue { .. } | AbortKind::MissingArgument { .. } => {
                    ErrorReason::Usage {
                        message: abort.message.clone(),
                    }
                }
                AbortKind::ConfigFileUnloadable {
                    path, exception, ..
                } => ErrorReason::ConfigFile {
                    path: path.clone(),
                    exception: exception.clone(),
                },
            };
            return self.fail(reason, abort.exit_code, abort.message.clone());
        }

        let break_system_packages = settings.break_system_packages.value == Some(true);
        if s.command == PipCommand::Uninstall {
            if let Some(blocked) = self.pep668_check(true, break_system_packages) {
                return blocked;
            }
            return (Decision::Uninstalled, 0);
        }

        let user = settings.use_user_site.value;
        let target = settings.target.value.as_deref();
        let prefix = settings.prefix.value.as_deref();
        let root = settings.root.value.as_deref();
        let dry_run = settings.dry_run.value == Some(true);
        // `options.json_report_file` is tested for truth: `--report ""` does not count.
        let report = settings
            .report
            .value
            .as_deref()
            .is_some_and(|r| !r.is_empty());

        if version.rejects_user_with_target_upfront() && user == Some(true) && target.is_some() {
            return self.fail(
                ErrorReason::CombineUserTarget { upfront: true },
                1,
                "ERROR: Can not combine '--user' and '--target'".to_owned(),
            );
        }
        let into_current_env =
            !(dry_run && report) && root.is_none() && target.is_none() && prefix.is_none();
        if let Some(blocked) = self.pep668_check(into_current_env, break_system_packages) {
            return blocked;
        }

        let enable_user_site = s.user_site_enabled();
        let use_user = if version.falls_back_to_user_install() {
            match self.decide_user_install(user, prefix, target, root, enable_user_site) {
                Ok(use_user) => use_user,
                Err(failed) => return failed,
            }
        } else {
            // pip < 20: `options.use_user_site` as given, checked for --prefix and venvs.
            let use_user = user == Some(true);
            if use_user {
                if let Some(failed) = self.explicit_user_checks(prefix, enable_user_site) {
                    return failed;
                }
            }
            use_user
        };
        if use_user && target.is_some() {
            // distutils refuses a user install into --target's temporary home.
            return self.fail(
                ErrorReason::CombineUserTarget { upfront: false },
                2,
                "error: can't combine user with prefix, exec_prefix/home, or install_(plat)base"
                    .to_owned(),
            );
        }
        if dry_run {
            return (Decision::DryRunOk, 0);
        }
        self.write(use_user, target, prefix, root)
    }

    /// `check_externally_managed()` where pip calls it (§2.1, §2.3).
    fn pep668_check(&mut self, applies: bool, bypass: bool) -> Option<(Decision, i32)> {
        let s = self.scenario;
        self.pep668 = if !s.version.enforces_externally_managed() {
            Pep668::NotEnforced
        } else if !applies {
            Pep668::SkippedByLocation
        } else if bypass {
            if s.marker.is_marker() {
                Pep668::Bypassed
            } else {
                Pep668::NoMarker
            }
        } else if s.venv.is_venv() {
            Pep668::InsideVenv
        } else if let MarkerState::RegularFile { content } = &s.marker {
            let lang = crate::environ::messages_language(&s.env);
            Pep668::Blocked(read_marker(content.as_deref(), lang.as_deref()))
        } else {
            Pep668::NoMarker
        };
        let Pep668::Blocked(read) = &self.pep668 else {
            return None;
        };
        let read = read.clone();
        Some(match read {
            MarkerRead::Crash { exception, line } => self.fail(
                ErrorReason::MarkerCrash {
                    exception: exception.clone(),
                },
                2,
                format!("configparser.{exception}: EXTERNALLY-MANAGED [line {line}]"),
            ),
            MarkerRead::Message { text, .. } => self.fail(
                ErrorReason::ExternallyManaged,
                1,
                format!("error: externally-managed-environment\n{text}"),
            ),
            MarkerRead::Generic { warning } => {
                if let Some(warning) = warning {
                    self.say(
                        format!("WARNING: Failed to read EXTERNALLY-MANAGED ({warning})"),
                        0,
                    );
                }
                self.fail(
                    ErrorReason::ExternallyManaged,
                    1,
                    "error: externally-managed-environment\nThe Python environment under \
                     sys.prefix is managed externally"
                        .to_owned(),
                )
            }
        })
    }

    /// The refusals of an explicit user install, in `decide_user_install`'s order.
    fn explicit_user_checks(
        &mut self,
        prefix: Option<&str>,
        enable_user_site: bool,
    ) -> Option<(Decision, i32)> {
        let s = self.scenario;
        if prefix.is_some() {
            return Some(
                self.fail(
                    ErrorReason::CombineUserPrefix,
                    1,
                    "ERROR: Can not combine '--user' and '--prefix' as they imply different \
                 installation locations"
                        .to_owned(),
                ),
            );
        }
        if s.venv.pip_no_global() {
            return Some(self.fail(
                ErrorReason::UserSiteNotVisibleInVenv,
                1,
                "ERROR: Can not perform a '--user' install. User site-packages are not visible \
                 in this virtualenv."
                    .to_owned(),
            ));
        }
        if s.version.refuses_user_install_when_user_site_disabled() && !enable_user_site {
            return Some(self.fail(
                ErrorReason::UserSiteDisabled,
                1,
                "ERROR: Can not perform a '--user' install. User site-packages are disabled for \
                 this Python."
                    .to_owned(),
            ));
        }
        None
    }

    /// `commands/install.py: decide_user_install` (pip ≥ 20.0, §1.7).
    fn decide_user_install(
        &mut self,
        user: Option<bool>,
        prefix: Option<&str>,
        target: Option<&str>,
        root: Option<&str>,
        enable_user_site: bool,
    ) -> Result<bool, (Decision, i32)> {
        let s = self.scenario;
        match user {
            Some(false) => {
                self.decision_line("Non-user install by explicit request");
                Ok(false)
            }
            Some(true) => {
                if let Some(failed) = self.explicit_user_checks(prefix, enable_user_site) {
                    return Err(failed);
                }
                self.decision_line("User install by explicit request");
                Ok(true)
            }
            None => {
                if prefix.is_some() || target.is_some() {
                    self.decision_line("Non-user install due to --prefix or --target option");
                    Ok(false)
                } else if !enable_user_site {
                    self.decision_line("Non-user install because user site-packages disabled");
                    Ok(false)
                } else if (root.is_some() && s.other_locations_writable)
                    || (root.is_none() && s.site_packages_writable)
                {
                    self.decision_line("Non-user install because site-packages writeable");
                    Ok(false)
                } else {
                    self.say(
                        "Defaulting to user installation because normal site-packages is not \
                         writeable",
                        0,
                    );
                    Ok(true)
                }
            }
        }
    }

    /// The destination and whether writing there succeeds.
    fn write(
        &mut self,
        use_user: bool,
        target: Option<&str>,
        prefix: Option<&str>,
        root: Option<&str>,
    ) -> (Decision, i32) {
        let s = self.scenario;
        let scheme_dir = |base: &str| {
            format!(
                "{}/lib/python{}/site-packages",
                base.trim_end_matches('/'),
                s.python_xy
            )
        };
        let (decision, path, writable) = if let Some(target) = target {
            (
                Decision::Other(target.to_owned()),
                target.to_owned(),
                s.other_locations_writable,
            )
        } else if use_user {
            let dir = user_site(&s.env, s.passwd_home.as_deref(), &s.python_xy);
            let custom_base = getenv(&s.env, "PYTHONUSERBASE").is_some_and(|b| !b.is_empty());
            match root {
                Some(root) => {
                    let dir = change_root(root, &dir);
                    (
                        Decision::Other(dir.clone()),
                        dir,
                        s.other_locations_writable,
                    )
                }
                None if custom_base => (Decision::Other(dir.clone()), dir, s.user_base_writable),
                None => (
                    Decision::User,
                    user_base(&s.env, s.passwd_home.as_deref()),
                    s.user_base_writable,
                ),
            }
        } else if let Some(prefix) = prefix {
            let dir = scheme_dir(prefix);
            let dir = root.map_or_else(|| dir.clone(), |root| change_root(root, &dir));
            (
                Decision::Other(dir.clone()),
                dir,
                s.other_locations_writable,
            )
        } else if let Some(root) = root {
            let dir = change_root(root, &s.purelib);
            (
                Decision::Other(dir.clone()),
                dir,
                s.other_locations_writable,
            )
        } else {
            (Decision::Site, s.purelib.clone(), s.site_packages_writable)
        };
        if writable {
            return (decision, 0);
        }
        let subject = if s.version.permission_error_exit_code() == 1 {
            "ERROR: Could not install packages due to an OSError"
        } else {
            "Exception: PermissionError"
        };
        self.fail(
            ErrorReason::Permission { path: path.clone() },
            s.version.permission_error_exit_code(),
            format!("{subject}: [Errno 13] Permission denied: '{path}'"),
        )
    }
}

/// distutils' `change_root` on POSIX: the absolute path re-rooted under `root`.
fn change_root(root: &str, path: &str) -> String {
    format!(
        "{}/{}",
        root.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
