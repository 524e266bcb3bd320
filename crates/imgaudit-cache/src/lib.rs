//! Remembers what reading a layer gave, so that a layer is decompressed once, not once per run
//! or once per image.
//!
//! A layer's [`LayerIndex`] (its entries, captured files and whiteouts) depends only on the
//! layer's bytes, the reader that read them and the files it was asked to capture. A
//! [`LayerKey`] names all three: the layer's content digest (the blob digest the manifest pins,
//! or the diff id when the source names no blob), [`imgaudit_layer::READER_VERSION`], and
//! [`CaptureRules::fingerprint`]. A changed layer has another digest, so cached data can never
//! stand in for it. The loader stores an index only once the digest its key names has been
//! checked against the bytes it read (sha256 or sha512, whichever the image declares); a digest
//! it could not check fails the load, so a lying image never remembers its layer under another's
//! name.
//!
//! [`DiskCache`] keeps indexes between runs in a directory (by default
//! `$XDG_CACHE_HOME/imgaudit`): one file per key, written to a temporary file and renamed into
//! place (readers see a whole entry or none), checked against its checksum when read (a damaged
//! entry is deleted and rebuilt, never used), evicted least-recently-used beyond a size cap.
//! [`LayerCache`] puts an in-memory layer in front of it for a run that reads many images, and
//! makes sure that two images sharing a layer wait for one read of it rather than doing two.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod codec;
mod disk;
mod shared;
mod size;

pub use disk::{CacheError, CacheInfo, DEFAULT_MAX_SIZE, DiskCache, Lookup, Prune, Pruned};
pub use imgaudit_fs::Filesystem;
pub use shared::{Fetched, LayerCache, LayerOrigin};
pub use size::{SizeError, format_size, parse_size};

use imgaudit_digest::{Algorithm, Digest};
use imgaudit_layer::{CaptureRules, LayerIndex};

/// What a cached layer index is for: which bytes, read by which reader, capturing what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayerKey {
    text: String,
    file_name: String,
}

impl LayerKey {
    /// The key of a layer known by its blob digest (the manifest pins it), or by its diff id
    /// alone when the source names no blob (a legacy `docker save` archive).
    pub fn new(blob_digest: Option<&Digest>, diff_id: &Digest, capture: &CaptureRules) -> LayerKey {
        let content = match blob_digest {
            Some(digest) => format!("blob {digest}"),
            None => format!("diff-id {diff_id}"),
        };
        let text = format!(
            "{content} reader {} capture {}",
            imgaudit_layer::READER_VERSION,
            capture.fingerprint()
        );
        let file_name = Digest::of_bytes(Algorithm::Sha256, text.as_bytes())
            .hex()
            .to_owned();
        LayerKey { text, file_name }
    }

    /// The key as text: the content digest, reader version and capture fingerprint.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// What something derived from verified image content is for (the tree of a chain of layers,
/// an audit's facts): the caller's text names everything it depends on, and this crate adds
/// the layer reader's version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DerivedKey {
    text: String,
    file_name: String,
}

impl DerivedKey {
    pub fn new(text: impl Into<String>) -> DerivedKey {
        let text = format!("{} reader {}", text.into(), imgaudit_layer::READER_VERSION);
        let file_name = Digest::of_bytes(Algorithm::Sha256, text.as_bytes())
            .hex()
            .to_owned();
        DerivedKey { text, file_name }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// Whether an index read with some capture rules is also what wider rules would have given:
/// true when no regular file of the layer that the extra rules match was left uncaptured.
pub fn captures_enough(index: &LayerIndex, wider: &CaptureRules) -> bool {
    index.changes.iter().all(|change| match change {
        imgaudit_layer::Change::Add { path, entry } => {
            entry.kind != imgaudit_layer::EntryKind::File
                || entry.content.is_some()
                || entry.size > wider.max_size()
                || !wider.matches(path)
        }
        _ => true,
    })
}
