//! Fingerprints the sources this build was made from, for the facts cache: facts remembered by
//! one build are never taken by another, even between releases of the same version number.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest
        .parent()
        .and_then(Path::parent)
        .expect("crates/imgaudit-audit sits two levels below the workspace");
    let crates = workspace.join("crates");
    let lock = workspace.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", crates.display());
    println!("cargo:rerun-if-changed={}", lock.display());
    let mut files = Vec::new();
    collect(&crates, &mut files);
    files.push(lock);
    files.sort();
    // SipHash with fixed keys: the same sources give the same fingerprint on every machine built
    // with the same compiler, and a source change gives another.
    let mut hasher = DefaultHasher::new();
    for file in &files {
        let relative = file.strip_prefix(workspace).unwrap_or(file);
        hasher.write(relative.to_string_lossy().as_bytes());
        hasher.write_u8(0);
        if let Ok(bytes) = fs::read(file) {
            hasher.write(&bytes);
        }
        hasher.write_u8(0);
    }
    println!(
        "cargo:rustc-env=IMGAUDIT_BUILD_FINGERPRINT={:016x}",
        hasher.finish()
    );
}

/// The files below `dir`: sources, manifests and the data they embed (not the test
/// directories: they never change what a build computes).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "tests" && n != "target")
            {
                collect(&path, files);
            }
        } else {
            files.push(path);
        }
    }
}
