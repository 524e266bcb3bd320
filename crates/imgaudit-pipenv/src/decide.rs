//! Where `pipenv install` / `pipenv sync` puts a project's packages (PIPENV-SEMANTICS.md §2–§3).

use serde::Serialize;

use crate::boolean::{FlagEffect, FlagValue, parse_flag_env, pipenv_break_system_packages};
use crate::version::{FlagParser, PipenvVersion, SystemTarget};

/// The pipenv command run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// `pipenv sync`: installs what `Pipfile.lock` pins.
    Sync,
    /// `pipenv install` in a project with a Pipfile (locks when the lock is stale).
    Install,
    /// `pipenv install --deploy`: fails when the lock is stale, else as `install`.
    InstallDeploy,
    /// `pipenv install NAME`: adds NAME to the Pipfile, locks and installs.
    InstallPackage,
}

/// An interpreter as far as an install into it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Interpreter {
    /// A venv (`pyvenv.cfg`): PEP 668 does not apply inside it.
    pub is_venv: bool,
    /// A regular file `<stdlib>/EXTERNALLY-MANAGED` (non-venv interpreters only).
    pub marker: bool,
    /// Its own pip enforces the marker (pip ≥ 23.0); used where pipenv runs that pip.
    pub own_pip_enforces_marker: bool,
    /// The runtime user may write its site-packages.
    pub site_writable: bool,
}

/// One `pipenv` run to predict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario<'a> {
    pub version: PipenvVersion,
    /// The environment pipenv starts with, in order.
    pub env: &'a [(String, String)],
    /// `--system` on the command line.
    pub system_flag: bool,
    pub command: Command,
    /// The interpreter pipenv itself runs under (`sys.executable`).
    pub pipenv_python: Interpreter,
    /// The first `python3` (else `python`) on PATH; `None` when there is none.
    pub path_python: Option<Interpreter>,
}

/// What made pipenv install "to the system" (into an existing interpreter, no virtualenv).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum SystemReason {
    /// `--system` on the command line.
    Flag,
    /// `PIPENV_SYSTEM` read as true.
    Env { value: String },
    /// `VIRTUAL_ENV` is set (and `PIPENV_IGNORE_VIRTUALENVS` is not): pipenv installs into the
    /// active environment as it would with `--system`.
    ActiveVirtualenv,
}

/// Which interpreter receives the packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The first `python3`/`python` on PATH.
    PathPython,
    /// The interpreter pipenv runs under.
    PipenvPython,
    /// The virtualenv `VIRTUAL_ENV` names (every version: pipenv uses it as the project's).
    ActiveVirtualenv,
    /// A virtualenv pipenv creates for the project (`WORKON_HOME`, or `.venv` with
    /// `PIPENV_VENV_IN_PROJECT`).
    NewVirtualenv { in_project: bool },
}

/// Where an install ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "result")]
pub enum Outcome {
    /// Installed into the target's site-packages. `past_marker` when the target carries a
    /// PEP 668 marker that did not stop it (`why` says what let it through).
    Installs {
        target: Target,
        past_marker: Option<PastMarker>,
    },
    /// Installed into the runtime user's user site: the target's site-packages is not writable
    /// and pip falls back (pip ≥ 20).
    UserSite { target: Target },
    /// pip refused: the target is externally managed. pipenv exits 1.
    RefusedByMarker { target: Target },
    /// pipenv stopped before installing.
    Aborted { exit: i32, reason: String },
}

/// What let an install through a PEP 668 marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PastMarker {
    /// pipenv's bundled pip predates PEP 668 (pipenv 2022.8.13 – 2023.2.4, pip 22.x): nothing
    /// is checked.
    BundledPipPredatesPep668,
    /// The interpreter's own pip predates PEP 668 (pipenv ≤ 2022.8.5 runs it).
    OwnPipPredatesPep668,
    /// `PIP_BREAK_SYSTEM_PACKAGES` reached pip (inherited, or set to 1 by pipenv ≥ 2026.4.0 for
    /// `PIPENV_BREAK_SYSTEM_PACKAGES` or any non-empty `PIP_BREAK_SYSTEM_PACKAGES`).
    BreakSystemPackages,
}

/// The prediction for a [`Scenario`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// How `PIPENV_SYSTEM` was read, when set.
    pub system_env: Option<FlagValue>,
    /// Why pipenv installs into an existing interpreter; `None` when it makes a virtualenv.
    pub system: Option<SystemReason>,
    pub outcome: Outcome,
}

fn last<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// pip's `strtobool` of `PIP_BREAK_SYSTEM_PACKAGES` as the bundled or own pip (≥ 23.0.1) reads
/// it when inherited: true for `1 y yes t true on`; pip aborts on anything else non-empty but
/// false (PIP-SEMANTICS.md §1.2); only "true" matters here.
fn pip_reads_true(raw: &str) -> bool {
    matches!(
        raw.to_lowercase().as_str(),
        "1" | "y" | "yes" | "t" | "true" | "on"
    )
}

/// Predicts where the run puts the project's packages (§2, §3).
pub fn decide(s: &Scenario<'_>) -> Decision {
    let system_env = last(s.env, "PIPENV_SYSTEM").map(|raw| parse_flag_env(raw, s.version));
    // The command line wins over the variable: click and the argparse overlay only read the
    // variable when the flag is absent.
    let system = if s.system_flag {
        Some(SystemReason::Flag)
    } else {
        match system_env {
            Some(FlagValue {
                effect: FlagEffect::Abort,
                ..
            }) => {
                return Decision {
                    system_env,
                    system: None,
                    outcome: Outcome::Aborted {
                        exit: 2,
                        reason: "Invalid value for '--system': not a valid boolean".to_owned(),
                    },
                };
            }
            Some(FlagValue {
                effect: FlagEffect::On,
                ..
            }) => Some(SystemReason::Env {
                value: last(s.env, "PIPENV_SYSTEM").unwrap_or_default().to_owned(),
            }),
            _ => active_virtualenv(s).then_some(SystemReason::ActiveVirtualenv),
        }
    };
    // `pipenv install NAME --system` is refused outside an active virtualenv (click era: a
    // usage error, exit 2; ≥ 2026.5.0: `PipenvOptionsError`, exit 1).
    if s.command == Command::InstallPackage
        && matches!(system, Some(SystemReason::Flag | SystemReason::Env { .. }))
        && last(s.env, "VIRTUAL_ENV").is_none_or(str::is_empty)
    {
        let exit = match s.version.flag_parser() {
            FlagParser::Click { .. } => 2,
            FlagParser::EnvToBool => 1,
        };
        return Decision {
            system_env,
            system,
            outcome: Outcome::Aborted {
                exit,
                reason: "--system is intended to be used for Pipfile installation, not \
                         installation of specific packages"
                    .to_owned(),
            },
        };
    }
    let Some(reason) = system else {
        let in_project = last(s.env, "PIPENV_VENV_IN_PROJECT")
            .is_some_and(|raw| parse_flag_env(raw, s.version).effect == FlagEffect::On);
        return Decision {
            system_env,
            system: None,
            outcome: Outcome::Installs {
                target: Target::NewVirtualenv { in_project },
                past_marker: None,
            },
        };
    };
    if reason == SystemReason::ActiveVirtualenv {
        // A venv: PEP 668 does not apply inside it.
        return Decision {
            system_env,
            system: Some(reason),
            outcome: Outcome::Installs {
                target: Target::ActiveVirtualenv,
                past_marker: None,
            },
        };
    }
    let (target, interp, pip_enforces) = match s.version.system_target() {
        SystemTarget::PipenvInterpreter => (
            Target::PipenvPython,
            s.pipenv_python,
            s.pipenv_python.own_pip_enforces_marker,
        ),
        SystemTarget::PythonOnPath => {
            let Some(path_python) = s.path_python else {
                return Decision {
                    system_env,
                    system: Some(reason),
                    outcome: Outcome::Aborted {
                        exit: 1,
                        reason: "The Python interpreter can't be found.".to_owned(),
                    },
                };
            };
            let enforces = s.version.bundled_pip_enforces_marker().unwrap_or(true);
            (Target::PathPython, path_python, enforces)
        }
    };
    let outcome = if interp.marker && !interp.is_venv {
        if !pip_enforces {
            let why = match s.version.system_target() {
                SystemTarget::PipenvInterpreter => PastMarker::OwnPipPredatesPep668,
                SystemTarget::PythonOnPath => PastMarker::BundledPipPredatesPep668,
            };
            landed(target, interp, Some(why))
        } else if breaks_system_packages(s) {
            landed(target, interp, Some(PastMarker::BreakSystemPackages))
        } else {
            Outcome::RefusedByMarker { target }
        }
    } else {
        landed(target, interp, None)
    };
    Decision {
        system_env,
        system: Some(reason),
        outcome,
    }
}

fn landed(target: Target, interp: Interpreter, past_marker: Option<PastMarker>) -> Outcome {
    if interp.site_writable {
        Outcome::Installs {
            target,
            past_marker,
        }
    } else {
        Outcome::UserSite { target }
    }
}

/// `VIRTUAL_ENV` set, `PIPENV_ACTIVE` unset and `PIPENV_IGNORE_VIRTUALENVS` not true
/// (`environments.py`: `PIPENV_USE_SYSTEM = bool(VIRTUAL_ENV)`).
fn active_virtualenv(s: &Scenario<'_>) -> bool {
    let ignore = last(s.env, "PIPENV_IGNORE_VIRTUALENVS")
        .is_some_and(|raw| !raw.is_empty() && !matches!(raw, "0" | "false" | "no" | "off"));
    last(s.env, "VIRTUAL_ENV").is_some_and(|v| !v.is_empty())
        && last(s.env, "PIPENV_ACTIVE").is_none()
        && !ignore
}

/// Whether the pip a system install runs is told to break system packages (§3).
pub fn breaks_system_packages(s: &Scenario<'_>) -> bool {
    let pip_var = last(s.env, "PIP_BREAK_SYSTEM_PACKAGES");
    if s.version.reads_pipenv_break_system_packages() {
        let pipenv_var =
            last(s.env, "PIPENV_BREAK_SYSTEM_PACKAGES").is_some_and(pipenv_break_system_packages);
        // pipenv passes PIP_BREAK_SYSTEM_PACKAGES=1 for any non-empty PIP_BREAK_SYSTEM_PACKAGES.
        pipenv_var || pip_var.is_some_and(|raw| !raw.is_empty())
    } else {
        pip_var.is_some_and(pip_reads_true)
    }
}
