//! The cache directory: one file per layer key, written atomically, checked when read, evicted
//! least-recently-used (the file's modification time is its last use).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use imgaudit_layer::LayerIndex;

use crate::LayerKey;
use crate::codec::{self, Stamp};

/// The default cap on the cache directory's layer entries.
pub const DEFAULT_MAX_SIZE: u64 = 2 << 30;
/// Entries live here, below the cache root, so that other things under the same root (and
/// other versions' layouts) are never touched.
const LAYERS_DIR: &str = "layers-v1";
const TMP_DIR: &str = "tmp";
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

/// What this process knows of the directory's size: its total when last listed, and what it
/// has written since. Eviction lists the directory only when that may have reached the cap (or
/// when enough was written that other processes sharing the directory may have filled it): a
/// listing after every write made a run of thousands of layers quadratic (2,500 layers: 8.5 s,
/// three million `statx` calls).
#[derive(Debug, Default)]
struct SizeEstimate {
    listed: Option<u64>,
    written_since: u64,
}

/// Another process may have written this fraction of the cap since the last listing.
const RELIST_FRACTION: u64 = 16;

impl SizeEstimate {
    fn must_list(&self, cap: u64) -> bool {
        match self.listed {
            None => true,
            Some(listed) => {
                listed.saturating_add(self.written_since) > cap
                    || self.written_since > cap / RELIST_FRACTION
            }
        }
    }
}

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
pub enum Lookup {
    Hit(LayerIndex),
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
        for dir in [cache.layers_dir(), cache.tmp_dir()] {
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

    fn layers_dir(&self) -> PathBuf {
        self.root.join(LAYERS_DIR)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    fn entry_path(&self, key: &LayerKey) -> PathBuf {
        self.layers_dir().join(key.file_name())
    }

    /// Looks a key up. A damaged entry (wrong checksum, cut short, another key's) is deleted.
    pub fn get(&self, key: &LayerKey) -> Lookup {
        let path = self.entry_path(key);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Unreadable(e.to_string()),
        };
        let mut bytes = Vec::new();
        if let Err(error) = file.read_to_end(&mut bytes) {
            return Lookup::Damaged(format!("cannot be read: {error}"));
        }
        let decoded = codec::decode(&bytes).and_then(|(stamp, index)| {
            if stamp.key == key.as_str() && stamp.reader_version == imgaudit_layer::READER_VERSION {
                Ok(index)
            } else {
                Err(codec::Damage(format!(
                    "it holds another key ({})",
                    stamp.key
                )))
            }
        });
        match decoded {
            Ok(index) => {
                // Its last use, for eviction; a read-only cache just forgets the order.
                let _ = file.set_modified(SystemTime::now());
                Lookup::Hit(index)
            }
            Err(damage) => {
                let _ = fs::remove_file(&path);
                Lookup::Damaged(damage.0)
            }
        }
    }

    /// Stores an index under a key, then evicts beyond the cap.
    pub fn put(&self, key: &LayerKey, index: &LayerIndex) -> Result<(), CacheError> {
        let stamp = Stamp {
            key: key.as_str().to_owned(),
            reader_version: imgaudit_layer::READER_VERSION.to_owned(),
        };
        let path = self.entry_path(key);
        let bytes = codec::encode(&stamp, index);
        self.write_atomically(&path, &bytes)?;
        let mut size = self.size.lock().unwrap_or_else(PoisonError::into_inner);
        size.written_since = size.written_since.saturating_add(bytes.len() as u64);
        if size.must_list(self.max_size) {
            let pruned = self.evict(self.max_size, Some(&path))?;
            *size = SizeEstimate {
                listed: Some(pruned.size),
                written_since: 0,
            };
        }
        Ok(())
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
        let dir = self.layers_dir();
        let mut listed = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(listed),
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
                size: meta.len(),
                used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
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
            unreadable: 0,
            oldest_use: None,
            newest_use: None,
        };
        for entry in &listed {
            match peek(&entry.path) {
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
                || peek(&entry.path).is_none();
            if remove && fs::remove_file(&entry.path).is_ok() {
                removed.removed += 1;
                removed.freed += entry.size;
            }
        }
        let evicted = self.evict(prune.max_size.unwrap_or(self.max_size), None)?;
        *self.size.lock().unwrap_or_else(PoisonError::into_inner) = SizeEstimate {
            listed: Some(evicted.size),
            written_since: 0,
        };
        Ok(Pruned {
            removed: removed.removed + evicted.removed,
            freed: removed.freed + evicted.freed,
            kept: evicted.kept,
            size: evicted.size,
        })
    }
}

/// The stamp at the start of an entry file, when it looks like one.
fn peek(path: &Path) -> Option<Stamp> {
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    codec::peek_stamp(&head).ok()
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
}
