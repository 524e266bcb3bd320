//! A fault-injecting HTTP/1.1 proxy in front of a plain-HTTP registry.
//!
//! Each client connection carries one request: the proxy reads it whole, forwards it (method,
//! target, headers including `Authorization` and `Range`, body) to the upstream over a new
//! connection, and answers with `Connection: close`, closing after the response. reqwest/hyper
//! clients honour that (they do not reuse a connection the server closes), as curl and Go do.
//! The client's `Host` is forwarded too, so the registry's upload `Location`s point at the
//! proxy and uploads go through it as well.

use std::fmt::Write as _;
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::http::{Request, Server, read_head, read_request, respond, response_body};
use super::sha256_digest;

/// Manifests and error bodies larger than this are not rewritten (a guard, not a limit seen).
const MAX_REWRITE: u64 = 16 * 1024 * 1024;

/// What [`FaultKind::RewriteManifest`] does with the upstream's `Docker-Content-Digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestHeader {
    /// Keep the upstream's, which no longer matches the body: a tampered response. A client
    /// that checks the header (or pulled by digest) must reject it.
    Stale,
    /// Remove it: a server that sends none; a client pulling by tag has nothing to check.
    Dropped,
    /// Replace it with the new body's digest: a consistent server serving another manifest.
    Recomputed,
}

/// One kind of fault.
#[derive(Debug, Clone)]
pub(crate) enum FaultKind {
    /// Answer at once with `status` (and `Retry-After: N` when given), without forwarding.
    Status {
        status: u16,
        retry_after: Option<u32>,
        body: String,
    },
    /// Forward, send the headers (with the full `Content-Length`) and the first `bytes` bytes
    /// of the body, then close the connection.
    DropAfter { bytes: u64 },
    /// Forward and flip every bit of the body's middle byte (length unchanged).
    Corrupt,
    /// Forward without the client's `Range` header: a server that ignores ranges and sends the
    /// whole body (200) to a client resuming a download.
    IgnoreRange,
    /// Forward, parse the JSON body, apply `edit`, re-serialize, fix `Content-Length`; the
    /// digest header as `digest` says.
    RewriteManifest {
        edit: fn(&mut Value),
        digest: DigestHeader,
    },
}

impl FaultKind {
    fn name(&self) -> &'static str {
        match self {
            FaultKind::Status { .. } => "status",
            FaultKind::DropAfter { .. } => "drop-after",
            FaultKind::Corrupt => "corrupt",
            FaultKind::IgnoreRange => "ignore-range",
            FaultKind::RewriteManifest { .. } => "rewrite-manifest",
        }
    }
}

/// A fault applied to the first `times` requests whose path contains `path` (and whose method
/// is `method`, when set). Without a method, `Status` faults match any method and the faults
/// that alter a body match only `GET`; those apply (and count) only to successful (2xx)
/// upstream answers with a body. A request gets at most one fault: the first in the list that
/// matches and is not used up, so `[500 on /manifests/, 429 on /manifests/]` answers the first
/// request 500, the second 429 and forwards the third.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) path: String,
    pub(crate) method: Option<String>,
    pub(crate) times: usize,
    pub(crate) kind: FaultKind,
}

impl Fault {
    /// `kind` on the first request whose path contains `path`.
    pub(crate) fn on(path: &str, kind: FaultKind) -> Fault {
        Fault {
            path: path.to_owned(),
            method: None,
            times: 1,
            kind,
        }
    }

    /// Answer `status` with a registry-style JSON error body, its code as the distribution
    /// registry and Docker Hub send it (`TOOMANYREQUESTS` for 429).
    pub(crate) fn status(path: &str, status: u16) -> Fault {
        let code = if status == 429 {
            "TOOMANYREQUESTS"
        } else {
            "UNKNOWN"
        };
        Fault::on(
            path,
            FaultKind::Status {
                status,
                retry_after: None,
                body: format!(
                    r#"{{"errors":[{{"code":"{code}","message":"injected {status} by the test proxy"}}]}}"#
                ),
            },
        )
    }

    /// Answer `status` (429, 503) with `Retry-After: seconds`.
    pub(crate) fn retry_after(path: &str, status: u16, seconds: u32) -> Fault {
        let mut fault = Fault::status(path, status);
        if let FaultKind::Status { retry_after, .. } = &mut fault.kind {
            *retry_after = Some(seconds);
        }
        fault
    }

    /// Applies to the first `times` matching requests instead of one.
    pub(crate) fn times(mut self, times: usize) -> Fault {
        self.times = times;
        self
    }

    /// Matches only requests with this method (`GET`, `HEAD`, …).
    pub(crate) fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = match (&self.method, &self.kind) {
            (Some(wanted), _) => wanted.eq_ignore_ascii_case(method),
            (None, FaultKind::Status { .. }) => true,
            (None, _) => method.eq_ignore_ascii_case("GET"),
        };
        method_ok && path.contains(&self.path)
    }
}

/// One request the proxy handled, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxiedRequest {
    pub(crate) method: String,
    /// The request target: path and query.
    pub(crate) path: String,
    /// The `Range` header, forwarded as is.
    pub(crate) range: Option<String>,
    /// Whether an `Authorization` header was sent (and forwarded).
    pub(crate) authorization: bool,
    /// The status answered (502 when the upstream failed; 0 while in flight).
    pub(crate) status: u16,
    /// The fault applied: `status`, `drop-after`, `corrupt`, `rewrite-manifest`.
    pub(crate) fault: Option<&'static str>,
    /// Body bytes sent to the client.
    pub(crate) body_bytes: u64,
}

#[derive(Debug)]
struct State {
    upstream: String,
    /// Each fault with how many times it was used (or reserved by a request in flight).
    faults: Mutex<Vec<(Fault, usize)>>,
    log: Mutex<Vec<ProxiedRequest>>,
}

/// The running proxy; dropping it stops accepting connections.
#[derive(Debug)]
pub(crate) struct FaultProxy {
    server: Server,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 (a free port) forwarding to `upstream` (`HOST:PORT` of a
    /// plain-HTTP server, such as [`super::Registry::addr`] for `Setup::Plain` or
    /// `Setup::Token`).
    pub(crate) fn start(upstream: &str, faults: Vec<Fault>) -> FaultProxy {
        let state = Arc::new(State {
            upstream: upstream.to_owned(),
            faults: Mutex::new(faults.into_iter().map(|fault| (fault, 0)).collect()),
            log: Mutex::new(Vec::new()),
        });
        let server = {
            let state = Arc::clone(&state);
            Server::start("fault-proxy", move |stream| handle(&state, stream))
        };
        FaultProxy { server, state }
    }

    /// `127.0.0.1:PORT`: use it as the registry's address.
    pub(crate) fn addr(&self) -> &str {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Adds a fault after the start (after the faults given then).
    pub(crate) fn add_fault(&self, fault: Fault) {
        self.state.faults.lock().unwrap().push((fault, 0));
    }

    /// How many fault applications remain (0 once every fault fired `times` times).
    pub(crate) fn faults_pending(&self) -> usize {
        self.state
            .faults
            .lock()
            .unwrap()
            .iter()
            .map(|(fault, used)| fault.times.saturating_sub(*used))
            .sum()
    }

    /// Every request so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<ProxiedRequest> {
        self.state.log.lock().unwrap().clone()
    }

    /// The requests whose path contains `path`, in arrival order.
    pub(crate) fn requests_to(&self, path: &str) -> Vec<ProxiedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.path.contains(path))
            .collect()
    }
}

/// Headers that belong to one connection, never forwarded (plus the framing, redone here).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "content-length",
];

fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|hop| hop.eq_ignore_ascii_case(name))
}

impl State {
    /// Reserves the fault for this request, if any: its index and a copy.
    fn take_fault(&self, method: &str, path: &str) -> Option<(usize, FaultKind)> {
        let mut faults = self.faults.lock().unwrap();
        let (index, (fault, used)) = faults
            .iter_mut()
            .enumerate()
            .find(|(_, (fault, used))| *used < fault.times && fault.matches(method, path))?;
        *used += 1;
        Some((index, fault.kind.clone()))
    }

    /// Gives back a reservation that did not apply (the upstream answer had no body to alter).
    fn release_fault(&self, index: usize) {
        let mut faults = self.faults.lock().unwrap();
        faults[index].1 -= 1;
    }

    fn update(&self, entry: usize, change: impl FnOnce(&mut ProxiedRequest)) {
        change(&mut self.log.lock().unwrap()[entry]);
    }
}

fn handle(state: &State, stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    let Ok(Some(request)) = read_request(&mut reader) else {
        return;
    };
    let mut client = reader.into_inner();
    let entry = {
        let mut log = state.log.lock().unwrap();
        log.push(ProxiedRequest {
            method: request.method().to_owned(),
            path: request.target().to_owned(),
            range: request.head.header("range").map(str::to_owned),
            authorization: request.head.header("authorization").is_some(),
            status: 0,
            fault: None,
            body_bytes: 0,
        });
        log.len() - 1
    };
    let fault = state.take_fault(request.method(), request.path());
    if let Some((
        _,
        FaultKind::Status {
            status,
            retry_after,
            body,
        },
    )) = &fault
    {
        let mut headers = vec![(
            "Content-Type",
            if body.starts_with('{') {
                "application/json".to_owned()
            } else {
                "text/plain".to_owned()
            },
        )];
        if let Some(seconds) = retry_after {
            headers.push(("Retry-After", seconds.to_string()));
        }
        // Logged first: a client that has the answer finds it in the log.
        state.update(entry, |logged| {
            logged.status = *status;
            logged.fault = Some("status");
            logged.body_bytes = body.len() as u64;
        });
        let _ = respond(&mut client, *status, &headers, body.as_bytes());
        return;
    }
    let reserved = fault.as_ref().map(|(index, _)| *index);
    if let Err(error) = forward(state, entry, &request, &mut client, fault) {
        // Nothing was sent yet when the upstream failed before its head: say so (and the
        // fault did not apply).
        let status = state.log.lock().unwrap()[entry].status;
        if status == 0 {
            if let Some(index) = reserved {
                state.release_fault(index);
            }
            let message = format!("test proxy: upstream failed: {error}");
            state.update(entry, |logged| logged.status = 502);
            let _ = respond(&mut client, 502, &[], message.as_bytes());
        }
    }
}

fn forward(
    state: &State,
    entry: usize,
    request: &Request,
    client: &mut TcpStream,
    fault: Option<(usize, FaultKind)>,
) -> io::Result<()> {
    let upstream = TcpStream::connect(&state.upstream)?;
    upstream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let ignore_range = matches!(fault, Some((_, FaultKind::IgnoreRange)));
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method(), request.target());
    for (name, value) in &request.head.headers {
        let dropped_range = ignore_range && name.eq_ignore_ascii_case("range");
        if !is_hop_by_hop(name) && !dropped_range {
            let _ = write!(head, "{name}: {value}\r\n");
        }
    }
    if request.head.header("host").is_none() {
        let _ = write!(head, "Host: {}\r\n", state.upstream);
    }
    if !request.body.is_empty() || request.head.content_length().is_some() {
        let _ = write!(head, "Content-Length: {}\r\n", request.body.len());
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut upstream_writer = upstream.try_clone()?;
    upstream_writer.write_all(head.as_bytes())?;
    upstream_writer.write_all(&request.body)?;
    upstream_writer.flush()?;

    let mut reader = BufReader::new(upstream);
    let response = read_head(&mut reader)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "upstream closed without answering",
        )
    })?;
    let status = response.status();
    let is_head = request.method().eq_ignore_ascii_case("HEAD");
    let mut body = response_body(request.method(), &response, &mut reader)?;

    // A body-altering fault applies only to a successful answer with a body.
    let fault = match fault {
        Some((index, _)) if !(200..300).contains(&status) || body.length == 0 => {
            state.release_fault(index);
            None
        }
        other => other,
    };

    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|(name, _)| !is_hop_by_hop(name))
        .cloned()
        .collect();
    let mut content: Option<Vec<u8>> = None;
    let mut applied = None;
    if let Some((index, FaultKind::RewriteManifest { edit, digest })) = &fault {
        let mut raw = Vec::new();
        if body.length <= MAX_REWRITE {
            body.reader.read_to_end(&mut raw)?;
        }
        // Not JSON (or too large to hold): forwarded as is, and the fault stays pending.
        let parsed = serde_json::from_slice::<Value>(&raw).ok();
        if let Some(mut json) = parsed {
            edit(&mut json);
            let new = serde_json::to_vec(&json).unwrap();
            let is_digest = |name: &str| name.eq_ignore_ascii_case("docker-content-digest");
            if *digest != DigestHeader::Stale {
                headers.retain(|(name, _)| !is_digest(name));
            }
            if *digest == DigestHeader::Recomputed {
                headers.push(("Docker-Content-Digest".to_owned(), sha256_digest(&new)));
            }
            content = Some(new);
            applied = Some("rewrite-manifest");
        } else {
            state.release_fault(*index);
            if body.length <= MAX_REWRITE {
                content = Some(raw);
            }
        }
    }
    let length = content.as_ref().map_or(body.length, |new| new.len() as u64);
    let (drop_after, corrupt_at) = match &fault {
        Some((_, FaultKind::DropAfter { bytes })) => {
            applied = Some("drop-after");
            (Some(*bytes), None)
        }
        Some((_, FaultKind::Corrupt)) => {
            applied = Some("corrupt");
            (None, Some(length / 2))
        }
        Some((_, FaultKind::IgnoreRange)) => {
            applied = Some("ignore-range");
            (None, None)
        }
        _ => (None, None),
    };

    // The upstream's status line, in HTTP/1.1.
    let status_line = response
        .start
        .split_once(' ')
        .map_or("502 Bad Gateway", |(_, status)| status);
    let mut out = format!("HTTP/1.1 {status_line}\r\n");
    for (name, value) in &headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    if is_head {
        // No body: pass the upstream's length through (the size of what a GET would send).
        if let Some(upstream_length) = response.header("content-length") {
            let _ = write!(out, "Content-Length: {upstream_length}\r\n");
        }
    } else {
        let _ = write!(out, "Content-Length: {length}\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    state.update(entry, |logged| {
        logged.status = status;
        logged.fault = applied;
    });
    client.write_all(out.as_bytes())?;

    let limit = drop_after.unwrap_or(length).min(length);
    let mut source: Box<dyn Read + '_> = match content {
        Some(new) => Box::new(io::Cursor::new(new)),
        None => body.reader,
    };
    let mut sent = 0u64;
    let mut buffer = vec![0; 64 * 1024];
    while sent < limit {
        let want = usize::try_from((limit - sent).min(buffer.len() as u64)).unwrap();
        let read = source.read(&mut buffer[..want])?;
        if read == 0 {
            break; // the upstream ended early: the client sees the short body
        }
        if let Some(at) = corrupt_at {
            if (sent..sent + read as u64).contains(&at) {
                buffer[usize::try_from(at - sent).unwrap()] ^= 0xff;
            }
        }
        // Counted before the write: a client that has its last byte sees the final count.
        sent += read as u64;
        state.update(entry, |logged| logged.body_bytes = sent);
        if let Err(error) = client.write_all(&buffer[..read]) {
            state.update(entry, |logged| logged.body_bytes = sent - read as u64);
            return Err(error);
        }
    }
    client.flush()?;
    let _ = client.shutdown(if drop_after.is_some() {
        Shutdown::Both
    } else {
        Shutdown::Write
    });
    Ok(())
}
