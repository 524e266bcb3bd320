//! Caps that keep a hostile layer (a decompression bomb, millions of entries) from exhausting
//! the machine. They are shared by all layers of an image, which are read in parallel.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// The default cap on uncompressed bytes across all layers of one image: far above any real
/// image, far below what a bomb expands to.
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024 * 1024;
/// The default cap on tar entries across all layers of one image.
pub const DEFAULT_MAX_ENTRIES: u64 = 20_000_000;
/// The default cap on the bytes of captured files (configuration files, package metadata)
/// across all layers of one image: the real images of the tests capture well under a megabyte,
/// and a fleet's largest a few; a layer of thousands of files the capture rules match, each
/// under the per-file cap, would otherwise be held whole in memory.
pub const DEFAULT_MAX_CAPTURED_BYTES: u64 = 256 * 1024 * 1024;

/// An image-wide budget of uncompressed bytes, tar entries and captured bytes.
#[derive(Debug)]
pub struct Budget {
    max_bytes: u64,
    max_entries: u64,
    max_captured: u64,
    bytes: AtomicU64,
    entries: AtomicU64,
    captured: AtomicU64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_MAX_UNCOMPRESSED_BYTES, DEFAULT_MAX_ENTRIES)
    }
}

/// Which cap a layer ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Bytes { limit: u64 },
    Entries { limit: u64 },
    Captured { limit: u64 },
}

impl Budget {
    pub fn new(max_bytes: u64, max_entries: u64) -> Budget {
        Budget {
            max_bytes,
            max_entries,
            max_captured: DEFAULT_MAX_CAPTURED_BYTES,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            captured: AtomicU64::new(0),
        }
    }

    /// The same budget with another cap on captured bytes.
    pub fn with_max_captured_bytes(mut self, max_captured: u64) -> Budget {
        self.max_captured = max_captured;
        self
    }

    pub fn max_captured_bytes(&self) -> u64 {
        self.max_captured
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn max_entries(&self) -> u64 {
        self.max_entries
    }

    /// Charges a whole layer that was not read (its index came from a cache), so that a cap
    /// refuses the same image whether its layers were read or remembered.
    pub fn charge_layer(&self, bytes: u64, entries: u64, captured: u64) -> Result<(), Exceeded> {
        self.charge_bytes(bytes)?;
        self.charge_captured(captured)?;
        let used = self.entries.fetch_add(entries, Ordering::Relaxed) + entries;
        if used > self.max_entries {
            return Err(Exceeded::Entries {
                limit: self.max_entries,
            });
        }
        Ok(())
    }

    pub(crate) fn charge_bytes(&self, n: u64) -> Result<(), Exceeded> {
        let used = self.bytes.fetch_add(n, Ordering::Relaxed) + n;
        if used > self.max_bytes {
            return Err(Exceeded::Bytes {
                limit: self.max_bytes,
            });
        }
        Ok(())
    }

    /// Charges a file's content before it is captured.
    pub(crate) fn charge_captured(&self, n: u64) -> Result<(), Exceeded> {
        let used = self.captured.fetch_add(n, Ordering::Relaxed) + n;
        if used > self.max_captured {
            return Err(Exceeded::Captured {
                limit: self.max_captured,
            });
        }
        Ok(())
    }

    pub(crate) fn charge_entry(&self) -> Result<(), Exceeded> {
        let used = self.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if used > self.max_entries {
            return Err(Exceeded::Entries {
                limit: self.max_entries,
            });
        }
        Ok(())
    }
}

/// Charges every decompressed byte to the budget and fails the read once it is spent.
pub(crate) struct Metered<'a, R> {
    pub(crate) inner: R,
    pub(crate) budget: &'a Budget,
    /// Set when the budget ran out, so the caller can report the cap rather than an I/O error.
    pub(crate) exceeded: Option<Exceeded>,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Err(e) = self.budget.charge_bytes(n as u64) {
            self.exceeded = Some(e);
            return Err(io::Error::other("uncompressed size cap reached"));
        }
        Ok(n)
    }
}
