//! Images hostile by their size: many layers, and a layer that expands far beyond its weight.
//! No test here is timed; each would take minutes (or gigabytes) if the cost it guards against
//! came back.

use std::sync::Arc;

use imgaudit_cache::LayerCache;
use imgaudit_image::ImageSpec;
use imgaudit_layer::{CaptureRules, ImagePath, LayerError};
use imgaudit_loader::{LayerOrigin, LoadError, LoadOptions, load_local};
use imgaudit_testkit::scale::{many_layers_image, write_zero_bomb_layout};
use imgaudit_testkit::{Compress, LayerBuilder, TestImage, write_oci_layout};

fn spec(dir: &std::path::Path) -> ImageSpec {
    ImageSpec::parse(&format!("oci:{}", dir.display())).unwrap()
}

fn p(path: &str) -> ImagePath {
    ImagePath::from_tar_name(path.as_bytes()).unwrap()
}

#[test]
fn an_image_of_thousands_of_layers_loads_with_every_layer_linked_to_its_step() {
    let count = 3_000;
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[("latest", &many_layers_image(count))]);
    let options = LoadOptions {
        capture: CaptureRules::new(&["/etc/generation"], 1024).unwrap(),
        ..LoadOptions::default()
    };
    let image = load_local(&spec(dir.path()), &options).unwrap();
    assert_eq!(image.layers.len(), count);
    assert!(
        image
            .layers
            .iter()
            .enumerate()
            .all(|(i, layer)| layer.history_step == Some(i))
    );
    let generation = image.fs.get(&p("etc/generation")).unwrap();
    assert_eq!(generation.layer, count - 1);
    assert_eq!(
        generation.content(),
        Some((count - 1).to_string().as_bytes())
    );
    // Every tenth layer removed the file of the layer before it.
    assert_eq!(image.fs.children(&p("layers")).count(), count - count / 10);
    assert_eq!(image.fs.removal(&p("layers/8")).unwrap().layer, 9);
}

/// A zstd layer of one file of `bytes` zeros, about 32,768 times smaller than its expansion.
fn bomb(bytes: u64, true_diff_id: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_zero_bomb_layout(dir.path(), bytes, true_diff_id);
    dir
}

#[test]
fn a_zstd_bomb_is_refused_by_the_expansion_ratio_once_past_the_floor() {
    let dir = bomb(64 << 20, false);
    let options = LoadOptions {
        expansion_floor: 1 << 20,
        ..LoadOptions::default()
    };
    let error = load_local(&spec(dir.path()), &options).unwrap_err();
    let LoadError::Layer {
        index: 0,
        source:
            LayerError::TooExpanded {
                limit,
                floor,
                compressed,
                uncompressed,
            },
        ..
    } = &error
    else {
        panic!("not refused by the ratio: {error}");
    };
    assert_eq!(
        (*limit, *floor),
        (imgaudit_layer::DEFAULT_MAX_EXPANSION_RATIO, 1 << 20)
    );
    // Stopped soon after the floor, long before the 64 MiB the layer holds.
    assert!(
        *uncompressed > 1 << 20 && *uncompressed < 16 << 20,
        "{uncompressed}"
    );
    assert!(*uncompressed > limit * compressed);
    let message = error.to_string();
    for part in [
        "layer 0",
        "2048 times",
        "--max-expansion-ratio",
        "imgaudit.toml",
    ] {
        assert!(message.contains(part), "`{part}` not in: {message}");
    }
}

#[test]
fn small_layers_of_zeros_pass_whatever_their_ratio() {
    // Under the default floor, a zstd layer of zeros loads: a preallocated file is no bomb.
    let dir = bomb(8 << 20, true);
    let image = load_local(&spec(dir.path()), &LoadOptions::default()).unwrap();
    assert_eq!(image.fs.get(&p("zeros")).unwrap().entry.size, 8 << 20);
    // Beyond a lowered floor, gzip's deflate stays under the default ratio (about 1032:1 at
    // most; the testkit's fast level gives about 100:1).
    let dir = tempfile::tempdir().unwrap();
    let zeros = LayerBuilder::new()
        .file("zeros", &vec![0; 8 << 20])
        .finish();
    let image = TestImage::new(vec![zeros]).compressed(Compress::Gzip);
    write_oci_layout(dir.path(), &[("latest", &image)]);
    let options = LoadOptions {
        expansion_floor: 1 << 20,
        ..LoadOptions::default()
    };
    let loaded = load_local(&spec(dir.path()), &options).unwrap();
    let layer = &loaded.layers[0];
    let ratio = layer.uncompressed_size / layer.blob_size;
    assert!((50..1100).contains(&ratio), "{ratio}");
}

#[test]
fn a_remembered_layer_is_held_to_the_same_ratio() {
    let dir = bomb(8 << 20, true);
    let cache = Arc::new(LayerCache::new(None, 1 << 30));
    let lenient = LoadOptions {
        layers: Some(Arc::clone(&cache)),
        ..LoadOptions::default()
    };
    load_local(&spec(dir.path()), &lenient).unwrap();
    let strict = LoadOptions {
        expansion_floor: 1 << 20,
        ..lenient.clone()
    };
    let error = load_local(&spec(dir.path()), &strict).unwrap_err();
    assert!(
        matches!(
            error,
            LoadError::Layer {
                source: LayerError::TooExpanded { .. },
                ..
            }
        ),
        "{error}"
    );
    // And the cache did hold it: the lenient load takes it from there.
    let again = load_local(&spec(dir.path()), &lenient).unwrap();
    assert_ne!(again.layers[0].origin, LayerOrigin::Read);
}
