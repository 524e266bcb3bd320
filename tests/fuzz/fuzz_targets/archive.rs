//! A `docker save` tarball or an OCI archive read as a file (`docker-archive:FILE`,
//! `oci-archive:FILE`): members found by name in any order, links between them, sizes checked,
//! then the loader reads the layers from the file and assembles them.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use imgaudit_fuzz::{MAX_BYTES, MAX_ENTRIES, capture_everything};
use imgaudit_image::{ImageSpec, Selection};
use imgaudit_loader::{LoadOptions, load_local};
use libfuzzer_sys::fuzz_target;

/// One file per fuzzing process, rewritten for every input (the archive reader takes a path).
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("imgaudit-fuzz-archive-{}.tar", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let file = scratch().clone();
    std::fs::write(&file, data).expect("the fuzzer's scratch file is writable");
    let spec = if data.windows(14).any(|w| w == b"manifest.json\0") {
        ImageSpec::DockerArchive {
            file,
            selection: Selection::Only,
        }
    } else {
        ImageSpec::OciArchive {
            file,
            reference: None,
        }
    };
    let options = LoadOptions {
        capture: capture_everything(),
        max_uncompressed_bytes: MAX_BYTES,
        max_entries: MAX_ENTRIES,
        jobs: 1,
        ..LoadOptions::default()
    };
    match load_local(&spec, &options) {
        // Reports name the image by its tag (`RepoTags`, a ref name), parsed here.
        Ok(image) => {
            let _ = imgaudit_image::image_repository(&image.meta, &spec, &mut Vec::new());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
