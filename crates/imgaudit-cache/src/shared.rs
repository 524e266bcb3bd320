//! Layer indexes shared by the images of one run, in front of the cache directory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use imgaudit_layer::LayerIndex;

use crate::{DiskCache, LayerKey, Lookup};

/// Where a layer's index came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerOrigin {
    /// The layer's blob was read.
    Read,
    /// The cache directory had it.
    Disk,
    /// Another image of this run had it.
    Memory,
}

/// A layer index and how it was obtained.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub index: Arc<LayerIndex>,
    pub origin: LayerOrigin,
    /// What went wrong with the cache on the way (a damaged entry, a failed write). The layer
    /// was read instead, so these are worth telling but never fail the load.
    pub notes: Vec<String>,
}

/// Indexes remembered in memory up to a byte limit, least recently used forgotten first.
#[derive(Debug, Default)]
struct Memory {
    entries: HashMap<String, Remembered>,
    bytes: u64,
    clock: u64,
}

#[derive(Debug)]
struct Remembered {
    index: Arc<LayerIndex>,
    bytes: u64,
    last_use: u64,
}

/// The layer indexes of a run: in memory, then in the cache directory (when there is one),
/// then read. A layer several images share is read once: whoever asks second waits for the
/// first read rather than starting another.
#[derive(Debug)]
pub struct LayerCache {
    disk: Option<DiskCache>,
    memory: Mutex<Memory>,
    memory_limit: u64,
    in_flight: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data behind these locks is consistent between statements; a panic elsewhere must not
    // turn every later lookup into another panic.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LayerCache {
    /// `memory_limit` bounds the indexes kept in memory after the image that read them is done
    /// (indexes in use by an image stay alive regardless).
    pub fn new(disk: Option<DiskCache>, memory_limit: u64) -> LayerCache {
        LayerCache {
            disk,
            memory: Mutex::new(Memory::default()),
            memory_limit,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The cache directory behind the memory, if any.
    pub fn disk(&self) -> Option<&DiskCache> {
        self.disk.as_ref()
    }

    /// Bytes of layer indexes held in memory.
    pub fn memory_in_use(&self) -> u64 {
        lock(&self.memory).bytes
    }

    /// The index for `key`: remembered, cached or read. `usable` says whether a remembered or
    /// cached index will do (one without a verified diff id will not when the caller must
    /// verify it, say); `store` whether what `read` gives may be remembered under `key`.
    pub fn fetch<E>(
        &self,
        key: &LayerKey,
        usable: impl Fn(&LayerIndex) -> bool,
        read: impl FnOnce() -> Result<(LayerIndex, bool), E>,
    ) -> Result<Fetched, E> {
        if let Some(index) = self.remembered(key, &usable) {
            return Ok(Fetched {
                index,
                origin: LayerOrigin::Memory,
                notes: Vec::new(),
            });
        }
        let slot = Arc::clone(
            lock(&self.in_flight)
                .entry(key.file_name().to_owned())
                .or_default(),
        );
        let fetched = {
            let _reading = lock(&slot);
            self.fetch_alone(key, &usable, read)
        };
        let mut in_flight = lock(&self.in_flight);
        if Arc::strong_count(&slot) == 2 {
            in_flight.remove(key.file_name());
        }
        fetched
    }

    /// [`LayerCache::fetch`] with the key's slot held: nobody else reads this layer meanwhile.
    fn fetch_alone<E>(
        &self,
        key: &LayerKey,
        usable: &impl Fn(&LayerIndex) -> bool,
        read: impl FnOnce() -> Result<(LayerIndex, bool), E>,
    ) -> Result<Fetched, E> {
        // Whoever held the slot before may have just remembered it.
        if let Some(index) = self.remembered(key, usable) {
            return Ok(Fetched {
                index,
                origin: LayerOrigin::Memory,
                notes: Vec::new(),
            });
        }
        let mut notes = Vec::new();
        if let Some(disk) = &self.disk {
            match disk.get(key) {
                Lookup::Hit(index) if usable(&index) => {
                    let index = Arc::new(index);
                    self.remember(key, &index);
                    return Ok(Fetched {
                        index,
                        origin: LayerOrigin::Disk,
                        notes,
                    });
                }
                Lookup::Hit(_) | Lookup::Miss => {}
                Lookup::Damaged(reason) => notes.push(format!(
                    "the layer cache's entry for {} was damaged ({reason}): it was deleted and the layer read again",
                    key.as_str()
                )),
                Lookup::Unreadable(reason) => notes.push(format!(
                    "the layer cache's entry for {} cannot be read ({reason}): the layer was read instead",
                    key.as_str()
                )),
            }
        }
        let (index, store) = read()?;
        let index = Arc::new(index);
        if store {
            if let Some(disk) = &self.disk
                && let Err(error) = disk.put(key, &index)
            {
                notes.push(format!("the layer was not cached: {error}"));
            }
            self.remember(key, &index);
        }
        Ok(Fetched {
            index,
            origin: LayerOrigin::Read,
            notes,
        })
    }

    fn remembered(
        &self,
        key: &LayerKey,
        usable: &impl Fn(&LayerIndex) -> bool,
    ) -> Option<Arc<LayerIndex>> {
        let mut memory = lock(&self.memory);
        memory.clock += 1;
        let now = memory.clock;
        let entry = memory.entries.get_mut(key.file_name())?;
        if !usable(&entry.index) {
            return None;
        }
        entry.last_use = now;
        Some(Arc::clone(&entry.index))
    }

    fn remember(&self, key: &LayerKey, index: &Arc<LayerIndex>) {
        let bytes = index.approximate_size();
        let mut memory = lock(&self.memory);
        memory.clock += 1;
        let now = memory.clock;
        if let Some(old) = memory.entries.insert(
            key.file_name().to_owned(),
            Remembered {
                index: Arc::clone(index),
                bytes,
                last_use: now,
            },
        ) {
            memory.bytes -= old.bytes;
        }
        memory.bytes += bytes;
        while memory.bytes > self.memory_limit && memory.entries.len() > 1 {
            let oldest = memory
                .entries
                .iter()
                .min_by_key(|(_, r)| r.last_use)
                .map(|(k, _)| k.clone())
                .expect("more than one entry");
            if let Some(gone) = memory.entries.remove(&oldest) {
                memory.bytes -= gone.bytes;
            }
        }
        if memory.bytes > self.memory_limit {
            // One index larger than the limit: the disk cache has it, memory does not.
            memory.entries.clear();
            memory.bytes = 0;
        }
    }
}
