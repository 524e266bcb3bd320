//! Where `uv pip install` and `uv sync` put a package (UV-SEMANTICS.md §2, §4).

use serde::Serialize;

use crate::version::UvVersion;

/// An interpreter as uv sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interpreter {
    /// `sys.prefix`.
    pub prefix: String,
    /// A venv (`pyvenv.cfg` beside or above the executable).
    pub is_venv: bool,
    /// `<stdlib>/EXTERNALLY-MANAGED` is a regular file (never true for a venv).
    pub externally_managed: bool,
}

/// What uv has to choose an interpreter from for `uv pip install`.
#[derive(Debug, Clone, Copy)]
pub struct PipInstallInput<'a> {
    pub version: UvVersion,
    /// `--system` / `UV_SYSTEM_PYTHON` / `system = true`, as resolved.
    pub system: bool,
    /// `--break-system-packages` / `UV_BREAK_SYSTEM_PACKAGES` / `break-system-packages = true`.
    pub break_system_packages: bool,
    /// `--python <path>`.
    pub explicit_python: Option<&'a Interpreter>,
    /// The environment `VIRTUAL_ENV` names.
    pub virtual_env: Option<&'a Interpreter>,
    /// The environment `CONDA_PREFIX` names.
    pub conda_prefix: Option<&'a Interpreter>,
    /// A `.venv` in the cwd or a parent.
    pub dot_venv: Option<&'a Interpreter>,
    /// The interpreters found as `python3`/`python` on `PATH`, in `PATH` order.
    pub path_pythons: &'a [Interpreter],
}

/// What `uv pip install` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum PipLanding {
    /// Installs into `prefix`; `forced_past_marker` when the interpreter is externally managed and
    /// `break-system-packages` let it through.
    Installs {
        prefix: String,
        system: bool,
        forced_past_marker: bool,
    },
    /// Refused: the interpreter's `EXTERNALLY-MANAGED` marker (exit 2).
    RefusedByMarker { prefix: String },
    /// No venv and no system switch: `No virtual environment found` (exit 2).
    NoVenv,
    /// The system switch, but only venv interpreters on `PATH`: `No system Python installation
    /// found` (exit 2).
    NoSystemPython,
}

/// Where `uv pip install` goes (§2).
pub fn pip_install_target(input: &PipInstallInput<'_>) -> PipLanding {
    let target = if let Some(python) = input.explicit_python {
        Some(python)
    } else if let Some(conda) = input.conda_prefix {
        // CONDA_PREFIX counts as an active environment in both modes (run; see §2 for the part
        // the runs do not separate).
        if input.system || input.virtual_env.is_none() {
            Some(conda)
        } else {
            input.virtual_env
        }
    } else if input.system {
        if input.version.distinguishes_venvs_on_path() {
            let found = input.path_pythons.iter().find(|p| !p.is_venv);
            if found.is_none() {
                return PipLanding::NoSystemPython;
            }
            found
        } else {
            let found = input.path_pythons.first();
            if found.is_none() {
                return PipLanding::NoSystemPython;
            }
            found
        }
    } else {
        input.virtual_env.or(input.dot_venv).or_else(|| {
            if input.version.distinguishes_venvs_on_path() {
                input.path_pythons.first().filter(|p| p.is_venv)
            } else {
                None
            }
        })
    };
    let Some(target) = target else {
        return PipLanding::NoVenv;
    };
    let marked = target.externally_managed && !target.is_venv;
    if marked && !input.break_system_packages {
        return PipLanding::RefusedByMarker {
            prefix: target.prefix.clone(),
        };
    }
    PipLanding::Installs {
        prefix: target.prefix.clone(),
        system: !target.is_venv,
        forced_past_marker: marked,
    }
}

/// Where `uv sync` installs (§4): `UV_PROJECT_ENVIRONMENT` if set, else the project's `.venv`.
/// `UV_SYSTEM_PYTHON` and `VIRTUAL_ENV` do not change it, and the `EXTERNALLY-MANAGED` marker of a
/// system prefix named by `UV_PROJECT_ENVIRONMENT` is not consulted.
pub fn sync_target(project_environment: Option<&str>, project_dir: &str) -> String {
    project_environment.map_or_else(
        || format!("{}/.venv", project_dir.trim_end_matches('/')),
        str::to_owned,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interp(prefix: &str, is_venv: bool, marker: bool) -> Interpreter {
        Interpreter {
            prefix: prefix.into(),
            is_venv,
            externally_managed: marker,
        }
    }

    #[test]
    fn system_switch_on_debian_is_refused_unless_forced() {
        let deb = [interp("/usr", false, true)];
        let mut input = PipInstallInput {
            version: UvVersion::NEWEST_MEASURED,
            system: true,
            break_system_packages: false,
            explicit_python: None,
            virtual_env: None,
            conda_prefix: None,
            dot_venv: None,
            path_pythons: &deb,
        };
        assert_eq!(
            pip_install_target(&input),
            PipLanding::RefusedByMarker {
                prefix: "/usr".into()
            }
        );
        input.break_system_packages = true;
        assert_eq!(
            pip_install_target(&input),
            PipLanding::Installs {
                prefix: "/usr".into(),
                system: true,
                forced_past_marker: true
            }
        );
        input.system = false;
        assert_eq!(pip_install_target(&input), PipLanding::NoVenv);
    }

    #[test]
    fn sync_goes_where_project_environment_points() {
        assert_eq!(sync_target(None, "/app/"), "/app/.venv");
        assert_eq!(sync_target(Some("/usr/local"), "/app"), "/usr/local");
    }
}
