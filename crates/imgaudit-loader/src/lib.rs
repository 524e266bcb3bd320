//! Loads an image into its verified, assembled filesystem.
//!
//! The pipeline every command shares: open the source ([`imgaudit_image`]), read each layer blob
//! exactly once, in parallel ([`imgaudit_layer`]), check every blob digest, size and diff id
//! against what the manifest and config declare, then apply the layers in order
//! ([`imgaudit_fs`]) and link each layer to its history step. Any mismatch fails the whole load:
//! a partial image is never returned. The loader reads images it is handed: files and directories
//! ([`load_local`]), an opened image whatever its blob store ([`load_opened`]: a registry's blobs
//! stream from the network into the layer reader), a `docker save` stream ([`load_stream`]: a
//! daemon's export). Reaching registries and daemons is `imgaudit-source`'s work, so that what
//! only reads an image (the facts, their tests) never links a network stack. With a
//! [`LayerCache`], a layer whose index is remembered (from an earlier run, or another image of
//! this one) is not read at all: from a registry it is not even downloaded.
//!
//! Captures are path globs applied while each layer streams, but a reader follows links: a
//! captured `/etc/pip.conf` may be a link to a file no glob names, in another layer. With
//! [`LoadOptions::wanted`], once the image is assembled the loader asks what the reader needs
//! that has no content yet (links resolved inside the image), finds the layer that holds each
//! file's bytes, and reads only those layers again, capturing those files alone and verifying
//! their digests again. What cannot be read so (a file over the capture cap, or an image from a
//! stream, which cannot be read twice) is listed in [`LoadedImage::unread`] with the reason.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod inspection;
mod progress;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use imgaudit_cache::LayerOrigin;
use imgaudit_cache::{DerivedKey, DiskCache, LayerCache, LayerKey, Lookup, captures_enough};
use imgaudit_digest::{Algorithm, Digest};
use imgaudit_fs::{AssembleError, Filesystem};
use imgaudit_image::{
    BlobStore, ImageError, ImageMeta, ImageSpec, LayerRef, OpenOptions, OpenedImage, Platform,
    read_docker_save_stream,
};
pub use inspection::{ImageInspection, LayerHit};
pub use progress::Progress;

use crate::progress::Counting;
use imgaudit_layer::{
    Budget, CaptureRules, Change, Compression, EntryKind, ImagePath, LayerError, LayerIndex,
    ReadOptions, read_layer,
};

/// Rounds of reading link targets again: the content found in one round (an `/etc/passwd`
/// reached through a link) can name more files for the next (the homes' start-up files).
const COMPLETION_ROUNDS: usize = 4;

/// Which files a reader of a loaded image needs the content of (regular files, links
/// resolved inside the image), given the rules it captured with.
pub type WantedFiles = fn(&LoadedImage, &CaptureRules) -> Vec<ImagePath>;

/// How to load an image.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub platform: Option<Platform>,
    pub capture: CaptureRules,
    /// Exact paths to capture as well, chosen once the config is known (the file `$BASH_ENV`
    /// names, say). Not applied to `docker save` streams, whose config may come after the layers.
    pub capture_from_config: Option<fn(&ImageMeta) -> Vec<String>>,
    /// What the image's reader needs to read, asked once the image is assembled: files among
    /// them that have no content (link targets no capture rule matched) are read from their
    /// layers again; those that cannot be are listed in [`LoadedImage::unread`].
    pub wanted: Option<WantedFiles>,
    pub max_uncompressed_bytes: u64,
    pub max_entries: u64,
    /// How many times its compressed size a layer may expand to, once it holds more than
    /// `expansion_floor` uncompressed bytes (see [`imgaudit_layer::Budget::with_expansion_cap`]).
    pub max_expansion_ratio: u64,
    pub expansion_floor: u64,
    /// The cap on the bytes of captured files over all layers (read or remembered).
    pub max_captured_bytes: u64,
    /// Layers read at once; 0 means one per available core.
    pub jobs: usize,
    /// Hash the uncompressed stream of compressed layers and compare it with the config's
    /// `rootfs.diff_ids`. Without it, a compressed layer is still verified by its blob digest,
    /// which the manifest pins; layers that have no blob digest are always checked.
    pub verify_diff_ids: bool,
    /// Told how far reading has come (a progress bar).
    pub progress: Option<Arc<dyn Progress>>,
    /// Layer indexes remembered across runs and images. Streams (`docker save` on standard
    /// input, a daemon's export) are read whole whatever it holds: a layer in a stream can only
    /// be known by reading it.
    pub layers: Option<Arc<LayerCache>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            platform: None,
            capture: CaptureRules::none(),
            capture_from_config: None,
            wanted: None,
            max_uncompressed_bytes: imgaudit_layer::DEFAULT_MAX_UNCOMPRESSED_BYTES,
            max_entries: imgaudit_layer::DEFAULT_MAX_ENTRIES,
            max_expansion_ratio: imgaudit_layer::DEFAULT_MAX_EXPANSION_RATIO,
            expansion_floor: imgaudit_layer::DEFAULT_EXPANSION_FLOOR,
            max_captured_bytes: imgaudit_layer::DEFAULT_MAX_CAPTURED_BYTES,
            jobs: 0,
            verify_diff_ids: true,
            progress: None,
            layers: None,
        }
    }
}

impl LoadOptions {
    /// What, besides the image's bytes and the capture rules, makes a load give what it gives:
    /// the caps (a load over one fails) and whether diff ids are checked. Equal fingerprints
    /// and equal images give equal loads.
    pub fn fingerprint(&self) -> String {
        format!(
            "max-uncompressed {} max-entries {} max-expansion {} floor {} max-captured {} diff-ids {}",
            self.max_uncompressed_bytes,
            self.max_entries,
            self.max_expansion_ratio,
            self.expansion_floor,
            self.max_captured_bytes,
            if self.verify_diff_ids {
                "checked"
            } else {
                "unchecked"
            },
        )
    }

    /// The caps one image's layers share.
    fn budget(&self) -> Budget {
        Budget::new(self.max_uncompressed_bytes, self.max_entries)
            .with_expansion_cap(self.max_expansion_ratio, self.expansion_floor)
            .with_max_captured_bytes(self.max_captured_bytes)
    }
}

/// One layer after reading: what the image declared and what its bytes turned out to be.
#[derive(Debug, Clone)]
pub struct LoadedLayer {
    pub reference: LayerRef,
    pub compression: Compression,
    pub blob_digest: Digest,
    pub blob_size: u64,
    /// The uncompressed digest: computed, or as the config declares it when not verified.
    pub diff_id: Digest,
    /// Whether `diff_id` was computed from the bytes (rather than taken from the config).
    pub diff_id_verified: bool,
    pub uncompressed_size: u64,
    /// Entries the layer adds (files, directories, links, devices).
    pub entries: usize,
    /// Whiteouts and opaque markers.
    pub whiteouts: usize,
    /// The index into [`LoadedImage::history`] of the step that made this layer.
    pub history_step: Option<usize>,
    /// Whether the layer was read, or its index remembered.
    pub origin: LayerOrigin,
}

/// One step of the image's history (`docker history`), linked to its layer.
#[derive(Debug, Clone)]
pub struct HistoryStep {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
    /// The layer this step produced; `None` for steps that changed only the config.
    pub layer: Option<usize>,
}

/// A loaded image: verified metadata, its layers, history, and the assembled filesystem.
#[derive(Debug)]
pub struct LoadedImage {
    pub meta: ImageMeta,
    pub layers: Vec<LoadedLayer>,
    pub history: Vec<HistoryStep>,
    pub fs: Filesystem,
    /// Things worth telling the user that did not stop the load.
    pub notes: Vec<String>,
    /// Of the notes, those the layers' bytes gave (what the reader and the assembly noticed):
    /// the same for every load of the same layers, unlike the source's or the cache's notes.
    pub content_notes: Vec<String>,
    /// Files the reader wanted ([`LoadOptions::wanted`]) whose content could not be read, by
    /// their path in the tree (links resolved), with the reason.
    pub unread: BTreeMap<ImagePath, Unread>,
    /// The secrets found in the layers' files, when the capture rules asked for inspection
    /// ([`CaptureRules::with_inspection`]); `None` otherwise.
    pub inspection: Option<ImageInspection>,
}

/// Why the content of a file a reader wanted was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// The file is larger than the capture cap.
    TooLarge { size: u64, limit: u64 },
    /// The image came from a stream (standard input, a daemon's export), which cannot be read
    /// a second time, and the file was not captured on the first.
    Stream,
    /// No layer holds the file's bytes under its own name (a layer wrote it through a linked
    /// directory, say).
    NotLocated,
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unread::TooLarge { size, limit } => write!(
                f,
                "it is {size} bytes, larger than the capture limit of {limit} bytes"
            ),
            Unread::Stream => f.write_str(
                "it was not captured while the image streamed past (it is reached through a link or named by the config), and a stream cannot be read a second time: give the image as a file (docker save -o, an OCI layout) instead",
            ),
            Unread::NotLocated => f.write_str(
                "no layer holds its bytes under its own name (written through a linked directory?)",
            ),
        }
    }
}

/// An image whose manifest and config are read and verified and none of its layers yet (what a
/// caller that remembers what it derived from an image needs, to know whether to read them);
/// or, from a source that gives the config and the layers only as one stream (standard input,
/// a daemon's export), nothing yet: such an image is only read whole.
pub enum Opening {
    Opened {
        image: Box<OpenedImage>,
        /// Which source was read and why, when there was a choice (a bare name).
        note: Option<String>,
    },
    Stream,
}

impl fmt::Debug for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opening::Opened { image, note } => f
                .debug_struct("Opened")
                .field("source", &image.meta.source)
                .field("note", note)
                .finish_non_exhaustive(),
            Opening::Stream => f.write_str("Stream"),
        }
    }
}

/// Why an image could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error("{input}: layer {index} ({location}): {source}")]
    Layer {
        input: String,
        index: usize,
        location: String,
        #[source]
        source: LayerError,
    },
    #[error(
        "{input}: layer {index} ({location}): the {what} does not match: the image declares {expected}, the bytes give {actual}"
    )]
    Mismatch {
        input: String,
        index: usize,
        location: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error(
        "{input}: layer {index} ({location}): the {what} {declared} cannot be verified: {reason}"
    )]
    Unverifiable {
        input: String,
        index: usize,
        location: String,
        what: &'static str,
        declared: String,
        reason: String,
    },
    /// A registry, daemon or bare name given to [`load_local`] (a caller's mistake: those are
    /// resolved by `imgaudit-source`).
    #[error("{input}: not a local image (a registry's or a daemon's)")]
    Remote { input: String },
    #[error("{input}: {source}")]
    Assemble {
        input: String,
        #[source]
        source: AssembleError,
    },
}

/// Loads an image from a file or directory (an OCI layout or archive, a `docker save`
/// tarball, skopeo's `dir:`), reading its layers in parallel. Standard input (`-`) is read with
/// [`load_stream`]; registries and daemons by `imgaudit-source`.
pub fn load_local(spec: &ImageSpec, options: &LoadOptions) -> Result<LoadedImage, LoadError> {
    match spec {
        ImageSpec::Registry { .. } | ImageSpec::Daemon { .. } | ImageSpec::Named { .. } => {
            Err(LoadError::Remote {
                input: spec.to_string(),
            })
        }
        _ => {
            let opened = imgaudit_image::open(
                spec,
                &OpenOptions {
                    platform: options.platform.clone(),
                },
            )?;
            load_opened(opened, options)
        }
    }
}

/// Reads the layers of an opened image and assembles it.
pub fn load_opened(opened: OpenedImage, options: &LoadOptions) -> Result<LoadedImage, LoadError> {
    let budget = options.budget();
    let base_capture = options.capture.clone();
    let extended;
    let options = match options.capture_from_config {
        Some(paths_for) => {
            let paths = paths_for(&opened.meta);
            // Exact paths are escaped, so they always form a valid glob.
            extended = LoadOptions {
                capture: options
                    .capture
                    .with_paths(&paths)
                    .expect("escaped paths are valid globs"),
                ..options.clone()
            };
            &extended
        }
        None => options,
    };
    if let Some(progress) = &options.progress {
        let sizes: Option<u64> = opened.meta.layers.iter().map(|l| l.size).sum();
        progress.start(&opened.meta.source, opened.meta.layers.len(), sizes);
    }
    let indexes = read_layers(
        &opened.meta,
        opened.blobs.as_ref(),
        options,
        &base_capture,
        &budget,
    );
    if let Some(progress) = &options.progress {
        progress.finish();
    }
    let (indexes, mut cache_notes) = indexes?;
    let trees = options
        .layers
        .as_deref()
        .and_then(LayerCache::disk)
        .map(|disk| Trees {
            disk,
            capture: options.capture.fingerprint(),
        });
    let fs = assemble(&opened.meta, &indexes, trees.as_ref(), &mut cache_notes)?;
    let mut image = finish(
        opened.meta,
        fs,
        &indexes,
        cache_notes,
        options.capture.inspection(),
    );
    if let Some(wanted) = options.wanted {
        complete(
            &mut image,
            &indexes,
            Some(opened.blobs.as_ref()),
            options,
            wanted,
        )?;
    }
    Ok(image)
}

/// Loads an image from a `docker save` stream, indexing each layer as it streams past.
pub fn load_stream<R: Read>(
    reader: R,
    spec: &ImageSpec,
    options: &LoadOptions,
) -> Result<LoadedImage, LoadError> {
    let budget = options.budget();
    let read_options = ReadOptions {
        capture: &options.capture,
        budget: &budget,
        blob_algorithm: Algorithm::Sha256,
        // The config (which says the algorithm) may come after the layers: a diff id of
        // another algorithm is refused by `verify`, never taken on trust.
        diff_id_algorithm: Algorithm::Sha256,
        hash_uncompressed: true,
    };
    let progress = options.progress.as_deref();
    if let Some(progress) = progress {
        progress.start(&spec.to_string(), 0, None);
    }
    let read = read_docker_save_stream(
        Counting::new(reader, progress),
        spec,
        &OpenOptions {
            platform: options.platform.clone(),
        },
        |_name, blob| {
            let index = read_layer(blob, &read_options);
            if let Some(progress) = progress {
                progress.layer_done();
            }
            index
        },
    );
    if let Some(progress) = progress {
        progress.finish();
    }
    let (meta, indexes) = read?;
    for (index, (layer, read)) in meta.layers.iter().zip(&indexes).enumerate() {
        verify(&meta, index, layer, read)?;
    }
    let indexes: Vec<Obtained> = indexes
        .into_iter()
        .map(|index| Obtained {
            index: Arc::new(index),
            origin: LayerOrigin::Read,
        })
        .collect();
    let mut notes = Vec::new();
    let fs = assemble(&meta, &indexes, None, &mut notes)?;
    let mut image = finish(meta, fs, &indexes, notes, options.capture.inspection());
    if let Some(wanted) = options.wanted {
        complete(&mut image, &indexes, None, options, wanted)?;
    }
    Ok(image)
}

/// Gives the files the reader wants their content: each file without one is looked for in
/// the layers up to the one that wrote it (a hard link's bytes are its target's), and only the
/// layers holding such files are read again, capturing those files alone. Without `blobs` (a
/// stream) nothing can be read again.
fn complete(
    image: &mut LoadedImage,
    indexes: &[Obtained],
    blobs: Option<&dyn BlobStore>,
    options: &LoadOptions,
    wanted: WantedFiles,
) -> Result<(), LoadError> {
    let limit = options.capture.max_size();
    let mut tried: BTreeSet<ImagePath> = BTreeSet::new();
    for _ in 0..COMPLETION_ROUNDS {
        let needed: Vec<ImagePath> = wanted(image, &options.capture)
            .into_iter()
            .filter(|path| tried.insert(path.clone()))
            .collect();
        // For each layer to read again: the files to capture in it, and the paths of the tree
        // that take each one's bytes.
        let mut reads: BTreeMap<usize, BTreeMap<ImagePath, Vec<ImagePath>>> = BTreeMap::new();
        for path in needed {
            let Some(node) = image.fs.get(&path) else {
                continue;
            };
            if node.kind() != EntryKind::File || node.content().is_some() {
                continue;
            }
            if node.entry.size > limit {
                let size = node.entry.size;
                image.unread.insert(path, Unread::TooLarge { size, limit });
                continue;
            }
            if blobs.is_none() {
                image.unread.insert(path, Unread::Stream);
                continue;
            }
            let source = node
                .entry
                .hardlink_target
                .clone()
                .unwrap_or_else(|| path.clone());
            match locate(indexes, &source, node.layer) {
                Some(layer) => reads
                    .entry(layer)
                    .or_default()
                    .entry(source)
                    .or_default()
                    .push(path),
                None => {
                    image.unread.insert(path, Unread::NotLocated);
                }
            }
        }
        let Some(blobs) = blobs.filter(|_| !reads.is_empty()) else {
            break;
        };
        for (layer, sources) in reads {
            let paths: Vec<String> = sources.keys().map(ImagePath::display).collect();
            let capture = CaptureRules::new::<&str>(&[], limit)
                .and_then(|rules| rules.with_paths(&paths))
                .expect("escaped paths are valid globs");
            // Every layer was within the image's budget when first read: so is each again.
            let budget = Budget::new(options.max_uncompressed_bytes, options.max_entries);
            let read = read_one(&image.meta, blobs, options, &capture, &budget, None, layer)?;
            let mut filled = BTreeSet::new();
            for change in &read.changes {
                let Change::Add { path, entry } = change else {
                    continue;
                };
                let (Some(content), Some(targets)) = (&entry.content, sources.get(path)) else {
                    continue;
                };
                for target in targets {
                    if image.fs.fill_content(target, Arc::clone(content)) {
                        filled.insert(target.clone());
                    }
                }
            }
            for target in sources.into_values().flatten() {
                if !filled.contains(&target) {
                    image.unread.insert(target, Unread::NotLocated);
                }
            }
        }
    }
    Ok(())
}

/// The highest layer up to `up_to` that writes `path` as a regular file under that name.
fn locate(indexes: &[Obtained], path: &ImagePath, up_to: usize) -> Option<usize> {
    indexes
        .iter()
        .enumerate()
        .take(up_to.saturating_add(1))
        .rev()
        .find(|(_, obtained)| {
            obtained.index.changes.iter().any(|change| {
                matches!(change, Change::Add { path: written, entry }
                    if written == path && entry.kind == EntryKind::File)
            })
        })
        .map(|(layer, _)| layer)
}

/// The image-wide caps the options set, for the layers to share.
/// One layer's index and where it came from.
struct Obtained {
    index: Arc<LayerIndex>,
    origin: LayerOrigin,
}

fn read_layers(
    meta: &ImageMeta,
    blobs: &dyn BlobStore,
    options: &LoadOptions,
    base_capture: &CaptureRules,
    budget: &Budget,
) -> Result<(Vec<Obtained>, Vec<String>), LoadError> {
    let count = meta.layers.len();
    let jobs = match options.jobs {
        0 => blobs
            .parallelism()
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from)),
        n => n,
    }
    .min(count.max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Obtained, LoadError>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let notes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let result = match &options.layers {
                        Some(cache) => fetch_one(
                            meta,
                            blobs,
                            options,
                            base_capture,
                            budget,
                            cache,
                            index,
                            &notes,
                        ),
                        None => read_one(
                            meta,
                            blobs,
                            options,
                            &options.capture,
                            budget,
                            options.progress.as_deref(),
                            index,
                        )
                        .map(|index| Obtained {
                            index: Arc::new(index),
                            origin: LayerOrigin::Read,
                        }),
                    };
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    results
                        .lock()
                        .expect("no worker panics while holding the lock")[index] = Some(result);
                }
            });
        }
    });
    let results = results.into_inner().expect("workers have finished");
    // Layers are taken in index order, so every layer below a failed one was read: stopping at
    // the first unread one keeps them all, and the lowest failure is the one reported, so the
    // same broken image always gives the same error.
    let read = results
        .into_iter()
        .map_while(|result| result)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((read, notes.into_inner().expect("workers have finished")))
}

/// Reads one layer through the cache: remembered indexes are checked against what the image
/// declares and charged to its budget exactly as read ones are.
#[allow(clippy::too_many_arguments)]
fn fetch_one(
    meta: &ImageMeta,
    blobs: &dyn BlobStore,
    options: &LoadOptions,
    base_capture: &CaptureRules,
    budget: &Budget,
    cache: &LayerCache,
    index: usize,
    notes: &Mutex<Vec<String>>,
) -> Result<Obtained, LoadError> {
    let layer = &meta.layers[index];
    // Keyed by the rules every image shares; files an image's config adds (its `$BASH_ENV`)
    // are checked for below, so that such an image still shares its base layers.
    let key = LayerKey::new(layer.digest.as_ref(), &layer.diff_id, base_capture);
    let needs_diff_id = options.verify_diff_ids || layer.digest.is_none();
    let wider = base_capture.patterns().len() != options.capture.patterns().len();
    // A remembered diff id of another algorithm than the one declared cannot be compared with
    // it: such an index is read again.
    let usable = |index: &LayerIndex| {
        (!needs_diff_id
            || index
                .diff_id
                .as_ref()
                .is_some_and(|d| d.algorithm() == layer.diff_id.algorithm()))
            && (!wider || captures_enough(index, &options.capture))
    };
    let fetched = cache.fetch(&key, usable, || {
        let read = read_one(
            meta,
            blobs,
            options,
            &options.capture,
            budget,
            options.progress.as_deref(),
            index,
        )?;
        // What the wider rules captured beyond the shared ones is this image's own.
        let store = !wider || !captures_beyond(&read, base_capture);
        Ok::<_, LoadError>((read, store))
    })?;
    if !fetched.notes.is_empty() {
        notes
            .lock()
            .expect("no worker panics while holding the lock")
            .extend(fetched.notes);
    }
    if fetched.origin != LayerOrigin::Read {
        let cached = &fetched.index;
        let expansion = match cached.compression {
            Compression::None => Ok(()),
            Compression::Gzip | Compression::Zstd => {
                budget.check_expansion(cached.blob_size, cached.uncompressed_size)
            }
        };
        expansion
            .and_then(|()| {
                budget.charge_layer(
                    cached.uncompressed_size,
                    cached.changes.len() as u64,
                    cached.captured_bytes(),
                )
            })
            .map_err(|exceeded| LoadError::Layer {
                input: meta.source.clone(),
                index,
                location: layer.location.clone(),
                source: exceeded.into(),
            })?;
        verify(meta, index, layer, cached)?;
        if let Some(progress) = &options.progress {
            progress.advance(layer.size.unwrap_or(cached.blob_size));
            progress.layer_done();
        }
    }
    Ok(Obtained {
        index: fetched.index,
        origin: fetched.origin,
    })
}

/// Whether an index holds a captured file the given rules would not have captured.
fn captures_beyond(index: &LayerIndex, rules: &CaptureRules) -> bool {
    index.changes.iter().any(|change| {
        matches!(change, Change::Add { path, entry } if entry.content.is_some() && !rules.matches(path))
    })
}

fn read_one(
    meta: &ImageMeta,
    blobs: &dyn BlobStore,
    options: &LoadOptions,
    capture: &CaptureRules,
    budget: &Budget,
    progress: Option<&dyn Progress>,
    index: usize,
) -> Result<LayerIndex, LoadError> {
    let layer = &meta.layers[index];
    let blob = Counting::new(blobs.open_layer(layer)?, progress);
    let read = read_layer(
        blob,
        &ReadOptions {
            capture,
            budget,
            blob_algorithm: layer
                .digest
                .as_ref()
                .map_or(Algorithm::Sha256, Digest::algorithm),
            diff_id_algorithm: layer.diff_id.algorithm(),
            hash_uncompressed: options.verify_diff_ids || layer.digest.is_none(),
        },
    )
    .map_err(|source| LoadError::Layer {
        input: meta.source.clone(),
        index,
        location: layer.location.clone(),
        source,
    })?;
    verify(meta, index, layer, &read)?;
    if let Some(progress) = progress {
        progress.layer_done();
    }
    Ok(read)
}

/// Compares what a layer's bytes gave with what the image declares.
fn verify(
    meta: &ImageMeta,
    index: usize,
    layer: &LayerRef,
    read: &LayerIndex,
) -> Result<(), LoadError> {
    let mismatch = |what, expected: String, actual: String| LoadError::Mismatch {
        input: meta.source.clone(),
        index,
        location: layer.location.clone(),
        what,
        expected,
        actual,
    };
    if let Some(size) = layer.size
        && size != read.blob_size
    {
        return Err(mismatch(
            "blob size",
            format!("{size} bytes"),
            format!("{} bytes", read.blob_size),
        ));
    }
    let unverifiable = |what, declared: &Digest, reason: String| LoadError::Unverifiable {
        input: meta.source.clone(),
        index,
        location: layer.location.clone(),
        what,
        declared: declared.to_string(),
        reason,
    };
    if let Some(digest) = &layer.digest {
        if digest.algorithm() != read.blob_digest.algorithm() {
            return Err(unverifiable(
                "blob digest",
                digest,
                format!(
                    "the bytes were hashed with {}",
                    read.blob_digest.algorithm().name()
                ),
            ));
        }
        if *digest != read.blob_digest {
            return Err(mismatch(
                "blob digest",
                digest.to_string(),
                read.blob_digest.to_string(),
            ));
        }
    }
    match &read.diff_id {
        Some(actual) if actual.algorithm() != layer.diff_id.algorithm() => {
            return Err(unverifiable(
                "uncompressed digest (rootfs.diff_ids)",
                &layer.diff_id,
                format!(
                    "the uncompressed stream was hashed with {} (a `docker save` stream is read before its config names the algorithm)",
                    actual.algorithm().name(),
                ),
            ));
        }
        Some(actual) if *actual != layer.diff_id => {
            return Err(mismatch(
                "uncompressed digest (rootfs.diff_ids)",
                layer.diff_id.to_string(),
                actual.to_string(),
            ));
        }
        // The blob digest pins the bytes; without one, the diff id is all there is, and a layer
        // (and the cache key made of it) is never taken on an unchecked digest.
        None if layer.digest.is_none() => {
            return Err(unverifiable(
                "uncompressed digest (rootfs.diff_ids)",
                &layer.diff_id,
                "the layer has no blob digest and its uncompressed stream was not hashed"
                    .to_owned(),
            ));
        }
        Some(_) | None => {}
    }
    Ok(())
}

/// Names a chain of layers for a cache key: each layer's blob digest (`-` when the source names
/// none) and diff id, in order. Once a load has verified them, equal chains hold equal bytes.
pub fn layer_chain(layers: &[LayerRef]) -> String {
    use std::fmt::Write as _;
    let mut text = format!("{} layers:", layers.len());
    for layer in layers {
        let _ = match &layer.digest {
            Some(blob) => write!(text, " {blob} {}", layer.diff_id),
            None => write!(text, " - {}", layer.diff_id),
        };
    }
    text
}

/// Where assembled trees are remembered, and what the layers captured (a tree holds the
/// captured files, so the capture rules are part of its key).
struct Trees<'a> {
    disk: &'a DiskCache,
    capture: String,
}

impl Trees<'_> {
    /// The key of the tree of the image's first `count` layers: each layer's blob digest and
    /// diff id (both verified by now), in order.
    fn key(&self, meta: &ImageMeta, count: usize) -> DerivedKey {
        DerivedKey::new(format!(
            "tree of {} capture {}",
            layer_chain(&meta.layers[..count]),
            self.capture
        ))
    }

    fn get(&self, key: &DerivedKey, notes: &mut Vec<String>) -> Option<Filesystem> {
        match self.disk.get_tree(key) {
            Lookup::Hit(tree) => Some(tree),
            Lookup::Miss => None,
            Lookup::Damaged(reason) => {
                notes.push(format!(
                    "the layer cache's tree of the image's layers was damaged ({reason}): it was deleted and the tree assembled again"
                ));
                None
            }
            Lookup::Unreadable(reason) => {
                notes.push(format!(
                    "the layer cache's tree of the image's layers cannot be read ({reason}): the tree was assembled instead"
                ));
                None
            }
        }
    }

    fn put(&self, key: &DerivedKey, tree: &Filesystem, notes: &mut Vec<String>) {
        if let Err(error) = self.disk.put_tree(key, tree) {
            notes.push(format!(
                "the tree of the image's layers was not cached: {error}"
            ));
        }
    }
}

/// Applies the layers in order. With a cache, the tree of every layer is taken from it when
/// remembered, else the tree of every layer but the top one (an image rebuilt with its top
/// layer changed), and what had to be assembled is remembered for the next run.
fn assemble(
    meta: &ImageMeta,
    indexes: &[Obtained],
    trees: Option<&Trees<'_>>,
    notes: &mut Vec<String>,
) -> Result<Filesystem, LoadError> {
    let failed = |source| LoadError::Assemble {
        input: meta.source.clone(),
        source,
    };
    let Some(trees) = trees.filter(|_| !indexes.is_empty()) else {
        return Filesystem::assemble(indexes.iter().map(|i| &i.index.changes[..])).map_err(failed);
    };
    let top = indexes.len() - 1;
    let whole = trees.key(meta, indexes.len());
    if let Some(tree) = trees.get(&whole, notes) {
        return Ok(tree);
    }
    let below = (top > 0).then(|| trees.key(meta, top));
    let remembered = below.as_ref().and_then(|key| trees.get(key, notes));
    let mut tree = if let Some(tree) = remembered {
        tree
    } else {
        let tree = Filesystem::assemble(indexes[..top].iter().map(|i| &i.index.changes[..]))
            .map_err(failed)?;
        if let Some(key) = &below {
            trees.put(key, &tree, notes);
        }
        tree
    };
    tree.apply_layer(top, &indexes[top].index.changes)
        .map_err(failed)?;
    trees.put(&whole, &tree, notes);
    Ok(tree)
}

fn finish(
    meta: ImageMeta,
    fs: Filesystem,
    indexes: &[Obtained],
    cache_notes: Vec<String>,
    inspection: Option<&imgaudit_layer::Inspection>,
) -> LoadedImage {
    let mut content_notes = Vec::new();
    for (i, obtained) in indexes.iter().enumerate() {
        content_notes.extend(
            obtained
                .index
                .notes
                .iter()
                .map(|note| format!("layer {i}: {note}")),
        );
    }
    content_notes.extend(fs.notes().iter().cloned());
    for (i, (reference, obtained)) in meta.layers.iter().zip(indexes).enumerate() {
        let read = &obtained.index;
        if let Some(declared) = reference
            .media_type
            .as_deref()
            .and_then(Compression::from_media_type)
            && declared != read.compression
        {
            content_notes.push(format!(
                "layer {i} is declared as {} ({}), but its bytes are {}; it was read as {}",
                declared.name(),
                reference.media_type.as_deref().unwrap_or_default(),
                read.compression.name(),
                read.compression.name(),
            ));
        }
    }
    let (history, steps, history_notes) = history_of(&meta);
    let mut notes: Vec<String> = [&meta.notes, &content_notes, &history_notes]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    notes.extend(cache_notes);
    let layers = meta
        .layers
        .iter()
        .zip(indexes)
        .zip(steps)
        .map(|((reference, obtained), history_step)| {
            let read = &obtained.index;
            LoadedLayer {
                reference: reference.clone(),
                compression: read.compression,
                blob_digest: read.blob_digest.clone(),
                blob_size: read.blob_size,
                diff_id: read
                    .diff_id
                    .clone()
                    .unwrap_or_else(|| reference.diff_id.clone()),
                diff_id_verified: read.diff_id.is_some(),
                uncompressed_size: read.uncompressed_size,
                entries: read.added_count(),
                whiteouts: read.whiteout_count(),
                history_step,
                origin: obtained.origin,
            }
        })
        .collect();
    LoadedImage {
        meta,
        layers,
        history,
        fs,
        notes,
        content_notes,
        unread: BTreeMap::new(),
        inspection: inspection::gather(inspection, indexes.iter().map(|i| &*i.index)),
    }
}

/// The image's history (`docker history`) from its config, each step linked to the layer it
/// made; each layer's step; and a note when the two cannot be linked (the counts differ).
pub fn history_of(meta: &ImageMeta) -> (Vec<HistoryStep>, Vec<Option<usize>>, Vec<String>) {
    let mut notes = Vec::new();
    let (history, steps) = link_history(meta, meta.layers.len(), &mut notes);
    (history, steps, notes)
}

/// Links layers to history steps: each step without `empty_layer` made the next layer.
fn link_history(
    meta: &ImageMeta,
    layer_count: usize,
    notes: &mut Vec<String>,
) -> (Vec<HistoryStep>, Vec<Option<usize>>) {
    let raw = meta.config.history().as_deref().unwrap_or_default();
    let non_empty = raw
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .count();
    let linkable = non_empty == layer_count;
    if !raw.is_empty() && !linkable {
        notes.push(format!(
            "the config's history has {non_empty} steps that made layers, but the image has {layer_count} layers: layers are not linked to history steps"
        ));
    }
    let mut steps = vec![None; layer_count];
    let mut next_layer = 0;
    let history = raw
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let empty_layer = h.empty_layer().unwrap_or(false);
            let layer = (linkable && !empty_layer).then(|| {
                let layer = next_layer;
                steps[layer] = Some(i);
                next_layer += 1;
                layer
            });
            HistoryStep {
                created: h.created().clone(),
                created_by: h.created_by().clone(),
                comment: h.comment().clone(),
                empty_layer,
                layer,
            }
        })
        .collect();
    (history, steps)
}
