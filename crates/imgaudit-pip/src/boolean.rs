//! pip's `strtobool` as applied to option values (PIP-SEMANTICS.md §1.2).

use serde::Serialize;

/// What pip makes of a value given to a boolean (`store_true`/`store_false`) option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BoolValue {
    /// `1 y yes t true on`, any case.
    True,
    /// `0 n no f false off`, any case.
    False,
    /// The empty string: pip skips the setting as if it were unset.
    Empty,
    /// Anything else: pip aborts (§1.2).
    Invalid,
}

/// Where a value comes from, which decides whether it was whitespace-stripped before pip saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueOrigin {
    /// An environment variable: taken verbatim, so `" 1"` is invalid.
    Env,
    /// A configuration file: configparser strips the value.
    Config,
    /// The command line: taken verbatim.
    Cli,
}

/// Classifies `raw` the way pip does before `strtobool` (§1.2): config values are stripped by
/// configparser, env and argv values are not; an empty value is ignored, not invalid.
pub fn parse_bool(raw: &str, origin: ValueOrigin) -> BoolValue {
    let value = match origin {
        ValueOrigin::Config => py_strip(raw),
        ValueOrigin::Env | ValueOrigin::Cli => raw,
    };
    if value.is_empty() {
        return BoolValue::Empty;
    }
    match value.to_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => BoolValue::True,
        "n" | "no" | "f" | "false" | "off" | "0" => BoolValue::False,
        _ => BoolValue::Invalid,
    }
}

/// Python's `str.isspace`: Unicode whitespace plus the ASCII separators U+001C–U+001F, which
/// Rust's `char::is_whitespace` leaves out.
pub(crate) fn py_is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` without arguments.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_is_space)
}

/// Python's `str.rstrip()` without arguments.
pub(crate) fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(py_is_space)
}
