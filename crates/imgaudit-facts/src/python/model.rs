//! The document types of the Python domain.

use schemars::JsonSchema;
use serde::Serialize;

use imgaudit_finding::Precision;

pub use imgaudit_shell::StartupFile as StartupKind;

use crate::Location;
use crate::python::IndexUrl;

/// What the runtime user's Python sees of its environment (in the document's `runtime`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PythonRuntime {
    /// `PYTHONUSERBASE` when set and non-empty, else `$HOME/.local`.
    pub user_base: String,
    /// `PYTHONNOUSERSITE` from `Env`, as written.
    pub python_no_user_site: Option<String>,
    /// Whether CPython turns the user site off for that value (`0` does not; `false` does).
    pub user_site_disabled: bool,
    /// Where `PIP_CONFIG_FILE` points and whether that file exists in the image.
    pub pip_config_file: Option<String>,
    pub pip_config_file_exists: bool,
}

/// The Python domain's part of the document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PythonFacts {
    pub startup_files: Vec<StartupFile>,
    pub pip_config_files: Vec<PipConfigFile>,
    /// Every setting that steers `pip install`, from every source, flattened.
    pub pip_settings: Vec<PipSetting>,
    pub pythons: Vec<Python>,
    pub user_sites: Vec<UserSite>,
    /// Distributions in a user site that shadow another version of themselves in an
    /// environment that sees that user site.
    pub shadowed_distributions: Vec<Shadowing>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StartupFile {
    pub path: String,
    pub kind: StartupKind,
    pub origin: Location,
    /// Exported assignments of variables that matter to Python and pip.
    pub assignments: Vec<StartupAssignment>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StartupAssignment {
    pub name: String,
    /// The value after quote removal and expansion, when it can be known (secrets masked).
    pub value: Option<String>,
    /// The same value unmasked, for the facts computed from it; never serialized.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) raw_value: Option<String>,
    /// False when the value depends on something outside the file (`${A:-x}` with `A` unknown).
    pub certain: bool,
    /// Inside an `if`, `case`, loop, function, or after `&&`/`||`.
    pub conditional: bool,
    /// Below an interactive-only guard: only interactive shells get here.
    pub after_interactive_guard: bool,
    /// The entry points that read this line (`bash_login`, `su_login`...).
    pub readers: Vec<String>,
    pub source_line: String,
    /// Whether the value, before masking, held credentials in a URL.
    pub has_credentials: bool,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PipConfigFile {
    pub path: String,
    pub kind: PipConfigKind,
    /// Whom it applies to: `everyone`, the home it belongs to, or the interpreter prefix.
    pub scope: String,
    /// False when something hides it (`PIP_CONFIG_FILE` hides the user files).
    pub read: bool,
    pub origin: Location,
    pub entries: Vec<PipConfigEntry>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PipConfigEntry {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: u32,
    /// Whether the value, before masking, held credentials in a URL.
    pub has_credentials: bool,
}

/// One setting that steers `pip install`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PipSetting {
    /// Stable within one document; decisions refer to settings by it.
    pub id: usize,
    pub source: SettingSource,
    /// The variable (`PIP_NO_USER`) or the config key as written (`no-user`).
    pub name: String,
    /// The pip option it feeds.
    pub option: PipOption,
    /// The config section (`global`, `install`) for config files.
    pub section: Option<String>,
    /// The value as written (credentials redacted).
    pub value: String,
    /// How pip reads it.
    pub parsed: Parsed,
    /// What it does when it is the setting pip ends up using.
    pub effect: Effect,
    /// Why it may not count: the pip versions in the image ignore it, a higher-precedence
    /// setting overrides it, or the file is hidden. Empty when it counts.
    pub ignored_because: Vec<String>,
    /// For `user`/`no-user` settings that turn user installs on: the launches (`exec`, `shell`)
    /// in which this setting is the one pip ends up using, for some interpreter.
    pub decides_in: Vec<Launch>,
    /// ...and the launches in which a setting that turns them off wins instead (§1.4: the
    /// shell reorders `PIP_USER` and `PIP_NO_USER`), with the winners (`PIP_USER=0`).
    pub overridden_in: Vec<Launch>,
    pub overridden_by: Vec<String>,
    /// What `pip install` does where this setting decides: `user`, `refused` (a plain venv
    /// refuses user installs; pip >= 25.3 refuses them with the user site disabled), `error`
    /// (another reason, such as PEP 668).
    pub outcomes: Vec<SettingOutcome>,
    /// For index URLs: whether the URL carried a password or token (now redacted).
    pub has_credentials: bool,
    /// For `index-url`, `extra-index-url` and `find-links`: each URL of the value, split on
    /// whitespace as pip splits lists (PIP-INDEX-SEMANTICS.md §2.1); words that are not URLs (a
    /// local `/wheels` directory) are left out. Empty for other options.
    pub urls: Vec<IndexUrl>,
    /// True for start-up files: only some entry points read them.
    pub conditional: bool,
    /// `high` (config `Env`, pip config files), `medium` (start-up files most entry points
    /// read), `low` (inside a shell conditional, or only interactive shells).
    pub precision: Precision,
    /// The entry points that see it (`all` for the config `Env`).
    pub readers: Vec<String>,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Python {
    pub id: usize,
    pub kind: PythonKind,
    pub prefix: String,
    /// The stdlib directory (`sysconfig.get_path("stdlib")`); for a venv, its base's.
    pub stdlib: Option<String>,
    /// `3.11`.
    pub version: String,
    /// The package that owns the stdlib (`libpython3.11-minimal`), with its manager.
    pub owner_package: Option<String>,
    pub package_manager: Option<PackageManager>,
    pub venv: Option<Venv>,
    /// Whether this interpreter puts a user site on `sys.path` (not in a plain venv).
    pub sees_user_site: bool,
    pub site_packages: Vec<SitePackages>,
    pub pip: Option<PipInstall>,
    pub marker: Option<Marker>,
    /// What `pip install PKG` would do, per way of launching it.
    pub decisions: Vec<Decision>,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Venv {
    pub config: String,
    pub include_system_site_packages: bool,
    pub home: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SitePackages {
    pub path: String,
    pub distributions: Vec<Distribution>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Distribution {
    pub name: String,
    /// PEP 503 normalised: lower case, runs of `-_.` as one `-`.
    pub normalized_name: String,
    pub version: String,
    /// The `INSTALLER` record (`pip`, `debian`, `uv`...), when there is one.
    pub installer: Option<String>,
    /// The package that owns it (`python3-six`), when the package manager's lists say so.
    pub owned_by_package: Option<String>,
    pub path: String,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PipInstall {
    pub version: String,
    pub path: String,
}

/// The PEP 668 `EXTERNALLY-MANAGED` marker of a non-venv interpreter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Marker {
    pub path: String,
    pub state: MarkerState,
    /// For a present marker: whether it has the `[externally-managed]` section pip reads.
    pub well_formed: Option<bool>,
    /// The package whose file list includes the marker.
    pub shipped_by: Option<String>,
    /// When absent: the layer (and step) whose whiteout removed it.
    pub removed: Option<Location>,
    pub origin: Location,
}

/// What pip decides for `pip install PKG` run by the runtime user.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Decision {
    pub launch: Launch,
    pub outcome: Outcome,
    /// For errors, pip's reason as a short code: `venv-no-user` and `user-site-disabled`
    /// (user installs refused), `EM` (PEP 668), `badvalue`, `config`, `perm`...
    pub error: Option<String>,
    pub reason: String,
    /// The setting that decided user vs non-user, when one did.
    pub user_setting: Option<usize>,
    /// The setting that turned PEP 668 off, when one did.
    pub break_system_packages_setting: Option<usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UserSite {
    /// `USER_BASE/lib/pythonX.Y/site-packages`.
    pub path: String,
    pub user_base: String,
    pub python_version: String,
    /// The account whose home holds it, if any.
    pub user: Option<String>,
    /// Whether the runtime user's Python would use it.
    pub runtime: bool,
    pub distributions: Vec<Distribution>,
    /// `.pth` files: they run at every interpreter start.
    pub pth_files: Vec<String>,
    /// Entries of any kind in the directory.
    pub entries: usize,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Shadowing {
    pub name: String,
    pub user_site: String,
    pub user_version: String,
    pub user_origin: Location,
    pub python: usize,
    pub environment_path: String,
    pub environment_version: String,
}

/// Which pip config file a [`PipConfigFile`] is, in pip's merge order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PipConfigKind {
    Xdg,
    Etc,
    Legacy,
    User,
    Site,
    /// The file `PIP_CONFIG_FILE` names.
    Envfile,
}

/// Where a [`PipSetting`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// The config's `Env`.
    Env,
    /// A shell start-up file.
    StartupFile,
    /// A pip config file.
    PipConfig,
}

/// The pip options imgaudit follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PipOption {
    User,
    NoUser,
    BreakSystemPackages,
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    TrustedHost,
    NoIndex,
}

impl PipOption {
    /// Every option, in the order settings are listed.
    pub const ALL: [PipOption; 8] = [
        PipOption::User,
        PipOption::NoUser,
        PipOption::BreakSystemPackages,
        PipOption::IndexUrl,
        PipOption::ExtraIndexUrl,
        PipOption::FindLinks,
        PipOption::TrustedHost,
        PipOption::NoIndex,
    ];

    /// The name pip's config files and `PIP_*` variables use (`no-user`).
    pub const fn name(self) -> &'static str {
        match self {
            PipOption::User => "user",
            PipOption::NoUser => "no-user",
            PipOption::BreakSystemPackages => "break-system-packages",
            PipOption::IndexUrl => "index-url",
            PipOption::ExtraIndexUrl => "extra-index-url",
            PipOption::FindLinks => "find-links",
            PipOption::TrustedHost => "trusted-host",
            PipOption::NoIndex => "no-index",
        }
    }

    /// The option a config key or a variable's suffix names, as pip spells it.
    pub fn from_name(name: &str) -> Option<PipOption> {
        PipOption::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Whether pip reads the value as a boolean.
    pub const fn is_boolean(self) -> bool {
        matches!(
            self,
            PipOption::User
                | PipOption::NoUser
                | PipOption::BreakSystemPackages
                | PipOption::NoIndex
        )
    }

    /// Whether the value is a list of URLs (index and link locations).
    pub const fn takes_urls(self) -> bool {
        matches!(
            self,
            PipOption::IndexUrl | PipOption::ExtraIndexUrl | PipOption::FindLinks
        )
    }
}

/// How pip reads a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Parsed {
    True,
    False,
    /// Ignored, as if unset.
    Empty,
    /// Not a boolean pip knows: every `pip install` aborts.
    Invalid,
    /// An option that is not a boolean.
    Text,
}

/// What a setting does when it is the one pip ends up using.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    UserInstall,
    NonUserInstall,
    BypassPep668,
    KeepPep668,
    Abort,
    None,
    /// An index setting: `index-url`, `extra-index-url`, `find-links`, `trusted-host`.
    Index,
    /// `no-index` true: pip reads no index, only `find-links`.
    NoIndex,
}

/// How `pip install` is launched: `exec` (exec-form `CMD`, `docker exec`: `Env` order kept) or
/// `shell` (`sh -c`, `bash -c`: the shell puts `PIP_USER` before `PIP_NO_USER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Launch {
    Exec,
    Shell,
}

/// What `pip install` does where a user-install setting decides: a [`Decision`]'s outcome, or
/// `refused` when a plain venv refuses user installs (pip >= 25.3 also with the user site
/// disabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingOutcome {
    User,
    Site,
    Other,
    Error,
    Refused,
}

/// What `pip install PKG` does: install into the user site, into the environment, somewhere
/// else (a `--prefix` or `--target` from a config file), or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    User,
    Site,
    Other,
    Error,
}

impl From<Outcome> for SettingOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::User => SettingOutcome::User,
            Outcome::Site => SettingOutcome::Site,
            Outcome::Other => SettingOutcome::Other,
            Outcome::Error => SettingOutcome::Error,
        }
    }
}

/// What kind of interpreter a [`Python`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PythonKind {
    /// Its stdlib is owned by a dpkg or apk package.
    Distro,
    /// Built from source under `/usr/local`, owned by no package.
    SourceBuilt,
    /// A virtual environment (`pyvenv.cfg`).
    Venv,
    /// A conda environment (`conda-meta/`).
    Conda,
    Pyenv,
    /// A Python uv installed (`~/.local/share/uv/python/…`, or directly under
    /// `UV_PYTHON_INSTALL_DIR`).
    Uv,
    Other,
}

/// The package manager that owns a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageManager {
    Dpkg,
    Apk,
}

impl PackageManager {
    pub const fn name(self) -> &'static str {
        match self {
            PackageManager::Dpkg => "dpkg",
            PackageManager::Apk => "apk",
        }
    }
}

/// The state of a PEP 668 marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkerState {
    /// A regular file, or a link to one: it blocks, even malformed.
    Present,
    /// pip ignores a directory,
    Directory,
    /// a dangling link,
    DanglingLink,
    /// and a fifo or device.
    NotAFile,
    Absent,
}
