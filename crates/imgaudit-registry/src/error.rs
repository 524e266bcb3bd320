//! Registry failures, told the way a user can act on them: which registry, which repository,
//! which step, and what the server answered.

use std::fmt;

use oci_client::errors::{OciDistributionError, OciErrorCode};

use crate::auth::AuthError;

/// What was being done when a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Manifest,
    Config,
    Layer,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
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
                    message: message.clone(),
                },
            },
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
                            .map(|e| format!("{:?}: {}", e.code, e.message))
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

impl RegistryError {
    /// Whether the registry answered that the image is not there (no such repository, tag or
    /// digest), as opposed to refusing or failing.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            RegistryError::Request {
                answer: Answer::ManifestUnknown(_) | Answer::NameUnknown(_),
                ..
            }
        )
    }
}
