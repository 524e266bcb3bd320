//! Credentials in URLs: the password of `scheme://user:password@host` (the user stays), or a
//! lone userinfo (`scheme://token@host`), taken to be a token and masked whole.

use crate::{Detector, Secret};

/// Every URL userinfo secret in `text`, masked already or not (`https://user:****@host` still
/// carries a credential; [`crate::find`] drops what is masked already).
pub fn userinfo(text: &str) -> Vec<Secret> {
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
        let (secret_start, detector) = match userinfo.find(':') {
            Some(colon) => (colon + 1, Detector::UrlPassword),
            None => (0, Detector::UrlToken),
        };
        if secret_start < userinfo.len() {
            found.push(Secret {
                range: authority_start + secret_start..authority_start + userinfo_len,
                detector,
            });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask;

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
            assert_eq!(mask(input), expected, "{input}");
            assert!(!userinfo(input).is_empty());
        }
    }

    #[test]
    fn tells_passwords_from_lone_userinfo() {
        let found = userinfo("https://a:b@h/ https://tok@h/");
        let detectors: Vec<_> = found.iter().map(|s| s.detector).collect();
        assert_eq!(detectors, [Detector::UrlPassword, Detector::UrlToken]);
    }

    #[test]
    fn leaves_clean_urls_alone() {
        for input in [
            "https://index.example/simple",
            "user@example.com",
            "https://alice:@host/",
            "no url here",
            "a://",
            "https://host/path@not-userinfo",
        ] {
            assert_eq!(userinfo(input), [], "{input}");
        }
    }
}
