//! Several layers (the input's parts, each a blob the layer reader reads) merged in order into
//! one filesystem: whiteouts, opaque directories, hard links and symlinks across layers; then
//! every path and every removed path looked up through links, as the facts do.
#![no_main]

use imgaudit_digest::Algorithm;
use imgaudit_fs::Filesystem;
use imgaudit_fuzz::{budget, capture_everything, parts};
use imgaudit_layer::{ReadOptions, read_layer};
use libfuzzer_sys::fuzz_target;

/// Real images have dozens of layers; a handful is enough to cross every layer boundary.
const MAX_LAYERS: usize = 6;

fuzz_target!(|data: &[u8]| {
    let capture = capture_everything();
    let budget = budget();
    let options = ReadOptions {
        capture: &capture,
        budget: &budget,
        blob_algorithm: Algorithm::Sha256,
        diff_id_algorithm: Algorithm::Sha256,
        hash_uncompressed: false,
    };
    let mut indexes = Vec::new();
    for blob in parts(data).into_iter().take(MAX_LAYERS) {
        match read_layer(blob, &options) {
            Ok(index) => indexes.push(index),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    let fs = match Filesystem::assemble(indexes.iter().map(|i| i.changes.as_slice())) {
        Ok(fs) => fs,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for (path, node) in fs.iter() {
        let _ = fs.lookup(path, true);
        let _ = fs.lookup(path, false);
        let _ = node.content();
    }
    for (path, _) in fs.removed() {
        let _ = fs.lookup(path, true);
        let _ = fs.removal(path);
    }
    let root = imgaudit_layer::ImagePath::root();
    let _ = fs.children(&root).count();
    let _ = fs.notes();
});
