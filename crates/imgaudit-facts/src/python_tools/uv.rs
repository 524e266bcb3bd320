//! uv: its installations, the configuration files it would read for the runtime user (and those
//! it would not, with why), and its settings from the config `Env`, shell start-up files and
//! those files, read with the measured semantics of `imgaudit-uv` (UV-SEMANTICS.md).

use std::collections::BTreeSet;

use imgaudit_finding::Precision;
use imgaudit_uv::{
    BoolValue, CliFlags, ConfigCandidate, ConfigKind, ConfigValue, FileFormat, FileLookup,
    FileState, IndexStrategy, Resolved, SettingSource, SettingsInput, Table, UvVersion,
    credential_variable, parse_bool, parse_index_entries, resolve_settings,
};

use super::{
    InstallResult, InstalledTool, Tool, ToolConfigEntry, ToolConfigFile, ToolFound, ToolInput,
    ToolOutcome, ToolSetting, ToolSettingSource, ToolValue, ToolVariable,
};
use crate::context::{display, image_path};
use crate::python::{IndexUrl, MarkerState, Python, PythonKind};
use crate::redact::{has_credentials, redacted, redacted_value};

/// The capture patterns this module reads: uv's configuration files wherever they are (the
/// project file is found from the working directory up), `pyproject.toml` files (their
/// `[tool.uv]` table), and the standalone installer's receipt.
pub(crate) const CAPTURE: &[&str] = &["**/uv.toml", "**/pyproject.toml", "**/uv-receipt.json"];

/// Where Dockerfiles put a uv binary (`COPY --from=…uv /uv /bin/`, the installer, cargo).
const BINARY_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin", "/usr/local/cargo/bin"];

/// Reads the image's files for `imgaudit-uv`.
struct ImageFiles<'a, 'c> {
    ctx: &'c crate::context::Context<'a>,
}

impl FileLookup for ImageFiles<'_, '_> {
    fn read(&self, path: &str) -> Option<&str> {
        let p = image_path(path)?;
        std::str::from_utf8(self.ctx.content(&p, "python_tools")?).ok()
    }
}

pub(crate) fn collect(input: &ToolInput<'_>) -> ToolFound {
    let mut found = ToolFound {
        installed: installations(input),
        ..ToolFound::default()
    };
    let known: Vec<UvVersion> = found
        .installed
        .iter()
        .filter_map(|t| t.version.as_deref()?.parse().ok())
        .collect();
    let version = known
        .iter()
        .copied()
        .max()
        .unwrap_or(UvVersion::NEWEST_MEASURED);

    let ctx = input.ctx;
    let cwd = working_dir(input);
    let home = input.user.home.clone();
    let cli = CliFlags::default();
    let settings_input = SettingsInput {
        version,
        env: &ctx.env,
        cwd: &cwd,
        home: Some(&home),
        cli: &cli,
    };
    let files = ImageFiles { ctx };
    let resolved = resolve_settings(&settings_input, &files);

    let mut listed: BTreeSet<String> = BTreeSet::new();
    for candidate in &resolved.configs {
        listed.insert(candidate.path.clone());
        found
            .config_files
            .push(config_file(input, candidate, &home, &cwd));
    }
    for stray in stray_uv_tomls(input, &listed) {
        let reason = stray_reason(input, &stray, &home, &cwd);
        let text = files.read(&stray).unwrap_or_default();
        let file = imgaudit_uv::UvConfigFile::parse(text, FileFormat::UvToml, version);
        let candidate = ConfigCandidate {
            kind: ConfigKind::Project,
            path: stray.clone(),
            read: false,
            not_read_because: Some(reason),
            file,
        };
        let mut shown = config_file(input, &candidate, &home, &cwd);
        "other".clone_into(&mut shown.kind);
        "none".clone_into(&mut shown.scope);
        found.config_files.push(shown);
        found
            .settings
            .extend(file_settings(input, &candidate, &resolved));
    }
    for candidate in &resolved.configs {
        found
            .settings
            .extend(file_settings(input, candidate, &resolved));
    }

    let mut variables = input.variables(&["UV_"]);
    variables.retain(|v| option_of(v.name, version).is_some());
    let mut settings: Vec<ToolSetting> = variables
        .iter()
        .map(|v| variable_setting(input, v, version, &resolved))
        .collect();
    settings.append(&mut found.settings);
    found.settings = settings;
    // Only worth saying where there is something uv would read.
    if known.is_empty() && !(found.settings.is_empty() && found.config_files.is_empty()) {
        found.notes.push(format!(
            "uv: no installed version known; its settings are read as uv {version} reads them"
        ));
    }
    found
}

fn working_dir(input: &ToolInput<'_>) -> String {
    input
        .ctx
        .image
        .meta
        .config
        .config()
        .as_ref()
        .and_then(|c| c.working_dir().clone())
        .filter(|w| w.starts_with('/'))
        .unwrap_or_else(|| "/".to_owned())
}

/// uv's installations: `uv-*.dist-info` in any site-packages, the standalone installer's
/// receipt, and bare binaries (version unknown) not already explained by a distribution.
fn installations(input: &ToolInput<'_>) -> Vec<InstalledTool> {
    let ctx = input.ctx;
    let mut out = Vec::new();
    let mut prefixes = BTreeSet::new();
    for python in &input.python.pythons {
        for site in &python.site_packages {
            for dist in site
                .distributions
                .iter()
                .filter(|d| d.normalized_name == "uv")
            {
                prefixes.insert(python.prefix.clone());
                // Debian's pip writes /usr/local/lib/python3.X/dist-packages and /usr/local/bin.
                if let Some((install_prefix, _)) = dist.path.split_once("/lib/python") {
                    prefixes.insert(install_prefix.to_owned());
                }
                out.push(InstalledTool {
                    tool: Tool::Uv,
                    version: Some(dist.version.clone()),
                    path: dist.path.clone(),
                    found_by: "dist_info".to_owned(),
                    origin: dist.origin.clone(),
                });
            }
        }
    }
    let mut homes: BTreeSet<String> = input.users.iter().map(|u| u.home.clone()).collect();
    homes.insert(input.user.home.clone());
    let mut bin_dirs: Vec<String> = BINARY_DIRS.iter().map(|d| (*d).to_owned()).collect();
    for home in &homes {
        let home = home.trim_end_matches('/');
        let receipt = format!("{home}/.config/uv/uv-receipt.json");
        if let Some(path) = image_path(&receipt) {
            if let Some(bytes) = ctx.content(&path, "python_tools") {
                let version = serde_json::from_slice::<serde_json::Value>(bytes)
                    .ok()
                    .and_then(|v| v.get("version")?.as_str().map(str::to_owned))
                    .filter(|v| v.parse::<UvVersion>().is_ok());
                out.push(InstalledTool {
                    tool: Tool::Uv,
                    version,
                    path: receipt.clone(),
                    found_by: "receipt".to_owned(),
                    origin: ctx.file_origin(&path),
                });
                continue;
            }
        }
        bin_dirs.push(format!("{home}/.local/bin"));
        bin_dirs.push(format!("{home}/.cargo/bin"));
    }
    for dir in bin_dirs {
        let Some(path) = image_path(&format!("{dir}/uv")) else {
            continue;
        };
        let Ok((resolved, Some(node))) = ctx.image.fs.lookup(&path, true) else {
            continue;
        };
        if node.kind() != imgaudit_layer::EntryKind::File {
            continue;
        }
        let resolved = display(&resolved);
        // `<prefix>/bin/uv` of a pip-installed uv is that distribution's.
        let owner_prefix = resolved
            .strip_suffix("/bin/uv")
            .map(|p| if p.is_empty() { "/" } else { p });
        if owner_prefix.is_some_and(|p| prefixes.contains(p))
            || out.iter().any(|t| t.path == resolved)
        {
            continue;
        }
        out.push(InstalledTool {
            tool: Tool::Uv,
            version: None,
            path: resolved,
            found_by: "binary".to_owned(),
            origin: ctx.file_origin(&path),
        });
    }
    out
}

/// Every captured `uv.toml` uv does not consider at all.
fn stray_uv_tomls(input: &ToolInput<'_>, listed: &BTreeSet<String>) -> Vec<String> {
    input
        .ctx
        .image
        .fs
        .iter()
        .filter(|(path, node)| {
            path.file_name() == b"uv.toml" && node.kind() == imgaudit_layer::EntryKind::File
        })
        .map(|(path, _)| display(path))
        .filter(|p| !listed.contains(p))
        .collect()
}

fn stray_reason(input: &ToolInput<'_>, path: &str, home: &str, cwd: &str) -> String {
    let other_home = input.users.iter().find(|u| {
        let h = u.home.trim_end_matches('/');
        !h.is_empty() && h != home.trim_end_matches('/') && path.starts_with(&format!("{h}/"))
    });
    match other_home {
        Some(u) => format!(
            "in {}'s home: uv reads the runtime user's ({home})",
            redacted(&u.name)
        ),
        None => format!(
            "not in the working directory ({cwd}) or a parent of it, nor a user or system \
             location uv reads"
        ),
    }
}

fn scope(kind: ConfigKind, path: &str, home: &str) -> String {
    match kind {
        ConfigKind::System | ConfigKind::Explicit => "everyone".to_owned(),
        ConfigKind::User => format!("home:{}", home.trim_end_matches('/')),
        ConfigKind::Project => format!(
            "project:{}",
            path.rsplit_once('/')
                .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d })
        ),
    }
}

fn table_name(format: FileFormat, table: Table) -> &'static str {
    match (format, table) {
        (FileFormat::UvToml, Table::Top) => "",
        (FileFormat::UvToml, Table::Pip) => "pip",
        (FileFormat::Pyproject, Table::Top) => "tool.uv",
        (FileFormat::Pyproject, Table::Pip) => "tool.uv.pip",
    }
}

/// A value as TOML-ish text, every secret masked.
fn shown(key: &str, value: &ConfigValue) -> String {
    let text = match value {
        ConfigValue::Bool(b) => b.to_string(),
        ConfigValue::Text(t) | ConfigValue::Other(t) => t.clone(),
        ConfigValue::List(items) => format!("[{}]", items.join(", ")),
        ConfigValue::Indexes(list) => list
            .iter()
            .map(|i| match &i.name {
                Some(n) => format!("{n}={}", i.url),
                None => i.url.clone(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    };
    redacted_value(key, &text)
}

fn raw_text(value: &ConfigValue) -> String {
    match value {
        ConfigValue::Bool(b) => b.to_string(),
        ConfigValue::Text(t) | ConfigValue::Other(t) => t.clone(),
        ConfigValue::List(items) => items.join(" "),
        ConfigValue::Indexes(list) => list
            .iter()
            .map(|i| i.url.clone())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn config_file(
    input: &ToolInput<'_>,
    candidate: &ConfigCandidate,
    home: &str,
    _cwd: &str,
) -> ToolConfigFile {
    let ctx = input.ctx;
    let origin = image_path(&candidate.path)
        .map(|p| ctx.file_origin(&p))
        .unwrap_or_default();
    let format = candidate.file.format;
    let problems = match &candidate.file.state {
        FileState::Valid | FileState::NoToolUv => Vec::new(),
        FileState::Rejected(r) => vec![format!(
            "uv aborts every command while it reads this file (exit 2): {}",
            redacted(r)
        )],
        FileState::Skipped(r) => vec![format!(
            "uv ignores its [tool.uv] table with a warning: {}",
            redacted(r)
        )],
    };
    ToolConfigFile {
        tool: Tool::Uv,
        path: redacted(&candidate.path),
        kind: candidate.kind.as_str().to_owned(),
        scope: scope(candidate.kind, &candidate.path, home),
        read: candidate.read,
        not_read_because: candidate.not_read_because.as_deref().map(redacted),
        origin,
        entries: candidate
            .file
            .entries
            .iter()
            .map(|e| ToolConfigEntry {
                table: table_name(format, e.table).to_owned(),
                key: e.key.clone(),
                value: shown(&e.key, &e.value),
                line: e.line.and_then(|l| u32::try_from(l).ok()),
                has_credentials: has_credentials(&raw_text(&e.value)),
            })
            .collect(),
        problems,
    }
}

/// The option a `UV_*` variable feeds, for the variables that matter here.
fn option_of(name: &str, version: UvVersion) -> Option<String> {
    let fixed = match name {
        "UV_SYSTEM_PYTHON" => "system",
        "UV_BREAK_SYSTEM_PACKAGES" => "break-system-packages",
        "UV_INDEX_URL" => "index-url",
        "UV_EXTRA_INDEX_URL" => "extra-index-url",
        "UV_INDEX" => "index",
        "UV_DEFAULT_INDEX" => "default-index",
        "UV_INDEX_STRATEGY" => "index-strategy",
        "UV_INSECURE_HOST" => "allow-insecure-host",
        "UV_PROJECT_ENVIRONMENT" => "project-environment",
        "UV_PYTHON_INSTALL_DIR" => "python-install-dir",
        "UV_CONFIG_FILE" => "config-file",
        "UV_NO_CONFIG" => "no-config",
        _ => {
            let (_, part) = credential_variable(name)?;
            let _ = version;
            return Some(match part {
                imgaudit_uv::CredentialPart::Password => "index-password".to_owned(),
                imgaudit_uv::CredentialPart::Username => "index-username".to_owned(),
            });
        }
    };
    Some(fixed.to_owned())
}

fn is_bool_option(option: &str) -> bool {
    matches!(option, "system" | "break-system-packages" | "no-config")
}

fn urls_of(option: &str, raw: &str) -> Vec<IndexUrl> {
    match option {
        "index-url" | "default-index" | "extra-index-url" => IndexUrl::parse_list(raw),
        "index" => parse_index_entries(raw)
            .iter()
            .filter_map(|e| IndexUrl::parse(&e.url))
            .collect(),
        _ => Vec::new(),
    }
}

fn parsed_of(option: &str, raw: &str) -> ToolValue {
    if is_bool_option(option) {
        return match parse_bool(raw) {
            BoolValue::True => ToolValue::True,
            BoolValue::False => ToolValue::False,
            BoolValue::Empty | BoolValue::Invalid => ToolValue::Invalid,
        };
    }
    if option == "index-strategy" && IndexStrategy::parse(raw).is_none() {
        return ToolValue::Invalid;
    }
    ToolValue::Text
}

/// Why a variable does not count (empty when it does).
fn variable_ignored(option: &str, name: &str, raw: &str, version: UvVersion) -> Vec<String> {
    let mut why = Vec::new();
    let named = matches!(
        option,
        "index" | "default-index" | "index-password" | "index-username"
    );
    if named && !version.has_named_indexes() {
        why.push(format!(
            "uv {version} does not read {name} (uv ≥ 0.4.23 does)"
        ));
    }
    if option == "allow-insecure-host" && !version.has_insecure_host() {
        why.push(format!(
            "uv {version} does not read {name} (uv ≥ 0.3.5 does)"
        ));
    }
    if option == "project-environment" && !version.has_project_commands() {
        why.push(format!("uv {version} has no project commands"));
    }
    match parsed_of(option, raw) {
        ToolValue::Invalid => why.push(format!(
            "uv rejects the value: every command that reads {name} aborts (exit 2)"
        )),
        ToolValue::False => why.push(
            "a false value means \"not given\" to uv: configuration files still decide".to_owned(),
        ),
        _ => {}
    }
    why
}

fn variable_setting(
    input: &ToolInput<'_>,
    v: &ToolVariable<'_>,
    version: UvVersion,
    resolved: &Resolved,
) -> ToolSetting {
    let option = option_of(v.name, version).unwrap_or_default();
    let mut ignored_because = v.ignored_because.clone();
    ignored_because.extend(variable_ignored(&option, v.name, v.raw, version));
    let parsed = parsed_of(&option, v.raw);
    let counts = ignored_because.is_empty();
    let has_creds = match option.as_str() {
        "index-password" => !v.raw.is_empty(),
        _ => has_credentials(v.raw),
    };
    let outcomes = if counts && parsed == ToolValue::True {
        match option.as_str() {
            "system" => system_outcomes(input, resolved.break_system_packages.value),
            "break-system-packages" => forced_outcomes(input, resolved.system.value),
            _ => Vec::new(),
        }
    } else if counts && option == "project-environment" {
        project_environment_outcomes(input, resolved)
    } else {
        Vec::new()
    };
    ToolSetting {
        id: 0,
        tool: Tool::Uv,
        source: v.source,
        name: v.name.to_owned(),
        option: option.clone(),
        file: None,
        value: redacted_value(v.name, v.raw),
        parsed,
        counts,
        ignored_because,
        has_credentials: has_creds,
        urls: urls_of(&option, v.raw),
        outcomes,
        conditional: v.conditional,
        precision: v.precision,
        readers: v.readers.clone(),
        origin: v.origin.clone(),
    }
}

/// The settings a configuration file gives, each with whether it counts.
fn file_settings(
    input: &ToolInput<'_>,
    candidate: &ConfigCandidate,
    resolved: &Resolved,
) -> Vec<ToolSetting> {
    let ctx = input.ctx;
    let format = candidate.file.format;
    let mut out = Vec::new();
    for e in &candidate.file.entries {
        let option = match e.key.as_str() {
            "system" | "break-system-packages" if e.table == Table::Pip => e.key.clone(),
            "index-url" | "extra-index-url" | "index-strategy" | "allow-insecure-host" => {
                e.key.clone()
            }
            "index" if e.table == Table::Top => "index".to_owned(),
            _ => continue,
        };
        let raw = raw_text(&e.value);
        let mut ignored_because = Vec::new();
        if !candidate.read {
            ignored_because.push(format!(
                "uv does not read this file: {}",
                candidate.not_read_because.as_deref().unwrap_or("hidden")
            ));
        }
        match &candidate.file.state {
            FileState::Rejected(_) => ignored_because
                .push("uv cannot parse this file: every command aborts instead".to_owned()),
            FileState::Skipped(_) => {
                ignored_because.push("uv ignores this [tool.uv] table".to_owned());
            }
            _ => {}
        }
        let winner = match option.as_str() {
            "system" => Some(&resolved.system.source),
            "break-system-packages" => Some(&resolved.break_system_packages.source),
            "index-strategy" => Some(&resolved.index_strategy.source),
            _ => None,
        };
        let this = SettingSource::File {
            path: candidate.path.clone(),
            config: candidate.kind,
            table: e.table,
            key: e.key.clone(),
        };
        if ignored_because.is_empty() {
            if let Some(w) = winner {
                if *w != this {
                    ignored_because.push(match w {
                        SettingSource::Env { name } => format!("{name} takes precedence"),
                        SettingSource::File { path, .. } => {
                            format!("{} takes precedence", redacted(path))
                        }
                        SettingSource::Cli | SettingSource::Default => {
                            "another setting takes precedence".to_owned()
                        }
                    });
                }
            }
        }
        let parsed = match &e.value {
            ConfigValue::Bool(true) => ToolValue::True,
            ConfigValue::Bool(false) => ToolValue::False,
            ConfigValue::Text(t)
                if option == "index-strategy" && IndexStrategy::parse(t).is_none() =>
            {
                ToolValue::Invalid
            }
            ConfigValue::Other(_) if is_bool_option(&option) => ToolValue::Invalid,
            _ => ToolValue::Text,
        };
        if parsed == ToolValue::False && ignored_because.is_empty() {
            ignored_because.push("false: the default".to_owned());
        }
        let counts = ignored_because.is_empty();
        let outcomes = if counts && parsed == ToolValue::True {
            match option.as_str() {
                "system" => system_outcomes(input, resolved.break_system_packages.value),
                "break-system-packages" => forced_outcomes(input, resolved.system.value),
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let origin = {
            let mut o = image_path(&candidate.path)
                .map(|p| ctx.file_origin(&p))
                .unwrap_or_default();
            o.line = e.line.and_then(|l| u32::try_from(l).ok());
            o
        };
        let urls = match option.as_str() {
            "index-url" | "extra-index-url" | "index" => {
                raw.split_whitespace().filter_map(IndexUrl::parse).collect()
            }
            _ => Vec::new(),
        };
        let name = match table_name(format, e.table) {
            "" => e.key.clone(),
            t => format!("{t}.{}", e.key),
        };
        out.push(ToolSetting {
            id: 0,
            tool: Tool::Uv,
            source: ToolSettingSource::ConfigFile,
            name,
            option,
            file: Some(redacted(&candidate.path)),
            value: shown(&e.key, &e.value),
            parsed,
            counts,
            ignored_because,
            has_credentials: has_credentials(&raw),
            urls,
            outcomes,
            conditional: false,
            precision: Precision::High,
            readers: vec!["all".to_owned()],
            origin,
        });
    }
    out
}

fn system_pythons<'p>(input: &'p ToolInput<'_>) -> impl Iterator<Item = &'p Python> {
    input
        .python
        .pythons
        .iter()
        .filter(|p| p.kind != PythonKind::Venv)
}

fn marked(python: &Python) -> bool {
    python
        .marker
        .as_ref()
        .is_some_and(|m| m.state == MarkerState::Present)
}

/// What `uv pip install` with the system switch does to each system interpreter (§2).
fn system_outcomes(input: &ToolInput<'_>, break_system_packages: bool) -> Vec<ToolOutcome> {
    system_pythons(input)
        .map(|p| {
            let (result, detail) = match (marked(p), break_system_packages) {
                (true, false) => (
                    InstallResult::RefusedByMarker,
                    Some(format!(
                        "uv: The interpreter at {} is externally managed",
                        p.prefix
                    )),
                ),
                (true, true) => (
                    InstallResult::ForcedPastMarker,
                    Some("break-system-packages is set too".to_owned()),
                ),
                (false, _) => (InstallResult::Installs, None),
            };
            ToolOutcome {
                python: p.id,
                prefix: p.prefix.clone(),
                result,
                detail,
            }
        })
        .collect()
}

/// What `break-system-packages` does to each interpreter with a PEP 668 marker.
fn forced_outcomes(input: &ToolInput<'_>, system: bool) -> Vec<ToolOutcome> {
    system_pythons(input)
        .filter(|p| marked(p))
        .map(|p| ToolOutcome {
            python: p.id,
            prefix: p.prefix.clone(),
            result: InstallResult::ForcedPastMarker,
            detail: Some(if system {
                "every uv pip install goes past the marker (the system switch is set too)"
                    .to_owned()
            } else {
                "any uv pip install --system goes past the marker".to_owned()
            }),
        })
        .collect()
}

/// `uv sync` into `UV_PROJECT_ENVIRONMENT`: only a prefix that is no venv is a system install,
/// and there the marker is not consulted (§4).
fn project_environment_outcomes(input: &ToolInput<'_>, resolved: &Resolved) -> Vec<ToolOutcome> {
    let Some(target) = resolved.project_environment.as_deref() else {
        return Vec::new();
    };
    let target = target.trim_end_matches('/');
    system_pythons(input)
        .filter(|p| p.prefix.trim_end_matches('/') == target)
        .map(|p| ToolOutcome {
            python: p.id,
            prefix: p.prefix.clone(),
            result: if marked(p) {
                InstallResult::ForcedPastMarker
            } else {
                InstallResult::Installs
            },
            detail: Some(
                "uv sync installs into this interpreter; it does not consult the PEP 668 marker"
                    .to_owned(),
            ),
        })
        .collect()
}
