//! A `docker save` stream (legacy, Docker 25+, go-containerregistry) or an OCI archive read
//! front to back, as `imgaudit -` and `oci-archive:-` read standard input: the tar, its
//! `manifest.json` or `index.json`, the configs, every layer, then the loader's checks and
//! assembly and the facts.
#![no_main]

use imgaudit_facts::Domains;
use imgaudit_fuzz::{MAX_BYTES, MAX_ENTRIES, capture_everything};
use imgaudit_image::{ImageSpec, Selection};
use imgaudit_loader::{LoadOptions, load_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A stream naming `manifest.json` is read as `docker save`, any other as an OCI archive,
    // so that seeds of both kinds start where they belong.
    let spec = if data.windows(14).any(|w| w == b"manifest.json\0") {
        ImageSpec::Stdin {
            selection: Selection::Only,
        }
    } else {
        ImageSpec::OciArchiveStdin { reference: None }
    };
    let options = LoadOptions {
        capture: capture_everything(),
        max_uncompressed_bytes: MAX_BYTES,
        max_entries: MAX_ENTRIES,
        jobs: 1,
        ..LoadOptions::default()
    };
    match load_stream(data, &spec, &options) {
        Ok(image) => {
            // Reports name the image by its tag (`RepoTags`, a ref name), parsed here.
            let _ = imgaudit_image::image_repository(&image.meta, &spec, &mut Vec::new());
            let facts = imgaudit_facts::collect(&image, &Domains::all());
            serde_json::to_vec(&facts).expect("facts serialize");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
