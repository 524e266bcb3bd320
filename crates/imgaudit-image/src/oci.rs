//! OCI image layouts, as directories or archives.

use imgaudit_digest::Digest;
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};

use crate::archive::{
    Files, MAX_ARCHIVE_INDEX_SIZE, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, read_verified,
};
use crate::platform::{EntryKind, IndexEntry, NoEntry, select};
use crate::{
    BlobStore, ImageError, ImageMeta, ImageSpec, LayerRef, OpenOptions, OpenedImage, Platform,
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
        self.files.open_sized(&layer.location, layer.size)
    }
}

fn malformed(input: &str, what: &str, e: impl std::fmt::Display) -> ImageError {
    ImageError::Malformed {
        input: input.to_owned(),
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

/// An index entry that points at something other than an image manifest or index.
fn not_an_image_entry(input: &str, d: &Descriptor) -> ImageError {
    ImageError::NotAnImage {
        input: input.to_owned(),
        reason: format!(
            "the index entry {} has media type `{}`, which is neither an image manifest nor an image index",
            d.digest(),
            d.media_type()
        ),
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
    let meta = read_meta(files.as_ref(), spec, reference, options)?;
    Ok(OpenedImage {
        meta,
        blobs: Box::new(LayoutBlobs { files }),
    })
}

/// Reads the image `reference` chooses (the only one when `None`) from a layout's files.
pub(crate) fn read_meta(
    files: &dyn Files,
    spec: &ImageSpec,
    reference: Option<&str>,
    options: &OpenOptions,
) -> Result<ImageMeta, ImageError> {
    let input = files.input().to_owned();
    if !files.exists("index.json") {
        return Err(ImageError::NotAnImage {
            input,
            reason: "there is no `index.json`, so this is not an OCI image layout".to_owned(),
        });
    }
    let index_bytes = read_verified(
        files,
        "index.json",
        "index.json",
        MAX_ARCHIVE_INDEX_SIZE,
        None,
    )?;
    let index: ImageIndex =
        serde_json::from_slice(&index_bytes).map_err(|e| malformed(&input, "index.json", e))?;
    let entries = index.manifests();
    let ref_name = |d: &Descriptor| {
        d.annotations()
            .as_ref()
            .and_then(|a| a.get(REF_NAME).cloned())
    };
    // An entry is chosen by its reference name or, when it has none (two `skopeo copy` into one
    // layout leave untagged manifests), by its digest: the choices listed are exactly those.
    let available: Vec<String> = entries
        .iter()
        .map(|d| ref_name(d).unwrap_or_else(|| d.digest().to_string()))
        .collect();
    let chosen = match reference {
        Some(wanted) => entries
            .iter()
            .find(|d| ref_name(d).as_deref() == Some(wanted))
            .or_else(|| entries.iter().find(|d| d.digest().to_string() == wanted))
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
                    hint: format!("{spec}:REF, where REF is a name or a digest"),
                    available,
                });
            }
        },
    };
    if EntryKind::of(chosen.media_type().as_ref()) == EntryKind::Other {
        return Err(not_an_image_entry(&input, chosen));
    }
    let name = chosen
        .annotations()
        .as_ref()
        .and_then(|a| a.get(CONTAINERD_NAME).or_else(|| a.get(REF_NAME)).cloned());

    let documents = LayoutDocuments { files };
    let digest = descriptor_digest(&input, "index.json", chosen)?;
    let bytes = documents.manifest(&digest, Some(chosen.size()))?;
    let resolved = resolve(&documents, digest, &bytes, options)?;
    Ok(resolved.into_meta(spec.to_string(), spec.transport(), name))
}

/// The manifests and configs of a layout are blobs like any other.
struct LayoutDocuments<'a> {
    files: &'a dyn Files,
}

impl Documents for LayoutDocuments<'_> {
    fn input(&self) -> &str {
        self.files.input()
    }

    fn manifest(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        read_verified(
            self.files,
            &blob_path(digest),
            "manifest",
            MAX_MANIFEST_SIZE,
            Some((digest, size)),
        )
    }

    fn config(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        read_verified(
            self.files,
            &blob_path(digest),
            "image config",
            MAX_CONFIG_SIZE,
            Some((digest, size)),
        )
    }

    fn layer_location(&self, digest: &Digest) -> String {
        blob_path(digest)
    }

    fn has_blob(&self, digest: &Digest) -> bool {
        self.files.exists(&blob_path(digest))
    }
}

/// What an image manifest and its config say, verified.
#[derive(Debug)]
pub struct Resolved {
    pub manifest_digest: Digest,
    pub platform: Platform,
    pub config_digest: Digest,
    pub config: ImageConfiguration,
    pub layers: Vec<LayerRef>,
}

impl Resolved {
    /// The image's metadata, as `source` (named by `transport`, with the source's `name` for
    /// it) gives it; no notes yet.
    pub fn into_meta(
        self,
        source: String,
        transport: &'static str,
        name: Option<String>,
    ) -> ImageMeta {
        ImageMeta {
            source,
            transport,
            name,
            manifest_digest: Some(self.manifest_digest),
            platform: self.platform,
            config_digest: self.config_digest,
            config: self.config,
            layers: self.layers,
            notes: Vec::new(),
        }
    }
}

/// Where an image's manifests, indexes and config come from: a layout's blobs, a registry's
/// manifest and blob endpoints. Each document is returned whole, verified against its digest
/// and, when given, its declared size.
pub trait Documents {
    /// The source, as error messages name it.
    fn input(&self) -> &str;
    fn manifest(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError>;
    fn config(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError>;
    /// Where a layer blob lives, for [`LayerRef::location`].
    fn layer_location(&self, digest: &Digest) -> String;
    /// Whether the source holds a blob; only asked of foreign layers, which a layout or archive
    /// may leave out. A registry serves what it has (or the error says), so by default `true`.
    fn has_blob(&self, digest: &Digest) -> bool {
        let _ = digest;
        true
    }
}

/// Follows a verified manifest or index (`bytes`, whose digest is `digest`) through indexes,
/// choosing the platform `options` asks for (linux/amd64 by default), to an image manifest, and
/// reads its config.
pub fn resolve(
    documents: &dyn Documents,
    digest: Digest,
    bytes: &[u8],
    options: &OpenOptions,
) -> Result<Resolved, ImageError> {
    let (manifest_digest, manifest) = follow(documents, digest, bytes, options, 0)?;
    let input = documents.input();
    check_is_image(input, &manifest)?;
    check_foreign_layers(documents, &manifest)?;
    let config_descriptor = manifest.config();
    let config_digest = descriptor_digest(input, "manifest", config_descriptor)?;
    let config_bytes = documents.config(&config_digest, Some(config_descriptor.size()))?;
    let config = parse_config(input, &config_bytes)?;
    let platform = config_platform(&config);
    check_platform(input, &platform, options)?;

    let diff_ids = diff_ids(input, &config)?;
    if diff_ids.len() != manifest.layers().len() {
        return Err(malformed(
            input,
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
        let digest = descriptor_digest(input, "manifest", descriptor)?;
        layers.push(LayerRef {
            location: documents.layer_location(&digest),
            digest: Some(digest),
            diff_id,
            media_type: Some(descriptor.media_type().to_string()),
            size: Some(descriptor.size()),
        });
    }
    Ok(Resolved {
        manifest_digest,
        platform,
        config_digest,
        config,
        layers,
    })
}

/// Follows indexes (choosing a platform) to an image manifest.
fn follow(
    documents: &dyn Documents,
    digest: Digest,
    bytes: &[u8],
    options: &OpenOptions,
    depth: usize,
) -> Result<(Digest, ImageManifest), ImageError> {
    let input = documents.input();
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(input, "manifest", e))?;
    if value
        .get("schemaVersion")
        .and_then(serde_json::Value::as_u64)
        == Some(1)
    {
        return Err(malformed(
            input,
            "manifest",
            "it is a Docker schema 1 manifest, which is deprecated and not supported",
        ));
    }
    if let Some(media_type) = value
        .get("mediaType")
        .and_then(serde_json::Value::as_str)
        .filter(|t| *t == "application/vnd.oci.artifact.manifest.v1+json")
    {
        return Err(ImageError::NotAnImage {
            input: input.to_owned(),
            reason: format!("it is an artifact manifest (`{media_type}`), not a container image"),
        });
    }
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
    let mut entries: Vec<IndexEntry<'_>> = index.manifests().iter().map(IndexEntry::new).collect();
    for entry in entries.iter_mut().filter(|e| e.needs_config_platform()) {
        entry.platform = platform_from_config(documents, entry.descriptor)?;
    }
    let wanted = options.platform.clone().unwrap_or_default();
    let chosen = select(&entries, &wanted).map_err(|why| match why {
        NoEntry::NoPlatform(available) => ImageError::NoSuchPlatform {
            input: input.to_owned(),
            wanted: wanted.clone(),
            available,
        },
        NoEntry::NotAnImage(descriptor) => not_an_image_entry(input, descriptor),
    })?;
    let chosen_digest = descriptor_digest(input, "image index", chosen)?;
    let chosen_bytes = documents.manifest(&chosen_digest, Some(chosen.size()))?;
    follow(documents, chosen_digest, &chosen_bytes, options, depth + 1)
}

/// The platform of an index entry that declares none, from its image's config (containerd and
/// skopeo read it the same way); `None` when the entry is not an image.
fn platform_from_config(
    documents: &dyn Documents,
    entry: &Descriptor,
) -> Result<Option<Platform>, ImageError> {
    let input = documents.input();
    let digest = descriptor_digest(input, "image index", entry)?;
    let bytes = documents.manifest(&digest, Some(entry.size()))?;
    let Ok(manifest) = serde_json::from_slice::<ImageManifest>(&bytes) else {
        return Ok(None);
    };
    if image_kind(&manifest).is_err() {
        return Ok(None);
    }
    let config_descriptor = manifest.config();
    let config_digest = descriptor_digest(input, "manifest", config_descriptor)?;
    let config = documents.config(&config_digest, Some(config_descriptor.size()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&config).map_err(|e| malformed(input, "image config", e))?;
    let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
    Ok(match (field("os"), field("architecture")) {
        (Some(os), Some(architecture)) => Some(Platform::new(os, architecture, field("variant"))),
        _ => None,
    })
}

/// Config media types of images; anything else is an artifact's (a Helm chart, an SBOM, a
/// signature) and its config is no image config.
const IMAGE_CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// `Err(type)` when the manifest is an artifact's, naming its type: the manifest's
/// `artifactType`, else its config's media type, else that of a JSON "layer" (cosign keeps an
/// image config beside its signature layers).
fn image_kind(manifest: &ImageManifest) -> Result<(), String> {
    if let Some(artifact_type) = manifest.artifact_type() {
        return Err(artifact_type.to_string());
    }
    let config_type = manifest.config().media_type().to_string();
    if !IMAGE_CONFIG_TYPES.contains(&config_type.as_str()) {
        return Err(config_type);
    }
    // Layer media types vary (tar, gzip, zstd, foreign, encrypted); a JSON one is never a layer.
    match manifest
        .layers()
        .iter()
        .map(|l| l.media_type().to_string())
        .find(|t| t.ends_with("json"))
    {
        Some(json_type) => Err(json_type),
        None => Ok(()),
    }
}

/// Refuses what imgaudit cannot read as an image: an artifact, encrypted layers.
fn check_is_image(input: &str, manifest: &ImageManifest) -> Result<(), ImageError> {
    if let Err(artifact_type) = image_kind(manifest) {
        return Err(ImageError::NotAnImage {
            input: input.to_owned(),
            reason: format!("it is an artifact of type `{artifact_type}`, not a container image"),
        });
    }
    if let Some(layer) = manifest
        .layers()
        .iter()
        .find(|l| l.media_type().to_string().contains("+encrypted"))
    {
        return Err(ImageError::NotAnImage {
            input: input.to_owned(),
            reason: format!(
                "its layer {} is encrypted (`{}`), and imgaudit cannot read encrypted layers",
                layer.digest(),
                layer.media_type()
            ),
        });
    }
    Ok(())
}

/// Foreign (Windows base) and OCI non-distributable layers may be left out of a layout or
/// archive and fetched from their `urls` instead: say so rather than report a missing blob.
fn check_foreign_layers(
    documents: &dyn Documents,
    manifest: &ImageManifest,
) -> Result<(), ImageError> {
    let input = documents.input();
    for layer in manifest.layers() {
        let media_type = layer.media_type().to_string();
        if !is_foreign(&media_type) {
            continue;
        }
        let digest = descriptor_digest(input, "manifest", layer)?;
        if documents.has_blob(&digest) {
            continue;
        }
        let urls = layer.urls().as_deref().unwrap_or_default();
        return Err(ImageError::NotAnImage {
            input: input.to_owned(),
            reason: format!(
                "its layer {digest} is a foreign (non-distributable) layer (`{media_type}`) that this source does not hold; it is fetched from {}",
                if urls.is_empty() {
                    "(no URL given)".to_owned()
                } else {
                    urls.join(", ")
                }
            ),
        });
    }
    Ok(())
}

pub(crate) fn is_foreign(media_type: &str) -> bool {
    media_type.contains(".foreign.") || media_type.contains(".nondistributable.")
}
