//! Secrets found in an image never leave imgaudit: credentials in URLs, and the values of
//! variables whose names say they hold a secret (`GITHUB_TOKEN=...`), are masked wherever a
//! string from the image is copied into the facts, and once more in everything printed.

use std::borrow::Cow;

/// What a masked secret reads as.
pub const MASK: &str = "****";

/// Whether a URL-looking string carries credentials: a password (masked already or not)
/// (`scheme://user:secret@host`), or a lone user part that looks like a token (a known token
/// prefix, or 20 characters or more mixing letters and digits). A lone user name such as
/// `oauth2accesstoken` or `VssSessionToken` (how keyring-based setups name the user) is not a
/// secret, though it is still masked in output.
pub fn has_credentials(text: &str) -> bool {
    secrets(text).into_iter().any(|(start, end)| {
        let secret = &text[start..end];
        let lone = text[..start].ends_with("://");
        !lone || looks_like_token(secret)
    })
}

fn looks_like_token(text: &str) -> bool {
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

/// Whether a variable's name says it holds a secret (`PYPI_TOKEN`, `DB_PASSWORD`,
/// `AWS_SECRET_ACCESS_KEY`). Plain `*_KEY` is left alone: images publish key ids that way
/// (`GPG_KEY` in the official Python images).
pub fn is_secret_name(name: &str) -> bool {
    const MARKERS: [&str; 8] = [
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
    ];
    let upper = name.to_ascii_uppercase();
    MARKERS.iter().any(|m| upper.contains(m))
}

/// Masks the secret part of every `scheme://userinfo@` in `text` (a `user:password` keeps the
/// user; a lone userinfo is taken to be a token and masked whole) and the value of every
/// `NAME=value` whose name says it is a secret.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut found: Vec<(usize, usize)> = secrets(text);
    found.extend(secret_assignments(text));
    found.sort_unstable();
    found.dedup_by(|later, earlier| later.0 < earlier.1);
    let found: Vec<(usize, usize)> = found
        .into_iter()
        .filter(|&(start, end)| &text[start..end] != MASK)
        .collect();
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (start, end) in found {
        out.push_str(&text[done..start]);
        out.push_str(MASK);
        done = end;
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// Byte ranges of the values of `NAME=value` assignments whose name is a secret's: the value
/// runs to a blank, a quote or `;`, past one opening quote.
fn secret_assignments(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    for (eq, _) in text.match_indices('=') {
        let mut start = eq;
        while start > 0 && is_name(bytes[start - 1]) {
            start -= 1;
        }
        if start == eq || !is_secret_name(&text[start..eq]) {
            continue;
        }
        let mut value = eq + 1;
        if matches!(bytes.get(value), Some(b'"' | b'\'')) {
            value += 1;
        }
        let end = text[value..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '\\'))
            .map_or(text.len(), |n| value + n);
        if end > value {
            found.push((value, end));
        }
    }
    found
}

/// Byte ranges of the secrets in `text`: the password of `user:password@`, or a lone token.
fn secrets(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(at) = text[search..].find("://") {
        let authority_start = search + at + 3;
        let rest = &text[authority_start..];
        let authority_len = authority_len(rest);
        search = authority_start + authority_len;
        let Some(userinfo_len) = rest[..authority_len].rfind('@') else {
            continue;
        };
        let userinfo = &rest[..userinfo_len];
        let secret_start = userinfo.find(':').map_or(0, |colon| colon + 1);
        if secret_start < userinfo.len() {
            found.push((
                authority_start + secret_start,
                authority_start + userinfo_len,
            ));
        }
    }
    found
}

/// Where the authority of a URL ends: at the first `/`, `?`, `#` or blank, or at a `"` that is
/// not escaped (the end of a JSON string). A `'` may be part of a password (RFC 3986 allows it
/// in userinfo), so it does not end anything; userinfo then ends at the authority's last `@`.
fn authority_len(rest: &str) -> usize {
    let mut previous = '\0';
    for (at, c) in rest.char_indices() {
        if matches!(c, '/' | '?' | '#') || c.is_whitespace() || (c == '"' && previous != '\\') {
            return at;
        }
        previous = c;
    }
    rest.len()
}

/// [`redact`] into an owned string.
pub fn redacted(text: &str) -> String {
    redact(text).into_owned()
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
