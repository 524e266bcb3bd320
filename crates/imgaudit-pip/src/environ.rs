//! The process environment as CPython and pip see it (PIP-SEMANTICS.md §1.2, §1.4, §1.9, §3).

use serde::Serialize;

use crate::PipVersion;

/// How pip is started, which decides the order of `PIP_*` variables in `os.environ` (§1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Launch {
    /// Direct exec (exec-form `CMD`/`ENTRYPOINT`, `docker exec`, `env -i`, also `zsh -c`): the
    /// environment keeps its order.
    #[default]
    Exec,
    /// Through bash or dash (shell-form `RUN`/`CMD`): the shell rebuilds envp and puts
    /// `PIP_USER` before `PIP_NO_USER` whatever the export order (run, §1.4).
    Shell,
}

/// One variable of the environment, with its position in the caller's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvVar<'a> {
    pub(crate) index: usize,
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// `os.environ` in order. CPython's `convertenviron` uses `PyDict_SetDefault`, so the first of
/// duplicated names wins, value and position. Names are expected split at the first `=` already
/// (as in an image's `Env`); a name still containing `=` cannot occur in envp and is skipped.
pub(crate) fn environ(env: &[(String, String)]) -> Vec<EnvVar<'_>> {
    let mut out: Vec<EnvVar<'_>> = Vec::with_capacity(env.len());
    // A set, not a scan of `out`: an image's Env can be hostile and huge.
    let mut seen = std::collections::HashSet::with_capacity(env.len());
    for (index, (name, value)) in env.iter().enumerate() {
        if name.contains('=') || !seen.insert(name.as_str()) {
            continue;
        }
        out.push(EnvVar { index, name, value });
    }
    out
}

/// `os.environ.get(name)` / C `getenv(name)`: the first occurrence.
pub(crate) fn getenv<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

/// The order in which pip meets the variables. bash/dash were only measured to emit `PIP_USER`
/// before `PIP_NO_USER` (§1.4); every other relative order is kept as given.
pub(crate) fn processing_order(env: &[(String, String)], launch: Launch) -> Vec<EnvVar<'_>> {
    let mut vars = environ(env);
    if launch == Launch::Shell {
        let user = vars.iter().position(|v| v.name == "PIP_USER");
        let no_user = vars.iter().position(|v| v.name == "PIP_NO_USER");
        if let (Some(user), Some(no_user)) = (user, no_user) {
            if no_user < user {
                let moved = vars.remove(no_user);
                // `user` shifted left by one when `no_user` was removed before it.
                vars.insert(user, moved);
            }
        }
    }
    vars
}

/// The option name pip derives from an environment variable, or `None` if pip ignores it (§1.2).
///
/// pip ≥ 10 needs the literal prefix `PIP_` (`key.startswith("PIP_")`), lower-cases the rest,
/// skips `version`/`help` and maps `_` to `-`; pip 9 matched `^PIP_` case-insensitively and had
/// no ignore list. Whether an option of that name exists is a separate question.
pub fn env_option_name(var: &str, version: PipVersion) -> Option<String> {
    let rest = if version.env_prefix_case_insensitive() {
        let prefix = var.get(..4)?;
        if !prefix.eq_ignore_ascii_case("PIP_") {
            return None;
        }
        &var[4..]
    } else {
        var.strip_prefix("PIP_")?
    };
    let lowered = rest.to_lowercase();
    if version.ignores_version_and_help_env() && (lowered == "version" || lowered == "help") {
        return None;
    }
    let name = normalize_option_name(&lowered);
    if name.is_empty() { None } else { Some(name) }
}

/// pip's `_normalize_name`: lower-case, `_` → `-`, and a leading `--` dropped (config keys and
/// env names alike).
pub(crate) fn normalize_option_name(name: &str) -> String {
    let name = name.to_lowercase().replace('_', "-");
    match name.strip_prefix("--") {
        Some(rest) => rest.to_owned(),
        None => name,
    }
}

/// Whether `PYTHONNOUSERSITE` disables the user site (§1.9), following CPython's
/// `_Py_get_env_flag`: unset or empty → no effect; a value `strtol` reads completely as an int N
/// sets the flag to N (so `0` keeps the user site); anything else, or a negative N, sets it to 1.
pub fn user_site_disabled(pythonnousersite: Option<&str>) -> bool {
    let Some(value) = pythonnousersite else {
        return false;
    };
    if value.is_empty() {
        return false;
    }
    // strtol skips C-locale isspace, takes one sign, then decimal digits; the whole string must
    // be consumed. Only an exact zero leaves the flag at 0.
    let body = value.trim_start_matches([' ', '\t', '\n', '\u{0b}', '\u{0c}', '\r']);
    let digits = body.strip_prefix(['+', '-']).unwrap_or(body);
    let is_zero = !digits.is_empty() && digits.bytes().all(|b| b == b'0');
    !is_zero
}

/// `os.path.expanduser` for a leading `~` or `~/`: `$HOME` when set (even empty), else the
/// passwd home of the uid. `~user` forms are left alone.
pub(crate) fn expand_tilde(
    path: &str,
    env: &[(String, String)],
    passwd_home: Option<&str>,
) -> String {
    let rest = if path == "~" {
        ""
    } else if let Some(rest) = path.strip_prefix("~/") {
        rest
    } else {
        return path.to_owned();
    };
    let home = match getenv(env, "HOME") {
        Some(home) => home,
        None => match passwd_home {
            Some(home) => home,
            None => return path.to_owned(),
        },
    };
    let home = home.trim_end_matches('/');
    let joined = if rest.is_empty() {
        home.to_owned()
    } else {
        format!("{home}/{rest}")
    };
    if joined.is_empty() {
        "/".to_owned()
    } else {
        joined
    }
}

/// `site.USER_BASE` (§3): a non-empty `$PYTHONUSERBASE` (read from `os.environ`, so `-E` does not
/// hide it), else `~/.local` with `~` = `$HOME`, or the passwd home when HOME is unset.
pub fn user_base(env: &[(String, String)], passwd_home: Option<&str>) -> String {
    match getenv(env, "PYTHONUSERBASE") {
        Some(base) if !base.is_empty() => base.to_owned(),
        _ => expand_tilde("~/.local", env, passwd_home),
    }
}

/// `site.USER_SITE` (§3): `USER_BASE/lib/pythonX.Y/site-packages`, also on Debian.
pub fn user_site(env: &[(String, String)], passwd_home: Option<&str>, python_xy: &str) -> String {
    format!(
        "{}/lib/python{python_xy}/site-packages",
        user_base(env, passwd_home).trim_end_matches('/')
    )
}

/// The language pip uses to pick `Error-<lang>` in `EXTERNALLY-MANAGED` (§2.1), from the first
/// non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG`. `C`/`POSIX` give `None`; `C.UTF-8` gives
/// `en_US` (Python 3.11's locale alias). Not modelled: a locale the image does not provide makes
/// `setlocale` fail (then `None`), and Python's alias table also expands bare names (`de` →
/// `de_DE`). The key only changes the message, never the outcome.
pub fn messages_language(env: &[(String, String)]) -> Option<String> {
    let raw = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(|name| getenv(env, name))
        .find(|v| !v.is_empty())?;
    let name = raw.split(['.', '@']).next().unwrap_or_default();
    match name {
        "" | "POSIX" => None,
        "C" if raw == "C" => None,
        "C" => Some("en_US".to_owned()),
        other => Some(other.to_owned()),
    }
}
