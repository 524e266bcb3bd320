//! OCI image layouts, as directories or archives.

use imgaudit_digest::Digest;
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};

use crate::archive::{Files, read_verified};
use crate::platform::{IndexEntry, select};
use crate::{
    BlobStore, ImageError, ImageMeta, ImageSpec, LayerRef, OpenOptions, OpenedImage,
    check_platform, config_platform, diff_ids, parse_config,
};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";
/// Indexes may nest (an index.json entry pointing at a multi-platform index); real ones nest
/// once or twice.
const MAX_INDEX_DEPTH: usize = 4;

pub(crate) fn blob_path(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().name(), digest.hex())
}

/// Blobs of an OCI layout or archive.
#[derive(Debug)]
pub(crate) struct LayoutBlobs {
    pub(crate) files: Box<dyn Files>,
}

impl BlobStore for LayoutBlobs {
    fn open_layer(
        &self,
        layer: &LayerRef,
    ) -> Result<Box<dyn std::io::Read + Send + '_>, ImageError> {
        self.files.open(&layer.location)
    }
}

fn malformed(input: &str, what: &str, e: impl std::fmt::Display) -> ImageError {
    ImageError::Malformed {
        input: input.to_owned(),
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

fn descriptor_digest(input: &str, what: &str, d: &Descriptor) -> Result<Digest, ImageError> {
    d.digest()
        .to_string()
        .parse()
        .map_err(|e| malformed(input, what, e))
}

pub(crate) fn open(
    files: Box<dyn Files>,
    spec: &ImageSpec,
    reference: Option<&str>,
    options: &OpenOptions,
) -> Result<OpenedImage, ImageError> {
    let input = files.input().to_owned();
    if !files.exists("index.json") {
        return Err(ImageError::NotAnImage {
            input,
            reason: "there is no `index.json`, so this is not an OCI image layout".to_owned(),
        });
    }
    let index_bytes = read_verified(files.as_ref(), "index.json", "index.json", None)?;
    let index: ImageIndex =
        serde_json::from_slice(&index_bytes).map_err(|e| malformed(&input, "index.json", e))?;
    let entries = index.manifests();
    let ref_name = |d: &Descriptor| {
        d.annotations()
            .as_ref()
            .and_then(|a| a.get(REF_NAME).cloned())
    };
    let available: Vec<String> = entries
        .iter()
        .map(|d| ref_name(d).unwrap_or_else(|| d.digest().to_string()))
        .collect();
    let chosen = match reference {
        Some(wanted) => entries
            .iter()
            .find(|d| ref_name(d).as_deref() == Some(wanted))
            .ok_or_else(|| ImageError::NoSuchReference {
                input: input.clone(),
                wanted: wanted.to_owned(),
                available: available.clone(),
            })?,
        None => match entries.as_slice() {
            [only] => only,
            [] => {
                return Err(ImageError::NotAnImage {
                    input,
                    reason: "index.json lists no image".to_owned(),
                });
            }
            _ => {
                return Err(ImageError::Ambiguous {
                    input,
                    hint: format!("{}:REF", spec.transport()),
                    available,
                });
            }
        },
    };
    let name = chosen
        .annotations()
        .as_ref()
        .and_then(|a| a.get(CONTAINERD_NAME).or_else(|| a.get(REF_NAME)).cloned());

    let (manifest_digest, manifest) = resolve(files.as_ref(), chosen, options, 0)?;
    let config_descriptor = manifest.config();
    let config_digest = descriptor_digest(&input, "manifest", config_descriptor)?;
    let config_bytes = read_verified(
        files.as_ref(),
        &blob_path(&config_digest),
        "image config",
        Some((&config_digest, Some(config_descriptor.size()))),
    )?;
    let config = parse_config(&input, &config_bytes)?;
    let platform = config_platform(&config);
    check_platform(&input, &platform, options)?;

    let diff_ids = diff_ids(&input, &config)?;
    if diff_ids.len() != manifest.layers().len() {
        return Err(malformed(
            &input,
            "image",
            format!(
                "the manifest lists {} layers but the config's rootfs.diff_ids has {}",
                manifest.layers().len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::with_capacity(diff_ids.len());
    for (descriptor, diff_id) in manifest.layers().iter().zip(diff_ids) {
        let digest = descriptor_digest(&input, "manifest", descriptor)?;
        layers.push(LayerRef {
            location: blob_path(&digest),
            digest: Some(digest),
            diff_id,
            media_type: Some(descriptor.media_type().to_string()),
            size: Some(descriptor.size()),
        });
    }
    Ok(OpenedImage {
        meta: ImageMeta {
            source: spec.to_string(),
            transport: spec.transport(),
            name,
            manifest_digest: Some(manifest_digest),
            platform,
            config_digest,
            config,
            layers,
            notes: Vec::new(),
        },
        blobs: Box::new(LayoutBlobs { files }),
    })
}

/// Follows a descriptor through indexes (choosing a platform) to an image manifest.
fn resolve(
    files: &dyn Files,
    descriptor: &Descriptor,
    options: &OpenOptions,
    depth: usize,
) -> Result<(Digest, ImageManifest), ImageError> {
    let input = files.input();
    let digest = descriptor_digest(input, "index", descriptor)?;
    let bytes = read_verified(
        files,
        &blob_path(&digest),
        "manifest",
        Some((&digest, Some(descriptor.size()))),
    )?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| malformed(input, "manifest", e))?;
    if value.get("manifests").is_none() {
        let manifest: ImageManifest =
            serde_json::from_value(value).map_err(|e| malformed(input, "manifest", e))?;
        return Ok((digest, manifest));
    }
    if depth >= MAX_INDEX_DEPTH {
        return Err(malformed(input, "image index", "indexes nest too deeply"));
    }
    let index: ImageIndex =
        serde_json::from_value(value).map_err(|e| malformed(input, "image index", e))?;
    let entries: Vec<IndexEntry<'_>> = index.manifests().iter().map(IndexEntry::new).collect();
    let wanted = options.platform.clone().unwrap_or_default();
    let chosen = select(&entries, &wanted).map_err(|available| ImageError::NoSuchPlatform {
        input: input.to_owned(),
        wanted: wanted.clone(),
        available,
    })?;
    resolve(files, chosen, options, depth + 1)
}
