//! Secrets in an image reach no output: for every field of the image that imgaudit quotes
//! (`Env`, `Labels`, `Cmd`, `Entrypoint`, `WorkingDir`, `User`, history commands, a pip
//! setting a rule quotes, file names and link targets, an error's quote of a path), and every
//! command and format (inspect, files, facts, scan's reports on standard output and in files,
//! batches, errors), the secret's bytes appear nowhere, while what is around them stays.

use std::path::Path;

use imgaudit_testkit::{LayerBuilder, TestImage};
use serde_json::json;

mod common;

use common::{TempLayout, assert_no_secret, everything_written, run, run_in};

/// The secrets planted in [`image_with_secrets`], each distinct so that a leak names its field.
const SECRETS: &[&str] = &[
    // Env: a secret-named variable whose value holds a blank, a URL password, a token.
    "Env-Secret-1",
    "Env-Second-2",
    "Url-Pass-3",
    "EnvGithubToken0123456789abcdefghijklm",
    // Labels: a token, and a secret-named label's plain value.
    "LabelSlackTokenAbcdef12",
    "Label-Plain-4",
    // Cmd (curl -u in argv form), Entrypoint (--token), WorkingDir and User (tokens).
    "Cmd-Pass-5",
    "Entry-Token-6",
    "WORKDIR2345ABCDE",
    "UserToken0123456789abcdefghijklmnopq",
    // History: an Authorization header, mysql's -pX, --password X, --password=X, a build arg.
    "Hist-Bearer-7",
    "Hist-Mysql-8",
    "Hist-Mysql-9",
    "Hist-Mysql-10",
    "Hist-Arg-11",
    // The invalid PIP_USER value PIP002 quotes.
    "PipUserToken12345678",
    // File names and link targets, in the tree and removed.
    "FileNameStripeKey0123456789",
    "LinkSlackToken0123",
    "RemovedGoogleKey0123456789abcdefghi",
];

const CURL_STEP: &str = "/bin/sh -c curl -fsSL -H \"Authorization: Bearer Hist-Bearer-7\" \
     https://x.example/a && mysql -uroot -pHist-Mysql-8 db && mysql --password Hist-Mysql-9 db \
     && mysqladmin --password=Hist-Mysql-10 status";

fn image_with_secrets() -> TestImage {
    let mut image = TestImage::new(vec![
        // A Python with pip, so that the pip rules read the environment.
        LayerBuilder::new()
            .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
            .file("usr/local/lib/python3.11/os.py", b"# stdlib\n")
            .dir("usr/local/lib/python3.11/site-packages/pip-24.0.dist-info")
            .dir("opt")
            .dir("opt/keys")
            .file("opt/keys/sk_live_FileNameStripeKey0123456789", b"k")
            .symlink(
                "opt/repo",
                "/srv/cache/xoxb-1234567890-1234567890123-LinkSlackToken0123",
            )
            .dir("opt/gone")
            .file("opt/gone/AIzaRemovedGoogleKey0123456789abcdefghi", b"g")
            .finish(),
        LayerBuilder::new()
            .whiteout("opt/gone/AIzaRemovedGoogleKey0123456789abcdefghi")
            .finish(),
    ]);
    image.env = vec![
        "PATH=/usr/bin:/bin".into(),
        "DB_PASSWORD=Env-Secret-1 Env-Second-2".into(),
        "SERVICE_URL=https://svc:Url-Pass-3@db.example/x".into(),
        "NOTE=ghp_EnvGithubToken0123456789abcdefghijklm".into(),
        "PIP_USER=glpat-PipUserToken12345678".into(),
    ];
    image.user = Some("npm_UserToken0123456789abcdefghijklmnopq".into());
    image.history = Some(vec![
        (CURL_STEP.into(), false),
        ("|1 NPM_TOKEN=Hist-Arg-11 /bin/sh -c npm ci".into(), false),
    ]);
    image
        .config_field(
            "Cmd",
            json!([
                "curl",
                "-fsS",
                "-u",
                "admin:Cmd-Pass-5",
                "https://example.invalid/health"
            ]),
        )
        .config_field(
            "Entrypoint",
            json!(["/usr/local/bin/run", "--token", "Entry-Token-6"]),
        )
        .config_field("WorkingDir", json!("/srv/AKIAWORKDIR2345ABCDE"))
        .config_field(
            "Labels",
            json!({
                "com.example.slack": "xoxb-1234567890-1234567890123-LabelSlackTokenAbcdef12",
                "com.example.api_token": "Label-Plain-4",
                "org.opencontainers.image.title": "demo",
            }),
        )
}

/// Runs `args` in `dir` (reports go there), then checks that nothing written shows a secret and
/// that every `context` string shows somewhere.
fn check(dir: &Path, args: &[&str], context: &[&str]) -> Vec<(String, String)> {
    let output = run_in(dir, args, None);
    let written = everything_written(&output, Some(dir));
    assert_no_secret(&format!("{args:?}"), &written, SECRETS);
    let all: String = written.iter().map(|(_, text)| text.as_str()).collect();
    for expected in context {
        assert!(
            all.contains(expected),
            "{args:?}: {expected:?} missing:\n{all}"
        );
    }
    written
}

#[test]
fn inspect_masks_every_config_field_and_history_step() {
    let layout = TempLayout::new(&image_with_secrets());
    let dir = tempfile::tempdir().unwrap();
    // The text form cuts history commands at 90 characters: masked before they are cut.
    check(
        dir.path(),
        &["inspect", &layout.arg],
        &[
            "DB_PASSWORD=****",
            "SERVICE_URL=https://svc:****@db.example/x",
            "admin:****",
            "WorkingDir /srv/****",
            "com.example.slack=****",
            "com.example.api_token=****",
            "Authorization: Bearer ****",
            "NPM_TOKEN=****",
        ],
    );
    check(
        dir.path(),
        &["inspect", &layout.arg, "--format", "json"],
        &[
            "DB_PASSWORD=****",
            "SERVICE_URL=https://svc:****@db.example/x",
            "admin:****",
            "--token",
            "/srv/****",
            "com.example.slack",
            "com.example.api_token",
            "demo",
            "Authorization: Bearer ****",
            "mysql -uroot -p****",
            "--password ****",
            "--password=****",
            "NPM_TOKEN=****",
        ],
    );
}

#[test]
fn files_masks_names_and_link_targets() {
    let layout = TempLayout::new(&image_with_secrets());
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        check(
            dir.path(),
            &["files", &layout.arg, "--format", format],
            &["opt/keys/****", "/srv/cache/****"],
        );
        check(
            dir.path(),
            &["files", &layout.arg, "--removed", "--format", format],
            &["opt/gone/****"],
        );
    }
}

#[test]
fn the_facts_document_masks_every_field() {
    let layout = TempLayout::new(&image_with_secrets());
    let dir = tempfile::tempdir().unwrap();
    check(
        dir.path(),
        &["facts", &layout.arg],
        &["admin:****", "Authorization: Bearer ****", "PIP_USER"],
    );
}

#[test]
fn reports_mask_messages_evidence_and_history_in_every_format() {
    let layout = TempLayout::new(&image_with_secrets());
    let dir = tempfile::tempdir().unwrap();
    let written = check(
        dir.path(),
        &[
            "scan",
            &layout.arg,
            "--fail-on",
            "none",
            "-o",
            "text=report.txt",
            "-o",
            "json=report.json",
            "-o",
            "sarif=report.sarif",
            "-o",
            "codequality=report.cq.json",
            "-o",
            "text=-",
        ],
        &["PIP002", "PIP_USER"],
    );
    // Four report files, and the rule that quotes the value fired in each.
    let reports: Vec<_> = written
        .iter()
        .filter(|(name, _)| name.contains("report"))
        .collect();
    assert_eq!(reports.len(), 4, "{written:?}");
    for (name, text) in reports {
        assert!(
            text.contains("PIP002") || text.contains("invalid-pip-boolean"),
            "{name}"
        );
    }
    for format in ["json", "sarif", "codequality", "text"] {
        let dir = tempfile::tempdir().unwrap();
        check(
            dir.path(),
            &["scan", &layout.arg, "--fail-on", "none", "--format", format],
            &["PIP_USER"],
        );
    }
}

#[test]
fn reports_with_a_dockerfile_mask_what_they_map() {
    let layout = TempLayout::new(&image_with_secrets());
    // The Dockerfile is the user's (in the working directory, as imgaudit wants it); the reports
    // go to a directory of their own, which is what is checked.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM scratch\nRUN {}\nARG NPM_TOKEN\nRUN npm ci\n",
            CURL_STEP.trim_start_matches("/bin/sh -c ")
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let args = [
        "scan",
        &layout.arg,
        "--fail-on",
        "none",
        "--dockerfile",
        "Dockerfile",
        "-o",
        "sarif=out/report.sarif",
        "-o",
        "json=-",
    ];
    let output = run_in(dir.path(), &args, None);
    let written = everything_written(&output, Some(&dir.path().join("out")));
    assert_no_secret(&format!("{args:?}"), &written, SECRETS);
    assert_eq!(written.len(), 3, "{written:?}");
    for (name, text) in &written[..] {
        if name != "stderr" {
            assert!(text.contains("PIP002"), "{name}: {text}");
            // The findings point at the Dockerfile.
            assert!(text.contains("Dockerfile"), "{name}: {text}");
        }
    }
}

#[test]
fn batches_mask_every_report_and_the_summary() {
    let image = image_with_secrets();
    let dir = tempfile::tempdir().unwrap();
    let first = common::write_layout(dir.path(), "one", &image);
    let second = common::write_layout(dir.path(), "two", &image);
    let reports = tempfile::tempdir().unwrap();
    let args = [
        "scan",
        first.as_str(),
        second.as_str(),
        "--fail-on",
        "none",
        "-o",
        "json={image}.json",
        "-o",
        "sarif={image}.sarif",
        "-o",
        "text={image}.txt",
        "-o",
        "codequality={image}.cq.json",
    ];
    let written = check(reports.path(), &args, &["PIP002"]);
    assert_eq!(written.len(), 2 + 8, "{written:?}");
    for format in ["json", "text"] {
        check(
            reports.path(),
            &[
                "scan",
                first.as_str(),
                second.as_str(),
                "--fail-on",
                "none",
                "--format",
                format,
            ],
            &["PIP_USER"],
        );
    }
}

#[test]
fn errors_that_quote_the_image_mask_it() {
    // A hard link to a directory is refused with both names quoted.
    let token_dir = "opt/ghp_ErrorPathToken0123456789abcdefghijkl";
    let broken = TestImage::new(vec![
        LayerBuilder::new()
            .dir("opt")
            .dir(token_dir)
            .hardlink("opt/link", token_dir)
            .finish(),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let broken = common::write_layout(dir.path(), "broken", &broken);
    let good = common::write_layout(dir.path(), "good", &image_with_secrets());
    let secret = "ErrorPathToken0123456789abcdefghijkl";
    let reports = tempfile::tempdir().unwrap();
    for args in [
        vec!["inspect", broken.as_str()],
        vec!["files", broken.as_str()],
        vec!["facts", broken.as_str()],
        vec!["scan", broken.as_str()],
        vec![
            "scan",
            broken.as_str(),
            good.as_str(),
            "-o",
            "json={image}.json",
        ],
        vec!["scan", broken.as_str(), good.as_str(), "--format", "json"],
    ] {
        let output = run_in(reports.path(), &args, None);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        let written = everything_written(&output, Some(reports.path()));
        let mut secrets = SECRETS.to_vec();
        secrets.push(secret);
        assert_no_secret(&format!("{args:?}"), &written, &secrets);
        let stderr = common::stderr(&output);
        assert!(stderr.contains("hard link"), "{args:?}: {stderr}");
        assert!(stderr.contains("opt/link"), "{args:?}: {stderr}");
    }
}

#[test]
fn look_alikes_stay_readable() {
    let mut image = TestImage::new(vec![LayerBuilder::new().dir("opt").finish()]);
    let digest = "sha256:6f6bb9b3b8a8c4d7c1e4e3f9a1e0b6c5d4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9";
    let uuid = "123e4567-e89b-12d3-a456-426614174000";
    image.env = vec![
        format!("BASE_DIGEST={digest}"),
        format!("INSTANCE={uuid}"),
        "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D".into(),
    ];
    image.user = Some("1000:1000".into());
    image.history = Some(vec![(
        "/bin/sh -c echo x | docker login -u me --password-stdin r.example && useradd -u 1000 app \
         && sudo -u root true"
            .into(),
        false,
    )]);
    let layout = TempLayout::new(&image);
    let output = run(&["inspect", &layout.arg, "--format", "json"], None);
    let text = common::stdout(&output);
    for readable in [
        digest,
        uuid,
        "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
        "1000:1000",
        "--password-stdin",
        "useradd -u 1000 app",
        "sudo -u root",
    ] {
        assert!(text.contains(readable), "{readable} masked:\n{text}");
    }
    assert!(!text.contains("****"), "{text}");
}
