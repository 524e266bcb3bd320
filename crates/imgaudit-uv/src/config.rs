//! One uv configuration file: `uv.toml` or the `[tool.uv]` table of a `pyproject.toml`, read as
//! uv reads it (UV-SEMANTICS.md §3.3): which keys it accepts where, and when the file aborts uv.

use serde::Serialize;

use crate::keys::{NEWEST_PIP, NEWEST_TOP_LEVEL, OLD_PIP_ONLY, V0_1_TOP_LEVEL};
use crate::value::{IndexEntry, IndexStrategy};
use crate::version::UvVersion;

/// The two shapes a uv configuration takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// `uv.toml`: options at the top level, pip options in `[pip]`.
    UvToml,
    /// `pyproject.toml`: options in `[tool.uv]`, pip options in `[tool.uv.pip]`.
    Pyproject,
}

/// A table of uv's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Table {
    /// The top level of `uv.toml` / `[tool.uv]`.
    Top,
    /// `[pip]` / `[tool.uv.pip]`.
    Pip,
}

/// Whether uv `version` accepts `key` in `table` of a `uv.toml` (an unknown key aborts uv).
///
/// Based on the newest measured key lists, with the measured differences of older releases;
/// keys that older releases lacked are not modelled beyond those (an older uv may reject a key
/// this accepts).
pub fn key_known(version: UvVersion, table: Table, key: &str) -> bool {
    match table {
        Table::Top => {
            if version < UvVersion::new(0, 2, 0) {
                return V0_1_TOP_LEVEL.contains(&key);
            }
            match key {
                "allow-insecure-host" => version.has_insecure_host(),
                "index" => version.has_named_indexes(),
                "index-strategy" => version.top_level_index_strategy(),
                _ => NEWEST_TOP_LEVEL.contains(&key),
            }
        }
        Table::Pip => {
            NEWEST_PIP.contains(&key)
                || (version < UvVersion::new(0, 4, 0) && OLD_PIP_ONLY.contains(&key))
                || (key == "allow-insecure-host" && version.pip_table_allows_insecure_host())
        }
    }
}

/// A value as uv will use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "value")]
pub enum ConfigValue {
    Bool(bool),
    Text(String),
    List(Vec<String>),
    /// `[[index]]` entries.
    Indexes(Vec<IndexEntry>),
    /// Another TOML value, as TOML text.
    Other(String),
}

/// One option set in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEntry {
    pub table: Table,
    pub key: String,
    pub value: ConfigValue,
    /// 1-based line of the key (or of the `[[index]]` header), when found.
    pub line: Option<usize>,
}

/// What uv does with the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum FileState {
    /// Read; its entries apply.
    Valid,
    /// A `uv.toml` uv cannot read: every command aborts (`Failed to parse: <path>`, exit 2).
    Rejected(String),
    /// A `pyproject.toml` whose `[tool.uv]` (or whole text) uv cannot read: ignored with a warning.
    Skipped(String),
    /// A `pyproject.toml` without a `[tool.uv]` table: not a uv configuration at all.
    NoToolUv,
}

/// A parsed configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UvConfigFile {
    pub format: FileFormat,
    pub state: FileState,
    /// Every uv option the file sets (also for rejected/skipped files, as far as they parse, so a
    /// report can show them with the reason they do not count).
    pub entries: Vec<ConfigEntry>,
}

impl UvConfigFile {
    /// Reads `text` as uv `version` would.
    pub fn parse(text: &str, format: FileFormat, version: UvVersion) -> Self {
        let bad = |reason: String| match format {
            FileFormat::UvToml => FileState::Rejected(reason),
            FileFormat::Pyproject => FileState::Skipped(reason),
        };
        let root: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                return Self {
                    format,
                    state: bad(format!("not valid TOML: {}", first_line(&e.to_string()))),
                    entries: Vec::new(),
                };
            }
        };
        let options = match format {
            FileFormat::UvToml => root,
            FileFormat::Pyproject => {
                match root
                    .get("tool")
                    .and_then(toml::Value::as_table)
                    .and_then(|t| t.get("uv"))
                {
                    Some(toml::Value::Table(t)) => t.clone(),
                    Some(_) => {
                        return Self {
                            format,
                            state: FileState::Skipped("`tool.uv` is not a table".to_owned()),
                            entries: Vec::new(),
                        };
                    }
                    None => {
                        return Self {
                            format,
                            state: FileState::NoToolUv,
                            entries: Vec::new(),
                        };
                    }
                }
            }
        };
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (key, value) in &options {
            if key == "pip" {
                match value {
                    toml::Value::Table(pip) => {
                        for (k, v) in pip {
                            check_entry(version, Table::Pip, k, v, &mut problems);
                            entries.push(entry(text, format, Table::Pip, k, v));
                        }
                    }
                    _ => problems.push("`pip` is not a table".to_owned()),
                }
                continue;
            }
            check_entry(version, Table::Top, key, value, &mut problems);
            entries.push(entry(text, format, Table::Top, key, value));
        }
        let state = if problems.is_empty() {
            FileState::Valid
        } else {
            bad(problems.join("; "))
        };
        Self {
            format,
            state,
            entries,
        }
    }

    /// The value of `key`, `[pip]` first and then the top level (uv's pip commands prefer `[pip]`).
    pub fn pip_value(&self, key: &str) -> Option<&ConfigEntry> {
        self.get(Table::Pip, key)
            .or_else(|| self.get(Table::Top, key))
    }

    /// The entry for `key` in `table`.
    pub fn get(&self, table: Table, key: &str) -> Option<&ConfigEntry> {
        self.entries
            .iter()
            .find(|e| e.table == table && e.key == key)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// Records why uv would refuse `key = value` in `table`.
fn check_entry(
    version: UvVersion,
    table: Table,
    key: &str,
    value: &toml::Value,
    problems: &mut Vec<String>,
) {
    let place = match table {
        Table::Top => "the top level",
        Table::Pip => "[pip]",
    };
    if !key_known(version, table, key) {
        problems.push(format!("unknown key `{key}` in {place} for uv {version}"));
        return;
    }
    let ok = match key {
        "system" | "break-system-packages" | "no-index" | "native-tls" | "offline" => {
            value.is_bool()
        }
        "index-strategy" => value
            .as_str()
            .is_some_and(|s| IndexStrategy::parse(s).is_some()),
        "index-url" => value.is_str(),
        "extra-index-url" | "allow-insecure-host" => value
            .as_array()
            .is_some_and(|a| a.iter().all(toml::Value::is_str)),
        "index" => value.as_array().is_some_and(|a| {
            a.iter().all(|t| {
                t.as_table()
                    .and_then(|t| t.get("url"))
                    .is_some_and(toml::Value::is_str)
            })
        }),
        _ => true,
    };
    if !ok {
        problems.push(format!("invalid value for `{key}` in {place}: {value}"));
    }
}

fn entry(
    text: &str,
    format: FileFormat,
    table: Table,
    key: &str,
    value: &toml::Value,
) -> ConfigEntry {
    let converted = match (key, value) {
        (_, toml::Value::Boolean(b)) => ConfigValue::Bool(*b),
        (_, toml::Value::String(s)) => ConfigValue::Text(s.clone()),
        ("index", toml::Value::Array(items)) => ConfigValue::Indexes(
            items
                .iter()
                .filter_map(toml::Value::as_table)
                .map(|t| IndexEntry {
                    name: t
                        .get("name")
                        .and_then(toml::Value::as_str)
                        .map(str::to_owned),
                    url: t
                        .get("url")
                        .and_then(toml::Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                })
                .collect(),
        ),
        (_, toml::Value::Array(items)) if items.iter().all(toml::Value::is_str) => {
            ConfigValue::List(
                items
                    .iter()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            )
        }
        (_, other) => ConfigValue::Other(other.to_string()),
    };
    ConfigEntry {
        table,
        key: key.to_owned(),
        value: converted,
        line: line_of(text, format, table, key),
    }
}

/// The 1-based line where `key` is set in `table` (a plain scan: good enough to point a reader at
/// the line; `None` when the key is written in an inline table or a dotted form).
fn line_of(text: &str, format: FileFormat, table: Table, key: &str) -> Option<usize> {
    let header = match (format, table) {
        (FileFormat::UvToml, Table::Top) => None,
        (FileFormat::UvToml, Table::Pip) => Some("pip"),
        (FileFormat::Pyproject, Table::Top) => Some("tool.uv"),
        (FileFormat::Pyproject, Table::Pip) => Some("tool.uv.pip"),
    };
    let array_header = match format {
        FileFormat::UvToml => "index",
        FileFormat::Pyproject => "tool.uv.index",
    };
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            if key == "index" && table == Table::Top && h.trim() == array_header {
                return Some(n + 1);
            }
            current = Some(h.trim().to_owned());
            continue;
        }
        if let Some(h) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            current = Some(h.trim().to_owned());
            continue;
        }
        let in_table = match (&current, header) {
            (None, None) => true,
            (Some(c), Some(h)) => c == h,
            _ => false,
        };
        if in_table
            && t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(n + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: UvVersion = UvVersion::NEWEST_MEASURED;

    #[test]
    fn system_only_in_pip_table() {
        let f = UvConfigFile::parse("[pip]\nsystem = true\n", FileFormat::UvToml, NEW);
        assert_eq!(f.state, FileState::Valid);
        assert_eq!(f.get(Table::Pip, "system").unwrap().line, Some(2));
        let f = UvConfigFile::parse("system = true\n", FileFormat::UvToml, NEW);
        assert!(matches!(f.state, FileState::Rejected(_)));
        let f = UvConfigFile::parse(
            "[project]\nname='p'\n[tool.uv]\nsystem = true\n",
            FileFormat::Pyproject,
            NEW,
        );
        assert!(matches!(f.state, FileState::Skipped(_)));
        let f = UvConfigFile::parse("[project]\nname='p'\n", FileFormat::Pyproject, NEW);
        assert_eq!(f.state, FileState::NoToolUv);
    }

    #[test]
    fn wrong_types_and_bad_toml_reject() {
        for text in [
            "[pip]\nsystem = \"yes\"\n",
            "[pip\n",
            "[pip]\nindex-strategy = \"x\"\n",
        ] {
            let f = UvConfigFile::parse(text, FileFormat::UvToml, NEW);
            assert!(matches!(f.state, FileState::Rejected(_)), "{text}");
        }
    }

    #[test]
    fn index_tables_and_lines() {
        let text = "allow-insecure-host = [\"h\"]\n\n[[index]]\nname = \"corp\"\nurl = \"https://u:p@h/simple\"\n";
        let f = UvConfigFile::parse(text, FileFormat::UvToml, NEW);
        assert_eq!(f.state, FileState::Valid);
        let idx = f.get(Table::Top, "index").unwrap();
        assert_eq!(idx.line, Some(3));
        assert_eq!(
            idx.value,
            ConfigValue::Indexes(vec![IndexEntry {
                name: Some("corp".into()),
                url: "https://u:p@h/simple".into()
            }])
        );
        assert_eq!(
            f.get(Table::Top, "allow-insecure-host").unwrap().line,
            Some(1)
        );
    }
}
