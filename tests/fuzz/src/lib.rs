//! What the fuzz targets share: how one input is cut into several files, and the caps and
//! capture rules every layer is read with.
//!
//! A target that needs several documents (a manifest and its config, a Dockerfile and a
//! history, the files of an image) takes them from one input cut at [`SEPARATOR`], a line that
//! no real document holds; the seeds (`make-seeds.py`) are written that way and
//! `dict/parts.dict` hands the separator to libFuzzer's mutations.
#![forbid(unsafe_code)]

use imgaudit_layer::{Budget, CaptureRules};

/// The line between the parts of one input.
pub const SEPARATOR: &[u8] = b"\n--8<--\n";

/// The parts of `data` cut at [`SEPARATOR`] (one part when there is none).
pub fn parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = find(rest, SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Caps well below the product's defaults: a few KB of zstd can expand to gigabytes, and
/// inflating them teaches the fuzzer nothing about parsing (the caps themselves are tested in
/// imgaudit-layer). Every target reads layers under these.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_ENTRIES: u64 = 100_000;

pub fn budget() -> Budget {
    Budget::new(MAX_BYTES, MAX_ENTRIES)
}

/// Captures every file up to 64 KiB, so that the capture path runs on every entry.
pub fn capture_everything() -> CaptureRules {
    CaptureRules::new(&["**"], 64 * 1024).expect("`**` is a valid pattern")
}
