//! Relative URIs for SARIF and Code Quality locations.
//!
//! Code scanning rejects URIs with a scheme or with a colon in their first segment (an image
//! reference like `app:1.4`), so every byte outside RFC 3986's unreserved set is
//! percent-encoded, `/` and `@` (both allowed in a path) excepted.

use std::fmt::Write;

use crate::Reported;

/// Percent-encodes `text`, keeping `/`, `@` and the unreserved characters; leading `/`s are
/// dropped so the result is relative.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.trim_start_matches('/').bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/' | b'@') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The pseudo-path of a finding inside the image, unencoded: `<repository>/<its file>`, or
/// `<repository>/@config/Env/<its variable of the config's Env>`, or `<repository>/@config`.
pub(crate) fn pseudo_path(repository: &str, reported: &Reported) -> String {
    let repository = repository.trim_matches('/');
    let subject = &reported.subject;
    let path = reported.in_image.path.as_ref().or(match &subject.variable {
        Some(_) if subject.from_env => None,
        _ => subject.path.as_ref(),
    });
    match (path, &subject.variable) {
        (Some(path), _) => format!("{repository}/{}", path.trim_start_matches('/')),
        (None, Some(variable)) if subject.from_env => {
            format!("{repository}/@config/Env/{variable}")
        }
        (None, _) => format!("{repository}/@config"),
    }
}

/// [`pseudo_path`] as a URI.
pub(crate) fn of_finding(repository: &str, reported: &Reported) -> String {
    encode(&pseudo_path(repository, reported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_colon_free() {
        assert_eq!(
            encode("registry.example.com:5000/team/app/usr/lib/python3.11/EXTERNALLY-MANAGED"),
            "registry.example.com%3A5000/team/app/usr/lib/python3.11/EXTERNALLY-MANAGED"
        );
        assert_eq!(encode("app/a b/ü"), "app/a%20b/%C3%BC");
        assert_eq!(
            encode("app/@config/Env/PIP_NO_USER"),
            "app/@config/Env/PIP_NO_USER"
        );
        assert_eq!(encode("/docker/Dockerfile"), "docker/Dockerfile");
    }
}
