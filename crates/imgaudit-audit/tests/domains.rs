//! An audit collects the fact domains its enabled rules read, and no others.

use std::path::Path;

use imgaudit_audit::{AuditSettings, Auditor};
use imgaudit_facts::Domain;

/// A user rule in `dir` that names `domains` (`None`: the key is left out).
fn user_rule(dir: &Path, domains: Option<&str>) {
    let domains = domains.map_or(String::new(), |d| format!("#   domains: {d}\n"));
    let text = format!(
        "# METADATA\n# title: a user rule\n# description: it reads the image\n# custom:\n#   id: USR001\n#   name: user-rule\n#   severity: low\n{domains}#   remediation: none\npackage imgaudit.rules.usr001\n\nimport rego.v1\n\ndeny contains {{\"msg\": \"x\"}} if input.nothing\n"
    );
    std::fs::write(dir.join("user_rule.rego"), text).unwrap();
}

fn auditor(select: &[&str], policy_dir: Option<&Path>) -> anyhow::Result<Auditor> {
    Auditor::new(AuditSettings {
        select: select.iter().map(|s| (*s).to_owned()).collect(),
        policy_dirs: policy_dir.into_iter().map(Path::to_path_buf).collect(),
        ..AuditSettings::default()
    })
}

fn domains(auditor: &Auditor) -> Vec<Domain> {
    auditor.domains().iter().collect()
}

#[test]
fn the_python_rules_read_python_and_what_it_needs() {
    let python = [Domain::Image, Domain::Accounts, Domain::Python];
    // The built-in rules read every domain (PIP005/PIP006 read the Python tools' settings).
    assert_eq!(domains(&auditor(&[], None).unwrap()), Domain::ALL);
    let pip = auditor(&["PIP001"], None).unwrap();
    assert_eq!(domains(&pip), python);
    let index_rules = auditor(&["PIP005", "PIP006"], None).unwrap();
    assert_eq!(
        domains(&index_rules),
        [
            Domain::Image,
            Domain::Accounts,
            Domain::Python,
            Domain::PythonTools
        ]
    );
    // An audit without the secrets rules reads no file it does not capture.
    assert!(pip.capture().inspection().is_none());
}

#[test]
fn the_secrets_rules_inspect_every_file_and_capture_nothing() {
    let sec = auditor(&["SEC"], None).unwrap();
    assert_eq!(domains(&sec), [Domain::Image, Domain::Secrets]);
    assert!(sec.capture().patterns().is_empty());
    assert!(sec.capture().inspection().is_some());
    assert_eq!(
        domains(&auditor(&["secrets"], None).unwrap()),
        [Domain::Image, Domain::Secrets]
    );
}

#[test]
fn the_hygiene_pack_reads_accounts_and_files() {
    let hygiene = auditor(&["hygiene"], None).unwrap();
    assert_eq!(
        domains(&hygiene),
        [Domain::Image, Domain::Accounts, Domain::Files]
    );
    assert!(hygiene.capture().inspection().is_none());
}

#[test]
fn a_rule_reading_only_the_image_config_collects_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    user_rule(dir.path(), Some("[image]"));
    let auditor = auditor(&["USR001"], Some(dir.path())).unwrap();
    assert_eq!(domains(&auditor), [Domain::Image]);
    // Nothing to capture: no file's content is read.
    assert_eq!(
        auditor.capture().fingerprint(),
        auditor_capture_of_nothing()
    );
}

fn auditor_capture_of_nothing() -> String {
    imgaudit_layer::CaptureRules::none().fingerprint()
}

#[test]
fn a_user_rule_that_names_no_domain_may_read_any() {
    let dir = tempfile::tempdir().unwrap();
    user_rule(dir.path(), None);
    let auditor = auditor(&["USR001"], Some(dir.path())).unwrap();
    assert_eq!(domains(&auditor), Domain::ALL);
}

#[test]
fn an_unknown_domain_is_an_error_naming_the_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    user_rule(dir.path(), Some("[network]"));
    let error = auditor(&[], Some(dir.path())).unwrap_err().to_string();
    assert!(error.contains("user_rule.rego"), "{error}");
    assert!(error.contains("`network`"), "{error}");
    assert!(
        error.contains("image, accounts, python, python_tools, files, secrets"),
        "{error}"
    );
}

#[test]
fn a_disabled_rule_with_an_unknown_domain_is_still_an_error() {
    let dir = tempfile::tempdir().unwrap();
    user_rule(dir.path(), Some("[network]"));
    let error = auditor(&["PIP001"], Some(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("`network`"), "{error}");
}
