//! One test per validation error of the policy contract, over in-memory sources.

use std::path::PathBuf;

use imgaudit_policy::{Origin, PolicyError, PolicySet, Source};

const DOC: &str = "## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n## References\nx\n";

fn meta(id: &str, name: &str) -> String {
    format!(
        "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: {id}\n#   name: {name}\n#   severity: low\n#   remediation: r\n"
    )
}

fn rule_text(id: &str, name: &str, package: &str) -> String {
    format!(
        "{}package {package}\n\nimport rego.v1\n\ndeny contains {{\"msg\": \"x\"}} if input.x\n",
        meta(id, name)
    )
}

fn source(path: &str, text: &str) -> Source {
    Source {
        path: path.to_owned(),
        text: text.to_owned(),
        origin: Origin::Builtin,
    }
}

/// A built-in rule trio.
fn trio(stem: &str, text: &str) -> Vec<Source> {
    vec![
        source(&format!("{stem}.rego"), text),
        source(&format!("{stem}.md"), DOC),
        source(
            &format!("{stem}_test.rego"),
            "package t\n\nimport rego.v1\n\ntest_x if true\n",
        ),
    ]
}

fn errors_of_rule(text: &str) -> Vec<String> {
    errors(trio("a001", text))
}

fn errors(sources: Vec<Source>) -> Vec<String> {
    match PolicySet::from_sources(sources) {
        Ok(_) => panic!("expected an error"),
        Err(PolicyError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("expected PolicyError::Invalid, got {other:?}"),
    }
}

#[test]
fn a_good_trio_loads() {
    let set = PolicySet::from_sources(trio(
        "a/a001",
        &rule_text("A001", "a", "imgaudit.rules.a001"),
    ))
    .unwrap();
    assert_eq!(set.rules().len(), 1);
}

#[test]
fn a_rule_package_without_metadata() {
    let text = "package imgaudit.rules.a001\n\nimport rego.v1\n\ndeny contains {\"msg\": \"x\"} if input.x\n";
    assert_eq!(
        errors(trio("a001", text)),
        ["policies/a001.rego:1: a rule needs a `# METADATA` block directly above its package line"]
    );
}

#[test]
fn a_metadata_block_not_directly_above_the_package() {
    let text = format!(
        "{}\npackage imgaudit.rules.a001\n\nimport rego.v1\n\ndeny contains {{\"msg\": \"x\"}} if input.x\n",
        meta("A001", "a")
    );
    assert_eq!(
        errors(trio("a001", &text)),
        [
            "policies/a001.rego:10: the `# METADATA` block at line 1 must sit directly above the package line (no blank line between)"
        ]
    );
}

#[test]
fn a_package_that_is_neither_rule_nor_lib() {
    assert_eq!(
        errors(vec![source(
            "x.rego",
            "package other\n\nimport rego.v1\n\nx := 1\n"
        )]),
        [
            "policies/x.rego:1: package `other` is neither a rule (`imgaudit.rules.<name>` with a `# METADATA` block) nor a helper library (`imgaudit.lib.<name>`)"
        ]
    );
}

#[test]
fn metadata_on_a_package_outside_rules() {
    assert_eq!(
        errors(trio("a001", &rule_text("A001", "a", "imgaudit.lib.a001"))),
        [
            "policies/a001.rego:9: a rule's package must be `imgaudit.rules.<name>` (identifiers joined by dots), not `imgaudit.lib.a001`"
        ]
    );
}

#[test]
fn invalid_yaml() {
    let text = "# METADATA\n# title: t\n# custom:\n#   id: A001\n#  name: a\npackage imgaudit.rules.a001\n\nimport rego.v1\n";
    let errors = errors(trio("a001", text));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("policies/a001.rego:5: invalid METADATA YAML: "),
        "{errors:?}"
    );

    // A type error names the line of its key.
    let text = "# METADATA\n# title: t\n# custom:\n#   id: [A001]\n#   name: a\npackage imgaudit.rules.a001\n\nimport rego.v1\n";
    assert_eq!(
        errors_of_rule(text),
        [
            "policies/a001.rego:4: invalid METADATA YAML: custom.id: invalid type: sequence, expected a string"
        ]
    );
}

#[test]
fn a_bad_name() {
    assert_eq!(
        errors(trio(
            "a001",
            &rule_text("A001", "Not_Kebab", "imgaudit.rules.a001")
        )),
        [
            "policies/a001.rego:6: METADATA: name `Not_Kebab` must be kebab-case (like user-install-forced)"
        ]
    );
}

#[test]
fn a_rego_syntax_error() {
    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport rego.v1\n\ndeny contains if {{\n",
        meta("A001", "a")
    );
    let errors = errors(trio("a001", &text));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("policies/a001.rego:13: invalid Rego: "),
        "{errors:?}"
    );
}

#[test]
fn duplicate_names_and_packages() {
    let mut sources = trio("a001", &rule_text("A001", "same", "imgaudit.rules.same"));
    sources.extend(trio(
        "b001",
        &rule_text("B001", "same", "imgaudit.rules.same"),
    ));
    assert_eq!(
        errors(sources),
        [
            "policies/b001.rego: package imgaudit.rules.same is already used by rule policies/a001.rego",
            "policies/b001.rego:6: name same is already used by rule policies/a001.rego:6",
        ]
    );
}

#[test]
fn a_file_given_twice() {
    let mut sources = trio("a001", &rule_text("A001", "a", "imgaudit.rules.a001"));
    sources.push(sources[1].clone());
    assert_eq!(errors(sources), ["policies/a001.md: given twice"]);
}

#[test]
fn a_malformed_doc_is_an_error_for_builtins_and_a_warning_for_users() {
    let mut sources = trio("a001", &rule_text("A001", "a", "imgaudit.rules.a001"));
    sources[1].text = DOC.replace(
        "## Example\nx\n## Use instead\n",
        "## Use instead\nx\n## Example\n",
    );
    assert_eq!(
        errors(sources.clone()),
        ["policies/a001.md:7: section `## Example` must come before `## Use instead` (line 5)"]
    );
    for source in &mut sources {
        source.origin = Origin::User(PathBuf::from("mine"));
    }
    let set = PolicySet::from_sources(sources).unwrap();
    assert_eq!(set.warnings().len(), 1);
    assert_eq!(
        set.warnings()[0].to_string(),
        format!(
            "{}:7: section `## Example` must come before `## Use instead` (line 5)",
            PathBuf::from("mine").join("a001.md").display()
        )
    );
}

#[test]
fn a_rule_without_deny_or_with_a_non_set_deny_fails_to_compile() {
    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport rego.v1\n\nallow := true\n",
        meta("A001", "a")
    );
    let set = PolicySet::from_sources(trio("a001", &text)).unwrap();
    let error = set.compile(&[]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "policies/a001.rego: rule A001: no `deny` rule (a rule defines `deny contains finding if { … }`)"
    );

    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport rego.v1\n\ndeny := true\n",
        meta("A001", "a")
    );
    let set = PolicySet::from_sources(trio("a001", &text)).unwrap();
    let error = set.compile(&[]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`deny` must be a set of findings"),
        "{error}"
    );
}

#[test]
fn a_finding_produced_on_an_empty_input_is_checked_at_compile() {
    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport rego.v1\n\ndeny contains {{\"text\": \"x\"}} if true\n",
        meta("A001", "a")
    );
    let set = PolicySet::from_sources(trio("a001", &text)).unwrap();
    let error = set.compile(&[]).unwrap_err();
    assert!(
        matches!(&error, PolicyError::InvalidFinding { rule, .. } if rule == "A001"),
        "{error:?}"
    );
}

#[test]
fn helpers_reach_through_imports_and_packages() {
    let lib = "package imgaudit.lib.names\n\nimport rego.v1\n\nnormal(name) := lower(name)\n";
    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport data.imgaudit.lib.names as n\nimport rego.v1\n\n\
         deny contains {{\"msg\": m}} if {{\n\tsome x in input.xs\n\tm := concat(\"\", [n.normal(x), data.imgaudit.lib.names.normal(x), local(x)])\n}}\n\n\
         local(x) := upper(x)\n",
        meta("A001", "a")
    );
    let mut sources = trio("a001", &text);
    sources.push(source("lib/names.rego", lib));
    let set = PolicySet::from_sources(sources).unwrap();
    let engine = set.compile(&[]).unwrap();
    let findings = engine.evaluate(&serde_json::json!({"xs": ["Ab"]})).unwrap();
    assert_eq!(findings[0].message, "ababAB");
}

#[test]
fn a_redundant_import_of_input() {
    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport input\nimport rego.v1\n\ndeny contains {{\"msg\": \"x\"}} if input.x\n",
        meta("A001", "a")
    );
    assert_eq!(
        errors_of_rule(&text),
        ["policies/a001.rego:11: `import input` is redundant: remove it"]
    );
}

#[test]
fn many_rules_compile_into_one_query() {
    let mut sources = Vec::new();
    for i in 0..120 {
        let id = format!("MANY{i:03}");
        let package = format!("imgaudit.rules.many.with_a_rather_long_package_name_{i:03}");
        let text = format!(
            "{}package {package}\n\nimport rego.v1\n\ndeny contains {{\"msg\": sprintf(\"%d\", [n])}} if {{\n\tsome n in input.n\n\tn % 120 == {i}\n}}\n",
            meta(&id, &format!("many-{i}"))
        );
        sources.extend(trio(&format!("many/m{i:03}"), &text));
    }
    let set = PolicySet::from_sources(sources).unwrap();
    let engine = set.compile(&[]).unwrap();
    let findings = engine
        .evaluate(&serde_json::json!({"n": (0..240).collect::<Vec<_>>()}))
        .unwrap();
    assert_eq!(findings.len(), 240);
    assert_eq!(findings[0].rule_id, "MANY000");
    assert_eq!(findings[0].message, "0");
    assert_eq!(findings[1].message, "120");
    assert_eq!(findings[239].rule_id, "MANY119");
}
