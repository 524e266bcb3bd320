//! How poetry finds a setting's value: its `POETRY_*` variable first, then the merged files
//! (POETRY-SEMANTICS.md §2.2), and what that makes of `virtualenvs.create` (§1).

use serde::Serialize;

use crate::boolean::{EnvBool, parse_env_bool};
use crate::config::{ConfigEntry, ConfigFileKind, PoetryConfigFile, TomlValue};
use crate::version::PoetryVersion;

/// A configuration file poetry reads, with what it holds.
#[derive(Debug, Clone, Copy)]
pub struct ConfigLayer<'a> {
    pub kind: ConfigFileKind,
    pub file: &'a PoetryConfigFile,
}

/// Everything a setting's value can come from, for one run of poetry.
#[derive(Debug, Clone)]
pub struct PoetryConfig<'a> {
    pub version: PoetryVersion,
    /// The environment in order (later duplicates replace earlier ones, as `os.environ` does).
    pub env: &'a [(String, String)],
    /// The files poetry reads, in any order (merged in [`ConfigFileKind::ALL`] order).
    pub layers: Vec<ConfigLayer<'a>>,
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SettingSource {
    /// A `POETRY_*` variable, by its position in the environment.
    Env { name: String, index: usize },
    /// A configuration file's key.
    File { file: ConfigFileKind, line: u32 },
    /// Nothing sets it: poetry's default.
    Default,
}

/// One place that sets a key, and whether it is the one poetry uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeenSetting {
    pub source: SettingSource,
    /// The raw text for variables, the TOML value for files.
    pub value: SeenValue,
    /// `None` when it is the value poetry uses; otherwise the source that overrides it.
    pub overridden_by: Option<SettingSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum SeenValue {
    Env(String),
    Toml(TomlValue),
}

/// The name of the variable poetry reads for a key path: `POETRY_` and the path's segments
/// upper-cased with `-` as `_`, joined by `_` (`Config.get`). Before 2.4.1 poetry builds the
/// key as a dotted string and splits it on every `.`, so a source named `my.repo` is read from
/// `..._MY_REPO_...`; from 2.4.1 (`split_key`) the segment is kept whole, so the variable is
/// `..._MY.REPO_...` (src 2.4.0/2.4.1, run 2.1.4 vs 2.5.1).
pub fn env_var_name(path: &[&str], version: PoetryVersion) -> String {
    let segments: Vec<String> = if version.keeps_dotted_key_segments() {
        path.iter().map(|s| (*s).to_owned()).collect()
    } else {
        path.iter()
            .flat_map(|s| s.split('.'))
            .map(str::to_owned)
            .collect()
    };
    let upper: Vec<String> = segments
        .iter()
        .map(|s| s.to_uppercase().replace('-', "_"))
        .collect();
    format!("POETRY_{}", upper.join("_"))
}

impl PoetryConfig<'_> {
    /// The variable for `path`, when set: its index and raw value (the last occurrence).
    pub fn env_value(&self, path: &[&str]) -> Option<(usize, &str)> {
        let name = env_var_name(path, self.version);
        self.env
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (n, _))| *n == name)
            .map(|(i, (_, v))| (i, v.as_str()))
    }

    /// Every file entry at exactly `path`, in merge order (the last one is the merged value).
    pub fn file_entries(&self, path: &[&str]) -> Vec<(ConfigFileKind, &ConfigEntry)> {
        let mut found = Vec::new();
        for kind in ConfigFileKind::ALL {
            for layer in self.layers.iter().filter(|l| l.kind == kind) {
                if let Some(entry) = layer.file.get(path) {
                    found.push((kind, entry));
                }
            }
        }
        found
    }

    /// Every source that sets `path`, the one poetry uses marked (the variable, else the last
    /// file in merge order).
    pub fn seen(&self, path: &[&str]) -> (SettingSource, Vec<SeenSetting>) {
        let mut seen = Vec::new();
        let env = self.env_value(path);
        let files = self.file_entries(path);
        let winner = match (&env, files.last()) {
            (Some((index, _)), _) => SettingSource::Env {
                name: env_var_name(path, self.version),
                index: *index,
            },
            (None, Some((kind, entry))) => SettingSource::File {
                file: *kind,
                line: entry.line,
            },
            (None, None) => SettingSource::Default,
        };
        for (kind, entry) in &files {
            let source = SettingSource::File {
                file: *kind,
                line: entry.line,
            };
            seen.push(SeenSetting {
                overridden_by: (source != winner).then(|| winner.clone()),
                source,
                value: SeenValue::Toml(entry.value.clone()),
            });
        }
        if let Some((_, raw)) = env {
            seen.push(SeenSetting {
                source: winner.clone(),
                value: SeenValue::Env(raw.to_owned()),
                overridden_by: None,
            });
        }
        (winner, seen)
    }
}

/// What `virtualenvs.create` comes to (§1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateSetting {
    /// What poetry does for a project with no virtualenv yet.
    pub mode: CreateMode,
    pub source: SettingSource,
    /// For a variable: how its value read.
    pub env_reading: Option<EnvBool>,
    /// Every place that sets it.
    pub seen: Vec<SeenSetting>,
}

/// What `virtualenvs.create` makes poetry do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CreateMode {
    /// Creates (or reuses) a virtualenv for the project: the default, and any truthy value,
    /// including the *strings* `"false"` and `"no"` in a file.
    Venv,
    /// Skips the virtualenv: installs into the "system" environment (§3). A variable that does
    /// not read as true, or `false` in a file.
    System,
    /// A file value that is falsy but not the boolean `false` (`0`, `""`, `[]`), before 2.5.0:
    /// poetry takes the no-virtualenv branch in one place and not in the other; it announces
    /// "Creating virtualenv", never builds it, and installs where the missing venv's `python`
    /// resolves (§1.2).
    UnbuiltVenv,
}

/// Resolves `virtualenvs.create`.
pub fn resolve_create(config: &PoetryConfig<'_>) -> CreateSetting {
    let path = ["virtualenvs", "create"];
    let (source, seen) = config.seen(&path);
    let mut env_reading = None;
    let mode = match &source {
        SettingSource::Env { .. } => {
            let (_, raw) = config
                .env_value(&path)
                .expect("the winning variable is set");
            let reading = parse_env_bool(raw, config.version);
            env_reading = Some(reading);
            if reading.value {
                CreateMode::Venv
            } else {
                CreateMode::System
            }
        }
        SettingSource::File { .. } => {
            let (_, entry) = *config.file_entries(&path).last().expect("a file sets it");
            file_create_mode(&entry.value, config.version)
        }
        SettingSource::Default => CreateMode::Venv,
    };
    CreateSetting {
        mode,
        source,
        env_reading,
        seen,
    }
}

/// What a `virtualenvs.create` value in a file does (§1.2): `false` switches virtualenvs off;
/// another falsy value (`0`, `""`) does too from 2.5.0, and before leaves poetry half-way
/// ([`CreateMode::UnbuiltVenv`]); anything truthy, the string `"false"` included, keeps them.
pub fn file_create_mode(value: &TomlValue, version: PoetryVersion) -> CreateMode {
    match value {
        TomlValue::Bool(false) => CreateMode::System,
        other if !other.python_truthy() => {
            if version.any_falsy_value_skips_venv() {
                CreateMode::System
            } else {
                CreateMode::UnbuiltVenv
            }
        }
        _ => CreateMode::Venv,
    }
}
