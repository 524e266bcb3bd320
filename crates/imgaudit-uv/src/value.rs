//! How uv reads a value: booleans, the index strategy, space-separated lists, `UV_INDEX` entries
//! and the variable names of an index's credentials (UV-SEMANTICS.md §1, §5).

use serde::Serialize;

/// What uv makes of a value given to a boolean switch such as `UV_SYSTEM_PYTHON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BoolValue {
    /// `1 true yes y on t`, any case: the flag is given.
    True,
    /// `0 false no n off f`, any case: as if the flag were not given; config files still decide.
    False,
    /// The empty string: uv aborts, like any other invalid value (unlike pip, which ignores it).
    Empty,
    /// Anything else, including values with spaces: every command with the flag aborts, exit 2.
    Invalid,
}

impl BoolValue {
    /// Whether uv aborts when it sees this value.
    pub fn aborts(self) -> bool {
        matches!(self, Self::Empty | Self::Invalid)
    }
}

/// Classifies an environment value the way uv (clap's boolish parser) does: no trimming, any case.
pub fn parse_bool(raw: &str) -> BoolValue {
    if raw.is_empty() {
        return BoolValue::Empty;
    }
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" | "t" => BoolValue::True,
        "0" | "false" | "no" | "n" | "off" | "f" => BoolValue::False,
        _ => BoolValue::Invalid,
    }
}

/// uv's index strategy (`UV_INDEX_STRATEGY`, `--index-strategy`, `index-strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexStrategy {
    /// The default: the first index (in search order) that has the name decides.
    FirstIndex,
    /// The first index with a version that satisfies the requirement.
    UnsafeFirstMatch,
    /// The highest version across every index: dependency confusion.
    UnsafeBestMatch,
}

impl IndexStrategy {
    /// The spelling uv accepts; anything else aborts.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "first-index" => Some(Self::FirstIndex),
            "unsafe-first-match" => Some(Self::UnsafeFirstMatch),
            "unsafe-best-match" => Some(Self::UnsafeBestMatch),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstIndex => "first-index",
            Self::UnsafeFirstMatch => "unsafe-first-match",
            Self::UnsafeBestMatch => "unsafe-best-match",
        }
    }

    /// Whether a package can come from an index later in the search order than the first one that
    /// has its name (the two `unsafe-*` strategies).
    pub fn crosses_indexes(self) -> bool {
        !matches!(self, Self::FirstIndex)
    }
}

/// A space-separated list (`UV_EXTRA_INDEX_URL`, `UV_INDEX`, `UV_INSECURE_HOST`).
pub fn split_list(raw: &str) -> Vec<&str> {
    raw.split_ascii_whitespace().collect()
}

/// One entry of `UV_INDEX` / `--index`: `name=url` or a bare url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    pub name: Option<String>,
    pub url: String,
}

/// Parses `UV_INDEX`: space-separated `name=url` or bare urls. A `=` only names the index when
/// what precedes it has no `:` or `/` (so `https://host/?a=b` stays a bare url).
pub fn parse_index_entries(raw: &str) -> Vec<IndexEntry> {
    split_list(raw)
        .into_iter()
        .map(|item| match item.split_once('=') {
            Some((name, url)) if !name.is_empty() && !name.contains(':') && !name.contains('/') => {
                IndexEntry {
                    name: Some(name.to_owned()),
                    url: url.to_owned(),
                }
            }
            _ => IndexEntry {
                name: None,
                url: item.to_owned(),
            },
        })
        .collect()
}

/// The `<NAME>` in `UV_INDEX_<NAME>_USERNAME` / `_PASSWORD` for an index named `name`: upper-cased,
/// every non-alphanumeric character replaced by `_` (run: `my-idx`, `my.idx`, `my_idx` → `MY_IDX`).
pub fn credential_env_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The index name a `UV_INDEX_<NAME>_USERNAME|PASSWORD` variable refers to, as written, with which
/// half it gives; `None` for other variables (`UV_INDEX_URL`, `UV_INDEX_STRATEGY`).
pub fn credential_variable(var: &str) -> Option<(&str, CredentialPart)> {
    let rest = var.strip_prefix("UV_INDEX_")?;
    if let Some(name) = rest.strip_suffix("_PASSWORD") {
        return (!name.is_empty()).then_some((name, CredentialPart::Password));
    }
    if let Some(name) = rest.strip_suffix("_USERNAME") {
        return (!name.is_empty()).then_some((name, CredentialPart::Username));
    }
    None
}

/// Which half of a credential a variable gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialPart {
    Username,
    Password,
}

/// Whether `allow-insecure-host` entry `entry` (a host, `host:port` or a url) covers `host:port`.
pub fn insecure_host_matches(entry: &str, host: &str, port: Option<u16>) -> bool {
    let entry = entry
        .split_once("://")
        .map_or(entry, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    match entry.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
            h.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == port
        }
        _ => entry.eq_ignore_ascii_case(host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_measured() {
        for v in ["1", "true", "TRUE", "True", "yes", "y", "on", "t"] {
            assert_eq!(parse_bool(v), BoolValue::True, "{v}");
        }
        for v in ["0", "false", "FALSE", "no", "off", "n", "f"] {
            assert_eq!(parse_bool(v), BoolValue::False, "{v}");
        }
        assert_eq!(parse_bool(""), BoolValue::Empty);
        for v in ["2", "-1", "garbage", " 1", "1 "] {
            assert_eq!(parse_bool(v), BoolValue::Invalid, "{v}");
        }
    }

    #[test]
    fn index_entries_and_credential_names() {
        let e = parse_index_entries("a=http://x/simple http://y/simple  b=https://z/?q=1");
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].name.as_deref(), Some("a"));
        assert_eq!(e[1].name, None);
        assert_eq!(e[2].url, "https://z/?q=1");
        assert_eq!(parse_index_entries("https://h/?a=b")[0].name, None);
        assert_eq!(credential_env_name("my-idx"), "MY_IDX");
        assert_eq!(credential_env_name("my.idx"), "MY_IDX");
        assert_eq!(credential_env_name("MyIdx"), "MYIDX");
        assert_eq!(
            credential_variable("UV_INDEX_MY_IDX_PASSWORD"),
            Some(("MY_IDX", CredentialPart::Password))
        );
        assert_eq!(credential_variable("UV_INDEX_URL"), None);
        assert_eq!(credential_variable("UV_INDEX__PASSWORD"), None);
    }

    #[test]
    fn insecure_hosts() {
        assert!(insecure_host_matches("127.0.0.1", "127.0.0.1", Some(8443)));
        assert!(insecure_host_matches(
            "127.0.0.1:8443",
            "127.0.0.1",
            Some(8443)
        ));
        assert!(!insecure_host_matches(
            "127.0.0.1:1",
            "127.0.0.1",
            Some(8443)
        ));
        assert!(insecure_host_matches(
            "https://Repo.Example/x",
            "repo.example",
            None
        ));
        assert!(!insecure_host_matches("other.example", "127.0.0.1", None));
    }
}
