//! The cache directory: one file per key (layer indexes, trees of layer chains, documents, each
//! kind in its own directory), written atomically, checked when read, evicted
//! least-recently-used (the file's modification time is its last use) beyond a cap on all of
//! them together.
//!
//! Eviction needs the directory's size. Listing thousands of entries after every write made a
//! run of thousands of layers quadratic (2,500 layers: 8.5 s, three million `statx` calls), and
//! even one listing per run costs a large fleet cache a `statx` per entry on every audit. So the
//! size lives in a ledger beside the entries: each write appends the bytes it added (one short
//! `O_APPEND` line, which concurrent writers cannot tear), and a listing, made only once the
//! ledger says the cap is reached, replaces it with the total it found. The ledger may be off
//! (entries deleted by hand, a line lost to a concurrent rewrite): a listing corrects it, and
//! each process still lists after writing a sixteenth of the cap itself.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use imgaudit_fs::Filesystem;
use imgaudit_layer::LayerIndex;

use crate::codec::{self, Kind, Stamp};
use crate::{DerivedKey, LayerKey};

/// The default cap on the cache directory's entries.
pub const DEFAULT_MAX_SIZE: u64 = 2 << 30;
const TMP_DIR: &str = "tmp";
/// The size ledger (see the module's doc).
const LEDGER: &str = "usage-v1";
/// A ledger longer than this is replaced by its total.
const LEDGER_COMPACT_BYTES: usize = 4096;
/// A temporary file this old belongs to a writer that died.
const STALE_TMP: Duration = Duration::from_secs(3600);
/// Eviction goes below the cap by this fraction, so that the next writes do not evict again.
const EVICT_TO_PERCENT: u64 = 90;
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by imgaudit.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// A cache directory.
#[derive(Debug, Clone)]
pub struct DiskCache {
    root: PathBuf,
    max_size: u64,
    size: Arc<Mutex<SizeEstimate>>,
    /// How many times the directory was listed (the tests count them).
    listings: Arc<AtomicU64>,
}

/// What this process has written since it last listed the directory.
#[derive(Debug, Default)]
struct SizeEstimate {
    written_since: u64,
}

/// A process lists the directory again once it wrote this fraction of the cap, whatever the
/// ledger says (it may have lost lines).
const RELIST_FRACTION: u64 = 16;

/// Why the cache directory could not be used.
#[derive(Debug, thiserror::Error)]
#[error("the layer cache {}: cannot {action}: {source}", path.display())]
pub struct CacheError {
    pub path: PathBuf,
    pub action: &'static str,
    #[source]
    pub source: io::Error,
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> CacheError {
    let path = path.to_owned();
    move |source| CacheError {
        path,
        action,
        source,
    }
}

/// What looking a key up found.
#[derive(Debug)]
pub enum Lookup<T = LayerIndex> {
    Hit(T),
    Miss,
    /// An entry was there but damaged: it was deleted, and the reason is here.
    Damaged(String),
    /// An entry is there but cannot be opened (another user's, say): left alone.
    Unreadable(String),
}

/// What the directory holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CacheInfo {
    pub directory: PathBuf,
    pub max_size: u64,
    pub entries: u64,
    pub size: u64,
    /// Entries written by this imgaudit's layer reader (the others belong to other versions).
    pub current_entries: u64,
    /// Of the entries: layer indexes, trees of layer chains, documents (images' facts).
    pub layers: u64,
    pub trees: u64,
    pub documents: u64,
    /// Files that are not readable entries (damaged, or of another format).
    pub unreadable: u64,
    /// Seconds since the epoch of the least and most recent use.
    pub oldest_use: Option<u64>,
    pub newest_use: Option<u64>,
}

/// What `prune` removes, besides damaged entries and dead writers' temporary files.
#[derive(Debug, Clone, Default)]
pub struct Prune {
    /// Every entry.
    pub all: bool,
    /// Least recently used entries until the rest fit in this size (the cache's cap when
    /// `None`).
    pub max_size: Option<u64>,
    /// Entries not used for this long.
    pub unused_for: Option<Duration>,
}

/// What `prune` removed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Pruned {
    pub removed: u64,
    pub freed: u64,
    pub kept: u64,
    pub size: u64,
}

struct Listed {
    path: PathBuf,
    kind: Kind,
    size: u64,
    used: SystemTime,
}

impl DiskCache {
    /// The cache directory the XDG convention gives: `$XDG_CACHE_HOME/imgaudit` (when it is an
    /// absolute path), else `$HOME/.cache/imgaudit`.
    pub fn default_dir(xdg_cache_home: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
        match xdg_cache_home.filter(|d| d.starts_with('/')) {
            Some(dir) => Some(Path::new(dir).join("imgaudit")),
            None => home
                .filter(|h| !h.is_empty())
                .map(|home| Path::new(home).join(".cache").join("imgaudit")),
        }
    }

    /// Opens (creating it if needed) a cache directory.
    pub fn open(root: &Path, max_size: u64) -> Result<DiskCache, CacheError> {
        let cache = DiskCache {
            root: root.to_owned(),
            max_size,
            size: Arc::default(),
            listings: Arc::default(),
        };
        let dirs = codec::KINDS.iter().map(|kind| cache.kind_dir(*kind));
        for dir in dirs.chain([cache.tmp_dir()]) {
            fs::create_dir_all(&dir).map_err(io_error(&dir, "create the directory"))?;
        }
        let tag = root.join("CACHEDIR.TAG");
        if !tag.exists() {
            cache.write_atomically(&tag, CACHEDIR_TAG.as_bytes())?;
        }
        Ok(cache)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn kind_dir(&self, kind: Kind) -> PathBuf {
        self.root.join(kind.dir)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    fn ledger(&self) -> PathBuf {
        self.root.join(LEDGER)
    }

    /// Looks a layer's key up. A damaged entry (wrong checksum, cut short, another key's) is
    /// deleted.
    pub fn get(&self, key: &LayerKey) -> Lookup {
        self.lookup(codec::LAYER, key.file_name(), key.as_str(), codec::decode)
    }

    /// Stores a layer's index under its key, then evicts beyond the cap.
    pub fn put(&self, key: &LayerKey, index: &LayerIndex) -> Result<(), CacheError> {
        let bytes = codec::encode(&stamp(key.as_str()), index);
        self.store(codec::LAYER, key.file_name(), &bytes)
    }

    /// Looks up the tree assembled from a chain of layers.
    pub fn get_tree(&self, key: &DerivedKey) -> Lookup<Filesystem> {
        self.lookup(
            codec::TREE,
            key.file_name(),
            key.as_str(),
            codec::decode_tree,
        )
    }

    /// Stores the tree assembled from a chain of layers.
    pub fn put_tree(&self, key: &DerivedKey, tree: &Filesystem) -> Result<(), CacheError> {
        let bytes = codec::encode_tree(&stamp(key.as_str()), tree);
        self.store(codec::TREE, key.file_name(), &bytes)
    }

    /// Looks up a document derived from an image.
    pub fn get_document(&self, key: &DerivedKey) -> Lookup<Vec<u8>> {
        self.lookup(
            codec::DOCUMENT,
            key.file_name(),
            key.as_str(),
            codec::decode_document,
        )
    }

    /// Stores a document derived from an image (the caller's key names everything it depends
    /// on).
    pub fn put_document(&self, key: &DerivedKey, document: &[u8]) -> Result<(), CacheError> {
        let bytes = codec::encode_document(&stamp(key.as_str()), document);
        self.store(codec::DOCUMENT, key.file_name(), &bytes)
    }

    fn lookup<T>(
        &self,
        kind: Kind,
        file_name: &str,
        key: &str,
        decode: impl FnOnce(&[u8]) -> Result<(Stamp, T), codec::Damage>,
    ) -> Lookup<T> {
        let path = self.kind_dir(kind).join(file_name);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Unreadable(e.to_string()),
        };
        let mut bytes = Vec::new();
        if let Err(error) = file.read_to_end(&mut bytes) {
            return Lookup::Damaged(format!("cannot be read: {error}"));
        }
        if codec::is_other_version(kind, &bytes) {
            // Another imgaudit's layout under the same name: replaced without a word.
            let _ = fs::remove_file(&path);
            return Lookup::Miss;
        }
        let decoded = decode(&bytes).and_then(|(stamp, value)| {
            if stamp.key == key && stamp.reader_version == imgaudit_layer::READER_VERSION {
                Ok(value)
            } else {
                Err(codec::Damage(format!(
                    "it holds another key ({})",
                    stamp.key
                )))
            }
        });
        match decoded {
            Ok(value) => {
                // Its last use, for eviction; a read-only cache just forgets the order.
                let _ = file.set_modified(SystemTime::now());
                Lookup::Hit(value)
            }
            Err(damage) => {
                let _ = fs::remove_file(&path);
                Lookup::Damaged(damage.0)
            }
        }
    }

    /// Writes an entry, adds its size to the ledger, and evicts when the ledger (or this
    /// process's own writes) says the cap may be reached.
    fn store(&self, kind: Kind, file_name: &str, bytes: &[u8]) -> Result<(), CacheError> {
        let path = self.kind_dir(kind).join(file_name);
        self.write_atomically(&path, bytes)?;
        let written = bytes.len() as u64;
        let mut size = self.size.lock().unwrap_or_else(PoisonError::into_inner);
        size.written_since = size.written_since.saturating_add(written);
        let ledger = self.append_to_ledger(written);
        let must_list = match ledger {
            Some(total) => total > self.max_size,
            None => true,
        } || size.written_since > self.max_size / RELIST_FRACTION;
        if must_list {
            self.evict(self.max_size, Some(&path))?;
            size.written_since = 0;
        }
        Ok(())
    }

    /// Appends `written` to the ledger and returns the total it then holds; `None` when there is
    /// no usable ledger (never listed, damaged, unwritable): the caller lists.
    fn append_to_ledger(&self, written: u64) -> Option<u64> {
        let path = self.ledger();
        let mut file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&path)
            .ok()?;
        // One write of a short line: appends from concurrent processes never interleave.
        file.write_all(format!("+{written}\n").as_bytes()).ok()?;
        let mut text = String::new();
        File::open(&path).ok()?.read_to_string(&mut text).ok()?;
        let total = ledger_total(&text)?;
        // Reading it stays cheap: past a few hundred lines, one total replaces them.
        if text.len() > LEDGER_COMPACT_BYTES {
            self.reset_ledger(total);
        }
        Some(total)
    }

    /// Replaces the ledger with the total a listing found.
    fn reset_ledger(&self, total: u64) {
        // Without a ledger, the next write lists: that is all a failure here costs.
        if self
            .write_atomically(&self.ledger(), format!("={total}\n").as_bytes())
            .is_err()
        {
            let _ = fs::remove_file(self.ledger());
        }
    }

    /// Writes a temporary file and renames it into place: a reader sees all of it or nothing,
    /// and two writers of the same key leave one whole file.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        let tmp_dir = self.tmp_dir();
        // Readable by all (the umask permitting), as caches are: runs as other users that share
        // the directory can use the entry, and only its owner can replace it.
        let mut tmp = tempfile::Builder::new()
            .prefix("entry-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .tempfile_in(&tmp_dir)
            .map_err(io_error(&tmp_dir, "create a temporary file"))?;
        tmp.write_all(bytes)
            .map_err(io_error(tmp.path(), "write a temporary file"))?;
        tmp.persist(path)
            .map_err(|e| io_error(path, "move an entry into place")(e.error))?;
        Ok(())
    }

    fn list(&self) -> Result<Vec<Listed>, CacheError> {
        self.listings.fetch_add(1, Ordering::Relaxed);
        let mut listed = Vec::new();
        for kind in codec::KINDS {
            let dir = self.kind_dir(kind);
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error(&dir, "list the directory")(e)),
            };
            for entry in entries {
                let entry = entry.map_err(io_error(&dir, "list the directory"))?;
                // Gone in the meantime (another process evicted it): not ours to count.
                let Ok(meta) = entry.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                listed.push(Listed {
                    path: entry.path(),
                    kind,
                    size: meta.len(),
                    used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                });
            }
        }
        Ok(listed)
    }

    /// Deletes least recently used entries until the rest fit under the cap (with some room),
    /// keeping `keep` (the entry just written).
    fn evict(&self, cap: u64, keep: Option<&Path>) -> Result<Pruned, CacheError> {
        let mut listed = self.list()?;
        let mut total: u64 = listed.iter().map(|l| l.size).sum();
        let mut pruned = Pruned::default();
        if total > cap {
            let target = u64::try_from(u128::from(cap) * u128::from(EVICT_TO_PERCENT) / 100)
                .expect("a fraction of a u64");
            listed.sort_by_key(|l| l.used);
            for entry in &listed {
                if total <= target {
                    break;
                }
                if Some(entry.path.as_path()) == keep {
                    continue;
                }
                if fs::remove_file(&entry.path).is_ok() {
                    total -= entry.size;
                    pruned.removed += 1;
                    pruned.freed += entry.size;
                }
            }
        }
        pruned.kept = listed.len() as u64 - pruned.removed;
        pruned.size = total;
        self.reset_ledger(total);
        Ok(pruned)
    }

    /// What the directory holds. Entries are identified from their first bytes; their
    /// checksums are checked only when they are used.
    pub fn info(&self) -> Result<CacheInfo, CacheError> {
        let listed = self.list()?;
        let mut info = CacheInfo {
            directory: self.root.clone(),
            max_size: self.max_size,
            entries: listed.len() as u64,
            size: listed.iter().map(|l| l.size).sum(),
            current_entries: 0,
            layers: 0,
            trees: 0,
            documents: 0,
            unreadable: 0,
            oldest_use: None,
            newest_use: None,
        };
        for entry in &listed {
            match entry.kind {
                codec::TREE => info.trees += 1,
                codec::DOCUMENT => info.documents += 1,
                _ => info.layers += 1,
            }
            match peek(entry.kind, &entry.path) {
                Some(stamp) if stamp.reader_version == imgaudit_layer::READER_VERSION => {
                    info.current_entries += 1;
                }
                Some(_) => {}
                None => info.unreadable += 1,
            }
            let used = seconds(entry.used);
            info.oldest_use = Some(info.oldest_use.map_or(used, |o| o.min(used)));
            info.newest_use = Some(info.newest_use.map_or(used, |n| n.max(used)));
        }
        Ok(info)
    }

    /// Removes unreadable entries, dead writers' temporary files, and what `prune` asks for.
    pub fn prune(&self, prune: &Prune) -> Result<Pruned, CacheError> {
        let now = SystemTime::now();
        let tmp_dir = self.tmp_dir();
        if let Ok(entries) = fs::read_dir(&tmp_dir) {
            for entry in entries.flatten() {
                let stale = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| now.duration_since(m).unwrap_or_default() > STALE_TMP);
                if stale || prune.all {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        let mut removed = Pruned::default();
        for entry in self.list()? {
            let unused = now.duration_since(entry.used).unwrap_or_default();
            let remove = prune.all
                || prune.unused_for.is_some_and(|limit| unused > limit)
                || peek(entry.kind, &entry.path).is_none();
            if remove && fs::remove_file(&entry.path).is_ok() {
                removed.removed += 1;
                removed.freed += entry.size;
            }
        }
        let evicted = self.evict(prune.max_size.unwrap_or(self.max_size), None)?;
        *self.size.lock().unwrap_or_else(PoisonError::into_inner) = SizeEstimate::default();
        Ok(Pruned {
            removed: removed.removed + evicted.removed,
            freed: removed.freed + evicted.freed,
            kept: evicted.kept,
            size: evicted.size,
        })
    }
}

/// The stamp at the start of an entry file, when it looks like one of its kind.
fn peek(kind: Kind, path: &Path) -> Option<Stamp> {
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    codec::peek_stamp(kind, &head).ok()
}

fn stamp(key: &str) -> Stamp {
    Stamp {
        key: key.to_owned(),
        reader_version: imgaudit_layer::READER_VERSION.to_owned(),
    }
}

/// The total a ledger's text gives: its last `=TOTAL` line (a listing's) plus every `+BYTES`
/// line after it. `None` when a line is not one of those, or no listing is recorded.
fn ledger_total(text: &str) -> Option<u64> {
    let mut total: Option<u64> = None;
    for line in text.lines() {
        if let Some(listed) = line.strip_prefix('=') {
            total = Some(listed.parse().ok()?);
        } else if let Some(added) = line.strip_prefix('+') {
            total = Some(total?.saturating_add(added.parse().ok()?));
        } else {
            return None;
        }
    }
    total
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use imgaudit_digest::{Algorithm, Digest};
    use imgaudit_layer::{Budget, CaptureRules, ReadOptions, read_layer};
    use imgaudit_testkit::LayerBuilder;

    use super::*;

    fn entry(seed: usize) -> (LayerKey, LayerIndex) {
        let blob = LayerBuilder::new()
            .file("etc/seed", seed.to_string().as_bytes())
            .finish();
        let index = read_layer(
            blob.as_slice(),
            &ReadOptions {
                capture: &CaptureRules::none(),
                budget: &Budget::default(),
                blob_algorithm: Algorithm::Sha256,
                diff_id_algorithm: Algorithm::Sha256,
                hash_uncompressed: true,
            },
        )
        .unwrap();
        let diff_id = Digest::of_bytes(Algorithm::Sha256, &blob);
        (LayerKey::new(None, &diff_id, &CaptureRules::none()), index)
    }

    #[test]
    fn writes_list_the_directory_only_when_the_cap_may_be_reached() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
        for seed in 0..200 {
            let (key, index) = entry(seed);
            cache.put(&key, &index).unwrap();
        }
        // The first write lists what was there; far from the cap, no other write does.
        assert_eq!(cache.listings.load(Ordering::Relaxed), 1);

        let one = cache.info().unwrap().size / 200;
        let small = DiskCache::open(dir.path(), one * 220).unwrap();
        for seed in 200..260 {
            let (key, index) = entry(seed);
            small.put(&key, &index).unwrap();
        }
        // Past the cap, writes list and evict again, and the directory stays under it.
        assert!(small.listings.load(Ordering::Relaxed) > 1);
        assert!(small.info().unwrap().size <= one * 220);
    }

    #[test]
    fn another_process_writing_to_a_cache_far_from_its_cap_never_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = DiskCache::open(dir.path(), 1 << 30).unwrap();
        let (key, index) = entry(0);
        first.put(&key, &index).unwrap();
        assert_eq!(first.listings.load(Ordering::Relaxed), 1, "no ledger yet");
        // Each later run is a new process with a new handle: the ledger spares it a listing of
        // the whole directory, which a large fleet cache would pay on every audit.
        for seed in 1..400 {
            let run = DiskCache::open(dir.path(), 1 << 30).unwrap();
            let (key, index) = entry(seed);
            run.put(&key, &index).unwrap();
            assert_eq!(run.listings.load(Ordering::Relaxed), 0, "run {seed} listed");
        }
        // The ledger was compacted along the way and still adds up to what is there.
        let text = fs::read_to_string(dir.path().join(LEDGER)).unwrap();
        assert!(
            text.len() <= LEDGER_COMPACT_BYTES + 64,
            "{} bytes",
            text.len()
        );
        assert_eq!(ledger_total(&text), Some(first.info().unwrap().size));
    }

    #[test]
    fn a_missing_or_damaged_ledger_makes_the_next_write_list() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 1 << 30).unwrap();
        let (key, index) = entry(0);
        cache.put(&key, &index).unwrap();
        for damage in ["", "+12\n", "=12\nforty\n", "=-3\n"] {
            fs::write(dir.path().join(LEDGER), damage).unwrap();
            let run = DiskCache::open(dir.path(), 1 << 30).unwrap();
            let (key, index) = entry(1);
            run.put(&key, &index).unwrap();
            assert_eq!(run.listings.load(Ordering::Relaxed), 1, "ledger {damage:?}");
            let text = fs::read_to_string(dir.path().join(LEDGER)).unwrap();
            assert_eq!(ledger_total(&text), Some(run.info().unwrap().size));
        }
        assert_eq!(ledger_total("=10\n+5\n=7\n+1\n"), Some(8));
    }
}
