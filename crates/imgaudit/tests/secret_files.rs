//! Secrets in the image's files, end to end: SEC001 (a private key in the final tree), SEC002 (a
//! credential file, a token in a text file) and SEC004 (a credential a later layer deleted) fire
//! on a synthetic image exactly where planted, the traps stay quiet, and no secret value reaches
//! any output.

use imgaudit_testkit::{LayerBuilder, TestImage, synthetic_private_key};
use serde_json::Value;

mod common;

use common::{TempLayout, assert_no_secret, everything_written, run_in};

const NPMRC_TOKEN: &str = "SecretNpmrcValue-2718";
const NETRC_PASSWORD: &str = "NetrcPassword-31415";
const GITHUB_TOKEN: &str = "ghp_SecretFileToken0123456789abcdefghijk";

fn key() -> String {
    synthetic_private_key("OPENSSH PRIVATE KEY", 5)
}

/// Every line of the key's body, and the other values: none may show anywhere.
fn secrets(key: &str) -> Vec<String> {
    let mut all: Vec<String> = key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect();
    all.extend([NPMRC_TOKEN, NETRC_PASSWORD, GITHUB_TOKEN].map(str::to_owned));
    all
}

fn image() -> TestImage {
    let key = key();
    let mut image = TestImage::new(vec![
        LayerBuilder::new()
            .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
            .file("root/.ssh/id_ed25519", key.as_bytes())
            // Traps: a certificate, a public key, a package's test key, an empty Docker config,
            // a document quoting a header, an npmrc reference.
            .file(
                "etc/ssl/certs/ca.pem",
                synthetic_private_key("CERTIFICATE", 1).as_bytes(),
            )
            .file(
                "root/.ssh/id_ed25519.pub",
                b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcdefghijklmnopqrstuvwxyz user@host\n",
            )
            .file(
                "usr/lib/python3.11/test/keycert.pem",
                synthetic_private_key("PRIVATE KEY", 2).as_bytes(),
            )
            .file("root/.docker/config.json", b"{\"auths\": {}, \"credsStore\": \"desktop\"}\n")
            .file(
                "usr/share/doc/ssh/README",
                b"Keys start with -----BEGIN OPENSSH PRIVATE KEY-----\nand end with its END line.\n",
            )
            .file("home/ci/.npmrc", b"//registry.example/:_authToken=${NPM_TOKEN}\n")
            .finish(),
        LayerBuilder::new()
            .file(
                "root/.npmrc",
                format!("registry=https://registry.example/\n//registry.example/:_authToken={NPMRC_TOKEN}\n").as_bytes(),
            )
            .file("app/deploy.sh", format!("#!/bin/sh\nexport GH={GITHUB_TOKEN}\n").as_bytes())
            .file(
                "root/.netrc",
                format!("machine git.example\n  login ci\n  password {NETRC_PASSWORD}\n").as_bytes(),
            )
            .finish(),
        LayerBuilder::new().whiteout("root/.netrc").finish(),
    ]);
    image.history = Some(vec![
        ("COPY rootfs / # buildkit".into(), false),
        ("COPY secrets / # buildkit".into(), false),
        ("RUN /bin/sh -c rm /root/.netrc # buildkit".into(), false),
    ]);
    image
}

fn findings(report: &Value) -> Vec<(String, String, Option<u64>)> {
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let location = &f["locations"][0];
            (
                f["rule_id"].as_str().unwrap_or_default().to_owned(),
                location["path"].as_str().unwrap_or_default().to_owned(),
                location["layer"].as_u64(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn sec001_sec002_and_sec004_fire_where_planted_and_nowhere_else() {
    let layout = TempLayout::new(&image());
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(
        dir.path(),
        &[
            "scan",
            &layout.arg,
            "--select",
            "SEC",
            "--fail-on",
            "none",
            "--format",
            "json",
            "--no-cache",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        findings(&report),
        [
            (
                "SEC001".to_owned(),
                "/root/.ssh/id_ed25519".to_owned(),
                Some(0)
            ),
            ("SEC002".to_owned(), "/app/deploy.sh".to_owned(), Some(1)),
            ("SEC002".to_owned(), "/root/.npmrc".to_owned(), Some(1)),
            ("SEC004".to_owned(), "/root/.netrc".to_owned(), Some(1)),
        ],
        "{report:#}"
    );
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        text.contains("layer 2"),
        "SEC004 names the layer that removed the file: {text}"
    );
}

#[test]
fn no_secret_value_reaches_any_output() {
    let layout = TempLayout::new(&image());
    let secrets = secrets(&key());
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    for args in [
        vec!["facts", &layout.arg],
        vec![
            "scan",
            &layout.arg,
            "--select",
            "SEC",
            "--fail-on",
            "none",
            "-o",
            "text=r.txt",
            "-o",
            "json=r.json",
            "-o",
            "sarif=r.sarif",
            "-o",
            "codequality=r.cq.json",
        ],
        vec!["scan", &layout.arg, "--fail-on", "none", "--format", "text"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = run_in(dir.path(), &args, None);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let written = everything_written(&output, Some(dir.path()));
        assert_no_secret(&format!("{args:?}"), &written, &secrets);
        let all: String = written.iter().map(|(_, t)| t.as_str()).collect();
        // What lets a user find each secret is there: the path and the fingerprint's prefix.
        assert!(
            all.contains("/root/.npmrc") && all.contains("Secr"),
            "{args:?}:\n{all}"
        );
    }
}

#[test]
fn the_facts_place_each_hit_in_the_image() {
    let layout = TempLayout::new(&image());
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["facts", &layout.arg], None);
    assert!(output.status.success());
    let facts: Value = serde_json::from_slice(&output.stdout).unwrap();
    let files = facts["secret_files"].as_array().unwrap();
    let by_path = |path: &str| {
        files
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("no {path} in {files:#?}"))
    };
    let netrc = by_path("/root/.netrc");
    assert_eq!(netrc["in_final_tree"], false);
    assert_eq!(netrc["removed_by"]["layer"], 2);
    assert_eq!(netrc["removed_by"]["history_step"], 2);
    assert_eq!(netrc["line"], 3);
    assert_eq!(netrc["shown"]["length"], NETRC_PASSWORD.len());
    let fixture = by_path("/usr/lib/python3.11/test/keycert.pem");
    assert_eq!(fixture["fixture"], true);
    assert_eq!(fixture["in_final_tree"], true);
    let key = by_path("/root/.ssh/id_ed25519");
    assert_eq!(key["category"], "private-key");
    assert_eq!(key["detector"], "private-key-file");
    assert_eq!(key["removed_by"], Value::Null);
    assert_eq!(key["origin"]["history_step"], 0);
    // Traps: no hit at all.
    for trap in [
        "/etc/ssl/certs/ca.pem",
        "/root/.ssh/id_ed25519.pub",
        "/root/.docker/config.json",
        "/usr/share/doc/ssh/README",
        "/home/ci/.npmrc",
    ] {
        assert!(
            files.iter().all(|f| f["path"] != trap),
            "{trap}: {files:#?}"
        );
    }
    assert_eq!(files.len(), 5, "{files:#?}");
}
