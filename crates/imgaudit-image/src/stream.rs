//! `docker save` (or an OCI archive) read front to back, as it arrives on a pipe: nothing is
//! spooled to disk.
//!
//! Legacy `docker save` writes `manifest.json` last, and an OCI archive may put `index.json`
//! anywhere, so every member that looks like a layer is handed to the caller's indexer as it
//! streams past, keyed by its name; small JSON members are kept. At the end, `manifest.json`
//! (or, for `oci-archive:-`, `index.json`) says which image, config and layers were wanted.
//! Memory stays bounded by the metadata kept; the price is that layers of images not chosen (the
//! other platforms of a multi-platform archive) are indexed too, then dropped.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};

use imgaudit_tar::WalkError;

use crate::archive::{
    Files, MAX_ARCHIVE_INDEX_SIZE, MAX_CONFIG_SIZE, MAX_METADATA_BLOB, link_target, member_name,
    read_verified, too_large,
};
use crate::docker::{
    build_meta, find_manifest_digest_in, foreign_layer_missing, parse_manifest, select_entry,
};
use crate::{ImageError, ImageMeta, ImageSpec, OpenOptions, Selection, check_platform};

/// The most bytes of metadata a stream's members may keep in memory (JSON members with their
/// names, link names and targets, and the names of the layers indexed), each member counted
/// with [`MEMBER_OVERHEAD`]: room for `manifest.json` and one config at their caps, and many
/// images' worth of small ones.
pub const MAX_STREAM_KEPT_BYTES: u64 = 64 * 1024 * 1024;
/// The most members (JSON files, links) a stream may keep.
pub const MAX_STREAM_MEMBERS: u64 = 100_000;
/// The most layer-like members a stream may hold: each is indexed as it passes and its index
/// kept until the end says which were wanted. Docker applies at most 127 layers to one image.
pub const MAX_STREAM_LAYERS: u64 = 10_000;
/// What keeping a member costs beyond its name and content (the maps' entries).
const MEMBER_OVERHEAD: u64 = 128;

/// Members kept in memory rather than indexed as layers.
#[derive(Debug, Default)]
struct Kept {
    input: String,
    files: HashMap<String, Vec<u8>>,
    links: HashMap<String, String>,
    /// Members handed to the indexer: present, though not kept.
    streamed: std::collections::HashSet<String>,
    /// What the maps above hold, against [`MAX_STREAM_KEPT_BYTES`].
    bytes: u64,
    /// Members kept or linked, against [`MAX_STREAM_MEMBERS`].
    members: u64,
}

impl Kept {
    /// Counts a member about to be kept, refusing one over the stream's caps.
    fn charge(&mut self, bytes: u64) -> Result<(), ImageError> {
        self.members += 1;
        if self.members > MAX_STREAM_MEMBERS {
            return Err(ImageError::StreamTooLarge {
                input: self.input.clone(),
                what: "metadata members (JSON files, links)",
                limit: MAX_STREAM_MEMBERS,
            });
        }
        self.bytes = self.bytes.saturating_add(bytes + MEMBER_OVERHEAD);
        if self.bytes > MAX_STREAM_KEPT_BYTES {
            return Err(ImageError::StreamTooLarge {
                input: self.input.clone(),
                what: "bytes of metadata",
                limit: MAX_STREAM_KEPT_BYTES,
            });
        }
        Ok(())
    }

    fn canonical(&self, name: &str) -> String {
        let mut name = name.to_owned();
        for _ in 0..16 {
            match self.links.get(&name) {
                Some(target) => name.clone_from(target),
                None => break,
            }
        }
        name
    }
}

impl Files for Kept {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        match self.files.get(&self.canonical(name)) {
            Some(bytes) => Ok(Box::new(&bytes[..])),
            None => Err(ImageError::MissingFile {
                input: self.input.clone(),
                name: name.to_owned(),
            }),
        }
    }

    fn exists(&self, name: &str) -> bool {
        let name = self.canonical(name);
        self.files.contains_key(&name) || self.streamed.contains(&name)
    }

    fn input(&self) -> &str {
        &self.input
    }
}

/// Whether a member is metadata (kept) rather than a layer (indexed), from its name and, for
/// content-addressed blobs, its first byte. go-containerregistry tarballs (crane, ko, kaniko)
/// name the config `sha256:<hex>` and write `manifest.json` last, so a small member that starts
/// like a JSON object is kept too; should `manifest.json` name it as a layer after all, it is
/// indexed from memory at the end.
fn is_metadata(name: &str, head: &[u8], size: u64) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    if matches!(
        base,
        "manifest.json" | "index.json" | "repositories" | "oci-layout" | "VERSION" | "json"
    ) || std::path::Path::new(base)
        .extension()
        .is_some_and(|e| e == "json")
    {
        return true;
    }
    size <= MAX_METADATA_BLOB && head.first() == Some(&b'{')
}

/// Reads a `docker save` stream (or an OCI archive, for [`ImageSpec::OciArchiveStdin`]), calling
/// `index_layer` for each layer-like member as it passes, and returns the selected image with its
/// layers' results in order.
pub fn read_docker_save_stream<R, T, E, F>(
    reader: R,
    spec: &ImageSpec,
    options: &OpenOptions,
    mut index_layer: F,
) -> Result<(ImageMeta, Vec<T>), ImageError>
where
    R: Read,
    T: Clone,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
    F: FnMut(&str, &mut dyn Read) -> Result<T, E>,
{
    let input = spec.to_string();
    let selection = match spec {
        ImageSpec::Stdin { selection } => selection.clone(),
        _ => Selection::Only,
    };
    let format = match spec {
        ImageSpec::OciArchiveStdin { .. } => "OCI",
        _ => "`docker save`",
    };
    let not_tar = |e: io::Error| ImageError::NotAnImage {
        input: input.clone(),
        reason: format!("the stream is not a readable {format} tar archive: {e}"),
    };
    let mut kept = Kept {
        input: input.clone(),
        ..Kept::default()
    };
    let mut indexed: HashMap<String, T> = HashMap::new();
    imgaudit_tar::for_each_entry(reader, |entry| -> Result<(), ImageError> {
        let name = member_name(&entry.path_bytes());
        let entry_type = entry.header().entry_type();
        if matches!(entry_type, tar::EntryType::Symlink | tar::EntryType::Link) {
            let target = entry
                .link_name_bytes()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default();
            let symbolic = entry_type == tar::EntryType::Symlink;
            kept.charge((name.len() + target.len()) as u64)?;
            kept.links
                .insert(name.clone(), link_target(&name, &target, symbolic));
            return Ok(());
        }
        if !entry_type.is_file() {
            return Ok(());
        }
        let size = entry.size();
        let mut buffered = BufReader::new(entry);
        let head = buffered.fill_buf().map_err(not_tar)?.to_vec();
        if is_metadata(&name, &head, size) {
            if size > MAX_METADATA_BLOB {
                return Err(too_large(&input, &format!("`{name}`"), MAX_METADATA_BLOB));
            }
            // Charged before it is read, at the size its header declares.
            kept.charge(name.len() as u64 + size)?;
            let mut bytes = Vec::new();
            buffered.read_to_end(&mut bytes).map_err(not_tar)?;
            kept.files.insert(name, bytes);
        } else {
            if indexed.len() as u64 >= MAX_STREAM_LAYERS {
                return Err(ImageError::StreamTooLarge {
                    input: input.clone(),
                    what: "layers",
                    limit: MAX_STREAM_LAYERS,
                });
            }
            // Its name is kept twice (in `streamed` and `indexed`).
            kept.bytes = kept.bytes.saturating_add(2 * name.len() as u64);
            let result =
                index_layer(&name, &mut buffered).map_err(|e| ImageError::StreamedLayer {
                    input: input.clone(),
                    name: name.clone(),
                    source: e.into(),
                })?;
            kept.streamed.insert(name.clone());
            indexed.insert(name, result);
        }
        Ok(())
    })
    .map_err(|e| match e {
        WalkError::Tar(e) => not_tar(e),
        WalkError::Header { .. } => ImageError::NotAnImage {
            input: input.clone(),
            reason: format!("the stream is not a readable {format} tar archive: {e}"),
        },
        WalkError::Visit(e) => e,
    })?;

    let meta = match spec {
        ImageSpec::OciArchiveStdin { reference } => {
            if !kept.exists("index.json") {
                return Err(ImageError::NotAnImage {
                    input,
                    reason: "the stream has no `index.json`, so it is not an OCI archive"
                        .to_owned(),
                });
            }
            crate::oci::read_meta(&kept, spec, reference.as_deref(), options)?
        }
        _ => docker_meta(&kept, spec, &selection, options)?,
    };
    let mut layers = Vec::with_capacity(meta.layers.len());
    for layer in &meta.layers {
        let name = kept.canonical(&layer.location);
        if let Some(result) = indexed.get(&name) {
            layers.push(result.clone());
        } else if let Some(bytes) = kept.files.get(&name) {
            // A layer that looked like JSON as it streamed past.
            let result =
                index_layer(&name, &mut &bytes[..]).map_err(|e| ImageError::StreamedLayer {
                    input: input.clone(),
                    name: name.clone(),
                    source: e.into(),
                })?;
            layers.push(result);
        } else {
            return Err(ImageError::MissingFile {
                input: input.clone(),
                name: layer.location.clone(),
            });
        }
    }
    Ok((meta, layers))
}

/// The image `manifest.json` selects, once the whole `docker save` stream has passed.
fn docker_meta(
    kept: &Kept,
    spec: &ImageSpec,
    selection: &Selection,
    options: &OpenOptions,
) -> Result<ImageMeta, ImageError> {
    let input = kept.input.clone();
    if !kept.exists("manifest.json") {
        return Err(ImageError::NotAnImage {
            input,
            reason: "the stream has no `manifest.json`, so it is not a `docker save` archive"
                .to_owned(),
        });
    }
    let manifest_bytes = read_verified(
        kept,
        "manifest.json",
        "manifest.json",
        MAX_ARCHIVE_INDEX_SIZE,
        None,
    )?;
    let entries = parse_manifest(&input, &manifest_bytes)?;
    let entry = select_entry(&input, &entries, selection)?;
    let config_bytes = read_verified(kept, &entry.config, "image config", MAX_CONFIG_SIZE, None)?;
    let mut meta = build_meta(&input, spec, entry, &config_bytes)?;
    check_platform(&input, &meta.platform, options)?;
    for layer in meta.layers.iter().filter(|l| !kept.exists(&l.location)) {
        if let Some(error) = foreign_layer_missing(&input, entry, layer) {
            return Err(error);
        }
    }
    if kept.exists("index.json") {
        meta.manifest_digest = find_manifest_digest_in(kept, &meta.config_digest);
    }
    Ok(meta)
}
