//! The benchmark's floor: inflate each gzip layer and walk its tar entries, touching nothing
//! else (no digests, no index, no assembly). Layers are spread over the same number of threads
//! imgaudit uses, so that the ratio measures imgaudit's own work.
//!
//! `inflate_walk BLOB...` prints the number of entries it walked.

use std::fs::File;
use std::io::BufReader;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

fn walk(path: &std::path::Path) -> std::io::Result<u64> {
    let raw = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let mut archive = tar::Archive::new(flate2::bufread::MultiGzDecoder::new(raw));
    let mut entries = 0;
    for entry in archive.entries()? {
        let _ = entry?.header().entry_type();
        entries += 1;
    }
    // Read to the end, as a digest of the whole stream would have to.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink())?;
    Ok(entries)
}

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let jobs = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(paths.len().max(1));
    let next = AtomicUsize::new(0);
    let total = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    match walk(path) {
                        Ok(n) => {
                            total.fetch_add(n, Ordering::Relaxed);
                        }
                        Err(e) => {
                            eprintln!("{}: {e}", path.display());
                            std::process::exit(2);
                        }
                    }
                }
            });
        }
    });
    println!("{} entries", total.load(Ordering::Relaxed));
}
