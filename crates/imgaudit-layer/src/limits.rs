//! Caps that keep a hostile layer (a decompression bomb, millions of entries) from exhausting
//! the machine. They are shared by all layers of an image, which are read in parallel.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default cap on uncompressed bytes across all layers of one image: far above any real
/// image, far below what a bomb expands to.
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024 * 1024;
/// The default cap on tar entries across all layers of one image.
pub const DEFAULT_MAX_ENTRIES: u64 = 20_000_000;
/// The default cap on how many times a compressed layer may expand its size. gzip's deflate
/// cannot go beyond about 1032:1, so no gzip layer ever reaches it; a zstd layer can (about
/// 32,000:1 for a run of zeros), and is refused once it holds more than
/// [`DEFAULT_EXPANSION_FLOOR`] bytes at that ratio: a zstd bomb is stopped after a few seconds
/// of decompression instead of running to the byte cap.
pub const DEFAULT_MAX_EXPANSION_RATIO: u64 = 2048;
/// The uncompressed bytes a layer may reach whatever its ratio, so that a small layer of zeros
/// (a preallocated file, a sparse file written out) passes.
pub const DEFAULT_EXPANSION_FLOOR: u64 = 2 * 1024 * 1024 * 1024;
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
    max_expansion_ratio: u64,
    expansion_floor: u64,
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
    Bytes {
        limit: u64,
    },
    Entries {
        limit: u64,
    },
    /// One compressed layer expanded more than `limit` times its compressed size beyond
    /// `floor` uncompressed bytes.
    Expansion {
        limit: u64,
        floor: u64,
        compressed: u64,
        uncompressed: u64,
    },
    Captured {
        limit: u64,
    },
}

impl Budget {
    pub fn new(max_bytes: u64, max_entries: u64) -> Budget {
        Budget {
            max_bytes,
            max_entries,
            max_expansion_ratio: DEFAULT_MAX_EXPANSION_RATIO,
            expansion_floor: DEFAULT_EXPANSION_FLOOR,
            max_captured: DEFAULT_MAX_CAPTURED_BYTES,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            captured: AtomicU64::new(0),
        }
    }

    /// Sets the cap on each compressed layer's expansion: beyond `floor` uncompressed bytes, a
    /// layer may hold at most `max_ratio` times its compressed bytes.
    pub fn with_expansion_cap(mut self, max_ratio: u64, floor: u64) -> Budget {
        self.max_expansion_ratio = max_ratio;
        self.expansion_floor = floor;
        self
    }

    pub fn max_expansion_ratio(&self) -> u64 {
        self.max_expansion_ratio
    }

    pub fn expansion_floor(&self) -> u64 {
        self.expansion_floor
    }

    /// Checks a compressed layer's expansion so far (or a whole remembered layer's).
    pub fn check_expansion(&self, compressed: u64, uncompressed: u64) -> Result<(), Exceeded> {
        if uncompressed > self.expansion_floor
            && uncompressed > compressed.saturating_mul(self.max_expansion_ratio)
        {
            return Err(Exceeded::Expansion {
                limit: self.max_expansion_ratio,
                floor: self.expansion_floor,
                compressed,
                uncompressed,
            });
        }
        Ok(())
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

/// Charges every decompressed byte to the budget and fails the read once it is spent, or once
/// the layer expands beyond the ratio cap.
pub(crate) struct Metered<'a, R> {
    pub(crate) inner: R,
    pub(crate) budget: &'a Budget,
    /// Compressed bytes the decompressor has taken so far; `None` for an uncompressed layer.
    pub(crate) compressed: Option<Rc<Cell<u64>>>,
    /// Bytes this layer has expanded to so far.
    pub(crate) uncompressed: u64,
    /// Set when the budget ran out, so the caller can report the cap rather than an I/O error.
    pub(crate) exceeded: Option<Exceeded>,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.uncompressed += n as u64;
        let checked = self.budget.charge_bytes(n as u64).and_then(|()| {
            self.compressed.as_ref().map_or(Ok(()), |compressed| {
                self.budget
                    .check_expansion(compressed.get(), self.uncompressed)
            })
        });
        if let Err(e) = checked {
            self.exceeded = Some(e);
            return Err(io::Error::other("uncompressed size cap reached"));
        }
        Ok(n)
    }
}

/// Counts the bytes read through it, for [`Metered`] on the other side of a decompressor.
pub(crate) struct Counted<R> {
    pub(crate) inner: R,
    pub(crate) count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}
