//! End-to-end tests of pip's index rules (PIP005 extra-index-dependency-confusion, PIP006
//! insecure-index-transport): the real binary on synthetic images written by the test kit. Each
//! rule fires where intended and stays quiet on the traps of tests/ground-truth/
//! PIP-INDEX-SEMANTICS.md (an extra index on the index's host, http on localhost, a setting an
//! environment variable replaces, an empty trusted host), and no credential shows in any output.

use imgaudit_testkit::{LayerBuilder, TestImage, debian_python_base};
use serde_json::Value;

mod common;

use common::{
    TempLayout, assert_no_secret, everything_written, finding_ids, findings_of as of, image_of,
    json_of_success, message, scan_report,
};

const RULES: [&str; 6] = [
    "--select", "PIP004", "--select", "PIP005", "--select", "PIP006",
];

const SECRET: &str = "Index-Secret-Tok-1";

/// Builds `layers` with one history step each.
fn image(layers: Vec<LayerBuilder>, history: &[&str], env: &[&str]) -> TestImage {
    let history: Vec<(&str, bool)> = history.iter().map(|by| (*by, false)).collect();
    image_of(layers, &history, env)
}

/// An http index on another machine with its host trusted in /etc/pip.conf, and an extra index
/// (with a token) on a third host next to it. The file's own extra index is replaced by the
/// variable (a trap).
fn risky_image() -> TestImage {
    let conf = LayerBuilder::new().file(
        "etc/pip.conf",
        b"[global]\nextra-index-url = https://other.example/simple\ntrusted-host = 10.0.0.5:8080\n",
    );
    let env = format!("PIP_EXTRA_INDEX_URL=https://ci:{SECRET}@pkgs.example/simple");
    image(
        vec![debian_python_base(), conf],
        &[
            "ADD debian-python /",
            "COPY pip.conf /etc/pip.conf # buildkit",
        ],
        &["PIP_INDEX_URL=http://10.0.0.5:8080/simple", env.as_str()],
    )
}

/// The traps: an extra index on the index's own host, a loopback http find-links page, an http
/// index on localhost that a variable replaces, an empty trusted host.
fn quiet_image() -> TestImage {
    let conf = LayerBuilder::new().file(
        "etc/pip.conf",
        b"[global]\nindex-url = http://localhost:3141/root/pypi/+simple/\n",
    );
    image(
        vec![debian_python_base(), conf],
        &["ADD debian-python /", "COPY pip.conf /etc/pip.conf"],
        &[
            "PIP_INDEX_URL=https://nexus.example/repository/pypi/simple",
            "PIP_EXTRA_INDEX_URL=https://nexus.example/repository/private/simple",
            "PIP_FIND_LINKS=http://127.0.0.1:8000/links/ /wheels",
            "PIP_TRUSTED_HOST=",
        ],
    )
}

#[test]
fn each_rule_fires_where_intended() {
    let report = scan_report(&risky_image(), &RULES);
    assert_eq!(
        finding_ids(&report),
        ["PIP004", "PIP005", "PIP006", "PIP006"],
        "{report:#}"
    );

    let pip005 = of(&report, "PIP005");
    let text = message(pip005[0]);
    assert!(
        text.starts_with("PIP_EXTRA_INDEX_URL=https://ci:****@pkgs.example/simple in the image's Env adds pkgs.example besides the index 10.0.0.5"),
        "{text}"
    );
    assert!(text.contains("highest version"), "{text}");
    assert_eq!(pip005[0]["severity"], "medium");
    assert_eq!(pip005[0]["evidence"]["hosts"][0], "pkgs.example");

    let mut pip006: Vec<(String, Value, Value)> = of(&report, "PIP006")
        .iter()
        .map(|f| {
            assert_eq!(f["severity"], "high", "{f:#}");
            (
                message(f).to_owned(),
                f["locations"][0]["path"].clone(),
                f["locations"][0]["line"].clone(),
            )
        })
        .collect();
    pip006.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        pip006[0].0.starts_with(
            "PIP_INDEX_URL=http://10.0.0.5:8080/simple in the image's Env points pip at 10.0.0.5 over plain http"
        ),
        "{pip006:?}"
    );
    assert!(
        pip006[1]
            .0
            .starts_with("trusted-host = 10.0.0.5:8080 in /etc/pip.conf [global] line 3 (layer 1"),
        "{pip006:?}"
    );
    assert!(pip006[1].0.contains("skips TLS certificate checks"));
    assert_eq!(
        (&pip006[1].1, &pip006[1].2),
        (&Value::from("/etc/pip.conf"), &Value::from(3))
    );
}

#[test]
fn the_traps_stay_quiet() {
    let image = quiet_image();
    let report = scan_report(&image, &RULES);
    assert!(finding_ids(&report).is_empty(), "{report:#}");

    // Quiet for the right reasons: the settings are there, read as pip reads them.
    let layout = TempLayout::new(&image);
    let facts = json_of_success(&["facts", layout.arg.as_str()]);
    let settings = facts["pip_settings"].as_array().expect("pip_settings");
    let find = |name: &str| {
        settings
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {facts:#}"))
    };
    let extra = find("PIP_EXTRA_INDEX_URL");
    assert_eq!(extra["urls"][0]["host"], "nexus.example");
    assert_eq!(extra["ignored_because"], Value::Array(Vec::new()));
    let links = find("PIP_FIND_LINKS");
    assert_eq!(
        links["urls"].as_array().unwrap().len(),
        1,
        "/wheels is no URL"
    );
    assert_eq!(
        (
            &links["urls"][0]["plain_http"],
            &links["urls"][0]["loopback"]
        ),
        (&Value::Bool(true), &Value::Bool(true))
    );
    let replaced = find("index-url");
    assert!(
        replaced["ignored_because"][0]
            .as_str()
            .unwrap()
            .starts_with("overridden by PIP_INDEX_URL="),
        "{replaced:#}"
    );
    assert_eq!(
        find("PIP_TRUSTED_HOST")["ignored_because"][0],
        "empty: pip ignores it"
    );
}

#[test]
fn the_index_token_shows_in_no_output() {
    let image = risky_image();
    let layout = TempLayout::new(&image);
    for format in ["json", "sarif", "text"] {
        let output = common::run(
            &[
                "scan",
                layout.arg.as_str(),
                "--format",
                format,
                "--fail-on",
                "none",
                RULES[0],
                RULES[1],
                RULES[2],
                RULES[3],
                RULES[4],
                RULES[5],
            ],
            None,
        );
        assert!(output.status.success(), "{output:?}");
        assert_no_secret(format, &everything_written(&output, None), &[SECRET]);
    }
    let facts = common::run(&["facts", layout.arg.as_str()], None);
    assert!(facts.status.success(), "{facts:?}");
    assert_no_secret("facts", &everything_written(&facts, None), &[SECRET]);
}
