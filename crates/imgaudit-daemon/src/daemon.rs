use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read};
use std::time::Duration;

use serde::Deserialize;

use crate::endpoint::Endpoint;
use crate::error::{ConnectAttempt, ConnectFailure, DaemonError};
use crate::http::{self, HttpError, Response, Stream, printable};

/// The longest [`Daemon::connect`] waits to establish a TCP connection and for the ping's answer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest image inspection accepted; real ones are a few KiB.
const MAX_INSPECT_BYTES: u64 = 16 * 1024 * 1024;
/// How much of an error response is read for its message.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;
/// How much of the ping's body is read; it is `OK`.
const MAX_PING_BODY_BYTES: u64 = 1024;

/// A daemon that answered `GET /_ping` with the Docker Engine API.
#[derive(Debug, Clone)]
pub struct Daemon {
    endpoint: Endpoint,
    api_version: Option<String>,
    libpod_api_version: Option<String>,
    /// `/v1.41` when the ping gave a usable API version, else empty.
    path_prefix: String,
    io_timeout: Option<Duration>,
}

/// What `GET /images/{name}/json` says about an image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInfo {
    /// The image ID: the config digest (`sha256:…`) for Podman and Docker's classic store;
    /// Docker's containerd image store reports the manifest or index digest instead.
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub repo_digests: Vec<String>,
    /// Bytes, as the daemon counts them (the unpacked layers, for Docker).
    pub size: u64,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

impl Daemon {
    /// Tries each endpoint in turn with `GET /_ping` and keeps the first that answers like a
    /// Docker API. `timeout` bounds every later read and write on the daemon's sockets, so a
    /// hung daemon is an error rather than a hang; connecting and the ping wait at most
    /// [`CONNECT_TIMEOUT`] (or `timeout`, if shorter). A zero `timeout` means no timeout.
    ///
    /// The error lists every endpoint tried and why it failed.
    pub fn connect(endpoints: &[Endpoint], timeout: Duration) -> Result<Daemon, DaemonError> {
        let io_timeout = (!timeout.is_zero()).then_some(timeout);
        let ping_timeout = Some(io_timeout.map_or(CONNECT_TIMEOUT, |t| t.min(CONNECT_TIMEOUT)));
        let mut attempts = Vec::new();
        for endpoint in endpoints {
            match ping(endpoint, ping_timeout) {
                Ok((api_version, libpod_api_version)) => {
                    let path_prefix = match &api_version {
                        Some(version) if is_api_version(version) => format!("/v{version}"),
                        _ => String::new(),
                    };
                    return Ok(Daemon {
                        endpoint: endpoint.clone(),
                        api_version,
                        libpod_api_version,
                        path_prefix,
                        io_timeout,
                    });
                }
                Err(failure) => attempts.push(ConnectAttempt {
                    endpoint: endpoint.clone(),
                    failure,
                }),
            }
        }
        Err(DaemonError::NoDaemon { attempts })
    }

    /// The same daemon with another timeout for later requests (a longer one for an export,
    /// whose first byte may take long to come).
    pub fn with_io_timeout(&self, timeout: Duration) -> Daemon {
        Daemon {
            io_timeout: (!timeout.is_zero()).then_some(timeout),
            ..self.clone()
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The ping's `Api-Version` header, such as `1.41`.
    pub fn api_version(&self) -> Option<&str> {
        self.api_version.as_deref()
    }

    /// Whether the daemon is Podman: its ping also carries `Libpod-Api-Version`.
    pub fn is_podman(&self) -> bool {
        self.libpod_api_version.is_some()
    }

    /// `GET /images/{name}/json`: `Ok(None)` when the daemon has no such image.
    pub fn inspect(&self, name: &str) -> Result<Option<ImageInfo>, DaemonError> {
        let response = self.get(name, "json")?;
        match response.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.status_error(name, response)),
        }
        let mut json = Vec::new();
        response
            .body
            .take(MAX_INSPECT_BYTES + 1)
            .read_to_end(&mut json)
            .map_err(|source| self.io_error(name, source))?;
        if json.len() as u64 > MAX_INSPECT_BYTES {
            return Err(self.protocol_error(
                name,
                format!("the image inspection is larger than {MAX_INSPECT_BYTES} bytes"),
            ));
        }
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|error| self.protocol_error(name, format!("unexpected image JSON: {error}")))
    }

    /// `GET /images/{name}/get`: the image as `docker save` writes it, streamed.
    ///
    /// The reader decodes the body as it goes and never holds all of it. It fails with
    /// `UnexpectedEof` when the body ends early, and its errors carry a [`DaemonError::Io`]
    /// naming the endpoint and the image. Docker reports a failure in the middle of an export
    /// by appending a JSON error to the stream, which makes the tar invalid rather than short.
    ///
    /// Podman writes the whole archive to a temporary file before it sends the first byte, so
    /// the first read waits for that: the timeout given to [`Daemon::connect`] must allow it
    /// (about 2 s for a 200 MB image with Podman 4.3).
    pub fn export(&self, name: &str) -> Result<Box<dyn Read + Send>, DaemonError> {
        let response = self.get(name, "get")?;
        match response.status {
            200 => Ok(Box::new(ExportStream {
                body: response.body,
                endpoint: self.endpoint.clone(),
                image: name.to_owned(),
            })),
            404 => Err(DaemonError::NoSuchImage {
                endpoint: self.endpoint.clone(),
                image: name.to_owned(),
            }),
            _ => Err(self.status_error(name, response)),
        }
    }

    fn get(&self, name: &str, action: &str) -> Result<Response<BufReader<Stream>>, DaemonError> {
        let encoded = encode_image_name(name).map_err(|reason| DaemonError::InvalidImageName {
            image: name.to_owned(),
            reason,
        })?;
        let path = format!("{}/images/{encoded}/{action}", self.path_prefix);
        let stream = Stream::connect(&self.endpoint, Some(CONNECT_TIMEOUT), self.io_timeout)
            .map_err(|source| self.io_error(name, source))?;
        http::get(stream, &path).map_err(|error| match error {
            HttpError::Io(source) => self.io_error(name, source),
            HttpError::Malformed(reason) => self.protocol_error(name, reason),
        })
    }

    fn status_error<R: BufRead>(&self, name: &str, response: Response<R>) -> DaemonError {
        let mut body = Vec::new();
        // The status is the error; a body that cannot be read only loses the details.
        let _ = response
            .body
            .take(MAX_ERROR_BODY_BYTES)
            .read_to_end(&mut body);
        DaemonError::Status {
            endpoint: self.endpoint.clone(),
            image: name.to_owned(),
            status: response.status,
            message: error_message(&body).unwrap_or(response.reason),
        }
    }

    fn io_error(&self, name: &str, source: io::Error) -> DaemonError {
        DaemonError::Io {
            endpoint: self.endpoint.clone(),
            image: name.to_owned(),
            source,
        }
    }

    fn protocol_error(&self, name: &str, reason: String) -> DaemonError {
        DaemonError::Protocol {
            endpoint: self.endpoint.clone(),
            image: name.to_owned(),
            reason,
        }
    }
}

/// Pings one endpoint: the `Api-Version` and `Libpod-Api-Version` headers on success.
fn ping(
    endpoint: &Endpoint,
    timeout: Option<Duration>,
) -> Result<(Option<String>, Option<String>), ConnectFailure> {
    let stream = Stream::connect(endpoint, timeout, timeout).map_err(ConnectFailure::from_io)?;
    let response = http::get(stream, "/_ping").map_err(|error| match error {
        HttpError::Io(error) => ConnectFailure::from_io(error),
        HttpError::Malformed(reason) => ConnectFailure::NotDockerApi(reason),
    })?;
    let header = |name| response.header(name).map(printable);
    let (api_version, libpod_api_version) = (header("api-version"), header("libpod-api-version"));
    if response.status != 200 {
        return Err(ConnectFailure::NotDockerApi(format!(
            "GET /_ping answered HTTP {} {}",
            response.status, response.reason
        )));
    }
    let mut body = Vec::new();
    response
        .body
        .take(MAX_PING_BODY_BYTES)
        .read_to_end(&mut body)
        .map_err(ConnectFailure::from_io)?;
    // Both daemons answer `OK` with an Api-Version header; either will do.
    if api_version.is_none() && body.trim_ascii() != b"OK" {
        return Err(ConnectFailure::NotDockerApi(
            "GET /_ping answered without an Api-Version header or OK".to_owned(),
        ));
    }
    Ok((api_version, libpod_api_version))
}

/// `1.41`: digits, a dot, digits. Anything else is not put into request paths.
fn is_api_version(version: &str) -> bool {
    version.split_once('.').is_some_and(|(major, minor)| {
        [major, minor].iter().all(|part| {
            !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// Percent-encodes an image name for a path, keeping the characters of references
/// (`localhost/team/app:ci`, `app@sha256:…`) as they are.
fn encode_image_name(name: &str) -> Result<String, &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    // Dot segments would be resolved by the daemon's router and reach another endpoint.
    if name.starts_with('/')
        || name
            .split('/')
            .any(|segment| matches!(segment, "" | "." | ".."))
    {
        return Err("it has an empty, `.` or `..` path component");
    }
    let mut encoded = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/:@".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    Ok(encoded)
}

/// The `message` of a daemon's JSON error, else the body's text when it has any.
fn error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let message = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) => error.message,
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let message = printable(message.trim());
    (!message.is_empty()).then_some(message)
}

/// The export body, with errors that say which export failed.
struct ExportStream<R> {
    body: http::Body<R>,
    endpoint: Endpoint,
    image: String,
}

impl<R: BufRead> Read for ExportStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf).map_err(|source| {
            io::Error::new(
                source.kind(),
                DaemonError::Io {
                    endpoint: self.endpoint.clone(),
                    image: self.image.clone(),
                    source,
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;
    use crate::fake_daemon::{FakeDaemon, Pieces, podman_ping, with_length};

    const TIMEOUT: Duration = Duration::from_secs(5);

    const INSPECT: &str = r#"{"Id":"sha256:36dd47b83f9e0b4194acaf19b8ed8adebce77956eb01198428b32b670a61d632","RepoTags":["localhost/team/app:ci"],"RepoDigests":null,"Size":1234567,"Os":"linux"}"#;

    /// A Podman-like daemon: `routes` answers everything but the ping.
    fn daemon(routes: impl Fn(&str) -> Pieces + Send + 'static) -> FakeDaemon {
        FakeDaemon::start(move |head| {
            if head.starts_with("GET /_ping ") {
                podman_ping()
            } else {
                routes(head)
            }
        })
    }

    fn connect(fake: &FakeDaemon) -> Daemon {
        Daemon::connect(&[fake.endpoint()], TIMEOUT).unwrap()
    }

    fn read_all(mut reader: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn the_ping_gives_the_api_version_used_in_paths() {
        let fake = daemon(|_| with_length("200 OK", INSPECT.as_bytes()));
        let daemon = connect(&fake);
        assert_eq!(daemon.endpoint(), &fake.endpoint());
        assert_eq!(daemon.api_version(), Some("1.41"));
        assert!(daemon.is_podman());
        daemon.inspect("localhost/team/app:ci").unwrap().unwrap();
        let requests = fake.requests();
        assert!(
            requests[0].starts_with("GET /_ping HTTP/1.1\r\n"),
            "{requests:?}"
        );
        let inspect = &requests[1];
        assert!(
            inspect.starts_with("GET /v1.41/images/localhost/team/app:ci/json HTTP/1.1\r\n"),
            "{inspect}"
        );
        for header in [
            "\r\nHost: docker\r\n",
            &format!("\r\nUser-Agent: imgaudit/{}\r\n", env!("CARGO_PKG_VERSION")),
            "\r\nConnection: close\r\n",
        ] {
            assert!(inspect.contains(header), "{inspect}");
        }
    }

    #[test]
    fn without_an_api_version_paths_are_unversioned() {
        let fake = FakeDaemon::start(|head| {
            if head.starts_with("GET /_ping ") {
                with_length("200 OK", b"OK")
            } else {
                with_length("404 Not Found", br#"{"message":"No such image: x"}"#)
            }
        });
        let daemon = connect(&fake);
        assert_eq!(daemon.api_version(), None);
        assert!(!daemon.is_podman());
        assert_eq!(daemon.inspect("app@sha256:abc").unwrap(), None);
        assert!(fake.requests()[1].starts_with("GET /images/app@sha256:abc/json "));
    }

    #[test]
    fn inspect_reads_the_image_or_none() {
        let fake = daemon(|head| {
            if head.contains("/images/app:ci/json") {
                with_length("200 OK", INSPECT.as_bytes())
            } else {
                with_length("404 Not Found", br#"{"message":"no such image"}"#)
            }
        });
        let daemon = connect(&fake);
        assert_eq!(
            daemon.inspect("app:ci").unwrap(),
            Some(ImageInfo {
                id: "sha256:36dd47b83f9e0b4194acaf19b8ed8adebce77956eb01198428b32b670a61d632"
                    .to_owned(),
                repo_tags: vec!["localhost/team/app:ci".to_owned()],
                repo_digests: Vec::new(),
                size: 1_234_567,
            })
        );
        assert_eq!(daemon.inspect("missing:latest").unwrap(), None);
    }

    #[test]
    fn inspect_rejects_json_that_is_not_an_image() {
        let fake = daemon(|_| with_length("200 OK", b"[1, 2, 3]"));
        let error = connect(&fake).inspect("app").unwrap_err();
        assert!(matches!(error, DaemonError::Protocol { .. }), "{error:?}");
        assert!(error.to_string().contains("\"app\""), "{error}");
    }

    #[test]
    fn export_decodes_chunks_split_at_odd_places() {
        let fake = daemon(|_| {
            [
                &b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTrans"[..],
                b"fer-Encoding: chunked\r\n\r",
                b"\n4;ext=\"quoted\"\r\nab",
                b"cd\r",
                b"\n1\r\ne\r\n1B\r\nfghijklmnopqrstuvwxyz01234",
                b"5\r\n0;done\r\nX-Checksum: none\r",
                b"\n\r\n",
            ]
            .map(<[u8]>::to_vec)
            .to_vec()
        });
        let stream = connect(&fake).export("localhost/app:ci").unwrap();
        assert_eq!(
            read_all(stream).unwrap(),
            b"abcdefghijklmnopqrstuvwxyz012345"
        );
        assert!(fake.requests()[1].starts_with("GET /v1.41/images/localhost/app:ci/get "));
    }

    #[test]
    fn export_honors_content_length() {
        let tar = vec![7u8; 100_000];
        let fake = daemon(move |_| {
            let mut pieces = with_length("200 OK", &tar);
            pieces.push(b"trailing junk past the length".to_vec());
            pieces
        });
        let stream = connect(&fake).export("app").unwrap();
        assert_eq!(read_all(stream).unwrap(), vec![7u8; 100_000]);
    }

    #[test]
    fn a_truncated_export_is_a_read_error_naming_the_image() {
        let fake = daemon(|_| {
            vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly part".to_vec()]
        });
        let daemon = connect(&fake);
        let error = read_all(daemon.export("app:ci").unwrap()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        let message = error.to_string();
        assert!(message.contains("\"app:ci\""), "{message}");
        assert!(message.contains(&fake.endpoint().to_string()), "{message}");
        let inner = error.get_ref().unwrap();
        assert!(inner.downcast_ref::<DaemonError>().is_some());
    }

    #[test]
    fn export_errors_carry_the_status_and_the_message() {
        let fake = daemon(|head| {
            if head.contains("/images/gone/") {
                with_length("404 Not Found", br#"{"message":"No such image: gone"}"#)
            } else if head.contains("/images/plain/") {
                with_length("503 Service Unavailable", b"")
            } else {
                with_length(
                    "500 Internal Server Error",
                    br#"{"cause":"disk full","message":"saving image: disk full","response":500}"#,
                )
            }
        });
        let daemon = connect(&fake);
        let Err(error) = daemon.export("gone") else {
            panic!("exported a missing image");
        };
        assert!(
            matches!(error, DaemonError::NoSuchImage { .. }),
            "{error:?}"
        );
        let Err(error) = daemon.export("broken") else {
            panic!("exported after a 500");
        };
        assert!(
            matches!(error, DaemonError::Status { status: 500, .. }),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .ends_with("HTTP 500 for image \"broken\": saving image: disk full"),
            "{error}"
        );
        let Err(error) = daemon.export("plain") else {
            panic!("exported after a 503");
        };
        assert!(
            error.to_string().ends_with(": Service Unavailable"),
            "{error}"
        );
    }

    #[test]
    fn garbage_is_not_a_docker_api() {
        let fake = FakeDaemon::start(|_| vec![b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n".to_vec()]);
        let error = Daemon::connect(&[fake.endpoint()], TIMEOUT).unwrap_err();
        let DaemonError::NoDaemon { attempts } = &error else {
            panic!("{error:?}");
        };
        assert!(
            matches!(attempts[0].failure, ConnectFailure::NotDockerApi(_)),
            "{error}"
        );
        assert!(error.to_string().contains("not a Docker API"), "{error}");

        // A daemon that pings well and then sends garbage.
        let fake = daemon(|_| vec![b"\x00\x01\x02 binary junk".to_vec()]);
        let error = connect(&fake).export("app").err().unwrap();
        assert!(matches!(error, DaemonError::Protocol { .. }), "{error:?}");
    }

    #[test]
    fn an_http_server_that_is_not_a_daemon_is_skipped() {
        let fake = FakeDaemon::start(|_| with_length("404 Not Found", b"404 page not found"));
        let error = Daemon::connect(&[fake.endpoint()], TIMEOUT).unwrap_err();
        assert!(
            error.to_string().contains("GET /_ping answered HTTP 404"),
            "{error}"
        );
    }

    #[test]
    fn connect_tries_every_endpoint_and_reports_each_failure() {
        let missing = tempfile::tempdir().unwrap();
        let missing = Endpoint::Unix(missing.path().join("nothing.sock"));
        // A socket file nobody listens on any more refuses connections.
        let stale_dir = tempfile::tempdir().unwrap();
        let stale_path = stale_dir.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale_path).unwrap());
        let stale = Endpoint::Unix(stale_path);
        let garbage = FakeDaemon::start(|_| vec![b"hello?\n".to_vec()]);
        let good = daemon(|_| with_length("404 Not Found", b"{}"));

        let tried = [missing.clone(), stale.clone(), garbage.endpoint()];
        let error = Daemon::connect(&tried, TIMEOUT).unwrap_err();
        let DaemonError::NoDaemon { attempts } = &error else {
            panic!("{error:?}");
        };
        let endpoints: Vec<&Endpoint> = attempts.iter().map(|a| &a.endpoint).collect();
        assert_eq!(endpoints, tried.iter().collect::<Vec<_>>());
        assert!(matches!(attempts[0].failure, ConnectFailure::NoSuchSocket));
        assert!(matches!(attempts[1].failure, ConnectFailure::Refused));
        assert!(matches!(
            attempts[2].failure,
            ConnectFailure::NotDockerApi(_)
        ));
        let message = error.to_string();
        for part in [
            format!("{missing}: no such socket"),
            format!("{stale}: connection refused"),
            format!("{}: not a Docker API", garbage.endpoint()),
        ] {
            assert!(message.contains(&part), "{message}");
        }

        let with_good = [missing, stale, garbage.endpoint(), good.endpoint()];
        let daemon = Daemon::connect(&with_good, TIMEOUT).unwrap();
        assert_eq!(daemon.endpoint(), &good.endpoint());

        let error = Daemon::connect(&[], TIMEOUT).unwrap_err();
        assert!(
            error.to_string().contains("no Docker or Podman daemon"),
            "{error}"
        );
    }

    #[test]
    fn a_hung_daemon_times_out() {
        let timeout = Duration::from_millis(200);
        let hung = FakeDaemon::start(|_| {
            thread::sleep(Duration::from_millis(600));
            Vec::new()
        });
        let error = Daemon::connect(&[hung.endpoint()], timeout).unwrap_err();
        assert!(error.to_string().contains("timed out"), "{error}");

        let slow = daemon(|_| {
            thread::sleep(Duration::from_millis(600));
            with_length("200 OK", b"late")
        });
        let error = Daemon::connect(&[slow.endpoint()], timeout)
            .unwrap()
            .export("app")
            .err()
            .unwrap();
        let DaemonError::Io { source, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(source.kind(), io::ErrorKind::TimedOut, "{error}");
        assert!(
            error.to_string().ends_with("did not respond within 200ms"),
            "{error}"
        );
    }

    #[test]
    fn tcp_endpoints_work_too() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = Endpoint::Tcp(listener.local_addr().unwrap().to_string());
        let server = thread::spawn(move || {
            for response in [podman_ping(), with_length("200 OK", INSPECT.as_bytes())] {
                let (mut connection, _) = listener.accept().unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8];
                while !head.ends_with(b"\r\n\r\n") && connection.read(&mut byte).unwrap() == 1 {
                    head.push(byte[0]);
                }
                for piece in response {
                    io::Write::write_all(&mut connection, &piece).unwrap();
                }
            }
        });
        let daemon = Daemon::connect(&[endpoint], TIMEOUT).unwrap();
        let info = daemon.inspect("app").unwrap().unwrap();
        assert_eq!(info.repo_tags, ["localhost/team/app:ci"]);
        server.join().unwrap();
    }

    #[test]
    fn image_names_are_percent_encoded_except_reference_characters() {
        assert_eq!(
            encode_image_name("localhost/team/app:ci").unwrap(),
            "localhost/team/app:ci"
        );
        assert_eq!(
            encode_image_name("app@sha256:0123abcd").unwrap(),
            "app@sha256:0123abcd"
        );
        assert_eq!(
            encode_image_name("we ird?#%é").unwrap(),
            "we%20ird%3F%23%25%C3%A9"
        );
        for bad in ["", "/app", "app/", "../containers/json", "a/./b", "a//b"] {
            assert!(encode_image_name(bad).is_err(), "{bad}");
        }
        let fake = daemon(|_| Vec::new());
        let error = connect(&fake).inspect("../../containers/json").unwrap_err();
        assert!(
            matches!(error, DaemonError::InvalidImageName { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn api_versions_are_checked_before_use_in_paths() {
        assert!(is_api_version("1.41"));
        assert!(is_api_version("1.24"));
        for bad in ["", "1", "1.", ".41", "1.41/../x", "v1.41", "1.41.0"] {
            assert!(!is_api_version(bad), "{bad}");
        }
    }
}
