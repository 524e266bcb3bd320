//! Just enough HTTP/1.1 for GET requests to a daemon: one request per connection
//! (`Connection: close`), a strictly parsed response head, and a body decoded from chunked
//! transfer coding, a `Content-Length`, or the connection's end.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::endpoint::Endpoint;

/// The most a response head (status line and headers), or a chunked body's trailers, may take.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most a chunk-size line may take, extensions included.
const MAX_CHUNK_LINE_BYTES: usize = 8 * 1024;
/// Interim (1xx) responses skipped before the real one, at most.
const MAX_INTERIM_RESPONSES: usize = 8;

const USER_AGENT: &str = concat!("imgaudit/", env!("CARGO_PKG_VERSION"));

/// A connection to a daemon.
#[derive(Debug)]
pub(crate) struct Stream {
    socket: Socket,
    io_timeout: Option<Duration>,
}

#[derive(Debug)]
enum Socket {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    /// Connects, then sets `io_timeout` on every read and write so a hung daemon is an error.
    pub(crate) fn connect(
        endpoint: &Endpoint,
        connect_timeout: Option<Duration>,
        io_timeout: Option<Duration>,
    ) -> io::Result<Stream> {
        let socket = match endpoint {
            // Connecting to a local socket does not block long enough to need a timeout.
            Endpoint::Unix(path) => {
                let socket = UnixStream::connect(path)?;
                socket.set_read_timeout(io_timeout)?;
                socket.set_write_timeout(io_timeout)?;
                Socket::Unix(socket)
            }
            Endpoint::Tcp(address) => {
                let socket = connect_tcp(address, connect_timeout)?;
                socket.set_read_timeout(io_timeout)?;
                socket.set_write_timeout(io_timeout)?;
                Socket::Tcp(socket)
            }
        };
        Ok(Stream { socket, io_timeout })
    }

    /// Socket timeouts surface as `WouldBlock` ("Resource temporarily unavailable") on Unix;
    /// the sockets are blocking, so that can only mean the timeout expired.
    fn explain_timeout(&self, error: io::Error) -> io::Error {
        match (error.kind(), self.io_timeout) {
            (io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut, Some(timeout)) => io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the daemon did not respond within {timeout:?}"),
            ),
            _ => error,
        }
    }
}

fn connect_tcp(address: &str, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let mut last_error = None;
    for socket_address in address.to_socket_addrs()? {
        let attempt = match timeout {
            Some(timeout) => TcpStream::connect_timeout(&socket_address, timeout),
            None => TcpStream::connect(socket_address),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{address} resolves to no address"),
        )
    }))
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = match &mut self.socket {
            Socket::Unix(socket) => socket.read(buf),
            Socket::Tcp(socket) => socket.read(buf),
        };
        result.map_err(|error| self.explain_timeout(error))
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match &mut self.socket {
            Socket::Unix(socket) => socket.write(buf),
            Socket::Tcp(socket) => socket.write(buf),
        };
        result.map_err(|error| self.explain_timeout(error))
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.socket {
            Socket::Unix(socket) => socket.flush(),
            Socket::Tcp(socket) => socket.flush(),
        }
    }
}

/// Why a request got no usable response.
#[derive(Debug)]
pub(crate) enum HttpError {
    Io(io::Error),
    /// The peer does not speak HTTP/1.x, or breaks its rules.
    Malformed(String),
}

impl From<io::Error> for HttpError {
    fn from(error: io::Error) -> Self {
        HttpError::Io(error)
    }
}

/// A response whose head has been read; the body streams from the connection.
#[derive(Debug)]
pub(crate) struct Response<R> {
    pub(crate) status: u16,
    pub(crate) reason: String,
    /// Names lowercased, values trimmed, in the order received.
    headers: Vec<(String, String)>,
    pub(crate) body: Body<R>,
}

impl<R> Response<R> {
    /// The first value of a header; `name` is lowercase.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `GET path` on a fresh connection and reads the response head.
pub(crate) fn get(
    mut stream: Stream,
    path: &str,
) -> Result<Response<BufReader<Stream>>, HttpError> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    read_response(BufReader::with_capacity(64 * 1024, stream))
}

/// Reads a response head from `reader`, skipping interim 1xx responses, and frames the body.
pub(crate) fn read_response<R: BufRead>(mut reader: R) -> Result<Response<R>, HttpError> {
    let mut budget = MAX_HEAD_BYTES;
    for _ in 0..=MAX_INTERIM_RESPONSES {
        let (status, reason, headers) = read_head(&mut reader, &mut budget)?;
        if (100..200).contains(&status) {
            if status == 101 {
                return Err(HttpError::Malformed(
                    "unexpected 101 Switching Protocols".to_owned(),
                ));
            }
            continue;
        }
        let framing = if status == 204 || status == 304 {
            Framing::Done
        } else {
            framing(&headers)?
        };
        return Ok(Response {
            status,
            reason,
            headers,
            body: Body { reader, framing },
        });
    }
    Err(HttpError::Malformed(
        "too many interim (1xx) responses".to_owned(),
    ))
}

type Head = (u16, String, Vec<(String, String)>);

fn read_head<R: BufRead>(reader: &mut R, budget: &mut usize) -> Result<Head, HttpError> {
    let mut line = Vec::new();
    let head_error = |error: LineError, what: &str| match error {
        LineError::Io(error) => HttpError::Io(error),
        LineError::TooLong => {
            HttpError::Malformed(format!("response head larger than {MAX_HEAD_BYTES} bytes"))
        }
        LineError::Eof => {
            HttpError::Malformed(format!("the connection closed in the middle of the {what}"))
        }
    };
    match read_line(reader, &mut line, budget) {
        Ok(true) => {}
        Ok(false) => {
            return Err(HttpError::Malformed(
                "the connection closed without a response".to_owned(),
            ));
        }
        Err(error) => return Err(head_error(error, "status line")),
    }
    let (status, reason) = parse_status_line(&line)?;
    let mut headers = Vec::new();
    loop {
        match read_line(reader, &mut line, budget) {
            Ok(true) => {}
            Ok(false) => return Err(head_error(LineError::Eof, "headers")),
            Err(error) => return Err(head_error(error, "headers")),
        }
        if line.is_empty() {
            return Ok((status, reason, headers));
        }
        headers.push(parse_header(&line)?);
    }
}

fn parse_status_line(line: &[u8]) -> Result<(u16, String), HttpError> {
    let not_http = || {
        let start = String::from_utf8_lossy(&line[..line.len().min(40)]);
        HttpError::Malformed(format!(
            "not an HTTP/1.x response (it starts {})",
            printable(&start)
        ))
    };
    let rest = line
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| line.strip_prefix(b"HTTP/1.0 "))
        .ok_or_else(not_http)?;
    let (code, reason) = match rest {
        [a, b, c] => ([*a, *b, *c], &[][..]),
        [a, b, c, b' ', reason @ ..] => ([*a, *b, *c], reason),
        _ => return Err(not_http()),
    };
    if !code.iter().all(u8::is_ascii_digit) || !(b'1'..=b'5').contains(&code[0]) {
        return Err(not_http());
    }
    let status = code
        .iter()
        .fold(0u16, |status, digit| status * 10 + u16::from(digit - b'0'));
    Ok((status, printable(&String::from_utf8_lossy(reason))))
}

fn parse_header(line: &[u8]) -> Result<(String, String), HttpError> {
    let malformed = || {
        HttpError::Malformed(format!(
            "malformed header line {}",
            printable(&String::from_utf8_lossy(&line[..line.len().min(80)]))
        ))
    };
    let colon = line.iter().position(|&b| b == b':').ok_or_else(malformed)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    // An empty or non-token name also catches obsolete line folding (a leading space).
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        return Err(malformed());
    }
    let value = value.trim_ascii();
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(malformed());
    }
    Ok((
        String::from_utf8_lossy(name).to_ascii_lowercase(),
        String::from_utf8_lossy(value).into_owned(),
    ))
}

fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn framing(headers: &[(String, String)]) -> Result<Framing, HttpError> {
    let codings: Vec<&str> = list_items(headers, "transfer-encoding").collect();
    if !codings.is_empty() {
        // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3).
        return if codings.len() == 1 && codings[0].eq_ignore_ascii_case("chunked") {
            Ok(Framing::Chunked(ChunkState::Size))
        } else {
            Err(HttpError::Malformed(format!(
                "unsupported Transfer-Encoding {}",
                printable(&codings.join(", "))
            )))
        };
    }
    let mut length = None;
    for value in list_items(headers, "content-length") {
        let parsed = value
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| value.parse::<u64>().ok())
            .flatten();
        match (parsed, length) {
            (None, _) => {
                return Err(HttpError::Malformed(format!(
                    "invalid Content-Length {}",
                    printable(value)
                )));
            }
            (Some(new), Some(old)) if new != old => {
                return Err(HttpError::Malformed(
                    "conflicting Content-Length headers".to_owned(),
                ));
            }
            (Some(new), _) => length = Some(new),
        }
    }
    Ok(match length {
        Some(remaining) => Framing::Length { remaining },
        None => Framing::UntilEof,
    })
}

/// The comma-separated items of every `name` header.
fn list_items<'a>(
    headers: &'a [(String, String)],
    name: &'static str,
) -> impl Iterator<Item = &'a str> {
    headers
        .iter()
        .filter(move |(header, _)| header == name)
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// A response body, decoded. Ending early is an `UnexpectedEof` error, never a short stream.
#[derive(Debug)]
pub(crate) struct Body<R> {
    reader: R,
    framing: Framing,
}

#[derive(Debug)]
enum Framing {
    Length { remaining: u64 },
    Chunked(ChunkState),
    UntilEof,
    Done,
}

#[derive(Debug)]
enum ChunkState {
    /// Before a chunk-size line.
    Size,
    Data {
        remaining: u64,
    },
    /// Before the CRLF that ends a chunk's data.
    DataEnd,
    /// After the last chunk: trailer fields up to an empty line.
    Trailers {
        budget: usize,
    },
}

impl<R: BufRead> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match &mut self.framing {
                Framing::Done => return Ok(0),
                Framing::UntilEof => return self.reader.read(buf),
                Framing::Length { remaining } => {
                    if *remaining == 0 {
                        self.framing = Framing::Done;
                        continue;
                    }
                    let read = read_at_most(&mut self.reader, buf, remaining)?;
                    if read == 0 {
                        return Err(cut_short(format!(
                            "the body ended {remaining} bytes short of its Content-Length"
                        )));
                    }
                    return Ok(read);
                }
                Framing::Chunked(state) => {
                    if let Some(read) = read_chunked(&mut self.reader, state, buf)? {
                        return Ok(read);
                    }
                    if matches!(state, ChunkState::Trailers { budget: 0 }) {
                        self.framing = Framing::Done;
                    }
                }
            }
        }
    }
}

/// Advances the chunked decoder by one step: `Some(n)` when data was read, `None` after a
/// state change. The end of the body leaves `Trailers { budget: 0 }`.
fn read_chunked<R: BufRead>(
    reader: &mut R,
    state: &mut ChunkState,
    buf: &mut [u8],
) -> io::Result<Option<usize>> {
    let mut line = Vec::new();
    match state {
        ChunkState::Size => {
            let mut budget = MAX_CHUNK_LINE_BYTES;
            read_body_line(reader, &mut line, &mut budget, "chunk size line")?;
            let size = parse_chunk_size(&line)?;
            *state = if size == 0 {
                ChunkState::Trailers {
                    budget: MAX_HEAD_BYTES,
                }
            } else {
                ChunkState::Data { remaining: size }
            };
            Ok(None)
        }
        ChunkState::Data { remaining } => {
            let read = read_at_most(reader, buf, remaining)?;
            if read == 0 {
                return Err(cut_short(format!(
                    "the chunked body ended {remaining} bytes into a chunk"
                )));
            }
            if *remaining == 0 {
                *state = ChunkState::DataEnd;
            }
            Ok(Some(read))
        }
        ChunkState::DataEnd => {
            // Room for CR LF only: anything else means the chunk size lied.
            let mut budget = 2;
            match read_body_line(reader, &mut line, &mut budget, "chunk end") {
                Ok(()) if line.is_empty() => {
                    *state = ChunkState::Size;
                    Ok(None)
                }
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Err(error),
                _ => Err(invalid("chunk data longer than its chunk size")),
            }
        }
        ChunkState::Trailers { budget } => {
            if *budget == 0 {
                return Ok(None);
            }
            read_body_line(reader, &mut line, budget, "trailers")?;
            if line.is_empty() {
                *budget = 0;
            } else if *budget == 0 {
                // The trailer section used up the budget without its closing empty line.
                return Err(invalid(&format!(
                    "trailers larger than {MAX_HEAD_BYTES} bytes"
                )));
            }
            Ok(None)
        }
    }
}

fn parse_chunk_size(line: &[u8]) -> io::Result<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let rest = line[digits..].trim_ascii_start();
    // Extensions (`;name=value`) carry nothing a daemon client needs.
    if digits == 0 || !(rest.is_empty() || rest.starts_with(b";")) {
        return Err(invalid(&format!(
            "invalid chunk size line {}",
            printable(&String::from_utf8_lossy(&line[..line.len().min(40)]))
        )));
    }
    line[..digits].iter().try_fold(0u64, |size, &digit| {
        let value = u64::from(char::from(digit).to_digit(16).unwrap_or(0));
        size.checked_mul(16)
            .and_then(|size| size.checked_add(value))
            .ok_or_else(|| invalid("chunk size overflows 64 bits"))
    })
}

/// Reads into `buf`, at most `*remaining` bytes, and counts them off.
fn read_at_most<R: Read>(reader: &mut R, buf: &mut [u8], remaining: &mut u64) -> io::Result<usize> {
    let max = usize::try_from(*remaining).map_or(buf.len(), |remaining| remaining.min(buf.len()));
    let read = reader.read(&mut buf[..max])?;
    *remaining -= read as u64;
    Ok(read)
}

fn read_body_line<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
    budget: &mut usize,
    what: &str,
) -> io::Result<()> {
    match read_line(reader, line, budget) {
        Ok(true) => Ok(()),
        Ok(false) | Err(LineError::Eof) => {
            Err(cut_short(format!("the chunked body ended in its {what}")))
        }
        Err(LineError::TooLong) => Err(invalid(&format!("{what} too long"))),
        Err(LineError::Io(error)) => Err(error),
    }
}

enum LineError {
    Io(io::Error),
    /// The line would take more than the budget.
    TooLong,
    /// The input ended in the middle of the line.
    Eof,
}

/// Reads a line ending in LF into `line`, without its CR LF (a bare LF is accepted), and
/// charges it to `budget`. `Ok(false)` when the input ends before the line starts.
fn read_line<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
    budget: &mut usize,
) -> Result<bool, LineError> {
    line.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(LineError::Io(error)),
        };
        if available.is_empty() {
            return if line.is_empty() {
                Ok(false)
            } else {
                Err(LineError::Eof)
            };
        }
        let (taken, complete) = match available.iter().position(|&b| b == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (available.len(), false),
        };
        if taken > *budget {
            return Err(LineError::TooLong);
        }
        *budget -= taken;
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if complete {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(true);
        }
    }
}

fn cut_short(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, message)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// Text from the daemon made safe to show: control characters become spaces.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its input `step` bytes at a time, to split everything at odd places.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn parse(raw: &[u8], step: usize) -> Result<Response<impl BufRead>, HttpError> {
        // A small buffer as well, so lines span refills.
        read_response(BufReader::with_capacity(3, Trickle { data: raw, step }))
    }

    fn body(raw: &[u8], step: usize) -> io::Result<Vec<u8>> {
        let mut response = parse(raw, step).map_err(|error| match error {
            HttpError::Io(error) => error,
            HttpError::Malformed(message) => panic!("{message}"),
        })?;
        let mut out = Vec::new();
        // Odd-sized reads on our side too.
        let mut buf = [0u8; 7];
        loop {
            match response.body.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1 ; ext\r\n \r\nB\r\nchunked wor\r\n2\r\nld\r\n0;last\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n";

    #[test]
    fn chunked_bodies_decode_at_any_split() {
        for step in [1, 2, 3, 5, 7, 64, 4096] {
            assert_eq!(
                body(CHUNKED, step).unwrap(),
                b"hello chunked world",
                "step {step}"
            );
        }
    }

    #[test]
    fn a_truncated_chunked_body_is_an_unexpected_eof_wherever_it_stops() {
        let end = CHUNKED.len();
        let head_end = CHUNKED.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        for cut in head_end..end - 1 {
            let error = body(&CHUNKED[..cut], 3).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::UnexpectedEof,
                "cut {cut}: {error}"
            );
        }
    }

    #[test]
    fn content_length_bodies_stop_at_the_length_and_fail_when_short() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        assert_eq!(body(raw, 2).unwrap(), b"hello");
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello";
        assert_eq!(
            body(short, 2).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        let same_twice = b"HTTP/1.0 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi";
        assert_eq!(body(same_twice, 1).unwrap(), b"hi");
    }

    #[test]
    fn without_framing_the_body_runs_to_the_end_of_the_connection() {
        assert_eq!(
            body(b"HTTP/1.1 200 OK\n\nall of it", 4).unwrap(),
            b"all of it"
        );
        assert_eq!(body(b"HTTP/1.1 204 No Content\r\n\r\n", 4).unwrap(), b"");
    }

    #[test]
    fn interim_responses_are_skipped() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(body(raw, 5).unwrap(), b"ok");
    }

    #[test]
    fn headers_are_found_case_insensitively() {
        let raw = b"HTTP/1.1 200 OK\r\nAPI-Version:  1.41 \r\nServer: Libpod/4.3.1 (linux)\r\n\r\n";
        let response = parse(raw, 100).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.reason, "OK");
        assert_eq!(response.header("api-version"), Some("1.41"));
        assert_eq!(response.header("content-length"), None);
    }

    #[test]
    fn malformed_heads_are_rejected() {
        for raw in [
            &b""[..],
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"HTTP/2 200\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200OK\r\n\r\n",
            b"HTTP/1.1 999 Nope\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n folded: value\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: value\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX: cut",
            b"HTTP/1.1 200 OK\r\n",
        ] {
            assert!(
                matches!(parse(raw, 3), Err(HttpError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn an_oversized_head_is_rejected() {
        let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
        while raw.len() <= MAX_HEAD_BYTES {
            raw.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        match parse(&raw, 4096) {
            Err(HttpError::Malformed(message)) => assert!(message.contains("larger"), "{message}"),
            other => panic!("{:?}", other.map(|response| response.status)),
        }
    }

    #[test]
    fn bad_chunks_are_invalid_data() {
        for chunks in [
            &b"zz\r\nhello\r\n0\r\n\r\n"[..],
            b"\r\nhello\r\n0\r\n\r\n",
            b"5x\r\nhello\r\n0\r\n\r\n",
            b"3\r\nhello\r\n0\r\n\r\n",
            b"10000000000000000\r\nhello\r\n0\r\n\r\n",
        ] {
            let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            raw.extend_from_slice(chunks);
            let error = body(&raw, 3).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::InvalidData,
                "{}: {error}",
                String::from_utf8_lossy(chunks)
            );
        }
    }

    #[test]
    fn endless_trailers_are_rejected() {
        let mut raw =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n".to_vec();
        while raw.len() <= 2 * MAX_HEAD_BYTES {
            raw.extend_from_slice(b"X-Trailer: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(
            body(&raw, 512).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
