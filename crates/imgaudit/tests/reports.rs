//! End-to-end tests of the reports: the formats, `--output`, the Dockerfile mapping, SARIF's
//! shape as code scanning demands it, the configuration file and its suppressions, colour.
//! They scan the committed example with the Python rules selected: what other packs report is
//! not theirs to check.

mod common;

use std::path::Path;

use common::{
    PYTHON_RULES, assert_report_snapshot, example_layout, finding_ids, json_of_success,
    python_rule_ids, rule_ids, run_in, stderr, stdout, with_python_rules,
};
use serde_json::Value;

/// A Dockerfile whose instructions the example's history records (its base step aside).
const EXAMPLE_DOCKERFILE: &str = "\
# syntax=docker/dockerfile:1
FROM debian:bookworm

ENV PIP_NO_USER=1
RUN rm /usr/lib/python3.11/EXTERNALLY-MANAGED
RUN pip install \\
    six
";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs a scan of the example, the Python rules selected, writing every format to a file in
/// `dir`; returns (status, stdout, stderr).
fn scan_all(dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let image = example_layout();
    let mut args = vec![
        "scan",
        image.as_str(),
        "--output",
        "json=report.json",
        "--output",
        "sarif=report.sarif",
        "--output",
        "codequality=report.codequality.json",
        "--output",
        "text=-",
    ];
    args.extend(PYTHON_RULES);
    args.extend_from_slice(extra);
    let output = run_in(dir, &args, None);
    (output.status.code(), stdout(&output), stderr(&output))
}

fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"].as_array().unwrap()
}

fn result_of<'a>(sarif: &'a Value, rule: &str) -> &'a Value {
    results(sarif)
        .iter()
        .find(|r| r["ruleId"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result in {sarif:#}"))
}

fn uri_and_line(result: &Value) -> (String, u64) {
    let location = &result["locations"][0]["physicalLocation"];
    (
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_owned(),
        location["region"]["startLine"].as_u64().unwrap(),
    )
}

#[test]
fn one_audit_in_every_format_at_once() {
    let dir = project(&[("Dockerfile", EXAMPLE_DOCKERFILE)]);
    let (status, text, err) = scan_all(dir.path(), &[]);
    assert_eq!(status, Some(0), "{err}");
    let json = read_json(&dir.path().join("report.json"));
    let sarif = read_json(&dir.path().join("report.sarif"));
    let quality = read_json(&dir.path().join("report.codequality.json"));

    assert_eq!(finding_ids(&json), ["PIP001", "PY001", "PY002"]);
    assert_eq!(json["image"]["repository"], "python-hygiene");
    let sarif_ids: Vec<&str> = results(&sarif)
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(sarif_ids.len(), 3);
    for id in ["PIP001", "PY001", "PY002"] {
        assert!(sarif_ids.contains(&id), "{sarif_ids:?}");
        assert!(text.contains(&format!("{id} ")), "{text}");
        assert!(
            quality
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q["check_name"] == id),
            "{quality:#}"
        );
    }
    // The same fingerprints in every format.
    for finding in json["findings"].as_array().unwrap() {
        let fingerprint = finding["fingerprint"].as_str().unwrap();
        assert!(
            results(&sarif)
                .iter()
                .any(|r| r["partialFingerprints"]["imgaudit/v1"] == fingerprint),
            "{fingerprint}"
        );
        assert!(
            quality
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q["fingerprint"] == fingerprint)
        );
    }
    assert!(text.contains("3 findings in python-hygiene ("), "{text}");
}

#[test]
fn findings_point_at_the_dockerfile_lines_that_caused_them() {
    let dir = project(&[("Dockerfile", EXAMPLE_DOCKERFILE)]);
    let (status, text, err) = scan_all(dir.path(), &[]);
    assert_eq!(status, Some(0), "{err}");
    let sarif = read_json(&dir.path().join("report.sarif"));
    // ENV at line 4, the `rm` at 5, the continued `pip install` at 6-7.
    assert_eq!(
        uri_and_line(result_of(&sarif, "PIP001")),
        ("Dockerfile".into(), 4)
    );
    assert_eq!(
        uri_and_line(result_of(&sarif, "PY001")),
        ("Dockerfile".into(), 5)
    );
    let py002 = result_of(&sarif, "PY002");
    assert_eq!(uri_and_line(py002), ("Dockerfile".into(), 6));
    assert_eq!(
        py002["locations"][0]["physicalLocation"]["region"]["endLine"],
        7
    );
    // The place in the image stays, as a related location and in the properties.
    assert_eq!(
        py002["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "python-hygiene/root/.local/lib/python3.11/site-packages"
    );
    assert_eq!(py002["properties"]["layer"], 2);
    assert_eq!(py002["properties"]["historyStep"], 3);
    assert!(
        py002["properties"]["layerDigest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(text.contains("at Dockerfile:6-7 RUN"), "{text}");

    let json = read_json(&dir.path().join("report.json"));
    assert_eq!(json["dockerfile"]["matched"], true);
    assert_eq!(json["findings"][0]["dockerfile"]["how"], "instruction");

    // `--dockerfile` names another file; a subdirectory gives a relative URI.
    let sub = dir.path().join("docker");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("app.Dockerfile"), EXAMPLE_DOCKERFILE).unwrap();
    std::fs::remove_file(dir.path().join("Dockerfile")).unwrap();
    let (status, _, err) = scan_all(dir.path(), &["--dockerfile", "docker/app.Dockerfile"]);
    assert_eq!(status, Some(0), "{err}");
    let sarif = read_json(&dir.path().join("report.sarif"));
    assert_eq!(
        uri_and_line(result_of(&sarif, "PY001")),
        ("docker/app.Dockerfile".into(), 5)
    );
}

#[test]
fn a_dockerfile_from_another_image_maps_nothing() {
    let other = "FROM debian:bookworm\nRUN apt-get update\nENV LANG=C.UTF-8\nRUN make install\n";
    let dir = project(&[("Dockerfile", other)]);
    let (status, text, err) = scan_all(dir.path(), &[]);
    assert_eq!(status, Some(0), "{err}");
    let sarif = read_json(&dir.path().join("report.sarif"));
    for result in results(&sarif) {
        let (uri, _) = uri_and_line(result);
        assert!(uri.starts_with("python-hygiene/"), "{uri}");
    }
    assert_eq!(
        uri_and_line(result_of(&sarif, "PY001")),
        (
            "python-hygiene/usr/lib/python3.11/EXTERNALLY-MANAGED".into(),
            1
        )
    );
    assert_eq!(
        uri_and_line(result_of(&sarif, "PIP001")),
        ("python-hygiene/@config/Env/PIP_NO_USER".into(), 1)
    );
    assert!(text.contains("does not match Dockerfile"), "{text}");
    let json = read_json(&dir.path().join("report.json"));
    assert_eq!(json["dockerfile"]["matched"], false);
}

#[test]
fn sarif_has_what_code_scanning_demands() {
    let dir = project(&[]);
    let (status, _, err) = scan_all(dir.path(), &["--fail-on", "medium"]);
    assert_eq!(status, Some(1), "{err}");
    let sarif = read_json(&dir.path().join("report.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "imgaudit");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    // Every rule of the run (the Python rules), described in full.
    let rules = driver["rules"].as_array().unwrap();
    let described: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(described, python_rule_ids());
    for rule in rules {
        for key in ["id", "name", "helpUri"] {
            assert!(
                rule[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key}: {rule:#}"
            );
        }
        for key in ["shortDescription", "fullDescription"] {
            let text = rule[key]["text"].as_str().unwrap();
            assert!(!text.is_empty() && text.chars().count() <= 1024, "{rule:#}");
        }
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Why is this bad?")
        );
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&level));
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.iter().any(|t| t == "security") && tags.len() <= 20);
        let severity = rule["properties"]["security-severity"].as_str().unwrap();
        assert!(
            ["9.5", "8.0", "5.5", "2.0"].contains(&severity),
            "{severity}"
        );
    }
    let pip001 = rules.iter().find(|r| r["id"] == "PIP001").unwrap();
    assert_eq!(pip001["properties"]["security-severity"], "5.5");
    assert_eq!(pip001["defaultConfiguration"]["level"], "warning");

    // Every result: rule index, level, the image in the message, one relative colon-free
    // location with a region, imgaudit's own fingerprint.
    for result in results(&sarif) {
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["level"], "warning");
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("python-hygiene (linux/amd64): ")
        );
        let (uri, line) = uri_and_line(result);
        assert!(line >= 1);
        assert!(
            !uri.is_empty() && !uri.starts_with('/') && !uri.contains(':'),
            "{uri}"
        );
        assert_eq!(
            result["partialFingerprints"]["imgaudit/v1"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        let logical = &result["locations"][0]["logicalLocations"][0];
        if result["ruleId"] != "PIP001" {
            assert!(
                logical["name"].as_str().unwrap().starts_with("layer "),
                "{result:#}"
            );
        }
    }
    assert_eq!(
        runs[0]["automationDetails"]["id"],
        "imgaudit/python-hygiene/"
    );
    assert_eq!(runs[0]["properties"]["failing"], 3);

    // A tag or digest given with --image-name is dropped: reports do not change per tag.
    scan_all(dir.path(), &["--image-name", "team/app:1.4"]);
    let tagged = read_json(&dir.path().join("report.sarif"));
    assert_eq!(
        tagged["runs"][0]["automationDetails"]["id"],
        "imgaudit/team/app/"
    );
    // A category and an image name of one's own.
    let (_, _, err) = scan_all(
        dir.path(),
        &[
            "--image-name",
            "team/app",
            "--sarif-category",
            "images/app/",
        ],
    );
    let sarif = read_json(&dir.path().join("report.sarif"));
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"], "images/app/",
        "{err}"
    );
    assert_eq!(
        uri_and_line(result_of(&sarif, "PY001")).0,
        "team/app/usr/lib/python3.11/EXTERNALLY-MANAGED"
    );
}

#[test]
fn an_image_without_findings_gives_a_valid_empty_sarif() {
    let dir = project(&[]);
    let image = example_layout();
    let args = [
        "scan",
        &image,
        "--disable",
        "PIP001",
        "--disable",
        "PY001",
        "--disable",
        "PY002",
        "--format",
        "sarif",
    ];
    let output = run_in(dir.path(), &with_python_rules(&args), None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results(&sarif).len(), 0);
    assert!(sarif["runs"][0]["results"].is_array());
    // Disabled rules are not described: their alerts are not "fixed" by this run.
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len()
            + 3,
        python_rule_ids().len()
    );
}

#[test]
fn output_flags_are_checked() {
    let image = example_layout();
    for (args, names) in [
        (
            vec!["scan", image.as_str(), "--output", "sarif"],
            vec!["FORMAT=PATH"],
        ),
        (
            vec!["scan", image.as_str(), "--output", "xml=a.xml"],
            vec!["xml", "report format"],
        ),
        (
            vec!["scan", image.as_str(), "--output", "json="],
            vec!["names no file"],
        ),
        (
            vec![
                "scan",
                image.as_str(),
                "--output",
                "json=-",
                "--output",
                "text=-",
            ],
            vec!["only one report can go to standard output"],
        ),
        (
            vec![
                "scan",
                image.as_str(),
                "--output",
                "json=a",
                "--output",
                "sarif=a",
            ],
            vec!["twice"],
        ),
        (
            vec!["scan", image.as_str(), "--dockerfile", "no/such/Dockerfile"],
            vec!["no/such/Dockerfile"],
        ),
        (
            vec!["scan", image.as_str(), "--color", "sometimes"],
            vec!["sometimes"],
        ),
        (
            vec!["scan", image.as_str(), "--image-name", ""],
            vec!["--image-name"],
        ),
        (
            vec!["scan", image.as_str(), "--sarif-category", " "],
            vec!["empty"],
        ),
        // One report cannot be written: none is.
        (
            vec![
                "scan",
                image.as_str(),
                "--output",
                "json=ok.json",
                "--output",
                // Missing directories are made, but not in /proc.
                "sarif=/proc/no/such/dir/r.sarif",
            ],
            vec!["/proc/no/such/dir"],
        ),
    ] {
        let dir = project(&[]);
        let output = run_in(dir.path(), &args, None);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(output.stdout.is_empty());
        for name in names {
            assert!(message.contains(name), "{args:?}: {name} not in {message}");
        }
        // Nothing half-written.
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{args:?}"
        );
    }
}

#[test]
fn a_failed_audit_leaves_the_previous_report_alone() {
    let dir = project(&[("report.sarif", "previous")]);
    let output = run_in(
        dir.path(),
        &[
            "scan",
            "oci:no-such-layout",
            "--output",
            "sarif=report.sarif",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("report.sarif")).unwrap(),
        "previous"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = project(&[]);
    let image = example_layout();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", image.as_str()];
        args.extend(PYTHON_RULES);
        args.extend_from_slice(extra);
        run_in(dir.path(), &args, None)
    };
    assert!(!stdout(&scan(&[])).contains('\u{1b}'));
    let text = stdout(&scan(&["--color", "always"]));
    assert!(text.contains("\u{1b}["), "{text}");
    // Colour never reaches a file.
    let output = scan(&["--color", "always", "--output", "text=report.txt"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    let file = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(!file.contains('\u{1b}') && file.contains("PY001"));
}

#[test]
fn text_report_shows_evidence_fix_and_summary() {
    let dir = project(&[("Dockerfile", EXAMPLE_DOCKERFILE)]);
    let image = example_layout();
    let output = run_in(dir.path(), &with_python_rules(&["scan", &image]), None);
    let text = stdout(&output);
    assert!(
        text.contains(
            "at Dockerfile:5 RUN · /usr/lib/python3.11/EXTERNALLY-MANAGED · layer 1, step 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("at Dockerfile:4 ENV · $PIP_NO_USER · step 1"),
        "{text}"
    );
    // Each rule's fix, once, from its metadata.
    let rules = json_of_success(&["rules", "--format", "json"]);
    for rule in rules["rules"].as_array().unwrap() {
        let fix = format!("  fix: {}\n", rule["remediation"].as_str().unwrap().trim());
        let expected =
            usize::from(["PIP001", "PY001", "PY002"].contains(&rule["id"].as_str().unwrap()));
        assert_eq!(text.matches(&fix).count(), expected, "{fix}\n{text}");
    }
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("3 findings in python-hygiene (oci:"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// The configuration file
// ---------------------------------------------------------------------------------------------

/// Scans the example, the Python rules selected, from a directory holding `imgaudit.toml`.
fn json_with_config(config: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let dir = project(&[("imgaudit.toml", config)]);
    let image = example_layout();
    let mut args = vec!["scan", image.as_str(), "--format", "json"];
    args.extend(PYTHON_RULES);
    args.extend_from_slice(extra);
    let output = run_in(dir.path(), &args, None);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), report, stderr(&output))
}

#[test]
fn the_configuration_selects_rules_severities_and_the_gate() {
    let config = "\
fail-on = \"high\"

[rules]
disable = [\"PY002\"]
severity = { PIP001 = \"high\" }
";
    let (status, report, err) = json_with_config(config, &[]);
    assert_eq!(status, Some(1), "{err}");
    assert_eq!(finding_ids(&report), ["PIP001", "PY001"]);
    assert_eq!(report["findings"][0]["severity"], "high");
    assert_eq!(report["failing"], 1);
    assert!(
        report["disabled"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "PY002")
    );
    assert!(
        report["config_file"]
            .as_str()
            .unwrap()
            .ends_with("imgaudit.toml")
    );

    // Flags win over the file.
    let (status, report, _) = json_with_config(config, &["--fail-on", "none"]);
    assert_eq!(status, Some(0));
    assert_eq!(report["fail_on"], "none");
    // --no-config ignores it.
    let (status, report, _) = json_with_config(config, &["--no-config"]);
    assert_eq!(status, Some(0));
    assert_eq!(finding_ids(&report), ["PIP001", "PY001", "PY002"]);
    assert!(report.get("config_file").is_none());

    // `enable` by prefix and by name.
    let (_, report, err) = json_with_config(
        "[rules]\nenable = [\"PY\", \"user-install-forced\"]\ndisable = [\"PY001\"]\n",
        &[],
    );
    assert_eq!(finding_ids(&report), ["PIP001", "PY002"], "{err}");
    let rules: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"PY005") && !rules.contains(&"PIP002"),
        "{rules:?}"
    );
}

#[test]
fn suppressions_dismiss_without_hiding() {
    let config = "\
fail-on = \"medium\"

[[suppress]]
rule = \"PY002\"
target = \"/root/.local/**\"
reason = \"vendored wheels, see TICKET-1\"
expires = 2999-12-31

[[suppress]]
rule = \"externally-managed-marker-missing\"
image = \"python-*\"
reason = \"the base image's choice\"

[[suppress]]
rule = \"PIP001\"
reason = \"a suppression that ran out\"
expires = 2001-01-01

[[suppress]]
rule = \"PIP002\"
reason = \"nothing to match\"
";
    let dir = project(&[("imgaudit.toml", config)]);
    let (status, text, err) = scan_all(dir.path(), &[]);
    // PIP001 still fails the build: its suppression expired.
    assert_eq!(status, Some(1), "{err}");
    let json = read_json(&dir.path().join("report.json"));
    assert_eq!(finding_ids(&json), ["PIP001"]);
    assert_eq!(
        rule_ids(json["suppressed"].as_array().unwrap()),
        ["PY001", "PY002"]
    );
    assert_eq!(json["failing"], 1);
    assert_eq!(
        json["suppressed"][1]["suppression"]["reason"],
        "vendored wheels, see TICKET-1"
    );
    assert_eq!(
        json["suppressed"][1]["suppression"]["expires"],
        "2999-12-31"
    );
    let statuses: Vec<(&str, &str)> = json["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["rule"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("PY002", "used"),
            ("externally-managed-marker-missing", "used"),
            ("PIP001", "expired"),
            ("PIP002", "unused"),
        ]
    );
    // SARIF keeps them, marked as suppressed with the reason.
    let sarif = read_json(&dir.path().join("report.sarif"));
    assert_eq!(results(&sarif).len(), 3);
    let py002 = result_of(&sarif, "PY002");
    assert_eq!(py002["suppressions"][0]["kind"], "external");
    assert!(
        py002["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("vendored wheels")
    );
    assert!(result_of(&sarif, "PIP001").get("suppressions").is_none());
    let notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"].to_string();
    assert!(
        notes.contains("expired on 2001-01-01") && notes.contains("matched no finding"),
        "{notes}"
    );
    // Code Quality has no dismissed state: suppressed findings are left out.
    let quality = read_json(&dir.path().join("report.codequality.json"));
    assert_eq!(quality.as_array().unwrap().len(), 1);
    // Text: counted, and the stale ones said.
    assert!(
        text.contains("1 finding in python-hygiene") && text.contains("2 suppressed"),
        "{text}"
    );
    assert!(text.contains("line 14) expired on 2001-01-01"), "{text}");
    assert!(
        text.contains("suppression of PIP002 (line 19) matched no finding"),
        "{text}"
    );

    // Another image name: the image-scoped suppression no longer applies.
    let (_, _, _) = scan_all(dir.path(), &["--image-name", "team/app"]);
    let json = read_json(&dir.path().join("report.json"));
    assert_eq!(rule_ids(json["suppressed"].as_array().unwrap()), ["PY002"]);
}

#[test]
fn configuration_errors_point_at_the_line_and_key() {
    for (config, line, expect) in [
        ("fial-on = \"high\"\n", 1, "fial-on"),
        ("fail-on = \"hihg\"\n", 1, "hihg"),
        ("[rules]\ndisable = [\"PY999\"]\n", 2, "PY999"),
        ("[rules]\nseverity = { PIP001 = \"urgent\" }\n", 2, "urgent"),
        ("[[suppress]]\nrule = \"PY002\"\n", 1, "reason"),
        (
            "[[suppress]]\nrule = \"PY002\"\nreason = \"r\"\nexpires = 2026-02-30\n",
            4,
            "2026-02-30",
        ),
        (
            "[[suppress]]\nrule = \"PY002\"\nreason = \"r\"\ntarget = \"[\"\n",
            4,
            "target",
        ),
        ("min-severity = [\n", 1, "imgaudit.toml"),
    ] {
        let (status, report, err) = json_with_config(config, &[]);
        assert_eq!(status, Some(2), "{config}: {err}");
        assert_eq!(report, Value::Null, "{config}: a report was printed");
        assert!(
            err.contains(&format!("imgaudit.toml:{line}:")),
            "{config}: {err}"
        );
        assert!(err.contains(expect), "{config}: `{expect}` not in {err}");
        assert!(err.contains('^'), "{config}: no caret in {err}");
    }
    // An explicit --config that does not exist.
    let dir = project(&[]);
    let output = run_in(
        dir.path(),
        &["scan", &example_layout(), "--config", "nope.toml"],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nope.toml"), "{}", stderr(&output));
}

// ---------------------------------------------------------------------------------------------
// Snapshots of the committed example, every format
// ---------------------------------------------------------------------------------------------

#[test]
fn snapshots_of_the_example() {
    let dir = project(&[("Dockerfile", EXAMPLE_DOCKERFILE)]);
    let (status, text, err) = scan_all(dir.path(), &[]);
    assert_eq!(status, Some(0), "{err}");
    let example = example_layout();
    let normalize = |text: &str| text.replace(&example, "oci:examples/python-hygiene");
    assert_report_snapshot!("snapshots", "example-text.txt", normalize(&text));
    for (file, snapshot) in [
        ("report.json", "example-json.json"),
        ("report.sarif", "example-sarif.sarif"),
        ("report.codequality.json", "example-codequality.json"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert_report_snapshot!("snapshots", snapshot, normalize(&text));
    }
}
