//! Tar archives read with caps on the headers that describe an entry, checked before they are
//! buffered: layers, `docker save` tarballs and streams, OCI archives are all tar, and all
//! hostile until read.
//!
//! The `tar` crate buffers a GNU long name (`L`), a GNU long link (`K`) and a PAX header (`x`)
//! whole before it yields the entry they describe, whatever size they declare: one header of
//! gigabytes would be held in memory. So [`for_each_entry`] passes the stream through a
//! [`HeaderGuard`], which knows where the next header block starts (the walk tells it where
//! each entry's data ends, [`size_in_stream`]), reads each header block as it passes, and
//! refuses an extension header larger than its cap before a byte of its content reaches the tar
//! reader. As a backstop, the reader may read at most [`MAX_BETWEEN_ENTRIES`] bytes between one
//! entry's data and the next entry (extension headers, a GNU sparse map), wherever the guard's
//! bookkeeping may have gone astray.

#![deny(clippy::print_stdout, clippy::print_stderr)]
// The casts to `usize` are of offsets within one 512-byte block or one read's buffer.
#![allow(clippy::cast_possible_truncation)]

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// The cap on a GNU long name or long link: Linux's `PATH_MAX` is 4096, and tar names longer
/// are legal, so the cap is far above any real path.
pub const MAX_LONG_NAME: u64 = 64 * 1024;
/// The cap on one entry's PAX header: paths, link targets, ids, times and extended attributes
/// (a Linux extended attribute value holds at most 64 KiB).
pub const MAX_PAX_HEADER: u64 = 1024 * 1024;
/// What the tar reader may read after one entry's data before it yields the next entry: every
/// extension header at its cap, with room for a GNU sparse map.
pub const MAX_BETWEEN_ENTRIES: u64 = 4 * 1024 * 1024;
const BLOCK: u64 = 512;

/// A header the guard refused, with where it starts in the tar stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// What was refused: `GNU long name`, `GNU long link`, `PAX header`, or `headers` for the
    /// backstop.
    pub what: &'static str,
    /// The size the header declares; `None` for the backstop, which saw no single header.
    pub size: Option<u64>,
    pub limit: u64,
    /// Where the refused header starts, in bytes from the start of the tar stream.
    pub offset: u64,
}

impl Refused {
    /// Says which entry the refused header belongs to, given the name of the entry before it
    /// (the entry's own name may be in the header refused).
    pub fn describe(&self, previous: Option<&str>) -> String {
        let entry = match previous {
            Some(name) => format!("the tar entry after `{name}`"),
            None => "the first tar entry".to_owned(),
        };
        match self.size {
            Some(size) => format!(
                "{entry} has a {} of {size} bytes (at byte {} of the tar stream), more than the cap of {}",
                self.what, self.offset, self.limit
            ),
            None => format!(
                "the headers of {entry} (from byte {} of the tar stream) take more than {} bytes, the cap",
                self.offset, self.limit
            ),
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(None))
    }
}

/// What the walk tells the guard, and what the guard found.
#[derive(Debug)]
struct HeaderWatch {
    /// Bytes of the tar stream read so far.
    position: Cell<u64>,
    /// Where the next header block starts, while the tar reader is between entries.
    next_header: Cell<Option<u64>>,
    /// How far the tar reader may read before it yields the next entry.
    stop_at: Cell<u64>,
    block: Cell<[u8; BLOCK as usize]>,
    refused: Cell<Option<Refused>>,
}

impl HeaderWatch {
    /// A watch for a stream whose first header is at its start.
    fn new() -> HeaderWatch {
        let watch = HeaderWatch {
            position: Cell::new(0),
            next_header: Cell::new(None),
            stop_at: Cell::new(u64::MAX),
            block: Cell::new([0; BLOCK as usize]),
            refused: Cell::new(None),
        };
        watch.expect_header_at(0);
        watch
    }

    /// The tar reader has yielded an entry, whose data may now be read without limit (the
    /// uncompressed budget still applies). Returns where that data starts.
    fn entry_yielded(&self) -> u64 {
        self.next_header.set(None);
        self.stop_at.set(u64::MAX);
        self.position.get()
    }

    /// The current entry's data (of `size` bytes in the stream) starts at `data_start`: the
    /// next header follows it, padded to a block.
    fn entry_ends(&self, data_start: u64, size: u64) {
        let padded = size.div_ceil(BLOCK).saturating_mul(BLOCK);
        self.expect_header_at(data_start.saturating_add(padded));
    }

    fn expect_header_at(&self, offset: u64) {
        self.next_header.set(Some(offset));
        self.stop_at.set(offset.saturating_add(MAX_BETWEEN_ENTRIES));
    }

    /// The header refused, once the tar reader has failed because of it.
    fn refused(&self) -> Option<Refused> {
        self.refused.get()
    }

    /// Takes in bytes `[start, start + bytes.len())` of the stream, checking any header block
    /// among them.
    fn observe(&self, start: u64, bytes: &[u8]) -> Result<(), Refused> {
        let end = start + bytes.len() as u64;
        while let Some(header) = self.next_header.get() {
            if header >= end {
                break;
            }
            let block_end = header + BLOCK;
            let mut block = self.block.get();
            // Copy the part of the header block these bytes hold.
            let from = header.max(start);
            let to = block_end.min(end);
            if from < to {
                let source = &bytes[(from - start) as usize..(to - start) as usize];
                block[(from - header) as usize..(to - header) as usize].copy_from_slice(source);
                self.block.set(block);
            }
            if to < block_end {
                // The rest of the block comes with a later read.
                break;
            }
            self.next_header.set(None);
            if let Some(extension) = extension_header(&block) {
                let (what, limit) = extension.kind;
                if extension.size > limit {
                    return Err(Refused {
                        what,
                        size: Some(extension.size),
                        limit,
                        offset: header,
                    });
                }
                // Another header follows the extension's content.
                let padded = extension.size.div_ceil(BLOCK) * BLOCK;
                self.next_header.set(Some(block_end + padded));
            }
        }
        Ok(())
    }
}

struct Extension {
    kind: (&'static str, u64),
    size: u64,
}

/// The kind and declared size of a block that is an extension header the tar reader buffers:
/// one with a valid checksum, in the ustar or GNU format, of type `L`, `K` or `x`. Anything
/// else (an entry's own header, the end of the archive, a corrupt block) is the tar reader's
/// to judge.
fn extension_header(block: &[u8; BLOCK as usize]) -> Option<Extension> {
    let header = tar::Header::from_byte_slice(block);
    if header.as_ustar().is_none() && header.as_gnu().is_none() {
        return None;
    }
    let sum: u32 = block[..148]
        .iter()
        .chain(&block[156..])
        .map(|&b| u32::from(b))
        .sum::<u32>()
        + 8 * u32::from(b' ');
    if header.cksum().ok() != Some(sum) {
        return None;
    }
    let entry_type = header.entry_type();
    let kind = if entry_type.is_gnu_longname() {
        ("GNU long name", MAX_LONG_NAME)
    } else if entry_type.is_gnu_longlink() {
        ("GNU long link", MAX_LONG_NAME)
    } else if entry_type.is_pax_local_extensions() {
        ("PAX header", MAX_PAX_HEADER)
    } else {
        return None;
    };
    Some(Extension {
        kind,
        size: header.entry_size().ok()?,
    })
}

/// The tar stream as the tar reader sees it, checked by a `HeaderWatch`.
#[derive(Debug)]
pub struct HeaderGuard<'a, R> {
    inner: R,
    watch: &'a HeaderWatch,
}

impl<'a, R: Read> HeaderGuard<'a, R> {
    fn new(inner: R, watch: &'a HeaderWatch) -> Self {
        HeaderGuard { inner, watch }
    }
}

impl<R: Read> Read for HeaderGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let watch = self.watch;
        if watch.refused.get().is_some() {
            return Err(io::Error::other("a tar header exceeded its cap"));
        }
        let position = watch.position.get();
        let allowed = watch.stop_at.get().saturating_sub(position);
        if allowed == 0 && !buf.is_empty() {
            watch.refused.set(Some(Refused {
                what: "headers",
                size: None,
                limit: MAX_BETWEEN_ENTRIES,
                offset: position,
            }));
            return Err(io::Error::other("a tar header exceeded its cap"));
        }
        let wanted = buf
            .len()
            .min(usize::try_from(allowed).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..wanted])?;
        watch.position.set(position + n as u64);
        if let Err(refused) = watch.observe(position, &buf[..n]) {
            watch.refused.set(Some(refused));
            return Err(io::Error::other("a tar header exceeded its cap"));
        }
        Ok(n)
    }
}

/// Seeking (the tar reader skips the data of entries it is not asked for) moves the watch's
/// position with it; the header after the skipped data is read, hence checked, as usual.
impl<R: Seek> Seek for HeaderGuard<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let position = self.inner.seek(to)?;
        self.watch.position.set(position);
        Ok(position)
    }
}

/// The bytes an entry's data takes in the tar stream: its size, except for a GNU sparse file,
/// whose size is that of the file with its holes, and whose stored data is what its header (or
/// PAX `size` record) declares.
pub fn size_in_stream<R: Read>(entry: &mut tar::Entry<'_, R>) -> u64 {
    if !entry.header().entry_type().is_gnu_sparse() {
        return entry.size();
    }
    let declared = entry.header().entry_size().unwrap_or(0);
    let pax_size = entry
        .pax_extensions()
        .ok()
        .flatten()
        .and_then(|mut records| {
            records
                .find_map(|record| match record {
                    Ok(record) if record.key_bytes() == b"size" => {
                        Some(record.value().ok()?.parse::<u64>().ok())
                    }
                    Ok(_) => None,
                    Err(_) => Some(None),
                })
                .flatten()
        });
    pax_size.unwrap_or(declared)
}

/// Why a walk over a tar stream stopped.
#[derive(Debug)]
pub enum WalkError<E> {
    /// The tar reader failed: the stream is not tar, or is corrupt or truncated.
    Tar(io::Error),
    /// A header over its cap, with the name of the entry before it.
    Header {
        refused: Refused,
        previous: Option<String>,
    },
    /// The visitor's own error.
    Visit(E),
}

impl<E: fmt::Display> fmt::Display for WalkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::Tar(e) => e.fmt(f),
            WalkError::Header { refused, previous } => {
                f.write_str(&refused.describe(previous.as_deref()))
            }
            WalkError::Visit(e) => e.fmt(f),
        }
    }
}

/// Calls `visit` with each entry of a tar stream, refusing headers over their caps before they
/// are buffered.
pub fn for_each_entry<R: Read, E>(
    reader: R,
    visit: impl FnMut(&mut tar::Entry<'_, HeaderGuard<'_, R>>) -> Result<(), E>,
) -> Result<(), WalkError<E>> {
    let watch = HeaderWatch::new();
    let mut archive = tar::Archive::new(HeaderGuard::new(reader, &watch));
    let entries = archive.entries().map_err(WalkError::Tar)?;
    visit_all(entries, &watch, visit)
}

/// [`for_each_entry`] over a file, whose entries' data the tar reader skips by seeking.
pub fn for_each_entry_with_seek<R: Read + Seek, E>(
    reader: R,
    visit: impl FnMut(&mut tar::Entry<'_, HeaderGuard<'_, R>>) -> Result<(), E>,
) -> Result<(), WalkError<E>> {
    let watch = HeaderWatch::new();
    let mut archive = tar::Archive::new(HeaderGuard::new(reader, &watch));
    let entries = archive.entries_with_seek().map_err(WalkError::Tar)?;
    visit_all(entries, &watch, visit)
}

fn visit_all<R: Read, E>(
    entries: tar::Entries<'_, R>,
    watch: &HeaderWatch,
    mut visit: impl FnMut(&mut tar::Entry<'_, R>) -> Result<(), E>,
) -> Result<(), WalkError<E>> {
    // The name of the last entry, to name the one whose headers are refused; one buffer
    // reused, since most walks never need it.
    let mut previous: Option<Vec<u8>> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| match watch.refused() {
            Some(refused) => WalkError::Header {
                refused,
                previous: previous
                    .as_deref()
                    .map(|name| String::from_utf8_lossy(name).into_owned()),
            },
            None => WalkError::Tar(e),
        })?;
        let data_start = watch.entry_yielded();
        visit(&mut entry).map_err(WalkError::Visit)?;
        watch.entry_ends(data_start, size_in_stream(&mut entry));
        let previous = previous.get_or_insert_with(Vec::new);
        previous.clear();
        previous.extend_from_slice(&entry.path_bytes());
    }
    Ok(())
}
