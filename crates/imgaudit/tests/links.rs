//! Nothing hides a finding (issue 14): the binary reads `/etc/pip.conf`, pip's other config
//! files, `PIP_CONFIG_FILE` and the shell start-up files through symbolic and hard links, from
//! an OCI layout, a `docker save` file and standard input; what it cannot read (a file over the
//! capture limit, looping links, a link's target in a stream) is an AUD001 finding that fails
//! the default gate, in every format.

use std::process::Output;

use imgaudit_testkit::{LayerBuilder, TestImage, docker_archive_legacy};
use serde_json::Value;

mod common;

use common::{TempLayout, rule_ids, run, stderr, stdout};

/// The Python rules and AUD001, as the default run has them.
const RULES: [&str; 6] = ["--select", "PIP", "--select", "PY", "--select", "AUD"];

fn image(layers: Vec<LayerBuilder>, env: &[&str]) -> TestImage {
    let mut image = TestImage::new(layers.into_iter().map(LayerBuilder::finish).collect());
    image.env.extend(env.iter().map(|e| (*e).to_owned()));
    image
}

fn base() -> LayerBuilder {
    LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file("usr/local/lib/python3.11/os.py", b"# stdlib\n")
        .dir("usr/local/lib/python3.11/site-packages/pip-24.0.dist-info")
        .dir("root")
}

const USER_CONF: &[u8] = b"[global]\nuser = true\n";

/// How the image reaches the binary.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Via {
    Layout,
    ArchiveFile,
    Stdin,
}

const EVERY_WAY: [Via; 3] = [Via::Layout, Via::ArchiveFile, Via::Stdin];

/// Runs `scan` on `image` the way `via` says, with `extra` arguments (the default gate).
fn scan(image: &TestImage, via: Via, extra: &[&str]) -> Output {
    let layout = TempLayout::new(image);
    let dir = tempfile::tempdir().unwrap();
    let archive = docker_archive_legacy(&[(&["app:ci"], image)]);
    let archive_path = dir.path().join("app.tar");
    std::fs::write(&archive_path, &archive).unwrap();
    let archive_arg = format!("docker-archive:{}", archive_path.display());
    let (arg, stdin) = match via {
        Via::Layout => (layout.arg.as_str(), None),
        Via::ArchiveFile => (archive_arg.as_str(), None),
        Via::Stdin => ("-", Some(&archive[..])),
    };
    let mut args = vec!["scan", arg];
    args.extend_from_slice(extra);
    args.extend(RULES);
    run(&args, stdin)
}

/// The rule ids of `scan --format json` on `image`, and its exit code.
fn findings(image: &TestImage, via: Via) -> (Vec<String>, Value, i32) {
    let output = scan(image, via, &["--format", "json"]);
    let code = output.status.code().unwrap();
    assert!(matches!(code, 0 | 1), "{via:?}: {}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids = rule_ids(report["findings"].as_array().unwrap());
    (ids, report, code)
}

/// Asserts the findings of `image` from each source: `linked` from those that can be read
/// again, `streamed` from standard input.
fn check(name: &str, image: &TestImage, linked: &[&str], streamed: &[&str]) {
    for via in EVERY_WAY {
        let expected = if via == Via::Stdin { streamed } else { linked };
        let (ids, report, code) = findings(image, via);
        assert_eq!(ids, expected, "{name} ({via:?}): {report:#}");
        // AUD001 is high: it fails the default gate (`--fail-on high`); PIP001 here is medium.
        let fails = expected.contains(&"AUD001");
        assert_eq!(code, i32::from(fails), "{name} ({via:?}): exit code");
    }
}

#[test]
fn a_plain_pip_conf_behaves_as_before() {
    let plain = image(
        vec![base(), LayerBuilder::new().file("etc/pip.conf", USER_CONF)],
        &[],
    );
    check("plain file", &plain, &["PIP001"], &["PIP001"]);
}

#[test]
fn case_1_pip_conf_symlinked_to_another_file() {
    let target = || LayerBuilder::new().file("opt/conf/settings.ini", USER_CONF);
    for (name, layers) in [
        (
            "absolute target",
            vec![
                base(),
                target().symlink("etc/pip.conf", "/opt/conf/settings.ini"),
            ],
        ),
        (
            "relative target in an earlier layer",
            vec![
                base(),
                target(),
                LayerBuilder::new().symlink("etc/pip.conf", "../opt/conf/settings.ini"),
            ],
        ),
        (
            "target in a later layer",
            vec![
                base(),
                LayerBuilder::new().symlink("etc/pip.conf", "/opt/conf/settings.ini"),
                target(),
            ],
        ),
    ] {
        check(name, &image(layers, &[]), &["PIP001"], &["AUD001"]);
    }
}

#[test]
fn case_2_pip_conf_hard_linked_to_another_file() {
    let target = || LayerBuilder::new().file("opt/conf/settings.ini", USER_CONF);
    for (name, layers) in [
        (
            "same layer",
            vec![
                base(),
                target().hardlink("etc/pip.conf", "opt/conf/settings.ini"),
            ],
        ),
        (
            "a file of a lower layer",
            vec![
                base(),
                target(),
                LayerBuilder::new().hardlink("etc/pip.conf", "opt/conf/settings.ini"),
            ],
        ),
    ] {
        check(name, &image(layers, &[]), &["PIP001"], &["AUD001"]);
    }
}

#[test]
fn case_3_linked_parent_directories() {
    // The files found below a linked directory are named `pip.conf`: every source captures
    // them, standard input included. A link to a file below it is not.
    for (name, layer, env, streamed) in [
        (
            "/etc/xdg linked",
            LayerBuilder::new()
                .file("opt/xdg/pip/pip.conf", USER_CONF)
                .symlink("etc/xdg", "/opt/xdg"),
            &[][..],
            &["PIP001"][..],
        ),
        (
            "/etc/pip linked (XDG_CONFIG_DIRS=/etc)",
            LayerBuilder::new()
                .file("opt/conf/pip/pip.conf", USER_CONF)
                .symlink("etc/pip", "/opt/conf/pip"),
            &["XDG_CONFIG_DIRS=/etc"][..],
            &["PIP001"][..],
        ),
        (
            "/etc/xdg linked to a directory whose pip.conf is a link",
            LayerBuilder::new()
                .file("opt/conf/base.ini", USER_CONF)
                .dir("opt/xdg/pip")
                .symlink("opt/xdg/pip/pip.conf", "../../conf/base.ini")
                .symlink("etc/xdg", "/opt/xdg"),
            &[][..],
            &["AUD001"][..],
        ),
    ] {
        check(
            name,
            &image(vec![base(), layer], env),
            &["PIP001"],
            streamed,
        );
    }
}

#[test]
fn case_4_pip_config_file_naming_a_link() {
    let linked = image(
        vec![
            base(),
            LayerBuilder::new()
                .file("opt/conf/settings.ini", USER_CONF)
                .symlink("etc/pip-env.conf", "/opt/conf/settings.ini"),
        ],
        &["PIP_CONFIG_FILE=/etc/pip-env.conf"],
    );
    check("PIP_CONFIG_FILE", &linked, &["PIP001"], &["AUD001"]);
}

#[test]
fn case_5_start_up_files_reached_through_links() {
    let script = b"export PIP_USER=1\n";
    for (name, layer, streamed) in [
        (
            "a profile.d script linked elsewhere",
            LayerBuilder::new()
                .file("opt/scripts/pip.sh", script)
                .dir("etc/profile.d")
                .symlink("etc/profile.d/pip.sh", "/opt/scripts/pip.sh"),
            &["AUD001"][..],
        ),
        (
            "/etc/profile.d linked",
            LayerBuilder::new()
                .file("opt/profile.d/pip.sh", script)
                .symlink("etc/profile.d", "/opt/profile.d"),
            &["AUD001"][..],
        ),
        (
            "~/.bashrc linked to dotfiles",
            LayerBuilder::new()
                .file("opt/dotfiles/bashrc", script)
                .symlink("root/.bashrc", "/opt/dotfiles/bashrc"),
            &["AUD001"][..],
        ),
    ] {
        check(
            name,
            &image(vec![base(), layer], &[]),
            &["PIP001"],
            streamed,
        );
    }
}

#[test]
fn case_6_files_that_cannot_be_judged() {
    let mut large = USER_CONF.to_vec();
    large.resize(
        usize::try_from(imgaudit_layer::DEFAULT_MAX_CAPTURE_SIZE).unwrap() + 1,
        b'#',
    );
    let mut chain = LayerBuilder::new().file("opt/conf/settings.ini", USER_CONF);
    chain = chain.symlink("opt/links/0", "/opt/conf/settings.ini");
    for i in 1..=40 {
        chain = chain.symlink(&format!("opt/links/{i}"), &format!("/opt/links/{}", i - 1));
    }
    chain = chain.symlink("etc/pip.conf", "/opt/links/40");
    for (name, layer) in [
        (
            "larger than the capture limit",
            LayerBuilder::new().file("etc/pip.conf", &large),
        ),
        (
            "a link loop",
            LayerBuilder::new()
                .symlink("etc/pip.conf", "/opt/a")
                .symlink("opt/a", "/etc/pip.conf"),
        ),
        ("a chain of 41 links", chain),
    ] {
        check(
            name,
            &image(vec![base(), layer], &[]),
            &["AUD001"],
            &["AUD001"],
        );
    }
}

#[test]
fn an_unjudged_file_shows_in_every_format() {
    let looping = image(
        vec![
            base(),
            LayerBuilder::new().symlink("etc/pip.conf", "pip.conf"),
        ],
        &[],
    );
    let (_, report, _) = findings(&looping, Via::Layout);
    let finding = &report["findings"][0];
    assert_eq!(finding["rule_id"], "AUD001");
    assert_eq!(finding["severity"], "high");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "/etc/pip.conf could not be judged: resolving it takes more than 40 links"
        ),
        "{message}"
    );
    assert!(message.contains("pip_config_files"), "{message}");
    for (format, expected) in [
        ("text", "/etc/pip.conf could not be judged"),
        ("sarif", "\"ruleId\": \"AUD001\""),
        ("codequality", "AUD001"),
    ] {
        let output = scan(&looping, Via::Layout, &["--format", format]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        let text = stdout(&output);
        assert!(text.contains(expected), "{format}: {text}");
    }
    // Like any rule, it can be turned off: then nothing fails the gate.
    let output = scan(&looping, Via::Layout, &["--disable", "AUD001"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
