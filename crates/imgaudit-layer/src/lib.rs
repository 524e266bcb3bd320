//! Reads one image layer in a single streaming pass.
//!
//! A layer blob goes through: a digest of the raw bytes (the blob digest), decompression chosen by
//! the bytes' magic rather than the declared media type, a digest of the uncompressed tar (the
//! diff id), and a walk of its entries. What comes out is a [`LayerIndex`]: for every entry its
//! metadata, whiteouts and opaque markers turned into typed changes, and the contents of the few
//! files a [`CaptureRules`] asks for, and, when the rules ask for it ([`Inspection`]), the secrets
//! found in regular files ([`Inspected`]), looked for in the same pass. Nothing is written to disk and nothing is followed: names are
//! normalized lexically as container runtimes read them (a leading `/` means the image root, an
//! entry for the root itself sets the root's metadata), and names whose `..` components climb
//! above the root are refused. Symlink targets are kept as written, even those that climb above
//! the root: resolution inside the image stops `..` at `/`, as the kernel does in a container.
//!
//! Layers are independent, so callers read them in parallel and merge them in order afterwards.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod capture;
mod inspect;
mod limits;
mod path;
mod read;
mod zstd_window;

pub use capture::{CaptureRules, DEFAULT_MAX_CAPTURE_SIZE, PatternError};
pub use imgaudit_secrets::content::{Category, FileHit};
pub use imgaudit_secrets::{Detector, Fingerprint};
pub use imgaudit_tar::{MAX_LONG_NAME, MAX_PAX_HEADER};
pub use inspect::{
    ContentHit, DEFAULT_MAX_INSPECTED_BYTES, Inspected, Inspection, MAX_HITS_PER_LAYER,
    MAX_UNINSPECTED_LISTED,
};
pub use limits::{
    Budget, DEFAULT_EXPANSION_FLOOR, DEFAULT_MAX_CAPTURED_BYTES, DEFAULT_MAX_ENTRIES,
    DEFAULT_MAX_EXPANSION_RATIO, DEFAULT_MAX_UNCOMPRESSED_BYTES, Exceeded,
};
pub use path::{ImagePath, PathProblem, escape_bytes, push_escaped};
pub use read::{LayerError, ReadOptions, read_layer};
pub use zstd_window::MAX_ZSTD_WINDOW_LOG;

/// The version of what [`read_layer`] produces. Caches of layer indexes key on it, so the
/// suffix must be bumped whenever a [`LayerIndex`] of the same bytes could come out different
/// (a new field, a changed normalization, a fixed bug).
pub const READER_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "/3");

use std::sync::Arc;

use imgaudit_digest::Digest;

/// The compression of a layer blob, as detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Detects the compression from a blob's first bytes; anything that is neither gzip nor zstd
    /// is read as a plain tar stream (and fails there if it is not one).
    pub fn detect(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            // A zstd frame, or a skippable frame (zstd:chunked layers start with one).
            [0x28, 0xb5, 0x2f, 0xfd, ..] | [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The compression a layer media type declares, when it declares one imgaudit knows.
    pub fn from_media_type(media_type: &str) -> Option<Compression> {
        let base = media_type.split(';').next().unwrap_or(media_type).trim();
        match base {
            "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.docker.image.rootfs.diff.tar" => Some(Compression::None),
            "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => {
                Some(Compression::Gzip)
            }
            "application/vnd.oci.image.layer.v1.tar+zstd"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
            | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// The kind of a filesystem entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    /// A hard link; after assembly it becomes the kind of its target.
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
}

impl EntryKind {
    /// The type letter `ls -l` shows.
    pub fn letter(self) -> char {
        match self {
            EntryKind::File | EntryKind::Hardlink => '-',
            EntryKind::Dir => 'd',
            EntryKind::Symlink => 'l',
            EntryKind::CharDevice => 'c',
            EntryKind::BlockDevice => 'b',
            EntryKind::Fifo => 'p',
        }
    }
}

/// The metadata of one entry (and its content when captured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// Permission bits with setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Bytes of content for regular files; 0 otherwise.
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: u64,
    /// The target of a symlink as written (bytes, absolute or relative).
    pub symlink_target: Option<Vec<u8>>,
    /// The target of a hard link, normalized.
    pub hardlink_target: Option<ImagePath>,
    /// Major and minor numbers of a device node.
    pub device: Option<(u32, u32)>,
    /// The content, when the capture rules asked for it and it fit under the size cap.
    pub content: Option<Arc<[u8]>>,
}

/// What one tar entry does to the filesystem below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Adds or replaces the entry at `path`.
    Add { path: ImagePath, entry: Entry },
    /// A `.wh.NAME` whiteout: removes `path` (and everything below it) from lower layers.
    Whiteout { path: ImagePath },
    /// A `.wh..wh..opq` marker: hides everything lower layers put below the directory `dir`.
    Opaque { dir: ImagePath },
}

impl Change {
    pub fn path(&self) -> &ImagePath {
        match self {
            Change::Add { path, .. } | Change::Whiteout { path } => path,
            Change::Opaque { dir } => dir,
        }
    }
}

/// Everything imgaudit keeps of one layer after reading it once.
#[derive(Debug, Clone)]
pub struct LayerIndex {
    /// The compression detected from the blob's bytes.
    pub compression: Compression,
    /// The digest of the raw blob, computed with the algorithm the caller expects.
    pub blob_digest: Digest,
    pub blob_size: u64,
    /// The digest of the uncompressed tar stream, with the algorithm the caller asked for (that
    /// of the declared diff id); `None` when the caller chose not to hash a compressed layer's
    /// uncompressed stream.
    pub diff_id: Option<Digest>,
    pub uncompressed_size: u64,
    /// The layer's changes, in tar order (a later entry for the same path wins). A directory
    /// entry for the root itself (kaniko writes `./` or `/`) is an `Add` at the root path.
    pub changes: Vec<Change>,
    /// What reading tolerated that a reader may want to know (absolute names, symlinks that
    /// climb above the root), without the layer's number, which only the caller knows.
    pub notes: Vec<String>,
    /// The secrets found in the layer's files, when the capture rules asked for inspection.
    pub inspected: Option<Inspected>,
}

impl LayerIndex {
    /// Entries that add something (files, directories, links, devices).
    pub fn added_count(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| matches!(c, Change::Add { .. }))
            .count()
    }

    /// The bytes of the files captured in this layer, as charged to a [`Budget`].
    pub fn captured_bytes(&self) -> u64 {
        self.changes
            .iter()
            .map(|change| match change {
                Change::Add { entry, .. } => entry.content.as_ref().map_or(0, |c| c.len() as u64),
                Change::Whiteout { .. } | Change::Opaque { .. } => 0,
            })
            .sum()
    }

    /// Whiteouts and opaque markers.
    pub fn whiteout_count(&self) -> usize {
        self.changes.len() - self.added_count()
    }

    /// Roughly the bytes this index holds in memory, for memory budgets.
    pub fn approximate_size(&self) -> u64 {
        let per_change = std::mem::size_of::<Change>() as u64 + 16;
        self.changes
            .iter()
            .map(|change| {
                let extra = match change {
                    Change::Add { entry, .. } => {
                        entry.symlink_target.as_ref().map_or(0, Vec::len)
                            + entry
                                .hardlink_target
                                .as_ref()
                                .map_or(0, |p| p.as_bytes().len())
                            + entry.content.as_ref().map_or(0, |c| c.len())
                    }
                    Change::Whiteout { .. } | Change::Opaque { .. } => 0,
                };
                per_change + (change.path().as_bytes().len() + extra) as u64
            })
            .sum::<u64>()
            + self.notes.iter().map(|n| n.len() as u64).sum::<u64>()
            + self.inspected.as_ref().map_or(0, |inspected| {
                inspected
                    .hits
                    .iter()
                    .map(|h| 128 + h.path.as_bytes().len() as u64)
                    .chain(
                        inspected
                            .uninspected
                            .iter()
                            .map(|p| 32 + p.as_bytes().len() as u64),
                    )
                    .sum::<u64>()
            })
    }
}
