//! An image held in memory: a manifest and the blobs it names, kept by their SHA-256. For tests,
//! fuzzing and tools that build an image without writing it anywhere; read exactly as a layout
//! is (a blob named by another algorithm is not found).

use std::collections::HashMap;
use std::io::Read;

use imgaudit_digest::{Algorithm, Digest};

use crate::OpenOptions;
use crate::oci::{Documents, resolve};
use crate::{BlobStore, ImageError, LayerRef, OpenedImage, verify_bytes};

/// Blobs by digest.
#[derive(Debug, Default)]
struct MemoryBlobs {
    input: String,
    blobs: HashMap<Digest, Vec<u8>>,
}

impl MemoryBlobs {
    fn get(&self, digest: &Digest, what: &str, size: Option<u64>) -> Result<&[u8], ImageError> {
        let bytes = self
            .blobs
            .get(digest)
            .ok_or_else(|| ImageError::NotAnImage {
                input: self.input.clone(),
                reason: format!("the {what} {digest} is not among its blobs"),
            })?;
        verify_bytes(&self.input, what, bytes, digest, size)?;
        Ok(bytes)
    }
}

impl Documents for MemoryBlobs {
    fn input(&self) -> &str {
        &self.input
    }

    fn manifest(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        self.get(digest, "manifest", size).map(<[u8]>::to_vec)
    }

    fn config(&self, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        self.get(digest, "image config", size).map(<[u8]>::to_vec)
    }

    fn layer_location(&self, digest: &Digest) -> String {
        format!("blob {digest}")
    }
}

impl BlobStore for MemoryBlobs {
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let digest = layer.digest.as_ref().unwrap_or(&layer.diff_id);
        // The layer reader verifies the bytes as it reads them, as for every source.
        let bytes = self
            .blobs
            .get(digest)
            .ok_or_else(|| ImageError::NotAnImage {
                input: self.input.clone(),
                reason: format!("the layer {digest} is not among its blobs"),
            })?;
        Ok(Box::new(bytes.as_slice()))
    }
}

/// Opens the image whose manifest (or index) is `manifest`, with `blobs` holding its config
/// and layers (and the manifests an index names). `input` names it in messages and reports.
pub fn open_in_memory(
    input: &str,
    manifest: &[u8],
    blobs: Vec<Vec<u8>>,
    options: &OpenOptions,
) -> Result<OpenedImage, ImageError> {
    let store = MemoryBlobs {
        input: input.to_owned(),
        blobs: blobs
            .into_iter()
            .map(|bytes| (Digest::of_bytes(Algorithm::Sha256, &bytes), bytes))
            .collect(),
    };
    let digest = Digest::of_bytes(Algorithm::Sha256, manifest);
    let resolved = resolve(&store, digest, manifest, options)?;
    let meta = resolved.into_meta(input.to_owned(), "memory", None);
    Ok(OpenedImage {
        meta,
        blobs: Box::new(store),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(config: &[u8]) -> Vec<u8> {
        let digest = Digest::of_bytes(Algorithm::Sha256, config);
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{digest}","size":{}}},"layers":[]}}"#,
            config.len()
        )
        .into_bytes()
    }

    const CONFIG: &[u8] =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"User":"app"}}"#;

    #[test]
    fn opens_an_image_from_its_blobs() {
        let opened = open_in_memory(
            "built",
            &manifest(CONFIG),
            vec![CONFIG.to_vec()],
            &OpenOptions::default(),
        )
        .unwrap();
        assert_eq!(opened.meta.source, "built");
        assert_eq!(opened.meta.platform.to_string(), "linux/amd64");
        assert!(opened.meta.layers.is_empty());
    }

    #[test]
    fn a_missing_blob_is_named() {
        let error = open_in_memory("built", &manifest(CONFIG), vec![], &OpenOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("built") && error.contains("image config"),
            "{error}"
        );
    }
}
