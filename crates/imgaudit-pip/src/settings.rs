//! Which pip setting wins: configuration files, `PIP_*` variables and the command line
//! (PIP-SEMANTICS.md §1.1–§1.6, §2.3).

use serde::Serialize;

use crate::PipVersion;
use crate::boolean::{BoolValue, ValueOrigin, parse_bool};
use crate::config::PipConfigFile;
use crate::environ::{Launch, env_option_name, expand_tilde, getenv, processing_order};
use crate::version::ConfigMerge;

/// The configuration files of §1.6, declared in merge order (lowest priority first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigFileKind {
    /// `$XDG_CONFIG_DIRS/pip/pip.conf` for each entry (default `/etc/xdg/pip/pip.conf`).
    Xdg,
    /// `/etc/pip.conf`.
    Etc,
    /// `~/.pip/pip.conf`.
    Legacy,
    /// `$XDG_CONFIG_HOME/pip/pip.conf`, default `~/.config/pip/pip.conf`.
    User,
    /// `sys.prefix/pip.conf`.
    Site,
    /// The file named by `$PIP_CONFIG_FILE`.
    EnvFile,
}

impl ConfigFileKind {
    /// All kinds in merge order.
    pub const ALL: [Self; 6] = [
        Self::Xdg,
        Self::Etc,
        Self::Legacy,
        Self::User,
        Self::Site,
        Self::EnvFile,
    ];

    /// The key used in `pip-user-truth.json`.
    pub const fn json_key(self) -> &'static str {
        match self {
            Self::Xdg => "xdg",
            Self::Etc => "etc",
            Self::Legacy => "legacy",
            Self::User => "user",
            Self::Site => "site",
            Self::EnvFile => "envfile",
        }
    }

    /// The inverse of [`ConfigFileKind::json_key`].
    pub fn from_json_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.json_key() == key)
    }
}

/// What the caller found at a configuration file's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigFileState {
    /// No file: pip skips it. For the env file, `PIP_CONFIG_FILE` then hides nothing.
    Missing,
    /// It exists but cannot be opened (a directory, no read permission): configparser skips it
    /// silently, but it still "exists" for `PIP_CONFIG_FILE`'s hiding rule.
    Unreadable,
    /// It cannot be decoded in the locale's encoding: pip ≥ 10 exits 2, pip 9 crashes.
    Undecodable,
    /// Its parsed text.
    Parsed(PipConfigFile),
}

/// A configuration file candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigSource {
    pub kind: ConfigFileKind,
    /// Where it is, for reports; not interpreted.
    pub path: String,
    pub state: ConfigFileState,
}

impl ConfigSource {
    /// A file that exists with this text.
    pub fn parsed(kind: ConfigFileKind, path: impl Into<String>, text: &str) -> Self {
        Self {
            kind,
            path: path.into(),
            state: ConfigFileState::Parsed(PipConfigFile::parse(text)),
        }
    }

    /// A file that does not exist.
    pub fn missing(kind: ConfigFileKind, path: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.into(),
            state: ConfigFileState::Missing,
        }
    }
}

/// The pip command being run; its name is also its configuration section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PipCommand {
    Install,
    Uninstall,
}

impl PipCommand {
    /// The command name, which is the configuration section pip reads after `[global]`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Uninstall => "uninstall",
        }
    }
}

/// Where a setting was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum SettingRef {
    /// `index` is the position in the caller's environment list.
    Env {
        index: usize,
        name: String,
        raw_value: String,
    },
    /// A `key = value` line. `section` is where it is written (`DEFAULT` for inherited values),
    /// `applies_to` the section pip attributes it to.
    Config {
        kind: ConfigFileKind,
        path: String,
        section: String,
        applies_to: String,
        line: usize,
        key: String,
        raw_value: String,
    },
    /// `index` is the position in the command-line arguments.
    Cli { index: usize, arg: String },
}

/// What became of one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingStatus {
    /// Its value is the final one.
    Decisive,
    /// Applied, then replaced by a later setting of the same option destination.
    Overridden,
    /// Empty value: pip skips it (and, when merging by key, it first replaced earlier values of
    /// the same `section.key`, §1.2).
    Empty,
    /// A later file (or variable) with the same `section.key` replaced it before pip converted
    /// anything, so it never took effect, valid or not.
    Shadowed,
    /// Its value is not a boolean: pip aborts here (§1.2).
    Invalid,
    /// Comes after the setting that aborted pip.
    NotReached,
    /// Its file is not read (hidden by `PIP_CONFIG_FILE` or `--isolated`, `/dev/null`, or not
    /// read by this pip version, §1.6).
    FileNotRead,
    /// An environment variable dropped by `--isolated` (§1.6).
    IsolatedAway,
    /// Written in a section pip does not read for this command (`[GLOBAL]`, `[freeze]`, §1.2).
    SectionNotRead,
    /// This pip version or command has no such option, so pip ignores it (e.g. `PIP_NO_USER`
    /// on pip 9, `break-system-packages` before 23.0.1).
    NoSuchOption,
    /// An environment name this pip version does not map to an option (`pip_user` on ≥ 10).
    NameNotRecognised,
}

/// One setting that names an option modelled here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenSetting {
    pub setting: SettingRef,
    /// The normalized option name (`user`, `no-user`, `break-system-packages`, …).
    pub option: String,
    /// `strtobool`'s verdict for boolean options; `None` for the CLI flags and string options.
    pub parsed: Option<BoolValue>,
    pub status: SettingStatus,
}

/// The outcome for one option destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution<T> {
    /// The final value; `None` when nothing set it.
    pub value: Option<T>,
    /// The setting that gave the final value.
    pub decided_by: Option<SettingRef>,
    /// Every setting naming one of this destination's options: those of the files pip reads
    /// (file by file, in merge order), then the environment (in processing order), then those
    /// of files pip does not read, then the command line.
    pub seen: Vec<SeenSetting>,
}

impl<T> Default for Resolution<T> {
    fn default() -> Self {
        Self {
            value: None,
            decided_by: None,
            seen: Vec::new(),
        }
    }
}

/// Why pip exits before running the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "abort", rename_all = "kebab-case")]
pub enum AbortKind {
    /// A boolean option has a non-boolean value. `traceback` is true before pip 18.1, where
    /// strtobool's `ValueError` escaped (exit 1) instead of the clean error (exit 2).
    InvalidBoolean {
        option: String,
        value: String,
        traceback: bool,
    },
    /// A configuration file configparser cannot read.
    ConfigFileUnloadable {
        kind: ConfigFileKind,
        path: String,
        exception: String,
        line: Option<usize>,
    },
    /// optparse rejects an option this version/command does not have (exit 2).
    NoSuchOption { option: String },
    /// optparse rejects `--flag=value` for a flag (exit 2).
    TakesNoValue { option: String },
    /// optparse rejects an option missing its argument (exit 2).
    MissingArgument { option: String },
}

/// pip exits early: what, where, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Abort {
    pub kind: AbortKind,
    pub setting: Option<SettingRef>,
    pub exit_code: i32,
    /// What pip prints (abridged to the identifying part).
    pub message: String,
}

/// What became of a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileUse {
    /// Read.
    Read,
    /// Read, as the lowest-priority global file (pip 19.1.x only, for `sys.prefix/pip.conf`).
    ReadAsGlobal,
    /// Does not exist.
    Missing,
    /// Exists but configparser cannot open it: nothing read.
    Unreadable,
    /// Skipped: `PIP_CONFIG_FILE` names an existing file (hides legacy and user files).
    HiddenByEnvFile,
    /// Skipped: `--isolated` (hides legacy and user files; pip 9 also the env file).
    HiddenByIsolated,
    /// Skipped: `PIP_CONFIG_FILE=/dev/null` reads no file at all.
    DevNull,
    /// Skipped: `sys.prefix/pip.conf` outside a virtualenv before pip 19.1.
    SiteOnlyInVenv,
    /// Skipped: an env file given while `PIP_CONFIG_FILE` is unset or empty.
    NotReferenced,
}

/// The settings pip ends up with for the options modelled here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedSettings {
    /// `"--isolated" in cmd_args` (§1.6).
    pub isolated: bool,
    /// What became of each configuration source (kind, path, fate), in merge order.
    pub files: Vec<(ConfigFileKind, String, FileUse)>,
    /// `use_user_site`, fed by `user` and `no-user`. Not inverted for env/config (§1.1, §1.3).
    pub use_user_site: Resolution<bool>,
    /// `override_externally_managed`, fed by `break-system-packages` (§2.3).
    pub break_system_packages: Resolution<bool>,
    pub dry_run: Resolution<bool>,
    pub target: Resolution<String>,
    pub prefix: Resolution<String>,
    pub root: Resolution<String>,
    /// `--report` (json_report_file).
    pub report: Resolution<String>,
    /// `index-url` (PIP-INDEX-SEMANTICS.md): `None` is pip's built-in default index.
    pub index_url: Resolution<String>,
    /// `extra-index-url`, `find-links`, `trusted-host`: lists. A value from a file or the
    /// environment is split on whitespace and *replaces* the list so far; each command-line
    /// occurrence is *appended* to the list the files and environment gave. `decided_by` is
    /// the setting that gave the base list (or the last command-line one when none did).
    pub extra_index_urls: Resolution<Vec<String>>,
    pub find_links: Resolution<Vec<String>>,
    pub trusted_hosts: Resolution<Vec<String>>,
    /// `no-index`.
    pub no_index: Resolution<bool>,
    /// The first thing that makes pip exit before the command runs.
    pub abort: Option<Abort>,
    /// Command-line arguments this model does not interpret (other pip options, abbreviations).
    pub unmodelled_args: Vec<String>,
}

/// Inputs of the settings resolution.
#[derive(Debug, Clone, Copy)]
pub struct SettingsInput<'a> {
    pub version: PipVersion,
    pub command: PipCommand,
    /// The environment in the order the caller knows it (e.g. the image `Env`).
    pub env: &'a [(String, String)],
    /// Every candidate configuration file with its state, any order (sorted by kind, stable).
    pub config_files: &'a [ConfigSource],
    /// The arguments after `pip`, command name excluded.
    pub cli_args: &'a [String],
    pub launch: Launch,
    /// Running under a virtualenv (affects `sys.prefix/pip.conf` before 19.2).
    pub in_venv: bool,
    /// The uid's passwd home, for `~` when `HOME` is unset.
    pub passwd_home: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    UseUserSite,
    BreakSystemPackages,
    DryRun,
    Target,
    Prefix,
    Root,
    Report,
    IndexUrl,
    ExtraIndexUrls,
    FindLinks,
    TrustedHosts,
    NoIndex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    StoreTrue,
    StoreFalse,
    Store {
        path: bool,
    },
    /// optparse `append`: env/config values are whitespace-split lists that replace the
    /// default; each command-line occurrence appends one item.
    Append,
}

#[derive(Debug, Clone, Copy)]
struct OptSpec {
    dest: Dest,
    action: Action,
}

/// The options modelled, by normalized name, whatever the version.
fn tracked_dest(name: &str) -> Option<Dest> {
    Some(match name {
        "user" | "no-user" => Dest::UseUserSite,
        "break-system-packages" => Dest::BreakSystemPackages,
        "dry-run" => Dest::DryRun,
        "target" => Dest::Target,
        "prefix" => Dest::Prefix,
        "root" => Dest::Root,
        "report" => Dest::Report,
        "index-url" => Dest::IndexUrl,
        "extra-index-url" => Dest::ExtraIndexUrls,
        "find-links" => Dest::FindLinks,
        "trusted-host" => Dest::TrustedHosts,
        "no-index" => Dest::NoIndex,
        _ => return None,
    })
}

/// `parser.get_option("--" + name)` for the modelled options.
fn lookup_option(name: &str, version: PipVersion, command: PipCommand) -> Option<OptSpec> {
    let spec = |dest, action| Some(OptSpec { dest, action });
    match (command, name) {
        (PipCommand::Install, "user") => spec(Dest::UseUserSite, Action::StoreTrue),
        (PipCommand::Install, "no-user") if version.has_no_user_option() => {
            spec(Dest::UseUserSite, Action::StoreFalse)
        }
        (PipCommand::Install, "target") => spec(Dest::Target, Action::Store { path: true }),
        (PipCommand::Install, "prefix") => spec(Dest::Prefix, Action::Store { path: true }),
        (PipCommand::Install, "root") => spec(Dest::Root, Action::Store { path: true }),
        (PipCommand::Install, "dry-run") if version.has_dry_run() => {
            spec(Dest::DryRun, Action::StoreTrue)
        }
        (PipCommand::Install, "report") if version.has_dry_run() => {
            spec(Dest::Report, Action::Store { path: false })
        }
        (PipCommand::Install, "index-url") => spec(Dest::IndexUrl, Action::Store { path: false }),
        (PipCommand::Install, "extra-index-url") => spec(Dest::ExtraIndexUrls, Action::Append),
        (PipCommand::Install, "find-links") => spec(Dest::FindLinks, Action::Append),
        (PipCommand::Install, "no-index") => spec(Dest::NoIndex, Action::StoreTrue),
        // A general option: every command has it.
        (_, "trusted-host") => spec(Dest::TrustedHosts, Action::Append),
        (PipCommand::Install | PipCommand::Uninstall, "break-system-packages")
            if version.honours_break_system_packages() =>
        {
            spec(Dest::BreakSystemPackages, Action::StoreTrue)
        }
        _ => None,
    }
}

/// Modelled options whose absence optparse reports as "no such option" (no other option of the
/// command starts with these names, so abbreviation matching cannot rescue them).
fn absent_option_is_error(name: &str, command: PipCommand) -> bool {
    match command {
        PipCommand::Install => matches!(
            name,
            "no-user" | "dry-run" | "report" | "break-system-packages"
        ),
        PipCommand::Uninstall => name == "break-system-packages",
    }
}

/// pip options (any version) that take an argument, so the next word is not an option.
const VALUE_OPTIONS: &[&str] = &[
    "requirement",
    "constraint",
    "editable",
    "index-url",
    "extra-index-url",
    "find-links",
    "src",
    "upgrade-strategy",
    "log",
    "log-file",
    "local-log",
    "proxy",
    "retries",
    "timeout",
    "exists-action",
    "trusted-host",
    "cert",
    "client-cert",
    "cache-dir",
    "python",
    "use-feature",
    "use-deprecated",
    "keyring-provider",
    "resume-retries",
    "platform",
    "python-version",
    "implementation",
    "abi",
    "global-option",
    "install-option",
    "build-option",
    "config-settings",
    "no-binary",
    "only-binary",
    "progress-bar",
    "root-user-action",
    "group",
    "build",
    "download",
    "download-cache",
    "skip-requirements-regex",
    "build-dir",
];

/// Short options taking an argument (`-t` is modelled; the others only skip their argument).
const VALUE_SHORTS: &[char] = &['r', 'c', 'e', 'i', 'f', 't', 'b', 'd', 'C'];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Global,
    Command,
    Env,
    Other,
}

/// One setting naming a modelled option, before pip's processing.
#[derive(Debug, Clone)]
struct Cand {
    setting: SettingRef,
    option: String,
    value: String,
    origin: ValueOrigin,
    bucket: Bucket,
    status: Option<SettingStatus>,
}

impl Cand {
    fn parsed(&self) -> Option<BoolValue> {
        match tracked_dest(&self.option)? {
            Dest::UseUserSite | Dest::BreakSystemPackages | Dest::DryRun | Dest::NoIndex => {
                Some(parse_bool(&self.value, self.origin))
            }
            Dest::Target
            | Dest::Prefix
            | Dest::Root
            | Dest::Report
            | Dest::IndexUrl
            | Dest::ExtraIndexUrls
            | Dest::FindLinks
            | Dest::TrustedHosts => None,
        }
    }
}

struct FileRead<'a> {
    source: &'a ConfigSource,
    file: &'a PipConfigFile,
}

/// Resolves `use_user_site`, `break-system-packages` and the location options the way pip
/// would (§1.4–§1.6): `[global]` of all files, then the command's section of all files, then
/// `PIP_*` variables, then the command line; empty values skipped; the first invalid boolean
/// aborts; files hidden per `PIP_CONFIG_FILE`/`--isolated`; the merge rules per version
/// ([`PipVersion::config_merge`]).
pub fn resolve_settings(input: &SettingsInput<'_>) -> ResolvedSettings {
    let version = input.version;
    let isolated = input.cli_args.iter().any(|a| a == "--isolated");
    let mut sources: Vec<&ConfigSource> = input.config_files.iter().collect();
    sources.sort_by_key(|s| s.kind);

    let (uses, read_order) = select_files(input, &sources, isolated);
    let mut out = ResolvedSettings {
        isolated,
        files: sources
            .iter()
            .zip(&uses)
            .map(|(s, u)| (s.kind, s.path.clone(), *u))
            .collect(),
        use_user_site: Resolution::default(),
        break_system_packages: Resolution::default(),
        dry_run: Resolution::default(),
        target: Resolution::default(),
        prefix: Resolution::default(),
        root: Resolution::default(),
        report: Resolution::default(),
        index_url: Resolution::default(),
        extra_index_urls: Resolution::default(),
        find_links: Resolution::default(),
        trusted_hosts: Resolution::default(),
        no_index: Resolution::default(),
        abort: None,
        unmodelled_args: Vec::new(),
    };

    // A file configparser cannot read stops pip before any value is looked at.
    let mut reads: Vec<FileRead<'_>> = Vec::new();
    for &i in &read_order {
        let source = sources[i];
        match &source.state {
            ConfigFileState::Parsed(file) => {
                if out.abort.is_none() {
                    if let Some(problem) = file.python_error() {
                        out.abort = Some(config_abort(
                            version,
                            source,
                            problem.kind.python_exception(),
                            Some(problem.line),
                        ));
                    }
                }
                reads.push(FileRead { source, file });
            }
            ConfigFileState::Undecodable if out.abort.is_none() => {
                out.abort = Some(config_abort(version, source, "UnicodeDecodeError", None));
            }
            _ => {}
        }
    }

    let command = input.command;
    let mut cands: Vec<Cand> = Vec::new();
    let env_cands = env_candidates(input, isolated);
    let ordered: Vec<usize> = match version.config_merge() {
        ConfigMerge::SingleParser => {
            merge_single_parser(&reads, &env_cands, isolated, command, &mut cands)
        }
        merge => merge_by_key(&reads, &env_cands, isolated, command, merge, &mut cands),
    };
    // Settings in files pip does not read, reported for explanation only.
    for (i, source) in sources.iter().enumerate() {
        if read_order.contains(&i) {
            continue;
        }
        if let ConfigFileState::Parsed(file) = &source.state {
            for mut cand in file_candidates(source, file, command) {
                cand.status = Some(SettingStatus::FileNotRead);
                cands.push(cand);
            }
        }
    }

    let mut values = Values::default();
    if out.abort.is_some() {
        for &i in &ordered {
            cands[i].status = Some(SettingStatus::NotReached);
        }
    } else {
        apply_defaults(input, &ordered, &mut cands, &mut values, &mut out);
    }
    if out.abort.is_none() {
        parse_cli(input, &mut cands, &mut values, &mut out);
    }
    finish(&cands, &values, &mut out);
    out
}

fn config_abort(
    version: PipVersion,
    source: &ConfigSource,
    exception: &str,
    line: Option<usize>,
) -> Abort {
    Abort {
        kind: AbortKind::ConfigFileUnloadable {
            kind: source.kind,
            path: source.path.clone(),
            exception: exception.to_owned(),
            line,
        },
        setting: None,
        exit_code: version.config_file_error_exit_code(),
        message: format!(
            "Configuration file could not be loaded: {exception} in {}",
            source.path
        ),
    }
}

/// Decides which sources pip reads, returning each source's fate and the read ones (indices
/// into `sources`) in merge order.
fn select_files(
    input: &SettingsInput<'_>,
    sources: &[&ConfigSource],
    isolated: bool,
) -> (Vec<FileUse>, Vec<usize>) {
    let version = input.version;
    let env_file = getenv(input.env, "PIP_CONFIG_FILE");
    let devnull = env_file == Some("/dev/null");
    let env_file_set = env_file.is_some_and(|v| !v.is_empty());
    // `os.path.exists(PIP_CONFIG_FILE)`: the caller's env-file source tells.
    let env_file_exists = env_file_set
        && sources
            .iter()
            .any(|s| s.kind == ConfigFileKind::EnvFile && s.state != ConfigFileState::Missing);
    let pip9 = version.config_merge() == ConfigMerge::SingleParser;

    let mut uses = Vec::with_capacity(sources.len());
    let mut order_global_prefix = Vec::new();
    let mut order = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        let wanted = if devnull {
            Err(FileUse::DevNull)
        } else {
            match source.kind {
                ConfigFileKind::Xdg | ConfigFileKind::Etc => Ok(FileUse::Read),
                ConfigFileKind::Legacy | ConfigFileKind::User => {
                    if isolated {
                        Err(FileUse::HiddenByIsolated)
                    } else if env_file_exists {
                        Err(FileUse::HiddenByEnvFile)
                    } else {
                        Ok(FileUse::Read)
                    }
                }
                ConfigFileKind::Site => {
                    if input.in_venv || version.reads_site_config_outside_venv() {
                        Ok(FileUse::Read)
                    } else if version.reads_prefix_config_as_global() {
                        Ok(FileUse::ReadAsGlobal)
                    } else {
                        Err(FileUse::SiteOnlyInVenv)
                    }
                }
                ConfigFileKind::EnvFile => {
                    if !env_file_set {
                        Err(FileUse::NotReferenced)
                    } else if pip9 && isolated {
                        // pip 9 read PIP_CONFIG_FILE in place of the user files, so --isolated
                        // dropped it too.
                        Err(FileUse::HiddenByIsolated)
                    } else {
                        Ok(FileUse::Read)
                    }
                }
            }
        };
        let used = match (wanted, &source.state) {
            (Err(reason), _) => reason,
            (Ok(_), ConfigFileState::Missing) => FileUse::Missing,
            (Ok(_), ConfigFileState::Unreadable) => FileUse::Unreadable,
            (Ok(how), _) => {
                if how == FileUse::ReadAsGlobal {
                    order_global_prefix.push(i);
                } else {
                    order.push(i);
                }
                how
            }
        };
        uses.push(used);
    }
    if pip9 {
        // pip 9's list: site-wide files, then PIP_CONFIG_FILE in the user files' place, then
        // the virtualenv file last.
        order.sort_by_key(|&i| match sources[i].kind {
            ConfigFileKind::Xdg | ConfigFileKind::Etc => 0,
            ConfigFileKind::Legacy | ConfigFileKind::User | ConfigFileKind::EnvFile => 1,
            ConfigFileKind::Site => 2,
        });
    }
    order_global_prefix.extend(order);
    (uses, order_global_prefix)
}

fn env_candidates(input: &SettingsInput<'_>, isolated: bool) -> Vec<Cand> {
    let mut out = Vec::new();
    for var in processing_order(input.env, input.launch) {
        let setting = SettingRef::Env {
            index: var.index,
            name: var.name.to_owned(),
            raw_value: var.value.to_owned(),
        };
        let (option, status) = if let Some(option) = env_option_name(var.name, input.version) {
            (option, isolated.then_some(SettingStatus::IsolatedAway))
        } else {
            // A name that would map under another pip version (`pip_user` on ≥ 10).
            let Some(prefix) = var.name.get(..4) else {
                continue;
            };
            if !prefix.eq_ignore_ascii_case("PIP_") {
                continue;
            }
            let option = crate::environ::normalize_option_name(&var.name[4..]);
            (option, Some(SettingStatus::NameNotRecognised))
        };
        if tracked_dest(&option).is_none() {
            continue;
        }
        out.push(Cand {
            setting,
            option,
            value: var.value.to_owned(),
            origin: ValueOrigin::Env,
            bucket: Bucket::Env,
            status,
        });
    }
    out
}

fn config_cand(
    source: &ConfigSource,
    entry: &crate::config::ConfigEntry,
    written_in: &str,
    applies_to: &str,
    bucket: Bucket,
) -> Option<Cand> {
    let option = crate::environ::normalize_option_name(&entry.key);
    tracked_dest(&option)?;
    Some(Cand {
        setting: SettingRef::Config {
            kind: source.kind,
            path: source.path.clone(),
            section: written_in.to_owned(),
            applies_to: applies_to.to_owned(),
            line: entry.line,
            key: entry.raw_key.clone(),
            raw_value: entry.value.clone(),
        },
        option,
        value: entry.value.clone(),
        origin: ValueOrigin::Config,
        bucket,
        status: None,
    })
}

fn bucket_of(section: &str, command: PipCommand) -> Bucket {
    if section == "global" {
        Bucket::Global
    } else if section == command.name() {
        Bucket::Command
    } else {
        Bucket::Other
    }
}

/// pip ≥ 10 view of one file: `parser.items(section)` for each section (inheriting
/// `[DEFAULT]`), in section order. A `[DEFAULT]` with no section to inherit it is reported
/// as unread.
fn file_candidates(source: &ConfigSource, file: &PipConfigFile, command: PipCommand) -> Vec<Cand> {
    let mut out = Vec::new();
    for section in file.sections() {
        let bucket = bucket_of(&section.name, command);
        for item in file.items(&section.name) {
            let written = if item.from_default {
                "DEFAULT"
            } else {
                section.name.as_str()
            };
            out.extend(config_cand(
                source,
                item.entry,
                written,
                &section.name,
                bucket,
            ));
        }
    }
    if file.sections().is_empty() {
        for entry in file.defaults() {
            if let Some(mut cand) = config_cand(source, entry, "DEFAULT", "DEFAULT", Bucket::Other)
            {
                cand.status = Some(SettingStatus::SectionNotRead);
                out.push(cand);
            }
        }
    }
    out
}

/// An insertion-ordered map from key to the candidates that arrived under it, in order.
type Keyed = Vec<(String, Vec<usize>)>;

/// Ordered map insert: keeps the first position, records every arrival.
fn push_keyed(keys: &mut Vec<(String, Vec<usize>)>, key: String, cand: usize) {
    match keys.iter_mut().find(|(k, _)| *k == key) {
        Some((_, list)) => list.push(cand),
        None => keys.push((key, vec![cand])),
    }
}

/// Marks superseded arrivals as shadowed and hands each surviving non-empty value to `keep`
/// in key order; pip drops empty values only after merging (§1.2).
fn settle_keys(
    keys: Vec<(String, Vec<usize>)>,
    cands: &mut [Cand],
    mut keep: impl FnMut(&mut Cand, usize),
) {
    for (_, arrivals) in keys {
        let Some(&last) = arrivals.last() else {
            continue;
        };
        for &i in &arrivals {
            if i != last {
                cands[i].status.get_or_insert(SettingStatus::Shadowed);
            }
        }
        if cands[last].status.is_some() {
            continue;
        }
        if cands[last].value.is_empty() {
            cands[last].status = Some(SettingStatus::Empty);
            continue;
        }
        keep(&mut cands[last], last);
    }
}

/// `_get_ordered_configuration_items`: `[global]`, then the command's section, then `:env:`;
/// other sections are not read.
fn queue_by_bucket(queues: &mut [Vec<usize>; 3]) -> impl FnMut(&mut Cand, usize) + '_ {
    move |cand, i| match cand.bucket {
        Bucket::Global => queues[0].push(i),
        Bucket::Command => queues[1].push(i),
        Bucket::Env => queues[2].push(i),
        Bucket::Other => cand.status = Some(SettingStatus::SectionNotRead),
    }
}

/// pip ≥ 10: values keyed by `section.key`. [`ConfigMerge::MergedKeys`] keys across all files
/// and the environment at once; [`ConfigMerge::PerFileEntries`] keys within each file and
/// replays every file.
fn merge_by_key(
    reads: &[FileRead<'_>],
    env_cands: &[Cand],
    isolated: bool,
    command: PipCommand,
    merge: ConfigMerge,
    cands: &mut Vec<Cand>,
) -> Vec<usize> {
    let mut queues: [Vec<usize>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut keys: Vec<(String, Vec<usize>)> = Vec::new();
    for read in reads {
        for cand in file_candidates(read.source, read.file, command) {
            let key = match &cand.setting {
                SettingRef::Config { applies_to, .. } => format!("{applies_to}.{}", cand.option),
                SettingRef::Env { .. } | SettingRef::Cli { .. } => continue,
            };
            let pre_settled = cand.status.is_some();
            cands.push(cand);
            if !pre_settled {
                push_keyed(&mut keys, key, cands.len() - 1);
            }
        }
        if merge == ConfigMerge::PerFileEntries {
            settle_keys(
                std::mem::take(&mut keys),
                cands,
                queue_by_bucket(&mut queues),
            );
        }
    }
    for cand in env_cands {
        let settled = cand.status.is_some();
        cands.push(cand.clone());
        if !settled && !isolated {
            push_keyed(&mut keys, format!(":env:.{}", cand.option), cands.len() - 1);
        }
    }
    settle_keys(keys, cands, queue_by_bucket(&mut queues));
    let [global, cmd, env] = queues;
    global.into_iter().chain(cmd).chain(env).collect()
}

/// pip 9: one `RawConfigParser` over all files (sections and `[DEFAULT]` merged across files,
/// a later file replacing a key in place), then one dict keyed by `--option` updated with
/// `[global]`, the command's section, then the environment; processed in that dict's order.
fn merge_single_parser(
    reads: &[FileRead<'_>],
    env_cands: &[Cand],
    isolated: bool,
    command: PipCommand,
    cands: &mut Vec<Cand>,
) -> Vec<usize> {
    // Merged parser, keyed by configparser's (lower-cased, not `_`-normalized) keys.
    let mut defaults: Keyed = Vec::new();
    let mut sections: Vec<(String, Keyed)> = Vec::new();
    for read in reads {
        for entry in read.file.defaults() {
            if let Some(cand) = config_cand(read.source, entry, "DEFAULT", "DEFAULT", Bucket::Other)
            {
                cands.push(cand);
                push_keyed(&mut defaults, entry.key.clone(), cands.len() - 1);
            }
        }
        for section in read.file.sections() {
            let bucket = bucket_of(&section.name, command);
            let pos = if let Some(pos) = sections.iter().position(|(n, _)| *n == section.name) {
                pos
            } else {
                sections.push((section.name.clone(), Vec::new()));
                sections.len() - 1
            };
            for entry in &section.entries {
                if let Some(cand) =
                    config_cand(read.source, entry, &section.name, &section.name, bucket)
                {
                    cands.push(cand);
                    push_keyed(&mut sections[pos].1, entry.key.clone(), cands.len() - 1);
                }
            }
        }
    }
    let mut dict: Vec<(String, Vec<usize>)> = Vec::new();
    let mut defaults_used = false;
    for name in ["global", command.name()] {
        let Some((_, entries)) = sections.iter().find(|(n, _)| n == name) else {
            continue;
        };
        defaults_used = true;
        // items(): defaults first; a section key replaces the default in place.
        let mut items: Vec<(String, Vec<usize>)> = defaults.clone();
        for (key, arrivals) in entries {
            match items.iter_mut().find(|(k, _)| k == key) {
                Some((_, list)) => list.extend(arrivals.iter().copied()),
                None => items.push((key.clone(), arrivals.clone())),
            }
        }
        for (_, arrivals) in items {
            for i in arrivals {
                let key = cands[i].option.clone();
                push_keyed(&mut dict, key, i);
            }
        }
    }
    for (name, entries) in &sections {
        if bucket_of(name, command) != Bucket::Other {
            continue;
        }
        for (_, arrivals) in entries {
            for &i in arrivals {
                cands[i].status = Some(SettingStatus::SectionNotRead);
            }
        }
    }
    if !defaults_used {
        for (_, arrivals) in &defaults {
            for &i in arrivals {
                cands[i].status = Some(SettingStatus::SectionNotRead);
            }
        }
    }
    for cand in env_cands {
        let settled = cand.status.is_some();
        cands.push(cand.clone());
        if !settled && !isolated {
            push_keyed(&mut dict, cand.option.clone(), cands.len() - 1);
        }
    }
    let mut ordered = Vec::new();
    settle_keys(dict, cands, |_, i| ordered.push(i));
    ordered
}

#[derive(Debug, Default)]
struct Values {
    /// (destination, candidate index, value) in assignment order.
    assigned: Vec<(Dest, usize, Value)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

/// `_update_defaults`: converts the ordered settings, aborting at the first invalid boolean.
fn apply_defaults(
    input: &SettingsInput<'_>,
    ordered: &[usize],
    cands: &mut [Cand],
    values: &mut Values,
    out: &mut ResolvedSettings,
) {
    let version = input.version;
    for (pos, &i) in ordered.iter().enumerate() {
        let Some(spec) = lookup_option(&cands[i].option, version, input.command) else {
            cands[i].status = Some(SettingStatus::NoSuchOption);
            continue;
        };
        let value = match spec.action {
            Action::StoreTrue | Action::StoreFalse => match cands[i].parsed() {
                // Stored as converted: `no-user = 1` means use_user_site = 1 (§1.1).
                Some(BoolValue::True) => Value::Bool(true),
                Some(BoolValue::False) => Value::Bool(false),
                _ => {
                    cands[i].status = Some(SettingStatus::Invalid);
                    out.abort = Some(invalid_boolean(version, &cands[i]));
                    for &later in &ordered[pos + 1..] {
                        cands[later].status = Some(SettingStatus::NotReached);
                    }
                    return;
                }
            },
            Action::Store { path } => Value::Text(path_value(input, &cands[i].value, path)),
            Action::Append => Value::List(
                crate::index::split_list(&cands[i].value)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        values.assigned.push((spec.dest, i, value));
    }
}

fn path_value(input: &SettingsInput<'_>, raw: &str, path: bool) -> String {
    if path && input.version.expands_tilde_in_path_options() {
        expand_tilde(raw, input.env, input.passwd_home)
    } else {
        raw.to_owned()
    }
}

fn invalid_boolean(version: PipVersion, cand: &Cand) -> Abort {
    let traceback = !version.clean_invalid_boolean_error();
    let message = if traceback {
        format!(
            "ValueError: invalid truth value '{}'",
            cand.value.to_lowercase()
        )
    } else {
        format!(
            "{} is not a valid value for {} option, please specify a boolean value like \
             yes/no, true/false or 1/0 instead.",
            cand.value, cand.option
        )
    };
    Abort {
        kind: AbortKind::InvalidBoolean {
            option: cand.option.clone(),
            value: cand.value.clone(),
            traceback,
        },
        setting: Some(cand.setting.clone()),
        exit_code: if traceback { 1 } else { 2 },
        message,
    }
}

fn usage_abort(kind: AbortKind, index: usize, arg: &str, message: String) -> Abort {
    Abort {
        kind,
        setting: Some(SettingRef::Cli {
            index,
            arg: arg.to_owned(),
        }),
        exit_code: 2,
        message,
    }
}

/// optparse over the arguments: the last flag wins; unknown modelled options abort.
fn parse_cli(
    input: &SettingsInput<'_>,
    cands: &mut Vec<Cand>,
    values: &mut Values,
    out: &mut ResolvedSettings,
) {
    let args = input.cli_args;
    let mut i = 0;
    while i < args.len() {
        let index = i;
        let arg = &args[i];
        if arg == "--" {
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let Some(spec) = lookup_option(name, input.version, input.command) else {
                if tracked_dest(name).is_some() && absent_option_is_error(name, input.command) {
                    out.abort = Some(usage_abort(
                        AbortKind::NoSuchOption {
                            option: format!("--{name}"),
                        },
                        i,
                        arg,
                        format!("no such option: --{name}"),
                    ));
                    return;
                }
                out.unmodelled_args.push(arg.clone());
                if inline.is_none() && VALUE_OPTIONS.contains(&name) {
                    if let Some(next) = args.get(i + 1) {
                        out.unmodelled_args.push(next.clone());
                    }
                    i += 1;
                }
                i += 1;
                continue;
            };
            let value = match spec.action {
                Action::StoreTrue | Action::StoreFalse => {
                    if inline.is_some() {
                        out.abort = Some(usage_abort(
                            AbortKind::TakesNoValue {
                                option: format!("--{name}"),
                            },
                            i,
                            arg,
                            format!("--{name} option does not take a value"),
                        ));
                        return;
                    }
                    Value::Bool(spec.action == Action::StoreTrue)
                }
                Action::Store { .. } | Action::Append => {
                    let raw = if let Some(v) = inline {
                        v.to_owned()
                    } else {
                        i += 1;
                        let Some(next) = args.get(i) else {
                            out.abort = Some(usage_abort(
                                AbortKind::MissingArgument {
                                    option: format!("--{name}"),
                                },
                                i - 1,
                                arg,
                                format!("--{name} option requires 1 argument"),
                            ));
                            return;
                        };
                        next.clone()
                    };
                    match spec.action {
                        Action::Store { path } => Value::Text(path_value(input, &raw, path)),
                        _ => Value::List(vec![raw]),
                    }
                }
            };
            record_cli(cands, values, spec.dest, index, arg, name, value);
        } else if arg.len() > 1 && arg.starts_with('-') {
            // A cluster of short options; one taking a value ends the cluster.
            let shorts: Vec<char> = arg[1..].chars().collect();
            let mut consumed_next = false;
            for (pos, &c) in shorts.iter().enumerate() {
                if !VALUE_SHORTS.contains(&c) {
                    continue;
                }
                let rest: String = shorts[pos + 1..].iter().collect();
                let raw = if rest.is_empty() {
                    consumed_next = true;
                    args.get(i + 1).cloned()
                } else {
                    Some(rest)
                };
                let modelled = match c {
                    't' => Some((Dest::Target, "target")),
                    'i' => Some((Dest::IndexUrl, "index-url")),
                    'f' => Some((Dest::FindLinks, "find-links")),
                    _ => None,
                };
                if let (Some((dest, option)), PipCommand::Install) = (modelled, input.command) {
                    let Some(raw) = raw else {
                        out.abort = Some(usage_abort(
                            AbortKind::MissingArgument {
                                option: format!("-{c}"),
                            },
                            i,
                            arg,
                            format!("-{c} option requires 1 argument"),
                        ));
                        return;
                    };
                    let value = match dest {
                        Dest::Target => Value::Text(path_value(input, &raw, true)),
                        Dest::FindLinks => Value::List(vec![raw]),
                        _ => Value::Text(raw),
                    };
                    record_cli(cands, values, dest, i, arg, option, value);
                } else {
                    out.unmodelled_args.push(arg.clone());
                }
                break;
            }
            if !shorts.iter().any(|c| VALUE_SHORTS.contains(c)) {
                out.unmodelled_args.push(arg.clone());
            }
            if consumed_next {
                i += 1;
            }
        }
        i += 1;
    }
}

fn record_cli(
    cands: &mut Vec<Cand>,
    values: &mut Values,
    dest: Dest,
    index: usize,
    arg: &str,
    option: &str,
    value: Value,
) {
    cands.push(Cand {
        setting: SettingRef::Cli {
            index,
            arg: arg.to_owned(),
        },
        option: option.to_owned(),
        value: String::new(),
        origin: ValueOrigin::Cli,
        bucket: Bucket::Env,
        status: None,
    });
    values.assigned.push((dest, cands.len() - 1, value));
}

/// Fills the per-destination resolutions: last assignment decisive, earlier ones overridden;
/// for lists, the last file/environment value is the base and every command-line item after it
/// is appended (all decisive).
fn finish(cands: &[Cand], values: &Values, out: &mut ResolvedSettings) {
    let mut statuses: Vec<Option<SettingStatus>> = cands.iter().map(|c| c.status).collect();
    for dest in [
        Dest::UseUserSite,
        Dest::BreakSystemPackages,
        Dest::DryRun,
        Dest::Target,
        Dest::Prefix,
        Dest::Root,
        Dest::Report,
        Dest::IndexUrl,
        Dest::ExtraIndexUrls,
        Dest::FindLinks,
        Dest::TrustedHosts,
        Dest::NoIndex,
    ] {
        let assigned: Vec<&(Dest, usize, Value)> = values
            .assigned
            .iter()
            .filter(|(d, _, _)| *d == dest)
            .collect();
        let is_list = matches!(
            dest,
            Dest::ExtraIndexUrls | Dest::FindLinks | Dest::TrustedHosts
        );
        let from_cli = |i: usize| cands[i].origin == ValueOrigin::Cli;
        // The assignment whose value the list starts from (the last non-CLI one).
        let base = if is_list {
            assigned.iter().rposition(|(_, i, _)| !from_cli(*i))
        } else {
            None
        };
        for (n, (_, i, _)) in assigned.iter().enumerate() {
            let decisive = if is_list {
                if from_cli(*i) { true } else { Some(n) == base }
            } else {
                n + 1 == assigned.len()
            };
            statuses[*i] = Some(if decisive {
                SettingStatus::Decisive
            } else {
                SettingStatus::Overridden
            });
        }
        let last = if is_list {
            let mut list: Option<Vec<String>> = None;
            for (_, i, value) in &assigned {
                if let Value::List(items) = value {
                    if from_cli(*i) {
                        list.get_or_insert_with(Vec::new)
                            .extend(items.iter().cloned());
                    } else {
                        list = Some(items.clone());
                    }
                }
            }
            let by = base
                .or(assigned.len().checked_sub(1))
                .map(|n| assigned[n].1);
            by.zip(list.map(Value::List))
        } else {
            assigned.last().map(|(_, i, v)| (*i, v.clone()))
        };
        let seen: Vec<SeenSetting> = cands
            .iter()
            .enumerate()
            .filter(|(_, c)| tracked_dest(&c.option) == Some(dest))
            .filter_map(|(i, c)| {
                Some(SeenSetting {
                    setting: c.setting.clone(),
                    option: c.option.clone(),
                    parsed: if c.origin == ValueOrigin::Cli {
                        None
                    } else {
                        c.parsed()
                    },
                    status: statuses[i]?,
                })
            })
            .collect();
        let decided_by = last.as_ref().map(|(i, _)| cands[*i].setting.clone());
        let last = last.map(|(_, value)| value);
        match dest {
            Dest::UseUserSite => fill_bool(&mut out.use_user_site, last.as_ref(), decided_by, seen),
            Dest::BreakSystemPackages => {
                fill_bool(
                    &mut out.break_system_packages,
                    last.as_ref(),
                    decided_by,
                    seen,
                );
            }
            Dest::DryRun => fill_bool(&mut out.dry_run, last.as_ref(), decided_by, seen),
            Dest::NoIndex => fill_bool(&mut out.no_index, last.as_ref(), decided_by, seen),
            Dest::Target => fill_text(&mut out.target, last, decided_by, seen),
            Dest::Prefix => fill_text(&mut out.prefix, last, decided_by, seen),
            Dest::Root => fill_text(&mut out.root, last, decided_by, seen),
            Dest::Report => fill_text(&mut out.report, last, decided_by, seen),
            Dest::IndexUrl => fill_text(&mut out.index_url, last, decided_by, seen),
            Dest::ExtraIndexUrls => fill_list(&mut out.extra_index_urls, last, decided_by, seen),
            Dest::FindLinks => fill_list(&mut out.find_links, last, decided_by, seen),
            Dest::TrustedHosts => fill_list(&mut out.trusted_hosts, last, decided_by, seen),
        }
    }
}

fn fill_list(
    res: &mut Resolution<Vec<String>>,
    last: Option<Value>,
    decided_by: Option<SettingRef>,
    seen: Vec<SeenSetting>,
) {
    res.value = match last {
        Some(Value::List(items)) => Some(items),
        _ => None,
    };
    res.decided_by = decided_by;
    res.seen = seen;
}

fn fill_bool(
    res: &mut Resolution<bool>,
    last: Option<&Value>,
    decided_by: Option<SettingRef>,
    seen: Vec<SeenSetting>,
) {
    res.value = match last {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    res.decided_by = decided_by;
    res.seen = seen;
}

fn fill_text(
    res: &mut Resolution<String>,
    last: Option<Value>,
    decided_by: Option<SettingRef>,
    seen: Vec<SeenSetting>,
) {
    res.value = match last {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    };
    res.decided_by = decided_by;
    res.seen = seen;
}
