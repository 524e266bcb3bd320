//! Manifests, indexes and configs, as any source hands them to `imgaudit_image::resolve`: the
//! input's first part is the document the source starts from (a manifest or an index), the
//! other parts are the blobs it can name (manifests, configs, layers). The image then goes
//! through the loader (layers read, verified, assembled, history linked) and the facts.
//!
//! A blob is found by its SHA-256, so seeds cut from real images resolve as they did there;
//! a digest no part has (the fuzzer mutated it) still finds a part, chosen by its first byte,
//! because the fuzzer could never forge a matching digest. Sources verify every document
//! against its digest before `resolve` sees it; this store does not, which only widens what
//! reaches the parsers: an attacker who controls a registry controls documents and digests.
#![no_main]

use std::collections::HashMap;
use std::io::Read;

use imgaudit_digest::{Algorithm, Digest};
use imgaudit_facts::Domains;
use imgaudit_fuzz::{MAX_BYTES, MAX_ENTRIES, capture_everything, parts};
use imgaudit_image::{
    BlobStore, Documents, ImageError, LayerRef, OpenOptions, OpenedImage, Platform,
};
use imgaudit_loader::{LoadOptions, load_opened};
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
struct Parts {
    blobs: Vec<Vec<u8>>,
    by_digest: HashMap<String, usize>,
}

impl Parts {
    fn new(blobs: Vec<Vec<u8>>) -> Parts {
        let by_digest = blobs
            .iter()
            .enumerate()
            .map(|(i, b)| (Digest::of_bytes(Algorithm::Sha256, b).hex().to_owned(), i))
            .collect();
        Parts { blobs, by_digest }
    }

    fn find(&self, digest: &Digest) -> &[u8] {
        let index = self
            .by_digest
            .get(digest.hex())
            .copied()
            .unwrap_or_else(|| {
                let first =
                    u8::from_str_radix(digest.hex().get(..2).unwrap_or("0"), 16).unwrap_or(0);
                usize::from(first) % self.blobs.len()
            });
        &self.blobs[index]
    }
}

impl Documents for Parts {
    fn input(&self) -> &'static str {
        "fuzz"
    }

    fn manifest(&self, digest: &Digest, _size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        Ok(self.find(digest).to_vec())
    }

    fn config(&self, digest: &Digest, _size: Option<u64>) -> Result<Vec<u8>, ImageError> {
        Ok(self.find(digest).to_vec())
    }

    fn layer_location(&self, digest: &Digest) -> String {
        format!("blob {digest}")
    }
}

impl BlobStore for Parts {
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let digest = layer.digest.as_ref().unwrap_or(&layer.diff_id);
        Ok(Box::new(self.find(digest)))
    }
}

fuzz_target!(|data: &[u8]| {
    let mut all = parts(data).into_iter();
    let Some(first) = all.next() else { return };
    let mut blobs: Vec<Vec<u8>> = all.map(<[u8]>::to_vec).collect();
    if blobs.is_empty() {
        blobs.push(first.to_vec());
    }
    let store = Parts::new(blobs);
    let digest = Digest::of_bytes(Algorithm::Sha256, first);
    // `--platform linux/arm/v7`: the variant fallbacks of the platform match.
    let arm = OpenOptions {
        platform: Some(Platform::new("linux", "arm", Some("v7"))),
    };
    if let Err(e) = imgaudit_image::resolve(&store, digest.clone(), first, &arm) {
        let _ = e.to_string();
    }
    let resolved = match imgaudit_image::resolve(&store, digest, first, &OpenOptions::default()) {
        Ok(resolved) => resolved,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let meta = resolved.into_meta("fuzz".to_owned(), "memory", None);
    let _ = meta.identity();
    let opened = OpenedImage {
        meta,
        blobs: Box::new(store),
    };
    let options = LoadOptions {
        capture: capture_everything(),
        max_uncompressed_bytes: MAX_BYTES,
        max_entries: MAX_ENTRIES,
        jobs: 1,
        ..LoadOptions::default()
    };
    match load_opened(opened, &options) {
        Ok(image) => {
            let facts = imgaudit_facts::collect(&image, &Domains::all());
            serde_json::to_vec(&facts).expect("facts serialize");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
