//! Registry failures, told the way a user can act on them: which registry, which repository,
//! which step, and what the server answered.

use std::fmt;

use oci_client::errors::{OciDistributionError, OciErrorCode};

use crate::auth::AuthError;

/// What was being done when a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Authenticate,
    Manifest,
    Config,
    Layer,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Authenticate => "authenticating to pull",
            Step::Manifest => "pulling the manifest",
            Step::Config => "pulling the image config",
            Step::Layer => "pulling the layer",
        })
    }
}

/// The registry's answer, classified.
#[derive(Debug)]
pub enum Answer {
    /// 401: no or wrong credentials.
    Unauthorized,
    /// 403 or `DENIED`: the credentials do not allow it.
    Denied(String),
    /// 404 `MANIFEST_UNKNOWN`: no such tag or digest.
    ManifestUnknown(String),
    /// 404 `NAME_UNKNOWN`: no such repository.
    NameUnknown(String),
    /// 404 `BLOB_UNKNOWN`.
    BlobUnknown(String),
    /// The token server refused to issue a token.
    TokenRefused(String),
    /// Any other HTTP status, with the body's message.
    Status { code: u16, message: String },
    /// Other registry error codes from the body.
    Codes(String),
    /// No HTTP answer at all: the connection failed, timed out or TLS was refused.
    Transport(String),
    /// Anything else the client reported.
    Other(String),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Unauthorized => f.write_str("401 Unauthorized"),
            Answer::Denied(m) => write!(f, "403 DENIED: {m}"),
            Answer::ManifestUnknown(m) => write!(f, "404 MANIFEST_UNKNOWN: {m}"),
            Answer::NameUnknown(m) => write!(f, "404 NAME_UNKNOWN: {m}"),
            Answer::BlobUnknown(m) => write!(f, "404 BLOB_UNKNOWN: {m}"),
            Answer::TokenRefused(m) => write!(f, "the token server refused: {}", clip(m)),
            Answer::Status { code, message } if message.trim().is_empty() => {
                write!(f, "HTTP {code}")
            }
            Answer::Status { code, message } => write!(f, "HTTP {code}: {}", clip(message)),
            Answer::Codes(m) | Answer::Transport(m) | Answer::Other(m) => f.write_str(m),
        }
    }
}

/// Keeps a server's message to one readable line.
fn clip(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

impl Answer {
    pub(crate) fn from_client(error: &OciDistributionError) -> Answer {
        match error {
            OciDistributionError::UnauthorizedError { .. } => Answer::Unauthorized,
            OciDistributionError::AuthenticationFailure(m) => Answer::TokenRefused(m.clone()),
            OciDistributionError::ImageManifestNotFoundError(m) => {
                Answer::ManifestUnknown(m.clone())
            }
            OciDistributionError::ServerError { code, message, .. } => match code {
                401 => Answer::Unauthorized,
                403 => Answer::Denied(clip(message)),
                _ => Answer::Status {
                    code: *code,
                    message: envelope_text(message).unwrap_or_else(|| message.clone()),
                },
            },
            OciDistributionError::DigestError(e) => {
                Answer::Other(format!("the content does not match its digest: {e}"))
            }
            OciDistributionError::IoError(e) if is_digest_failure(e) => {
                Answer::Other(format!("the content does not match its digest: {e}"))
            }
            OciDistributionError::RegistryError { envelope, .. } => {
                let message = |code: &OciErrorCode| {
                    envelope
                        .errors
                        .iter()
                        .find(|e| e.code == *code)
                        .map(|e| e.message.clone())
                };
                if let Some(m) = message(&OciErrorCode::NameUnknown) {
                    Answer::NameUnknown(m)
                } else if let Some(m) = message(&OciErrorCode::ManifestUnknown) {
                    Answer::ManifestUnknown(m)
                } else if let Some(m) = message(&OciErrorCode::BlobUnknown) {
                    Answer::BlobUnknown(m)
                } else if let Some(m) = message(&OciErrorCode::Denied) {
                    Answer::Denied(m)
                } else if message(&OciErrorCode::Unauthorized).is_some() {
                    Answer::Unauthorized
                } else {
                    Answer::Codes(
                        envelope
                            .errors
                            .iter()
                            .map(|e| format!("{}: {}", code_name(&e.code), e.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }
            }
            OciDistributionError::RequestError(e) => Answer::Transport(chain(e)),
            other => Answer::Other(chain(other)),
        }
    }
}

/// Whether an I/O error is the client's digest check failing (content, not transport).
pub(crate) fn is_digest_failure(error: &std::io::Error) -> bool {
    type Inner = dyn std::error::Error + Send + Sync;
    error
        .get_ref()
        .is_some_and(Inner::is::<oci_client::errors::DigestError>)
}

/// A registry's JSON error body (`{"errors":[{"code","message"}]}`) as `CODE: message`.
fn envelope_text(body: &str) -> Option<String> {
    let envelope: oci_client::errors::OciEnvelope = serde_json::from_str(body).ok()?;
    let text = envelope
        .errors
        .iter()
        .map(|e| format!("{}: {}", code_name(&e.code), e.message))
        .collect::<Vec<_>>()
        .join("; ");
    (!text.is_empty()).then_some(text)
}

/// An error code as the registry wrote it (`TOOMANYREQUESTS`, `UNKNOWN`).
fn code_name(code: &OciErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{code:?}"),
    }
}

/// An error and its causes on one line: the client's own messages hide the cause ("error
/// sending request").
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Why an image could not be read from a registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{registry}: {step} `{target}` failed: {answer}{hint}")]
    Request {
        registry: String,
        /// The repository with the tag or digest asked for.
        target: String,
        step: Step,
        answer: Answer,
        /// What to do about it, starting with a separator, or empty.
        hint: String,
    },
    #[error("{registry}: credentials: {source}")]
    Credentials {
        registry: String,
        #[source]
        source: AuthError,
    },
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Image(#[from] imgaudit_image::ImageError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(code: &str, message: &str) -> OciDistributionError {
        OciDistributionError::RegistryError {
            envelope: serde_json::from_value(serde_json::json!({
                "errors": [{ "code": code, "message": message }]
            }))
            .unwrap(),
            url: "http://r/v2/x".into(),
        }
    }

    #[test]
    fn answers_name_the_registry_error_codes() {
        let answer = |e: &OciDistributionError| Answer::from_client(e).to_string();
        assert_eq!(
            answer(&envelope("MANIFEST_UNKNOWN", "manifest unknown")),
            "404 MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(
            answer(&envelope("NAME_UNKNOWN", "repository name not known")),
            "404 NAME_UNKNOWN: repository name not known"
        );
        assert_eq!(answer(&envelope("DENIED", "no")), "403 DENIED: no");
        assert_eq!(
            answer(&envelope("ARTIFACT_LOCKED", "locked")),
            "ARTIFACT_LOCKED: locked"
        );
        let server = OciDistributionError::ServerError {
            code: 500,
            url: "u".into(),
            message: r#"{"errors":[{"code":"UNKNOWN","message":"boom"}]}"#.into(),
        };
        assert_eq!(answer(&server), "HTTP 500: UNKNOWN: boom");
        let html = OciDistributionError::ServerError {
            code: 502,
            url: "u".into(),
            message: "<html>\n  bad   gateway\n</html>".into(),
        };
        assert_eq!(answer(&html), "HTTP 502: <html> bad gateway </html>");
        assert_eq!(
            answer(&OciDistributionError::UnauthorizedError { url: "u".into() }),
            "401 Unauthorized"
        );
    }
}
