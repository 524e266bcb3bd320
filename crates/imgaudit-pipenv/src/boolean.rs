//! How pipenv reads the value of a flag's variable such as `PIPENV_SYSTEM` (PIPENV-SEMANTICS.md §1).

use serde::Serialize;

use crate::version::{FlagParser, PipenvVersion};

/// What a value is, before pipenv acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BoolValue {
    True,
    False,
    /// The empty string: read as if unset.
    Empty,
    /// Not a boolean for this pipenv: [`FlagEffect`] says whether it aborts or is ignored.
    Invalid,
}

/// What the variable does to the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagEffect {
    /// The flag is on, as if given on the command line.
    On,
    /// The flag is off (explicitly, or the variable is read as unset).
    Off,
    /// pipenv stops before doing anything: click's usage error ("Invalid value for '--system':
    /// 'garbage' is not a valid boolean"), exit 2.
    Abort,
}

/// How one pipenv version reads `raw` as the value of a flag's variable (`PIPENV_SYSTEM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct FlagValue {
    pub value: BoolValue,
    pub effect: FlagEffect,
}

/// Classifies `raw` as the given pipenv version reads the variable of a flag (§1).
pub fn parse_flag_env(raw: &str, version: PipenvVersion) -> FlagValue {
    let (value, invalid_effect) = match version.flag_parser() {
        FlagParser::Click { empty_is_unset } => {
            (click_bool(raw, empty_is_unset), FlagEffect::Abort)
        }
        FlagParser::EnvToBool => (env_to_bool(raw), FlagEffect::Off),
    };
    let effect = match value {
        BoolValue::True => FlagEffect::On,
        BoolValue::False | BoolValue::Empty => FlagEffect::Off,
        BoolValue::Invalid => invalid_effect,
    };
    FlagValue { value, effect }
}

/// click's `BoolParamType` after `resolve_envvar_value`, which since 8.1 treats an empty value
/// as unset; click 8.0.3 hands it to `BoolParamType`, which rejects it.
fn click_bool(raw: &str, empty_is_unset: bool) -> BoolValue {
    if raw.is_empty() {
        return if empty_is_unset {
            BoolValue::Empty
        } else {
            BoolValue::Invalid
        };
    }
    match py_strip(raw).to_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => BoolValue::True,
        "0" | "false" | "f" | "no" | "n" | "off" => BoolValue::False,
        _ => BoolValue::Invalid,
    }
}

/// pipenv's `env_to_bool`: lower-cased, not stripped; the empty value is not a boolean and,
/// like every other non-boolean, is ignored by `apply_env_vars`.
fn env_to_bool(raw: &str) -> BoolValue {
    if raw.is_empty() {
        return BoolValue::Empty;
    }
    match raw.to_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => BoolValue::True,
        "0" | "false" | "no" | "off" => BoolValue::False,
        _ => BoolValue::Invalid,
    }
}

/// Python's `str.strip()` without arguments: Unicode whitespace plus U+001C–U+001F.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// `PIPENV_BREAK_SYSTEM_PACKAGES` as pipenv ≥ 2026.4.0 reads it: `bool(get_from_env(...))`,
/// so `0 false no off` (any case) are false, the empty value is false, and every other
/// non-empty value, `garbage` included, is true (src, `environments.py`; §3).
pub fn pipenv_break_system_packages(raw: &str) -> bool {
    !raw.is_empty() && !matches!(raw.to_lowercase().as_str(), "0" | "false" | "no" | "off")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLICK: PipenvVersion = PipenvVersion::new(2025, 0, 4);
    const ARGPARSE: PipenvVersion = PipenvVersion::new(2026, 10, 3);

    #[test]
    fn click_accepts_short_forms_and_strips_but_aborts_on_garbage() {
        for raw in ["1", "TRUE", "t", "Y", " on "] {
            assert_eq!(parse_flag_env(raw, CLICK).effect, FlagEffect::On, "{raw:?}");
        }
        assert_eq!(parse_flag_env("off", CLICK).effect, FlagEffect::Off);
        assert_eq!(parse_flag_env("", CLICK).value, BoolValue::Empty);
        let click_8_0 = PipenvVersion::new(2022, 12, 19);
        assert_eq!(parse_flag_env("", click_8_0).effect, FlagEffect::Abort);
        assert_eq!(parse_flag_env("2", CLICK).effect, FlagEffect::Abort);
        assert_eq!(parse_flag_env("garbage", CLICK).effect, FlagEffect::Abort);
    }

    #[test]
    fn env_to_bool_ignores_what_it_does_not_know() {
        assert_eq!(parse_flag_env("Yes", ARGPARSE).effect, FlagEffect::On);
        for raw in ["t", "y", " 1", "2", "garbage", ""] {
            assert_eq!(
                parse_flag_env(raw, ARGPARSE).effect,
                FlagEffect::Off,
                "{raw:?}"
            );
        }
        assert_eq!(parse_flag_env(" 1", ARGPARSE).value, BoolValue::Invalid);
    }

    #[test]
    fn break_system_packages_is_true_for_any_non_false_text() {
        assert!(pipenv_break_system_packages("garbage"));
        assert!(pipenv_break_system_packages("1"));
        assert!(!pipenv_break_system_packages("OFF"));
        assert!(!pipenv_break_system_packages(""));
    }
}
