//! pipenv release numbers and the behaviour changes tied to them (PIPENV-SEMANTICS.md §4).
//!
//! pipenv numbers its releases by date (`2022.1.8`, `2026.10.3`); releases before 2018 used
//! `major.minor.patch` (`11.10.4`), which sort below every dated release as they should.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A pipenv release as three numbers (`2023.7.23`).
///
/// Suffixes such as `.post1`, `rc1`, `+ds` (Debian's `2022.12.19+ds`) are dropped: the
/// behaviours modelled here change only at releases, and a pre-release of X is closer to X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PipenvVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a pipenv version: {0:?}")]
pub struct ParseVersionError(pub String);

/// How pipenv reads the value of a `PIPENV_<OPTION>` variable for a command-line flag such as
/// `--system` (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagParser {
    /// The vendored click, `auto_envvar_prefix="PIPENV"`: the value is stripped and
    /// lower-cased, `1 true t yes y on` are true, `0 false f no n off` false, anything else
    /// stops pipenv with a usage error, exit 2 (≤ 2026.4.0). `empty_is_unset`: click ≥ 8.1
    /// (pipenv ≥ 2023.4.20) skips an empty variable; click 8.0.3 (≤ 2023.3.20) parses it and
    /// aborts.
    Click { empty_is_unset: bool },
    /// pipenv's own argparse overlay (`apply_env_vars` + `env_to_bool`): lower-cased, not
    /// stripped, only `1 true yes on` are true and `0 false no off` false; anything else,
    /// the empty value included, is silently ignored (≥ 2026.5.0).
    EnvToBool,
}

/// Which interpreter a system install (`--system`, `PIPENV_SYSTEM`) writes into, and whose
/// pip does the writing (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SystemTarget {
    /// `sys.executable -m pip install`: the interpreter pipenv itself runs under, with that
    /// interpreter's own pip (≤ 2022.8.5). `python` on PATH does not matter.
    PipenvInterpreter,
    /// The first of `python3`, `python` on PATH, running pipenv's bundled pip
    /// (`pipenv/patched/pip`) (≥ 2022.8.13).
    PythonOnPath,
}

impl PipenvVersion {
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

    /// How `PIPENV_SYSTEM` (and every other flag's variable) is parsed. Bracket: 2026.4.0 (src:
    /// vendored click) → 2026.5.0 (src: argparse and `apply_env_vars`); run: 2026.2.2 and
    /// 2026.10.3.
    ///
    /// Within click, an empty value: bracket 2023.3.20 (src: click 8.0.3, `resolve_envvar_value`
    /// returns `""`) → 2023.4.20 (src: click 8.1.3, `if rv: return rv`); run: 2022.12.19 aborts,
    /// 2023.7.23 does not.
    pub const fn flag_parser(self) -> FlagParser {
        if self.at_least(2026, 5, 0) {
            FlagParser::EnvToBool
        } else {
            FlagParser::Click {
                empty_is_unset: self.at_least(2023, 4, 20),
            }
        }
    }

    /// Which interpreter a system install targets. Bracket: 2022.8.5 (src: `pip_install` runs
    /// `project._which("python", allow_global=True)` = `sys.executable`) → 2022.8.13 (src:
    /// `project_python(system=True)` + `get_runnable_pip()`); run: 2022.1.8 and 2022.12.19.
    pub const fn system_target(self) -> SystemTarget {
        if self.at_least(2022, 8, 13) {
            SystemTarget::PythonOnPath
        } else {
            SystemTarget::PipenvInterpreter
        }
    }

    /// Whether the pip that performs a system install checks PEP 668's marker itself, when
    /// that pip is pipenv's bundled one ([`SystemTarget::PythonOnPath`]). The bundled pip is
    /// 22.2.1 – 22.3.1 up to 2023.2.4 and 23.0.1 from 2023.2.18 (src, `patched/pip/__init__.py`);
    /// run: 2022.12.19 installs past the marker, 2023.7.23 is refused. `None` before 2022.8.13,
    /// where the interpreter's own pip decides (§3).
    pub const fn bundled_pip_enforces_marker(self) -> Option<bool> {
        match self.system_target() {
            SystemTarget::PipenvInterpreter => None,
            SystemTarget::PythonOnPath => Some(self.at_least(2023, 2, 18)),
        }
    }

    /// `pipenv install NAME` with `PIPENV_PYPI_MIRROR` set writes the mirror's URL, userinfo
    /// and all, into the `[[source]]` of a Pipfile it creates and into `Pipfile.lock` (run:
    /// 2022.12.19 does not, 2023.7.23 and every later measured release do; not bracketed
    /// further).
    pub const fn writes_mirror_into_project_files(self) -> bool {
        self.at_least(2023, 7, 23)
    }

    /// A system install passes `PIP_BREAK_SYSTEM_PACKAGES=1` to pip when
    /// `PIPENV_BREAK_SYSTEM_PACKAGES` or `PIP_BREAK_SYSTEM_PACKAGES` is set (≥ 2026.4.0, src:
    /// `utils/pip.py`; absent in 2026.2.2). Before, a `PIP_BREAK_SYSTEM_PACKAGES` in the
    /// environment still reaches pip, which reads it itself (run).
    pub const fn reads_pipenv_break_system_packages(self) -> bool {
        self.at_least(2026, 4, 0)
    }
}

impl PartialOrd for PipenvVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PipenvVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl FromStr for PipenvVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let mut numbers = [0_u32; 3];
        let mut count = 0;
        for part in text.split('.') {
            if count == 3 {
                break;
            }
            let end = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            let digits = &part[..end];
            if digits.is_empty() {
                break;
            }
            numbers[count] = digits
                .parse()
                .map_err(|_| ParseVersionError(s.to_owned()))?;
            count += 1;
            // A suffix glued to a number ("19rc1", "19+ds") ends the release part.
            if end != part.len() {
                break;
            }
        }
        if count == 0 {
            return Err(ParseVersionError(s.to_owned()));
        }
        Ok(Self::new(numbers[0], numbers[1], numbers[2]))
    }
}

impl fmt::Display for PipenvVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Serialize for PipenvVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PipenvVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dated_debian_and_legacy_versions() {
        assert_eq!(
            "2022.12.19+ds".parse(),
            Ok(PipenvVersion::new(2022, 12, 19))
        );
        assert_eq!("2026.10.3".parse(), Ok(PipenvVersion::new(2026, 10, 3)));
        assert_eq!("2024.0.0rc1".parse(), Ok(PipenvVersion::new(2024, 0, 0)));
        assert_eq!("11.10.4".parse(), Ok(PipenvVersion::new(11, 10, 4)));
        assert!("".parse::<PipenvVersion>().is_err());
        assert!("garbage".parse::<PipenvVersion>().is_err());
        assert!("99999999999.1".parse::<PipenvVersion>().is_err());
    }

    #[test]
    fn change_points_fall_between_their_brackets() {
        let v = |s: &str| s.parse::<PipenvVersion>().expect("version");
        assert_eq!(
            v("2022.8.5").system_target(),
            SystemTarget::PipenvInterpreter
        );
        assert_eq!(v("2022.8.13").system_target(), SystemTarget::PythonOnPath);
        assert_eq!(
            v("11.10.4").system_target(),
            SystemTarget::PipenvInterpreter
        );
        assert_eq!(v("2023.2.4").bundled_pip_enforces_marker(), Some(false));
        assert_eq!(v("2023.2.18").bundled_pip_enforces_marker(), Some(true));
        assert_eq!(v("2022.1.8").bundled_pip_enforces_marker(), None);
        assert!(!v("2026.2.2").reads_pipenv_break_system_packages());
        assert!(v("2026.4.0").reads_pipenv_break_system_packages());
        assert_eq!(
            v("2026.4.0").flag_parser(),
            FlagParser::Click {
                empty_is_unset: true
            }
        );
        assert_eq!(
            v("2023.3.20").flag_parser(),
            FlagParser::Click {
                empty_is_unset: false
            }
        );
        assert_eq!(v("2026.5.0").flag_parser(), FlagParser::EnvToBool);
    }
}
