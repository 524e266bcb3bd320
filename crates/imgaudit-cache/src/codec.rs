//! The binary form of cache entries: one layer index, one assembled tree, or one opaque
//! document.
//!
//! A file is a fixed header (the kind's magic, format version, payload length, XXH3-64 of the
//! payload) followed by the payload, which starts with the entry's stamp (its key text and
//! version). Reading checks all four before decoding, and decoding checks every length against
//! what is left, every enum tag, and every path (re-normalized: a cached path that is not what
//! the layer reader would have produced is damage). Integers are little-endian.
//!
//! The checksum is there to catch a file damaged on disk or cut short, not a forger: whoever can
//! write the cache directory can write any checksum. XXH3 finds such damage as surely as
//! SHA-256 did (a 64-bit check) at a small fraction of its cost, which on a warm run was a
//! fixed 3–12 ms per gigabyte of image (SHA extensions or not).

use std::sync::Arc;

use imgaudit_digest::Digest;
use imgaudit_layer::{
    Category, Change, Compression, ContentHit, Detector, Entry, EntryKind, FileHit, Fingerprint,
    ImagePath, Inspected, LayerIndex,
};

/// What a file holds: its magic and the layout version of its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    pub(crate) magic: &'static [u8; 16],
    /// Bumped when the layout changes; older files are then damaged in the eyes of a reader.
    pub(crate) version: u32,
    /// The directory below the cache root its entries live in.
    pub(crate) dir: &'static str,
}

/// A layer's index ([`LayerIndex`]).
pub(crate) const LAYER: Kind = Kind {
    magic: b"imgaudit-layer\0\0",
    version: 4,
    dir: "layers-v1",
};
/// The tree assembled from a chain of layers ([`imgaudit_fs::Filesystem`]).
pub(crate) const TREE: Kind = Kind {
    magic: b"imgaudit-tree\0\0\0",
    version: 1,
    dir: "trees-v1",
};
/// Bytes a caller computed from an image (the facts of an audit).
pub(crate) const DOCUMENT: Kind = Kind {
    magic: b"imgaudit-doc\0\0\0\0",
    version: 1,
    dir: "documents-v1",
};
pub(crate) const KINDS: [Kind; 3] = [LAYER, TREE, DOCUMENT];
pub(crate) const HEADER_LEN: usize = 16 + 4 + 8 + 8;

/// What a cache file says it is, before its changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The key text the file was stored under (see [`crate::LayerKey`]).
    pub(crate) key: String,
    pub(crate) reader_version: String,
}

/// Why bytes are not a cache entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Damage(pub(crate) String);

fn damage(what: impl Into<String>) -> Damage {
    Damage(what.into())
}

/// The whole file for an index.
pub(crate) fn encode(stamp: &Stamp, index: &LayerIndex) -> Vec<u8> {
    let mut payload = Vec::with_capacity(64 + index.changes.len() * 96);
    let mut w = Writer(&mut payload);
    w.stamp(stamp);
    w.u8(match index.compression {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Zstd => 2,
    });
    w.str(&index.blob_digest.to_string());
    w.u64(index.blob_size);
    w.opt(index.diff_id.as_ref(), |w, d| w.str(&d.to_string()));
    w.u64(index.uncompressed_size);
    w.u64(index.changes.len() as u64);
    for change in &index.changes {
        match change {
            Change::Add { path, entry } => {
                w.u8(0);
                w.bytes(path.as_bytes());
                w.entry(entry);
            }
            Change::Whiteout { path } => {
                w.u8(1);
                w.bytes(path.as_bytes());
            }
            Change::Opaque { dir } => {
                w.u8(2);
                w.bytes(dir.as_bytes());
            }
        }
    }
    w.u64(index.notes.len() as u64);
    for note in &index.notes {
        w.str(note);
    }
    w.opt(index.inspected.as_ref(), Writer::inspected);
    frame(LAYER, &payload)
}

/// The header of `kind` and its checksum before `payload`.
fn frame(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(HEADER_LEN + payload.len());
    file.extend_from_slice(kind.magic);
    file.extend_from_slice(&kind.version.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&checksum(payload).to_le_bytes());
    file.extend_from_slice(payload);
    file
}

/// The whole file for a document.
pub(crate) fn encode_document(stamp: &Stamp, document: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(64 + stamp.key.len() + document.len());
    let mut w = Writer(&mut payload);
    w.stamp(stamp);
    w.bytes(document);
    frame(DOCUMENT, &payload)
}

/// Checks a whole document file and decodes it.
pub(crate) fn decode_document(file: &[u8]) -> Result<(Stamp, Vec<u8>), Damage> {
    let mut r = Reader(checked_payload(DOCUMENT, file)?);
    let stamp = read_stamp(&mut r)?;
    let document = r.bytes()?.to_vec();
    r.end()?;
    Ok((stamp, document))
}

/// The whole file for an assembled tree.
pub(crate) fn encode_tree(stamp: &Stamp, tree: &imgaudit_fs::Filesystem) -> Vec<u8> {
    let mut payload = Vec::with_capacity(64 + tree.len() * 96);
    let mut w = Writer(&mut payload);
    w.stamp(stamp);
    w.node(tree.root());
    w.u64(tree.len() as u64);
    for (path, node) in tree.iter() {
        w.bytes(path.as_bytes());
        w.node(node);
    }
    let removed: Vec<_> = tree.removed().collect();
    w.u64(removed.len() as u64);
    for (path, removal) in removed {
        w.bytes(path.as_bytes());
        w.u64(removal.layer as u64);
        w.u8(match removal.cause {
            imgaudit_fs::RemovalCause::Whiteout => 0,
            imgaudit_fs::RemovalCause::OpaqueDirectory => 1,
            imgaudit_fs::RemovalCause::ReplacedParent => 2,
        });
        w.u64(removal.written_by as u64);
        w.u8(kind_tag(removal.kind));
    }
    w.u64(tree.notes().len() as u64);
    for note in tree.notes() {
        w.str(note);
    }
    frame(TREE, &payload)
}

/// Checks a whole tree file and decodes it; the tree's own checks (every node's parent a
/// directory, paths in order) are [`imgaudit_fs::Filesystem::from_parts`]'s.
pub(crate) fn decode_tree(file: &[u8]) -> Result<(Stamp, imgaudit_fs::Filesystem), Damage> {
    let mut r = Reader(checked_payload(TREE, file)?);
    let stamp = read_stamp(&mut r)?;
    let root = r.node()?;
    let count = r.count(2)?;
    let mut nodes = Vec::with_capacity(count);
    for _ in 0..count {
        let path = r.path()?;
        nodes.push((path, r.node()?));
    }
    let count = r.count(2)?;
    let mut removed = Vec::with_capacity(count);
    for _ in 0..count {
        let path = r.path()?;
        let layer = r.index()?;
        let cause = match r.u8()? {
            0 => imgaudit_fs::RemovalCause::Whiteout,
            1 => imgaudit_fs::RemovalCause::OpaqueDirectory,
            2 => imgaudit_fs::RemovalCause::ReplacedParent,
            tag => return Err(damage(format!("unknown removal cause {tag}"))),
        };
        let written_by = r.index()?;
        let kind = kind_of(r.u8()?)?;
        removed.push((
            path,
            imgaudit_fs::Removal {
                layer,
                cause,
                written_by,
                kind,
            },
        ));
    }
    let notes = r.notes()?;
    r.end()?;
    let tree = imgaudit_fs::Filesystem::from_parts(root, nodes, removed, notes)
        .map_err(|problem| damage(format!("not a tree: {problem}")))?;
    Ok((stamp, tree))
}

/// Checks a whole file and decodes it.
pub(crate) fn decode(file: &[u8]) -> Result<(Stamp, LayerIndex), Damage> {
    let payload = checked_payload(LAYER, file)?;
    let mut r = Reader(payload);
    let stamp = read_stamp(&mut r)?;
    let compression = match r.u8()? {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Zstd,
        tag => return Err(damage(format!("unknown compression tag {tag}"))),
    };
    let blob_digest = r.digest()?;
    let blob_size = r.u64()?;
    let diff_id = r.opt(Reader::digest)?;
    let uncompressed_size = r.u64()?;
    let count = r.u64()?;
    // Every change takes at least two bytes: a count beyond that is damage, not an allocation.
    if count > (r.0.len() / 2) as u64 {
        return Err(damage(format!(
            "{count} changes cannot fit in what is left"
        )));
    }
    let mut changes = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        let tag = r.u8()?;
        let path = r.path()?;
        changes.push(match tag {
            0 => {
                let entry = r.entry()?;
                // The reader gives the root an entry only for a directory (kaniko's `./`).
                if path.is_root() && entry.kind != EntryKind::Dir {
                    return Err(damage("an entry for the root that is not a directory"));
                }
                Change::Add { path, entry }
            }
            1 if path.is_root() => return Err(damage("a whiteout of the root")),
            1 => Change::Whiteout { path },
            2 => Change::Opaque { dir: path },
            tag => return Err(damage(format!("unknown change tag {tag}"))),
        });
    }
    let notes = r.notes()?;
    let inspected = r.opt(Reader::inspected)?;
    r.end()?;
    Ok((
        stamp,
        LayerIndex {
            compression,
            blob_digest,
            blob_size,
            diff_id,
            uncompressed_size,
            changes,
            notes,
            inspected,
        },
    ))
}

/// Reads only the stamp, from a file's first bytes (for `cache info`): the checksum is not
/// checked, so this never decides whether an entry is used.
pub(crate) fn peek_stamp(kind: Kind, head: &[u8]) -> Result<Stamp, Damage> {
    check_header(kind, head)?;
    read_stamp(&mut Reader(&head[HEADER_LEN..]))
}

fn read_stamp(r: &mut Reader<'_>) -> Result<Stamp, Damage> {
    Ok(Stamp {
        key: r.string()?,
        reader_version: r.string()?,
    })
}

/// Whether `file` is an entry of `kind` written in another format version (by another imgaudit):
/// not damage, just not this version's to read.
pub(crate) fn is_other_version(kind: Kind, file: &[u8]) -> bool {
    file.len() >= 20
        && &file[..16] == kind.magic
        && u32::from_le_bytes(file[16..20].try_into().expect("4 bytes")) != kind.version
}

fn check_header(kind: Kind, file: &[u8]) -> Result<u64, Damage> {
    if file.len() < HEADER_LEN {
        return Err(damage(format!(
            "{} bytes, shorter than a header",
            file.len()
        )));
    }
    if &file[..16] != kind.magic {
        return Err(damage(format!(
            "not an imgaudit cache file of this kind ({})",
            kind.dir
        )));
    }
    let version = u32::from_le_bytes(file[16..20].try_into().expect("4 bytes"));
    if version != kind.version {
        return Err(damage(format!(
            "format version {version}, this imgaudit reads {}",
            kind.version
        )));
    }
    Ok(u64::from_le_bytes(
        file[20..28].try_into().expect("8 bytes"),
    ))
}

fn checked_payload(kind: Kind, file: &[u8]) -> Result<&[u8], Damage> {
    let length = check_header(kind, file)?;
    let payload = &file[HEADER_LEN..];
    if payload.len() as u64 != length {
        return Err(damage(format!(
            "the header declares {length} bytes of payload, the file holds {}",
            payload.len()
        )));
    }
    let stored = u64::from_le_bytes(file[28..36].try_into().expect("8 bytes"));
    if checksum(payload) != stored {
        return Err(damage("the payload does not match its checksum"));
    }
    Ok(payload)
}

fn checksum(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

fn kind_tag(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::File => 0,
        EntryKind::Dir => 1,
        EntryKind::Symlink => 2,
        EntryKind::Hardlink => 3,
        EntryKind::CharDevice => 4,
        EntryKind::BlockDevice => 5,
        EntryKind::Fifo => 6,
    }
}

fn kind_of(tag: u8) -> Result<EntryKind, Damage> {
    Ok(match tag {
        0 => EntryKind::File,
        1 => EntryKind::Dir,
        2 => EntryKind::Symlink,
        3 => EntryKind::Hardlink,
        4 => EntryKind::CharDevice,
        5 => EntryKind::BlockDevice,
        6 => EntryKind::Fifo,
        tag => return Err(damage(format!("unknown entry kind {tag}"))),
    })
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.0.extend_from_slice(v);
    }
    fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    fn opt<T>(&mut self, v: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                write(self, v);
            }
        }
    }
    fn stamp(&mut self, stamp: &Stamp) {
        self.str(&stamp.key);
        self.str(&stamp.reader_version);
    }
    fn node(&mut self, node: &imgaudit_fs::Node) {
        self.entry(&node.entry);
        self.u64(node.layer as u64);
        self.u8(u8::from(node.implicit));
    }
    fn entry(&mut self, e: &Entry) {
        self.u8(kind_tag(e.kind));
        self.u32(e.mode);
        self.u64(e.uid);
        self.u64(e.gid);
        self.u64(e.size);
        self.u64(e.mtime);
        self.opt(e.symlink_target.as_deref(), Self::bytes);
        self.opt(e.hardlink_target.as_ref(), |w, p| w.bytes(p.as_bytes()));
        self.opt(e.device, |w, (major, minor)| {
            w.u32(major);
            w.u32(minor);
        });
        self.opt(e.content.as_deref(), Self::bytes);
    }
    fn inspected(&mut self, inspected: &Inspected) {
        self.u64(inspected.hits.len() as u64);
        for found in &inspected.hits {
            self.bytes(found.path.as_bytes());
            self.str(found.hit.detector.id());
            self.str(found.hit.category.id());
            self.u32(found.hit.line);
            self.str(&found.hit.shown.prefix);
            self.u64(found.hit.shown.length as u64);
            self.str(&found.hit.shown.hash);
            self.u8(u8::from(found.fixture));
        }
        self.u64(inspected.uninspected.len() as u64);
        for path in &inspected.uninspected {
            self.bytes(path.as_bytes());
        }
        self.u64(inspected.uninspected_count);
        self.u64(inspected.inspected_bytes);
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Damage> {
        if self.0.len() < n {
            return Err(damage("the payload ends in the middle of a field"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, Damage> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, Damage> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, Damage> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn bytes(&mut self) -> Result<&'a [u8], Damage> {
        let len = self.u64()?;
        match usize::try_from(len) {
            Ok(len) => self.take(len),
            Err(_) => Err(damage(format!("a field of {len} bytes"))),
        }
    }
    fn string(&mut self) -> Result<String, Damage> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| damage("a text field is not UTF-8"))
    }
    fn digest(&mut self) -> Result<Digest, Damage> {
        let text = self.string()?;
        text.parse()
            .map_err(|_| damage(format!("`{text}` is not a digest")))
    }
    fn path(&mut self) -> Result<ImagePath, Damage> {
        // The root is the empty path: a root directory entry, a top-level opaque marker.
        ImagePath::from_normalized(self.bytes()?)
            .ok_or_else(|| damage("a path is not one the layer reader produces"))
    }
    fn notes(&mut self) -> Result<Vec<String>, Damage> {
        let count = self.u64()?;
        // Every note takes at least its eight-byte length.
        if count > (self.0.len() / 8) as u64 {
            return Err(damage(format!("{count} notes cannot fit in what is left")));
        }
        (0..count).map(|_| self.string()).collect()
    }
    fn inspected(&mut self) -> Result<Inspected, Damage> {
        let count = self.u64()?;
        // Every hit takes well over eight bytes.
        if count > (self.0.len() / 8) as u64 {
            return Err(damage(format!("{count} hits cannot fit in what is left")));
        }
        let mut hits = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for _ in 0..count {
            let path = self.path()?;
            let detector = self.string()?;
            let detector = Detector::from_id(&detector)
                .ok_or_else(|| damage(format!("unknown detector `{detector}`")))?;
            let category = self.string()?;
            let category = Category::from_id(&category)
                .ok_or_else(|| damage(format!("unknown category `{category}`")))?;
            let line = self.u32()?;
            let prefix = self.string()?;
            let length = usize::try_from(self.u64()?)
                .map_err(|_| damage("a secret's length does not fit"))?;
            let hash = self.string()?;
            let fixture = match self.u8()? {
                0 => false,
                1 => true,
                tag => return Err(damage(format!("unknown fixture tag {tag}"))),
            };
            hits.push(ContentHit {
                path,
                hit: FileHit {
                    detector,
                    category,
                    line,
                    shown: Fingerprint {
                        prefix,
                        length,
                        hash,
                    },
                },
                fixture,
            });
        }
        let listed = self.u64()?;
        if listed > (self.0.len() / 8) as u64 {
            return Err(damage(format!("{listed} paths cannot fit in what is left")));
        }
        let uninspected = (0..listed)
            .map(|_| self.path())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Inspected {
            hits,
            uninspected,
            uninspected_count: self.u64()?,
            inspected_bytes: self.u64()?,
        })
    }
    fn opt<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Damage>,
    ) -> Result<Option<T>, Damage> {
        match self.u8()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            tag => Err(damage(format!("unknown option tag {tag}"))),
        }
    }
    fn end(&self) -> Result<(), Damage> {
        match self.0.len() {
            0 => Ok(()),
            left => Err(damage(format!("{left} bytes after the last field"))),
        }
    }
    /// A count of items taking at least `min_size` bytes each: one beyond what is left is
    /// damage, not an allocation.
    fn count(&mut self, min_size: usize) -> Result<usize, Damage> {
        let count = self.u64()?;
        match usize::try_from(count) {
            Ok(count) if count <= self.0.len() / min_size => Ok(count),
            _ => Err(damage(format!("{count} items cannot fit in what is left"))),
        }
    }
    fn index(&mut self) -> Result<usize, Damage> {
        let value = self.u64()?;
        usize::try_from(value).map_err(|_| damage(format!("index {value} does not fit")))
    }
    fn node(&mut self) -> Result<imgaudit_fs::Node, Damage> {
        let entry = self.entry()?;
        let layer = self.index()?;
        let implicit = match self.u8()? {
            0 => false,
            1 => true,
            tag => return Err(damage(format!("unknown implicit tag {tag}"))),
        };
        Ok(imgaudit_fs::Node {
            entry,
            layer,
            implicit,
        })
    }
    fn entry(&mut self) -> Result<Entry, Damage> {
        let kind = kind_of(self.u8()?)?;
        let mode = self.u32()?;
        let uid = self.u64()?;
        let gid = self.u64()?;
        let size = self.u64()?;
        let mtime = self.u64()?;
        let symlink_target = self.opt(|r| r.bytes().map(<[u8]>::to_vec))?;
        let hardlink_target = self.opt(Reader::path)?;
        let device = self.opt(|r| Ok((r.u32()?, r.u32()?)))?;
        let content = self.opt(|r| r.bytes().map(Arc::<[u8]>::from))?;
        if mode > 0o7777 {
            return Err(damage(format!(
                "mode {mode:o} has more than permission bits"
            )));
        }
        Ok(Entry {
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
        })
    }
}
