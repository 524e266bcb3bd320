//! End-to-end tests of pipenv's rule (PIPENV001) and facts: the real binary on synthetic images
//! written by the test kit. The rule fires where `PIPENV_SYSTEM` makes pipenv install into an
//! existing interpreter, with the severity and words the measured outcome calls for
//! (`tests/ground-truth/PIPENV-SEMANTICS.md`), and stays quiet on the traps; a mirror password
//! never appears in any output.

use imgaudit_testkit::{DEBIAN_MARKER, LayerBuilder, TestImage};
use serde_json::Value;

mod common;

use common::{
    TempLayout, assert_no_secret, everything_written, json_of_success, run_in, scan_report,
};

const SELECT: [&str; 2] = ["--select", "pipenv"];

const MIRROR_SECRET: &str = "Pipenv-Mirror-Secret-0789";

/// `python:3.11`-like: CPython under `/usr/local`, no marker, `python3` on PATH.
fn official_python() -> LayerBuilder {
    LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file_with("usr/local/bin/python3.11", b"\x7fELF", 0o755, 0, 0)
        .symlink("usr/local/bin/python3", "python3.11")
        .file("usr/local/lib/python3.11/os.py", b"# stdlib\n")
        .dir("usr/local/lib/python3.11/site-packages/pip-24.0.dist-info")
        .dir("root")
}

/// Debian 12-like: `/usr/bin/python3` with its PEP 668 marker, Debian's pip 23.0.1.
fn debian_python() -> LayerBuilder {
    LayerBuilder::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file_with("usr/bin/python3.11", b"\x7fELF", 0o755, 0, 0)
        .symlink("usr/bin/python3", "python3.11")
        .file("usr/lib/python3.11/os.py", b"# stdlib\n")
        .file("usr/lib/python3.11/EXTERNALLY-MANAGED", DEBIAN_MARKER)
        .dir("usr/lib/python3/dist-packages/pip-23.0.1.dist-info")
        .file(
            "var/lib/dpkg/info/libpython3.11-minimal:amd64.list",
            b"/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n",
        )
        .file(
            "var/lib/dpkg/info/libpython3.11-stdlib:amd64.list",
            b"/usr/lib/python3.11/EXTERNALLY-MANAGED\n",
        )
        .dir("root")
}

/// pipenv `version` installed into `site` (a `pipenv-VERSION.dist-info` with its METADATA).
fn pipenv(site: &str, version: &str) -> LayerBuilder {
    LayerBuilder::new().file(
        &format!("{site}/pipenv-{version}.dist-info/METADATA"),
        format!("Metadata-Version: 2.1\nName: pipenv\nVersion: {version}\n").as_bytes(),
    )
}

const OFFICIAL_SITE: &str = "usr/local/lib/python3.11/site-packages";
const DEBIAN_SITE: &str = "usr/lib/python3/dist-packages";

/// `base`, then pipenv, then one `ENV` step with `env`.
fn image(base: LayerBuilder, tool: LayerBuilder, env: &[&str]) -> TestImage {
    let mut image = TestImage::new(vec![base.finish(), tool.finish()]);
    image.env.extend(env.iter().map(|e| (*e).to_owned()));
    image.history = Some(vec![
        ("FROM base".to_owned(), false),
        ("RUN pip install pipenv".to_owned(), false),
        (format!("ENV {}", env.join(" ")), true),
    ]);
    image
}

fn pipenv001(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "PIPENV001")
        .collect()
}

fn only_finding(image: &TestImage) -> Value {
    let report = scan_report(image, &SELECT);
    let found = pipenv001(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    found[0].clone()
}

#[test]
fn a_true_pipenv_system_into_a_python_without_marker_is_medium() {
    let finding = only_finding(&image(
        official_python(),
        pipenv(OFFICIAL_SITE, "2026.10.3"),
        &["PIPENV_SYSTEM=1"],
    ));
    assert_eq!(finding["severity"], "medium");
    let msg = finding["message"].as_str().unwrap();
    assert!(
        msg.contains("install into /usr/local instead of a virtualenv"),
        "{msg}"
    );
    assert!(msg.contains("ENV PIPENV_SYSTEM=1"), "{msg}");
}

#[test]
fn pipenv_with_a_pip_older_than_pep_668_goes_past_debians_marker_and_is_high() {
    // pipenv 2022.12.19 (Debian 12's release) installs with its bundled pip 22.3.1.
    let finding = only_finding(&image(
        debian_python(),
        pipenv(DEBIAN_SITE, "2022.12.19"),
        &["PIPENV_SYSTEM=true"],
    ));
    assert_eq!(finding["severity"], "high");
    let msg = finding["message"].as_str().unwrap();
    assert!(msg.contains("/usr past its PEP 668 marker"), "{msg}");
    assert!(msg.contains("predates PEP 668"), "{msg}");
}

#[test]
fn pip_break_system_packages_0_is_a_bypass_for_new_pipenv() {
    let finding = only_finding(&image(
        debian_python(),
        pipenv(DEBIAN_SITE, "2026.10.3"),
        &["PIPENV_SYSTEM=1", "PIP_BREAK_SYSTEM_PACKAGES=0"],
    ));
    assert_eq!(finding["severity"], "high");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("passes PIP_BREAK_SYSTEM_PACKAGES to pip")
    );
}

#[test]
fn a_marker_that_refuses_is_medium_and_says_installs_fail() {
    let finding = only_finding(&image(
        debian_python(),
        pipenv(DEBIAN_SITE, "2025.0.4"),
        &["PIPENV_SYSTEM=yes"],
    ));
    assert_eq!(finding["severity"], "medium");
    let msg = finding["message"].as_str().unwrap();
    assert!(msg.contains("refuses it: the install fails"), "{msg}");
}

#[test]
fn traps_stay_quiet() {
    for (version, env) in [
        ("2026.10.3", "PIPENV_SYSTEM=0"),
        // Ignored by the argparse parser of pipenv >= 2026.5.0.
        ("2026.10.3", "PIPENV_SYSTEM=t"),
        // click-era pipenv stops with a usage error: no install happens.
        ("2025.0.4", "PIPENV_SYSTEM=garbage"),
        // Variable names are case-sensitive.
        ("2025.0.4", "pipenv_system=1"),
        ("2022.12.19", "PIPENV_SYSTEM="),
    ] {
        let report = scan_report(
            &image(official_python(), pipenv(OFFICIAL_SITE, version), &[env]),
            &SELECT,
        );
        assert!(pipenv001(&report).is_empty(), "{version} {env}: {report:#}");
    }
}

#[test]
fn facts_name_the_installed_pipenv_and_read_the_setting_as_it_does() {
    let img = image(
        official_python(),
        pipenv(OFFICIAL_SITE, "2026.10.3"),
        &[
            "PIPENV_SYSTEM=t",
            &format!("PIPENV_PYPI_MIRROR=https://ci:{MIRROR_SECRET}@pkgs.internal.example/simple"),
        ],
    );
    let layout = TempLayout::new(&img);
    let facts = json_of_success(&["facts", &layout.arg]);
    let tools = facts["tools"].as_array().unwrap();
    assert!(
        tools
            .iter()
            .any(|t| t["tool"] == "pipenv" && t["version"] == "2026.10.3"),
        "{tools:#?}"
    );
    let settings = facts["tool_settings"].as_array().unwrap();
    let system = settings
        .iter()
        .find(|s| s["name"] == "PIPENV_SYSTEM")
        .unwrap();
    assert_eq!(system["option"], "system");
    assert_eq!(system["parsed"], "invalid");
    assert_eq!(system["counts"], false);
    let mirror = settings
        .iter()
        .find(|s| s["name"] == "PIPENV_PYPI_MIRROR")
        .unwrap();
    assert_eq!(mirror["has_credentials"], true);
    assert_eq!(mirror["urls"][0]["host"], "pkgs.internal.example");
    // No output of the binary shows the password.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["facts", layout.arg.as_str()],
        vec![
            "scan",
            layout.arg.as_str(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ],
        vec![
            "scan",
            layout.arg.as_str(),
            "--format",
            "sarif",
            "--fail-on",
            "none",
        ],
        vec!["scan", layout.arg.as_str(), "--fail-on", "none"],
    ] {
        let output = run_in(dir.path(), &args, None);
        assert_no_secret(
            &format!("{args:?}"),
            &everything_written(&output, None),
            &[MIRROR_SECRET],
        );
    }
}
