//! Secrets found in an image never leave imgaudit: credentials in URLs are masked wherever a
//! string from the image is copied into the facts.

use std::borrow::Cow;

/// What a masked secret reads as.
pub const MASK: &str = "****";

/// Whether a URL-looking string carries credentials (`scheme://user:secret@host`, or a token
/// alone as the user part, as index services issue them), masked already or not.
pub fn has_credentials(text: &str) -> bool {
    !secrets(text).is_empty()
}

/// Masks the secret part of every `scheme://userinfo@` in `text`. A `user:password` keeps the
/// user and masks the password; a lone userinfo is taken to be a token and masked whole.
pub fn redact(text: &str) -> Cow<'_, str> {
    let found: Vec<(usize, usize)> = secrets(text)
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
    fn leaves_clean_text_alone() {
        for input in [
            "https://pypi.org/simple",
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
