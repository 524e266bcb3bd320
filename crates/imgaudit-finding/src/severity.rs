//! How bad a finding is ([`Severity`]) and how sure a rule is of it ([`Precision`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How bad a finding is. Ordered from [`Severity::Info`] (lowest) to [`Severity::Critical`].
///
/// Parsed case-insensitively, displayed and serialized in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, schemars::JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing to fix.
    Info,
    /// Minor.
    Low,
    /// Should be fixed.
    Medium,
    /// Must be fixed.
    High,
    /// Must be fixed now.
    Critical,
}

impl Severity {
    /// Every severity, highest first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lower-case name (`"critical"` … `"info"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string that names no [`Severity`] or [`Precision`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}` (expected one of: {expected})")]
pub struct ParseLevelError {
    kind: &'static str,
    value: String,
    expected: &'static str,
}

impl FromStr for Severity {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseLevelError {
                kind: "severity",
                value: s.to_owned(),
                expected: "critical, high, medium, low, info",
            })
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How sure a rule is of a finding: `high` (the default) when the evidence is unambiguous,
/// `low` when, for example, a variable was seen only inside a shell conditional.
///
/// Ordered from [`Precision::Low`] to [`Precision::High`]; parsed case-insensitively, displayed
/// and serialized in lower case.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, schemars::JsonSchema,
)]
#[schemars(rename_all = "lowercase")]
pub enum Precision {
    /// A guess worth a look.
    Low,
    /// Probably right.
    Medium,
    /// Certain.
    #[default]
    High,
}

impl Precision {
    /// The lower-case name (`"high"`, `"medium"` or `"low"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Precision {
    type Err = ParseLevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Precision::High, Precision::Medium, Precision::Low]
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseLevelError {
                kind: "precision",
                value: s.to_owned(),
                expected: "high, medium, low",
            })
    }
}

impl Serialize for Precision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Precision {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_parses_case_insensitively_and_orders_info_lowest() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!("Info".parse::<Severity>(), Ok(Severity::Info));
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Info < Severity::Low);
        assert!(Severity::High < Severity::Critical);
        assert_eq!(Severity::Medium.to_string(), "medium");
        let mut all = Severity::ALL.to_vec();
        all.sort();
        assert_eq!(all.first(), Some(&Severity::Info));
    }

    #[test]
    fn severity_and_precision_serde() {
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"critical\""
        );
        assert_eq!(
            serde_json::from_str::<Severity>("\"LOW\"").unwrap(),
            Severity::Low
        );
        assert!(serde_json::from_str::<Severity>("\"nope\"").is_err());
        assert_eq!(Precision::default(), Precision::High);
        assert_eq!(
            serde_json::from_str::<Precision>("\"Medium\"").unwrap(),
            Precision::Medium
        );
        assert_eq!(serde_json::to_string(&Precision::Low).unwrap(), "\"low\"");
    }
}
