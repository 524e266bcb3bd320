//! poetry's configuration files: where they are, in which order they merge, and how a TOML
//! value is read (POETRY-SEMANTICS.md §2).

use serde::Serialize;
use toml::de::{DeTable, DeValue};

/// One of the files poetry merges into its configuration, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigFileKind {
    /// `<config dir>/config.toml`, the file `poetry config` writes.
    Global,
    /// `<config dir>/auth.toml`, where `poetry config http-basic/pypi-token` writes credentials
    /// when no keyring takes them. Merged over `config.toml`: any setting in it counts.
    Auth,
    /// `poetry.toml` beside the project's `pyproject.toml` (`poetry config --local`).
    Local,
}

impl ConfigFileKind {
    /// Merge order: each later file's values replace the earlier ones (§2.2).
    pub const ALL: [ConfigFileKind; 3] = [Self::Global, Self::Auth, Self::Local];

    pub fn file_name(self) -> &'static str {
        match self {
            Self::Global => "config.toml",
            Self::Auth => "auth.toml",
            Self::Local => "poetry.toml",
        }
    }
}

/// What decided the config directory (§2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigDirSource {
    /// `POETRY_CONFIG_DIR`, when non-empty: used as is, no `pypoetry` appended.
    PoetryConfigDir,
    /// `$XDG_CONFIG_HOME/pypoetry`, when `XDG_CONFIG_HOME` is not blank.
    XdgConfigHome,
    /// `~/.config/pypoetry`.
    Home,
}

/// The directory holding `config.toml` and `auth.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigDir {
    pub path: String,
    pub source: ConfigDirSource,
}

/// Where poetry looks for `config.toml`/`auth.toml` given the environment it runs with (in
/// order; a later duplicate replaces an earlier one) and the home directory (`$HOME`, or the
/// passwd home when unset). `XDG_CONFIG_DIRS` and `/etc` are never read (§2.1, run).
pub fn config_dir(env: &[(String, String)], home: &str) -> ConfigDir {
    let value = |name: &str| {
        env.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(dir) = value("POETRY_CONFIG_DIR").filter(|v| !v.is_empty()) {
        return ConfigDir {
            path: dir.to_owned(),
            source: ConfigDirSource::PoetryConfigDir,
        };
    }
    // platformdirs: `os.environ.get("XDG_CONFIG_HOME", "")`, blank means unset.
    if let Some(xdg) = value("XDG_CONFIG_HOME").filter(|v| !v.trim().is_empty()) {
        return ConfigDir {
            path: join(xdg, "pypoetry"),
            source: ConfigDirSource::XdgConfigHome,
        };
    }
    let home = value("HOME").unwrap_or(home);
    ConfigDir {
        path: join(&join(home, ".config"), "pypoetry"),
        source: ConfigDirSource::Home,
    }
}

/// The directory poetry takes as the project: the first of `cwd` and its parents holding a
/// `pyproject.toml` (`Factory.locate`); its `poetry.toml` is the local file. A `poetry.toml`
/// anywhere else is not read (§2.3, run).
pub fn locate_project(cwd: &str, has_pyproject: impl Fn(&str) -> bool) -> Option<String> {
    let mut dir = cwd.trim_end_matches('/').to_owned();
    if dir.is_empty() {
        dir.push('/');
    }
    loop {
        if has_pyproject(&join(&dir, "pyproject.toml")) {
            return Some(dir);
        }
        if dir == "/" {
            return None;
        }
        match dir.rfind('/') {
            Some(0) => dir.truncate(1),
            Some(i) => dir.truncate(i),
            None => return None,
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// A value as TOML typed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum TomlValue {
    Bool(bool),
    String(String),
    /// The integer as written (`0`, `0x0`, `1_000`).
    Integer(String),
    Float(String),
    Datetime(String),
    /// Its number of elements.
    Array(usize),
    /// An inline or dotted table reached where a value was expected; its number of keys.
    Table(usize),
}

impl TomlValue {
    /// Python's truthiness of the loaded value: poetry decides "skip the virtualenv" with
    /// `if not create_venv` (§1.2), so `0`, `""` and `[]` switch it off like `false` does,
    /// while the *string* `"false"` is truthy and keeps it on.
    pub fn python_truthy(&self) -> bool {
        match self {
            Self::Bool(b) => *b,
            Self::String(s) => !s.is_empty(),
            Self::Integer(raw) => !integer_is_zero(raw),
            Self::Float(raw) => !float_is_zero(raw),
            Self::Datetime(_) => true,
            Self::Array(n) | Self::Table(n) => *n > 0,
        }
    }

    /// The value as poetry would print it back, for display.
    pub fn display(&self) -> String {
        match self {
            Self::Bool(b) => b.to_string(),
            Self::String(s) => format!("{s:?}"),
            Self::Integer(s) | Self::Float(s) | Self::Datetime(s) => s.clone(),
            Self::Array(n) => format!("[{n} items]"),
            Self::Table(n) => format!("{{{n} keys}}"),
        }
    }

    /// What `poetry config <key>` prints for the value: booleans as `true`/`false`, strings
    /// as they are (no quotes), numbers as written.
    pub fn as_poetry_prints(&self) -> String {
        match self {
            Self::String(s) => s.clone(),
            other => other.display(),
        }
    }

    /// The text of a string value, for credentials and URLs.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

fn integer_is_zero(raw: &str) -> bool {
    let digits = raw.trim_start_matches(['+', '-']);
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0o"))
        .or_else(|| digits.strip_prefix("0b"))
        .unwrap_or(digits);
    digits.chars().all(|c| c == '0' || c == '_')
}

fn float_is_zero(raw: &str) -> bool {
    let mantissa = raw
        .trim_start_matches(['+', '-'])
        .split(['e', 'E'])
        .next()
        .unwrap_or("");
    !mantissa.is_empty() && mantissa.chars().all(|c| matches!(c, '0' | '.' | '_'))
}

/// One leaf of a configuration file: the full key path (`["virtualenvs", "create"]`,
/// `["http-basic", "my.repo", "password"]`) and its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigEntry {
    pub path: Vec<String>,
    pub value: TomlValue,
    /// 1-based line of the key.
    pub line: u32,
}

impl ConfigEntry {
    /// The table the key is in, dotted (`http-basic.myrepo`); empty at the top.
    pub fn table(&self) -> String {
        self.path[..self.path.len() - 1].join(".")
    }

    /// The key itself (`password`).
    pub fn key(&self) -> &str {
        &self.path[self.path.len() - 1]
    }
}

/// A parsed `config.toml`, `auth.toml` or `poetry.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoetryConfigFile {
    pub entries: Vec<ConfigEntry>,
}

/// Why a configuration file is not TOML: poetry then stops with "Invalid TOML file <path>"
/// and exit status 1 on every command that loads it (§2.4, run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("invalid TOML at line {line}: {message}")]
pub struct ConfigParseError {
    pub line: u32,
    pub message: String,
}

/// Entries kept from one file at most; a hostile file cannot make the facts grow without bound.
const MAX_ENTRIES: usize = 10_000;
/// Nesting followed at most.
const MAX_DEPTH: usize = 32;

impl PoetryConfigFile {
    /// Parses a configuration file (a leading BOM is skipped). Keys are case-sensitive, as
    /// poetry reads them: `CREATE = false` is not `create`.
    pub fn parse(text: &str) -> Result<PoetryConfigFile, ConfigParseError> {
        let source = text.strip_prefix('\u{feff}').unwrap_or(text);
        let table = DeTable::parse(source).map_err(|e| ConfigParseError {
            line: e.span().map_or(1, |span| Lines::new(source).of(span.start)),
            message: e.message().to_owned(),
        })?;
        let mut entries = Vec::new();
        flatten(
            &Lines::new(source),
            table.get_ref(),
            &mut Vec::new(),
            &mut entries,
        );
        Ok(PoetryConfigFile { entries })
    }

    /// The entry at exactly this key path.
    pub fn get(&self, path: &[&str]) -> Option<&ConfigEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.path.len() == path.len() && e.path.iter().zip(path).all(|(a, b)| a == b))
    }

    /// Entries whose path starts with `prefix` (`["http-basic"]`).
    pub fn under<'a>(&'a self, prefix: &'a [&'a str]) -> impl Iterator<Item = &'a ConfigEntry> {
        self.entries.iter().filter(move |e| {
            e.path.len() > prefix.len() && e.path.iter().zip(prefix).all(|(a, b)| a == b)
        })
    }
}

/// The offsets where lines start, to turn a byte offset into a line number in O(log n).
struct Lines(Vec<usize>);

impl Lines {
    fn new(source: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines(starts)
    }

    /// 1-based line of a byte offset.
    fn of(&self, offset: usize) -> u32 {
        let line = self.0.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

fn flatten(lines: &Lines, table: &DeTable<'_>, path: &mut Vec<String>, out: &mut Vec<ConfigEntry>) {
    for (key, value) in table {
        if out.len() >= MAX_ENTRIES {
            return;
        }
        path.push(key.get_ref().to_string());
        let line = lines.of(key.span().start);
        match value.get_ref() {
            DeValue::Table(inner) if path.len() < MAX_DEPTH => {
                if inner.is_empty() {
                    out.push(ConfigEntry {
                        path: path.clone(),
                        value: TomlValue::Table(0),
                        line,
                    });
                }
                flatten(lines, inner, path, out);
            }
            other => out.push(ConfigEntry {
                path: path.clone(),
                value: leaf(other),
                line,
            }),
        }
        path.pop();
    }
}

fn leaf(value: &DeValue<'_>) -> TomlValue {
    match value {
        DeValue::Boolean(b) => TomlValue::Bool(*b),
        DeValue::String(s) => TomlValue::String(s.to_string()),
        DeValue::Integer(i) => TomlValue::Integer(i.as_str().to_owned()),
        DeValue::Float(f) => TomlValue::Float(f.as_str().to_owned()),
        DeValue::Datetime(d) => TomlValue::Datetime(d.to_string()),
        DeValue::Array(a) => TomlValue::Array(a.len()),
        DeValue::Table(t) => TomlValue::Table(t.len()),
    }
}

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
    fn config_dir_order() {
        let home = "/root";
        assert_eq!(config_dir(&env(&[]), home).path, "/root/.config/pypoetry");
        assert_eq!(
            config_dir(&env(&[("XDG_CONFIG_HOME", "/x")]), home).path,
            "/x/pypoetry"
        );
        assert_eq!(
            config_dir(&env(&[("XDG_CONFIG_HOME", " ")]), home).source,
            ConfigDirSource::Home
        );
        let both = env(&[("XDG_CONFIG_HOME", "/x"), ("POETRY_CONFIG_DIR", "/p")]);
        assert_eq!(config_dir(&both, home).path, "/p");
        assert_eq!(
            config_dir(&env(&[("POETRY_CONFIG_DIR", "")]), home).source,
            ConfigDirSource::Home
        );
        assert_eq!(
            config_dir(&env(&[("HOME", "/home/app")]), home).path,
            "/home/app/.config/pypoetry"
        );
    }

    #[test]
    fn locates_the_nearest_project() {
        let has = |p: &str| p == "/app/pyproject.toml" || p == "/pyproject.toml";
        assert_eq!(locate_project("/app/src/pkg", has).as_deref(), Some("/app"));
        assert_eq!(locate_project("/srv", has).as_deref(), Some("/"));
        assert_eq!(locate_project("/srv", |_| false), None);
    }

    #[test]
    fn flattens_with_lines_and_types() {
        let file = PoetryConfigFile::parse(
            "virtualenvs.create = 0\n[http-basic.\"my.repo\"]\nusername = \"u\"\npassword = \"p\"\n[x]\n",
        )
        .unwrap();
        let create = file.get(&["virtualenvs", "create"]).unwrap();
        assert_eq!(create.value, TomlValue::Integer("0".into()));
        assert!(!create.value.python_truthy());
        assert_eq!(create.line, 1);
        let pw = file.get(&["http-basic", "my.repo", "password"]).unwrap();
        assert_eq!(pw.line, 4);
        assert_eq!(pw.table(), "http-basic.my.repo");
        assert_eq!(file.under(&["http-basic"]).count(), 2);
        assert!(TomlValue::String("false".into()).python_truthy());
        assert!(!TomlValue::String(String::new()).python_truthy());
        assert!(!TomlValue::Float("0.0".into()).python_truthy());
        assert!(TomlValue::Float("0.5".into()).python_truthy());
        assert!(!TomlValue::Integer("-0x0".into()).python_truthy());
        let err = PoetryConfigFile::parse("[virtualenvs\ncreate = false\n").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
