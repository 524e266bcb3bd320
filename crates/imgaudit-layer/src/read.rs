//! The single streaming pass over one layer blob.

use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::sync::{Arc, mpsc};

use imgaudit_digest::{Algorithm, DigestReader};
use tar::EntryType;

use crate::inspect::Inspector;
use crate::limits::{Counted, Exceeded, Metered};
use crate::zstd_window::{FrameWatch, MAX_ZSTD_WINDOW, MAX_ZSTD_WINDOW_LOG};
use crate::{
    Budget, CaptureRules, Change, Compression, Entry, EntryKind, ImagePath, Inspected, LayerIndex,
    PathProblem, escape_bytes,
};
use imgaudit_tar::WalkError;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const AUFS_METADATA_PREFIX: &[u8] = b".wh..wh.";
/// Large reads keep the decompressor and the hashers busy rather than the call overhead.
const READ_BUFFER: usize = 256 * 1024;

/// What the caller knows before reading a layer.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    pub capture: &'a CaptureRules,
    pub budget: &'a Budget,
    /// The algorithm of the digest the blob is named by, so that one pass computes it.
    pub blob_algorithm: Algorithm,
    /// The algorithm of the diff id the config declares, so that the uncompressed stream is
    /// hashed with it (a diff id of another algorithm could not be compared, hence not verified).
    pub diff_id_algorithm: Algorithm,
    /// Whether to hash the uncompressed stream of a compressed layer (its diff id). Costly on
    /// CPUs without SHA extensions; an uncompressed layer's diff id is its blob digest, computed
    /// once either way.
    pub hash_uncompressed: bool,
}

/// Why a layer could not be read. The caller adds which layer of which image it was.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("the layer ends early: it is truncated or corrupt ({0})")]
    Truncated(#[source] io::Error),
    #[error("the layer's {compression} stream is corrupt: {source}")]
    Decompression {
        compression: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("the layer is not a valid tar archive: {0}")]
    Tar(#[source] io::Error),
    #[error("reading the layer failed: {0}")]
    Io(#[source] io::Error),
    #[error("the tar entry `{name}` tries to leave the image root: {problem}")]
    UnsafeName { name: String, problem: PathProblem },
    #[error("the hard link `{path}` points at `{target}`, which leaves the image root: {problem}")]
    HardlinkEscape {
        path: ImagePath,
        target: String,
        problem: PathProblem,
    },
    #[error(
        "the tar entry `{name}` names the image root but is a {kind:?}; the root can only be a directory"
    )]
    RootNotDirectory { name: String, kind: EntryKind },
    #[error(
        "the image expands to more than {limit} uncompressed bytes, the configured cap (a decompression bomb?)"
    )]
    TooManyBytes { limit: u64 },
    #[error("the image holds more than {limit} tar entries, the configured cap")]
    TooManyEntries { limit: u64 },
    #[error(
        "the layer expands more than {limit} times its compressed size, the configured cap on the expansion ratio (a decompression bomb?): its first {compressed} compressed bytes gave {uncompressed} bytes. The cap applies once a layer exceeds {floor} uncompressed bytes; for a genuine image, raise it with --max-expansion-ratio or `max-expansion-ratio` in imgaudit.toml"
    )]
    TooExpanded {
        limit: u64,
        floor: u64,
        compressed: u64,
        uncompressed: u64,
    },
    #[error(
        "the files captured for the audit (configuration files and the like) come to more than {limit} bytes over the image, the configured cap"
    )]
    TooManyCapturedBytes { limit: u64 },
    /// A tar header over its cap: which, where, and the cap (boxed: errors stay small).
    #[error("{0}")]
    HeaderTooLarge(Box<str>),
    #[error(
        "the layer's zstd stream has a frame whose window is {}, more than the cap of {MAX_ZSTD_WINDOW} bytes (2^{MAX_ZSTD_WINDOW_LOG}) that bounds the memory of decompression; recompress it with a smaller window (zstd levels up to 19, without --long)",
        window.map_or_else(|| "larger".to_owned(), |w| format!("{w} bytes"))
    )]
    ZstdWindowTooLarge { window: Option<u64> },
}

impl From<Exceeded> for LayerError {
    fn from(e: Exceeded) -> Self {
        match e {
            Exceeded::Bytes { limit } => LayerError::TooManyBytes { limit },
            Exceeded::Entries { limit } => LayerError::TooManyEntries { limit },
            Exceeded::Expansion {
                limit,
                floor,
                compressed,
                uncompressed,
            } => LayerError::TooExpanded {
                limit,
                floor,
                compressed,
                uncompressed,
            },
            Exceeded::Captured { limit } => LayerError::TooManyCapturedBytes { limit },
        }
    }
}

/// Reads one layer blob to its end: verifies nothing by itself, but returns the digests of the
/// raw and the uncompressed streams for the caller to compare with what the image declares.
///
/// The work is a pipeline of three threads, because one big layer often dominates an image:
/// this thread reads and hashes the blob; a helper decompresses it; another hashes the tar
/// stream and walks its entries. The raw reader never leaves this thread, so it need not be
/// `Send` (standard input is not).
pub fn read_layer<R: Read>(raw: R, options: &ReadOptions<'_>) -> Result<LayerIndex, LayerError> {
    let mut blob = DigestReader::new(raw, options.blob_algorithm);
    let first = read_chunk(&mut blob).map_err(LayerError::Io)?;
    let compression = Compression::detect(&first);
    // An uncompressed blob is its own diff id when both are named with one algorithm: hash it
    // once.
    let same_stream =
        compression == Compression::None && options.blob_algorithm == options.diff_id_algorithm;
    let hash_tar = options.hash_uncompressed && !same_stream;

    let (raw_chunks, raw_receiver) = mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
    let (tar_chunks, tar_receiver) = mpsc::sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
    let (fed, inflated, walked) = std::thread::scope(|scope| {
        let walker =
            scope.spawn(move || walk_stream(ChannelReader::new(tar_receiver), hash_tar, options));
        let inflater = scope.spawn(move || {
            decompress(
                ChannelReader::new(raw_receiver),
                compression,
                options.budget,
                &tar_chunks,
            )
        });
        let fed = feed(first, &mut blob, &raw_chunks);
        // Closing a channel is the end of the stream for the thread that reads it.
        drop(raw_chunks);
        let inflated = inflater
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let walked = walker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (fed, inflated, walked)
    });
    fed.map_err(LayerError::Io)?;
    inflated?;
    let Walked {
        changes,
        notes,
        inspected,
        diff_id,
        uncompressed_size,
    } = walked?;

    let (blob_digest, blob_size) = blob.drain_and_finish().map_err(LayerError::Io)?;
    let blob_digest = blob_digest.expect("the blob is always hashed");
    let diff_id = if same_stream {
        Some(blob_digest.clone())
    } else {
        diff_id
    };

    Ok(LayerIndex {
        compression,
        blob_digest,
        blob_size,
        diff_id,
        uncompressed_size,
        changes,
        notes,
        inspected,
    })
}

/// Reads up to one chunk; a short chunk means the stream has ended.
fn read_chunk(source: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut chunk = vec![0; CHUNK];
    let mut filled = 0;
    while filled < CHUNK {
        match source.read(&mut chunk[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    chunk.truncate(filled);
    Ok(chunk)
}

/// Sends the raw blob to the decompressing thread, reading (and so hashing) it to its very
/// end even when the decompressor needs no more: the blob digest covers every byte.
fn feed(
    first: Vec<u8>,
    blob: &mut impl Read,
    chunks: &mpsc::SyncSender<Vec<u8>>,
) -> io::Result<()> {
    let mut listening = chunks.send(first).is_ok();
    loop {
        let chunk = read_chunk(blob)?;
        if chunk.is_empty() {
            return Ok(());
        }
        if listening {
            listening = chunks.send(chunk).is_ok();
        }
    }
}

/// Decompresses the raw stream into the walker's channel.
fn decompress(
    raw: ChannelReader,
    compression: Compression,
    budget: &Budget,
    chunks: &mpsc::SyncSender<Vec<u8>>,
) -> Result<(), LayerError> {
    let refused_window = Cell::new(None);
    // The bytes the decompressor took (read ahead by at most the buffer): the layer's
    // compressed size so far, for the expansion guard.
    let taken = std::rc::Rc::new(Cell::new(0));
    let raw = Counted {
        inner: raw,
        count: std::rc::Rc::clone(&taken),
    };
    let decoder: Box<dyn Read> = match compression {
        Compression::None => Box::new(BufReader::with_capacity(READ_BUFFER, raw)),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(READ_BUFFER, raw),
        )),
        Compression::Zstd => {
            let watched = FrameWatch::new(raw, &refused_window);
            let mut decoder = zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(
                READ_BUFFER,
                watched,
            ))
            .map_err(|source| LayerError::Decompression {
                compression: "zstd",
                source,
            })?;
            // The decoder's own check, should the watch have lost its way.
            decoder
                .window_log_max(MAX_ZSTD_WINDOW_LOG)
                .map_err(|source| LayerError::Decompression {
                    compression: "zstd",
                    source,
                })?;
            Box::new(decoder)
        }
    };
    let mut source = Metered {
        inner: Failures {
            inner: decoder,
            failed: false,
        },
        budget,
        // A plain tar expands nothing.
        compressed: (compression != Compression::None).then_some(taken),
        uncompressed: 0,
        exceeded: None,
    };
    pump(&mut source, chunks).map_err(|error| match refused_window.get() {
        Some(window) => LayerError::ZstdWindowTooLarge {
            window: Some(window),
        },
        None if compression == Compression::Zstd && is_window_error(&error) => {
            LayerError::ZstdWindowTooLarge { window: None }
        }
        None => source_error(error, &source, compression),
    })
}

/// Whether the zstd decoder refused a frame for its window (the library's words for
/// `frameParameter_windowTooLarge`).
fn is_window_error(error: &io::Error) -> bool {
    error
        .to_string()
        .contains("Frame requires too much memory for decoding")
}

/// Bytes travel between the threads in chunks of this size...
const CHUNK: usize = 256 * 1024;
/// ...with at most this many waiting, which bounds the memory a layer takes in flight.
const CHUNKS_IN_FLIGHT: usize = 8;

/// Moves the decompressed stream into the channel until it ends, or until the walker hangs up
/// (it stops early only on an error it reports itself).
fn pump(source: &mut impl Read, chunks: &mpsc::SyncSender<Vec<u8>>) -> io::Result<()> {
    loop {
        let chunk = read_chunk(source)?;
        if chunk.is_empty() || chunks.send(chunk).is_err() {
            return Ok(());
        }
    }
}

/// A stream read from chunks that another thread sends.
struct ChannelReader {
    chunks: mpsc::Receiver<Vec<u8>>,
    current: Vec<u8>,
    position: usize,
    /// Set once the stream has ended, so that a tar error after it is reported as truncation.
    ended: bool,
}

impl ChannelReader {
    fn new(chunks: mpsc::Receiver<Vec<u8>>) -> Self {
        ChannelReader {
            chunks,
            current: Vec::new(),
            position: 0,
            ended: false,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.position == self.current.len() {
            let Ok(chunk) = self.chunks.recv() else {
                // The sender hung up: the stream is over.
                if !buf.is_empty() {
                    self.ended = true;
                }
                return Ok(0);
            };
            self.current = chunk;
            self.position = 0;
        }
        let n = buf.len().min(self.current.len() - self.position);
        buf[..n].copy_from_slice(&self.current[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// What the walking thread found.
struct Walked {
    changes: Vec<Change>,
    notes: Vec<String>,
    inspected: Option<Inspected>,
    diff_id: Option<imgaudit_digest::Digest>,
    uncompressed_size: u64,
}

fn walk_stream(
    stream: ChannelReader,
    hash: bool,
    options: &ReadOptions<'_>,
) -> Result<Walked, LayerError> {
    let mut tar_stream = if hash {
        DigestReader::new(stream, options.diff_id_algorithm)
    } else {
        DigestReader::counting(stream)
    };
    let walked = walk(&mut tar_stream, options);
    // The diff id covers the whole uncompressed stream, including the end-of-archive blocks and
    // any padding after them, which the tar reader leaves unread.
    let (changes, notes, inspected) = walked
        .and_then(|walked| {
            io::copy(&mut tar_stream, &mut io::sink())
                .map(|_| walked)
                .map_err(LayerError::Io)
        })
        .map_err(|e| match e {
            LayerError::Io(io_error)
                if tar_stream.get_ref().ended
                    || io_error.kind() == io::ErrorKind::UnexpectedEof =>
            {
                LayerError::Truncated(io_error)
            }
            LayerError::Io(io_error) => LayerError::Tar(io_error),
            other => other,
        })?;
    let (diff_id, uncompressed_size) = tar_stream.drain_and_finish().map_err(LayerError::Io)?;
    Ok(Walked {
        changes,
        notes,
        inspected,
        diff_id,
        uncompressed_size,
    })
}

/// Remembers whether the decompressor itself failed, so that its errors are not blamed on
/// reading.
struct Failures<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Read for Failures<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| self.failed = true)
    }
}

/// Names the cause of a failure on the decompressing side.
fn source_error<R>(
    error: io::Error,
    source: &Metered<'_, Failures<R>>,
    compression: Compression,
) -> LayerError {
    if let Some(exceeded) = source.exceeded {
        return exceeded.into();
    }
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return LayerError::Truncated(error);
    }
    match (source.inner.failed, compression) {
        (true, Compression::Gzip | Compression::Zstd) => LayerError::Decompression {
            compression: compression.name(),
            source: error,
        },
        _ => LayerError::Io(error),
    }
}

/// What a walk of the entries gives: the changes, the notes, the secrets found in files.
type Walk = (Vec<Change>, Vec<String>, Option<Inspected>);

/// Walks the tar entries, returning the changes and the layer's notes. I/O errors come back as
/// [`LayerError::Io`] for the caller to name.
fn walk<R: Read>(stream: R, options: &ReadOptions<'_>) -> Result<Walk, LayerError> {
    std::thread::scope(|scope| walk_in(stream, options, scope))
}

/// [`walk`], with a scope for the thread that runs the content detectors.
fn walk_in<'scope, R: Read>(
    stream: R,
    options: &ReadOptions<'_>,
    scope: &'scope std::thread::Scope<'scope, '_>,
) -> Result<Walk, LayerError> {
    let mut changes = Vec::new();
    let mut notes = Notes::default();
    let mut inspector = options
        .capture
        .inspection()
        .map(|settings| Inspector::new(*settings, scope));
    imgaudit_tar::for_each_entry(stream, |entry| -> Result<(), LayerError> {
        options.budget.charge_entry()?;
        if let Some(change) = read_entry(entry, options, &mut notes, inspector.as_mut())? {
            changes.push(change);
        }
        Ok(())
    })
    .map_err(|e| match e {
        WalkError::Tar(e) => LayerError::Io(e),
        WalkError::Header { refused, previous } => {
            LayerError::HeaderTooLarge(refused.describe(previous.as_deref()).into())
        }
        WalkError::Visit(e) => e,
    })?;
    let mut notes = notes.into_vec();
    let inspected = inspector.map(|inspector| {
        let (inspected, note) = inspector.finish();
        notes.extend(note);
        inspected
    });
    Ok((changes, notes, inspected))
}

/// What the walk tolerated and a reader of the report may want to know.
#[derive(Default)]
struct Notes {
    /// The first name written with a leading `/`: one note per layer is enough, since tools
    /// that write absolute names write them all that way.
    first_absolute: Option<String>,
    /// One note per symlink whose relative target climbs above the root: each is a place where
    /// the link means something other than what a naive reader of its target would think.
    climbing_links: Vec<String>,
}

impl Notes {
    fn absolute(&mut self, name: &[u8]) {
        self.first_absolute
            .get_or_insert_with(|| escape_bytes(name));
    }

    fn into_vec(self) -> Vec<String> {
        let absolute = self.first_absolute.map(|first| {
            format!(
                "the layer names entries with absolute paths (the first is `{first}`); they were read relative to the image root, as Docker and containerd apply them"
            )
        });
        absolute.into_iter().chain(self.climbing_links).collect()
    }
}

/// Normalizes a name or hard-link target from a tar header. Docker and containerd join every
/// name to the root, so a leading `/` means the image root, not the host's.
fn tar_name(name: &[u8], notes: &mut Notes) -> Result<ImagePath, PathProblem> {
    let start = name.iter().position(|&b| b != b'/').unwrap_or(name.len());
    let relative = &name[start..];
    if relative.len() != name.len() {
        notes.absolute(name);
    }
    ImagePath::from_tar_name(relative)
}

fn read_entry<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    options: &ReadOptions<'_>,
    notes: &mut Notes,
    inspector: Option<&mut Inspector<'_>>,
) -> Result<Option<Change>, LayerError> {
    let name = entry.path_bytes().into_owned();
    let path = tar_name(&name, notes).map_err(|problem| LayerError::UnsafeName {
        name: escape_bytes(&name),
        problem,
    })?;
    let header = entry.header();
    let entry_type = header.entry_type();

    let file_name = path.file_name();
    if path
        .parent()
        .components()
        .any(|c| c.starts_with(AUFS_METADATA_PREFIX))
    {
        // aufs keeps hard-link and orphan bookkeeping in `.wh..wh.plnk/` and the like.
        return Ok(None);
    }
    if let Some(hidden) = file_name.strip_prefix(WHITEOUT_PREFIX) {
        if file_name == OPAQUE_MARKER {
            return Ok(Some(Change::Opaque { dir: path.parent() }));
        }
        if file_name.starts_with(AUFS_METADATA_PREFIX) {
            // Other `.wh..wh.` names are aufs bookkeeping (`.wh..wh.plnk`), not whiteouts.
            return Ok(None);
        }
        if matches!(hidden, b"" | b"." | b"..") {
            return Err(LayerError::UnsafeName {
                name: escape_bytes(&name),
                problem: PathProblem::ClimbsAboveRoot,
            });
        }
        return Ok(Some(Change::Whiteout {
            path: path.parent().child(hidden),
        }));
    }

    let kind = match entry_type {
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
        EntryType::Directory => EntryKind::Dir,
        EntryType::Symlink => EntryKind::Symlink,
        EntryType::Link => EntryKind::Hardlink,
        EntryType::Char => EntryKind::CharDevice,
        EntryType::Block => EntryKind::BlockDevice,
        EntryType::Fifo => EntryKind::Fifo,
        // Global PAX headers and vendor extensions describe no file of their own.
        _ => return Ok(None),
    };
    if path.is_root() && kind != EntryKind::Dir {
        // kaniko writes `/` or `./` for the root directory, whose metadata the runtime applies;
        // anything else in the root's place cannot be extracted.
        return Err(LayerError::RootNotDirectory {
            name: escape_bytes(&name),
            kind,
        });
    }

    let header_field = |what: &str, e: io::Error| {
        LayerError::Tar(io::Error::new(
            e.kind(),
            format!("entry `{}`: bad {what} field: {e}", path.display()),
        ))
    };
    let mode = header.mode().map_err(|e| header_field("mode", e))? & 0o7777;
    let mut uid = header.uid().map_err(|e| header_field("uid", e))?;
    let mut gid = header.gid().map_err(|e| header_field("gid", e))?;
    let mut mtime = header.mtime().unwrap_or(0);
    let device = match kind {
        EntryKind::CharDevice | EntryKind::BlockDevice => Some((
            header.device_major().ok().flatten().unwrap_or(0),
            header.device_minor().ok().flatten().unwrap_or(0),
        )),
        _ => None,
    };
    let link_name = entry.link_name_bytes().map(std::borrow::Cow::into_owned);

    // PAX records override the numeric header fields that are too small for large ids.
    if let Some(extensions) = entry.pax_extensions().map_err(LayerError::Io)? {
        for extension in extensions {
            let extension = extension.map_err(LayerError::Io)?;
            let value = extension.value().ok().map(str::trim);
            let number = |v: Option<&str>| v.and_then(|v| v.split('.').next()?.parse::<u64>().ok());
            match extension.key_bytes() {
                b"uid" => uid = number(value).unwrap_or(uid),
                b"gid" => gid = number(value).unwrap_or(gid),
                b"mtime" => mtime = number(value).unwrap_or(mtime),
                _ => {}
            }
        }
    }

    let mut symlink_target = None;
    let mut hardlink_target = None;
    match kind {
        EntryKind::Symlink => {
            let target = link_name.unwrap_or_default();
            if climbs_above_root(&path, &target) {
                notes.climbing_links.push(format!(
                    "the symlink `{path}` -> `{}` climbs above the image root; it is kept as written and resolves with `..` stopping at `/`, as in a container",
                    escape_bytes(&target)
                ));
            }
            symlink_target = Some(target);
        }
        EntryKind::Hardlink => {
            let target = link_name.unwrap_or_default();
            // Unlike a symlink's, a hard link's target is a name in the layer, and the runtimes
            // refuse one that leaves the root.
            let normalized =
                tar_name(&target, notes).map_err(|problem| LayerError::HardlinkEscape {
                    path: path.clone(),
                    target: escape_bytes(&target),
                    problem,
                })?;
            hardlink_target = Some(normalized);
        }
        _ => {}
    }

    let size = if kind == EntryKind::File {
        entry.size()
    } else {
        0
    };
    let content = if kind == EntryKind::File
        && size <= options.capture.max_size()
        && options.capture.matches(&path)
    {
        options.budget.charge_captured(size)?;
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry.read_to_end(&mut data).map_err(LayerError::Io)?;
        Some(Arc::from(data))
    } else {
        None
    };
    if let Some(inspector) = inspector {
        if kind == EntryKind::File {
            // The file's bytes pass by once: the captured copy, or the entry itself.
            inspector
                .inspect_file(&path, size, content.as_deref(), entry)
                .map_err(LayerError::Io)?;
        } else {
            inspector.replaced(&path);
        }
    }

    Ok(Some(Change::Add {
        path,
        entry: Entry {
            kind,
            mode,
            uid,
            gid,
            size,
            mtime,
            symlink_target,
            hardlink_target,
            device,
            content,
        },
    }))
}

/// Whether a relative symlink target, joined to the link's directory, climbs above the root.
/// Absolute targets start at the image root and never do.
fn climbs_above_root(path: &ImagePath, target: &[u8]) -> bool {
    target.first() != Some(&b'/')
        && path.parent().join_lexically(target) == Err(PathProblem::ClimbsAboveRoot)
}
