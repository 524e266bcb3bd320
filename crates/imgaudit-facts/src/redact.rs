//! Secrets found in an image never leave imgaudit: every string from the image copied into the
//! facts is masked here, with the detectors of `imgaudit-secrets` (token formats, private keys,
//! command-line credentials, URL userinfo, secret-named variables), and once more in everything
//! printed.

use std::borrow::Cow;

pub use imgaudit_secrets::{MASK, is_secret_name};

/// Whether a URL-looking string carries credentials: a password (masked already or not)
/// (`scheme://user:secret@host`), or a lone user part that looks like a token (a known token
/// prefix, or 20 characters or more mixing letters and digits). A lone user name such as
/// `oauth2accesstoken` or `VssSessionToken` (how keyring-based setups name the user) is not a
/// secret, though it is still masked in output.
pub fn has_credentials(text: &str) -> bool {
    imgaudit_secrets::url::userinfo(text)
        .into_iter()
        .any(|secret| match secret.detector {
            imgaudit_secrets::Detector::UrlToken => looks_like_token(&text[secret.range]),
            _ => true,
        })
}

pub(crate) fn looks_like_token(text: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "glpat-",
        "pypi-",
        "npm_",
        "AKIA",
    ];
    PREFIXES.iter().any(|p| text.starts_with(p))
        || (text.len() >= 20
            && text.bytes().any(|b| b.is_ascii_digit())
            && text.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// `text` with every secret masked (see `imgaudit_secrets::mask`).
pub fn redact(text: &str) -> Cow<'_, str> {
    imgaudit_secrets::mask(text)
}

/// [`redact`] into an owned string.
pub fn redacted(text: &str) -> String {
    redact(text).into_owned()
}

/// A command's arguments (`Cmd`, `Entrypoint`), masked as the one command line they make.
pub fn redacted_args<S: AsRef<str>>(args: &[S]) -> Vec<String> {
    imgaudit_secrets::mask_args(args)
}

/// An `Env` entry, `NAME=value`, its value masked as [`redacted_value`] does.
pub fn redacted_assignment(entry: &str) -> String {
    imgaudit_secrets::mask_assignment(entry).into_owned()
}

/// A variable's value: masked whole when its name says it is a secret, else as [`redact`] does.
pub fn redacted_value(name: &str, value: &str) -> String {
    imgaudit_secrets::mask_value(name, value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_and_tokens() {
        let cases = [
            (
                "https://alice:s3cret@pypi.example/simple",
                "https://alice:****@pypi.example/simple",
            ),
            (
                "https://ghp_abcdef@pkgs.example/simple/",
                "https://****@pkgs.example/simple/",
            ),
            (
                "PIP_INDEX_URL=https://u:p@a/simple PIP_EXTRA_INDEX_URL=http://t@b/x",
                "PIP_INDEX_URL=https://u:****@a/simple PIP_EXTRA_INDEX_URL=http://****@b/x",
            ),
            (
                "https://user:p@ss@host/simple",
                "https://user:****@host/simple",
            ),
            ("\"https://u:p@h\"", "\"https://u:****@h\""),
            ("'https://u:p@h'", "'https://u:****@h'"),
            (
                "https://u:it's-s3cret@pypi.example/simple",
                "https://u:****@pypi.example/simple",
            ),
            // In JSON text a `"` of the password is escaped.
            (
                r#"{"v":"https://u:a\"b@h/s","w":"x@y"}"#,
                r#"{"v":"https://u:****@h/s","w":"x@y"}"#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
            assert!(has_credentials(input));
        }
    }

    #[test]
    fn lone_user_names_are_masked_but_are_not_credentials() {
        for user in ["oauth2accesstoken", "VssSessionToken", "__token__"] {
            let url = format!("https://{user}@pkgs.example/simple");
            assert_eq!(redact(&url), "https://****@pkgs.example/simple");
            assert!(!has_credentials(&url), "{user}");
        }
        for token in ["ghp_abc", "pypi-AgEIcHlwaS5vcmc", "a1b2c3d4e5f6g7h8i9j0k"] {
            assert!(
                has_credentials(&format!("https://{token}@h/simple")),
                "{token}"
            );
        }
    }

    #[test]
    fn masks_values_of_secret_variables() {
        for (input, expected) in [
            ("GITHUB_TOKEN=ghp_abc123", "GITHUB_TOKEN=****"),
            (
                "ENV A=1 PYPI_TOKEN=pypi-xyz B=2",
                "ENV A=1 PYPI_TOKEN=**** B=2",
            ),
            ("export DB_PASSWORD='hunter2'", "export DB_PASSWORD='****'"),
            (
                r#"["AWS_SECRET_ACCESS_KEY=abc/def"]"#,
                r#"["AWS_SECRET_ACCESS_KEY=****"]"#,
            ),
        ] {
            assert_eq!(redact(input), expected, "{input}");
        }
        for clean in [
            "GPG_KEY=A035C8C19219BA821E",
            "TOKEN_FILE",
            "PASSWORD=",
            "x=y",
        ] {
            assert!(matches!(redact(clean), Cow::Borrowed(_)), "{clean}");
        }
    }

    #[test]
    fn leaves_clean_text_alone() {
        for input in [
            "https://index.example/simple",
            "user@example.com",
            "https://alice:@host/",
            "no url here",
            "a://",
        ] {
            assert!(matches!(redact(input), Cow::Borrowed(_)), "{input}");
            assert!(!has_credentials(input));
        }
        // Masked already: nothing left to mask, but the credential was there.
        assert!(matches!(
            redact("https://alice:****@host/"),
            Cow::Borrowed(_)
        ));
        assert!(has_credentials("https://alice:****@host/"));
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redacted("https://a:b@c/ and https://tok@d/");
        assert_eq!(redacted(&once), once);
    }
}
