//! Images that are hostile by their size or shape rather than their content: a tree thousands of
//! directories deep, an image of thousands of layers, a layer that decompresses to far more than
//! it weighs. Regression tests build small ones; `examples/write_scale_images.rs` writes big ones
//! for measurements.

use imgaudit_digest::{Algorithm, Digest, Hasher};
use serde_json::json;

use crate::{Blob, LayerBuilder, TestImage, blob, write_layout_parts};

/// The name of every directory of [`deep_tree_layer`], and of the file at its bottom.
pub const DEEP_TREE_NAME: &str = "d";

/// One layer holding a chain of `depth` nested directories (`d/d/d/...`), each with its own
/// entry, and a file `d/.../d/bottom` at the end: tar names grow with the depth, so the layer
/// holds O(depth²) bytes of names.
pub fn deep_tree_layer(depth: usize) -> Vec<u8> {
    let mut layer = LayerBuilder::new();
    let mut path = String::with_capacity(depth * (DEEP_TREE_NAME.len() + 1));
    for level in 0..depth {
        if level > 0 {
            path.push('/');
        }
        path.push_str(DEEP_TREE_NAME);
        layer = layer.dir(&path);
    }
    path.push_str("/bottom");
    layer.file(&path, b"at the bottom\n").finish()
}

/// The path of the file at the bottom of [`deep_tree_layer`], without a leading `/`.
pub fn deep_tree_bottom(depth: usize) -> String {
    let mut path = vec![DEEP_TREE_NAME; depth].join("/");
    path.push_str("/bottom");
    path
}

/// An image of `count` tiny layers, one history step each: layer `i` adds `/layers/<i>` and
/// rewrites `/etc/generation`, and every tenth layer removes the file the layer before it added,
/// so that merging has whiteouts and replacements to apply at every height.
pub fn many_layers_image(count: usize) -> TestImage {
    let layers = (0..count)
        .map(|i| {
            let mut layer = LayerBuilder::new()
                .file(&format!("layers/{i}"), i.to_string().as_bytes())
                .file("etc/generation", i.to_string().as_bytes());
            if i % 10 == 9 {
                layer = layer.whiteout(&format!("layers/{}", i - 1));
            }
            layer.finish()
        })
        .collect();
    TestImage::new(layers)
}

/// zstd's largest block (`Block_Maximum_Size`), which one RLE block may repeat a byte to.
const ZSTD_MAX_BLOCK: u64 = 128 * 1024;

/// A layer of one file of `file_size` zero bytes (a multiple of 512), compressed as zstd RLE
/// blocks: about 32,768 times smaller than what it expands to. The frames are written by hand,
/// so that a bomb of many gigabytes is built in milliseconds: a frame holding the tar header as
/// a raw block, then a frame of zeros for the content and the end-of-archive blocks.
pub fn zstd_zero_bomb(file_size: u64) -> Vec<u8> {
    assert_eq!(file_size % 512, 0, "tar content ends on a block boundary");
    let mut out = Vec::new();
    let header = zero_file_header(file_size);
    zstd_frame(&mut out, |frame| {
        zstd_block(frame, 0, header.len() as u64, true);
        frame.extend_from_slice(&header);
    });
    // The file's content, then the two zero blocks that end a tar archive.
    let mut zeros = file_size + 1024;
    zstd_frame(&mut out, |frame| {
        while zeros > 0 {
            let run = zeros.min(ZSTD_MAX_BLOCK);
            zeros -= run;
            zstd_block(frame, 1, run, zeros == 0);
            frame.push(0);
        }
    });
    out
}

/// The uncompressed tar [`zstd_zero_bomb`] expands to, hashed without holding it (linear in
/// `file_size`: seconds per gigabyte-ish, for the generator of big bombs).
pub fn zero_bomb_diff_id(file_size: u64) -> Digest {
    let mut hasher = Hasher::new(Algorithm::Sha256);
    hasher.update(&zero_file_header(file_size));
    let zeros = vec![0; 1 << 20];
    let mut left = file_size + 1024;
    while left > 0 {
        let n = usize::try_from(left).map_or(zeros.len(), |left| left.min(zeros.len()));
        hasher.update(&zeros[..n]);
        left -= n as u64;
    }
    hasher.finish()
}

/// Writes a one-image OCI layout (ref `latest`) whose only layer is [`zstd_zero_bomb`], with
/// the right diff id when `true_diff_id` (hashing the whole expansion) or a made-up one
/// otherwise (enough for a bomb that must be refused before its end).
pub fn write_zero_bomb_layout(layout: &std::path::Path, file_size: u64, true_diff_id: bool) {
    let diff_id = if true_diff_id {
        zero_bomb_diff_id(file_size)
    } else {
        Digest::of_bytes(Algorithm::Sha256, b"not the expansion")
    };
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
        "history": [{"created_by": "RUN fallocate -l SIZE /zeros"}],
    });
    let layer: Blob = blob(
        zstd_zero_bomb(file_size),
        "application/vnd.oci.image.layer.v1.tar+zstd",
    );
    write_layout_parts(layout, &config, &[layer], |_| {});
}

fn zero_file_header(file_size: u64) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_path("zeros").expect("a short name");
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(1_700_000_000);
    // Sizes of 8 GiB and more take GNU's binary encoding.
    header.set_size(file_size);
    header.set_cksum();
    header.as_bytes().to_vec()
}

/// A zstd frame without a content size or checksum, with a 128 KiB window.
fn zstd_frame(out: &mut Vec<u8>, blocks: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd]);
    // Frame header descriptor: no content size, not single-segment, no checksum, no dictionary.
    out.push(0x00);
    // Window descriptor: 2^(10 + 7) bytes.
    out.push(7 << 3);
    blocks(out);
}

/// A block header: `kind` 0 is raw (`size` bytes follow), 1 is RLE (one byte follows, repeated
/// `size` times).
fn zstd_block(out: &mut Vec<u8>, kind: u32, size: u64, last: bool) {
    assert!(size <= ZSTD_MAX_BLOCK);
    let size = u32::try_from(size).expect("a block's size fits 21 bits");
    let header = size << 3 | kind << 1 | u32::from(last);
    out.extend_from_slice(&header.to_le_bytes()[..3]);
}
