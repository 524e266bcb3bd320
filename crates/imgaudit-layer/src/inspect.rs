//! Secrets looked for in each regular file while a layer streams past ([`imgaudit_secrets::content`]),
//! within a size cap per file and a budget of bytes per layer.

use std::collections::HashSet;
use std::io::{self, Read};

use imgaudit_secrets::content::{self, FileHit};

use crate::ImagePath;

/// The default budget of bytes inspected in one layer: a layer's text files under the file cap
/// rarely come to a few hundred megabytes, and the detectors stay cheap below it.
pub const DEFAULT_MAX_INSPECTED_BYTES: u64 = 1024 * 1024 * 1024;
/// How many files skipped for the budget one layer lists by path (the rest are counted).
pub const MAX_UNINSPECTED_LISTED: usize = 100;
/// How many hits one layer keeps; beyond, the layer's notes say so.
pub const MAX_HITS_PER_LAYER: usize = 10_000;

/// What to look for secrets in while reading, and how much.
///
/// The budget is per layer, not per image, on purpose: a layer's findings then depend on its
/// bytes and these settings alone (layers are read in parallel, and cached indexes are shared
/// between images), so the same layer always gives the same hits and the same skipped files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspection {
    /// Regular files larger than this are not inspected.
    pub max_file_size: u64,
    /// Bytes inspected in one layer at most; files beyond are listed as not inspected.
    pub max_layer_bytes: u64,
}

impl Default for Inspection {
    fn default() -> Self {
        Inspection {
            max_file_size: content::DEFAULT_MAX_FILE_SIZE,
            max_layer_bytes: DEFAULT_MAX_INSPECTED_BYTES,
        }
    }
}

/// One secret found in a file of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHit {
    pub path: ImagePath,
    pub hit: FileHit,
    /// The path looks like a package's own test fixture ([`content::is_fixture`]).
    pub fixture: bool,
}

/// What inspecting one layer found, and what it left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspected {
    pub hits: Vec<ContentHit>,
    /// Files under the size cap that the layer's budget left uninspected, the first
    /// [`MAX_UNINSPECTED_LISTED`] of them by path.
    pub uninspected: Vec<ImagePath>,
    /// How many files the budget left uninspected in all.
    pub uninspected_count: u64,
    /// Bytes the detectors looked at.
    pub inspected_bytes: u64,
}

/// The inspection state of one layer's walk.
pub(crate) struct Inspector {
    settings: Inspection,
    found: Inspected,
    /// Paths with hits, so that a later entry for the same path drops them (the later wins).
    with_hits: HashSet<ImagePath>,
    dropped_hits: u64,
    buffer: Vec<u8>,
}

impl Inspector {
    pub(crate) fn new(settings: Inspection) -> Inspector {
        Inspector {
            settings,
            found: Inspected::default(),
            with_hits: HashSet::new(),
            dropped_hits: 0,
            buffer: Vec::new(),
        }
    }

    /// A later entry of the layer replaces whatever an earlier one at `path` held.
    pub(crate) fn replaced(&mut self, path: &ImagePath) {
        if self.with_hits.remove(path) {
            self.found.hits.retain(|h| &h.path != path);
        }
    }

    /// Inspects a regular file of `size` bytes: its captured content when there is one, else
    /// read from `entry` (which the walk then skips past).
    pub(crate) fn inspect_file(
        &mut self,
        path: &ImagePath,
        size: u64,
        captured: Option<&[u8]>,
        entry: &mut impl Read,
    ) -> io::Result<()> {
        if size == 0 || size > self.settings.max_file_size {
            return Ok(());
        }
        if self.found.inspected_bytes + size > self.settings.max_layer_bytes {
            self.found.uninspected_count += 1;
            if self.found.uninspected.len() < MAX_UNINSPECTED_LISTED {
                self.found.uninspected.push(path.clone());
            }
            return Ok(());
        }
        let hits = if let Some(bytes) = captured {
            self.found.inspected_bytes += bytes.len() as u64;
            content::inspect(&path.display(), bytes)
        } else {
            self.buffer.clear();
            let probe = size.min(content::BINARY_PROBE as u64);
            entry.by_ref().take(probe).read_to_end(&mut self.buffer)?;
            if content::is_binary(&self.buffer) {
                // Only a key store's structure is looked for in a binary file: its head.
                self.found.inspected_bytes += self.buffer.len() as u64;
                content::inspect_binary(&self.buffer)
            } else {
                entry.read_to_end(&mut self.buffer)?;
                self.found.inspected_bytes += self.buffer.len() as u64;
                content::inspect(&path.display(), &self.buffer)
            }
        };
        if hits.is_empty() {
            return Ok(());
        }
        let fixture = content::is_fixture(&path.display());
        self.with_hits.insert(path.clone());
        for hit in hits {
            if self.found.hits.len() >= MAX_HITS_PER_LAYER {
                self.dropped_hits += 1;
                continue;
            }
            self.found.hits.push(ContentHit {
                path: path.clone(),
                hit,
                fixture,
            });
        }
        Ok(())
    }

    /// What was found, and a note when hits were left out.
    pub(crate) fn finish(self) -> (Inspected, Option<String>) {
        let note = (self.dropped_hits > 0).then(|| {
            format!(
                "the layer holds more than {MAX_HITS_PER_LAYER} secrets in files; {} more were not listed",
                self.dropped_hits
            )
        });
        (self.found, note)
    }
}
