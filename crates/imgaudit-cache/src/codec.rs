//! The binary form of one cached layer index.
//!
//! A file is a fixed header (magic, format version, payload length, SHA-256 of the payload)
//! followed by the payload. Reading checks all four before decoding, and decoding checks every
//! length against what is left, every enum tag, and every path (re-normalized: a cached path
//! that is not what the layer reader would have produced is damage). Integers are little-endian.

use std::sync::Arc;

use imgaudit_digest::{Algorithm, Digest};
use imgaudit_layer::{
    Category, Change, Compression, ContentHit, Detector, Entry, EntryKind, FileHit, Fingerprint,
    ImagePath, Inspected, LayerIndex,
};

pub(crate) const MAGIC: &[u8; 16] = b"imgaudit-layer\0\0";
/// Bumped when the layout below changes; older files are then damaged in the eyes of a reader.
pub(crate) const FORMAT_VERSION: u32 = 3;
pub(crate) const HEADER_LEN: usize = 16 + 4 + 8 + 32;

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
    w.str(&stamp.key);
    w.str(&stamp.reader_version);
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
    let mut file = Vec::with_capacity(HEADER_LEN + payload.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&sha256(&payload));
    file.extend_from_slice(&payload);
    file
}

/// Checks a whole file and decodes it.
pub(crate) fn decode(file: &[u8]) -> Result<(Stamp, LayerIndex), Damage> {
    let payload = checked_payload(file)?;
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
    if !r.0.is_empty() {
        return Err(damage(format!("{} bytes after the last note", r.0.len())));
    }
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
pub(crate) fn peek_stamp(head: &[u8]) -> Result<Stamp, Damage> {
    check_header(head)?;
    read_stamp(&mut Reader(&head[HEADER_LEN..]))
}

fn read_stamp(r: &mut Reader<'_>) -> Result<Stamp, Damage> {
    Ok(Stamp {
        key: r.string()?,
        reader_version: r.string()?,
    })
}

fn check_header(file: &[u8]) -> Result<u64, Damage> {
    if file.len() < HEADER_LEN {
        return Err(damage(format!(
            "{} bytes, shorter than a header",
            file.len()
        )));
    }
    if &file[..16] != MAGIC {
        return Err(damage("not an imgaudit layer cache file"));
    }
    let version = u32::from_le_bytes(file[16..20].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(damage(format!(
            "format version {version}, this imgaudit reads {FORMAT_VERSION}"
        )));
    }
    Ok(u64::from_le_bytes(
        file[20..28].try_into().expect("8 bytes"),
    ))
}

fn checked_payload(file: &[u8]) -> Result<&[u8], Damage> {
    let length = check_header(file)?;
    let payload = &file[HEADER_LEN..];
    if payload.len() as u64 != length {
        return Err(damage(format!(
            "the header declares {length} bytes of payload, the file holds {}",
            payload.len()
        )));
    }
    if sha256(payload) != file[28..60] {
        return Err(damage("the payload does not match its checksum"));
    }
    Ok(payload)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = Digest::of_bytes(Algorithm::Sha256, bytes);
    let mut out = [0; 32];
    hex::decode_to_slice(digest.hex(), &mut out).expect("a SHA-256 digest is 64 hex digits");
    out
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
    fn entry(&mut self, e: &Entry) {
        self.u8(match e.kind {
            EntryKind::File => 0,
            EntryKind::Dir => 1,
            EntryKind::Symlink => 2,
            EntryKind::Hardlink => 3,
            EntryKind::CharDevice => 4,
            EntryKind::BlockDevice => 5,
            EntryKind::Fifo => 6,
        });
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
        let raw = self.bytes()?;
        match ImagePath::from_tar_name(raw) {
            // The root is the empty path: a root directory entry, a top-level opaque marker.
            Ok(path) if path.as_bytes() == raw => Ok(path),
            _ => Err(damage("a path is not one the layer reader produces")),
        }
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
    fn entry(&mut self) -> Result<Entry, Damage> {
        let kind = match self.u8()? {
            0 => EntryKind::File,
            1 => EntryKind::Dir,
            2 => EntryKind::Symlink,
            3 => EntryKind::Hardlink,
            4 => EntryKind::CharDevice,
            5 => EntryKind::BlockDevice,
            6 => EntryKind::Fifo,
            tag => return Err(damage(format!("unknown entry kind {tag}"))),
        };
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
