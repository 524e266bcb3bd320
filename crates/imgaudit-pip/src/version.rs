//! pip release numbers and the behaviour changes tied to them (PIP-SEMANTICS.md §5.4).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A pip release as `major.minor.patch`.
///
/// Suffixes such as `+dfsg` (Debian), `rc1`, `.dev0` or `.post1` are dropped when parsing: a
/// `25.3.dev0` is treated as `25.3`, because the behaviours modelled here change only at final
/// releases and a pre-release of X is closer to X than to its predecessor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PipVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// How pip ≥ 10 merges configuration values before converting them (see [`PipVersion::config_merge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigMerge {
    /// pip 9: one `RawConfigParser` reads every file, then `[global]`, the command's section and
    /// the environment are merged into one dict keyed by option name.
    SingleParser,
    /// pip 10 – 25.1 and ≥ 26.0: one dict keyed by `section.key` across all files and the
    /// environment; a key keeps the position of its first appearance and the value of its last,
    /// so a later empty value unsets an earlier one.
    MergedKeys,
    /// pip 25.2 – 25.3 (pypa/pip#12201, reverted in behaviour by #13703 for 26.0): every file keeps
    /// its own dict, every file's entries are replayed in file order, and an empty value in a
    /// later file no longer unsets an earlier one (pypa/pip#13696).
    PerFileEntries,
}

/// Why a version string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a pip version: {0:?}")]
pub struct ParseVersionError(pub String);

impl PipVersion {
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

    /// The hidden `--no-user` option exists (≥ 10.0), so `PIP_NO_USER` and `no-user =` are read
    /// and, being stored unconverted, *turn user installs on* when truthy (§1.3).
    pub const fn has_no_user_option(self) -> bool {
        self.at_least(10, 0, 0)
    }

    /// pip 9 matched the env prefix with `re.compile(r"^PIP_", re.I)`, so `pip_user=1` worked (§1.2).
    pub const fn env_prefix_case_insensitive(self) -> bool {
        !self.at_least(10, 0, 0)
    }

    /// `PIP_VERSION` and `PIP_HELP` are skipped (`ENV_NAMES_IGNORED`, introduced with the
    /// `Configuration` class in 10.0; pip 9 has no such list).
    pub const fn ignores_version_and_help_env(self) -> bool {
        self.at_least(10, 0, 0)
    }

    /// An invalid boolean prints "… is not a valid value for X option …" and exits 2 (≥ 18.1);
    /// before, strtobool's `ValueError: invalid truth value` escaped as a traceback, exit 1 (§1.2).
    /// The measured bracket is 9.0.3 (run) / 10.0.1 (src) → 18.1 (run).
    pub const fn clean_invalid_boolean_error(self) -> bool {
        self.at_least(18, 1, 0)
    }

    /// Exit status when writing the package fails with `EACCES`: 2 in pip 9 (unhandled
    /// `EnvironmentError` → `UNKNOWN_ERROR`), 1 from pip 10's "Could not install packages due to
    /// an EnvironmentError" handler on (run: 9.0.3 gives 2, 18.1 gives 1).
    pub const fn permission_error_exit_code(self) -> i32 {
        if self.at_least(10, 0, 0) { 1 } else { 2 }
    }

    /// Exit status when a pip.conf cannot be parsed: pip 9 lets configparser's exception escape
    /// (traceback, 1); later pips report `ConfigurationFileCouldNotBeLoaded` and exit 2 (src:
    /// present in the 19.2+ `get_configuration_files` era; assumed from 10.0, not run).
    pub const fn config_file_error_exit_code(self) -> i32 {
        if self.at_least(10, 0, 0) { 2 } else { 1 }
    }

    /// `sys.prefix/pip.conf` is read as the lowest-priority *global* file (19.1.x only: pip's
    /// 19.1 changelog, pypa/pip#5060 / PR #6268 "insert(0, sys.prefix)"; doc, not run). 19.2
    /// turned it into the `site` file.
    pub const fn reads_prefix_config_as_global(self) -> bool {
        self.at_least(19, 1, 0) && !self.at_least(19, 2, 0)
    }

    /// `sys.prefix/pip.conf` is the `site` file and is read outside virtualenvs too (≥ 19.2;
    /// src 19.0.3/19.2.3, run 18.1 vs 19.3.1). Before, only inside a virtualenv (§1.6).
    pub const fn reads_site_config_outside_venv(self) -> bool {
        self.at_least(19, 2, 0)
    }

    /// `decide_user_install` exists: automatic user install when site-packages is unwritable,
    /// and the decision log lines (≥ 20.0, §1.7).
    pub const fn falls_back_to_user_install(self) -> bool {
        self.at_least(20, 0, 0)
    }

    /// `~` in `--target`/`--prefix`/`--root` values (CLI, config and env) is expanded
    /// (pip 20.0 changelog, pypa/pip#980).
    pub const fn expands_tilde_in_path_options(self) -> bool {
        self.at_least(20, 0, 0)
    }

    /// `install` rejects `--user` with `--target` up front with "Can not combine '--user' and
    /// '--target'", exit 1 (20.1, pypa/pip#7249; run: 20.0.2 no, 20.3.4 yes). Before, distutils
    /// failed later with "can't combine user with prefix", exit 2.
    pub const fn rejects_user_with_target_upfront(self) -> bool {
        self.at_least(20, 1, 0)
    }

    /// How many `-v` the decision lines of `decide_user_install` need: none before 20.0 (no such
    /// lines), 1 for 20.0–21.1, 2 from 21.2 (custom VERBOSE level). "Defaulting to user
    /// installation…" is INFO and always shown (§1.7, §5.4).
    pub const fn decision_log_verbosity(self) -> Option<u8> {
        if !self.at_least(20, 0, 0) {
            None
        } else if self.at_least(21, 2, 0) {
            Some(2)
        } else {
            Some(1)
        }
    }

    /// `install --dry-run` and `--report` exist (≥ 22.2, §5.4).
    pub const fn has_dry_run(self) -> bool {
        self.at_least(22, 2, 0)
    }

    /// PEP 668 `EXTERNALLY-MANAGED` is enforced for `install` and `uninstall` (≥ 23.0, §2.3).
    pub const fn enforces_externally_managed(self) -> bool {
        self.at_least(23, 0, 0)
    }

    /// `--break-system-packages`, `PIP_BREAK_SYSTEM_PACKAGES` and `break-system-packages =`
    /// exist (≥ 23.0.1, §2.3). 23.0 enforced the marker with no override.
    pub const fn honours_break_system_packages(self) -> bool {
        self.at_least(23, 0, 1)
    }

    /// How configuration values are merged before conversion (§1.4–§1.6; pypa/pip#12201 landed in
    /// 25.2 per its changelog, #13703 in 26.0 per §5.4 "config ordering code rewritten").
    pub const fn config_merge(self) -> ConfigMerge {
        if !self.at_least(10, 0, 0) {
            ConfigMerge::SingleParser
        } else if self.at_least(25, 2, 0) && !self.at_least(26, 0, 0) {
            ConfigMerge::PerFileEntries
        } else {
            ConfigMerge::MergedKeys
        }
    }

    /// An explicit user install errors when `site.ENABLE_USER_SITE` is falsy (≥ 25.3,
    /// pypa/pip#8794 / PR #8796). Before, it silently installed into a user site the
    /// interpreter will not import (§1.9).
    pub const fn refuses_user_install_when_user_site_disabled(self) -> bool {
        self.at_least(25, 3, 0)
    }

    /// A `trusted-host` entry is read as a network location, so `host:port` trusts that port
    /// only, and the host part is compared (src: 19.2.3 compares the whole entry, 19.3.1 calls
    /// `parse_netloc`; run: 18.1 vs 20.3.4). Before, the entry was compared as written: as an
    /// IP network when it parses as one (`10.0.0.0/8` worked), else as a host name, so
    /// `host:port` never matched.
    pub const fn trusted_host_takes_port(self) -> bool {
        self.at_least(19, 3, 0)
    }

    /// Between equal versions found in several places, the one found last wins (the resolvelib
    /// resolver, default from 20.3, walks the candidates in reverse); the legacy resolver kept
    /// the first (run: 18.1 vs 20.3.4).
    pub const fn equal_versions_prefer_last_found(self) -> bool {
        self.at_least(20, 3, 0)
    }

    /// Find-links locations are requested before the indexes (21.1's `collect_sources`; src
    /// 20.3.4 vs 21.1.3, run 20.3.4 vs 21.3.1). Candidates were always gathered find-links
    /// first, so only the order of requests changes, never the outcome.
    pub const fn requests_find_links_first(self) -> bool {
        self.at_least(21, 1, 0)
    }

    /// An index URL with a bracketed IPv6 host (`http://[::1]:8080/simple/`) can be fetched.
    /// pip 9.0.3 and 18.1 mangle it into `%5b::1%5d` and fail the whole install (run; fixed by
    /// 20.3.4, not bracketed further).
    pub const fn fetches_bracketed_ipv6_urls(self) -> bool {
        self.at_least(20, 3, 0)
    }

    /// Old-style virtualenv (`sys.real_prefix`) still counts as a virtualenv (< 26.2, §1.8).
    pub const fn detects_legacy_virtualenv(self) -> bool {
        !self.at_least(26, 2, 0)
    }
}

impl PartialOrd for PipVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PipVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl FromStr for PipVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let mut numbers = [0_u32; 3];
        let mut count = 0;
        for part in text.split('.') {
            if count == 3 {
                break;
            }
            let digits: &str = {
                let end = part
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(part.len());
                &part[..end]
            };
            if digits.is_empty() {
                break;
            }
            numbers[count] = digits
                .parse()
                .map_err(|_| ParseVersionError(s.to_owned()))?;
            count += 1;
            // A suffix glued to a number ("0rc1", "1+dfsg") ends the release part.
            if digits.len() != part.len() {
                break;
            }
        }
        if count == 0 {
            return Err(ParseVersionError(s.to_owned()));
        }
        Ok(Self::new(numbers[0], numbers[1], numbers[2]))
    }
}

impl fmt::Display for PipVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl Serialize for PipVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PipVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
