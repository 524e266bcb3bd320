use std::fmt::Write as _;
use std::io;

use crate::endpoint::Endpoint;

/// Why talking to a daemon failed. Every variant names what it was about: the environment
/// variable, the endpoints tried, or the endpoint and the image.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{variable}={value:?} is not a daemon address: {reason}")]
    InvalidHost {
        variable: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "{variable}={value:?} asks for TLS, and TLS to the daemon is not supported: use a Unix socket or a plain tcp:// address"
    )]
    TlsNotSupported {
        variable: &'static str,
        value: String,
    },
    #[error("{}", describe_attempts(attempts))]
    NoDaemon { attempts: Vec<ConnectAttempt> },
    #[error("{image:?} is not a valid image name: {reason}")]
    InvalidImageName { image: String, reason: &'static str },
    #[error("no image {image:?} in the daemon at {endpoint}")]
    NoSuchImage { endpoint: Endpoint, image: String },
    #[error("the daemon at {endpoint} answered HTTP {status} for image {image:?}: {message}")]
    Status {
        endpoint: Endpoint,
        image: String,
        status: u16,
        message: String,
    },
    #[error("the daemon at {endpoint} sent an invalid response for image {image:?}: {reason}")]
    Protocol {
        endpoint: Endpoint,
        image: String,
        reason: String,
    },
    #[error("talking to the daemon at {endpoint} about image {image:?}: {source}")]
    Io {
        endpoint: Endpoint,
        image: String,
        #[source]
        source: io::Error,
    },
}

/// One endpoint that [`Daemon::connect`](crate::Daemon::connect) tried, and why it did not do.
#[derive(Debug)]
pub struct ConnectAttempt {
    pub endpoint: Endpoint,
    pub failure: ConnectFailure,
}

/// Why an endpoint is not a usable daemon.
#[derive(Debug, thiserror::Error)]
pub enum ConnectFailure {
    #[error("no such socket")]
    NoSuchSocket,
    #[error("connection refused")]
    Refused,
    #[error("permission denied")]
    PermissionDenied,
    #[error("timed out")]
    TimedOut,
    #[error("not a Docker API: {0}")]
    NotDockerApi(String),
    #[error("{0}")]
    Io(#[source] io::Error),
}

impl DaemonError {
    /// Whether nothing listens where a daemon was looked for (no socket, connection refused),
    /// as opposed to a daemon, or a configuration, that is there and wrong: only the first may
    /// send a bare image name on to its registry.
    pub fn is_absent(&self) -> bool {
        match self {
            DaemonError::NoDaemon { attempts } => attempts.iter().all(|attempt| {
                matches!(
                    attempt.failure,
                    ConnectFailure::NoSuchSocket | ConnectFailure::Refused
                )
            }),
            _ => false,
        }
    }
}

impl ConnectFailure {
    pub(crate) fn from_io(error: io::Error) -> ConnectFailure {
        match error.kind() {
            io::ErrorKind::NotFound => ConnectFailure::NoSuchSocket,
            io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
            io::ErrorKind::PermissionDenied => ConnectFailure::PermissionDenied,
            // A socket read timeout surfaces as EAGAIN on Unix.
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ConnectFailure::TimedOut,
            _ => ConnectFailure::Io(error),
        }
    }
}

fn describe_attempts(attempts: &[ConnectAttempt]) -> String {
    if attempts.is_empty() {
        return "no Docker or Podman daemon endpoint to try".to_owned();
    }
    let mut text = "no Docker or Podman daemon answered (tried ".to_owned();
    for (i, attempt) in attempts.iter().enumerate() {
        let separator = if i == 0 { "" } else { "; " };
        let _ = write!(text, "{separator}{}: {}", attempt.endpoint, attempt.failure);
    }
    text.push(')');
    text
}
