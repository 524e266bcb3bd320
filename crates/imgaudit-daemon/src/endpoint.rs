use std::env;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::DaemonError;

/// Which daemon an image name asks for: `docker-daemon:` or `podman:`. Unqualified names are
/// `None` where a flavor is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    Docker,
    Podman,
}

/// The environment that says where the daemons listen. Tests build one by hand;
/// [`DaemonEnv::from_process`] reads the process's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonEnv {
    /// `$DOCKER_HOST`; an empty value counts as unset, as for the docker CLI.
    pub docker_host: Option<String>,
    /// Whether `$DOCKER_TLS_VERIFY` is set to a non-empty value (the docker CLI's test).
    pub docker_tls_verify: bool,
    /// `$CONTAINER_HOST`, podman's equivalent of `$DOCKER_HOST`.
    pub container_host: Option<String>,
    /// `$XDG_RUNTIME_DIR`, where rootless daemons put their sockets.
    pub xdg_runtime_dir: Option<PathBuf>,
}

impl DaemonEnv {
    pub fn from_process() -> DaemonEnv {
        let non_empty = |name: &str| env::var(name).ok().filter(|value| !value.is_empty());
        DaemonEnv {
            docker_host: non_empty("DOCKER_HOST"),
            docker_tls_verify: env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty()),
            container_host: non_empty("CONTAINER_HOST"),
            xdg_runtime_dir: env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        }
    }

    fn runtime_dir(&self) -> Option<&Path> {
        // The XDG spec requires an absolute path; a relative one would depend on the cwd.
        self.xdg_runtime_dir
            .as_deref()
            .filter(|dir| dir.is_absolute())
    }
}

/// Where a daemon listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, plain HTTP.
    Tcp(String),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp(address) => write!(f, "tcp://{address}"),
        }
    }
}

const DOCKER_SOCKET: &str = "/var/run/docker.sock";
const PODMAN_SOCKET: &str = "/run/podman/podman.sock";
/// The docker CLI's default port for plain TCP.
const DOCKER_PLAIN_PORT: &str = "2375";

/// The endpoints to try, in order.
///
/// - Docker: `$DOCKER_HOST` alone when set, since it pins the daemon as it does for the docker
///   CLI; otherwise `/var/run/docker.sock`, then `$XDG_RUNTIME_DIR/docker.sock` (rootless).
/// - Podman: `$CONTAINER_HOST` alone when set, else `$DOCKER_HOST` alone when set (podman's
///   Docker-compatible socket is often exported that way); otherwise `/run/podman/podman.sock`,
///   then `$XDG_RUNTIME_DIR/podman/podman.sock` (rootless). A set variable is never followed by
///   defaults: falling back to another daemon would audit a different image of the same name.
/// - Unqualified (`None`): `$DOCKER_HOST` alone when set; otherwise Docker's defaults, then
///   Podman's (`$CONTAINER_HOST` standing in for them when set).
///
/// Only the variables the flavor reads are parsed, so a podman-only `CONTAINER_HOST` cannot
/// break `docker-daemon:` names.
pub fn endpoints(flavor: Option<Flavor>, env: &DaemonEnv) -> Result<Vec<Endpoint>, DaemonError> {
    let docker_host = || docker_host(env).transpose();
    let container_host = || {
        env.container_host
            .as_deref()
            .filter(|value| !value.is_empty())
            .map(|value| parse_host("CONTAINER_HOST", value, false))
            .transpose()
    };
    let pinned = match flavor {
        Some(Flavor::Docker) | None => docker_host()?,
        Some(Flavor::Podman) => match container_host()? {
            Some(pinned) => Some(pinned),
            None => docker_host()?,
        },
    };
    if let Some(pinned) = pinned {
        return Ok(vec![pinned]);
    }
    let mut endpoints = Vec::new();
    if flavor != Some(Flavor::Podman) {
        endpoints.extend(docker_defaults(env));
    }
    if flavor != Some(Flavor::Docker) {
        match container_host()? {
            Some(podman) => endpoints.push(podman),
            None => endpoints.extend(podman_defaults(env)),
        }
    }
    let mut seen = Vec::with_capacity(endpoints.len());
    endpoints.retain(|endpoint| {
        let new = !seen.contains(endpoint);
        if new {
            seen.push(endpoint.clone());
        }
        new
    });
    Ok(endpoints)
}

fn docker_host(env: &DaemonEnv) -> Option<Result<Endpoint, DaemonError>> {
    env.docker_host
        .as_deref()
        .filter(|value| !value.is_empty())
        .map(|value| parse_host("DOCKER_HOST", value, env.docker_tls_verify))
}

fn docker_defaults(env: &DaemonEnv) -> Vec<Endpoint> {
    let mut endpoints = vec![Endpoint::Unix(PathBuf::from(DOCKER_SOCKET))];
    if let Some(dir) = env.runtime_dir() {
        endpoints.push(Endpoint::Unix(dir.join("docker.sock")));
    }
    endpoints
}

fn podman_defaults(env: &DaemonEnv) -> Vec<Endpoint> {
    let mut endpoints = vec![Endpoint::Unix(PathBuf::from(PODMAN_SOCKET))];
    if let Some(dir) = env.runtime_dir() {
        endpoints.push(Endpoint::Unix(dir.join("podman").join("podman.sock")));
    }
    endpoints
}

/// Parses a `DOCKER_HOST`-style address. `tls_verify` is `DOCKER_TLS_VERIFY`, which turns a
/// `tcp://` address into a TLS one for the docker CLI.
fn parse_host(
    variable: &'static str,
    value: &str,
    tls_verify: bool,
) -> Result<Endpoint, DaemonError> {
    let invalid = |reason: &str| DaemonError::InvalidHost {
        variable,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let tls = || DaemonError::TlsNotSupported {
        variable,
        value: value.to_owned(),
    };
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(invalid("expected unix:///PATH or tcp://HOST:PORT"));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => {
            if rest.is_empty() {
                return Err(invalid("the unix:// address has no socket path"));
            }
            Ok(Endpoint::Unix(PathBuf::from(rest)))
        }
        "tcp" | "http" if tls_verify => Err(tls()),
        "tcp" | "http" => parse_tcp_address(rest).map(Endpoint::Tcp).map_err(invalid),
        "https" => Err(tls()),
        "ssh" => Err(invalid(
            "ssh:// is not supported; forward the remote socket to a local one (ssh -L LOCAL_SOCKET:REMOTE_SOCKET HOST) and use unix://LOCAL_SOCKET",
        )),
        "npipe" => Err(invalid("npipe:// (Windows named pipes) is not supported")),
        "fd" => Err(invalid(
            "fd:// is a daemon's listen address, not one a client can use",
        )),
        _ => Err(invalid("unknown scheme; expected unix:// or tcp://")),
    }
}

/// `HOST[:PORT][/]` to `host:port`, with the docker CLI's default port.
fn parse_tcp_address(rest: &str) -> Result<String, &'static str> {
    let address = rest.strip_suffix('/').unwrap_or(rest);
    if address.is_empty() {
        return Err("the tcp:// address has no host");
    }
    if address.contains(['/', '?', '#', '@']) {
        return Err("a tcp:// address with a path, query or user is not supported");
    }
    let (host, port) = if let Some(bracketed) = address.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:2375`.
        let Some((ip, after)) = bracketed.split_once(']') else {
            return Err("unclosed [ in the tcp:// address");
        };
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("junk after ] in the tcp:// address")?,
            ),
        };
        (format!("[{ip}]"), port)
    } else {
        match address.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("an IPv6 address must be in brackets: tcp://[::1]:2375");
            }
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (address.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err("the tcp:// address has no host");
    }
    let port = port.unwrap_or(DOCKER_PLAIN_PORT);
    if port.parse::<u16>().is_err() {
        return Err("the port is not a number from 0 to 65535");
    }
    Ok(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(path: &str) -> Endpoint {
        Endpoint::Unix(PathBuf::from(path))
    }

    fn tcp(address: &str) -> Endpoint {
        Endpoint::Tcp(address.to_owned())
    }

    fn with_runtime_dir() -> DaemonEnv {
        DaemonEnv {
            xdg_runtime_dir: Some(PathBuf::from("/run/user/1000")),
            ..DaemonEnv::default()
        }
    }

    #[test]
    fn defaults_follow_the_flavor_and_the_runtime_dir() {
        let env = with_runtime_dir();
        assert_eq!(
            endpoints(Some(Flavor::Docker), &env).unwrap(),
            [
                unix("/var/run/docker.sock"),
                unix("/run/user/1000/docker.sock")
            ]
        );
        assert_eq!(
            endpoints(Some(Flavor::Podman), &env).unwrap(),
            [
                unix("/run/podman/podman.sock"),
                unix("/run/user/1000/podman/podman.sock")
            ]
        );
        assert_eq!(
            endpoints(None, &env).unwrap(),
            [
                unix("/var/run/docker.sock"),
                unix("/run/user/1000/docker.sock"),
                unix("/run/podman/podman.sock"),
                unix("/run/user/1000/podman/podman.sock")
            ]
        );
    }

    #[test]
    fn without_a_runtime_dir_only_the_system_sockets_remain() {
        let env = DaemonEnv {
            xdg_runtime_dir: Some(PathBuf::from("relative/dir")),
            ..DaemonEnv::default()
        };
        assert_eq!(
            endpoints(None, &env).unwrap(),
            [
                unix("/var/run/docker.sock"),
                unix("/run/podman/podman.sock")
            ]
        );
    }

    #[test]
    fn docker_host_pins_the_daemon() {
        let env = DaemonEnv {
            docker_host: Some("unix:///tmp/d.sock".to_owned()),
            ..with_runtime_dir()
        };
        for flavor in [Some(Flavor::Docker), Some(Flavor::Podman), None] {
            assert_eq!(endpoints(flavor, &env).unwrap(), [unix("/tmp/d.sock")]);
        }
        let env = DaemonEnv {
            docker_host: Some("tcp://127.0.0.1:2375".to_owned()),
            ..DaemonEnv::default()
        };
        assert_eq!(
            endpoints(Some(Flavor::Docker), &env).unwrap(),
            [tcp("127.0.0.1:2375")]
        );
    }

    #[test]
    fn container_host_pins_podman_and_replaces_its_defaults_for_unqualified_names() {
        let env = DaemonEnv {
            container_host: Some("unix:///tmp/p.sock".to_owned()),
            docker_host: Some("unix:///tmp/d.sock".to_owned()),
            ..with_runtime_dir()
        };
        assert_eq!(
            endpoints(Some(Flavor::Podman), &env).unwrap(),
            [unix("/tmp/p.sock")]
        );
        assert_eq!(
            endpoints(Some(Flavor::Docker), &env).unwrap(),
            [unix("/tmp/d.sock")]
        );
        let env = DaemonEnv {
            docker_host: None,
            ..env
        };
        assert_eq!(
            endpoints(None, &env).unwrap(),
            [
                unix("/var/run/docker.sock"),
                unix("/run/user/1000/docker.sock"),
                unix("/tmp/p.sock")
            ]
        );
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let env = DaemonEnv {
            docker_host: Some(String::new()),
            container_host: Some(String::new()),
            ..DaemonEnv::default()
        };
        assert_eq!(
            endpoints(Some(Flavor::Podman), &env).unwrap(),
            [unix("/run/podman/podman.sock")]
        );
    }

    #[test]
    fn tcp_addresses_get_the_default_port_and_keep_ipv6_brackets() {
        for (value, address) in [
            ("tcp://127.0.0.1:2375", "127.0.0.1:2375"),
            ("tcp://docker.internal", "docker.internal:2375"),
            ("tcp://docker.internal:12375/", "docker.internal:12375"),
            ("http://localhost:8080", "localhost:8080"),
            ("tcp://[::1]:2375", "[::1]:2375"),
            ("tcp://[::1]", "[::1]:2375"),
        ] {
            assert_eq!(
                parse_host("DOCKER_HOST", value, false).unwrap(),
                tcp(address),
                "{value}"
            );
        }
        assert_eq!(
            tcp("127.0.0.1:2375").to_string(),
            "tcp://127.0.0.1:2375".to_owned()
        );
        assert_eq!(
            unix("/run/docker.sock").to_string(),
            "unix:///run/docker.sock"
        );
    }

    #[test]
    fn unusable_addresses_are_errors_naming_the_variable() {
        for value in [
            "ssh://me@build-host",
            "npipe:////./pipe/docker_engine",
            "fd://",
            "/var/run/docker.sock",
            "garbage",
            "unix://",
            "tcp://",
            "tcp://host:port",
            "tcp://host:99999",
            "tcp://host:2375/v1.41",
            "tcp://::1",
            "tcp://[::1",
            "gopher://host",
        ] {
            let env = DaemonEnv {
                docker_host: Some(value.to_owned()),
                ..DaemonEnv::default()
            };
            let error = endpoints(Some(Flavor::Docker), &env).unwrap_err();
            assert!(
                matches!(
                    error,
                    DaemonError::InvalidHost {
                        variable: "DOCKER_HOST",
                        ..
                    }
                ),
                "{value}: {error:?}"
            );
            assert!(error.to_string().contains(value), "{error}");
        }
        let env = DaemonEnv {
            container_host: Some("ssh://core@localhost:2222/run/podman/podman.sock".to_owned()),
            ..DaemonEnv::default()
        };
        let error = endpoints(Some(Flavor::Podman), &env).unwrap_err();
        assert!(error.to_string().starts_with("CONTAINER_HOST="), "{error}");
        // The docker flavor never reads CONTAINER_HOST.
        assert!(endpoints(Some(Flavor::Docker), &env).is_ok());
    }

    #[test]
    fn tls_is_refused_clearly() {
        let env = DaemonEnv {
            docker_host: Some("tcp://10.0.0.5:2376".to_owned()),
            docker_tls_verify: true,
            ..DaemonEnv::default()
        };
        let error = endpoints(None, &env).unwrap_err();
        assert!(matches!(error, DaemonError::TlsNotSupported { .. }));
        assert!(
            error
                .to_string()
                .contains("TLS to the daemon is not supported"),
            "{error}"
        );
        let env = DaemonEnv {
            docker_host: Some("https://10.0.0.5:2376".to_owned()),
            ..DaemonEnv::default()
        };
        assert!(matches!(
            endpoints(None, &env),
            Err(DaemonError::TlsNotSupported { .. })
        ));
        // A Unix socket needs no TLS, whatever DOCKER_TLS_VERIFY says.
        let env = DaemonEnv {
            docker_host: Some("unix:///tmp/d.sock".to_owned()),
            docker_tls_verify: true,
            ..DaemonEnv::default()
        };
        assert_eq!(endpoints(None, &env).unwrap(), [unix("/tmp/d.sock")]);
    }
}
