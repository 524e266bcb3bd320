//! The facts document: what policies receive as `input`, documented in `docs/policy-input.md`.
//!
//! Every value that came from inside the image has passed through [`crate::redact`] before it
//! lands here, so the document can be printed, logged and handed to user policies.

use schemars::JsonSchema;
use serde::Serialize;

pub use imgaudit_finding::Location;

/// Bumped whenever a field changes meaning or disappears (additions keep the version).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything the policies judge, for one image.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Facts {
    pub schema_version: u32,
    pub image: ImageFacts,
    pub layers: Vec<LayerFacts>,
    pub history: Vec<HistoryFacts>,
    /// The config's `Env`, in order.
    pub env: Vec<EnvVar>,
    pub runtime: Runtime,
    pub users: Vec<User>,
    pub startup_files: Vec<StartupFile>,
    pub pip_config_files: Vec<PipConfigFile>,
    /// Every setting that steers `pip install`, from every source, flattened.
    pub pip_settings: Vec<PipSetting>,
    pub pythons: Vec<Python>,
    pub user_sites: Vec<UserSite>,
    /// Distributions in a user site that shadow another version of themselves in an
    /// environment that sees that user site.
    pub shadowed_distributions: Vec<Shadowing>,
    /// What the facts could not establish, and why.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImageFacts {
    /// The name the user gave (`oci:dir:tag`, `app:ci`...).
    pub reference: String,
    /// The image's own name when the source records one.
    pub name: Option<String>,
    pub platform: String,
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    /// The config's `User`, as written (`""` means root).
    pub user: String,
    pub working_dir: Option<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LayerFacts {
    pub index: usize,
    pub digest: String,
    pub history_step: Option<usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryFacts {
    pub index: usize,
    pub created_by: Option<String>,
    pub empty_layer: bool,
    pub layer: Option<usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvVar {
    /// Position in the config's `Env`.
    pub index: usize,
    pub name: String,
    pub value: String,
    pub origin: Location,
}

/// Who runs the image's processes and what they see.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Runtime {
    /// The config's `User` resolved against `/etc/passwd`; `None` when a name is not found.
    pub uid: Option<u64>,
    /// The primary group: the number after `:` in `User`, else the passwd entry's.
    pub gid: Option<u64>,
    pub user_name: Option<String>,
    pub is_root: bool,
    /// `HOME` as a container gets it: the `Env` value, else the passwd home, else `/`.
    pub home: String,
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct User {
    pub name: String,
    pub uid: u64,
    pub gid: u64,
    pub home: String,
    pub shell: String,
    /// The account the config's `User` names.
    pub runtime: bool,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StartupFile {
    pub path: String,
    /// `etc_environment`, `etc_profile`, `etc_profile_d`, `etc_bash_bashrc`, `home_bashrc`,
    /// `home_profile`, `home_bash_profile`, `zshenv`, `bash_env_file`.
    pub kind: String,
    pub origin: Location,
    /// Exported assignments of variables that matter to Python and pip.
    pub assignments: Vec<StartupAssignment>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StartupAssignment {
    pub name: String,
    /// The value after quote removal and expansion, when it can be known.
    pub value: Option<String>,
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
    /// `xdg`, `etc`, `legacy`, `user`, `site`, `envfile`: pip's merge order.
    pub kind: String,
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
    /// `env` (the config's `Env`), `startup_file` or `pip_config`.
    pub source: String,
    /// The variable (`PIP_NO_USER`) or the config key as written (`no-user`).
    pub name: String,
    /// The pip option it feeds: `user`, `no-user`, `break-system-packages`, `index-url`,
    /// `extra-index-url`.
    pub option: String,
    /// The config section (`global`, `install`) for config files.
    pub section: Option<String>,
    /// The value as written (credentials redacted).
    pub value: String,
    /// How pip reads it: `true`, `false`, `empty` (ignored), `invalid` (aborts pip), or `text`
    /// for options that are not booleans.
    pub parsed: String,
    /// What it does when it is the setting pip ends up using: `user_install`,
    /// `non_user_install`, `bypass_pep668`, `keep_pep668`, `abort`, `none`, `index`.
    pub effect: String,
    /// Why it may not count: the pip versions in the image ignore it, a higher-precedence
    /// setting overrides it, or the file is hidden. Empty when it counts.
    pub ignored_because: Vec<String>,
    /// For `user`/`no-user` settings that turn user installs on: the launches (`exec`, `shell`)
    /// in which this setting is the one pip ends up using, for some interpreter.
    pub decides_in: Vec<String>,
    /// ...and the launches in which a setting that turns them off wins instead (§1.4: the
    /// shell reorders `PIP_USER` and `PIP_NO_USER`), with the winners (`PIP_USER=0`).
    pub overridden_in: Vec<String>,
    pub overridden_by: Vec<String>,
    /// What `pip install` does where this setting decides: `user`, `refused` (a plain venv
    /// refuses user installs; pip >= 25.3 refuses them with the user site disabled), `error`
    /// (another reason, such as PEP 668).
    pub outcomes: Vec<String>,
    /// For index URLs: whether the URL carried a password or token (now redacted).
    pub has_credentials: bool,
    /// True for start-up files: only some entry points read them.
    pub conditional: bool,
    /// `high` (config `Env`, pip config files), `medium` (start-up files most entry points
    /// read), `low` (inside a shell conditional, or only interactive shells).
    pub precision: String,
    /// The entry points that see it (`all` for the config `Env`).
    pub readers: Vec<String>,
    pub origin: Location,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Python {
    pub id: usize,
    /// `distro`, `source_built`, `venv`, `conda`, `pyenv`, `uv`, `other`.
    pub kind: String,
    pub prefix: String,
    /// The stdlib directory (`sysconfig.get_path("stdlib")`); for a venv, its base's.
    pub stdlib: Option<String>,
    /// `3.11`.
    pub version: String,
    /// The package that owns the stdlib (`libpython3.11-minimal`), with its manager.
    pub owner_package: Option<String>,
    pub package_manager: Option<String>,
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
    /// The package manager that owns it (`dpkg`, `apk`), when its files say so.
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
    /// `present` (a regular file, or a link to one: it blocks, even malformed), `directory`,
    /// `dangling_link` or `not_a_file` (a fifo or device; pip ignores all three), `absent`.
    pub state: String,
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
    /// `exec` (exec-form `CMD`, `docker exec`: `Env` order kept) or `shell` (`sh -c`, `bash -c`:
    /// the shell puts `PIP_USER` before `PIP_NO_USER`).
    pub launch: String,
    /// `user`, `site`, `error`.
    pub outcome: String,
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
