//! Just enough HTTP/1.1 for the in-process servers (token server, fault proxy) and for the
//! harness's own probes: one request per connection, `Connection: close` everywhere.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest request or status line plus headers accepted (a sanity limit, not a feature).
const MAX_HEAD: usize = 64 * 1024;

/// A request line or status line with its headers, in the order received.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) start: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The three space-separated parts of the start line (`GET /path HTTP/1.1`,
    /// `HTTP/1.1 200 OK`); the third keeps any further spaces.
    pub(crate) fn parts(&self) -> (&str, &str, &str) {
        let mut parts = self.start.splitn(3, ' ');
        let first = parts.next().unwrap_or_default();
        let second = parts.next().unwrap_or_default();
        let third = parts.next().unwrap_or_default();
        (first, second, third)
    }

    /// The status code of a response head (0 when unparsable).
    pub(crate) fn status(&self) -> u16 {
        self.parts().1.parse().unwrap_or(0)
    }

    fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"))
    }

    pub(crate) fn content_length(&self) -> Option<u64> {
        self.header("content-length")
            .and_then(|value| value.trim().parse().ok())
    }
}

/// Reads a start line and headers; `None` on a clean end of stream before any byte.
pub(crate) fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line)?;
        if read == 0 {
            if lines.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside an HTTP head",
            ));
        }
        total += read;
        if total > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "HTTP head too long",
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // tolerate stray CRLFs before a request (RFC 9112 §2.2)
            }
            break;
        }
        lines.push(line);
    }
    let start = lines.remove(0);
    let headers = lines
        .into_iter()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    Ok(Some(Head { start, headers }))
}

/// Decodes a chunked body (trailers are read and dropped).
pub(crate) fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a chunked body",
            ));
        }
        let size = line.trim().split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

/// A request read whole from a client connection.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) head: Head,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn method(&self) -> &str {
        self.head.parts().0
    }

    /// The request target as sent (path and query).
    pub(crate) fn target(&self) -> &str {
        self.head.parts().1
    }

    pub(crate) fn path(&self) -> &str {
        let target = self.target();
        target.split_once('?').map_or(target, |(path, _)| path)
    }

    pub(crate) fn query(&self) -> &str {
        self.target().split_once('?').map_or("", |(_, query)| query)
    }
}

/// Reads one request (head and body, de-chunked), answering `Expect: 100-continue` so that
/// clients which wait for it (curl, Go) send their body at once.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let Some(head) = read_head(reader)? else {
        return Ok(None);
    };
    if head
        .header("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if head.is_chunked() {
        read_chunked(reader)?
    } else if let Some(length) = head.content_length() {
        let mut body = Vec::new();
        reader.by_ref().take(length).read_to_end(&mut body)?;
        if body.len() as u64 != length {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "request body shorter than its Content-Length",
            ));
        }
        body
    } else {
        Vec::new()
    };
    Ok(Some(Request { head, body }))
}

/// A response body whose length is known before it is sent: upstream bodies with a
/// `Content-Length` stream through; chunked or close-delimited ones are read whole first.
pub(crate) struct Body<R> {
    pub(crate) reader: R,
    pub(crate) length: u64,
}

/// Reads the body framing of a response to `method` and returns a reader of its bytes.
pub(crate) fn response_body<'a>(
    method: &str,
    head: &Head,
    reader: &'a mut impl BufRead,
) -> io::Result<Body<Box<dyn Read + 'a>>> {
    let status = head.status();
    if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 || status < 200 {
        return Ok(Body {
            reader: Box::new(io::empty()),
            length: 0,
        });
    }
    if head.is_chunked() {
        let body = read_chunked(reader)?;
        let length = body.len() as u64;
        return Ok(Body {
            reader: Box::new(io::Cursor::new(body)),
            length,
        });
    }
    if let Some(length) = head.content_length() {
        return Ok(Body {
            reader: Box::new(reader.take(length)),
            length,
        });
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body)?;
    let length = body.len() as u64;
    Ok(Body {
        reader: Box::new(io::Cursor::new(body)),
        length,
    })
}

/// The reason phrase of the statuses the harness answers with.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes a complete response with `Content-Length` and `Connection: close`, then shuts the
/// write side down so the client sees the end at once.
pub(crate) fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}

/// A `TcpListener` on 127.0.0.1 served by a thread that hands each connection to `handle` in
/// a thread of its own; dropping it stops accepting (connections in flight finish alone).
#[derive(Debug)]
pub(crate) struct Server {
    addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) fn start(name: &str, handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|error| panic!("{name}: cannot bind 127.0.0.1:0: {error}"));
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let thread = {
            let stop = Arc::clone(&stop);
            let name = name.to_owned();
            std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let handle = Arc::clone(&handle);
                        let _ = std::thread::Builder::new()
                            .name(format!("{name}-conn"))
                            .spawn(move || {
                                let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                                handle(stream);
                            });
                    }
                })
                .unwrap()
        };
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A plain-HTTP GET or HEAD sent over any stream (TCP or a Unix socket): the status and the
/// body. For the harness's readiness probes; not a general client.
pub(crate) fn simple_request<S: Read + Write>(
    mut stream: S,
    method: &str,
    host: &str,
    path: &str,
) -> io::Result<(Head, Vec<u8>)> {
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: imgaudit-test-harness\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let head = read_head(&mut reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no response before close"))?;
    let mut body = Vec::new();
    response_body(method, &head, &mut reader)?
        .reader
        .read_to_end(&mut body)?;
    Ok((head, body))
}
