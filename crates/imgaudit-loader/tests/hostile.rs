//! Images that lie about their digests: every declared digest is checked against the bytes, and
//! the layer cache never remembers a layer under a digest that was not.

use std::sync::Arc;

use imgaudit_cache::LayerCache;
use imgaudit_digest::{Algorithm, Digest};
use imgaudit_image::ImageSpec;
use imgaudit_loader::{LayerOrigin, LoadError, LoadOptions, load_local, load_stream};
use imgaudit_testkit::{LayerBuilder, append_file};
use serde_json::json;

fn clean_layer() -> Vec<u8> {
    LayerBuilder::new()
        .dir("etc")
        .file("etc/motd", b"clean\n")
        .finish()
}

fn hostile_layer() -> Vec<u8> {
    LayerBuilder::new()
        .dir("etc")
        .file("etc/motd", b"hostile\n")
        .finish()
}

/// A legacy `docker save` tarball of one uncompressed layer whose config declares `diff_id`.
fn legacy_archive(layer: &[u8], diff_id: &Digest) -> Vec<u8> {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    }))
    .unwrap();
    let config_name = format!(
        "{}.json",
        Digest::of_bytes(Algorithm::Sha256, &config).hex()
    );
    let mut builder = tar::Builder::new(Vec::new());
    append_file(&mut builder, "layer0/layer.tar", layer);
    append_file(&mut builder, &config_name, &config);
    let manifest = json!([{
        "Config": config_name,
        "RepoTags": ["app:1"],
        "Layers": ["layer0/layer.tar"],
    }]);
    append_file(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    builder.into_inner().unwrap()
}

fn spec_of(dir: &tempfile::TempDir, name: &str, archive: &[u8]) -> ImageSpec {
    let path = dir.path().join(name);
    std::fs::write(&path, archive).unwrap();
    ImageSpec::parse(&format!("docker-archive:{}", path.display())).unwrap()
}

fn sha512(bytes: &[u8]) -> Digest {
    Digest::of_bytes(Algorithm::Sha512, bytes)
}

#[test]
fn a_true_sha512_diff_id_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let layer = clean_layer();
    let spec = spec_of(&dir, "clean.tar", &legacy_archive(&layer, &sha512(&layer)));
    let image = load_local(&spec, &LoadOptions::default()).unwrap();
    assert_eq!(image.layers[0].diff_id, sha512(&layer));
    assert!(image.layers[0].diff_id_verified);
}

#[test]
fn a_lying_sha512_diff_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_of(
        &dir,
        "hostile.tar",
        &legacy_archive(&hostile_layer(), &sha512(&clean_layer())),
    );
    for verify_diff_ids in [true, false] {
        let options = LoadOptions {
            verify_diff_ids,
            ..LoadOptions::default()
        };
        let error = load_local(&spec, &options).unwrap_err();
        assert!(matches!(error, LoadError::Mismatch { .. }), "{error:?}");
        assert!(error.to_string().contains("rootfs.diff_ids"), "{error}");
    }
}

#[test]
fn a_lying_image_cannot_poison_the_cache_for_a_clean_one() {
    let dir = tempfile::tempdir().unwrap();
    let clean = clean_layer();
    let declared = sha512(&clean);
    let hostile = spec_of(
        &dir,
        "hostile.tar",
        &legacy_archive(&hostile_layer(), &declared),
    );
    let honest = spec_of(&dir, "clean.tar", &legacy_archive(&clean, &declared));
    let options = LoadOptions {
        layers: Some(Arc::new(LayerCache::new(None, 64 << 20))),
        ..LoadOptions::default()
    };
    load_local(&hostile, &options).unwrap_err();
    let image = load_local(&honest, &options).unwrap();
    assert_eq!(image.layers[0].origin, LayerOrigin::Read);
    assert_eq!(image.layers[0].diff_id, declared);
    assert_eq!(image.layers[0].uncompressed_size, clean.len() as u64);
}

#[test]
fn a_sha512_diff_id_in_a_stream_is_refused_not_trusted() {
    let layer = clean_layer();
    let archive = legacy_archive(&layer, &sha512(&layer));
    let spec = ImageSpec::parse("-").unwrap();
    let error = load_stream(&archive[..], &spec, &LoadOptions::default()).unwrap_err();
    assert!(matches!(error, LoadError::Unverifiable { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot be verified"), "{error}");
}
