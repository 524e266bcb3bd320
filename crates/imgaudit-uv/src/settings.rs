//! Which configuration files uv reads, in which order, and the setting that wins
//! (UV-SEMANTICS.md §1, §3).

use serde::Serialize;

use crate::config::{ConfigEntry, ConfigValue, FileFormat, FileState, Table, UvConfigFile};
use crate::value::{
    BoolValue, IndexEntry, IndexStrategy, parse_bool, parse_index_entries, split_list,
};
use crate::version::UvVersion;

/// Read access to the image's (or a test's) files: the text of a regular file, or `None`.
pub trait FileLookup {
    fn read(&self, path: &str) -> Option<&str>;
}

/// The flags given on uv's command line that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliFlags {
    pub system: bool,
    pub break_system_packages: bool,
    pub no_config: bool,
    pub config_file: Option<String>,
    pub index_strategy: Option<String>,
    pub index_url: Option<String>,
    pub extra_index_url: Vec<String>,
}

/// Where uv would look, for whom, and from where.
#[derive(Debug, Clone, Copy)]
pub struct SettingsInput<'a> {
    pub version: UvVersion,
    /// The environment in order; a later duplicate wins.
    pub env: &'a [(String, String)],
    /// The working directory (absolute).
    pub cwd: &'a str,
    /// `HOME`, when known (from the env, else the user's passwd entry).
    pub home: Option<&'a str>,
    pub cli: &'a CliFlags,
}

impl SettingsInput<'_> {
    /// The value of `name` in the environment (the last occurrence).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The kinds of configuration file, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigKind {
    /// `UV_CONFIG_FILE` / `--config-file`.
    Explicit,
    /// The nearest `uv.toml` or `pyproject.toml` with `[tool.uv]` from the cwd up.
    Project,
    /// `$XDG_CONFIG_HOME/uv/uv.toml` or `~/.config/uv/uv.toml`.
    User,
    /// `$XDG_CONFIG_DIRS/uv/uv.toml` or `/etc/uv/uv.toml` (uv ≥ 0.4).
    System,
}

impl ConfigKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Explicit => "env_file",
            Self::Project => "project",
            Self::User => "user",
            Self::System => "system",
        }
    }
}

/// A configuration file that exists where uv looks, and whether uv reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigCandidate {
    pub kind: ConfigKind,
    pub path: String,
    pub read: bool,
    /// Why uv does not read it (when `read` is false).
    pub not_read_because: Option<String>,
    pub file: UvConfigFile,
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn parent(dir: &str) -> Option<&str> {
    if dir == "/" || dir.is_empty() {
        return None;
    }
    let trimmed = dir.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&trimmed[..i]),
        None => None,
    }
}

/// Every configuration file uv would consider, in precedence order, with `read` and the reason
/// where it is hidden (§3.1). Missing files are not listed.
pub fn discover_config_files(
    input: &SettingsInput<'_>,
    files: &dyn FileLookup,
) -> Vec<ConfigCandidate> {
    let v = input.version;
    let mut out = Vec::new();
    let parse = |path: &str, text: &str| {
        let format = if path.ends_with("pyproject.toml") {
            FileFormat::Pyproject
        } else {
            FileFormat::UvToml
        };
        UvConfigFile::parse(text, format, v)
    };

    let explicit = input.cli.config_file.clone().or_else(|| {
        input
            .var("UV_CONFIG_FILE")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    });
    if let Some(path) = &explicit {
        // An explicit file is always a uv.toml, whatever its name (§3.1).
        let text = files.read(path).unwrap_or_default();
        out.push(ConfigCandidate {
            kind: ConfigKind::Explicit,
            path: path.clone(),
            read: true,
            not_read_because: None,
            file: UvConfigFile::parse(text, FileFormat::UvToml, v),
        });
    }

    // Project: the nearest directory with a uv.toml or a pyproject.toml that has [tool.uv].
    let mut dir = Some(input.cwd);
    let mut found_project = false;
    while let Some(d) = dir {
        let uv_toml = join(d, "uv.toml");
        let pyproject = join(d, "pyproject.toml");
        let uv_text = files.read(&uv_toml);
        let py_file = files.read(&pyproject).map(|t| parse(&pyproject, t));
        let py_is_uv = py_file
            .as_ref()
            .is_some_and(|f| f.state != FileState::NoToolUv);
        if let Some(text) = uv_text {
            out.push(ConfigCandidate {
                kind: ConfigKind::Project,
                path: uv_toml.clone(),
                read: !found_project,
                not_read_because: found_project
                    .then(|| "a nearer project configuration is used".to_owned()),
                file: parse(&uv_toml, text),
            });
            if let (Some(file), true) = (py_file, py_is_uv) {
                out.push(ConfigCandidate {
                    kind: ConfigKind::Project,
                    path: pyproject,
                    read: false,
                    not_read_because: Some(
                        "a uv.toml in the same directory takes precedence over [tool.uv]"
                            .to_owned(),
                    ),
                    file,
                });
            }
            found_project = true;
        } else if let (Some(file), true) = (py_file, py_is_uv) {
            out.push(ConfigCandidate {
                kind: ConfigKind::Project,
                path: pyproject,
                read: !found_project,
                not_read_because: found_project
                    .then(|| "a nearer project configuration is used".to_owned()),
                file,
            });
            found_project = true;
        }
        if found_project {
            // uv stops at the first project directory; farther files are listed only when they
            // would otherwise look like they apply.
            break;
        }
        dir = parent(d);
    }

    // User: $XDG_CONFIG_HOME/uv/uv.toml, else ~/.config/uv/uv.toml.
    let xdg_home = input
        .var("XDG_CONFIG_HOME")
        .filter(|s| s.starts_with('/'))
        .map(str::to_owned);
    let home_config = input.home.map(|h| join(h, ".config/uv/uv.toml"));
    let user_path = xdg_home
        .as_ref()
        .map(|x| join(x, "uv/uv.toml"))
        .or_else(|| home_config.clone());
    if let Some(path) = &user_path {
        if let Some(text) = files.read(path) {
            out.push(ConfigCandidate {
                kind: ConfigKind::User,
                path: path.clone(),
                read: true,
                not_read_because: None,
                file: parse(path, text),
            });
        }
    }
    if let (Some(_), Some(path)) = (&xdg_home, &home_config) {
        if Some(path) != user_path.as_ref() {
            if let Some(text) = files.read(path) {
                out.push(ConfigCandidate {
                    kind: ConfigKind::User,
                    path: path.clone(),
                    read: false,
                    not_read_because: Some(
                        "XDG_CONFIG_HOME is set, so uv reads its uv/uv.toml instead".to_owned(),
                    ),
                    file: parse(path, text),
                });
            }
        }
    }

    // System: each $XDG_CONFIG_DIRS entry (default /etc/xdg), then /etc/uv/uv.toml; the first found.
    let xdg_dirs = input
        .var("XDG_CONFIG_DIRS")
        .filter(|s| !s.is_empty())
        .unwrap_or("/etc/xdg");
    let mut system_paths: Vec<String> = xdg_dirs
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| join(d, "uv/uv.toml"))
        .collect();
    system_paths.push("/etc/uv/uv.toml".to_owned());
    let mut system_found = false;
    for path in system_paths {
        let Some(text) = files.read(&path) else {
            continue;
        };
        let reason = if !v.reads_system_config() {
            Some(format!(
                "uv {v} reads no system-level configuration (uv ≥ 0.4 does)"
            ))
        } else if system_found {
            Some("an earlier system-level file is used".to_owned())
        } else {
            None
        };
        system_found = true;
        out.push(ConfigCandidate {
            kind: ConfigKind::System,
            path: path.clone(),
            read: reason.is_none(),
            not_read_because: reason,
            file: parse(&path, text),
        });
    }

    // Hiding by UV_NO_CONFIG / --no-config and UV_CONFIG_FILE.
    let no_config = v.has_no_config()
        && (input.cli.no_config
            || input
                .var("UV_NO_CONFIG")
                .is_some_and(|s| parse_bool(s) == BoolValue::True));
    for c in &mut out {
        if no_config {
            c.read = false;
            c.not_read_because = Some(if input.cli.no_config {
                "--no-config disables every configuration file".to_owned()
            } else {
                "UV_NO_CONFIG disables every configuration file".to_owned()
            });
        } else if explicit.is_some() && c.kind != ConfigKind::Explicit && c.read {
            c.read = false;
            c.not_read_because =
                Some("UV_CONFIG_FILE names the only configuration file uv reads".to_owned());
        } else if c.read && matches!(c.file.state, FileState::Skipped(_) | FileState::NoToolUv) {
            c.read = false;
            c.not_read_because = Some(match &c.file.state {
                FileState::Skipped(r) => format!("uv skips its [tool.uv] table: {r}"),
                _ => "no [tool.uv] table".to_owned(),
            });
        }
    }
    out
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum SettingSource {
    Default,
    Cli,
    Env {
        name: String,
    },
    File {
        path: String,
        config: ConfigKind,
        table: Table,
        key: String,
    },
}

/// A setting's effective value and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective<T> {
    pub value: T,
    pub source: SettingSource,
}

/// Why uv stops before doing anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Abort {
    /// An environment variable or flag value uv rejects (`invalid value '…' for '--system'`).
    InvalidValue { name: String, value: String },
    /// A command line uv rejects (0.1.x: `--break-system-packages` without `--system`).
    CliUsage { reason: String },
    /// A `uv.toml` uv reads but cannot parse.
    ConfigParse { path: String, reason: String },
}

/// An index in uv's search order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchIndex {
    pub name: Option<String>,
    pub url: String,
    pub role: IndexRole,
    pub source: SettingSource,
}

/// How an index entered the search order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexRole {
    /// `UV_INDEX` / `[[index]]`.
    Named,
    /// `UV_EXTRA_INDEX_URL` / `extra-index-url`.
    Extra,
    /// `UV_INDEX_URL` / `UV_DEFAULT_INDEX` / `index-url` / the public default.
    Default,
}

/// Everything uv decides before acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub abort: Option<Abort>,
    pub configs: Vec<ConfigCandidate>,
    pub system: Effective<bool>,
    pub break_system_packages: Effective<bool>,
    pub index_strategy: Effective<IndexStrategy>,
    /// Search order: named, then extra, then the default index (`None` url = the public default).
    pub indexes: Vec<SearchIndex>,
    pub insecure_hosts: Vec<(String, SettingSource)>,
    pub project_environment: Option<String>,
}

fn file_source(c: &ConfigCandidate, e: &ConfigEntry) -> SettingSource {
    SettingSource::File {
        path: c.path.clone(),
        config: c.kind,
        table: e.table,
        key: e.key.clone(),
    }
}

/// Resolves uv's settings for `uv pip install` (§1, §3.2): env and CLI first (a true value wins,
/// a false one is "not given"), then the files uv reads in precedence order.
pub fn resolve_settings(input: &SettingsInput<'_>, files: &dyn FileLookup) -> Resolved {
    let v = input.version;
    let configs = discover_config_files(input, files);
    let mut abort = None;

    let mut flag = |cli: bool, var: &str, key: &str| -> Effective<bool> {
        if cli {
            return Effective {
                value: true,
                source: SettingSource::Cli,
            };
        }
        if let Some(raw) = input.var(var) {
            match parse_bool(raw) {
                BoolValue::True => {
                    return Effective {
                        value: true,
                        source: SettingSource::Env {
                            name: var.to_owned(),
                        },
                    };
                }
                BoolValue::False => {}
                BoolValue::Empty | BoolValue::Invalid => {
                    abort.get_or_insert(Abort::InvalidValue {
                        name: var.to_owned(),
                        value: raw.to_owned(),
                    });
                }
            }
        }
        for c in configs.iter().filter(|c| c.read) {
            if let Some(e) = c.file.get(Table::Pip, key) {
                if let ConfigValue::Bool(b) = e.value {
                    return Effective {
                        value: b,
                        source: file_source(c, e),
                    };
                }
            }
        }
        Effective {
            value: false,
            source: SettingSource::Default,
        }
    };
    let system = flag(input.cli.system, "UV_SYSTEM_PYTHON", "system");
    let break_system_packages = flag(
        input.cli.break_system_packages,
        "UV_BREAK_SYSTEM_PACKAGES",
        "break-system-packages",
    );

    if abort.is_none() && input.cli.no_config && !v.has_no_config() {
        abort = Some(Abort::CliUsage {
            reason: format!("uv {v} has no --no-config"),
        });
    }
    // 0.1.x: `--break-system-packages` (flag or env) requires `--system` (flag or env).
    if abort.is_none()
        && v.break_requires_system_flag()
        && matches!(
            break_system_packages.source,
            SettingSource::Cli | SettingSource::Env { .. }
        )
        && !matches!(
            system.source,
            SettingSource::Cli | SettingSource::Env { .. }
        )
    {
        abort = Some(Abort::CliUsage {
            reason: "--break-system-packages requires --system in uv 0.1".to_owned(),
        });
    }

    let strategy_default = Effective {
        value: IndexStrategy::FirstIndex,
        source: SettingSource::Default,
    };
    let index_strategy = if let Some(raw) = &input.cli.index_strategy {
        if let Some(s) = IndexStrategy::parse(raw) {
            Effective {
                value: s,
                source: SettingSource::Cli,
            }
        } else {
            abort.get_or_insert(Abort::InvalidValue {
                name: "--index-strategy".to_owned(),
                value: raw.clone(),
            });
            strategy_default
        }
    } else if let Some(raw) = input.var("UV_INDEX_STRATEGY") {
        if let Some(s) = IndexStrategy::parse(raw) {
            Effective {
                value: s,
                source: SettingSource::Env {
                    name: "UV_INDEX_STRATEGY".to_owned(),
                },
            }
        } else {
            abort.get_or_insert(Abort::InvalidValue {
                name: "UV_INDEX_STRATEGY".to_owned(),
                value: raw.to_owned(),
            });
            strategy_default
        }
    } else {
        configs
            .iter()
            .filter(|c| c.read)
            .find_map(|c| {
                let e = c.file.pip_value("index-strategy")?;
                let ConfigValue::Text(t) = &e.value else {
                    return None;
                };
                Some(Effective {
                    value: IndexStrategy::parse(t)?,
                    source: file_source(c, e),
                })
            })
            .unwrap_or(strategy_default)
    };

    if abort.is_none() {
        if let Some(c) = configs
            .iter()
            .find(|c| c.read && matches!(c.file.state, FileState::Rejected(_)))
        {
            if let FileState::Rejected(reason) = &c.file.state {
                abort = Some(Abort::ConfigParse {
                    path: c.path.clone(),
                    reason: reason.clone(),
                });
            }
        }
    }

    let indexes = search_order(input, &configs);
    let mut insecure_hosts = Vec::new();
    if v.has_insecure_host() {
        if let Some(raw) = input.var("UV_INSECURE_HOST") {
            for h in split_list(raw) {
                insecure_hosts.push((
                    h.to_owned(),
                    SettingSource::Env {
                        name: "UV_INSECURE_HOST".to_owned(),
                    },
                ));
            }
        }
        for c in configs.iter().filter(|c| c.read) {
            for table in [Table::Pip, Table::Top] {
                if let Some(e) = c.file.get(table, "allow-insecure-host") {
                    if let ConfigValue::List(hosts) = &e.value {
                        for h in hosts {
                            insecure_hosts.push((h.clone(), file_source(c, e)));
                        }
                    }
                }
            }
        }
    }
    let project_environment = if v.has_project_commands() {
        input
            .var("UV_PROJECT_ENVIRONMENT")
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.starts_with('/') {
                    s.to_owned()
                } else {
                    join(input.cwd, s)
                }
            })
    } else {
        None
    };

    Resolved {
        abort,
        configs,
        system,
        break_system_packages,
        index_strategy,
        indexes,
        insecure_hosts,
        project_environment,
    }
}

/// uv's index search order (§5.1): named indexes (`--index`/`UV_INDEX`, then `[[index]]` of the
/// files, nearer file first), then extra indexes (flag/env, then files), then the default index
/// (flag, `UV_INDEX_URL`/`UV_DEFAULT_INDEX`, then files). Array settings of several files are
/// concatenated, nearer file first (doc).
fn search_order(input: &SettingsInput<'_>, configs: &[ConfigCandidate]) -> Vec<SearchIndex> {
    let v = input.version;
    let env_src = |name: &str| SettingSource::Env {
        name: name.to_owned(),
    };
    let read: Vec<&ConfigCandidate> = configs.iter().filter(|c| c.read).collect();
    let mut out = Vec::new();
    if v.has_named_indexes() {
        if let Some(raw) = input.var("UV_INDEX") {
            for IndexEntry { name, url } in parse_index_entries(raw) {
                out.push(SearchIndex {
                    name,
                    url,
                    role: IndexRole::Named,
                    source: env_src("UV_INDEX"),
                });
            }
        }
        for c in &read {
            if let Some(e) = c.file.get(Table::Top, "index") {
                if let ConfigValue::Indexes(list) = &e.value {
                    for i in list {
                        out.push(SearchIndex {
                            name: i.name.clone(),
                            url: i.url.clone(),
                            role: IndexRole::Named,
                            source: file_source(c, e),
                        });
                    }
                }
            }
        }
    }
    for url in &input.cli.extra_index_url {
        out.push(SearchIndex {
            name: None,
            url: url.clone(),
            role: IndexRole::Extra,
            source: SettingSource::Cli,
        });
    }
    if let Some(raw) = input.var("UV_EXTRA_INDEX_URL") {
        for url in split_list(raw) {
            out.push(SearchIndex {
                name: None,
                url: url.to_owned(),
                role: IndexRole::Extra,
                source: env_src("UV_EXTRA_INDEX_URL"),
            });
        }
    }
    for c in &read {
        for table in [Table::Pip, Table::Top] {
            if let Some(e) = c.file.get(table, "extra-index-url") {
                if let ConfigValue::List(urls) = &e.value {
                    for url in urls {
                        out.push(SearchIndex {
                            name: None,
                            url: url.clone(),
                            role: IndexRole::Extra,
                            source: file_source(c, e),
                        });
                    }
                }
            }
        }
    }
    let default = if let Some(url) = &input.cli.index_url {
        Some((url.clone(), SettingSource::Cli))
    } else if let Some(url) = input.var("UV_INDEX_URL").filter(|s| !s.is_empty()) {
        Some((url.to_owned(), env_src("UV_INDEX_URL")))
    } else if let Some(url) = input
        .var("UV_DEFAULT_INDEX")
        .filter(|s| !s.is_empty() && v.has_named_indexes())
    {
        Some((url.to_owned(), env_src("UV_DEFAULT_INDEX")))
    } else {
        read.iter().find_map(|c| {
            let e = c.file.pip_value("index-url")?;
            let ConfigValue::Text(t) = &e.value else {
                return None;
            };
            Some((t.clone(), file_source(c, e)))
        })
    };
    if let Some((url, source)) = default {
        out.push(SearchIndex {
            name: None,
            url,
            role: IndexRole::Default,
            source,
        });
    }
    out
}

/// The credentials uv sends to `index`: the url's userinfo, else (uv ≥ 0.4.23, named indexes)
/// `UV_INDEX_<NAME>_USERNAME` / `UV_INDEX_<NAME>_PASSWORD` with `<NAME>` from
/// [`crate::credential_env_name`] (§5.3). Either half may be empty.
pub fn index_credentials(
    input: &SettingsInput<'_>,
    index: &SearchIndex,
) -> Option<(String, String)> {
    if let Some((user, pass)) = url_userinfo(&index.url) {
        return Some((user.to_owned(), pass.to_owned()));
    }
    if !input.version.has_named_indexes() {
        return None;
    }
    let name = crate::value::credential_env_name(index.name.as_deref()?);
    let user = input.var(&format!("UV_INDEX_{name}_USERNAME"));
    let pass = input.var(&format!("UV_INDEX_{name}_PASSWORD"));
    (user.is_some() || pass.is_some()).then(|| {
        (
            user.unwrap_or_default().to_owned(),
            pass.unwrap_or_default().to_owned(),
        )
    })
}

/// `user` and `password` of `scheme://user:password@host/…`.
fn url_userinfo(url: &str) -> Option<(&str, &str)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    Some(userinfo.split_once(':').unwrap_or((userinfo, "")))
}
