//! Credentials on command lines, as a history step (`created_by`), a `Cmd` or a script quotes
//! them:
//!
//! - `-u user:pass`, `-uuser:pass`, `--user user:pass`, `--user=user:pass` (and `-U` /
//!   `--proxy-user`) when curl or wget is the command: the password is masked, the user stays.
//!   Other commands' `-u` is a user or uid (`-u 1000`, `docker run -u 1000:1000`, `sudo -u
//!   root`), so it is read only for those two, and `uid:gid` is never a password.
//! - `--password X`, `--password=X`, `--token X` and their kin ([`VALUE_OPTIONS`]) for any
//!   command; `--password-stdin` and `--token-file` are other options.
//! - `-pX` (attached) for the MySQL and MariaDB clients only, where it is the password
//!   (`-p X` prompts, and `X` is a database).
//! - `-p X` after `login` for container registry clients (`docker login -u me -p X`).
//! - openssl's `-pass pass:X` (and `-passin`, `-passout`).
//! - poetry's `config http-basic.<source> <user> X` and `config pypi-token.<source> X` (the
//!   user stays; poetry stores X in plain text when no keyring is usable).
//! - The credentials of `Authorization: Basic|Bearer|Token X` and of `PRIVATE-TOKEN: X`,
//!   `JOB-TOKEN: X`, `X-API-Key: X`, `X-Auth-Token: X` headers, for any command.
//!
//! A value that is a `$VAR` reference, or another option, is not a secret. The text is read in
//! one pass, as words: blanks, quotes and the punctuation of JSON arrays separate words (so
//! `["curl","-u","a:b"]` reads like `curl -u a:b`), and `;`, `&`, `|` and line breaks end the
//! command that gives `-u` and `-p` their meaning.

use std::ops::Range;

use crate::{Detector, Secret, ends_word};

/// Options whose value is a secret, for every command.
pub const VALUE_OPTIONS: &[&str] = &[
    "--password",
    "--passwd",
    "--token",
    "--api-key",
    "--apikey",
    "--access-token",
    "--auth-token",
    "--secret",
    "--client-secret",
    "--private-token",
    "--registry-password",
    "--http-password",
    "--ftp-password",
    "--proxy-password",
];

/// Commands whose `-u` / `--user` is `user:password`.
const USER_PASSWORD_COMMANDS: &[&str] = &["curl", "wget"];

/// Commands whose attached `-pX` is the password.
const MYSQL_COMMANDS: &[&str] = &[
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mysqlimport",
    "mysqlcheck",
    "mysqlshow",
    "mysqlpump",
    "mysqlslap",
    "mysqlbinlog",
    "mysqlsh",
    "mariadb",
    "mariadb-dump",
    "mariadb-admin",
    "mariadb-import",
    "mariadb-check",
    "mariadb-show",
    "mariadb-slap",
    "mariadb-binlog",
];

/// The longest name in the command lists.
const LONGEST_COMMAND: usize = 14;

/// Registry clients whose `login -p X` is the password.
const LOGIN_COMMANDS: &[&str] = &[
    "docker", "podman", "buildah", "skopeo", "nerdctl", "helm", "oras", "crane",
];

/// Headers whose value is a credential after an optional scheme.
const SCHEMED_HEADERS: &[&str] = &["authorization:", "proxy-authorization:"];
/// Headers whose value is a credential.
const TOKEN_HEADERS: &[&str] = &[
    "private-token:",
    "job-token:",
    "x-api-key:",
    "x-auth-token:",
];
/// Authentication schemes (RFC 9110 and common practice) that come before the credential.
const SCHEMES: &[&str] = &[
    "basic",
    "bearer",
    "token",
    "digest",
    "negotiate",
    "ntlm",
    "apikey",
    "api-key",
];

/// What the next word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Nothing,
    /// `user:password` (curl's `-u`).
    UserPassword,
    /// A secret (`--password X`).
    Value,
    /// openssl's `pass:X`.
    OpensslPass,
    /// An authentication scheme, or the credential itself.
    SchemeOrValue,
    /// A header's credential.
    HeaderValue,
    /// poetry's `config http-basic.<source>` user name: the password follows.
    PoetryUser,
}

/// What the current command (since the last `;`, `&`, `|` or line break) is.
#[derive(Debug, Default, Clone, Copy)]
struct Command {
    user_password: bool,
    mysql: bool,
    registry: bool,
    login: bool,
    poetry: bool,
    poetry_config: bool,
}

/// Every command-line credential in `text`.
pub fn find(text: &str) -> Vec<Secret> {
    let mut found = Vec::new();
    let mut command = Command::default();
    let mut expect = Expect::Nothing;
    for word in words(text) {
        let range = match word {
            Word::CommandEnd => {
                command = Command::default();
                expect = Expect::Nothing;
                continue;
            }
            Word::Text(range) => range,
        };
        let w = &text[range.clone()];
        let pending = std::mem::replace(&mut expect, Expect::Nothing);
        if pending != Expect::Nothing {
            found.extend(value(w, range.start, pending, &mut expect));
            continue;
        }
        if !w.starts_with('-') {
            // Most words are neither options nor headers: only the command they name matters.
            let name = w.rsplit('/').next().unwrap_or(w);
            if command.poetry_config {
                if w.starts_with("http-basic.") {
                    expect = Expect::PoetryUser;
                    continue;
                }
                if w.starts_with("pypi-token.") {
                    expect = Expect::Value;
                    continue;
                }
            }
            command.poetry_config |= command.poetry && w == "config";
            command.poetry |= name == "poetry";
            if name.len() <= LONGEST_COMMAND {
                command.user_password |= USER_PASSWORD_COMMANDS.contains(&name);
                command.mysql |= MYSQL_COMMANDS.contains(&name);
                command.registry |= LOGIN_COMMANDS.contains(&name);
                command.login |= command.registry && w == "login";
            }
            if !w.contains(':') {
                continue;
            }
        }
        let (option, attached) = match w.split_once('=') {
            Some((option, value)) if option.starts_with("--") => (option, Some(value)),
            _ => (w, None),
        };
        let kind = if command.user_password
            && matches!(option, "-u" | "--user" | "-U" | "--proxy-user")
        {
            Expect::UserPassword
        } else if VALUE_OPTIONS.contains(&option) || (command.login && option == "-p") {
            Expect::Value
        } else if matches!(option, "-pass" | "-passin" | "-passout") {
            Expect::OpensslPass
        } else if let Some(header) = SCHEMED_HEADERS
            .iter()
            .chain(TOKEN_HEADERS)
            .find(|h| w.get(..h.len()).is_some_and(|p| p.eq_ignore_ascii_case(h)))
        {
            let rest = range.start + header.len()..range.end;
            let kind = if SCHEMED_HEADERS.contains(header) {
                Expect::SchemeOrValue
            } else {
                Expect::HeaderValue
            };
            if rest.is_empty() {
                expect = kind;
            } else if let Some(secret) = value(&text[rest.clone()], rest.start, kind, &mut expect) {
                found.push(secret);
            }
            continue;
        } else if w.len() > 2 && w.starts_with("-u") && command.user_password {
            let start = range.start + 2;
            found.extend(value(&w[2..], start, Expect::UserPassword, &mut expect));
            continue;
        } else if w.len() > 2 && w.starts_with("-p") && (command.mysql || command.login) {
            let start = range.start + 2;
            found.extend(value(&w[2..], start, Expect::Value, &mut expect));
            continue;
        } else {
            continue;
        };
        match attached {
            Some(v) => {
                let start = range.end - v.len();
                found.extend(value(v, start, kind, &mut expect));
            }
            None => expect = kind,
        }
    }
    found
}

/// The secret in `word` (at `start` in the text) read as `kind`; a scheme sets `expect` to the
/// credential that follows it.
fn value(word: &str, start: usize, kind: Expect, expect: &mut Expect) -> Option<Secret> {
    if kind == Expect::PoetryUser {
        // The user name is no secret; the password follows it.
        *expect = Expect::Value;
        return None;
    }
    if word.is_empty() || word.starts_with('$') || word.starts_with('-') {
        return None;
    }
    let (offset, detector) = match kind {
        Expect::Nothing | Expect::PoetryUser => return None,
        Expect::UserPassword => {
            let (user, password) = word.split_once(':')?;
            let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if password.is_empty()
                || password.starts_with('$')
                || (numeric(user) && numeric(password))
            {
                return None;
            }
            (user.len() + 1, Detector::CommandLineUser)
        }
        Expect::Value => (0, Detector::CommandLinePassword),
        Expect::OpensslPass => {
            let secret = word.strip_prefix("pass:")?;
            if secret.is_empty() || secret.starts_with('$') {
                return None;
            }
            (5, Detector::CommandLinePassword)
        }
        Expect::SchemeOrValue => {
            if SCHEMES.contains(&word.to_ascii_lowercase().as_str()) {
                *expect = Expect::HeaderValue;
                return None;
            }
            (0, Detector::AuthorizationHeader)
        }
        Expect::HeaderValue => (0, Detector::AuthorizationHeader),
    };
    Some(Secret {
        range: start + offset..start + word.len(),
        detector,
    })
}

enum Word {
    Text(Range<usize>),
    /// `;`, `&`, `|` or a line break (real, or escaped as `\n` in JSON).
    CommandEnd,
}

fn words(text: &str) -> impl Iterator<Item = Word> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let b = *bytes.get(at)?;
            let escaped_break = b == b'\\' && matches!(bytes.get(at + 1), Some(b'n' | b'r'));
            if escaped_break {
                at += 2;
                return Some(Word::CommandEnd);
            }
            if matches!(b, b';' | b'&' | b'|' | b'\n' | b'\r') {
                at += 1;
                return Some(Word::CommandEnd);
            }
            if ends_word(b) {
                at += 1;
                continue;
            }
            let start = at;
            while at < bytes.len() && !ends_word(bytes[at]) {
                at += 1;
            }
            return Some(Word::Text(start..at));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask;

    fn detectors(text: &str) -> Vec<Detector> {
        find(text).into_iter().map(|s| s.detector).collect()
    }

    #[test]
    fn masks_poetry_config_credentials() {
        for (text, masked) in [
            (
                "/bin/sh -c poetry config http-basic.private ci-bot s3cret && poetry install",
                "/bin/sh -c poetry config http-basic.private ci-bot **** && poetry install",
            ),
            (
                "POETRY_KEYRING_ENABLED=false /opt/poetry/bin/poetry config --local http-basic.x u 'p4ss'",
                "POETRY_KEYRING_ENABLED=false /opt/poetry/bin/poetry config --local http-basic.x u '****'",
            ),
            (
                "poetry config pypi-token.pypi pypi-AgEIcHlwaS5vcmc",
                "poetry config pypi-token.pypi ****",
            ),
            (
                r#"["poetry","config","http-basic.x","u","s3cret"]"#,
                r#"["poetry","config","http-basic.x","u","****"]"#,
            ),
        ] {
            assert_eq!(crate::mask(text), masked, "{text}");
        }
        // A `$VAR`, another command's words, and poetry's other settings are no secrets.
        for text in [
            "poetry config http-basic.x u $PASSWORD",
            "poetry config virtualenvs.create false",
            "echo config http-basic.x u p",
            "poetry config http-basic.x u; echo p",
        ] {
            assert_eq!(crate::mask(text), text);
        }
    }

    #[test]
    fn masks_credentials_of_curl_and_wget() {
        for (input, expected) in [
            (
                "curl -u admin:s3cret https://x/",
                "curl -u admin:**** https://x/",
            ),
            (
                "curl -fsSL --user admin:s3cret https://x/",
                "curl -fsSL --user admin:**** https://x/",
            ),
            ("curl --user=admin:s3cret x", "curl --user=admin:**** x"),
            ("curl -uadmin:s3cret x", "curl -uadmin:**** x"),
            (
                "/usr/bin/curl -U proxy:pw x",
                "/usr/bin/curl -U proxy:**** x",
            ),
            (
                r#"["curl","-u","admin:s3cret","https://x/"]"#,
                r#"["curl","-u","admin:****","https://x/"]"#,
            ),
            (
                "/bin/sh -c set -e; curl -u 'ci:p4ss' x",
                "/bin/sh -c set -e; curl -u 'ci:****' x",
            ),
            (
                "wget --user=admin --password=s3cret x",
                "wget --user=admin --password=**** x",
            ),
        ] {
            assert_eq!(mask(input), expected, "{input}");
        }
        assert_eq!(
            detectors("curl -u admin:s3cret x"),
            [Detector::CommandLineUser]
        );
    }

    #[test]
    fn masks_password_and_token_options() {
        for (input, expected) in [
            ("mysql --password s3cret db", "mysql --password **** db"),
            ("mysql --password=s3cret db", "mysql --password=**** db"),
            ("mysql -uroot -ps3cret db", "mysql -uroot -p**** db"),
            ("mariadb-dump -ps3cret db", "mariadb-dump -p**** db"),
            ("tool --token abc123 run", "tool --token **** run"),
            ("tool --api-key=abc123", "tool --api-key=****"),
            (
                "docker login -u me -p s3cret registry.example",
                "docker login -u me -p **** registry.example",
            ),
            (
                "openssl rsa -passin pass:s3cret -in k",
                "openssl rsa -passin pass:**** -in k",
            ),
        ] {
            assert_eq!(mask(input), expected, "{input}");
        }
    }

    #[test]
    fn masks_authorization_headers() {
        for (input, expected) in [
            (
                r#"curl -H "Authorization: Bearer abc.def" x"#,
                r#"curl -H "Authorization: Bearer ****" x"#,
            ),
            (
                "curl -H 'authorization: basic YWRtaW46czNjcmV0' x",
                "curl -H 'authorization: basic ****' x",
            ),
            (
                r#"wget --header=\"Authorization: token abc\" x"#,
                r#"wget --header=\"Authorization: token ****\" x"#,
            ),
            (
                "-H Authorization:Bearer abc",
                "-H Authorization:Bearer ****",
            ),
            ("-H 'Authorization: abc' x", "-H 'Authorization: ****' x"),
            ("-H 'PRIVATE-TOKEN: glp' x", "-H 'PRIVATE-TOKEN: ****' x"),
            ("-H X-API-Key:abc x", "-H X-API-Key:**** x"),
        ] {
            assert_eq!(mask(input), expected, "{input}");
        }
        assert_eq!(
            detectors("-H 'Authorization: Bearer abc'"),
            [Detector::AuthorizationHeader]
        );
    }

    #[test]
    fn command_names_fit_the_quick_check() {
        for name in USER_PASSWORD_COMMANDS
            .iter()
            .chain(MYSQL_COMMANDS)
            .chain(LOGIN_COMMANDS)
        {
            assert!(name.len() <= LONGEST_COMMAND, "{name}");
        }
    }

    #[test]
    fn leaves_users_uids_and_references_alone() {
        for text in [
            "docker login --password-stdin -u me registry",
            "echo $PW | docker login -u me --password-stdin",
            "useradd -u 1000 app",
            "sudo -u root make",
            "id -u",
            "docker run -u 1000:1000 img",
            "podman run -u app:app img",
            "USER 1000:1000",
            "curl -u 1000:1000 x",
            "curl -u $USER:$PASS x",
            "curl -u admin: x",
            "mysql -p db",
            "mkdir -pv /x",
            "mysql -h db; mkdir -pv /x",
            "cp -p a b",
            "tool --token-file /run/secrets/t",
            "tool --password \"$DB_PASSWORD\"",
            "tool --password ${PW}",
            "curl -H \"Authorization: Bearer $TOKEN\" x",
            "pip install --user requests",
        ] {
            assert_eq!(find(text), [], "{text}");
        }
    }
}
