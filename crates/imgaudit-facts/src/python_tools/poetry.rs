//! poetry: where it is installed, the configuration files it reads for the runtime user (and
//! those it does not, with why), and the settings that steer it: `virtualenvs.create` (whether
//! `poetry install` writes into an interpreter's own site-packages) and credentials. The
//! semantics are `imgaudit-poetry`'s, measured by running poetry (POETRY-SEMANTICS.md).

use std::collections::BTreeSet;

use imgaudit_finding::Precision;
use imgaudit_layer::EntryKind;
use imgaudit_poetry::{
    ConfigDir, ConfigDirSource, ConfigFileKind, ConfigLayer, CreateMode, CredentialKind,
    PoetryConfig, PoetryConfigFile, PoetryHost, PoetryVersion, SystemEnv, Target, TargetInput,
    TomlValue, config_dir, credential_variable, data_dir, file_create_mode, install_target,
    locate_project, parse_env_bool,
};

use super::{
    InstallResult, InstalledTool, Tool, ToolConfigEntry, ToolConfigFile, ToolFound, ToolInput,
    ToolOutcome, ToolSetting, ToolSettingSource, ToolValue, ToolVariable,
};
use crate::Location;
use crate::context::{display, image_path};
use crate::python::{IndexUrl, MarkerState, Python, PythonKind};
use crate::redact::{MASK, has_credentials, redacted, redacted_value};

/// The capture patterns this module reads: the config and auth files in any `pypoetry`
/// directory (every home's, `$XDG_CONFIG_HOME`'s) and every `poetry.toml`. A
/// `POETRY_CONFIG_DIR` elsewhere is read on demand.
pub(crate) const CAPTURE: &[&str] = &[
    "**/pypoetry/config.toml",
    "**/pypoetry/auth.toml",
    "**/poetry.toml",
];

/// The release whose semantics apply when the image has no poetry (the user will install a
/// current one).
const NEWEST_MEASURED: PoetryVersion = PoetryVersion::new(2, 5, 1);

/// Configuration files looked at, at most: a hostile image cannot make the facts grow without
/// bound.
const MAX_FILES: usize = 256;

const OPTION_CREATE: &str = "virtualenvs.create";

/// One installation of poetry: its distribution in an interpreter's site-packages.
struct Installation<'a> {
    version: Option<PoetryVersion>,
    python: &'a Python,
}

/// A configuration file found in the image, with its parse.
struct FoundFile {
    doc: ToolConfigFile,
    kind: ConfigFileKind,
    parsed: Option<PoetryConfigFile>,
}

pub(crate) fn collect(input: &ToolInput<'_>) -> ToolFound {
    let mut found = ToolFound::default();
    let installations = installations(input, &mut found);
    let versions: BTreeSet<PoetryVersion> =
        installations.iter().filter_map(|i| i.version).collect();
    // The newest installed poetry decides how values read (they differ only in details the
    // notes name); without one, the newest measured.
    let version = versions.last().copied().unwrap_or(NEWEST_MEASURED);

    let env = &input.ctx.env;
    let home = input.user.home.as_str();
    let dir = config_dir(env, home);
    let workdir = input
        .ctx
        .image
        .meta
        .config
        .config()
        .as_ref()
        .and_then(|c| c.working_dir().clone())
        .filter(|w| w.starts_with('/'))
        .unwrap_or_else(|| "/".to_owned());
    let project = locate_project(&workdir, |p| {
        image_path(p).is_some_and(|path| input.ctx.exists(&path))
    });
    let files = config_files(input, &dir, project.as_deref(), &workdir, &mut found.notes);

    let variables = input.variables(&["POETRY_"]);
    let read_layers: Vec<ConfigLayer<'_>> = files
        .iter()
        .filter(|f| f.doc.read)
        .filter_map(|f| {
            Some(ConfigLayer {
                kind: f.kind,
                file: f.parsed.as_ref()?,
            })
        })
        .collect();
    let config = PoetryConfig {
        version,
        env,
        layers: read_layers,
    };
    let targets = Targets {
        input,
        installations: &installations,
        version,
        project: project.as_deref(),
    };

    let mut settings = Vec::new();
    for variable in &variables {
        if let Some(setting) = variable_setting(variable, version, &targets) {
            settings.push(setting);
        }
    }
    for file in &files {
        file_settings(file, &config, &variables, &targets, &mut settings);
    }
    if installations.is_empty() && !settings.is_empty() {
        found.notes.push(format!(
            "poetry is not installed in the image: its settings are read as poetry {NEWEST_MEASURED} reads them"
        ));
    }
    if let (Some(oldest), Some(newest)) = (versions.first(), versions.last()) {
        if oldest.lowercases_booleans() != newest.lowercases_booleans() {
            found.notes.push(format!(
                "poetry {oldest} and {newest} are both installed: `True`/`TRUE` in a POETRY_* boolean reads as false before 2.1.0 and true after; the values here are read as {newest} reads them"
            ));
        }
    }
    found.config_files = files.into_iter().map(|f| f.doc).collect();
    found.settings = settings;
    found
}

fn installations<'a>(input: &ToolInput<'a>, found: &mut ToolFound) -> Vec<Installation<'a>> {
    let mut installs = Vec::new();
    for python in &input.python.pythons {
        for site in &python.site_packages {
            for dist in site
                .distributions
                .iter()
                .filter(|d| d.normalized_name == "poetry")
            {
                found.installed.push(InstalledTool {
                    tool: Tool::Poetry,
                    version: Some(dist.version.clone()),
                    path: dist.path.clone(),
                    found_by: "dist_info".to_owned(),
                    origin: dist.origin.clone(),
                });
                installs.push(Installation {
                    version: dist.version.parse().ok(),
                    python,
                });
            }
        }
    }
    installs
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// Every poetry configuration file in the image: those poetry reads for the runtime user
/// (`config.toml` and `auth.toml` in its config dir, the project's `poetry.toml`) and the
/// others, unread, with why.
fn config_files(
    input: &ToolInput<'_>,
    dir: &ConfigDir,
    project: Option<&str>,
    workdir: &str,
    notes: &mut Vec<String>,
) -> Vec<FoundFile> {
    let ctx = input.ctx;
    let mut wanted: Vec<(String, ConfigFileKind)> = vec![
        (join(&dir.path, "config.toml"), ConfigFileKind::Global),
        (join(&dir.path, "auth.toml"), ConfigFileKind::Auth),
    ];
    if let Some(project) = project {
        wanted.push((join(project, "poetry.toml"), ConfigFileKind::Local));
    }
    let read: BTreeSet<String> = wanted.iter().map(|(p, _)| p.clone()).collect();
    let mut others = Vec::new();
    for (path, node) in ctx.image.fs.iter() {
        if node.kind() != EntryKind::File {
            continue;
        }
        let shown = display(path);
        if read.contains(&shown) {
            continue;
        }
        let kind = if shown.ends_with("/pypoetry/config.toml") {
            ConfigFileKind::Global
        } else if shown.ends_with("/pypoetry/auth.toml") {
            ConfigFileKind::Auth
        } else if shown.ends_with("/poetry.toml") {
            ConfigFileKind::Local
        } else {
            continue;
        };
        others.push((shown, kind));
    }
    if others.len() + wanted.len() > MAX_FILES {
        notes.push(format!(
            "{} poetry configuration files: only the first {MAX_FILES} are read",
            others.len() + wanted.len()
        ));
        others.truncate(MAX_FILES.saturating_sub(wanted.len()));
    }
    let mut files = Vec::new();
    for (path, kind) in wanted {
        if let Some(file) = read_file(input, &path, kind, true, None, dir) {
            files.push(file);
        }
    }
    for (path, kind) in others {
        let why = not_read_because(&path, kind, dir, project, workdir, input);
        if let Some(file) = read_file(input, &path, kind, false, Some(why), dir) {
            files.push(file);
        }
    }
    files
}

fn not_read_because(
    path: &str,
    kind: ConfigFileKind,
    dir: &ConfigDir,
    project: Option<&str>,
    workdir: &str,
    input: &ToolInput<'_>,
) -> String {
    match kind {
        ConfigFileKind::Local => match project {
            Some(project) => format!(
                "poetry reads only the poetry.toml beside the pyproject.toml it finds from the working directory ({workdir}): {}",
                join(project, "poetry.toml")
            ),
            None => format!(
                "poetry reads a poetry.toml only beside the pyproject.toml it finds from the working directory, and there is none from {workdir} up"
            ),
        },
        ConfigFileKind::Global | ConfigFileKind::Auth => {
            let owner = input
                .users
                .iter()
                .find(|u| {
                    !u.home.is_empty() && u.home != "/" && path.starts_with(&join(&u.home, ""))
                })
                .map(|u| u.name.clone());
            let redirect = match dir.source {
                ConfigDirSource::PoetryConfigDir => "POETRY_CONFIG_DIR points poetry at",
                ConfigDirSource::XdgConfigHome => "XDG_CONFIG_HOME points poetry at",
                ConfigDirSource::Home => "poetry reads the runtime user's",
            };
            match owner {
                Some(user) => format!(
                    "it belongs to {user}'s home; {redirect} {} (HOME={})",
                    dir.path, input.user.home
                ),
                None => format!("{redirect} {}", dir.path),
            }
        }
    }
}

fn read_file(
    input: &ToolInput<'_>,
    path: &str,
    kind: ConfigFileKind,
    read: bool,
    not_read_because: Option<String>,
    dir: &ConfigDir,
) -> Option<FoundFile> {
    let image_path = image_path(path)?;
    let content = input.ctx.content(&image_path, "tool_config_files")?;
    let text = String::from_utf8_lossy(content);
    let (parsed, problems) = match PoetryConfigFile::parse(&text) {
        Ok(parsed) => (Some(parsed), Vec::new()),
        Err(e) => (
            None,
            vec![format!(
                "line {}: not TOML ({}): poetry stops with \"Invalid TOML file\" on every command{}",
                e.line,
                redacted(&e.message),
                if read { "" } else { " that reads it" }
            )],
        ),
    };
    let entries = parsed
        .as_ref()
        .map(|p| {
            p.entries
                .iter()
                .map(|e| {
                    let (value, has_credentials) = shown_value(&e.path, &e.value);
                    ToolConfigEntry {
                        table: e.table(),
                        key: e.key().to_owned(),
                        value,
                        line: Some(e.line),
                        has_credentials,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let scope = match kind {
        ConfigFileKind::Local => path.strip_suffix("/poetry.toml").map_or_else(
            || "/".to_owned(),
            |d| {
                if d.is_empty() {
                    "/".to_owned()
                } else {
                    d.to_owned()
                }
            },
        ),
        ConfigFileKind::Global | ConfigFileKind::Auth => {
            if read && dir.source == ConfigDirSource::PoetryConfigDir {
                "POETRY_CONFIG_DIR".to_owned()
            } else {
                input
                    .users
                    .iter()
                    .map(|u| u.home.as_str())
                    .chain(std::iter::once(input.user.home.as_str()))
                    .filter(|h| !h.is_empty() && *h != "/" && path.starts_with(&join(h, "")))
                    .max_by_key(|h| h.len())
                    .unwrap_or("everyone")
                    .to_owned()
            }
        }
    };
    Some(FoundFile {
        doc: ToolConfigFile {
            tool: Tool::Poetry,
            path: path.to_owned(),
            kind: match kind {
                ConfigFileKind::Global => "user",
                ConfigFileKind::Auth => "auth",
                ConfigFileKind::Local => "project",
            }
            .to_owned(),
            scope,
            read,
            not_read_because,
            origin: input.ctx.file_origin(&image_path),
            entries,
            problems,
        },
        kind,
        parsed,
    })
}

/// What a file key means to poetry, when it matters here.
enum KeyMeaning {
    Create,
    Credential(CredentialKind, String),
    RepositoryUrl(String),
}

fn key_meaning(path: &[String]) -> Option<KeyMeaning> {
    match path {
        [a, b] if a == "virtualenvs" && b == "create" => Some(KeyMeaning::Create),
        [a, source, key] if a == "http-basic" && key == "password" => Some(KeyMeaning::Credential(
            CredentialKind::HttpBasicPassword,
            source.clone(),
        )),
        [a, source, key] if a == "http-basic" && key == "username" => Some(KeyMeaning::Credential(
            CredentialKind::HttpBasicUsername,
            source.clone(),
        )),
        [a, source] if a == "pypi-token" => Some(KeyMeaning::Credential(
            CredentialKind::PypiToken,
            source.clone(),
        )),
        [a, source, key] if a == "repositories" && key == "url" => {
            Some(KeyMeaning::RepositoryUrl(source.clone()))
        }
        _ => None,
    }
}

/// A file value as the document shows it (secrets masked) and whether it held a credential.
fn shown_value(path: &[String], value: &TomlValue) -> (String, bool) {
    let text = value
        .as_str()
        .map_or_else(|| value.display(), str::to_owned);
    match key_meaning(path) {
        Some(KeyMeaning::Credential(kind, _)) if kind.is_secret() => {
            if text.is_empty() {
                (String::new(), false)
            } else {
                (MASK.to_owned(), true)
            }
        }
        _ => (redacted(&text), has_credentials(&text)),
    }
}

/// What it takes to say where `poetry install` writes.
struct Targets<'a> {
    input: &'a ToolInput<'a>,
    installations: &'a [Installation<'a>],
    version: PoetryVersion,
    project: Option<&'a str>,
}

impl Targets<'_> {
    fn python_at(&self, prefix: &str) -> Option<&Python> {
        let prefix = prefix.trim_end_matches('/');
        self.input
            .python
            .pythons
            .iter()
            .find(|p| p.prefix.trim_end_matches('/') == prefix)
    }

    /// The base interpreter of a venv, from its `pyvenv.cfg` `home`.
    fn base_of(&self, venv: &Python) -> Option<&Python> {
        let home = venv.venv.as_ref()?.home.as_deref()?;
        let base = home.trim_end_matches('/').strip_suffix("/bin")?;
        self.python_at(base).filter(|p| p.kind != PythonKind::Venv)
    }

    fn is_env_dir(&self, prefix: &str) -> bool {
        self.python_at(prefix).is_some()
    }

    /// What an install with `virtualenvs.create` in `mode` does to each interpreter it would
    /// write into (empty when it writes into a virtualenv only).
    fn outcomes(&self, mode: CreateMode) -> Vec<ToolOutcome> {
        let ctx = self.input.ctx;
        let env_value = |name: &str| ctx.env_var(name);
        let virtual_env = env_value("VIRTUAL_ENV");
        let in_project_venv = self.project.is_some_and(|p| {
            image_path(&join(p, ".venv/pyvenv.cfg")).is_some_and(|path| ctx.exists(&path))
        });
        let mut outcomes = Vec::new();
        let hosts: Vec<(PoetryHost, Option<PoetryVersion>, &Python)> =
            if self.installations.is_empty() {
                // No poetry yet: one installed later into any system interpreter (or, from 1.8, a
                // venv made from it) installs there.
                self.input
                    .python
                    .pythons
                    .iter()
                    .filter(|p| p.kind != PythonKind::Venv)
                    .map(|p| {
                        (
                            PoetryHost {
                                prefix: p.prefix.clone(),
                                base_prefix: p.prefix.clone(),
                                poetry_env_file: false,
                                under_data_dir: false,
                            },
                            None,
                            p,
                        )
                    })
                    .collect()
            } else {
                let data = data_dir(&ctx.env, &self.input.user.home);
                self.installations
                    .iter()
                    .map(|i| {
                        let base = if i.python.kind == PythonKind::Venv {
                            self.base_of(i.python)
                                .map_or(i.python.prefix.clone(), |b| b.prefix.clone())
                        } else {
                            i.python.prefix.clone()
                        };
                        let poetry_env_file = image_path(&join(&i.python.prefix, "poetry_env"))
                            .is_some_and(|p| ctx.exists(&p));
                        let under_data_dir = i.python.prefix.starts_with(&join(&data, ""));
                        (
                            PoetryHost {
                                prefix: i.python.prefix.clone(),
                                base_prefix: base,
                                poetry_env_file,
                                under_data_dir,
                            },
                            i.version,
                            i.python,
                        )
                    })
                    .collect()
            };
        for (host, version, _) in &hosts {
            let version = version.unwrap_or(self.version);
            let input = TargetInput {
                version,
                create: mode,
                host,
                virtual_env,
                virtual_env_usable: virtual_env.is_some_and(|v| self.is_env_dir(v)),
                conda_prefix: env_value("CONDA_PREFIX"),
                conda_default_env: env_value("CONDA_DEFAULT_ENV"),
                in_project_venv,
                modern_installation: None,
            };
            let plan = install_target(&input);
            let (prefix, detail) = match &plan.target {
                Target::ProjectVenv | Target::InProjectVenv | Target::UnbuiltVenvDirectory => {
                    continue;
                }
                Target::ActiveEnv { prefix } => (
                    prefix.clone(),
                    format!(
                        "poetry {version} installs into the active environment {prefix} (VIRTUAL_ENV/CONDA_PREFIX), whatever virtualenvs.create says"
                    ),
                ),
                Target::Interpreter { prefix, why } => (
                    prefix.clone(),
                    match why {
                        SystemEnv::PoetrysInterpreter => format!(
                            "poetry {version} runs in this interpreter and installs into its own site-packages"
                        ),
                        SystemEnv::BaseOfPoetrysVenv => format!(
                            "poetry {version} runs in the venv {} and installs into that venv's base interpreter",
                            host.prefix
                        ),
                        SystemEnv::PoetrysOwnVenv => format!(
                            "poetry {version} (before 1.8) installs into the venv it runs in"
                        ),
                    },
                ),
                Target::PythonOnPath => match self.python_on_path() {
                    Some(p) => (
                        p.prefix.clone(),
                        format!(
                            "a falsy virtualenvs.create that is not `false` makes poetry {version} announce a virtualenv it never builds: packages go to the first python on PATH"
                        ),
                    ),
                    None => continue,
                },
            };
            // Only interpreters' own sites: a venv receiving the packages is what it is for.
            let Some(python) = self
                .python_at(&prefix)
                .filter(|p| p.kind != PythonKind::Venv)
            else {
                continue;
            };
            if outcomes.iter().any(|o: &ToolOutcome| o.python == python.id) {
                continue;
            }
            let marker = python
                .marker
                .as_ref()
                .is_some_and(|m| m.state == MarkerState::Present);
            let (result, detail) = if marker {
                (
                    InstallResult::ForcedPastMarker,
                    format!("{detail}; poetry never reads the PEP 668 marker, so nothing stops it"),
                )
            } else {
                (InstallResult::Installs, detail)
            };
            outcomes.push(ToolOutcome {
                python: python.id,
                prefix: python.prefix.clone(),
                result,
                detail: Some(detail),
            });
        }
        outcomes
    }

    /// The interpreter `python` on the config's PATH runs.
    fn python_on_path(&self) -> Option<&Python> {
        let ctx = self.input.ctx;
        let path = ctx
            .env_var("PATH")
            .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        path.split(':')
            .filter(|d| d.starts_with('/'))
            .find_map(|dir| {
                let exe = image_path(&join(dir, "python"))?;
                if !ctx.exists(&exe) {
                    return None;
                }
                self.python_at(dir.trim_end_matches('/').strip_suffix("/bin")?)
            })
    }
}

fn create_parsed(mode: CreateMode) -> ToolValue {
    match mode {
        CreateMode::Venv => ToolValue::True,
        CreateMode::System | CreateMode::UnbuiltVenv => ToolValue::False,
    }
}

fn variable_setting(
    variable: &ToolVariable<'_>,
    version: PoetryVersion,
    targets: &Targets<'_>,
) -> Option<ToolSetting> {
    let raw = variable.raw;
    let mut ignored_because = variable.ignored_because.clone();
    let (option, parsed, outcomes, has_creds, urls) =
        if variable.name == "POETRY_VIRTUALENVS_CREATE" {
            let reading = parse_env_bool(raw, version);
            let mode = if reading.value {
                CreateMode::Venv
            } else {
                CreateMode::System
            };
            let outcomes = if reading.value {
                Vec::new()
            } else {
                targets.outcomes(mode)
            };
            (
                OPTION_CREATE.to_owned(),
                create_parsed(mode),
                outcomes,
                false,
                Vec::new(),
            )
        } else if let Some(var) = credential_variable(variable.name) {
            let source = var.source.to_lowercase();
            let secret = var.kind.is_secret() && !raw.is_empty();
            (
                var.kind.option(&source),
                ToolValue::Text,
                Vec::new(),
                secret,
                Vec::new(),
            )
        } else if let Some(repo) = variable
            .name
            .strip_prefix("POETRY_REPOSITORIES_")
            .and_then(|r| r.strip_suffix("_URL"))
            .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        {
            let name = repo.to_lowercase().replace('_', "-");
            let urls: Vec<IndexUrl> = IndexUrl::parse(raw).into_iter().collect();
            (
                format!("repositories.{name}.url"),
                ToolValue::Text,
                Vec::new(),
                has_credentials(raw),
                urls,
            )
        } else {
            return None;
        };
    ignored_because.dedup();
    Some(ToolSetting {
        id: 0,
        tool: Tool::Poetry,
        source: variable.source,
        name: variable.name.to_owned(),
        option,
        file: None,
        value: redacted_value(variable.name, raw),
        parsed,
        counts: ignored_because.is_empty(),
        ignored_because,
        has_credentials: has_creds,
        urls,
        outcomes,
        conditional: variable.conditional,
        precision: variable.precision,
        readers: variable.readers.clone(),
        origin: variable.origin.clone(),
    })
}

fn file_settings(
    file: &FoundFile,
    config: &PoetryConfig<'_>,
    variables: &[ToolVariable<'_>],
    targets: &Targets<'_>,
    settings: &mut Vec<ToolSetting>,
) {
    let Some(parsed) = &file.parsed else {
        return;
    };
    for entry in &parsed.entries {
        let Some(meaning) = key_meaning(&entry.path) else {
            continue;
        };
        let path: Vec<&str> = entry.path.iter().map(String::as_str).collect();
        let mut ignored_because = Vec::new();
        if let Some(why) = &file.doc.not_read_because {
            ignored_because.push(format!("the file is not read: {why}"));
        }
        let (value, has_creds) = shown_value(&entry.path, &entry.value);
        let (option, parsed_value, outcomes, urls) = match &meaning {
            KeyMeaning::Create => {
                let mode = file_create_mode(&entry.value, config.version);
                if ignored_because.is_empty() {
                    overridden(
                        file,
                        entry.line,
                        &path,
                        config,
                        variables,
                        &mut ignored_because,
                    );
                }
                let outcomes = if mode == CreateMode::Venv {
                    Vec::new()
                } else {
                    targets.outcomes(mode)
                };
                (
                    OPTION_CREATE.to_owned(),
                    create_parsed(mode),
                    outcomes,
                    Vec::new(),
                )
            }
            KeyMeaning::Credential(kind, source) => {
                if ignored_because.is_empty() {
                    overridden(
                        file,
                        entry.line,
                        &path,
                        config,
                        variables,
                        &mut ignored_because,
                    );
                }
                (kind.option(source), ToolValue::Text, Vec::new(), Vec::new())
            }
            KeyMeaning::RepositoryUrl(source) => {
                let raw = entry.value.as_str().unwrap_or_default();
                (
                    format!("repositories.{source}.url"),
                    ToolValue::Text,
                    Vec::new(),
                    IndexUrl::parse(raw).into_iter().collect(),
                )
            }
        };
        settings.push(ToolSetting {
            id: 0,
            tool: Tool::Poetry,
            source: ToolSettingSource::ConfigFile,
            name: entry.path.join("."),
            option,
            file: Some(file.doc.path.clone()),
            value,
            parsed: parsed_value,
            counts: ignored_because.is_empty(),
            ignored_because,
            has_credentials: has_creds,
            urls,
            outcomes,
            conditional: false,
            precision: Precision::High,
            readers: vec!["all".to_owned()],
            origin: Location {
                line: Some(entry.line),
                ..file.doc.origin.clone()
            },
        });
    }
}

/// Why a read file's key does not count: a `POETRY_*` variable (any source) or a file later in
/// poetry's merge order sets it too.
fn overridden(
    file: &FoundFile,
    line: u32,
    path: &[&str],
    config: &PoetryConfig<'_>,
    variables: &[ToolVariable<'_>],
    ignored_because: &mut Vec<String>,
) {
    let name = imgaudit_poetry::env_var_name(path, config.version);
    let credentials_shadow =
        config.version.file_credentials_shadow_env() && path[0] == "http-basic";
    if !credentials_shadow {
        if let Some(v) = variables
            .iter()
            .find(|v| v.name == name && v.ignored_because.is_empty())
        {
            let source = match v.source {
                ToolSettingSource::Env => "the config Env",
                ToolSettingSource::StartupFile => "a start-up file",
                ToolSettingSource::ConfigFile => "a file",
            };
            ignored_because.push(format!("{name} in {source} overrides it"));
            return;
        }
    }
    let entries = config.file_entries(path);
    if let Some((kind, entry)) = entries.last() {
        if (*kind, entry.line) != (file.kind, line) {
            ignored_because.push(format!(
                "{} sets it later in poetry's merge order (config.toml, auth.toml, poetry.toml)",
                kind.file_name()
            ));
        }
    }
}
