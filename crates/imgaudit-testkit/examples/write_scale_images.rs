//! Writes the images of imgaudit's scale measurements as OCI layouts under DIR:
//! `deep-<DEPTH>` (one layer, a tree DEPTH directories deep), `deep-implicit-<DEPTH>` (one file
//! at that depth, without entries for its directories), `layers-<COUNT>` (COUNT tiny
//! layers), `bomb-<GIB>g` (a zstd layer of one file of GIB GiB of zeros, about 32 KB per GiB,
//! with its true diff id: hashing the expansion takes a while).
//!
//! `cargo run --release -p imgaudit-testkit --example write_scale_images -- DIR [DEPTH COUNT GIB]`
//! (defaults: 10000 20000 64).

use imgaudit_testkit::scale::{
    deep_tree_bottom, deep_tree_layer, many_layers_image, write_zero_bomb_layout,
};
use imgaudit_testkit::{LayerBuilder, TestImage, write_oci_layout};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        args.next()
            .expect("usage: write_scale_images DIR [DEPTH COUNT GIB]"),
    );
    let mut number = |default: usize| {
        args.next()
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let depth = number(10_000);
    let count = number(20_000);
    let gib = number(64) as u64;

    let deep = dir.join(format!("deep-{depth}"));
    fresh(&deep);
    write_oci_layout(
        &deep,
        &[("latest", &TestImage::new(vec![deep_tree_layer(depth)]))],
    );

    let implicit = dir.join(format!("deep-implicit-{depth}"));
    fresh(&implicit);
    let alone = LayerBuilder::new()
        .file(&deep_tree_bottom(depth), b"alone")
        .finish();
    write_oci_layout(&implicit, &[("latest", &TestImage::new(vec![alone]))]);

    let layers = dir.join(format!("layers-{count}"));
    fresh(&layers);
    write_oci_layout(&layers, &[("latest", &many_layers_image(count))]);

    let bomb = dir.join(format!("bomb-{gib}g"));
    fresh(&bomb);
    write_zero_bomb_layout(&bomb, gib << 30, true);
}

fn fresh(dir: &std::path::Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove the old image");
    }
}
