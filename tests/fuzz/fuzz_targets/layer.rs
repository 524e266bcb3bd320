//! One layer blob (tar, gzip, zstd, or anything else) through the layer reader with every file
//! captured, then applied alone as an image's filesystem, every path looked up through links.
#![no_main]

use imgaudit_digest::Algorithm;
use imgaudit_fs::Filesystem;
use imgaudit_fuzz::{budget, capture_everything};
use imgaudit_layer::{ReadOptions, read_layer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let capture = capture_everything();
    let budget = budget();
    // Each algorithm pairing takes another path through the reader (an uncompressed blob hashed
    // once or twice); the input's last byte chooses.
    let diff_id_algorithm = match data.last() {
        Some(b) if b % 2 == 1 => Algorithm::Sha512,
        _ => Algorithm::Sha256,
    };
    let options = ReadOptions {
        capture: &capture,
        budget: &budget,
        blob_algorithm: Algorithm::Sha256,
        diff_id_algorithm,
        hash_uncompressed: true,
    };
    let index = match read_layer(data, &options) {
        Ok(index) => index,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = index.approximate_size();
    match Filesystem::assemble([index.changes.as_slice()]) {
        Ok(fs) => {
            for (path, _) in fs.iter() {
                let _ = fs.lookup(path, true);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
