//! End-to-end tests of the `imgaudit` binary on images written by the test kit: every source
//! format gives the same tree, selection works, and every kind of bad input exits 2 with a
//! message that names the input and the problem, and nothing on stdout.

use std::path::Path;

use imgaudit_testkit::{
    Compress, LayerBuilder, TestImage, blob, docker_archive_25, docker_archive_legacy,
    ggcr_tarball, gzip, make_char_device, make_fifo, sha256, tar_directory, write_dir_layout,
    write_layout_parts, write_multi_platform_layout, write_oci_layout,
};
use serde_json::Value;

mod common;

use common::{
    fails, imgaudit_command, json_of_success, json_of_success_with_stdin, run as imgaudit, stderr,
};

fn python_image() -> TestImage {
    let mut image = TestImage::new(vec![
        LayerBuilder::new()
            .dir("usr")
            .dir("usr/lib")
            .dir("usr/lib/python3.11")
            .file("usr/lib/python3.11/os.py", b"#")
            .file(
                "usr/lib/python3.11/EXTERNALLY-MANAGED",
                b"[externally-managed]\n",
            )
            .symlink("usr/bin/python3", "../lib/python3.11/os.py")
            .hardlink("usr/bin/os-copy", "usr/lib/python3.11/os.py")
            .dir("usr/share/doc/a")
            .file("usr/share/doc/a/x", b"x")
            .finish(),
        LayerBuilder::new()
            .whiteout("usr/lib/python3.11/EXTERNALLY-MANAGED")
            .opaque("usr/share/doc")
            .file("usr/share/doc/new", b"n")
            .finish(),
        LayerBuilder::new()
            .file_with(
                "root/.local/lib/python3.11/site-packages/six.py",
                b"six",
                0o600,
                0,
                0,
            )
            .finish(),
    ]);
    image.env = vec![
        "PIP_USER=0".into(),
        "PATH=/usr/bin".into(),
        "PIP_NO_USER=1".into(),
    ];
    image.history = Some(vec![
        ("ADD rootfs /".into(), false),
        ("ENV PIP_NO_USER=1".into(), true),
        ("RUN rm EXTERNALLY-MANAGED".into(), false),
        ("RUN pip install --user six".into(), false),
    ]);
    image
}

fn entries(listing: &Value) -> Value {
    listing["entries"].clone()
}

#[test]
fn inspect_reports_identity_config_layers_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    write_oci_layout(&layout, &[("v1", &python_image())]);
    let arg = format!("oci:{}:v1", layout.display());
    let inspection = json_of_success(&["inspect", &arg, "--format", "json"]);
    assert_eq!(inspection["schema_version"], 1);
    assert_eq!(inspection["image"]["platform"], "linux/amd64");
    assert_eq!(inspection["image"]["name"], "v1");
    assert_eq!(
        inspection["config"]["env"],
        serde_json::json!(["PIP_USER=0", "PATH=/usr/bin", "PIP_NO_USER=1"])
    );
    let layers = inspection["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[1]["history_step"], 2);
    assert_eq!(layers[1]["created_by"], "RUN rm EXTERNALLY-MANAGED");
    assert_eq!(layers[1]["whiteouts"], 2);
    assert_eq!(inspection["history"][1]["empty_layer"], true);
    assert_eq!(inspection["history"][1]["layer"], Value::Null);
    assert_eq!(inspection["totals"]["removed"], 3);
    assert_eq!(
        layers[0]["diff_id"],
        sha256(&python_image().layers[0]).to_string()
    );

    let text = imgaudit(&["inspect", &arg], None);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("PIP_NO_USER=1"), "{text}");
    assert!(text.contains("RUN pip install --user six"), "{text}");
}

#[test]
fn every_source_format_gives_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let image = python_image();
    let mut args: Vec<String> = Vec::new();
    for compress in [Compress::Gzip, Compress::Zstd, Compress::None] {
        let layout = dir.path().join(format!("oci-{compress:?}"));
        write_oci_layout(&layout, &[("latest", &image.clone().compressed(compress))]);
        args.push(format!("oci:{}:latest", layout.display()));
        // Auto-detected, without a transport.
        args.push(layout.display().to_string());
    }
    let oci_archive = dir.path().join("oci-archive.tar");
    std::fs::write(&oci_archive, tar_directory(&dir.path().join("oci-Gzip"))).unwrap();
    args.push(format!("oci-archive:{}", oci_archive.display()));
    args.push(oci_archive.display().to_string());
    let legacy = docker_archive_legacy(&[(&["app:1"], &image)]);
    let legacy_path = dir.path().join("legacy.tar");
    std::fs::write(&legacy_path, &legacy).unwrap();
    args.push(format!("docker-archive:{}", legacy_path.display()));
    args.push(legacy_path.display().to_string());
    let docker25 = docker_archive_25("app:1", &image);
    let docker25_path = dir.path().join("docker25.tar");
    std::fs::write(&docker25_path, &docker25).unwrap();
    let docker25_arg = format!("docker-archive:{}:app:1", docker25_path.display());
    args.push(docker25_arg.clone());
    let skopeo_dir = dir.path().join("skopeo-dir");
    write_dir_layout(&skopeo_dir, &image);
    args.push(format!("dir:{}", skopeo_dir.display()));
    args.push(skopeo_dir.display().to_string());
    let ggcr = ggcr_tarball(&image);
    let ggcr_path = dir.path().join("ko.tar");
    std::fs::write(&ggcr_path, &ggcr).unwrap();
    args.push(ggcr_path.display().to_string());

    let reference = entries(&json_of_success(&["files", &args[0], "--format", "json"]));
    assert!(reference.as_array().unwrap().len() > 10);
    for arg in &args[1..] {
        let listing = json_of_success(&["files", arg, "--format", "json"]);
        assert_eq!(entries(&listing), reference, "{arg}");
    }
    let oci_stream = std::fs::read(&oci_archive).unwrap();
    for (arg, stream) in [
        ("-", &legacy),
        ("-", &docker25),
        ("-", &ggcr),
        ("oci-archive:-", &oci_stream),
    ] {
        let listing = json_of_success_with_stdin(&["files", arg, "--format", "json"], Some(stream));
        assert_eq!(entries(&listing), reference, "stdin");
    }
    // Docker 25 tarballs carry the OCI manifest: its digest is reported, from file and stream.
    let from_file = json_of_success(&["inspect", &docker25_arg, "--format", "json"]);
    let from_stream =
        json_of_success_with_stdin(&["inspect", "-", "--format", "json"], Some(&docker25));
    assert_eq!(
        from_file["image"]["manifest_digest"],
        from_stream["image"]["manifest_digest"]
    );
    assert!(from_file["image"]["manifest_digest"].is_string());
}

#[test]
fn files_lists_the_container_view_and_what_was_removed() {
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[("latest", &python_image())]);
    let layout = dir.path().display().to_string();
    let listing = json_of_success(&["files", &layout, "/usr/**", "--format", "json"]);
    let paths: Vec<&str> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/usr/share/doc/new"));
    assert!(!paths.contains(&"/usr/share/doc/a"));
    assert!(!paths.contains(&"/usr/lib/python3.11/EXTERNALLY-MANAGED"));
    assert!(paths.iter().all(|p| p.starts_with("/usr/")));
    let link = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/usr/bin/os-copy")
        .unwrap();
    assert_eq!(link["hardlink_to"], "/usr/lib/python3.11/os.py");
    assert_eq!(link["type"], "file");

    let removed = json_of_success(&["files", &layout, "--removed", "--format", "json"]);
    let removed = removed["removed"].as_array().unwrap();
    let marker = removed
        .iter()
        .find(|r| r["path"] == "/usr/lib/python3.11/EXTERNALLY-MANAGED")
        .unwrap();
    assert_eq!(marker["removed_by_layer"], 1);
    assert_eq!(marker["cause"], "whiteout");
    assert_eq!(marker["written_by_layer"], 0);
    assert!(
        removed
            .iter()
            .any(|r| r["path"] == "/usr/share/doc/a/x" && r["cause"] == "opaque-directory")
    );
}

#[test]
fn platforms_are_selected_and_attestations_never_picked() {
    let dir = tempfile::tempdir().unwrap();
    let amd64 = TestImage::new(vec![LayerBuilder::new().file("amd64", b"").finish()]);
    let arm64 = TestImage::new(vec![LayerBuilder::new().file("arm64", b"").finish()]).platform(
        "linux",
        "arm64",
        Some("v8"),
    );
    write_multi_platform_layout(dir.path(), "multi", &[&amd64, &arm64], true);
    let layout = format!("oci:{}:multi", dir.path().display());
    let first_path = |args: &[&str]| {
        let listing = json_of_success(args);
        listing["entries"][0]["path"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        first_path(&["files", &layout, "--format", "json"]),
        "/amd64"
    );
    for platform in ["linux/arm64", "linux/arm64/v8", "linux/aarch64"] {
        assert_eq!(
            first_path(&["files", &layout, "--platform", platform, "--format", "json"]),
            "/arm64",
            "{platform}"
        );
    }
    let message = fails(
        &["inspect", &layout, "--platform", "linux/s390x"],
        None,
        &["linux/s390x", "linux/amd64", "linux/arm64/v8"],
    );
    assert!(!message.contains("unknown/unknown"), "{message}");

    // Only attestations besides arm64: amd64 is absent, not silently an attestation.
    let dir = tempfile::tempdir().unwrap();
    write_multi_platform_layout(dir.path(), "multi", &[&arm64], true);
    fails(
        &["inspect", &format!("oci:{}:multi", dir.path().display())],
        None,
        &["linux/amd64", "platforms present: linux/arm64/v8"],
    );
}

#[test]
fn multi_image_archives_need_a_selection() {
    let dir = tempfile::tempdir().unwrap();
    let one = TestImage::new(vec![LayerBuilder::new().file("one", b"").finish()]);
    let two = TestImage::new(vec![LayerBuilder::new().file("two", b"").finish()]);
    let archive = docker_archive_legacy(&[
        (&["team/one:1"], &one),
        (&["team/two:2", "two:latest"], &two),
    ]);
    let path = dir.path().join("two-images.tar");
    std::fs::write(&path, &archive).unwrap();
    let file = path.display().to_string();
    fails(
        &["inspect", &file],
        None,
        &[&file, "2 images", "team/one:1", "team/two:2"],
    );
    fails(
        &["inspect", "-"],
        Some(&archive),
        &["2 images", "team/one:1"],
    );
    let first_path = |arg: &str, stdin: Option<&[u8]>| {
        json_of_success_with_stdin(&["files", arg, "--format", "json"], stdin)["entries"][0]["path"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        first_path(&format!("docker-archive:{file}:team/two:2"), None),
        "/two"
    );
    assert_eq!(
        first_path(
            &format!("docker-archive:{file}:docker.io/library/two"),
            None
        ),
        "/two"
    );
    assert_eq!(
        first_path(&format!("docker-archive:{file}:@0"), None),
        "/one"
    );
    assert_eq!(
        first_path("docker-archive:-:team/two:2", Some(&archive)),
        "/two"
    );
    fails(
        &["inspect", &format!("docker-archive:{file}:team/three:3")],
        None,
        &["team/three:3", "team/one:1"],
    );
}

/// Writes a one-layer layout from a layer tar, letting the test corrupt parts of it.
fn layout_with_layer(dir: &Path, tar: &[u8], edit: impl FnOnce(&mut Value)) -> String {
    let image = TestImage::new(vec![tar.to_vec()]);
    let layer = blob(gzip(tar), Compress::Gzip.oci_media_type());
    write_layout_parts(dir, &image.config_value(), &[layer], edit);
    format!("oci:{}", dir.display())
}

fn simple_layer() -> Vec<u8> {
    LayerBuilder::new()
        .file("etc/a", &[b'a'; 4096])
        .file("etc/b", b"b")
        .finish()
}

fn layer_path(dir: &Path) -> std::path::PathBuf {
    let manifest = std::fs::read_to_string(dir.join("index.json")).unwrap();
    let index: Value = serde_json::from_str(&manifest).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.join("blobs/sha256").join(&digest[7..])).unwrap(),
    )
    .unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    dir.join("blobs/sha256").join(&layer[7..])
}

#[test]
fn corrupt_blobs_are_refused() {
    // Truncated layer: its size is not the declared one, which is checked before it is read.
    let dir = tempfile::tempdir().unwrap();
    let arg = layout_with_layer(dir.path(), &simple_layer(), |_| {});
    let path = layer_path(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let name = format!(
        "blobs/sha256/{}",
        path.file_name().unwrap().to_str().unwrap()
    );
    fails(
        &["inspect", &arg],
        None,
        &[&arg, &name, "but its descriptor says"],
    );

    // A blob whose bytes do not match its digest (still a valid gzip tar).
    let dir = tempfile::tempdir().unwrap();
    let other = gzip(&LayerBuilder::new().file("etc/a", b"other").finish());
    let declared = other.len();
    let arg = layout_with_layer(dir.path(), &simple_layer(), |m| {
        m["layers"][0]["size"] = serde_json::json!(declared);
    });
    std::fs::write(layer_path(dir.path()), &other).unwrap();
    fails(
        &["inspect", &arg],
        None,
        &[&arg, "layer 0", "does not match"],
    );

    // A blob that is a symlink out of the layout is never followed.
    let dir = tempfile::tempdir().unwrap();
    let arg = layout_with_layer(dir.path(), &simple_layer(), |_| {});
    let path = layer_path(dir.path());
    let outside = dir.path().join("outside");
    std::fs::rename(&path, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &path).unwrap();
    fails(&["inspect", &arg], None, &[&arg, "symbolic link"]);

    // A missing blob.
    let dir = tempfile::tempdir().unwrap();
    let arg = layout_with_layer(dir.path(), &simple_layer(), |_| {});
    std::fs::remove_file(layer_path(dir.path())).unwrap();
    fails(&["inspect", &arg], None, &[&arg, "is missing"]);

    // A manifest that lies about the layer's size.
    let dir = tempfile::tempdir().unwrap();
    let arg = layout_with_layer(dir.path(), &simple_layer(), |m| {
        m["layers"][0]["size"] = serde_json::json!(12);
    });
    fails(
        &["inspect", &arg],
        None,
        &[&arg, "blob `", "its descriptor says 12"],
    );

    // A config whose diff id does not match the uncompressed layer.
    let dir = tempfile::tempdir().unwrap();
    let image = TestImage::new(vec![simple_layer()]);
    let mut config = image.config_value();
    config["rootfs"]["diff_ids"][0] = serde_json::json!(sha256(b"other").to_string());
    write_layout_parts(
        dir.path(),
        &config,
        &[blob(gzip(&simple_layer()), Compress::Gzip.oci_media_type())],
        |_| {},
    );
    let arg = format!("oci:{}", dir.path().display());
    fails(
        &["inspect", &arg],
        None,
        &["rootfs.diff_ids", &sha256(b"other").to_string()],
    );
    // Skipping the diff id check trusts the manifest-pinned blob digest, and says so.
    let skipped = json_of_success(&["inspect", &arg, "--skip-diff-id-check", "--format", "json"]);
    assert_eq!(skipped["layers"][0]["diff_id_verified"], false);

    // A legacy `docker save` layer has no blob digest: its diff id is checked regardless.
    let image = TestImage::new(vec![
        LayerBuilder::new()
            .file("etc/a", b"ORIGINAL-CONTENT")
            .finish(),
    ]);
    let mut archive = docker_archive_legacy(&[(&["app:1"], &image)]);
    let at = archive
        .windows(16)
        .position(|w| w == b"ORIGINAL-CONTENT")
        .unwrap();
    archive[at..at + 16].copy_from_slice(b"TAMPERED-CONTENT");
    let path = dir.path().join("tampered.tar");
    std::fs::write(&path, &archive).unwrap();
    let arg = path.display().to_string();
    for extra in [&[][..], &["--skip-diff-id-check"]] {
        let mut args = vec!["inspect", arg.as_str()];
        args.extend_from_slice(extra);
        fails(&args, None, &[&arg, "rootfs.diff_ids"]);
        args[1] = "-";
        fails(&args, Some(&archive), &["rootfs.diff_ids"]);
    }
}

#[test]
fn malformed_metadata_is_refused() {
    // A manifest that is not JSON, named by its real digest.
    let dir = tempfile::tempdir().unwrap();
    let arg = layout_with_layer(dir.path(), &simple_layer(), |_| {});
    let garbage = b"{\"schemaVersion\": 2, \"layers\": oops";
    let digest = sha256(garbage);
    std::fs::write(dir.path().join("blobs/sha256").join(digest.hex()), garbage).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest.to_string(), "size": garbage.len()}]});
    std::fs::write(dir.path().join("index.json"), index.to_string()).unwrap();
    fails(&["inspect", &arg], None, &[&arg, "manifest is malformed"]);

    // A config without rootfs.
    let dir = tempfile::tempdir().unwrap();
    write_layout_parts(
        dir.path(),
        &serde_json::json!({"architecture": "amd64", "os": "linux"}),
        &[],
        |_| {},
    );
    let arg = format!("oci:{}", dir.path().display());
    fails(
        &["inspect", &arg],
        None,
        &[&arg, "image config is malformed", "rootfs"],
    );

    // index.json that is not JSON.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), "not json").unwrap();
    let arg = format!("oci:{}", dir.path().display());
    fails(&["inspect", &arg], None, &[&arg, "index.json is malformed"]);
}

#[test]
fn hostile_layers_are_refused() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dot-dot",
            LayerBuilder::new()
                .raw(b"../../etc/evil", tar::EntryType::Regular, b"", b"x")
                .finish(),
            "leave the image root",
        ),
        (
            "absolute-dot-dot",
            LayerBuilder::new()
                .raw(b"/../etc/evil", tar::EntryType::Regular, b"", b"x")
                .finish(),
            "leave the image root",
        ),
        (
            "root-file",
            LayerBuilder::new()
                .raw(b"/", tar::EntryType::Regular, b"", b"x")
                .finish(),
            "names the image root",
        ),
        (
            "hardlink",
            LayerBuilder::new()
                .raw(b"etc/evil", tar::EntryType::Link, b"../../host/shadow", b"")
                .finish(),
            "hard link",
        ),
    ];
    for (name, tar, problem) in cases {
        let dir = tempfile::tempdir().unwrap();
        let arg = layout_with_layer(dir.path(), &tar, |_| {});
        fails(&["files", &arg], None, &[&arg, problem]);
        // The same layer arriving as a `docker save` stream is refused the same way.
        let tag = format!("hostile/{name}:1");
        let archive = docker_archive_legacy(&[(&[tag.as_str()], &TestImage::new(vec![tar]))]);
        fails(&["files", "-"], Some(&archive), &[problem]);
    }
}

#[test]
fn what_runtimes_accept_is_read_and_noted() {
    // kaniko's root entry, an absolute name, and a symlink whose target climbs above the root:
    // the runtimes apply all three, and so does imgaudit, saying so in the notes.
    let tar = LayerBuilder::new()
        .raw(b"./", tar::EntryType::Directory, b"", b"")
        .raw(
            b"/etc/passwd",
            tar::EntryType::Regular,
            b"",
            b"root:x:0:0\n",
        )
        .raw(
            b"usr/lib/x",
            tar::EntryType::Symlink,
            b"../../../../etc/passwd",
            b"",
        )
        .finish();
    let expected = [
        "layer 0: the layer names entries with absolute paths (the first is `/etc/passwd`)",
        "layer 0: the symlink `/usr/lib/x` -> `../../../../etc/passwd` climbs above the image root",
    ];
    let dir = tempfile::tempdir().unwrap();
    let arg = layout_with_layer(dir.path(), &tar, |_| {});
    let inspection = json_of_success(&["inspect", &arg, "--format", "json"]);
    let notes = inspection["notes"].as_array().unwrap();
    for note in expected {
        assert!(
            notes.iter().any(|n| n.as_str().unwrap().starts_with(note)),
            "{note}: {notes:?}"
        );
    }
    let listing = json_of_success(&["files", &arg, "--format", "json"]);
    let entries = entries(&listing);
    let paths: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["/etc", "/etc/passwd", "/usr", "/usr/lib", "/usr/lib/x"]
    );
}

#[test]
fn decompression_bombs_hit_the_caps() {
    let dir = tempfile::tempdir().unwrap();
    let tar = LayerBuilder::new()
        .file("zeros", &vec![0u8; 8 << 20])
        .finish();
    let arg = layout_with_layer(dir.path(), &tar, |_| {});
    fails(
        &["inspect", &arg, "--max-uncompressed-bytes", "1048576"],
        None,
        &[&arg, "1048576 uncompressed bytes"],
    );
    fails(
        &["inspect", &arg, "--max-entries", "0"],
        None,
        &[&arg, "more than 0 tar entries"],
    );
    // The default caps let it through.
    json_of_success(&["inspect", &arg, "--format", "json"]);
}

#[test]
fn untagged_layouts_and_artifacts_exit_2_naming_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let one = TestImage::new(vec![LayerBuilder::new().file("one", b"").finish()]);
    let two = TestImage::new(vec![LayerBuilder::new().file("two", b"").finish()]);
    write_oci_layout(dir.path(), &[("", &one), ("", &two)]);
    let arg = format!("oci:{}", dir.path().display());
    let digest = two.manifest_blob().digest.to_string();
    fails(&["inspect", &arg], None, &[&arg, "2 images", &digest]);
    let listing = json_of_success(&["files", &format!("{arg}:{digest}"), "--format", "json"]);
    assert_eq!(listing["entries"][0]["path"], "/two");

    let dir = tempfile::tempdir().unwrap();
    let helm = "application/vnd.cncf.helm.config.v1+json";
    write_layout_parts(
        dir.path(),
        &serde_json::json!({"name": "chart", "version": "1.0.0"}),
        &[],
        |m| m["config"]["mediaType"] = helm.into(),
    );
    let arg = format!("oci:{}", dir.path().display());
    fails(
        &["inspect", &arg],
        None,
        &[&arg, "an artifact of type", helm],
    );
}

#[test]
fn wrong_kinds_of_input_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    fails(
        &["inspect", &format!("oci-archive:{d}")],
        None,
        &[&d, "is a directory"],
    );
    fails(
        &["inspect", &format!("docker-archive:{d}")],
        None,
        &[&d, "is a directory"],
    );
    fails(&["inspect", &d], None, &[&d, "not an OCI image layout"]);
    let file = dir.path().join("random.bin");
    std::fs::write(&file, b"\x00\x01 definitely not a tar archive".repeat(40)).unwrap();
    let f = file.display().to_string();
    fails(&["inspect", &format!("oci:{f}")], None, &[&f, "is a file"]);
    fails(&["inspect", &f], None, &[&f]);
    fails(
        &["inspect", &format!("{d}/missing")],
        None,
        &["missing", "no such file"],
    );
    fails(
        &["inspect", "-"],
        Some(b"garbage on stdin"),
        &["-", "docker save"],
    );
    fails(
        &["inspect", "containers-storage:busybox"],
        None,
        &["containers-storage:busybox", "not supported yet"],
    );
    fails(
        &["inspect", "docker://Team/App:1"],
        None,
        &["docker://Team/App:1", "must be lowercase"],
    );
    fails(
        &["inspect", "Not A Reference"],
        None,
        &["Not A Reference", "no such file", "not an image reference"],
    );
    fails(
        &["inspect", "--source", "daemon", "docker://busybox"],
        None,
        &["--source daemon contradicts the `docker` transport"],
    );
    fails(
        &["inspect", "busybox", "--username", "u"],
        None,
        &["--password-stdin"],
    );
}

#[test]
fn bad_flags_exit_2() {
    let output = imgaudit(&["inspect", "x", "--platform", "linux"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("OS/ARCH"), "{}", stderr(&output));
    let output = imgaudit(&["inspect", "x", "--no-such-flag"], None);
    assert_eq!(output.status.code(), Some(2));
    let output = imgaudit(&["files", "x", "[unclosed"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("[unclosed"));
}

#[test]
fn the_committed_example_is_what_the_test_kit_writes() {
    // Compared by content, not bytes: gzip output differs between inflate backends.
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(
        dir.path(),
        &[("latest", &imgaudit_testkit::example_image())],
    );
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/python-hygiene");
    let committed = committed.display().to_string();
    let fresh = dir.path().display().to_string();
    for args in [
        &["files", "--format", "json"][..],
        &["files", "--removed", "--format", "json"],
    ] {
        let listing = |image: &str| {
            let mut full = vec![args[0], image];
            full.extend_from_slice(&args[1..]);
            let mut value = json_of_success(&full);
            value.as_object_mut().unwrap().remove("image");
            value
        };
        assert_eq!(
            listing(&committed),
            listing(&fresh),
            "examples/python-hygiene is stale: cargo run -p imgaudit-testkit --example write_example -- examples/python-hygiene"
        );
    }
    let inspection = json_of_success(&["inspect", &committed, "--format", "json"]);
    assert_eq!(inspection["config"]["env"][1], "PIP_NO_USER=1");
}

#[test]
fn bytes_win_over_a_declared_media_type_and_the_report_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let tar = simple_layer();
    let image = TestImage::new(vec![tar.clone()]);
    // gzip bytes declared as an uncompressed tar.
    write_layout_parts(
        dir.path(),
        &image.config_value(),
        &[blob(gzip(&tar), Compress::None.oci_media_type())],
        |_| {},
    );
    let arg = format!("oci:{}", dir.path().display());
    let inspection = json_of_success(&["inspect", &arg, "--format", "json"]);
    assert_eq!(inspection["layers"][0]["compression"], "gzip");
    let notes = inspection["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n.as_str().unwrap().contains(
            "declared as none (application/vnd.oci.image.layer.v1.tar), but its bytes are gzip"
        )),
        "{notes:?}"
    );
    let listing = json_of_success(&["files", &arg, "--format", "json"]);
    assert_eq!(entries(&listing).as_array().unwrap().len(), 3);
}

/// What an image puts in its history, its tag or its file names reaches a terminal or a CI log
/// inert: no control character, no bidirectional override, no line a runner takes for a command.
#[test]
fn image_text_reaches_the_terminal_inert() {
    let hostile = "RUN x\n::warning::pwned\u{1b}]0;title\u{7}\u{202e}kcatta\r##[error]no";
    let mut image = TestImage::new(vec![
        LayerBuilder::new()
            .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
            .file("opt/\u{1b}[2Jname", b"x")
            .finish(),
    ]);
    image.history = Some(vec![(hostile.to_owned(), false)]);
    // A colour sequence from the image (conceal) must not pass as the report's own colours do.
    image.env.push("PIP_USER=\u{1b}[8myes".to_owned());
    let layout = common::TempLayout::new(&image);
    for args in [
        vec!["inspect", layout.arg.as_str()],
        vec!["files", layout.arg.as_str()],
        vec![
            "scan",
            layout.arg.as_str(),
            "--color",
            "always",
            "--fail-on",
            "none",
        ],
        vec![
            "scan",
            layout.arg.as_str(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ],
    ] {
        let output = imgaudit(&args, None);
        for text in [common::stdout(&output), stderr(&output)] {
            let colourless = without_colour(&text);
            assert!(
                !colourless
                    .chars()
                    .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}'),
                "{args:?}: {text:?}"
            );
            assert!(
                !text.lines().any(|l| {
                    let l = l.trim_start();
                    l.starts_with("::") || l.starts_with("##[")
                }),
                "{args:?}: {text}"
            );
        }
    }
}

/// `text` without SGR colour sequences (`ESC [ digits and semicolons m`), which move nothing.
fn without_colour(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        let params = body
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b';')
            .count();
        if body.as_bytes().get(params) == Some(&b'm') {
            rest = &body[params + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[start + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn files_read_whole_are_capped() {
    let image = common::example_layout();
    for flag in ["--config", "--dockerfile", "--images-from"] {
        let mut args = vec!["scan", "--no-cache", flag, "/dev/zero"];
        if flag != "--images-from" {
            args.push(&image);
        }
        let message = fails(&args, None, &["/dev/zero", "larger than 4 MiB"]);
        assert!(!message.contains("memory"), "{message}");
    }
}

#[test]
fn a_password_on_standard_input_is_capped() {
    // Checked before any connection: the registry address is never reached.
    let output = imgaudit_command(&[
        "inspect",
        "127.0.0.1:9/team/app:1",
        "--username",
        "u",
        "--password-stdin",
    ])
    .stdin(std::fs::File::open("/dev/zero").unwrap())
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("--password-stdin") && message.contains("larger than 4 MiB"),
        "{message}"
    );
}

#[test]
fn archives_and_layouts_of_the_wrong_kind_of_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.tar").display().to_string();
    let message = fails(
        &["inspect", &format!("docker-archive:{missing}")],
        None,
        &[&missing, "no such file or directory"],
    );
    assert!(!message.contains("``"), "{message}");

    let fifo = dir.path().join("saved.tar");
    make_fifo(&fifo);
    let fifo = fifo.display().to_string();
    fails(
        &["inspect", &format!("docker-archive:{fifo}")],
        None,
        &[&fifo, "is a FIFO"],
    );

    // A layer blob made a sparse terabyte: refused by its size, not hashed for minutes.
    let layout = dir.path().join("layout");
    write_oci_layout(&layout, &[("app", &TestImage::new(vec![simple_layer()]))]);
    let blob = layer_path(&layout);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&blob)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    let started = std::time::Instant::now();
    fails(
        &["inspect", &format!("oci:{}:app", layout.display())],
        None,
        &["1099511627776 bytes, but its descriptor says"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn reports_go_through_devices_fifos_and_links() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let image = common::example_layout();
    let path = |name: &str| dir.path().join(name).display().to_string();

    // A null device of our own, not the machine's (the tests run as root, which can make one).
    let null = dir.path().join("null");
    make_char_device(&null, 1, 3);

    // A link to a report: the report replaces its target, the link stays a link.
    std::fs::write(dir.path().join("real.json"), b"old").unwrap();
    std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();

    let fifo = dir.path().join("fifo.sarif");
    make_fifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };

    let json_to_null = format!("json={}", path("null"));
    let json_to_link = format!("codequality={}", path("link.json"));
    let sarif_to_fifo = format!("sarif={}", fifo.display());
    let mut args = vec![
        "scan",
        &image,
        "--no-cache",
        "--output",
        &json_to_link,
        "--output",
        &sarif_to_fifo,
        "--fail-on",
        "none",
    ];
    args.extend(["--output", &json_to_null]);
    let output = imgaudit(&args, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let sarif: Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let link = std::fs::symlink_metadata(dir.path().join("link.json")).unwrap();
    assert!(link.file_type().is_symlink());
    let real = std::fs::read_to_string(dir.path().join("real.json")).unwrap();
    assert!(real.starts_with('['), "{real}");
    let kind = std::fs::symlink_metadata(&null).unwrap().file_type();
    assert!(kind.is_char_device());

    // `/dev/stdout` is written through to whatever standard output is (here a pipe).
    let output = imgaudit(
        &[
            "scan",
            &image,
            "--no-cache",
            "--output",
            "sarif=/dev/stdout",
            "--output",
            "json=-",
            "--fail-on",
            "none",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(common::stdout(&output).contains("\"2.1.0\""));
}

#[test]
fn a_zstd_bomb_is_refused_by_its_expansion_ratio_with_how_to_raise_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    imgaudit_testkit::scale::write_zero_bomb_layout(dir.path(), 16 << 20, true);
    let arg = format!("oci:{}", dir.path().display());
    let message = fails(
        &["inspect", &arg, "--expansion-floor", "1M"],
        None,
        &[&arg, "layer 0", "2048 times", "--max-expansion-ratio"],
    );
    assert!(message.contains("imgaudit.toml"), "{message}");
    // A raised cap, or the default floor, lets the same layer through.
    json_of_success(&[
        "inspect",
        &arg,
        "--format",
        "json",
        "--expansion-floor",
        "1M",
        "--max-expansion-ratio",
        "100000",
    ]);
    json_of_success(&["inspect", &arg, "--format", "json"]);
    // The ratio must be at least 1.
    let output = imgaudit(&["inspect", &arg, "--max-expansion-ratio", "0"], None);
    assert_eq!(output.status.code(), Some(2));
    // imgaudit.toml sets it for an audit; the flag wins over the file.
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("imgaudit.toml");
    std::fs::write(
        &config,
        "max-expansion-ratio = 2048\nexpansion-floor = 1048576\n",
    )
    .unwrap();
    let config = config.display().to_string();
    fails(&["scan", &arg, "--config", &config], None, &["2048 times"]);
    let output = imgaudit(
        &common::with_python_rules(&[
            "scan",
            &arg,
            "--config",
            &config,
            "--max-expansion-ratio",
            "100000",
        ]),
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
