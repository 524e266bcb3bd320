//! [`ConfigError`]: what is wrong with a configuration file, and where, rendered like a compiler
//! diagnostic.

use std::fmt::{self, Write as _};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// What kind of problem a [`ConfigError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read (see [`std::error::Error::source`] for the OS error).
    Read,
    /// The file is not UTF-8; the location is the first byte that is not.
    NotUtf8,
    /// The file is not TOML.
    Syntax,
    /// The file is TOML but not a valid configuration: an unknown key, a value of the wrong
    /// type, a bad severity, date or glob, a missing or empty required value.
    Invalid,
    /// A rule id, id prefix or rule name that names no known rule (from
    /// [`Config::resolve_rules`](crate::Config::resolve_rules)).
    UnknownRule,
    /// Two settings that contradict each other, such as `severity` keys naming one rule by id
    /// and by name with different severities (from
    /// [`Config::resolve_rules`](crate::Config::resolve_rules)).
    Conflict,
}

/// What is wrong with a configuration file, and where.
///
/// [`Display`](fmt::Display) renders a compiler-style diagnostic: the path as given,
/// `line:column` (1-based, columns counted in characters), the message, then the offending
/// source line with the span underlined by carets:
///
/// ```text
/// error: imgaudit.toml:1:1: `fial-on` is not a key of imgaudit.toml (expected one of: fail-on, …); did you mean `fail-on`?
///   |
/// 1 | fial-on = "high"
///   | ^^^^^^^
/// ```
#[derive(Debug)]
pub struct ConfigError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    path: PathBuf,
    message: String,
    key: Option<String>,
    location: Option<Location>,
    io: Option<io::Error>,
}

/// Where in the file an error is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Location {
    /// 1-based.
    line: usize,
    /// 1-based, in characters.
    column: usize,
    /// Byte offsets into the file (for [`ErrorKind::NotUtf8`], of the invalid byte).
    span: Range<usize>,
    /// The whole line, without its line break.
    text: String,
    /// How many characters the caret underline spans (at least 1).
    width: usize,
}

impl ConfigError {
    pub(crate) fn read(path: &Path, error: io::Error) -> ConfigError {
        ConfigError(Box::new(Inner {
            kind: ErrorKind::Read,
            path: path.to_owned(),
            message: format!("cannot read the file: {error}"),
            key: None,
            location: None,
            io: Some(error),
        }))
    }

    pub(crate) fn not_utf8(path: &Path, bytes: &[u8], error: std::str::Utf8Error) -> ConfigError {
        let offset = error.valid_up_to();
        let before = bytes.get(..offset).unwrap_or_default();
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |newline| newline + 1);
        let line_end = bytes
            .get(offset..)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
            .map_or(bytes.len(), |newline| offset + newline);
        let line_bytes = bytes.get(line_start..line_end).unwrap_or_default();
        let text = String::from_utf8_lossy(line_bytes)
            .trim_end_matches('\r')
            .to_owned();
        let column = String::from_utf8_lossy(bytes.get(line_start..offset).unwrap_or_default())
            .chars()
            .count()
            + 1;
        let invalid = bytes
            .get(offset)
            .map_or(String::new(), |byte| format!(" (byte 0x{byte:02x})"));
        ConfigError(Box::new(Inner {
            kind: ErrorKind::NotUtf8,
            path: path.to_owned(),
            message: format!("the file is not UTF-8{invalid}"),
            key: None,
            location: Some(Location {
                line: before.split(|b| *b == b'\n').count(),
                column,
                span: offset..offset + error.error_len().unwrap_or(1),
                text,
                width: 1,
            }),
            io: None,
        }))
    }

    /// An error at `span` of `source`, or at no particular place if `span` is `None`.
    pub(crate) fn at(
        kind: ErrorKind,
        path: &Path,
        source: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: String,
    ) -> ConfigError {
        ConfigError(Box::new(Inner {
            kind,
            path: path.to_owned(),
            message,
            key,
            location: span.map(|span| locate(source, span)),
            io: None,
        }))
    }

    /// A TOML syntax error; the key is found, when possible, from what could be parsed.
    pub(crate) fn syntax(path: &Path, source: &str, error: &toml::de::Error) -> ConfigError {
        let span = error.span();
        let key = span
            .as_ref()
            .and_then(|span| key_path_at(source, span.start))
            .map(|segments| render_key_path(&segments));
        let mut message = format!("invalid TOML: {}", error.message());
        if error.message() == "duplicate key" {
            if let Some(text) = span.as_ref().and_then(|span| source.get(span.clone())) {
                let _ = write!(message, " `{}`", text.trim());
            }
        }
        ConfigError::at(ErrorKind::Syntax, path, source, span, key, message)
    }

    /// An error from deserializing well-formed TOML into the configuration: the key is found
    /// from the span, and serde's wording is translated into the file's vocabulary.
    pub(crate) fn schema(path: &Path, source: &str, error: &toml::de::Error) -> ConfigError {
        let segments = error
            .span()
            .and_then(|span| key_path_at(source, span.start))
            .unwrap_or_default();
        let key = (!segments.is_empty()).then(|| render_key_path(&segments));
        let message = schema_message(error.message(), &segments, key.as_deref());
        ConfigError::at(ErrorKind::Invalid, path, source, error.span(), key, message)
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The configuration file's path, as given to [`Config::load`](crate::Config::load) or
    /// [`Config::parse`](crate::Config::parse).
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The message alone, without location or source line.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The dotted key the error is about, in TOML syntax (`fail-on`, `rules.enable[1]`,
    /// `rules.severity.PY002`, `suppress[0].reason`; array indices 0-based), when there is one.
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }

    /// The 1-based line, when the error has a location.
    pub fn line(&self) -> Option<usize> {
        self.0.location.as_ref().map(|location| location.line)
    }

    /// The 1-based column, counted in characters, when the error has a location.
    pub fn column(&self) -> Option<usize> {
        self.0.location.as_ref().map(|location| location.column)
    }

    /// The byte range of the file the error is about, when the error has a location.
    pub fn span(&self) -> Option<Range<usize>> {
        self.0
            .location
            .as_ref()
            .map(|location| location.span.clone())
    }

    /// The source line the error is on, without its line break, when the error has a location.
    pub fn source_line(&self) -> Option<&str> {
        self.0
            .location
            .as_ref()
            .map(|location| location.text.as_str())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.0.path.display();
        let Some(location) = &self.0.location else {
            return write!(f, "{path}: {}", self.0.message);
        };
        let Location {
            line,
            column,
            text,
            width,
            ..
        } = location;
        writeln!(f, "{path}:{line}:{column}: {}", self.0.message)?;
        let gutter = " ".repeat(line.to_string().len());
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{line} | {text}")?;
        // Keep tabs so that the carets line up under the span whatever the tab width.
        let indent: String = text
            .chars()
            .take(column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{gutter} | {indent}{}", "^".repeat(*width))
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .io
            .as_ref()
            .map(|error| error as &(dyn std::error::Error + 'static))
    }
}

/// The largest char boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The location of `span` in `source`; a span over several lines is underlined to the end of its
/// first line.
fn locate(source: &str, span: Range<usize>) -> Location {
    let start = floor_char_boundary(source, span.start);
    let before = &source[..start];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |newline| start + newline);
    let text = source[line_start..line_end].trim_end_matches('\r');
    let end = floor_char_boundary(source, span.end.min(line_start + text.len()).max(start));
    Location {
        line: before.matches('\n').count() + 1,
        column: source[line_start..start].chars().count() + 1,
        span: start..span.end.max(start),
        text: text.to_owned(),
        width: source[start..end].chars().count().max(1),
    }
}

/// One step of a path to a value in a TOML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Renders `[Key("suppress"), Index(0), Key("reason")]` as `suppress[0].reason`, quoting keys
/// that are not bare keys.
pub(crate) fn render_key_path(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if bare {
                    out.push_str(key);
                } else {
                    let _ = write!(out, "{key:?}");
                }
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

/// The path of the deepest key or value of `source` whose span contains `offset`; for a file
/// with syntax errors, of what could be parsed.
fn key_path_at(source: &str, offset: usize) -> Option<Vec<Segment>> {
    let (root, _errors) = DeTable::parse_recoverable(source);
    find_in_table(root.get_ref(), offset)
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end
}

fn find_in_table(table: &DeTable<'_>, offset: usize) -> Option<Vec<Segment>> {
    for (key, value) in table {
        let here = Segment::Key(key.get_ref().to_string());
        if contains(&key.span(), offset) {
            return Some(vec![here]);
        }
        // Keys under a `[header]` are outside the header's span: always look inside.
        if let Some(mut inner) = find_in_value(value.get_ref(), offset) {
            inner.insert(0, here);
            return Some(inner);
        }
        if contains(&value.span(), offset) {
            return Some(vec![here]);
        }
    }
    None
}

fn find_in_value(value: &DeValue<'_>, offset: usize) -> Option<Vec<Segment>> {
    match value {
        DeValue::Table(table) => find_in_table(table, offset),
        DeValue::Array(array) => array.iter().enumerate().find_map(|(index, item)| {
            let mut inner = find_in_value(item.get_ref(), offset)
                .or_else(|| contains(&item.span(), offset).then(Vec::new))?;
            inner.insert(0, Segment::Index(index));
            Some(inner)
        }),
        _ => None,
    }
}

pub(crate) const ROOT_KEYS: &[&str] = &[
    "fail-on",
    "min-severity",
    "dockerfile",
    "policies",
    "sarif-category",
    "image-name",
    "max-expansion-ratio",
    "expansion-floor",
    "rules",
    "suppress",
];
pub(crate) const RULES_KEYS: &[&str] = &["enable", "disable", "severity"];
pub(crate) const SUPPRESS_KEYS: &[&str] = &["rule", "image", "target", "reason", "expires"];

/// Rewrites serde's messages ("unknown field", "missing field", "invalid type") in the terms of
/// the file; other messages get the key in front.
fn schema_message(message: &str, segments: &[Segment], key: Option<&str>) -> String {
    let parent = segments
        .get(..segments.len().saturating_sub(1))
        .unwrap_or_default();
    let (table, expected) = match parent {
        [] => ("imgaudit.toml", ROOT_KEYS),
        [Segment::Key(rules)] if rules == "rules" => ("[rules]", RULES_KEYS),
        [Segment::Key(suppress), Segment::Index(_)] if suppress == "suppress" => {
            ("[[suppress]]", SUPPRESS_KEYS)
        }
        _ => ("this table", &[][..]),
    };
    if message.starts_with("unknown field `") {
        if let Some(Segment::Key(unknown)) = segments.last() {
            let mut out = format!(
                "`{unknown}` is not a key of {table} (expected one of: {})",
                expected.join(", ")
            );
            if let Some(suggestion) = closest(unknown, expected.iter().copied()) {
                let _ = write!(out, "; did you mean `{suggestion}`?");
            }
            return out;
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        return match key {
            Some(key) if key.starts_with("suppress[") => {
                format!("this [[suppress]] entry has no `{field}` (it needs `rule` and `reason`)")
            }
            _ => format!("missing key `{field}`"),
        };
    }
    let message = message
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table");
    match key {
        Some(key) => match message
            .strip_prefix("invalid type: ")
            .and_then(|rest| rest.split_once(", expected "))
        {
            Some((found, wanted)) => format!("`{key}` must be {wanted}, not {found}"),
            None => format!("`{key}`: {message}"),
        },
        None => message,
    }
}

/// The candidate closest to `word` by edit distance (ignoring case), if it is close enough to be
/// a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&word, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            current.push(substitution.min(deletion).min(insertion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_spans() {
        let source = "a = 1\n\tb = \"héllo\"\r\nc = [\n";
        let location = locate(source, 11..19);
        assert_eq!((location.line, location.column), (2, 6));
        assert_eq!(location.text, "\tb = \"héllo\"");
        assert_eq!(location.width, 7);
        // A span running over the end of the line is cut at the line's end.
        assert_eq!(locate(source, 11..40).width, 7);
        // The end of the file.
        let end = locate(source, source.len()..source.len());
        assert_eq!(
            (end.line, end.column, end.text.as_str(), end.width),
            (4, 1, "", 1)
        );
        // Offsets past the end or inside a character do not panic.
        assert_eq!(locate(source, 1000..2000).line, 4);
        assert_eq!(locate(source, 13..14).column, 8);
        assert_eq!(locate(source, 14..15).column, 8);
        // A span on the carriage return.
        assert_eq!(locate(source, 19..20).width, 1);
    }

    #[test]
    fn renders_with_tabs_kept() {
        let error = ConfigError::at(
            ErrorKind::Invalid,
            Path::new("x.toml"),
            "a = 1\n\tb = 2\n",
            Some(11..12),
            Some("b".to_owned()),
            "bad".to_owned(),
        );
        assert_eq!(
            error.to_string(),
            "x.toml:2:6: bad\n  |\n2 | \tb = 2\n  | \t    ^"
        );
    }

    #[test]
    fn key_paths() {
        let source = "x = 1\n[rules]\nenable = [\"a\", \"b\"]\n[[suppress]]\nrule = 'r'\n[[suppress]]\n\"odd key\" = 2\n";
        let path = |needle: &str| {
            let offset = source.find(needle).unwrap();
            key_path_at(source, offset).map(|segments| render_key_path(&segments))
        };
        assert_eq!(path("x =").as_deref(), Some("x"));
        assert_eq!(path("\"b\"").as_deref(), Some("rules.enable[1]"));
        assert_eq!(path("'r'").as_deref(), Some("suppress[0].rule"));
        assert_eq!(path("\"odd").as_deref(), Some("suppress[1].\"odd key\""));
        assert_eq!(path("[rules]").as_deref(), Some("rules"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("fial-on", ROOT_KEYS.iter().copied()),
            Some("fail-on")
        );
        assert_eq!(
            closest("Enabled", RULES_KEYS.iter().copied()),
            Some("enable")
        );
        assert_eq!(closest("zzzzzz", RULES_KEYS.iter().copied()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
