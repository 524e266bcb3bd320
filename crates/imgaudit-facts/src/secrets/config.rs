//! Secrets in the image config: in its `Env` (`secret_env`), and in the commands its history
//! recorded (`secret_history`): the build arguments Docker, BuildKit and buildah write in front
//! of each `RUN` (`|2 A=1 TOKEN=… /bin/sh -c …`), credentials on a command line or in a URL.
//!
//! A variable is a secret when its value holds a token of a known format, a URL with a
//! password, or command-line credentials ([`imgaudit_secrets::find`]), or when its name says it
//! holds one ([`imgaudit_secrets::is_secret_name`]) and its value is a literal that looks like
//! one. What does not look like one, each a test: empty values, `$VAR` and `${VAR}` references,
//! paths (`POSTGRES_PASSWORD_FILE=/run/secrets/db`), booleans and numbers, versions, URLs
//! without credentials, hex checksums under a checksum name (`*_SHA256`), names that say they
//! hold a path or a version (`*_FILE`, `*_DIR`, `*_VERSION`), and values shorter than 4
//! characters (placeholders far more often than passwords). `GPG_KEY` is not a secret name.

use std::ops::Range;

use imgaudit_secrets::{Detector, is_secret_name};
use schemars::JsonSchema;
use serde::Serialize;

use crate::Location;
use crate::context::Context;
use crate::redact::{looks_like_token, redacted};
use crate::secrets::model::SecretShown;

/// A secret in the config's `Env`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretEnv {
    /// The variable's name.
    pub name: String,
    /// Its position in the config's `Env` (the `index` of `env`).
    pub index: usize,
    /// What recognised it: a token format (`github-token`), `url-password`, or
    /// `secret-assignment` (the name says it is a secret and the value looks like one).
    pub detector: String,
    pub shown: SecretShown,
    /// The history step whose `ENV` set it, when the history says.
    pub origin: Location,
}

/// A credential recorded in the build history.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretHistory {
    /// `build_arg`: a build argument recorded in front of a `RUN` (`|1 NAME=value /bin/sh -c
    /// …`); `command`: in the recorded command itself (a URL's password, `-u user:pass`, a
    /// password option, an `ARG` default).
    pub kind: SecretHistoryKind,
    /// The build argument's or the assigned variable's name, when there is one.
    pub variable: Option<String>,
    pub detector: String,
    pub shown: SecretShown,
    /// For a build argument, whether a step's command reads it (`$TOKEN`, `${TOKEN}`): builders
    /// record every argument in scope, used or not; the value is in the image either way.
    pub used: bool,
    /// Every history step that records this same value, first to last.
    pub steps: Vec<usize>,
    /// The first step that records it: its index, layer and (masked) command.
    pub origin: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretHistoryKind {
    BuildArg,
    Command,
}

/// The secret in variable `name`'s `value`, if any: what recognised it and where it is.
pub(crate) fn literal_secret(name: &str, value: &str) -> Option<(Detector, Range<usize>)> {
    if value.is_empty() || is_reference(value) {
        return None;
    }
    if let Some(found) = imgaudit_secrets::find(value)
        .into_iter()
        .find(|s| counts(value, s))
    {
        return Some((found.detector, found.range));
    }
    (is_secret_name(name) && !names_no_secret(name, value) && looks_like_secret(value))
        .then_some((Detector::SecretAssignment, 0..value.len()))
}

/// Whether a detection of [`imgaudit_secrets::find`] in `text` is a secret by itself: a secret
/// name's value is judged by [`literal_secret`], and a lone URL userinfo only when it looks
/// like a token (`https://oauth2accesstoken@…` names a user).
fn counts(text: &str, secret: &imgaudit_secrets::Secret) -> bool {
    match secret.detector {
        Detector::SecretAssignment => false,
        Detector::UrlToken => looks_like_token(&text[secret.range.clone()]),
        _ => true,
    }
}

/// `$VAR`, `${VAR}`, or a value built from one.
fn is_reference(value: &str) -> bool {
    value.starts_with('$') || value.contains("${")
}

/// A name that says its value is a path, a version or a checksum, not the secret.
fn names_no_secret(name: &str, value: &str) -> bool {
    const NOT_THE_SECRET: [&str; 7] = [
        "_FILE", "_PATH", "_DIR", "_VERSION", "_NAME", "_LENGTH", "_URL",
    ];
    const CHECKSUM: [&str; 7] = [
        "_SHA256",
        "_SHA512",
        "_SHA1",
        "_MD5",
        "_CHECKSUM",
        "_SUM",
        "_DIGEST",
    ];
    let upper = name.to_ascii_uppercase();
    let hex = value
        .strip_prefix("sha256:")
        .or_else(|| value.strip_prefix("sha512:"))
        .unwrap_or(value);
    NOT_THE_SECRET.iter().any(|s| upper.ends_with(s))
        || (CHECKSUM.iter().any(|s| upper.ends_with(s))
            && hex.len() >= 32
            && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether a secret name's value is a literal that could be the secret.
fn looks_like_secret(value: &str) -> bool {
    const WORDS: [&str; 12] = [
        "true", "false", "yes", "no", "on", "off", "none", "null", "nil", "enabled", "disabled",
        "auto",
    ];
    let value = value.trim_matches(|c: char| c == '"' || c == '\'');
    let is_path = ["/", "./", "../", "~/"]
        .iter()
        .any(|p| value.starts_with(p));
    let is_version = value
        .strip_prefix(['v', 'V'])
        .unwrap_or(value)
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.');
    let is_plain_url = value.contains("://") && !crate::redact::has_credentials(value);
    value.chars().count() >= 4
        && !is_path
        && !is_version
        && !is_plain_url
        && !WORDS.iter().any(|w| value.eq_ignore_ascii_case(w))
}

pub(crate) fn secret_env(ctx: &Context<'_>) -> Vec<SecretEnv> {
    ctx.env
        .iter()
        .enumerate()
        .filter_map(|(index, (name, value))| {
            let (detector, range) = literal_secret(name, value)?;
            Some(SecretEnv {
                name: redacted(name),
                index,
                detector: detector.id().to_owned(),
                shown: SecretShown::of(&value[range]),
                origin: ctx.env_origin(index),
            })
        })
        .collect()
}

/// The build arguments a builder recorded in front of a `RUN` (`|2 A=1 B=2 /bin/sh -c …`,
/// after `RUN ` for BuildKit), and the command after them. Values are recorded unquoted, so a
/// value with blanks is read up to the next `NAME=` word; the last argument's value ends at
/// its first blank.
pub(crate) fn build_args(created_by: &str) -> (Vec<(&str, &str)>, &str) {
    let text = created_by.strip_prefix("RUN ").unwrap_or(created_by);
    let Some(rest) = text.strip_prefix('|') else {
        return (Vec::new(), created_by);
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(count) = rest[..digits].parse::<usize>() else {
        return (Vec::new(), created_by);
    };
    let mut args: Vec<(&str, &str)> = Vec::new();
    let mut at = digits;
    let bytes = rest.as_bytes();
    // (name start, value start, value end) of the argument being read.
    while args.len() < count {
        while at < rest.len() && bytes[at] == b' ' {
            at += 1;
        }
        let word_end = rest[at..].find(' ').map_or(rest.len(), |n| at + n);
        let word = &rest[at..word_end];
        let Some((name, _)) = word.split_once('=') else {
            break;
        };
        if !is_identifier(name) {
            break;
        }
        let value_start = at + name.len() + 1;
        let mut value_end = word_end;
        // Words that are not `NAME=…` belong to this value, unless it is the last argument.
        if args.len() + 1 < count {
            let mut next = word_end;
            loop {
                while next < rest.len() && bytes[next] == b' ' {
                    next += 1;
                }
                let next_end = rest[next..].find(' ').map_or(rest.len(), |n| next + n);
                let next_word = &rest[next..next_end];
                let starts_arg = next_word
                    .split_once('=')
                    .is_some_and(|(n, _)| is_identifier(n));
                if next >= rest.len() || starts_arg {
                    break;
                }
                value_end = next_end;
                next = next_end;
            }
        }
        args.push((name, &rest[value_start..value_end]));
        at = value_end;
    }
    (args, rest[at..].trim_start())
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `command` reads the variable `name`.
fn reads(command: &str, name: &str) -> bool {
    command.match_indices(name).any(|(at, _)| {
        let before = &command[..at];
        let after = command.as_bytes().get(at + name.len()).copied();
        let ends = after.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'));
        ends && (before.ends_with('$') || before.ends_with("${"))
    })
}

/// The name assigned just before a value at `start` (`NAME=value`, `NAME="value"`), if any.
fn assigned_name(text: &str, start: usize) -> Option<&str> {
    let before = text[..start]
        .strip_suffix(['"', '\''])
        .unwrap_or(&text[..start]);
    let before = before.strip_suffix('=')?;
    let name_len = before
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    Some(&before[before.len() - name_len..]).filter(|n| !n.is_empty())
}

/// The secrets in one recorded command: its detections by [`imgaudit_secrets::find`], a
/// secret name's value judged as an `Env` value is.
fn command_secrets(command: &str) -> Vec<(Option<String>, Detector, Range<usize>)> {
    imgaudit_secrets::find(command)
        .into_iter()
        .filter_map(|secret| {
            let name = assigned_name(command, secret.range.start);
            if secret.detector == Detector::SecretAssignment {
                let name = name?;
                let value = &command[secret.range.clone()];
                return (!names_no_secret(name, value) && looks_like_secret(value))
                    .then(|| (Some(name.to_owned()), secret.detector, secret.range));
            }
            counts(command, &secret)
                .then(|| (name.map(str::to_owned), secret.detector, secret.range))
        })
        .collect()
}

pub(crate) fn secret_history(ctx: &Context<'_>, env: &[SecretEnv]) -> Vec<SecretHistory> {
    let mut found: Vec<SecretHistory> = Vec::new();
    for (step, history) in ctx.image.history.iter().enumerate() {
        let Some(created_by) = history.created_by.as_deref() else {
            continue;
        };
        let (args, command) = build_args(created_by);
        let mut secrets: Vec<(SecretHistoryKind, Option<String>, Detector, String, bool)> =
            Vec::new();
        for (name, value) in &args {
            if let Some((detector, range)) = literal_secret(name, value) {
                let used = reads(command, name);
                secrets.push((
                    SecretHistoryKind::BuildArg,
                    Some((*name).to_owned()),
                    detector,
                    value[range].to_owned(),
                    used,
                ));
            }
        }
        let instruction = command.split_once("#(nop)").map_or(command, |(_, i)| i);
        let is_env_step = instruction.trim_start().starts_with("ENV ");
        for (name, detector, range) in command_secrets(command) {
            let shown = SecretShown::of(&command[range.clone()]);
            // An `ENV` step's secret still in the config is `secret_env`'s.
            if is_env_step && env.iter().any(|e| e.shown == shown) {
                continue;
            }
            secrets.push((
                SecretHistoryKind::Command,
                name,
                detector,
                command[range].to_owned(),
                false,
            ));
        }
        for (kind, variable, detector, value, used) in secrets {
            let shown = SecretShown::of(&value);
            let variable = variable.map(|v| redacted(&v));
            match found
                .iter_mut()
                .find(|f| f.kind == kind && f.variable == variable && f.shown == shown)
            {
                Some(earlier) => {
                    earlier.used |= used;
                    earlier.steps.push(step);
                }
                None => found.push(SecretHistory {
                    kind,
                    variable,
                    detector: detector.id().to_owned(),
                    shown,
                    used,
                    steps: vec![step],
                    origin: Location {
                        history_step: Some(step),
                        layer: history.layer,
                        created_by: ctx.step_command(Some(step)),
                        ..Location::default()
                    },
                }),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";

    fn detector(name: &str, value: &str) -> Option<&'static str> {
        literal_secret(name, value).map(|(d, _)| d.id())
    }

    #[test]
    fn tokens_of_known_formats_are_secrets_whatever_the_name() {
        assert_eq!(detector("GH", GITHUB), Some("github-token"));
        assert_eq!(detector("SOME_SETTING", GITHUB), Some("github-token"));
        assert_eq!(
            detector("DATABASE_URL", "postgres://app:hunter22@db/app"),
            Some("url-password")
        );
        let (_, range) = literal_secret("DATABASE_URL", "postgres://app:hunter22@db/app").unwrap();
        assert_eq!(&"postgres://app:hunter22@db/app"[range], "hunter22");
    }

    #[test]
    fn secret_names_with_literal_values_are_secrets() {
        for (name, value) in [
            ("DB_PASSWORD", "hunter2"),
            ("API_KEY", "3f9a0c7e1b2d4c5e"),
            ("APP_SECRET", "correct horse battery staple"),
            ("REGISTRY_TOKEN", "changeme"),
            ("MYSQL_ROOT_PASSWORD", "'quoted-pass'"),
        ] {
            assert_eq!(detector(name, value), Some("secret-assignment"), "{name}");
        }
    }

    #[test]
    fn traps_are_not_secrets() {
        for (name, value) in [
            // The official Python images' key fingerprint.
            ("GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D"),
            (
                "PYTHON_SHA256",
                "8c136d199d3637a1fce98a16adc809c1d83c922d02d41f3614b34f8b6e7d38ec",
            ),
            ("TOKEN_SHA512", &"ab".repeat(64)),
            ("SECRET_TOOL_CHECKSUM", "0123456789abcdef0123456789abcdef"),
            ("PYTHON_VERSION", "3.12.1"),
            ("PYTHON_PIP_VERSION", "24.0"),
            ("VAULT_TOKEN_VERSION", "v1.2"),
            ("POSTGRES_PASSWORD_FILE", "/run/secrets/db"),
            ("API_TOKEN_PATH", "secrets/token"),
            ("DB_PASSWORD", "$DB_PASSWORD_FROM_CI"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD", "prefix-${SUFFIX}"),
            ("DB_PASSWORD", ""),
            ("PIP_NO_INPUT", "1"),
            ("TOKENIZERS_PARALLELISM", "false"),
            ("SECRET_KEY_BASE", "/run/secrets/key"),
            ("PASSWORD_MIN", "12"),
            ("TOKEN_ENDPOINT", "https://auth.example/oauth/token"),
            ("SECRET", "xyz"),
            ("PATH", "/usr/local/bin:/usr/bin"),
            ("LANG", "C.UTF-8"),
            (
                "PIP_INDEX_URL",
                "https://oauth2accesstoken@pkgs.example/simple",
            ),
        ] {
            assert_eq!(literal_secret(name, value), None, "{name}={value}");
        }
    }

    #[test]
    fn build_arguments_are_read_as_builders_record_them() {
        // buildah and the classic builder.
        let (args, command) =
            build_args("|3 A=1 B=two TOKEN=s3cr3tvalue123 /bin/sh -c echo \"$TOKEN\"");
        assert_eq!(
            args,
            [("A", "1"), ("B", "two"), ("TOKEN", "s3cr3tvalue123")]
        );
        assert_eq!(command, "/bin/sh -c echo \"$TOKEN\"");
        // BuildKit.
        let (args, command) = build_args("RUN |1 NPM_TOKEN=npm_abc /bin/sh -c npm ci");
        assert_eq!(args, [("NPM_TOKEN", "npm_abc")]);
        assert_eq!(command, "/bin/sh -c npm ci");
        // A value with a blank, before the last argument.
        let (args, _) = build_args("|2 MSG=hello world TOKEN=x /bin/sh -c true");
        assert_eq!(args, [("MSG", "hello world"), ("TOKEN", "x")]);
        // Not build arguments.
        for text in ["/bin/sh -c echo |1 A=b", "|x A=b", "|", "RUN make", ""] {
            assert_eq!(build_args(text).0, [] as [(&str, &str); 0], "{text}");
        }
        // Fewer arguments than announced (no builder writes that): the words after the last
        // `NAME=` are its value, none is lost.
        let (args, command) = build_args("|3 A=1 /bin/sh -c x");
        assert_eq!(args, [("A", "1 /bin/sh -c x")]);
        assert_eq!(command, "");
        // A hostile count costs nothing.
        let (args, _) = build_args("|99999999999999999999999 A=1");
        assert!(args.is_empty());
    }

    #[test]
    fn a_command_reads_a_variable_by_reference_only() {
        assert!(reads("echo $TOKEN", "TOKEN"));
        assert!(reads("echo ${TOKEN}", "TOKEN"));
        assert!(reads("echo ${TOKEN:-x}", "TOKEN"));
        assert!(!reads("echo $TOKENS", "TOKEN"));
        assert!(!reads("echo TOKEN", "TOKEN"));
    }

    #[test]
    fn credentials_in_commands() {
        let found = |c: &str| -> Vec<(Option<String>, &'static str, String)> {
            command_secrets(c)
                .into_iter()
                .map(|(n, d, r)| (n, d.id(), c[r].to_owned()))
                .collect()
        };
        assert_eq!(
            found("/bin/sh -c curl -u admin:s3cret https://x/"),
            [(None, "command-line-user", "s3cret".to_owned())]
        );
        assert_eq!(
            found("/bin/sh -c pip install --index-url https://u:pa55word@pkgs.example/simple x"),
            [(None, "url-password", "pa55word".to_owned())]
        );
        assert_eq!(
            found("/bin/sh -c docker login --password hunter22 registry.example"),
            [(None, "command-line-password", "hunter22".to_owned())]
        );
        assert_eq!(
            found("ARG TOKEN=defaulttoken"),
            [(
                Some("TOKEN".to_owned()),
                "secret-assignment",
                "defaulttoken".to_owned()
            )]
        );
        for clean in [
            "/bin/sh -c echo TOKEN_FILE=/run/secrets/t",
            "/bin/sh -c curl -u 1000 https://x/",
            "/bin/sh -c docker login --password-stdin",
            "/bin/sh -c export DB_PASSWORD=$DB_PASSWORD",
            "/bin/sh -c #(nop) ENV PYTHON_SHA256=8c136d199d3637a1fce98a16adc809c1",
            "/bin/sh -c pip install --index-url https://pkgs.example/simple x",
        ] {
            assert!(found(clean).is_empty(), "{clean}: {:?}", found(clean));
        }
    }
}
