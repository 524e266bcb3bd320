//! Where `poetry install` writes packages (POETRY-SEMANTICS.md §3), and what the PEP 668
//! marker does to it (§3.4: nothing).

use serde::Serialize;

use crate::settings::CreateMode;
use crate::version::{InstallerKind, PoetryVersion};

/// The interpreter poetry itself runs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoetryHost {
    /// Its `sys.prefix`: a system prefix (`/usr`, `/usr/local`, a conda env) when poetry was
    /// installed into it, or the venv poetry lives in (`/opt/poetry`, pipx's venv).
    pub prefix: String,
    /// `sys.base_prefix`: the same as `prefix` outside a venv.
    pub base_prefix: String,
    /// A `poetry_env` file in the venv (the official installer writes one).
    pub poetry_env_file: bool,
    /// The venv lies under poetry's data dir ([`data_dir`]), as the official installer's
    /// `$POETRY_HOME/venv` does.
    pub under_data_dir: bool,
}

impl PoetryHost {
    pub fn is_venv(&self) -> bool {
        self.prefix != self.base_prefix
    }
}

/// poetry's data dir: `POETRY_HOME` when set and non-empty, else `$XDG_DATA_HOME/pypoetry`
/// (blank means unset), else `~/.local/share/pypoetry` (`locations.data_dir`).
pub fn data_dir(env: &[(String, String)], home: &str) -> String {
    let value = |name: &str| {
        env.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(dir) = value("POETRY_HOME").filter(|v| !v.is_empty()) {
        return dir.trim_end_matches('/').to_owned();
    }
    if let Some(xdg) = value("XDG_DATA_HOME").filter(|v| !v.trim().is_empty()) {
        return format!("{}/pypoetry", xdg.trim_end_matches('/'));
    }
    let home = value("HOME").unwrap_or(home);
    format!("{}/.local/share/pypoetry", home.trim_end_matches('/'))
}

/// What poetry is run with, besides its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInput<'a> {
    pub version: PoetryVersion,
    pub create: CreateMode,
    pub host: &'a PoetryHost,
    /// `VIRTUAL_ENV`, when set.
    pub virtual_env: Option<&'a str>,
    /// Whether the directory `VIRTUAL_ENV` names holds a working environment: poetry ignores
    /// one that does not (§3.2, run).
    pub virtual_env_usable: bool,
    /// `CONDA_PREFIX` and `CONDA_DEFAULT_ENV`, when set.
    pub conda_prefix: Option<&'a str>,
    pub conda_default_env: Option<&'a str>,
    /// The project has a `.venv` directory (`{project}/.venv`): poetry uses it whatever
    /// `virtualenvs.create` says.
    pub in_project_venv: bool,
    /// `installer.modern-installation`, where the release has it.
    pub modern_installation: Option<bool>,
}

/// Where the packages go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Target {
    /// The project's own virtualenv, created if needed (poetry's cache dir, or `.venv` with
    /// `virtualenvs.in-project`).
    ProjectVenv,
    /// The existing `{project}/.venv`.
    InProjectVenv,
    /// The active environment named by `VIRTUAL_ENV` (or `CONDA_PREFIX` with a
    /// `CONDA_DEFAULT_ENV` other than `base`), used even when `virtualenvs.create` is true.
    ActiveEnv { prefix: String },
    /// An interpreter's own site-packages: the "system" environment.
    Interpreter { prefix: String, why: SystemEnv },
    /// [`CreateMode::UnbuiltVenv`] with pip as the installer: `pip install --prefix` into the
    /// venv's path that was never built, a directory tree no interpreter reads.
    UnbuiltVenvDirectory,
    /// [`CreateMode::UnbuiltVenv`] with poetry's own installer: the missing venv's `python`
    /// falls back to the first `python` on `PATH`, which receives the packages.
    PythonOnPath,
}

/// Why the "system" environment is the interpreter it is (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SystemEnv {
    /// poetry runs in this interpreter (installed into it with pip, or in a conda env).
    PoetrysInterpreter,
    /// poetry runs in a venv and this is the venv's base interpreter: always from 1.8.0;
    /// before, for a venv with a `poetry_env` file or under the data dir.
    BaseOfPoetrysVenv,
    /// poetry runs in a venv and installs into that venv itself (< 1.8.0, any other venv).
    PoetrysOwnVenv,
}

/// Where `poetry install` writes, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallPlan {
    pub target: Target,
    pub installer: InstallerKind,
}

/// Decides where `poetry install` (or `add`, `update`, `sync`) writes packages.
///
/// The order is `EnvManager.get`/`create_venv`'s: an active environment first (`VIRTUAL_ENV`,
/// else `CONDA_PREFIX` unless `CONDA_DEFAULT_ENV` is `base`), then an existing in-project
/// `.venv`, then `virtualenvs.create`.
pub fn install_target(input: &TargetInput<'_>) -> InstallPlan {
    let installer = input.version.installer(input.modern_installation);
    let target = target(input, installer);
    InstallPlan { target, installer }
}

fn target(input: &TargetInput<'_>, installer: InstallerKind) -> Target {
    // `os.environ.get("VIRTUAL_ENV", os.environ.get("CONDA_PREFIX"))`: a set VIRTUAL_ENV wins
    // even when it is unusable.
    let active = match (input.virtual_env, input.conda_prefix) {
        (Some(venv), _) => Some((venv, input.virtual_env_usable)),
        (None, Some(conda)) if !conda.is_empty() => Some((conda, true)),
        _ => None,
    };
    let in_env = active.is_some() && input.conda_default_env != Some("base");
    if let Some((prefix, usable)) = active {
        if in_env && usable {
            return Target::ActiveEnv {
                prefix: prefix.to_owned(),
            };
        }
    }
    if input.in_project_venv {
        return Target::InProjectVenv;
    }
    match input.create {
        CreateMode::Venv => Target::ProjectVenv,
        CreateMode::System => system_env(input),
        CreateMode::UnbuiltVenv => match installer {
            InstallerKind::PipWithPrefix => Target::UnbuiltVenvDirectory,
            InstallerKind::Installer => Target::PythonOnPath,
        },
    }
}

/// `EnvManager.get_system_env` (§3.1).
fn system_env(input: &TargetInput<'_>) -> Target {
    let host = input.host;
    if !host.is_venv() {
        return Target::Interpreter {
            prefix: host.prefix.clone(),
            why: SystemEnv::PoetrysInterpreter,
        };
    }
    if input.version.system_env_is_always_base() || host.poetry_env_file || host.under_data_dir {
        Target::Interpreter {
            prefix: host.base_prefix.clone(),
            why: SystemEnv::BaseOfPoetrysVenv,
        }
    } else {
        Target::Interpreter {
            prefix: host.prefix.clone(),
            why: SystemEnv::PoetrysOwnVenv,
        }
    }
}

/// What an interpreter's PEP 668 `EXTERNALLY-MANAGED` marker does to a poetry install into it:
/// nothing, in every release measured (§3.4). poetry's own installer never looks for it, and
/// the pip-based one (< 1.4, or `installer.modern-installation = false`) runs
/// `pip install --prefix`, which pip exempts from the check.
pub const MARKER_STOPS_POETRY: bool = false;

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn data_dir_order() {
        assert_eq!(data_dir(&env(&[]), "/root"), "/root/.local/share/pypoetry");
        assert_eq!(
            data_dir(&env(&[("POETRY_HOME", "/opt/poetry/")]), "/r"),
            "/opt/poetry"
        );
        assert_eq!(
            data_dir(&env(&[("XDG_DATA_HOME", "/d")]), "/r"),
            "/d/pypoetry"
        );
        assert_eq!(
            data_dir(&env(&[("POETRY_HOME", "")]), "/r"),
            "/r/.local/share/pypoetry"
        );
    }
}
