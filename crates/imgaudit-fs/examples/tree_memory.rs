//! What the tree costs in memory per entry: reads one layer blob into its index, assembles it,
//! then drops the index, printing the process's resident memory after each step (Linux only:
//! `/proc/self/status`), per entry of the layer.
//!
//! `cargo run --release -p imgaudit-fs --example tree_memory -- BLOB`

use std::fs::File;
use std::io::BufReader;

use imgaudit_digest::Algorithm;
use imgaudit_fs::Filesystem;
use imgaudit_layer::{Budget, CaptureRules, ReadOptions, read_layer};

/// Resident kilobytes now (`VmRSS`).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("a Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn main() {
    let path = std::env::args_os().nth(1).expect("usage: tree_memory BLOB");
    let start = resident_kib();
    let capture = CaptureRules::new::<&str>(&[], 0).expect("no patterns");
    let budget = Budget::default();
    let raw = BufReader::new(File::open(&path).expect("the layer blob"));
    let index = read_layer(
        raw,
        &ReadOptions {
            capture: &capture,
            budget: &budget,
            blob_algorithm: Algorithm::Sha256,
            diff_id_algorithm: Algorithm::Sha256,
            hash_uncompressed: false,
        },
    )
    .expect("a readable layer");
    let entries = (index.changes.len() as u64).max(1);
    let per_entry = |kib: u64| kib.saturating_sub(start) * 1024 / entries;
    let read = resident_kib();
    println!("{} entries", index.changes.len());
    println!("index:         {:>8} B/entry", per_entry(read));
    let fs = Filesystem::assemble([&index.changes[..]]).expect("assembles");
    let both = resident_kib();
    println!("index + tree:  {:>8} B/entry", per_entry(both));
    drop(index);
    let tree = resident_kib();
    println!(
        "tree alone:    {:>8} B/entry ({} paths)",
        per_entry(tree),
        fs.len()
    );
}
