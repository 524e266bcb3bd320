//! pipenv: where it is installed (its `pipenv-*.dist-info`, found in any site-packages by the
//! Python domain) and the `PIPENV_*` variables that decide where its installs go, read as the
//! installed version reads them (`imgaudit-pipenv`, measured in
//! `tests/ground-truth/PIPENV-SEMANTICS.md`).
//!
//! pipenv has no configuration file of its own: its settings are environment variables (and
//! a project's `Pipfile`, which is not read here).
//!
//! For `system` (`PIPENV_SYSTEM`) the setting's `outcomes` say what a later `pipenv install` /
//! `pipenv sync` does to each interpreter it would write into: `python3` (else `python`) on the
//! image's PATH for pipenv ≥ 2022.8.13, the interpreter pipenv is installed in before.

use imgaudit_finding::Precision;
use imgaudit_pip::PipVersion;
use imgaudit_pipenv::{
    BoolValue, Command, FlagEffect, Interpreter, Outcome, PastMarker, PipenvVersion, Scenario,
    SystemTarget, decide, parse_flag_env, pipenv_break_system_packages,
};

use super::{
    InstallResult, InstalledTool, Tool, ToolFound, ToolInput, ToolOutcome, ToolSetting, ToolValue,
    ToolVariable,
};
use crate::context::image_path;
use crate::python::{IndexUrl, MarkerState, Python, PythonKind};
use crate::redact::{has_credentials, redacted_value};

/// pipenv reads nothing but the environment and the project's Pipfile; its installations are
/// found in the site-packages the Python domain already lists.
pub(crate) const CAPTURE: &[&str] = &[];

/// The variables modelled, with pipenv's name for the option.
const OPTIONS: &[(&str, &str)] = &[
    ("PIPENV_SYSTEM", "system"),
    ("PIPENV_BREAK_SYSTEM_PACKAGES", "break-system-packages"),
    ("PIPENV_PYPI_MIRROR", "pypi-mirror"),
];

/// The newest semantics measured: used when the image has no pipenv (it may be installed by a
/// later build `FROM` this image, which then gets the newest release).
const NEWEST: PipenvVersion = PipenvVersion::new(2026, 10, 3);

/// The PATH a container gets when the config's `Env` sets none (Docker's default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One pipenv installed in the image.
struct Installed {
    version: Option<PipenvVersion>,
    /// The `pythons` id of the interpreter whose site-packages holds it.
    python: usize,
}

pub(crate) fn collect(input: &ToolInput<'_>) -> ToolFound {
    let mut found = ToolFound::default();
    let mut installs = Vec::new();
    for python in &input.python.pythons {
        for site in &python.site_packages {
            for dist in &site.distributions {
                if dist.normalized_name != "pipenv" {
                    continue;
                }
                found.installed.push(InstalledTool {
                    tool: Tool::Pipenv,
                    version: Some(dist.version.clone()),
                    path: dist.path.clone(),
                    found_by: "dist_info".to_owned(),
                    origin: dist.origin.clone(),
                });
                installs.push(Installed {
                    version: dist.version.parse().ok(),
                    python: python.id,
                });
            }
        }
    }
    let prefixes: Vec<&str> = OPTIONS.iter().map(|(name, _)| *name).collect();
    let variables: Vec<ToolVariable<'_>> = input
        .variables(&prefixes)
        .into_iter()
        .filter(|v| OPTIONS.iter().any(|(name, _)| *name == v.name))
        .collect();
    for variable in &variables {
        found.settings.push(setting(input, variable, &installs));
    }
    found
}

/// The versions whose reading decides: those installed, else the newest measured.
fn versions(installs: &[Installed]) -> Vec<PipenvVersion> {
    let mut versions: Vec<PipenvVersion> = installs.iter().filter_map(|i| i.version).collect();
    versions.sort();
    versions.dedup();
    if versions.is_empty() {
        versions.push(NEWEST);
    }
    versions
}

fn setting(
    input: &ToolInput<'_>,
    variable: &ToolVariable<'_>,
    installs: &[Installed],
) -> ToolSetting {
    let option = OPTIONS
        .iter()
        .find(|(name, _)| *name == variable.name)
        .map_or("", |(_, option)| *option);
    let versions = versions(installs);
    let mut ignored_because = variable.ignored_because.clone();
    let (parsed, effect_on) = match option {
        "system" => {
            let readings: Vec<_> = versions
                .iter()
                .map(|v| (*v, parse_flag_env(variable.raw, *v)))
                .collect();
            // With several pipenvs installed, it counts when one of them reads it as true.
            let on = readings.iter().any(|(_, r)| r.effect == FlagEffect::On);
            for (v, reading) in readings.iter().filter(|_| !on) {
                ignored_because.push(match (reading.effect, reading.value) {
                    (FlagEffect::Abort, _) => format!(
                        "pipenv {v} stops every command with a usage error (exit 2) on this value"
                    ),
                    (_, BoolValue::Invalid) => format!("pipenv {v} ignores a value it cannot read"),
                    (_, BoolValue::Empty) => format!("pipenv {v} reads an empty value as unset"),
                    _ => format!("pipenv {v} reads it as false and makes a virtualenv"),
                });
            }
            // The newest installed version's reading names the value.
            let shown = readings.last().map_or(BoolValue::Empty, |(_, r)| r.value);
            (bool_value(shown), on)
        }
        "break-system-packages" => {
            let on = pipenv_break_system_packages(variable.raw);
            if !versions
                .iter()
                .any(|v| v.reads_pipenv_break_system_packages())
            {
                ignored_because.push(
                    "only pipenv 2026.4.0 and later read PIPENV_BREAK_SYSTEM_PACKAGES".to_owned(),
                );
            }
            let parsed = if variable.raw.is_empty() {
                ToolValue::Empty
            } else if on {
                ToolValue::True
            } else {
                ToolValue::False
            };
            (parsed, on)
        }
        _ => (
            if variable.raw.is_empty() {
                ToolValue::Empty
            } else {
                ToolValue::Text
            },
            !variable.raw.is_empty(),
        ),
    };
    if !effect_on && ignored_because.is_empty() {
        ignored_because.push("pipenv reads it as false or unset".to_owned());
    }
    let counts = effect_on && ignored_because.is_empty();
    let outcomes = if option == "system" && counts {
        system_outcomes(input, installs)
    } else {
        Vec::new()
    };
    let urls = if option == "pypi-mirror" {
        IndexUrl::parse(variable.raw).into_iter().collect()
    } else {
        Vec::new()
    };
    // Without pipenv in the image the setting waits for a later build to install it.
    let precision = if installs.is_empty() && variable.precision == Precision::High {
        Precision::Medium
    } else {
        variable.precision
    };
    ToolSetting {
        id: 0,
        tool: Tool::Pipenv,
        source: variable.source,
        name: variable.name.to_owned(),
        option: option.to_owned(),
        file: None,
        value: redacted_value(variable.name, variable.raw),
        parsed,
        counts,
        ignored_because,
        has_credentials: has_credentials(variable.raw)
            || urls.iter().any(|u: &IndexUrl| u.has_credentials),
        urls,
        outcomes,
        conditional: variable.conditional,
        precision,
        readers: variable.readers.clone(),
        origin: variable.origin.clone(),
    }
}

fn bool_value(value: BoolValue) -> ToolValue {
    match value {
        BoolValue::True => ToolValue::True,
        BoolValue::False => ToolValue::False,
        BoolValue::Empty => ToolValue::Empty,
        BoolValue::Invalid => ToolValue::Invalid,
    }
}

/// What `pipenv sync --system` does to each interpreter it would write into, per installed
/// pipenv (or the newest, when the image has none).
fn system_outcomes(input: &ToolInput<'_>, installs: &[Installed]) -> Vec<ToolOutcome> {
    let pythons = &input.python.pythons;
    let on_path = python_on_path(input);
    let mut runs: Vec<(PipenvVersion, Option<usize>)> = installs
        .iter()
        .map(|i| (i.version.unwrap_or(NEWEST), Some(i.python)))
        .collect();
    if runs.is_empty() {
        runs.push((NEWEST, None));
    }
    let mut outcomes: Vec<ToolOutcome> = Vec::new();
    for (version, own) in runs {
        let target = match version.system_target() {
            SystemTarget::PipenvInterpreter => own,
            SystemTarget::PythonOnPath => on_path,
        };
        let Some(target) = target.and_then(|id| pythons.iter().find(|p| p.id == id)) else {
            continue;
        };
        if outcomes.iter().any(|o| o.python == target.id) {
            continue;
        }
        let interp = interpreter(input, target);
        let scenario = Scenario {
            version,
            env: &input.ctx.env,
            system_flag: true,
            command: Command::Sync,
            pipenv_python: interp,
            path_python: Some(interp),
        };
        let (result, detail) = match decide(&scenario).outcome {
            Outcome::Installs {
                past_marker: None, ..
            } => (InstallResult::Installs, None),
            Outcome::Installs {
                past_marker: Some(why),
                ..
            } => (
                InstallResult::ForcedPastMarker,
                Some(past_marker_detail(why, version)),
            ),
            Outcome::UserSite { .. } => (
                InstallResult::Installs,
                Some(
                    "its site-packages is not writable by the runtime user: pip falls back to \
                     the user site"
                        .to_owned(),
                ),
            ),
            Outcome::RefusedByMarker { .. } => (
                InstallResult::RefusedByMarker,
                Some(format!(
                    "pipenv {version}'s pip refuses: externally-managed-environment"
                )),
            ),
            Outcome::Aborted { reason, .. } => (InstallResult::Error, Some(reason)),
        };
        outcomes.push(ToolOutcome {
            python: target.id,
            prefix: target.prefix.clone(),
            result,
            detail,
        });
    }
    outcomes
}

fn past_marker_detail(why: PastMarker, version: PipenvVersion) -> String {
    match why {
        PastMarker::BundledPipPredatesPep668 => format!(
            "pipenv {version} installs with its bundled pip 22.x, which predates PEP 668: the \
             marker is never checked"
        ),
        PastMarker::OwnPipPredatesPep668 => {
            "the interpreter's own pip predates PEP 668 (< 23.0): the marker is never checked"
                .to_owned()
        }
        PastMarker::BreakSystemPackages => format!(
            "pipenv {version} passes PIP_BREAK_SYSTEM_PACKAGES to pip: the marker is overridden"
        ),
    }
}

fn interpreter(input: &ToolInput<'_>, python: &Python) -> Interpreter {
    let is_venv = python.kind == PythonKind::Venv || python.venv.is_some();
    let marker = python
        .marker
        .as_ref()
        .is_some_and(|m| m.state == MarkerState::Present);
    let own_pip_enforces_marker = python
        .pip
        .as_ref()
        .and_then(|pip| pip.version.parse::<PipVersion>().ok())
        .is_some_and(PipVersion::enforces_externally_managed);
    Interpreter {
        is_venv,
        marker,
        own_pip_enforces_marker,
        // Writability for a non-root user is not modelled: the outcome is the target's.
        site_writable: input.user.is_root || input.user.uid.is_none(),
    }
}

/// The interpreter `python3` (else `python`) on the image's PATH runs, as pipenv's
/// `system_which` finds it: the first directory holding `python3`, else the first holding
/// `python`. A venv's `bin/python3` is a link to its base: the directory decides first.
fn python_on_path(input: &ToolInput<'_>) -> Option<usize> {
    let path = input.ctx.env_var("PATH").unwrap_or(DEFAULT_PATH);
    for name in ["python3", "python"] {
        for dir in path.split(':').filter(|d| d.starts_with('/')) {
            let dir = dir.trim_end_matches('/');
            let Some(exe) = image_path(&format!("{dir}/{name}")) else {
                continue;
            };
            if !input.ctx.exists(&exe) {
                continue;
            }
            let prefix = dir.strip_suffix("/bin").unwrap_or(dir);
            let prefix = if prefix.is_empty() { "/" } else { prefix };
            if let Some(p) = input.python.pythons.iter().find(|p| p.prefix == prefix) {
                return Some(p.id);
            }
            // A link such as /usr/bin/python3 -> /usr/local/bin/python3.11.
            if let Ok((resolved, _)) = input.ctx.image.fs.lookup(&exe, true) {
                let resolved = crate::context::display(&resolved);
                if let Some(p) = input
                    .python
                    .pythons
                    .iter()
                    .filter(|p| p.venv.is_none())
                    .find(|p| resolved.starts_with(&format!("{}/bin/", p.prefix)))
                {
                    return Some(p.id);
                }
            }
            return None;
        }
    }
    None
}
