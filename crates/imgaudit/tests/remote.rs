//! End-to-end tests of the registry and daemon sources against real servers the tests start:
//! Debian's `docker-registry` (plain HTTP, TLS with basic auth, bearer tokens), a
//! fault-injecting proxy in front of it, and podman's Docker-compatible service. Images are the
//! real ones `tests/real-images/build.sh` makes, pushed with skopeo. The oracle is the same image
//! read from its OCI layout: a registry or daemon source must give exactly its findings.
//!
//! Ignored in a plain `cargo test` (they need the servers' packages and the real images);
//! `ci/test.sh` runs them with `--ignored`, where a missing tool fails loudly.

mod common;
mod servers;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::Value;
use servers::{
    Compression, DigestHeader, Fault, FaultKind, FaultProxy, Format, PodmanService, Push, Registry,
    Setup, oci_layout,
};

/// One imgaudit run in an empty directory with a private home: no stored credentials, no
/// daemon, no Dockerfile or imgaudit.toml is picked up unless the test sets them.
struct Run<'a> {
    args: Vec<String>,
    env: Vec<(&'a str, String)>,
    stdin: Option<Vec<u8>>,
}

fn imgaudit(args: &[&str]) -> Run<'static> {
    Run {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: Vec::new(),
        stdin: None,
    }
}

impl<'a> Run<'a> {
    fn env(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.env.push((name, value.into()));
        self
    }

    fn stdin(mut self, bytes: &[u8]) -> Self {
        self.stdin = Some(bytes.to_vec());
        self
    }

    fn output(self) -> Output {
        let home = tempfile::tempdir().unwrap();
        let mut command = common::imgaudit_command(&self.args);
        command
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            // A socket that does not exist: no daemon unless a test names one.
            .env(
                "DOCKER_HOST",
                format!("unix://{}/no-daemon.sock", home.path().display()),
            )
            .env_remove("CONTAINER_HOST")
            .env_remove("DOCKER_CONFIG")
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_TLS_VERIFY")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("IMGAUDIT_CACHE_DIR")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("imgaudit runs");
        if let Some(bytes) = &self.stdin {
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        child.wait_with_output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON report of a scan that must succeed (exit 0 with `--fail-on none`).
fn scan_json(run: Run<'_>) -> Value {
    let output = run.output();
    assert_eq!(
        output.status.code(),
        Some(0),
        "scan failed:\n{}",
        text(&output.stderr)
    );
    // Standard error is not a terminal here: no progress display, nothing else either.
    assert_eq!(text(&output.stderr), "", "stderr of a successful scan");
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

fn scan_args<'a>(image: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "scan",
        image,
        "--format",
        "json",
        "--fail-on",
        "none",
        "--no-config",
    ];
    args.extend_from_slice(extra);
    args
}

/// What a report found, independent of where the image was read from.
fn findings(report: &Value) -> Vec<BTreeMap<&'static str, Value>> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            [
                "rule_id",
                "severity",
                "message",
                "evidence",
                "layer",
                "history_step",
            ]
            .into_iter()
            .map(|k| (k, f.get(k).cloned().unwrap_or(Value::Null)))
            .collect()
        })
        .collect()
}

/// The findings of `relative` (an OCI layout of the real images, ref `test`) read from disk.
fn findings_from_layout(relative: &str, extra: &[&str]) -> Vec<BTreeMap<&'static str, Value>> {
    let layout = oci_layout(relative, "test");
    let report = scan_json(imgaudit(&scan_args(&layout, extra)));
    let found = findings(&report);
    assert!(!found.is_empty(), "the oracle image has findings");
    found
}

/// Fails a run that must be refused: exit 2, nothing on stdout, every `needle` in stderr.
fn refused(output: &Output, needles: &[&str]) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "expected exit 2:\n{stderr}");
    assert!(
        output.stdout.is_empty(),
        "a refused image printed a report:\n{}",
        text(&output.stdout)
    );
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in:\n{stderr}");
    }
    // Shown with --nocapture, to read what users would.
    eprintln!("refused as expected: {stderr}");
    stderr
}

/// A registry holding the `python-rules` image under each of `repo_tags`, pushed as is.
fn registry_with_rules(setup: Setup, repo_tags: &[&str]) -> Registry {
    let registry = Registry::start(setup);
    let source = oci_layout("python-rules/oci", "test");
    for repo_tag in repo_tags {
        registry.push(&source, repo_tag, &Push::default());
    }
    registry
}

/// `imgaudit inspect IMAGE --insecure-registry ADDR ...EXTRA`: what most refusals are tried with.
fn inspect_insecure(image: &str, addr: &str, extra: &[&str]) -> Output {
    let mut args = vec!["inspect", image, "--insecure-registry", addr];
    args.extend_from_slice(extra);
    imgaudit(&args).output()
}

fn insecure(registry: &str) -> [&str; 2] {
    ["--insecure-registry", registry]
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn every_manifest_and_compression_gives_the_findings_of_the_file() {
    let expected = findings_from_layout("python-rules/oci", &[]);
    let registry = Registry::start(Setup::Plain);
    let source = oci_layout("python-rules/oci", "test");
    let pushes = [
        ("rules/oci-gzip:1", Format::Oci, Compression::Keep),
        ("rules/v2s2:1", Format::V2s2, Compression::Keep),
        ("rules/oci-zstd:1", Format::Oci, Compression::Zstd),
    ];
    for (repo_tag, format, compression) in pushes {
        registry.push(
            &source,
            repo_tag,
            &Push {
                format,
                compression,
                all: false,
            },
        );
        let reference = registry.reference(repo_tag);
        let report = scan_json(imgaudit(&scan_args(&reference, &insecure(registry.addr()))));
        assert_eq!(findings(&report), expected, "{repo_tag}");
        assert_eq!(report["image"]["transport"], "docker", "{repo_tag}");
        assert_eq!(
            report["image"]["manifest_digest"],
            registry.manifest_digest(repo_tag).as_str(),
            "the manifest digest is reported: {repo_tag}"
        );
        let notes = report["notes"].to_string();
        assert!(notes.contains("plain HTTP"), "{notes}");
    }

    // Pulled by digest: verified, and the same image.
    let digest = registry.manifest_digest("rules/v2s2:1");
    let by_digest = registry.reference(&format!("rules/v2s2@{digest}"));
    let report = scan_json(imgaudit(&scan_args(
        &format!("docker://{by_digest}"),
        &insecure(registry.addr()),
    )));
    assert_eq!(findings(&report), expected);
    assert_eq!(report["image"]["manifest_digest"], digest.as_str());
    // The repository (not the tag or digest) names the image in reports.
    assert_eq!(
        report["image"]["repository"],
        registry.reference("rules/v2s2").as_str()
    );

    // Plain HTTP is never assumed, not even on loopback: the error says what to do.
    let output = imgaudit(&["inspect", &registry.reference("rules/v2s2:1")]).output();
    refused(&output, &["rules/v2s2:1", "--insecure-registry"]);
    // What the registry answered, for a missing tag and a missing repository.
    let output = inspect_insecure(&registry.reference("rules/v2s2:nope"), registry.addr(), &[]);
    refused(&output, &["rules/v2s2:nope", "404", "MANIFEST_UNKNOWN"]);
    let output = inspect_insecure(&registry.reference("nothing/here:1"), registry.addr(), &[]);
    refused(&output, &["nothing/here:1", "404"]);
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn multi_arch_indexes_give_the_platform_asked_for() {
    let registry = Registry::start(Setup::Plain);
    let source = oci_layout("multiarch/oci", "test");
    for (repo_tag, format) in [("multi/oci:1", Format::Oci), ("multi/list:1", Format::V2s2)] {
        registry.push(
            &source,
            repo_tag,
            &Push {
                format,
                compression: Compression::Keep,
                all: true,
            },
        );
        let reference = registry.reference(repo_tag);
        for platform in ["linux/amd64", "linux/arm64/v8"] {
            let inspect = |image: &str, extra: &[&str]| -> Value {
                let mut args = vec!["inspect", image, "--format", "json", "--platform", platform];
                args.extend_from_slice(extra);
                let output = imgaudit(&args).output();
                assert!(output.status.success(), "{}", text(&output.stderr));
                serde_json::from_slice(&output.stdout).unwrap()
            };
            let remote = inspect(&reference, &insecure(registry.addr()));
            let local = inspect(&source, &[]);
            assert_eq!(remote["image"]["platform"], platform, "{repo_tag}");
            assert_eq!(
                remote["image"]["config_digest"], local["image"]["config_digest"],
                "{repo_tag} {platform}"
            );
            assert_eq!(
                remote["layers"].as_array().map(Vec::len),
                local["layers"].as_array().map(Vec::len)
            );
            let notes = remote["notes"].to_string();
            assert!(notes.contains("is an image index"), "{notes}");
        }
        let output = inspect_insecure(&reference, registry.addr(), &["--platform", "linux/s390x"]);
        refused(&output, &["linux/s390x", "linux/amd64", "linux/arm64"]);
    }
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn tls_and_basic_auth_take_stored_or_given_credentials() {
    let expected = findings_from_layout("python-rules/oci", &[]);
    let registry = registry_with_rules(Setup::TlsBasic, &["team/rules:1"]);
    let reference = registry.reference("team/rules:1");
    let ca = registry.ca_cert().unwrap().display().to_string();
    let (user, password) = registry.credentials().unwrap();
    let no_password = |output: &Output| {
        for stream in [&output.stdout, &output.stderr] {
            assert!(!text(stream).contains(password), "the password was printed");
        }
    };

    // An unknown authority is refused, with the way out.
    let output = imgaudit(&["inspect", &reference]).output();
    refused(&output, &["team/rules:1", "--ca-cert"]);
    // Trusted, but anonymous: 401, and where credentials would come from.
    let output = imgaudit(&["inspect", &reference, "--ca-cert", &ca]).output();
    refused(
        &output,
        &["401", "no credentials were found", "--password-stdin"],
    );
    // Given for this run.
    let mut args = scan_args(
        &reference,
        &["--ca-cert", &ca, "--username", user, "--password-stdin"],
    );
    let output = imgaudit(&args)
        .stdin(format!("{password}\n").as_bytes())
        .output();
    no_password(&output);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings(&report), expected);
    // A wrong password: the error says whose credentials were refused, never the secret.
    let output = imgaudit(&args).stdin(b"not-the-password\n").output();
    let stderr = refused(&output, &["refused the credentials from --username"]);
    assert!(!stderr.contains("not-the-password"), "{stderr}");
    args.truncate(args.len() - 3);

    // Stored by `docker login`: DOCKER_CONFIG/config.json, auths with base64 user:password.
    let docker = tempfile::tempdir().unwrap();
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{user}:{password}"),
    );
    std::fs::write(
        docker.path().join("config.json"),
        serde_json::json!({ "auths": { registry.addr(): { "auth": auth } } }).to_string(),
    )
    .unwrap();
    let output = imgaudit(&args)
        .env("DOCKER_CONFIG", docker.path().display().to_string())
        .output();
    no_password(&output);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        findings(&serde_json::from_slice(&output.stdout).unwrap()),
        expected
    );

    // Stored by `podman login`: REGISTRY_AUTH_FILE.
    let podman = tempfile::tempdir().unwrap();
    let auth_file = podman.path().join("auth.json");
    std::fs::write(
        &auth_file,
        serde_json::json!({ "auths": { format!("{}/team", registry.addr()): { "auth": auth } } })
            .to_string(),
    )
    .unwrap();
    let output = imgaudit(&args)
        .env("REGISTRY_AUTH_FILE", auth_file.display().to_string())
        .output();
    assert!(output.status.success(), "{}", text(&output.stderr));

    // A credential helper (`credsStore`), run from PATH with the server on stdin.
    let helpers = tempfile::tempdir().unwrap();
    let helper = helpers.path().join("docker-credential-imgaudit-test");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = {} ] || exit 1\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{password}\"}}' \"$server\"\n",
            registry.addr()
        ),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&helper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&helper, permissions).unwrap();
    let store = tempfile::tempdir().unwrap();
    std::fs::write(
        store.path().join("config.json"),
        r#"{"credsStore": "imgaudit-test"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helpers.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = imgaudit(&args)
        .env("DOCKER_CONFIG", store.path().display().to_string())
        .env("PATH", path)
        .output();
    no_password(&output);
    assert!(output.status.success(), "{}", text(&output.stderr));

    // --insecure-registry: TLS without verification, and the report says so.
    let output = imgaudit(&scan_args(
        &reference,
        &["--insecure-registry", registry.addr()],
    ))
    .env("DOCKER_CONFIG", docker.path().display().to_string())
    .output();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        report["notes"].to_string().contains("without verifying"),
        "{}",
        report["notes"]
    );
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn bearer_tokens_are_negotiated_anonymous_or_with_credentials() {
    let expected = findings_from_layout("python-rules/oci", &[]);
    let registry = registry_with_rules(Setup::Token, &["public/rules:1", "private/rules:1"]);
    let (user, password) = registry.credentials().unwrap();

    let before = registry.token_requests().unwrap();
    let report = scan_json(imgaudit(&scan_args(
        &registry.reference("public/rules:1"),
        &insecure(registry.addr()),
    )));
    assert_eq!(findings(&report), expected);
    let after = registry.token_requests().unwrap();
    assert!(
        after.anonymous > before.anonymous,
        "an anonymous token was asked for: {before:?} → {after:?}"
    );

    // No anonymous access to the private repository: refused, with the hint.
    let output = inspect_insecure(&registry.reference("private/rules:1"), registry.addr(), &[]);
    refused(&output, &["private/rules:1", "no credentials were found"]);

    let before = registry.token_requests().unwrap();
    let output = imgaudit(&scan_args(
        &registry.reference("private/rules:1"),
        &[
            "--insecure-registry",
            registry.addr(),
            "--username",
            user,
            "--password-stdin",
        ],
    ))
    .stdin(password.as_bytes())
    .output();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        findings(&serde_json::from_slice(&output.stdout).unwrap()),
        expected
    );
    let after = registry.token_requests().unwrap();
    assert!(
        after.authenticated > before.authenticated,
        "a token was asked for with the credentials: {before:?} → {after:?}"
    );
}

/// The largest layer blob of a pushed image, and its size.
fn largest_blob(registry: &Registry, repo_tag: &str) -> (String, u64) {
    let manifest: Value = serde_json::from_slice(&registry.inspect_raw(repo_tag)).unwrap();
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["digest"].as_str().unwrap().to_owned(),
                l["size"].as_u64().unwrap(),
            )
        })
        .max_by_key(|(_, size)| *size)
        .unwrap()
}

/// A manifest that says its first layer is a byte shorter than it is.
fn shrink(manifest: &mut Value) {
    let size = manifest["layers"][0]["size"].as_u64().unwrap();
    manifest["layers"][0]["size"] = Value::from(size - 1);
}
/// A manifest that says its first layer is longer than it is.
fn grow(manifest: &mut Value) {
    let size = manifest["layers"][0]["size"].as_u64().unwrap();
    manifest["layers"][0]["size"] = Value::from(size + 1000);
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn transient_faults_are_retried_and_broken_data_refused() {
    let expected = findings_from_layout("python-rules/oci", &[]);
    let registry = registry_with_rules(Setup::Plain, &["faults/rules:1"]);
    let (blob, blob_size) = largest_blob(&registry, "faults/rules:1");
    let blob_path = format!("/blobs/{blob}");
    let scan_through = |proxy: &FaultProxy| {
        imgaudit(&scan_args(
            &format!("{}/faults/rules:1", proxy.addr()),
            &["--insecure-registry", proxy.addr()],
        ))
        .output()
    };

    // A 500 then success; a 429 with Retry-After; a 503 on a blob: retried, same findings.
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![
            Fault::status("/manifests/", 500),
            Fault::retry_after("/manifests/", 429, 1),
            Fault::status(&blob_path, 503),
        ],
    );
    let output = scan_through(&proxy);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        findings(&serde_json::from_slice(&output.stdout).unwrap()),
        expected
    );
    assert_eq!(proxy.faults_pending(), 0, "every fault fired");
    let statuses: Vec<u16> = proxy
        .requests_to("/manifests/")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(&statuses[..3], [500, 429, 200], "{statuses:?}");

    // A connection dropped in the middle of the largest blob: resumed with a range request.
    let half = blob_size / 2;
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![Fault::on(&blob_path, FaultKind::DropAfter { bytes: half })],
    );
    let output = scan_through(&proxy);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        findings(&serde_json::from_slice(&output.stdout).unwrap()),
        expected
    );
    let blob_requests = proxy.requests_to(&blob_path);
    let ranges: Vec<Option<String>> = blob_requests
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.range.clone())
        .collect();
    // Every download is a range request (the layer reader verifies the digest, not the client).
    assert_eq!(
        ranges.first(),
        Some(&Some("bytes=0-".to_owned())),
        "{ranges:?}"
    );
    assert_eq!(
        ranges.get(1),
        Some(&Some(format!("bytes={half}-"))),
        "the download resumed where it broke off: {ranges:?}"
    );

    // Dropped again, and the registry ignores the range: the whole blob comes again, and what
    // was already read is skipped.
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![
            Fault::on(&blob_path, FaultKind::DropAfter { bytes: half }),
            Fault::on(&blob_path, FaultKind::IgnoreRange),
        ],
    );
    let output = scan_through(&proxy);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        findings(&serde_json::from_slice(&output.stdout).unwrap()),
        expected
    );
    let gets: Vec<_> = proxy
        .requests_to(&blob_path)
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(gets.len(), 2, "{gets:?}");
    assert_eq!(gets[1].fault, Some("ignore-range"));
    assert_eq!(gets[1].range, Some(format!("bytes={half}-")));
    assert_eq!(
        gets[1].body_bytes, blob_size,
        "the whole blob was sent again"
    );

    // A blob whose bytes do not match its digest: refused, naming the layer; never a report.
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![Fault::on(&blob_path, FaultKind::Corrupt)],
    );
    // The layer reader stops at the first damage it meets: the gzip stream, the tar inside or,
    // last, the blob digest, depending on where the flipped byte lands.
    let stderr = refused(&scan_through(&proxy), &["layer 0", &blob]);
    assert!(
        ["digest", "corrupt", "not a valid"]
            .iter()
            .any(|damage| stderr.contains(damage)),
        "{stderr}"
    );

    // A config whose bytes do not match its digest: refused at once, not retried.
    let manifest: Value = serde_json::from_slice(&registry.inspect_raw("faults/rules:1")).unwrap();
    let config_path = format!("/blobs/{}", manifest["config"]["digest"].as_str().unwrap());
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![Fault::on(&config_path, FaultKind::Corrupt).times(10)],
    );
    refused(
        &scan_through(&proxy),
        &["image config", "does not match its digest"],
    );
    assert_eq!(
        proxy.requests_to(&config_path).len(),
        1,
        "no retry of wrong content"
    );

    // A manifest that lies about a layer's size, served consistently (its own digest header):
    // refused whichever way it lies.
    for (edit, needle) in [
        (shrink as fn(&mut Value), "more than"),
        (grow as fn(&mut Value), "bytes"),
    ] {
        let proxy = FaultProxy::start(
            registry.addr(),
            vec![
                Fault::on(
                    "/manifests/",
                    FaultKind::RewriteManifest {
                        edit,
                        digest: DigestHeader::Recomputed,
                    },
                )
                .times(10),
            ],
        );
        refused(&scan_through(&proxy), &["layer", needle]);
    }
    // A tampered manifest whose digest header is stale: refused.
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![
            Fault::on(
                "/manifests/",
                FaultKind::RewriteManifest {
                    edit: shrink,
                    digest: DigestHeader::Stale,
                },
            )
            .times(10),
        ],
    );
    refused(&scan_through(&proxy), &["faults/rules:1", "igest"]);

    // Pulled by digest, a consistent server that serves another manifest: refused.
    let digest = registry.manifest_digest("faults/rules:1");
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![
            Fault::on(
                "/manifests/",
                FaultKind::RewriteManifest {
                    edit: shrink,
                    digest: DigestHeader::Recomputed,
                },
            )
            .times(10),
        ],
    );
    let output = inspect_insecure(
        &format!("docker://{}/faults/rules@{digest}", proxy.addr()),
        proxy.addr(),
        &[],
    );
    refused(&output, &[&digest[..20], "igest"]);

    // A server that keeps failing: retried a few times, then the status is reported.
    let proxy = FaultProxy::start(
        registry.addr(),
        vec![Fault::status("/manifests/", 500).times(100)],
    );
    let output = inspect_insecure(
        &format!("{}/faults/rules:1", proxy.addr()),
        proxy.addr(),
        &[],
    );
    refused(&output, &["faults/rules:1", "HTTP 500"]);
    let attempts = proxy.requests_to("/manifests/").len();
    assert!((2..=10).contains(&attempts), "{attempts} attempts");
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn daemon_images_are_exported_through_the_docker_api() {
    let expected = findings_from_layout("python-rules/oci", &[]);
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("rules.tar");
    servers::docker_archive(&oci_layout("python-rules/oci", "test"), &archive, "app:ci");
    let podman = PodmanService::start();
    podman.load(&archive);
    let host = podman.docker_host();

    for image in ["docker-daemon:app:ci", "podman:app:ci"] {
        let variable = if image.starts_with("podman:") {
            "CONTAINER_HOST"
        } else {
            "DOCKER_HOST"
        };
        let report = scan_json(imgaudit(&scan_args(image, &[])).env(variable, host.clone()));
        assert_eq!(findings(&report), expected, "{image}");
        assert_eq!(report["image"]["source"], image);
        assert_eq!(report["image"]["repository"], "app");
    }

    // A bare name: the daemon has it, and the report says that is where it came from.
    let report = scan_json(imgaudit(&scan_args("app:ci", &[])).env("DOCKER_HOST", host.clone()));
    assert_eq!(findings(&report), expected);
    let notes = report["notes"].to_string();
    assert!(notes.contains("was read from the Podman daemon"), "{notes}");

    // A bare name the daemon lacks, in a registry: read from there, and the note says why.
    let registry = registry_with_rules(Setup::Plain, &["elsewhere/rules:1"]);
    let reference = registry.reference("elsewhere/rules:1");
    let report = scan_json(
        imgaudit(&scan_args(&reference, &insecure(registry.addr())))
            .env("DOCKER_HOST", host.clone()),
    );
    assert_eq!(findings(&report), expected);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("was read from the registry") && notes.contains("has no image"),
        "{notes}"
    );

    // Neither has it: both reasons, no silent fallback.
    let output = imgaudit(&["inspect", "nowhere:1", "--timeout", "3"])
        .env("DOCKER_HOST", host.clone())
        .output();
    refused(
        &output,
        &["nowhere:1", "daemon:", "has no image", "registry:"],
    );
    let output = imgaudit(&["inspect", "nowhere:1", "--timeout", "3"]).output();
    refused(&output, &["daemon:", "no-daemon.sock", "registry:"]);

    // An untagged name is its `latest` tag (Docker would export every tag of the repository).
    podman.tag("app:ci", "app:latest");
    let report =
        scan_json(imgaudit(&scan_args("docker-daemon:app", &[])).env("DOCKER_HOST", host.clone()));
    assert_eq!(findings(&report), expected);

    // A daemon that is configured but unusable is an error, not a reason to read a registry's
    // image of that name instead.
    let output = imgaudit(&["inspect", "app:ci"])
        .env("DOCKER_HOST", "ssh://builder")
        .output();
    let stderr = refused(&output, &["app:ci", "ssh://builder", "--source registry"]);
    assert!(!stderr.contains("registry:"), "{stderr}");

    // A pinned daemon source never asks a registry.
    let output = imgaudit(&["inspect", "--source", "daemon", "nowhere:1"])
        .env("DOCKER_HOST", host.clone())
        .output();
    let stderr = refused(&output, &["nowhere:1"]);
    assert!(!stderr.contains("registry:"), "{stderr}");
}

#[test]
#[ignore = "needs docker-registry, skopeo, podman and the real images: run ci/test.sh"]
fn cached_layers_are_not_downloaded_and_a_batch_downloads_shared_ones_once() {
    let registry = registry_with_rules(Setup::Plain, &["cache/rules:1", "cache/rules:2"]);
    let proxy = FaultProxy::start(registry.addr(), vec![]);
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let manifest: Value = serde_json::from_slice(&registry.inspect_raw("cache/rules:1")).unwrap();
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("/blobs/{}", l["digest"].as_str().unwrap()))
        .collect();
    let layer_gets = |proxy: &FaultProxy| {
        proxy
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && layers.iter().any(|l| r.path.ends_with(l.as_str())))
            .count()
    };
    let reference = format!("{}/cache/rules:1", proxy.addr());
    let args = scan_args(
        &reference,
        &[
            "--insecure-registry",
            proxy.addr(),
            "--cache-dir",
            cache_dir,
        ],
    );
    let cold = scan_json(imgaudit(&args));
    assert_eq!(layer_gets(&proxy), layers.len(), "every layer once, cold");
    let warm = scan_json(imgaudit(&args));
    assert!(
        findings(&warm) == findings(&cold),
        "the warm scan found otherwise"
    );
    assert_eq!(
        layer_gets(&proxy),
        layers.len(),
        "a cached layer was downloaded"
    );

    // Two tags of one image in a batch, without the disk cache: each layer downloaded once.
    let proxy = FaultProxy::start(registry.addr(), vec![]);
    let first = format!("{}/cache/rules:1", proxy.addr());
    let second = format!("{}/cache/rules:2", proxy.addr());
    let output = imgaudit(&[
        "scan",
        &first,
        &second,
        "--insecure-registry",
        proxy.addr(),
        "--no-cache",
        "--no-config",
        "--fail-on",
        "none",
    ])
    .output();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        layer_gets(&proxy),
        layers.len(),
        "a shared layer was downloaded twice"
    );
    let table = text(&output.stdout);
    assert!(
        table.contains(&format!(
            "layers: {} read, {} shared",
            layers.len(),
            layers.len()
        )),
        "{table}"
    );
}
