//! uv release numbers and the behaviour changes tied to them (UV-SEMANTICS.md).
//!
//! Change points are the measured brackets: "0.2.37 no, 0.4.30 yes" is placed at the release that
//! uv's changelog names where it is known (doc), else at the first measured release (run).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A uv release as `major.minor.patch`; suffixes (`+local`, `-rc1`) are dropped when parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UvVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a uv version: {0:?}")]
pub struct ParseVersionError(pub String);

impl UvVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// The newest release measured; unknown versions are treated as this one.
    pub const NEWEST_MEASURED: Self = Self::new(0, 13, 9);

    fn at_least(self, major: u32, minor: u32, patch: u32) -> bool {
        self >= Self::new(major, minor, patch)
    }

    /// `--break-system-packages` requires `--system` on the command line or in the environment
    /// (run: 0.1.45 aborts with `the following required arguments were not provided`; 0.2.37 not).
    pub fn break_requires_system_flag(self) -> bool {
        !self.at_least(0, 2, 0)
    }

    /// `UV_NO_CONFIG` and `--no-config` exist (run: absent in 0.1.45, present in 0.2.37).
    pub fn has_no_config(self) -> bool {
        self.at_least(0, 2, 0)
    }

    /// The system-level file `$XDG_CONFIG_DIRS/uv/uv.toml` / `/etc/uv/uv.toml` is read (run: not by
    /// 0.2.37, read by 0.4.30; uv's changelog places it in 0.4.0 (doc)).
    pub fn reads_system_config(self) -> bool {
        self.at_least(0, 4, 0)
    }

    /// With the system switch, venv interpreters are skipped (run: 0.1.45 took the first python on
    /// `PATH` even a venv's; 0.2.37 skips venvs). Without it, a venv python first on `PATH` counts
    /// as the environment from the same release.
    pub fn distinguishes_venvs_on_path(self) -> bool {
        self.at_least(0, 2, 0)
    }

    /// `index-strategy` is accepted at the top level of a `uv.toml` (run: 0.1.45 rejects, 0.2.37
    /// accepts).
    pub fn top_level_index_strategy(self) -> bool {
        self.at_least(0, 2, 0)
    }

    /// `allow-insecure-host` / `UV_INSECURE_HOST` exist (doc: added in 0.3.5; run: 0.2.37 ignores
    /// the variable and rejects the key, 0.4.30 honours both).
    pub fn has_insecure_host(self) -> bool {
        self.at_least(0, 3, 5)
    }

    /// `[pip] allow-insecure-host` is accepted (run: 0.4.30 yes, 0.5.31 rejects the file).
    pub fn pip_table_allows_insecure_host(self) -> bool {
        self.has_insecure_host() && !self.at_least(0, 5, 0)
    }

    /// `UV_INDEX`, `UV_DEFAULT_INDEX`, `[[index]]` and `UV_INDEX_<NAME>_USERNAME/PASSWORD` exist
    /// (doc: added in 0.4.23; run: 0.4.30 honours all of them).
    pub fn has_named_indexes(self) -> bool {
        self.at_least(0, 4, 23)
    }

    /// `uv sync` and `UV_PROJECT_ENVIRONMENT` are stable (doc: 0.3.0; measured from 0.4.30).
    pub fn has_project_commands(self) -> bool {
        self.at_least(0, 3, 0)
    }
}

impl FromStr for UvVersion {
    type Err = ParseVersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let core = text
            .trim()
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()
            .unwrap_or_default();
        let mut parts = core.split('.').filter(|p| !p.is_empty());
        let mut next = || -> Result<Option<u32>, ParseVersionError> {
            parts
                .next()
                .map(|p| p.parse().map_err(|_| ParseVersionError(text.to_owned())))
                .transpose()
        };
        let major = next()?.ok_or_else(|| ParseVersionError(text.to_owned()))?;
        let minor = next()?.ok_or_else(|| ParseVersionError(text.to_owned()))?;
        let patch = next()?.unwrap_or(0);
        Ok(Self::new(major, minor, patch))
    }
}

impl fmt::Display for UvVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_releases_and_drops_suffixes() {
        assert_eq!("0.13.9".parse(), Ok(UvVersion::new(0, 13, 9)));
        assert_eq!("0.5".parse(), Ok(UvVersion::new(0, 5, 0)));
        assert_eq!("0.4.30+local".parse(), Ok(UvVersion::new(0, 4, 30)));
        assert!("uv".parse::<UvVersion>().is_err());
        assert!("".parse::<UvVersion>().is_err());
        assert!("99999999999.1".parse::<UvVersion>().is_err());
    }

    #[test]
    fn change_points_follow_the_measured_brackets() {
        let v = |s: &str| s.parse::<UvVersion>().unwrap();
        assert!(v("0.1.45").break_requires_system_flag());
        assert!(!v("0.2.37").break_requires_system_flag());
        assert!(!v("0.2.37").reads_system_config());
        assert!(v("0.4.30").reads_system_config());
        assert!(v("0.4.30").pip_table_allows_insecure_host());
        assert!(!v("0.5.31").pip_table_allows_insecure_host());
        assert!(!v("0.2.37").has_insecure_host());
    }
}
