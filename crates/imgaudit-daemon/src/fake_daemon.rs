//! An in-process daemon on a Unix socket in a temporary directory, serving canned responses.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::endpoint::Endpoint;

/// A raw response, written piece by piece with pauses so the client sees the splits.
pub(crate) type Pieces = Vec<Vec<u8>>;

#[derive(Debug)]
pub(crate) struct FakeDaemon {
    dir: tempfile::TempDir,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    server: Option<JoinHandle<()>>,
}

impl FakeDaemon {
    /// Serves connections one at a time; `respond` maps each request head to its response.
    pub(crate) fn start(respond: impl Fn(&str) -> Pieces + Send + 'static) -> FakeDaemon {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("daemon.sock")).unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let server = thread::spawn({
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            move || {
                for connection in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut connection) = connection else {
                        continue;
                    };
                    let head = read_request_head(&mut connection);
                    let pieces = respond(&head);
                    requests.lock().unwrap().push(head);
                    for piece in pieces {
                        // The client may have hung up already; that is its business.
                        if connection.write_all(&piece).is_err() {
                            break;
                        }
                        thread::sleep(Duration::from_millis(2));
                    }
                }
            }
        });
        FakeDaemon {
            dir,
            requests,
            stop,
            server: Some(server),
        }
    }

    pub(crate) fn endpoint(&self) -> Endpoint {
        Endpoint::Unix(self.dir.path().join("daemon.sock"))
    }

    /// The request heads received so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the server from `accept`.
        let _ = UnixStream::connect(self.dir.path().join("daemon.sock"));
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

fn read_request_head(connection: &mut UnixStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        match connection.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A ping answer as Podman 4 gives it.
pub(crate) fn podman_ping() -> Pieces {
    vec![
        b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nLibpod-Api-Version: 4.3.1\r\nServer: Libpod/4.3.1 (linux)\r\nContent-Length: 2\r\n\r\nOK".to_vec(),
    ]
}

/// A complete response with a `Content-Length`.
pub(crate) fn with_length(status: &str, body: &[u8]) -> Pieces {
    let mut raw = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    vec![raw]
}
