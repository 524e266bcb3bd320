//! poetry release numbers and the behaviour changes tied to them (POETRY-SEMANTICS.md §5).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A poetry release as `major.minor.patch`.
///
/// Suffixes (`b1`, `rc1`, `.dev0`, `.post1`, `+local`) are dropped when parsing: the behaviours
/// modelled here change only at final releases, and a pre-release of X is closer to X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoetryVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a poetry version: {0:?}")]
pub struct ParseVersionError(pub String);

/// How `poetry install` writes a package into the target environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallerKind {
    /// The target environment's pip (or an embedded pip wheel) run with `--prefix <env>`:
    /// pip skips its PEP 668 check for `--prefix` (PIP-SEMANTICS.md §0.6).
    PipWithPrefix,
    /// poetry's own wheel installer (the `installer` library): no PEP 668 check at all.
    Installer,
}

impl PoetryVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    const fn at_least(self, major: u32, minor: u32, patch: u32) -> bool {
        if self.major != major {
            return self.major > major;
        }
        if self.minor != minor {
            return self.minor > minor;
        }
        self.patch >= patch
    }

    /// `boolean_normalizer` lower-cases the value first (≥ 2.1.0), so `True` and `TRUE` read as
    /// true; before, only the exact strings `true` and `1` did (§1; src 2.0.0/2.1.0, run 2.0.1
    /// vs 2.1.4).
    pub const fn lowercases_booleans(self) -> bool {
        self.at_least(2, 1, 0)
    }

    /// With `virtualenvs.create` false, the "system" environment is always the *base*
    /// interpreter of the one poetry runs under (≥ 1.8.0): poetry installed in any venv (pipx,
    /// `python -m venv /opt/poetry`) installs into that venv's base Python. Before, only a venv
    /// holding a `poetry_env` file or lying under poetry's data dir (`POETRY_HOME`, the official
    /// installer's layout) was skipped; any other venv poetry ran in received the packages
    /// itself (§3; src 1.7.1/1.8.0, run 1.7.1 vs 1.8.5).
    pub const fn system_env_is_always_base(self) -> bool {
        self.at_least(1, 8, 0)
    }

    /// Key paths are split into segments before the `.` in a source name is seen (< 2.4.1), so
    /// `http-basic.my.repo.password` reads `POETRY_HTTP_BASIC_MY_REPO_PASSWORD`; from 2.4.1
    /// (`split_key`) a source name keeps its dots: `POETRY_HTTP_BASIC_MY.REPO_PASSWORD` (src
    /// 2.4.0/2.4.1).
    pub const fn keeps_dotted_key_segments(self) -> bool {
        self.at_least(2, 4, 1)
    }

    /// Before 1.5.0 an `[http-basic.<source>]` table in a configuration file is used whole and
    /// the `POETRY_HTTP_BASIC_*` variables are read only when there is none; from 1.5.0 the
    /// username and the password are each looked up on their own, the variable first (§4.2;
    /// src 1.4.2/1.5.1, run).
    pub const fn file_credentials_shadow_env(self) -> bool {
        !self.at_least(1, 5, 0)
    }

    /// What `get_http_auth` needs to send credentials when no keyring is usable (§4.2): 1.8.x
    /// drops a username without a password, 2.0.x a password without a username (src 1.7.1/
    /// 1.8.0, 2.0.0/2.1.0; run 1.7.1, 1.8.5, 2.0.1, 2.1.4).
    pub const fn http_basic_requires(self) -> crate::credentials::Requires {
        use crate::credentials::Requires;
        if self.at_least(2, 1, 0) || !self.at_least(1, 8, 0) {
            Requires::Either
        } else if self.at_least(2, 0, 0) {
            Requires::Username
        } else {
            Requires::Password
        }
    }

    /// `create_venv` tests `not create_venv` besides `create_venv is False` (≥ 2.5.0), so any
    /// falsy file value (`0`, `""`) switches virtualenvs off like `false` (§1.2; src 2.4.1/
    /// 2.5.0, run 2.1.4 vs 2.5.1).
    pub const fn any_falsy_value_skips_venv(self) -> bool {
        self.at_least(2, 5, 0)
    }

    /// The `keyring.enabled` setting (`POETRY_KEYRING_ENABLED`) exists (≥ 1.8.0; src).
    pub const fn has_keyring_enabled_setting(self) -> bool {
        self.at_least(1, 8, 0)
    }

    /// The `installer.modern-installation` setting exists (1.4.0 – 1.8.x; removed in 2.0).
    pub const fn has_modern_installation_setting(self) -> bool {
        self.at_least(1, 4, 0) && !self.at_least(2, 0, 0)
    }

    /// How packages are written, given `installer.modern-installation` where the setting
    /// exists (`None`: unset, its default true).
    pub fn installer(self, modern_installation: Option<bool>) -> InstallerKind {
        if !self.at_least(1, 4, 0) {
            return InstallerKind::PipWithPrefix;
        }
        if self.has_modern_installation_setting() && modern_installation == Some(false) {
            return InstallerKind::PipWithPrefix;
        }
        InstallerKind::Installer
    }
}

impl FromStr for PoetryVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseVersionError(s.to_owned());
        let mut parts = [0_u32; 3];
        let mut count = 0;
        for piece in s.trim().split('.') {
            if count == 3 {
                break;
            }
            let digits: &str = &piece[..piece
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(piece.len())];
            if digits.is_empty() {
                if count == 0 {
                    return Err(error());
                }
                break;
            }
            parts[count] = digits.parse().map_err(|_| error())?;
            count += 1;
            if digits.len() != piece.len() {
                break;
            }
        }
        if count < 2 {
            return Err(error());
        }
        Ok(Self::new(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for PoetryVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Serialize for PoetryVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_releases_and_drops_suffixes() {
        assert_eq!("1.8.5".parse(), Ok(PoetryVersion::new(1, 8, 5)));
        assert_eq!("2.1".parse(), Ok(PoetryVersion::new(2, 1, 0)));
        assert_eq!("2.0.0b3".parse(), Ok(PoetryVersion::new(2, 0, 0)));
        assert_eq!("1.2.0rc1".parse(), Ok(PoetryVersion::new(1, 2, 0)));
        assert_eq!("1.8.3.post1".parse(), Ok(PoetryVersion::new(1, 8, 3)));
        assert!("".parse::<PoetryVersion>().is_err());
        assert!("x.1".parse::<PoetryVersion>().is_err());
        assert!("2".parse::<PoetryVersion>().is_err());
        assert!("99999999999.1".parse::<PoetryVersion>().is_err());
    }

    #[test]
    fn change_points() {
        let v = |s: &str| s.parse::<PoetryVersion>().unwrap();
        assert!(!v("2.0.1").lowercases_booleans());
        assert!(v("2.1.0").lowercases_booleans());
        assert!(!v("1.7.1").system_env_is_always_base());
        assert!(v("1.8.0").system_env_is_always_base());
        assert_eq!(v("1.3.2").installer(None), InstallerKind::PipWithPrefix);
        assert_eq!(v("1.4.0").installer(None), InstallerKind::Installer);
        assert_eq!(
            v("1.8.5").installer(Some(false)),
            InstallerKind::PipWithPrefix
        );
        assert_eq!(v("2.0.0").installer(Some(false)), InstallerKind::Installer);
    }
}
