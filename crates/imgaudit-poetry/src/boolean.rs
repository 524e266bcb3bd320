//! poetry's `boolean_normalizer` as applied to `POETRY_*` variables (POETRY-SEMANTICS.md §1),
//! and what a value in a configuration file means for `virtualenvs.create` (§1.2).

use serde::Serialize;

use crate::PoetryVersion;

/// What poetry makes of a `POETRY_*` value given to a boolean setting.
///
/// poetry has no "invalid": `boolean_normalizer` is `val in ["true", "1"]` (≥ 2.1.0:
/// `val.lower() in ...`), so every other value, `yes`, `on`, `2`, the empty string, is *false*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EnvBool {
    /// The value poetry uses.
    pub value: bool,
    /// How the value was recognised.
    pub reading: EnvBoolReading,
}

/// How a boolean `POETRY_*` value was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvBoolReading {
    /// `true` or `1` (any case from 2.1.0).
    True,
    /// `false` or `0` (any case from 2.1.0): the values `poetry config` itself accepts.
    False,
    /// The empty string: not unset, but false.
    EmptyIsFalse,
    /// Anything else (`yes`, `on`, `2`, ` true`, and before 2.1.0 `True`): false, silently.
    OtherIsFalse,
}

/// Reads a `POETRY_*` boolean the way the given poetry release does. Values are not stripped.
pub fn parse_env_bool(raw: &str, version: PoetryVersion) -> EnvBool {
    let folded;
    let value = if version.lowercases_booleans() {
        folded = raw.to_lowercase();
        folded.as_str()
    } else {
        raw
    };
    let reading = match value {
        "true" | "1" => EnvBoolReading::True,
        "false" | "0" => EnvBoolReading::False,
        "" => EnvBoolReading::EmptyIsFalse,
        _ => EnvBoolReading::OtherIsFalse,
    };
    EnvBool {
        value: reading == EnvBoolReading::True,
        reading,
    }
}
