//! Images that lie about their digests: every declared digest is checked against the bytes, and
//! the layer cache never remembers a layer under a digest that was not. Images built to exhaust
//! memory: headers, captured files, configs and streams over their caps are refused, from every
//! source.

use std::sync::Arc;

use imgaudit_cache::LayerCache;
use imgaudit_digest::{Algorithm, Digest};
use imgaudit_image::ImageSpec;
use imgaudit_layer::CaptureRules;
use imgaudit_loader::{LayerOrigin, LoadError, LoadOptions, load_local, load_stream};
use imgaudit_testkit::{
    LayerBuilder, TestImage, append_file, blob, write_layout_parts, write_oci_layout,
};
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

/// A tar header block of `kind` whose content is `size` bytes long.
fn raw_header(name: &str, kind: tar::EntryType, size: u64) -> [u8; 512] {
    let mut header = tar::Header::new_gnu();
    header.set_path(name).unwrap();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    *header.as_bytes()
}

/// A GNU long name of 1 MiB (over the 64 KiB cap) for the entry `etc/motd`, then its end.
fn long_name_member(tar: &mut Vec<u8>) {
    let size = 1 << 20;
    tar.extend_from_slice(&raw_header(
        "././@LongLink",
        tar::EntryType::GNULongName,
        size,
    ));
    tar.resize(tar.len() + usize::try_from(size).unwrap(), b'a');
    tar.extend_from_slice(&raw_header("etc/motd", tar::EntryType::Regular, 0));
}

fn layer_with_long_name() -> Vec<u8> {
    let mut tar = LayerBuilder::new().dir("etc").finish();
    tar.truncate(tar.len() - 1024);
    long_name_member(&mut tar);
    tar.extend_from_slice(&[0; 1024]);
    tar
}

fn assert_header_refused(error: &dyn std::fmt::Display, source: &str) {
    let message = error.to_string();
    for part in ["GNU long name", "1048576", "65536"] {
        assert!(
            message.contains(part),
            "{source}: `{part}` missing: {message}"
        );
    }
}

#[test]
fn a_long_name_over_its_cap_is_refused_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let layer = layer_with_long_name();
    let archive = legacy_archive(&layer, &Digest::of_bytes(Algorithm::Sha256, &layer));

    let layout = dir.path().join("layout");
    let image = TestImage::new(vec![layer.clone()]);
    write_oci_layout(&layout, &[("latest", &image)]);
    let spec = ImageSpec::parse(&format!("oci:{}:latest", layout.display())).unwrap();
    let error = load_local(&spec, &LoadOptions::default()).unwrap_err();
    assert!(error.to_string().contains("after `etc`"), "{error}");
    assert_header_refused(&error, "layout");

    let spec = spec_of(&dir, "archive.tar", &archive);
    assert_header_refused(
        &load_local(&spec, &LoadOptions::default()).unwrap_err(),
        "archive",
    );

    let spec = ImageSpec::parse("-").unwrap();
    assert_header_refused(
        &load_stream(&archive[..], &spec, &LoadOptions::default()).unwrap_err(),
        "stream",
    );

    // The archive itself, not a layer in it, holds the long name.
    let mut archive = archive;
    archive.truncate(archive.len() - 1024);
    long_name_member(&mut archive);
    archive.extend_from_slice(&[0; 1024]);
    let spec = spec_of(&dir, "hostile-archive.tar", &archive);
    assert_header_refused(
        &load_local(&spec, &LoadOptions::default()).unwrap_err(),
        "archive member",
    );
    let spec = ImageSpec::parse("-").unwrap();
    assert_header_refused(
        &load_stream(&archive[..], &spec, &LoadOptions::default()).unwrap_err(),
        "stream member",
    );
}

#[test]
fn captured_bytes_are_capped_whether_layers_are_read_or_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let layers = (0..3)
        .map(|l| {
            (0..10)
                .fold(LayerBuilder::new(), |b, i| {
                    b.file(&format!("etc/conf.d/{l}-{i}.conf"), &[b'x'; 1000])
                })
                .finish()
        })
        .collect();
    let image = TestImage::new(layers);
    write_oci_layout(dir.path(), &[("latest", &image)]);
    let spec = ImageSpec::parse(&format!("oci:{}:latest", dir.path().display())).unwrap();
    let cache = Arc::new(LayerCache::new(None, 64 << 20));
    let options = |cap: u64| LoadOptions {
        capture: CaptureRules::new(&["/etc/conf.d/*"], 4096).unwrap(),
        max_captured_bytes: cap,
        layers: Some(cache.clone()),
        jobs: 3,
        ..LoadOptions::default()
    };
    // Every layer is read and remembered.
    let loaded = load_local(&spec, &options(30_000)).unwrap();
    assert!(loaded.layers.iter().all(|l| l.origin == LayerOrigin::Read));
    // Remembered layers are charged as read ones are.
    let message = load_local(&spec, &options(29_999)).unwrap_err().to_string();
    assert!(
        message.contains("captured") && message.contains("29999"),
        "{message}"
    );
    let error = load_local(
        &spec,
        &LoadOptions {
            layers: None,
            ..options(29_999)
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("29999"), "{error}");
}

/// A config with `fields` added, in a `docker save` tarball and an OCI layout.
fn images_with_config(
    dir: &tempfile::TempDir,
    fields: &serde_json::Value,
) -> Vec<(String, ImageSpec, Option<Vec<u8>>)> {
    let layer = clean_layer();
    let diff_id = Digest::of_bytes(Algorithm::Sha256, &layer);
    let mut config = json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    });
    for (key, value) in fields.as_object().unwrap() {
        config[key] = value.clone();
    }
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let config_name = format!(
        "{}.json",
        Digest::of_bytes(Algorithm::Sha256, &config_bytes).hex()
    );
    let mut builder = tar::Builder::new(Vec::new());
    append_file(&mut builder, "layer0/layer.tar", &layer);
    append_file(&mut builder, &config_name, &config_bytes);
    let manifest =
        json!([{"Config": config_name, "RepoTags": ["app:1"], "Layers": ["layer0/layer.tar"]}]);
    append_file(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    let archive = builder.into_inner().unwrap();

    let layout = dir.path().join("layout");
    write_layout_parts(
        &layout,
        &config,
        &[blob(layer, "application/vnd.oci.image.layer.v1.tar")],
        |_| {},
    );
    vec![
        (
            "archive".to_owned(),
            spec_of(dir, "config.tar", &archive),
            None,
        ),
        (
            "stream".to_owned(),
            ImageSpec::parse("-").unwrap(),
            Some(archive),
        ),
        (
            "layout".to_owned(),
            ImageSpec::parse(&format!("oci:{}:latest", layout.display())).unwrap(),
            None,
        ),
    ]
}

#[allow(clippy::result_large_err)] // LoadError is what the loader returns
fn load_any(
    spec: &ImageSpec,
    stream: Option<&Vec<u8>>,
) -> Result<imgaudit_loader::LoadedImage, LoadError> {
    match stream {
        Some(bytes) => load_stream(&bytes[..], spec, &LoadOptions::default()),
        None => load_local(spec, &LoadOptions::default()),
    }
}

#[test]
fn configs_over_their_caps_are_refused_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    // A million `Env` entries: 6 MB, under the size cap, but a million facts.
    let env: Vec<String> = (0..1_000_000).map(|i| format!("{}", i % 10)).collect();
    for (source, spec, stream) in images_with_config(&dir, &json!({"config": {"Env": env}})) {
        let error = load_any(&spec, stream.as_ref()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("1000000 `Env` entries") && message.contains("10000"),
            "{source}: {message}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let history: Vec<_> = (0..20_000).map(|_| json!({"empty_layer": true})).collect();
    for (source, spec, stream) in images_with_config(&dir, &json!({"history": history})) {
        let message = load_any(&spec, stream.as_ref()).unwrap_err().to_string();
        assert!(
            message.contains("20000 history steps"),
            "{source}: {message}"
        );
    }
    // Over the size cap, whatever it holds.
    let dir = tempfile::tempdir().unwrap();
    let label = "x".repeat(usize::try_from(imgaudit_image::MAX_CONFIG_SIZE).unwrap());
    for (source, spec, stream) in
        images_with_config(&dir, &json!({"config": {"Labels": {"big": label}}}))
    {
        let message = load_any(&spec, stream.as_ref()).unwrap_err().to_string();
        assert!(
            message.contains(&imgaudit_image::MAX_CONFIG_SIZE.to_string())
                && message.contains("image config"),
            "{source}: {message}"
        );
    }
    // Real configs pass.
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<String> = (0..100).map(|i| format!("VAR{i}=value")).collect();
    for (source, spec, stream) in images_with_config(&dir, &json!({"config": {"Env": env}})) {
        let image = load_any(&spec, stream.as_ref()).unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_eq!(
            image
                .meta
                .config
                .config()
                .as_ref()
                .unwrap()
                .env()
                .as_ref()
                .unwrap()
                .len(),
            100
        );
    }
}

#[test]
fn a_stream_keeps_bounded_metadata() {
    let spec = ImageSpec::parse("-").unwrap();
    let layer = clean_layer();
    let archive = legacy_archive(&layer, &Digest::of_bytes(Algorithm::Sha256, &layer));
    let prefixed = |members: &[u8]| {
        let mut stream = members.to_vec();
        stream.extend_from_slice(&archive);
        stream
    };

    // Many layers, each indexed and kept until `manifest.json` says which were wanted.
    let mut builder = tar::Builder::new(Vec::new());
    let empty_layer = [0u8; 1024];
    for i in 0..=imgaudit_image::MAX_STREAM_LAYERS {
        append_file(&mut builder, &format!("{i}/layer.tar"), &empty_layer);
    }
    let mut members = builder.into_inner().unwrap();
    members.truncate(members.len() - 1024);
    let message = load_stream(&prefixed(&members)[..], &spec, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("more layers than the 10000"), "{message}");

    // Many JSON members, each kept.
    let mut builder = tar::Builder::new(Vec::new());
    for i in 0..=imgaudit_image::MAX_STREAM_MEMBERS {
        append_file(&mut builder, &format!("{i}.json"), b"");
    }
    let mut members = builder.into_inner().unwrap();
    members.truncate(members.len() - 1024);
    let message = load_stream(&prefixed(&members)[..], &spec, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("more metadata members"), "{message}");

    // A few large ones.
    let mut builder = tar::Builder::new(Vec::new());
    let big = {
        let mut json = vec![b' '; 15 << 20];
        json[0] = b'{';
        json
    };
    for i in 0..5 {
        append_file(&mut builder, &format!("sha256:{i}"), &big);
    }
    let mut members = builder.into_inner().unwrap();
    members.truncate(members.len() - 1024);
    let message = load_stream(&prefixed(&members)[..], &spec, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("more bytes of metadata than the 67108864"),
        "{message}"
    );

    // The plain stream is read.
    load_stream(&archive[..], &spec, &LoadOptions::default()).unwrap();
}
