//! Caps that keep a hostile layer (a decompression bomb, millions of entries) from exhausting
//! the machine. They are shared by all layers of an image, which are read in parallel.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// The default cap on uncompressed bytes across all layers of one image: far above any real
/// image, far below what a bomb expands to.
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024 * 1024;
/// The default cap on tar entries across all layers of one image.
pub const DEFAULT_MAX_ENTRIES: u64 = 20_000_000;

/// An image-wide budget of uncompressed bytes and tar entries.
#[derive(Debug)]
pub struct Budget {
    max_bytes: u64,
    max_entries: u64,
    bytes: AtomicU64,
    entries: AtomicU64,
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
}

impl Budget {
    pub fn new(max_bytes: u64, max_entries: u64) -> Budget {
        Budget {
            max_bytes,
            max_entries,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn max_entries(&self) -> u64 {
        self.max_entries
    }

    /// Charges a whole layer that was not read (its index came from a cache), so that a cap
    /// refuses the same image whether its layers were read or remembered.
    pub fn charge_layer(&self, bytes: u64, entries: u64) -> Result<(), Exceeded> {
        self.charge_bytes(bytes)?;
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
