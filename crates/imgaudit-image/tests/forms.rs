//! Images as real tools write them: untagged layouts, index entries without a platform,
//! artifacts that are not images, skopeo's `dir:`, go-containerregistry tarballs on a stream.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;

use imgaudit_image::{ImageError, ImageSpec, OpenOptions, Platform, open, read_docker_save_stream};
use imgaudit_testkit::{
    LayerBuilder, TestImage, append_file, blob, ggcr_tarball, index_blob, platform_value, sha256,
    write_blob, write_dir_layout, write_image_blobs, write_layout_files, write_layout_parts,
    write_oci_layout,
};
use serde_json::json;

fn image(os: &str, arch: &str, variant: Option<&str>) -> TestImage {
    let content = format!("{os}/{arch}/{variant:?}");
    TestImage::new(vec![
        LayerBuilder::new()
            .file("etc/platform", content.as_bytes())
            .finish(),
    ])
    .platform(os, arch, variant)
}

fn options(platform: &str) -> OpenOptions {
    OpenOptions {
        platform: Some(platform.parse().unwrap()),
    }
}

fn open_arg(arg: &str, options: &OpenOptions) -> Result<imgaudit_image::OpenedImage, ImageError> {
    open(&ImageSpec::parse(arg)?, options)
}

fn opened_platform(arg: &str, options: &OpenOptions) -> String {
    match open_arg(arg, options) {
        Ok(opened) => opened.meta.platform.to_string(),
        Err(e) => panic!("{arg}: {e}"),
    }
}

fn error(arg: &str, options: &OpenOptions) -> String {
    match open_arg(arg, options) {
        Ok(opened) => panic!("{arg} opened as {}", opened.meta.platform),
        Err(e) => e.to_string(),
    }
}

/// The real skopeo; a test that needs it fails when it is missing rather than pass unseen. Only
/// local layouts and archives are copied, so no signature policy applies (and none need be
/// installed).
fn skopeo(args: &[&str]) {
    let output = Command::new("skopeo")
        .arg("--insecure-policy")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("this test needs skopeo on PATH: {e}"));
    assert!(
        output.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The choices an ambiguity error lists, after `REF is a name or a digest: `.
fn listed_choices(message: &str) -> Vec<String> {
    let (_, list) = message
        .split_once("a name or a digest: ")
        .unwrap_or_else(|| panic!("no choices in: {message}"));
    list.split(", ").map(str::to_owned).collect()
}

/// Every choice the error offers opens, and opens a different image.
fn every_choice_opens(layout: &Path) {
    let arg = format!("oci:{}", layout.display());
    let message = error(&arg, &OpenOptions::default());
    assert!(message.contains("holds 2 images"), "{message}");
    assert!(message.contains(&format!("{arg}:REF")), "{message}");
    let choices = listed_choices(&message);
    assert_eq!(choices.len(), 2, "{message}");
    let mut seen = Vec::new();
    for choice in choices {
        let opened = open_arg(&format!("{arg}:{choice}"), &OpenOptions::default())
            .unwrap_or_else(|e| panic!("offered `{choice}`, then refused it: {e}"));
        let digest = opened.meta.manifest_digest.unwrap().to_string();
        if choice.starts_with("sha256:") {
            assert_eq!(digest, choice);
        }
        seen.push(digest);
    }
    assert_ne!(seen[0], seen[1]);
}

#[test]
fn untagged_manifests_are_chosen_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let amd64 = write_image_blobs(dir.path(), &image("linux", "amd64", None));
    let arm64 = write_image_blobs(dir.path(), &image("linux", "arm64", None));
    let mut tagged = arm64.descriptor();
    tagged["annotations"] = json!({"org.opencontainers.image.ref.name": "arm"});
    write_layout_files(dir.path(), &[amd64.descriptor(), tagged]);
    every_choice_opens(dir.path());

    // A tagged entry is also chosen by its digest.
    let arg = format!("oci:{}:{}", dir.path().display(), arm64.digest);
    assert_eq!(
        opened_platform(&arg, &OpenOptions::default()),
        "linux/arm64"
    );
    let missing = format!("oci:{}:sha256:{}", dir.path().display(), "0".repeat(64));
    let message = error(&missing, &OpenOptions::default());
    assert!(message.contains("no image named"), "{message}");
    assert!(message.contains(&amd64.digest.to_string()), "{message}");
}

#[test]
fn two_skopeo_copies_into_one_layout_are_chosen_by_digest() {
    let work = tempfile::tempdir().unwrap();
    let (a, b, both) = (
        work.path().join("a"),
        work.path().join("b"),
        work.path().join("both"),
    );
    write_oci_layout(&a, &[("latest", &image("linux", "amd64", None))]);
    write_oci_layout(&b, &[("latest", &image("linux", "arm64", None))]);
    for source in [&a, &b] {
        skopeo(&[
            "copy",
            "--quiet",
            &format!("oci:{}:latest", source.display()),
            &format!("oci:{}", both.display()),
        ]);
    }
    every_choice_opens(&both);
}

/// A layout whose `index.json` points at an index of these entries.
fn index_layout(dir: &Path, entries: &[serde_json::Value]) -> String {
    let index = index_blob(entries);
    write_blob(dir, &index);
    write_layout_files(dir, &[index.descriptor()]);
    format!("oci:{}", dir.display())
}

fn entry(dir: &Path, image: &TestImage, with_platform: bool) -> serde_json::Value {
    let mut descriptor = write_image_blobs(dir, image).descriptor();
    if with_platform {
        descriptor["platform"] = platform_value(image);
    }
    descriptor
}

#[test]
fn entries_without_a_platform_are_decided_by_their_config() {
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        entry(dir.path(), &image("linux", "arm64", None), false),
        entry(dir.path(), &image("linux", "amd64", None), false),
    ];
    let arg = index_layout(dir.path(), &entries);
    assert_eq!(
        opened_platform(&arg, &OpenOptions::default()),
        "linux/amd64"
    );
    assert_eq!(
        opened_platform(&arg, &options("linux/arm64/v8")),
        "linux/arm64"
    );
    let message = error(&arg, &options("linux/s390x"));
    assert!(message.contains("linux/arm64, linux/amd64"), "{message}");
}

#[test]
fn variants_fall_back_as_containerd_matches_them() {
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        entry(dir.path(), &image("linux", "amd64", None), true),
        entry(dir.path(), &image("linux", "amd64", Some("v3")), true),
        entry(dir.path(), &image("linux", "arm", Some("v5")), true),
        entry(dir.path(), &image("linux", "arm", Some("v6")), true),
        entry(dir.path(), &image("linux", "arm64", Some("v8")), true),
    ];
    let arg = index_layout(dir.path(), &entries);
    for (wanted, chosen) in [
        ("linux/amd64/v2", "linux/amd64"),
        ("linux/amd64/v3", "linux/amd64/v3"),
        ("linux/amd64/v4", "linux/amd64/v3"),
        ("linux/amd64", "linux/amd64"),
        ("linux/arm/v7", "linux/arm/v6"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("linux/arm/v5", "linux/arm/v5"),
        ("linux/arm64", "linux/arm64/v8"),
        ("linux/arm64/v8", "linux/arm64/v8"),
    ] {
        assert_eq!(opened_platform(&arg, &options(wanted)), chosen, "{wanted}");
    }
    let message = error(&arg, &options("linux/arm/v4"));
    assert!(
        message.contains("no image for platform linux/arm/v4"),
        "{message}"
    );

    // The exact variant wins over a fallback listed before it.
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        entry(dir.path(), &image("linux", "arm", Some("v6")), true),
        entry(dir.path(), &image("linux", "arm", Some("v7")), true),
        entry(dir.path(), &image("linux", "arm64", None), true),
    ];
    let arg = index_layout(dir.path(), &entries);
    assert_eq!(
        opened_platform(&arg, &options("linux/arm/v7")),
        "linux/arm/v7"
    );
    assert_eq!(
        opened_platform(&arg, &options("linux/arm64/v8")),
        "linux/arm64"
    );
}

#[test]
fn attestations_are_skipped_even_without_a_platform() {
    let dir = tempfile::tempdir().unwrap();
    let mut attestation = entry(dir.path(), &image("linux", "amd64", None), false);
    attestation["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
    let entries = [
        attestation,
        entry(dir.path(), &image("linux", "amd64", Some("v2")), true),
    ];
    let arg = index_layout(dir.path(), &entries);
    assert_eq!(
        opened_platform(&arg, &OpenOptions::default()),
        "linux/amd64/v2"
    );
}

/// A one-manifest layout whose manifest says what `edit` makes it say.
fn edited_layout(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let layer = blob(
        LayerBuilder::new().file("a", b"a").finish(),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]},
    });
    write_layout_parts(dir, &config, &[layer], edit);
    format!("oci:{}", dir.display())
}

/// An edit of a manifest before it is digested.
type EditManifest = fn(&mut serde_json::Value);

#[test]
fn artifacts_are_named_as_artifacts() {
    let cases: [(&str, EditManifest); 3] = [
        ("application/vnd.cncf.helm.config.v1+json", |m| {
            m["config"]["mediaType"] = json!("application/vnd.cncf.helm.config.v1+json");
        }),
        ("application/spdx+json", |m| {
            m["artifactType"] = json!("application/spdx+json");
        }),
        ("application/vnd.dev.cosign.simplesigning.v1+json", |m| {
            m["layers"][0]["mediaType"] = json!("application/vnd.dev.cosign.simplesigning.v1+json");
        }),
    ];
    for (artifact_type, edit) in cases {
        let dir = tempfile::tempdir().unwrap();
        let arg = edited_layout(dir.path(), edit);
        let message = error(&arg, &OpenOptions::default());
        assert!(
            message.contains(&format!(
                "it is an artifact of type `{artifact_type}`, not a container image"
            )),
            "{message}"
        );
        assert!(message.starts_with(&arg), "{message}");
    }
}

#[test]
fn encrypted_layers_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let arg = edited_layout(dir.path(), |m| {
        m["layers"][0]["mediaType"] =
            json!("application/vnd.oci.image.layer.v1.tar+gzip+encrypted");
    });
    let message = error(&arg, &OpenOptions::default());
    assert!(
        message.contains("is encrypted (`application/vnd.oci.image.layer.v1.tar+gzip+encrypted`)"),
        "{message}"
    );
    assert!(
        message.contains("cannot read encrypted layers"),
        "{message}"
    );
}

#[test]
fn index_entries_that_are_neither_manifest_nor_index_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let thing = blob(b"{}".to_vec(), "application/vnd.example.thing.v1+json");
    write_blob(dir.path(), &thing);
    write_layout_files(dir.path(), &[thing.descriptor()]);
    let message = error(
        &format!("oci:{}", dir.path().display()),
        &OpenOptions::default(),
    );
    assert!(message.contains("has media type `application/vnd.example.thing.v1+json`, which is neither an image manifest nor an image index"), "{message}");

    // Inside an index, when it is what the platform would choose.
    let dir = tempfile::tempdir().unwrap();
    write_blob(dir.path(), &thing);
    let mut odd = thing.descriptor();
    odd["platform"] = json!({"os": "linux", "architecture": "amd64"});
    let arg = index_layout(
        dir.path(),
        &[odd, entry(dir.path(), &image("linux", "arm64", None), true)],
    );
    let message = error(&arg, &OpenOptions::default());
    assert!(
        message.contains("`application/vnd.example.thing.v1+json`"),
        "{message}"
    );
    assert_eq!(
        opened_platform(&arg, &options("linux/arm64")),
        "linux/arm64"
    );
}

const FOREIGN: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
const FOREIGN_URL: &str = "https://mcr.example/windows/base.tar.gz";

#[test]
fn absent_foreign_layers_are_named_with_their_urls() {
    let dir = tempfile::tempdir().unwrap();
    let base = LayerBuilder::new().file("Windows/a", b"w").finish();
    let top = blob(
        LayerBuilder::new().file("b", b"b").finish(),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let config = json!({
        "architecture": "amd64", "os": "windows",
        "rootfs": {"type": "layers", "diff_ids": [sha256(&base).to_string(), top.digest.to_string()]},
    });
    let foreign = json!({
        "mediaType": FOREIGN, "digest": sha256(&base).to_string(), "size": base.len(), "urls": [FOREIGN_URL],
    });
    write_layout_parts(dir.path(), &config, &[top], |m| {
        m["layers"].as_array_mut().unwrap().insert(0, foreign);
    });
    let message = error(
        &format!("oci:{}", dir.path().display()),
        &OpenOptions::default(),
    );
    assert!(
        message.contains(&format!("foreign (non-distributable) layer (`{FOREIGN}`)")),
        "{message}"
    );
    assert!(message.contains(FOREIGN_URL), "{message}");

    // With the blob present, the image opens.
    write_blob(dir.path(), &blob(base, FOREIGN));
    open_arg(
        &format!("oci:{}", dir.path().display()),
        &OpenOptions::default(),
    )
    .unwrap();
}

/// A `docker save` of a Windows image: the foreign base layer is listed, not stored.
fn docker_save_with_foreign_layer() -> Vec<u8> {
    let base = LayerBuilder::new().file("Windows/a", b"w").finish();
    let top = LayerBuilder::new().file("b", b"b").finish();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "windows",
        "rootfs": {"type": "layers", "diff_ids": [sha256(&base).to_string(), sha256(&top).to_string()]},
    }))
    .unwrap();
    let config_name = format!("{}.json", sha256(&config).hex());
    let mut builder = tar::Builder::new(Vec::new());
    append_file(&mut builder, &config_name, &config);
    append_file(&mut builder, "top/layer.tar", &top);
    let manifest = json!([{
        "Config": config_name, "RepoTags": ["win:1"], "Layers": ["base/layer.tar", "top/layer.tar"],
        "LayerSources": {sha256(&base).to_string(): {
            "mediaType": FOREIGN, "size": 10, "digest": sha256(&base).to_string(), "urls": [FOREIGN_URL],
        }},
    }]);
    append_file(
        &mut builder,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    builder.into_inner().unwrap()
}

#[test]
fn foreign_layers_absent_from_docker_archives_are_named() {
    let tarball = docker_save_with_foreign_layer();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("win.tar");
    std::fs::write(&file, &tarball).unwrap();
    let message = error(
        &format!("docker-archive:{}", file.display()),
        &OpenOptions::default(),
    );
    assert!(message.contains(FOREIGN_URL), "{message}");
    assert!(
        message.contains("foreign (non-distributable) layer"),
        "{message}"
    );

    let spec = ImageSpec::parse("-").unwrap();
    let message = read_docker_save_stream(&tarball[..], &spec, &OpenOptions::default(), |_, _| {
        Ok::<_, std::io::Error>(())
    })
    .unwrap_err()
    .to_string();
    assert!(message.contains(FOREIGN_URL), "{message}");
}

#[test]
fn go_containerregistry_tarballs_read_from_a_stream() {
    let image = imgaudit_testkit::example_image();
    let tarball = ggcr_tarball(&image);
    let spec = ImageSpec::parse("-").unwrap();
    let (meta, layers) = read_docker_save_stream(
        &tarball[..],
        &spec,
        &OpenOptions::default(),
        |name, blob| {
            let mut bytes = Vec::new();
            blob.read_to_end(&mut bytes)?;
            Ok::<_, std::io::Error>((name.to_owned(), sha256(&bytes)))
        },
    )
    .unwrap();
    assert_eq!(meta.config_digest, image.config_blob().digest);
    let expected: Vec<_> = image
        .layer_blobs()
        .iter()
        .map(|l| (format!("{}.tar.gz", l.digest.hex()), l.digest.clone()))
        .collect();
    assert_eq!(layers, expected);

    // The same tarball as a file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ko.tar");
    std::fs::write(&file, &tarball).unwrap();
    let opened = open_arg(
        &format!("docker-archive:{}", file.display()),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(opened.meta.config_digest, image.config_blob().digest);
}

#[test]
fn a_stream_layer_that_looks_like_json_is_still_read() {
    let image = TestImage::new(vec![LayerBuilder::new().file("{odd}", b"x").finish()])
        .compressed(imgaudit_testkit::Compress::None);
    let tarball = ggcr_tarball(&image);
    let spec = ImageSpec::parse("-").unwrap();
    let (_, layers) =
        read_docker_save_stream(&tarball[..], &spec, &OpenOptions::default(), |_, blob| {
            let mut bytes = Vec::new();
            blob.read_to_end(&mut bytes)?;
            Ok::<_, std::io::Error>(sha256(&bytes))
        })
        .unwrap();
    assert_eq!(layers, vec![image.layer_blobs()[0].digest.clone()]);
}

#[test]
fn platform_requests_rank_like_containerd() {
    let p = |s: &str| s.parse::<Platform>().unwrap();
    assert_eq!(p("linux/amd64").match_rank(&p("linux/amd64/v2")), Some(1));
    assert_eq!(
        p("linux/amd64/v1").match_rank(&p("linux/amd64/v2")),
        Some(1)
    );
    assert_eq!(p("linux/amd64/v3").match_rank(&p("linux/amd64/v2")), None);
    assert_eq!(p("linux/arm/v5").match_rank(&p("linux/arm/v7")), Some(2));
    assert_eq!(p("linux/arm64").match_rank(&p("linux/arm64/v8")), Some(0));
    assert_eq!(p("linux/arm64/v8").match_rank(&p("linux/arm64")), Some(0));
    assert_eq!(p("linux/arm/v7").match_rank(&p("linux/arm64")), None);
}

#[test]
fn skopeo_dir_layouts_read_like_layouts() {
    let work = tempfile::tempdir().unwrap();
    let image = imgaudit_testkit::example_image();
    let copy = work.path().join("copy");
    write_dir_layout(&copy, &image);
    for arg in [
        format!("dir:{}", copy.display()),
        copy.display().to_string(),
    ] {
        let opened = open_arg(&arg, &OpenOptions::default()).unwrap();
        assert_eq!(opened.meta.transport, "dir", "{arg}");
        assert_eq!(opened.meta.source, format!("dir:{}", copy.display()));
        assert_eq!(opened.meta.config_digest, image.config_blob().digest);
        assert_eq!(
            opened.meta.manifest_digest,
            Some(image.manifest_blob().digest)
        );
        let layer = &opened.meta.layers[0];
        let mut bytes = Vec::new();
        opened
            .blobs
            .open_layer(layer)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(bytes, image.layer_blobs()[0].bytes);
    }

    std::fs::write(copy.join("version"), "something else\n").unwrap();
    let message = error(&format!("dir:{}", copy.display()), &OpenOptions::default());
    assert!(
        message.contains("`version` says `something else`"),
        "{message}"
    );
    std::fs::remove_file(copy.join("version")).unwrap();
    let message = error(&format!("dir:{}", copy.display()), &OpenOptions::default());
    assert!(message.contains("no `version` file"), "{message}");
    let message = error(
        &format!("dir:{}", work.path().join("none").display()),
        &OpenOptions::default(),
    );
    assert!(message.contains("no such file or directory"), "{message}");
}

#[test]
fn skopeo_copies_to_dir_read() {
    let work = tempfile::tempdir().unwrap();
    let (layout, single, all) = (
        work.path().join("layout"),
        work.path().join("single"),
        work.path().join("all"),
    );
    let images = [
        image("linux", "amd64", None),
        image("linux", "arm64", Some("v8")),
    ];
    imgaudit_testkit::write_multi_platform_layout(
        &layout,
        "multi",
        &[&images[0], &images[1]],
        true,
    );
    let source = format!("oci:{}:multi", layout.display());
    skopeo(&[
        "copy",
        "--quiet",
        "--override-arch",
        "arm64",
        &source,
        &format!("dir:{}", single.display()),
    ]);
    skopeo(&[
        "copy",
        "--quiet",
        "--all",
        &source,
        &format!("dir:{}", all.display()),
    ]);

    let arg = format!("dir:{}", single.display());
    assert_eq!(
        opened_platform(&arg, &OpenOptions::default()),
        "linux/arm64/v8"
    );
    let arg = format!("dir:{}", all.display());
    assert_eq!(
        opened_platform(&arg, &OpenOptions::default()),
        "linux/amd64"
    );
    let arm = open_arg(&arg, &options("linux/arm64")).unwrap();
    assert_eq!(
        arm.meta.manifest_digest,
        Some(images[1].manifest_blob().digest)
    );
}

/// Reads a stream, recording each layer as the name it streamed under and its blob's digest.
fn read_stream(
    arg: &str,
    bytes: &[u8],
    options: &OpenOptions,
) -> Result<
    (
        imgaudit_image::ImageMeta,
        Vec<(String, imgaudit_digest::Digest)>,
    ),
    ImageError,
> {
    let spec = ImageSpec::parse(arg).unwrap();
    read_docker_save_stream(bytes, &spec, options, |name, blob| {
        let mut bytes = Vec::new();
        blob.read_to_end(&mut bytes)?;
        Ok::<_, std::io::Error>((name.to_owned(), sha256(&bytes)))
    })
}

#[test]
fn oci_archives_read_from_a_stream() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let images = [image("linux", "amd64", None), image("linux", "arm64", None)];
    imgaudit_testkit::write_multi_platform_layout(
        &layout,
        "multi",
        &[&images[0], &images[1]],
        true,
    );
    let packed = imgaudit_testkit::tar_directory(&layout);
    let skopeo_archive = work.path().join("skopeo.tar");
    skopeo(&[
        "copy",
        "--quiet",
        "--all",
        &format!("oci:{}:multi", layout.display()),
        &format!("oci-archive:{}:multi", skopeo_archive.display()),
    ]);
    let written = std::fs::read(&skopeo_archive).unwrap();
    for archive in [&packed, &written] {
        for (arg, options, chosen) in [
            ("oci-archive:-", OpenOptions::default(), &images[0]),
            ("oci-archive:-:multi", options("linux/arm64"), &images[1]),
        ] {
            let (meta, layers) = read_stream(arg, archive, &options).unwrap();
            assert_eq!(meta.source, arg);
            assert_eq!(meta.transport, "oci-archive-stream");
            assert_eq!(meta.manifest_digest, Some(chosen.manifest_blob().digest));
            let expected: Vec<_> = chosen
                .layer_blobs()
                .iter()
                .map(|l| (format!("blobs/sha256/{}", l.digest.hex()), l.digest.clone()))
                .collect();
            assert_eq!(layers, expected, "{arg}");
        }
    }
    let message = read_stream("oci-archive:-:nope", &packed, &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("oci-archive:-:nope: no image named `nope`"),
        "{message}"
    );
    let docker = imgaudit_testkit::docker_archive_legacy(&[(&["app:1"], &images[0])]);
    let message = read_stream("oci-archive:-", &docker, &OpenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("no `index.json`, so it is not an OCI archive"),
        "{message}"
    );
}
