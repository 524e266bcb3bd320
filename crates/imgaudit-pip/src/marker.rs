//! PEP 668's `EXTERNALLY-MANAGED` marker as pip ≥ 23.0 reads it (PIP-SEMANTICS.md §2.1, §2.2).

use serde::Serialize;

use crate::config::PipConfigFile;

/// What sits at `<stdlib>/EXTERNALLY-MANAGED`, symlinks resolved inside the image root.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkerState {
    /// Nothing there.
    #[default]
    Absent,
    /// A regular file, or a symlink to one. It blocks whatever its content (§2.2). `content` is
    /// `None` when the file cannot be read (e.g. mode 000 for a non-root user): it still blocks.
    RegularFile { content: Option<Vec<u8>> },
    /// A directory of that name: `os.path.isfile` is false, so no block (run).
    Directory,
    /// A symlink to nothing: no block (run).
    DanglingLink,
}

impl MarkerState {
    /// pip's `os.path.isfile(marker)`: only a regular file counts.
    pub const fn is_marker(&self) -> bool {
        matches!(self, Self::RegularFile { .. })
    }
}

/// What `ExternallyManagedEnvironment.from_config` makes of a marker file. Every variant means
/// pip refuses to act; they differ in message and exit status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkerRead {
    /// pip prints this `Error` (or localized `Error-<lang>`) text; exit 1.
    Message { key: String, text: String },
    /// pip prints its generic "The Python environment under … is managed externally" text;
    /// exit 1. `warning` names the error when pip also logs "Failed to read …" (decoding or
    /// parsing errors, §2.2); an unreadable file, a missing section or key give no warning.
    Generic { warning: Option<String> },
    /// configparser raised an exception pip does not catch (`DuplicateOptionError`,
    /// `DuplicateSectionError`): traceback, exit 2, nothing installed (§2.2).
    Crash { exception: String, line: usize },
}

impl MarkerRead {
    /// pip's exit status for this marker.
    pub const fn exit_code(&self) -> i32 {
        match self {
            Self::Crash { .. } => 2,
            Self::Message { .. } | Self::Generic { .. } => 1,
        }
    }
}

/// The keys pip tries, in order (`_iter_externally_managed_error_keys`): `Error-<lang>`, then
/// `Error-<part before - or _>`, then `Error`. Keys match case-insensitively.
pub fn marker_error_keys(lang: Option<&str>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(lang) = lang {
        keys.push(format!("Error-{lang}"));
        for sep in ['-', '_'] {
            if let Some((before, _)) = lang.split_once(sep) {
                keys.push(format!("Error-{before}"));
            }
        }
    }
    keys.push("Error".to_owned());
    keys
}

/// Reads marker bytes as pip does: UTF-8, `ConfigParser(interpolation=None)`, section
/// `[externally-managed]`, first key of [`marker_error_keys`] present (a `[DEFAULT]` value is
/// inherited). `content` is `None` when the file cannot be opened; configparser skips such a
/// file silently. Approximation: a decoding error anywhere wins over a duplicate key, whereas
/// Python decodes in 8 KiB chunks and could meet a duplicate in an earlier chunk first.
pub fn read_marker(content: Option<&[u8]>, lang: Option<&str>) -> MarkerRead {
    let Some(bytes) = content else {
        return MarkerRead::Generic { warning: None };
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return MarkerRead::Generic {
            warning: Some("UnicodeDecodeError".to_owned()),
        };
    };
    let file = PipConfigFile::parse(text);
    if let Some(problem) = file.python_error() {
        if problem.kind.is_parsing_error() {
            return MarkerRead::Generic {
                warning: Some(problem.kind.python_exception().to_owned()),
            };
        }
        return MarkerRead::Crash {
            exception: problem.kind.python_exception().to_owned(),
            line: problem.line,
        };
    }
    let items = file.items("externally-managed");
    if file.section("externally-managed").is_none() {
        return MarkerRead::Generic { warning: None };
    }
    for key in marker_error_keys(lang) {
        let wanted = key.to_lowercase();
        if let Some(item) = items.iter().find(|i| i.entry.key == wanted) {
            return MarkerRead::Message {
                key,
                text: item.entry.value.clone(),
            };
        }
    }
    MarkerRead::Generic { warning: None }
}
