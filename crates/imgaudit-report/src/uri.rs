//! Relative URIs for SARIF and Code Quality locations.
//!
//! Code scanning rejects URIs with a scheme or with a colon in their first segment (an image
//! reference like `app:1.4`), so every byte outside RFC 3986's unreserved set is
//! percent-encoded, `/` excepted.

use std::fmt::Write;

use crate::Reported;

/// Percent-encodes `text`, keeping `/` and the unreserved characters; leading `/`s are dropped
/// so the result is relative.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.trim_start_matches('/').bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Where a path inside the image is shown: `<repository>/<path>`.
pub(crate) fn in_image(repository: &str, path: &str) -> String {
    format!("{}/{}", encode(repository), encode(path))
}

/// Where a variable of the image's config `Env` is shown: `<repository>/@config/Env/<NAME>`.
pub(crate) fn image_env(repository: &str, variable: &str) -> String {
    format!("{}/@config/Env/{}", encode(repository), encode(variable))
}

/// Where a finding with neither a path nor a variable is shown: the image's config.
pub(crate) fn image_config(repository: &str) -> String {
    format!("{}/@config", encode(repository))
}

/// The pseudo-path of a finding inside the image: its file, or its variable of the config's
/// `Env`, or the config.
pub(crate) fn of_finding(repository: &str, reported: &Reported) -> String {
    if let Some(path) = &reported.in_image.path {
        return in_image(repository, path);
    }
    let from_env = reported
        .finding
        .evidence
        .get("source")
        .and_then(serde_json::Value::as_str)
        == Some("env");
    match (&reported.subject.variable, &reported.subject.path) {
        (Some(variable), _) if from_env => image_env(repository, variable),
        (_, Some(path)) => in_image(repository, path),
        _ => image_config(repository),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_colon_free() {
        assert_eq!(
            in_image(
                "registry.example.com:5000/team/app",
                "/usr/lib/python3.11/EXTERNALLY-MANAGED"
            ),
            "registry.example.com%3A5000/team/app/usr/lib/python3.11/EXTERNALLY-MANAGED"
        );
        assert_eq!(in_image("app", "/a b/ü"), "app/a%20b/%C3%BC");
        assert_eq!(
            image_env("app", "PIP_NO_USER"),
            "app/@config/Env/PIP_NO_USER"
        );
        assert_eq!(encode("/docker/Dockerfile"), "docker/Dockerfile");
    }
}
