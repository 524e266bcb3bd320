//! Image sources and manifests.
//!
//! This crate turns an image argument (`oci:DIR:REF`, `oci:DIR:sha256:<hex>`, `oci-archive:FILE`,
//! `docker-archive:FILE:NAME:TAG`, skopeo's `dir:DIR`, `-`, `oci-archive:-`, or a bare path whose kind is
//! detected) into an [`ImageMeta`] (identity,
//! platform, verified config, ordered layer references) and a [`BlobStore`] that opens each layer
//! blob as a stream. Every manifest, index and config is verified against its digest before it is
//! parsed. Layer blobs are verified by the layer reader, in the same pass that indexes them.
//!
//! Sources that can only be read front to back (a `docker save` stream or an OCI archive on
//! stdin, a daemon's export) go through [`read_docker_save_stream`], which hands each layer to
//! the caller as it streams past, because legacy `docker save` writes `manifest.json` last and
//! an OCI archive may put `index.json` anywhere.
//!
//! A registry source plugs in beside these by producing the same [`ImageMeta`] and a
//! [`BlobStore`] that streams blobs from the network.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod archive;
mod dir;
mod docker;
mod memory;
mod oci;
mod platform;
mod reference;
mod spec;
mod stream;

use std::fmt;
use std::io::Read;

use imgaudit_digest::Digest;
use oci_spec::image::ImageConfiguration;

pub use archive::{
    MAX_ARCHIVE_INDEX_SIZE, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, MAX_METADATA_BLOB, too_large,
    verify_bytes,
};
pub use memory::open_in_memory;
pub use oci::{Documents, Resolved, resolve};
pub use platform::{Platform, PlatformError};
pub use reference::{Reference, ReferenceError};
pub use reference::{image_repository, repository};
pub use spec::{DaemonKind, ImageSpec, Selection, SourceKind};
pub use stream::{
    MAX_STREAM_KEPT_BYTES, MAX_STREAM_LAYERS, MAX_STREAM_MEMBERS, read_docker_save_stream,
};

/// Everything known about an image before its layers are read.
#[derive(Debug, Clone)]
pub struct ImageMeta {
    /// The source as the user named it, normalized (`oci:DIR:REF`).
    pub source: String,
    /// The transport, as skopeo names it.
    pub transport: &'static str,
    /// A name for the image: its tag, or its OCI reference name, when the source gives one.
    pub name: Option<String>,
    /// The digest of the image manifest, when the source has one (a legacy `docker save`
    /// tarball has none).
    pub manifest_digest: Option<Digest>,
    /// The platform of the selected image, from its config.
    pub platform: Platform,
    /// The digest of the config blob (the image id).
    pub config_digest: Digest,
    pub config: ImageConfiguration,
    pub layers: Vec<LayerRef>,
    /// What a reader may want to know (a declared media type the bytes contradict, ...).
    pub notes: Vec<String>,
}

impl ImageMeta {
    /// Which image this is, as commands and reports name it.
    pub fn identity(&self) -> imgaudit_finding::ImageIdentity {
        imgaudit_finding::ImageIdentity {
            source: self.source.clone(),
            transport: self.transport,
            name: self.name.clone(),
            manifest_digest: self.manifest_digest.as_ref().map(ToString::to_string),
            config_digest: self.config_digest.to_string(),
            platform: self.platform.to_string(),
        }
    }
}

/// One layer as the manifest and config describe it.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// The digest of the blob as stored, when the source names it (a legacy `docker save`
    /// tarball names layers by path only; their uncompressed digest is `diff_id`).
    pub digest: Option<Digest>,
    /// The digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: Digest,
    pub media_type: Option<String>,
    /// The blob size the manifest declares.
    pub size: Option<u64>,
    /// Where the blob lives inside its source (a path in a layout or archive).
    pub location: String,
}

/// Opens layer blobs of one image. Implementations must allow several blobs open at once, on
/// several threads.
pub trait BlobStore: Send + Sync + fmt::Debug {
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError>;

    /// Layers worth reading at once when the caller has no preference; `None` means one per
    /// core (reading is CPU-bound unless the blobs come over a network).
    fn parallelism(&self) -> Option<usize> {
        None
    }
}

/// An image whose blobs can be opened in any order.
#[derive(Debug)]
pub struct OpenedImage {
    pub meta: ImageMeta,
    pub blobs: Box<dyn BlobStore>,
}

/// Why an image could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{input}: no such file or directory")]
    NoSuchImage { input: String },
    #[error("{input}: {reason}")]
    BadArgument { input: String, reason: String },
    #[error("{input}: the `{transport}` transport is not supported yet")]
    UnsupportedTransport { input: String, transport: String },
    #[error("{input}: not an image: {reason}")]
    NotAnImage { input: String, reason: String },
    /// A stream read front to back holds more than imgaudit keeps of one while it waits for
    /// the member that says which image, config and layers are wanted.
    #[error(
        "{input}: the stream holds more {what} than the {limit} kept while it is read front to back (a real `docker save` holds a few kilobytes of metadata per image and tens of layers)"
    )]
    StreamTooLarge {
        input: String,
        what: &'static str,
        limit: u64,
    },
    #[error("{input}: reading failed: {source}")]
    Io {
        input: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{input}: `{name}` is missing")]
    MissingFile { input: String, name: String },
    #[error("{input}: the {what} is malformed: {reason}")]
    Malformed {
        input: String,
        what: String,
        reason: String,
    },
    #[error("{input}: the {what} does not match its digest: expected {expected}, found {actual}")]
    DigestMismatch {
        input: String,
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{input}: the {what} is {actual} bytes, but its descriptor says {declared}")]
    SizeMismatch {
        input: String,
        what: String,
        declared: u64,
        actual: u64,
    },
    #[error(
        "{input}: no image named `{wanted}`; it holds: {}",
        list_or_none(available)
    )]
    NoSuchReference {
        input: String,
        wanted: String,
        available: Vec<String>,
    },
    #[error("{input}: it holds {} images; choose one with {hint}: {}", available.len(), list_or_none(available))]
    Ambiguous {
        input: String,
        hint: String,
        available: Vec<String>,
    },
    #[error(
        "{input}: no image for platform {wanted}; platforms present: {}",
        list_or_none(available)
    )]
    NoSuchPlatform {
        input: String,
        wanted: Platform,
        available: Vec<String>,
    },
    /// A failure of a remote source (a registry) while it fetched a document.
    #[error("{0}")]
    Remote(Box<dyn std::error::Error + Send + Sync>),
    #[error("{input}: the stream failed at `{name}`: {source}")]
    StreamedLayer {
        input: String,
        name: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

/// What to choose when a source holds several images or platforms.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The platform to select from an index; `None` means linux/amd64 for indexes and "whatever
    /// the image is" for single images.
    pub platform: Option<Platform>,
}

/// Opens an image from a file or directory source.
pub fn open(spec: &ImageSpec, options: &OpenOptions) -> Result<OpenedImage, ImageError> {
    let input = spec.to_string();
    match spec {
        ImageSpec::OciLayout { dir, reference } => {
            let files = archive::DirFiles {
                root: dir.clone(),
                input: input.clone(),
            };
            if !dir.is_dir() {
                return Err(if dir.exists() {
                    ImageError::NotAnImage {
                        input,
                        reason: "an OCI layout is a directory, and this is a file (use oci-archive: for a tarball)".to_owned(),
                    }
                } else {
                    ImageError::NoSuchImage { input }
                });
            }
            oci::open(Box::new(files), spec, reference.as_deref(), options)
        }
        ImageSpec::OciArchive { file, reference } => {
            let files = archive::TarFiles::open(file, &input)?;
            oci::open(Box::new(files), spec, reference.as_deref(), options)
        }
        ImageSpec::Dir { dir } => {
            if !dir.is_dir() {
                return Err(if dir.exists() {
                    ImageError::NotAnImage {
                        input,
                        reason: "a `dir:` layout is a directory, and this is a file".to_owned(),
                    }
                } else {
                    ImageError::NoSuchImage { input }
                });
            }
            let files = archive::DirFiles {
                root: dir.clone(),
                input,
            };
            dir::open(files, spec, options)
        }
        ImageSpec::DockerArchive { file, selection } => {
            let files = archive::TarFiles::open(file, &input)?;
            docker::open(Box::new(files), spec, selection, options)
        }
        ImageSpec::Stdin { .. } | ImageSpec::OciArchiveStdin { .. } => {
            Err(ImageError::BadArgument {
                input,
                reason: "standard input is a stream: read it with read_docker_save_stream"
                    .to_owned(),
            })
        }
        ImageSpec::Registry { .. } | ImageSpec::Daemon { .. } | ImageSpec::Named { .. } => {
            Err(ImageError::BadArgument {
                input,
                reason: "a registry or daemon image is opened by the loader".to_owned(),
            })
        }
    }
}

/// Checks an explicitly requested platform against a single image's own.
fn check_platform(input: &str, actual: &Platform, options: &OpenOptions) -> Result<(), ImageError> {
    match &options.platform {
        Some(wanted) if !actual.satisfies(wanted) => Err(ImageError::NoSuchPlatform {
            input: input.to_owned(),
            wanted: wanted.clone(),
            available: vec![actual.to_string()],
        }),
        _ => Ok(()),
    }
}

/// The most `Env` entries a config may set: real images set tens. Every entry becomes a fact,
/// a policy input value and a line of reports, so a config of small entries within
/// [`MAX_CONFIG_SIZE`] (a million of them) would cost far more memory than its size.
pub const MAX_ENV_ENTRIES: usize = 10_000;
/// The most history steps a config may list: one per Dockerfile instruction of every stage an
/// image was built from, hundreds at most in real images.
pub const MAX_HISTORY_STEPS: usize = 10_000;

/// Parses a config blob and the layer references it and the layer list imply.
fn parse_config(input: &str, bytes: &[u8]) -> Result<ImageConfiguration, ImageError> {
    let config: ImageConfiguration =
        serde_json::from_slice(bytes).map_err(|e| ImageError::Malformed {
            input: input.to_owned(),
            what: "image config".to_owned(),
            reason: e.to_string(),
        })?;
    let too_many = |what: &str, count: usize, limit: usize| ImageError::Malformed {
        input: input.to_owned(),
        what: "image config".to_owned(),
        reason: format!(
            "it has {count} {what}, more than the cap of {limit} (real images have tens)"
        ),
    };
    let env = config
        .config()
        .as_ref()
        .and_then(|c| c.env().as_ref())
        .map_or(0, Vec::len);
    if env > MAX_ENV_ENTRIES {
        return Err(too_many("`Env` entries", env, MAX_ENV_ENTRIES));
    }
    let history = config.history().as_ref().map_or(0, Vec::len);
    if history > MAX_HISTORY_STEPS {
        return Err(too_many("history steps", history, MAX_HISTORY_STEPS));
    }
    Ok(config)
}

fn diff_ids(input: &str, config: &ImageConfiguration) -> Result<Vec<Digest>, ImageError> {
    config
        .rootfs()
        .diff_ids()
        .iter()
        .map(|d| {
            d.parse().map_err(|e| ImageError::Malformed {
                input: input.to_owned(),
                what: "image config".to_owned(),
                reason: format!("rootfs.diff_ids: {e}"),
            })
        })
        .collect()
}

fn config_platform(config: &ImageConfiguration) -> Platform {
    Platform::new(
        &config.os().to_string(),
        &config.architecture().to_string(),
        config.variant().as_deref(),
    )
}
