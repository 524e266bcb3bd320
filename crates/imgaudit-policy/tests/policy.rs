//! End-to-end tests over the fixture policy directories in `tests/fixtures`.

use std::fs;
use std::path::{Path, PathBuf};

use imgaudit_policy::{
    Outcome, PolicyError, PolicySet, Precision, Problem, RuleOrigin, Severity, Source,
    render_doc_text, run_tests,
};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The files of a fixture directory as sources of the given origin.
fn sources(name: &str, origin: &RuleOrigin) -> Vec<Source> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace('\\', "/");
                out.push((relative, fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let root = fixture(name);
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    files
        .into_iter()
        .map(|(path, text)| Source {
            path,
            text,
            origin: origin.clone(),
        })
        .collect()
}

fn builtin(name: &str) -> Result<PolicySet, PolicyError> {
    PolicySet::from_sources(sources(name, &RuleOrigin::Builtin))
}

fn problems(error: PolicyError) -> Vec<Problem> {
    match error {
        PolicyError::Invalid(problems) => problems,
        other => panic!("expected PolicyError::Invalid, got {other:?}"),
    }
}

fn good() -> PolicySet {
    builtin("good").expect("the good fixture loads")
}

#[test]
fn the_embedded_builtin_policies_load() {
    let set = PolicySet::builtin().expect("built-in policies load");
    let engine = set.compile(&[]).expect("built-in policies compile");
    assert!(engine.evaluate(&json!({})).is_ok());
    assert!(run_tests(&set, None).is_success());
}

/// `PolicySet::builtin` does not parse the embedded files to validate them, and `compile`
/// neither checks their function calls nor evaluates them on an empty input: this test is what
/// holds them to those checks. It fails when an embedded file breaks the contract.
#[test]
fn the_embedded_policies_pass_every_check_that_loading_them_for_a_scan_skips() {
    let checked = PolicySet::from_sources(PolicySet::builtin_sources())
        .expect("every embedded file parses and meets the contract");
    let checked_engine = checked
        .compile(&[])
        .expect("every embedded rule's calls exist and it holds on an empty input");
    let tests = run_tests(&checked, None);
    assert_eq!(tests.load_errors, Vec::<String>::new());
    assert!(tests.is_success(), "{:?}", tests.results);

    // What a scan loads is that same set, and compiles to the same engine.
    let loaded = PolicySet::builtin().expect("built-in policies load");
    assert_eq!(
        format!("{:?}", loaded.rules()),
        format!("{:?}", checked.rules())
    );
    assert_eq!(loaded.warnings(), checked.warnings());
    let engine = loaded.compile(&[]).expect("built-in policies compile");
    assert_eq!(
        format!("{:?}", engine.rules()),
        format!("{:?}", checked_engine.rules())
    );
    let root = json!({
        "image": {"user": ""},
        "runtime": {"uid": 0, "is_root": true, "user_name": "root", "origin": {"history_step": null}},
        "users": [{"name": "root", "uid": 0, "runtime": true, "origin": {"path": "/etc/passwd", "line": 1, "layer": 0}}],
    });
    let findings = engine.evaluate(&root).expect("the built-in rules judge it");
    assert!(findings.iter().any(|finding| finding.rule_id == "IMG001"));
    assert_eq!(findings, checked_engine.evaluate(&root).unwrap());
    assert_eq!(
        engine.evaluate(&json!({})).unwrap(),
        checked_engine.evaluate(&json!({})).unwrap()
    );
}

#[test]
fn user_policies_added_to_the_builtin_ones_get_every_compile_check() {
    let mut set = PolicySet::builtin().expect("built-in policies load");
    set.add_dir(&fixture("unknown_function")).unwrap();
    let text: Vec<String> = problems(set.compile(&[]).unwrap_err())
        .iter()
        .map(|problem| problem.message.clone())
        .collect();
    assert_eq!(
        text,
        [
            "unknown function `semver.compare` (neither a builtin of this build nor a function of the loaded policies)",
            "`startswith` takes 2 arguments, called with 1",
        ]
    );

    let mut set = PolicySet::builtin().expect("built-in policies load");
    set.add_dir(&fixture("compile_error")).unwrap();
    let error = set.compile(&[]).unwrap_err();
    assert!(
        matches!(&error, PolicyError::Compile { rule, .. } if rule == "CMP001"),
        "{error:?}"
    );
}

#[test]
fn good_rules_load_with_their_metadata_and_docs() {
    let set = good();
    assert_eq!(set.warnings(), []);
    let ids: Vec<&str> = set.rules().iter().map(|rule| rule.id.as_str()).collect();
    assert_eq!(ids, ["PIP001", "PY001"]);
    let rule = &set.rules()[0];
    assert_eq!(rule.name, "user-install-forced");
    assert_eq!(rule.title, "pip is told to install into the user site");
    assert_eq!(
        rule.description,
        "PIP_USER makes every pip install go to the user site, which the image's interpreter may not look at."
    );
    assert_eq!(rule.severity, Severity::Medium);
    assert_eq!(
        rule.remediation,
        "Unset PIP_USER; install into a virtual environment instead."
    );
    assert_eq!(
        rule.references,
        [
            "https://pip.pypa.io/en/stable/user_guide/#user-installs",
            "https://example.com/pip-user"
        ]
    );
    assert_eq!(rule.package, "imgaudit.rules.pip001");
    assert_eq!(rule.path, "policies/pip/pip001.rego");
    assert_eq!(rule.origin, RuleOrigin::Builtin);
    assert_eq!(
        rule.test_path.as_deref(),
        Some("policies/pip/pip001_test.rego")
    );
    assert!(rule.doc.as_deref().unwrap().starts_with("## What it does"));
}

#[test]
fn find_rule_by_id_or_name_ignoring_case() {
    let set = good();
    assert_eq!(set.find_rule("pip001").unwrap().id, "PIP001");
    assert_eq!(set.find_rule("PIP001").unwrap().id, "PIP001");
    assert_eq!(set.find_rule("User-Install-Forced").unwrap().id, "PIP001");
    assert_eq!(set.find_rule(" py001 ").unwrap().id, "PY001");
    assert!(set.find_rule("PIP999").is_none());
}

#[test]
fn a_user_directory_loads_with_user_origin() {
    let dir = fixture("good");
    let mut set = PolicySet::new();
    set.add_dir(&dir).unwrap();
    let rule = set.find_rule("PIP001").unwrap();
    assert_eq!(rule.origin, RuleOrigin::User(dir.clone()));
    assert_eq!(rule.path, dir.join("pip/pip001.rego").display().to_string());
}

#[test]
fn add_dir_errors_name_the_path() {
    let missing = fixture("no-such-dir");
    let error = PolicySet::new().add_dir(&missing).unwrap_err();
    assert!(matches!(error, PolicyError::Io { ref path, .. } if *path == missing));
    assert!(error.to_string().contains("no-such-dir"), "{error}");
    let file = fixture("good/README.md");
    let error = PolicySet::new().add_dir(&file).unwrap_err();
    assert!(error.to_string().contains("README.md"), "{error}");
}

#[cfg(unix)]
#[test]
fn add_dir_skips_symbolic_links_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("x.rego"), "package elsewhere\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.rego"), dir.path().join("x.rego")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.rego"), dir.path().join("notes.txt"))
        .unwrap();
    let mut set = PolicySet::new();
    set.add_dir(dir.path()).unwrap();
    assert!(set.is_empty());
    let files: Vec<&str> = set.warnings().iter().map(|w| w.file.as_str()).collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("x.rego")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("sub")), "{files:?}");
}

#[test]
fn broken_metadata_is_reported_with_file_and_line() {
    let problems = problems(builtin("broken_metadata").unwrap_err());
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "policies/bad/bad001.rego:1: METADATA: `custom.remediation` is missing or empty",
            "policies/bad/bad001.rego:5: METADATA: id `bad1` must be upper-case letters then three digits (like PIP001)",
            "policies/bad/bad001.rego:7: METADATA: unknown severity `urgent` (expected one of: critical, high, medium, low, info)",
        ]
    );
}

#[test]
fn a_duplicate_id_names_both_files() {
    let problems = problems(builtin("duplicate_id").unwrap_err());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].to_string(),
        "policies/b/b001.rego:5: id DUP001 is already used by rule policies/a/a001.rego:5"
    );
}

#[test]
fn a_user_rule_cannot_reuse_a_builtin_id() {
    let mut set = good();
    let dir = fixture("user_reuses_builtin");
    let problems = problems(set.add_dir(&dir).unwrap_err());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].to_string(),
        format!(
            "{}:5: id PIP001 is already used by built-in rule policies/pip/pip001.rego:10",
            dir.join("pip/mine.rego").display()
        )
    );
    // Nothing was added.
    assert_eq!(set.rules().len(), 2);
}

#[test]
fn a_missing_doc_or_test_is_an_error_for_builtins_and_a_warning_for_users() {
    let problems = problems(builtin("missing_doc").unwrap_err());
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "policies/m/m001.rego:1: no documentation: expected policies/m/m001.md beside the rule",
            "policies/m/m001.rego:1: no tests: expected policies/m/m001_test.rego beside the rule",
        ]
    );

    let dir = fixture("missing_doc");
    let mut set = PolicySet::new();
    set.add_dir(&dir).unwrap();
    assert_eq!(set.rules().len(), 1);
    assert_eq!(set.rules()[0].doc, None);
    assert_eq!(set.rules()[0].test_path, None);
    let warnings: Vec<&str> = set.warnings().iter().map(|w| w.message.as_str()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("no documentation: expected "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("no tests: expected "),
        "{warnings:?}"
    );
}

#[test]
fn an_unknown_function_or_a_wrong_arity_is_caught_at_compile_even_in_unreached_branches() {
    let set = builtin("unknown_function").unwrap();
    let problems = problems(set.compile(&[]).unwrap_err());
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "policies/u/u001.rego:15: unknown function `semver.compare` (neither a builtin of this build nor a function of the loaded policies)",
            "policies/u/u001.rego:21: `startswith` takes 2 arguments, called with 1",
        ]
    );
    // Disabled, the rule is not even loaded.
    assert!(set.compile(&["unk001".to_owned()]).is_ok());
}

#[test]
fn a_rule_failing_on_an_empty_input_is_caught_at_compile() {
    let set = builtin("compile_error").unwrap();
    let error = set.compile(&[]).unwrap_err();
    let PolicyError::Compile {
        file,
        rule,
        message,
    } = &error
    else {
        panic!("expected PolicyError::Compile, got {error:?}");
    };
    assert_eq!(file, "policies/c/c001.rego");
    assert_eq!(rule, "CMP001");
    assert!(message.contains("policies/c/c001.rego:14:"), "{message}");
    assert!(
        error
            .to_string()
            .starts_with("policies/c/c001.rego: rule CMP001: fails on an empty input object: --> policies/c/c001.rego:14:"),
        "{error}"
    );
}

#[test]
fn unknown_disabled_ids_list_the_known_ones() {
    let error = good().compile(&["PIP999".to_owned()]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown rule `PIP999`; known rules: PIP001, PY001"
    );
}

fn pip_input(conditional: bool, conda: bool) -> serde_json::Value {
    json!({
        "conda": conda,
        "env": [
            {"name": "PIP_USER", "value": "yes", "layer": 3, "conditional": conditional},
            {"name": "PIP_NO_CACHE_DIR", "value": "1", "layer": 3, "conditional": false},
        ],
        "files": [
            {"path": "/app/b.py", "layer": 4},
            {"path": "/app/a.py", "layer": 4},
            {"path": "/app/c.py", "layer": 4, "compiled": true},
            {"path": "/app/README", "layer": 4},
        ],
    })
}

#[test]
fn evaluation_end_to_end() {
    let engine = good().compile(&[]).unwrap();
    let findings = engine.evaluate(&pip_input(false, false)).unwrap();
    let summary: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("PIP001", "PIP_USER=yes forces user installs"),
            ("PY001", "/app/a.py has no bytecode"),
            ("PY001", "/app/b.py has no bytecode"),
        ]
    );
    let pip = &findings[0];
    assert_eq!(pip.rule_name, "user-install-forced");
    assert_eq!(pip.severity, Severity::Medium);
    assert_eq!(pip.precision, Precision::High);
    assert_eq!(
        pip.evidence,
        json!({"variable": "PIP_USER", "value": "yes", "layer": 3})
    );
    assert!(pip.locations.is_empty());
    assert!(pip.extra.is_empty());
    let py = &findings[1];
    assert_eq!(py.severity, Severity::Low);
    assert_eq!(py.evidence, json!({"path": "/app/a.py"}));
    assert_eq!(
        py.locations,
        [imgaudit_policy::Location {
            layer: Some(4),
            ..Default::default()
        }]
    );
    assert_eq!(py.extra.get("fix"), Some(&json!("python -m compileall")));

    assert_eq!(engine.evaluate(&json!({})).unwrap(), []);
}

#[test]
fn findings_override_severity_and_lower_precision() {
    let engine = good().compile(&[]).unwrap();
    let findings = engine.evaluate(&pip_input(false, true)).unwrap();
    assert_eq!(findings[0].severity, Severity::High);
    assert_eq!(findings[0].precision, Precision::High);
    let findings = engine.evaluate(&pip_input(true, false)).unwrap();
    assert_eq!(findings[0].severity, Severity::Medium);
    assert_eq!(findings[0].precision, Precision::Low);
}

#[test]
fn disabled_rules_are_not_evaluated() {
    let set = good();
    let engine = set.compile(&["py001".to_owned()]).unwrap();
    let ids: Vec<&str> = engine.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["PIP001"]);
    let findings = engine.evaluate(&pip_input(false, false)).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule_id, "PIP001");
    // By name too.
    let engine = set
        .compile(&["user-install-forced".to_owned(), "PY001".to_owned()])
        .unwrap();
    assert_eq!(engine.evaluate(&pip_input(false, false)).unwrap(), []);
}

#[test]
fn finding_order_is_deterministic() {
    let engine = good().compile(&[]).unwrap();
    let mut input = pip_input(false, false);
    let first = engine.evaluate(&input).unwrap();
    input["files"].as_array_mut().unwrap().reverse();
    input["env"].as_array_mut().unwrap().reverse();
    for _ in 0..5 {
        assert_eq!(engine.evaluate(&input).unwrap(), first);
    }
    // Same message, evidence decides.
    let set = PolicySet::from_sources(vec![Source {
        path: "same.rego".to_owned(),
        text: "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: SAME001\n#   name: same\n#   severity: info\n#   remediation: r\npackage imgaudit.rules.same\n\nimport rego.v1\n\ndeny contains {\"msg\": \"same\", \"evidence\": {\"n\": n}} if some n in input.n\n".to_owned(),
        origin: RuleOrigin::User(PathBuf::from("user")),
    }])
    .unwrap();
    let engine = set.compile(&[]).unwrap();
    let findings = engine.evaluate(&json!({"n": [3, 1, 2]})).unwrap();
    let evidence: Vec<&serde_json::Value> = findings.iter().map(|f| &f.evidence).collect();
    assert_eq!(
        evidence,
        [&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3})]
    );
}

#[test]
fn a_finding_without_msg_or_with_a_bad_severity_is_an_error_naming_the_rule() {
    let set = builtin("bad_findings").unwrap();
    let engine = set.compile(&["SEV001".to_owned()]).unwrap();
    let error = engine.evaluate(&json!({"trigger": true})).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"rule MSG001 (policies/n/n001.rego) produced an invalid finding: a finding needs a `msg`: {"evidence":{"path":"/x"},"message":"no msg key"}"#
    );
    let engine = set.compile(&["MSG001".to_owned()]).unwrap();
    let error = engine.evaluate(&json!({"trigger": true})).unwrap_err();
    assert!(
        matches!(&error, PolicyError::InvalidFinding { rule, message, .. }
            if rule == "SEV001" && message.starts_with("`severity`: unknown severity `urgent`")),
        "{error}"
    );
}

#[test]
fn the_engine_is_shareable() {
    fn send_sync<T: Send + Sync + Clone>(_: &T) {}
    let engine = good().compile(&[]).unwrap();
    send_sync(&engine);
    let input = pip_input(false, false);
    let expected = engine.evaluate(&input).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| assert_eq!(engine.evaluate(&input).unwrap(), expected));
        }
    });
}

#[test]
fn the_test_runner_reports_each_outcome() {
    let set = builtin("runner").unwrap();
    let report = run_tests(&set, None);
    let outcomes: Vec<(&str, &str, &Outcome)> = report
        .results
        .iter()
        .map(|r| (r.file.as_str(), r.name.as_str(), &r.outcome))
        .collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:#?}");
    assert_eq!(
        outcomes[0],
        ("policies/t/t001_test.rego", "test_passes", &Outcome::Pass)
    );
    assert_eq!(
        outcomes[1],
        (
            "policies/t/t001_test.rego",
            "test_fails_false",
            &Outcome::Fail
        )
    );
    assert_eq!(
        outcomes[2],
        (
            "policies/t/t001_test.rego",
            "test_fails_undefined",
            &Outcome::Fail
        )
    );
    let Outcome::Error(message) = outcomes[3].2 else {
        panic!("expected an error: {outcomes:#?}");
    };
    assert_eq!(outcomes[3].1, "test_errors");
    assert!(
        message.contains("policies/t/t001_test.rego:20:"),
        "{message}"
    );
    assert!(message.contains("no_such_function"), "{message}");
    assert_eq!(report.results[0].package, "imgaudit.rules.t001_test");
    assert_eq!(
        report.results[1].prints,
        [r#"policies/t/t001_test.rego:11: deny is {{"msg": "A is set"}}"#]
    );
    assert_eq!(
        (
            report.passed(),
            report.failed(),
            report.errored(),
            report.total()
        ),
        (1, 2, 1, 4)
    );
    assert_eq!(report.empty_files, ["policies/t/t002_test.rego"]);
    assert!(report.load_errors.is_empty());
    assert!(!report.is_success());

    let filtered = run_tests(&set, Some("PASSES"));
    assert_eq!(filtered.total(), 1);
    assert!(filtered.is_success());
    // By rule id: the rule's test file.
    assert_eq!(run_tests(&set, Some("run001")).total(), 4);
    assert!(run_tests(&set, Some("run002")).empty_files.len() == 1);
}

#[test]
fn the_good_fixture_tests_pass() {
    let report = run_tests(&good(), None);
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.total(), 3);
}

#[test]
fn rule_docs_render_like_ruff_rule() {
    let set = good();
    let text = render_doc_text(set.find_rule("PIP001").unwrap());
    assert!(
        text.starts_with(
            "# user-install-forced (PIP001)\n\npip is told to install into the user site\n\nSeverity: medium\n\n## What it does\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\n    ENV PIP_USER=1\n    RUN pip install requests\n"),
        "{text}"
    );
    assert!(!text.contains("```"), "{text}");
    assert!(
        text.contains(
            "- pip: user installs (https://pip.pypa.io/en/stable/user_guide/#user-installs)"
        ),
        "{text}"
    );
    // The metadata reference the document does not cite comes last.
    assert!(
        text.ends_with("\n- https://example.com/pip-user\n"),
        "{text}"
    );

    let mut set = PolicySet::new();
    set.add_dir(&fixture("missing_doc")).unwrap();
    let text = render_doc_text(&set.rules()[0]);
    assert_eq!(
        text,
        "# missing-doc (MISS001)\n\na title\n\nSeverity: low\n\n## What it does\n\na description\n\n## Remediation\n\na remediation\n"
    );
}
