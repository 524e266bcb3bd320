//! The `fail-on` setting: from which severity on findings make a run fail.

use std::fmt;
use std::str::FromStr;

use imgaudit_finding::Severity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// From which severity on findings make a run fail, as in `fail-on = "high"` or
/// `--fail-on high`.
///
/// Parsed case-insensitively from a [`Severity`] name or `none`; displayed and serialized in
/// lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Threshold {
    /// `none`: findings never make the run fail.
    Never,
    /// Findings of this severity or a higher one make the run fail.
    AtOrAbove(Severity),
}

impl Threshold {
    /// Whether a finding of `severity` reaches the threshold.
    pub fn is_reached_by(self, severity: Severity) -> bool {
        match self {
            Threshold::Never => false,
            Threshold::AtOrAbove(threshold) => severity >= threshold,
        }
    }

    /// The lower-case name: a severity's, or `"none"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Threshold::Never => "none",
            Threshold::AtOrAbove(severity) => severity.as_str(),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string that names neither a [`Severity`] nor `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown threshold `{0}` (expected one of: critical, high, medium, low, info, none)")]
pub struct ParseThresholdError(String);

impl FromStr for Threshold {
    type Err = ParseThresholdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(Threshold::Never);
        }
        s.parse::<Severity>()
            .map(Threshold::AtOrAbove)
            .map_err(|_| ParseThresholdError(s.to_owned()))
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_displays() {
        assert_eq!("NONE".parse(), Ok(Threshold::Never));
        assert_eq!("High".parse(), Ok(Threshold::AtOrAbove(Severity::High)));
        for threshold in ["critical", "high", "medium", "low", "info", "none"] {
            assert_eq!(
                threshold.parse::<Threshold>().unwrap().to_string(),
                threshold
            );
        }
        assert_eq!(
            "severe".parse::<Threshold>().unwrap_err().to_string(),
            "unknown threshold `severe` (expected one of: critical, high, medium, low, info, none)"
        );
    }

    #[test]
    fn compares_severities() {
        let high = Threshold::AtOrAbove(Severity::High);
        assert!(high.is_reached_by(Severity::Critical));
        assert!(high.is_reached_by(Severity::High));
        assert!(!high.is_reached_by(Severity::Medium));
        assert!(!Threshold::Never.is_reached_by(Severity::Critical));
    }
}
