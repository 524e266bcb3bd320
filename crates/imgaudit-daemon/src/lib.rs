//! Exports images from a local Docker or Podman daemon through its Docker Engine API, over a
//! Unix socket or plain TCP.
//!
//! [`endpoints`] lists where a daemon may listen, from `$DOCKER_HOST`, `$CONTAINER_HOST` and the
//! default sockets; [`Daemon::connect`] keeps the first that answers `GET /_ping`;
//! [`Daemon::inspect`] and [`Daemon::export`] then read `/images/{name}/json` and the
//! `docker save` stream of `/images/{name}/get`.
//!
//! The HTTP client is a minimal, synchronous HTTP/1.1 one over `std`'s `UnixStream` and
//! `TcpStream`, not bollard: two GET requests do not justify the hyper and tokio stacks bollard
//! brings, and the export is read front to back by blocking code anyway. Each request uses a
//! fresh connection (`Connection: close`); responses are parsed strictly, with bounded heads,
//! and bodies are decoded as they stream. TLS to the daemon is not supported.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod daemon;
mod endpoint;
mod error;
mod http;

#[cfg(test)]
mod fake_daemon;

pub use daemon::{CONNECT_TIMEOUT, Daemon, ImageInfo};
pub use endpoint::{DaemonEnv, Endpoint, Flavor, endpoints};
pub use error::{ConnectAttempt, ConnectFailure, DaemonError};
