//! One test per validation error of the policy contract, over in-memory sources.

use std::path::PathBuf;

use imgaudit_policy::{PolicyError, PolicySet, RuleOrigin, Source};

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
        origin: RuleOrigin::Builtin,
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
        source.origin = RuleOrigin::User(PathBuf::from("mine"));
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

/// A rule whose `custom` block ends with `aliases` (YAML lines, each without the `# ` prefix),
/// in package `imgaudit.rules.<lower-case id>`.
fn rule_with_aliases(id: &str, name: &str, aliases: &[&str]) -> String {
    let aliases: Vec<String> = aliases.iter().map(|line| format!("# {line}\n")).collect();
    format!(
        "{}{}package imgaudit.rules.{}\n\nimport rego.v1\n\ndeny contains {{\"msg\": \"x\"}} if input.x\n",
        meta(id, name),
        aliases.concat(),
        id.to_lowercase()
    )
}

/// Two built-in rules, `A001` (`a`) and `B001` (`b`), with these aliases.
fn two_rules(a: &[&str], b: &[&str]) -> Vec<Source> {
    let mut sources = trio("a001", &rule_with_aliases("A001", "a", a));
    sources.extend(trio("b001", &rule_with_aliases("B001", "b", b)));
    sources
}

#[test]
fn an_id_may_have_more_than_three_letters() {
    let set = PolicySet::from_sources(trio(
        "file/file001",
        &rule_text("FILE001", "world-writable-file", "imgaudit.rules.file001"),
    ))
    .unwrap();
    assert_eq!(set.rules()[0].id, "FILE001");
    assert_eq!(
        errors(trio(
            "a001",
            &rule_text("FILE01", "a", "imgaudit.rules.a001")
        )),
        [
            "policies/a001.rego:5: METADATA: id `FILE01` must be upper-case letters then three digits (like PIP001)"
        ]
    );
}

#[test]
fn a_rule_is_found_and_disabled_by_any_alias_in_any_case() {
    let sources = two_rules(
        &["  aliases:", "    - CIS-DI-0001", "    - DS002"],
        &["  aliases: [DKL-LI-0001]"],
    );
    let set = PolicySet::from_sources(sources).unwrap();
    assert_eq!(set.rules()[0].aliases, ["CIS-DI-0001", "DS002"]);
    assert_eq!(set.rules()[1].aliases, ["DKL-LI-0001"]);
    assert_eq!(set.find_rule("ds002").unwrap().id, "A001");
    assert_eq!(set.find_rule(" cis-di-0001 ").unwrap().id, "A001");
    assert_eq!(set.find_rule("DKL-LI-0001").unwrap().id, "B001");
    assert_eq!(set.find_rule("B").unwrap().id, "B001");
    assert!(set.find_rule("DS003").is_none());

    let engine = set.compile(&["Dkl-Li-0001".to_owned()]).unwrap();
    let findings = engine.evaluate(&serde_json::json!({"x": true})).unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, ["A001"]);
    let error = set.compile(&["DS003".to_owned()]).unwrap_err();
    assert!(
        matches!(&error, PolicyError::UnknownRule { name, known } if name == "DS003" && known == &["A001", "B001"]),
        "{error:?}"
    );
}

#[test]
fn an_empty_alias_or_one_with_white_space() {
    assert_eq!(
        errors_of_rule(&rule_with_aliases(
            "A001",
            "a",
            &[
                "  aliases:",
                "    - ''",
                "    - CIS DI 0001",
                "    - \"DS002\\t\""
            ]
        )),
        [
            "policies/a001.rego:10: METADATA: alias 1 of `custom.aliases` is empty",
            "policies/a001.rego:11: METADATA: alias `CIS DI 0001` must not contain white space",
            "policies/a001.rego:12: METADATA: alias `DS002\t` must not contain white space",
        ]
    );
}

#[test]
fn aliases_that_are_not_a_list_of_strings() {
    let errors = errors_of_rule(&rule_with_aliases("A001", "a", &["  aliases: DS002"]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("policies/a001.rego:9: invalid METADATA YAML: custom.aliases: "),
        "{errors:?}"
    );
    let errors = errors_of_rule(&rule_with_aliases(
        "A001",
        "a",
        &["  aliases:", "    - DS002", "    - [DS003]"],
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("policies/a001.rego:11: invalid METADATA YAML: "),
        "{errors:?}"
    );
}

#[test]
fn an_alias_listed_twice_or_naming_its_own_rule() {
    assert_eq!(
        errors_of_rule(&rule_with_aliases(
            "A001",
            "a",
            &[
                "  aliases:",
                "    - DS002",
                "    - ds002",
                "    - a001",
                "    - A"
            ]
        )),
        [
            "policies/a001.rego:11: METADATA: alias `ds002` is listed twice (first at line 10)",
            "policies/a001.rego:12: METADATA: alias `a001` is the rule's own id",
            "policies/a001.rego:13: METADATA: alias `A` is the rule's own name",
        ]
    );
    // A list on one line: the problems point at it.
    assert_eq!(
        errors_of_rule(&rule_with_aliases(
            "A001",
            "a",
            &["  aliases: [DS002, DS002]"]
        )),
        ["policies/a001.rego:9: METADATA: alias `DS002` is listed twice (first at line 9)"]
    );
}

#[test]
fn an_alias_of_two_rules() {
    assert_eq!(
        errors(two_rules(
            &["  aliases:", "    - DS001", "    - DS002"],
            &["  aliases:", "    - ds002"]
        )),
        ["policies/b001.rego:10: alias ds002 is already an alias of rule policies/a001.rego:11"]
    );
}

#[test]
fn an_alias_equal_to_another_rules_id_or_name() {
    // Whichever rule comes first, the problem is at the alias.
    assert_eq!(
        errors(two_rules(&["  aliases: [b001, B]"], &[])),
        [
            "policies/a001.rego:9: alias b001 is the id of rule policies/b001.rego:5",
            "policies/a001.rego:9: alias B is the name of rule policies/b001.rego:6",
            "policies/a001.rego:9: alias B is a prefix of the id of rule policies/b001.rego:5",
        ]
    );
    assert_eq!(
        errors(two_rules(&[], &["  aliases:", "    - A001"])),
        ["policies/b001.rego:10: alias A001 is the id of rule policies/a001.rego:5"]
    );
}

#[test]
fn user_rules_cannot_take_a_built_in_alias_id_or_name() {
    let builtin = trio(
        "a001",
        &rule_with_aliases("A001", "a", &["  aliases: [DS002]"]),
    );
    let user = |text: &str| -> Vec<Source> {
        trio("mine", text)
            .into_iter()
            .map(|source| Source {
                origin: RuleOrigin::User(PathBuf::from("mine")),
                ..source
            })
            .collect()
    };
    let user_errors = |text: &str| -> Vec<String> {
        let mut set = PolicySet::from_sources(builtin.clone()).unwrap();
        match set.add_sources(user(text)) {
            Err(PolicyError::Invalid(problems)) => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => panic!("expected PolicyError::Invalid, got {other:?}"),
        }
    };
    let at = |line: usize| {
        format!(
            "{}:{line}",
            PathBuf::from("mine").join("mine.rego").display()
        )
    };

    assert_eq!(
        user_errors(&rule_with_aliases("U001", "u", &["  aliases: [Ds002, a]"])),
        [
            format!(
                "{}: alias Ds002 is already an alias of built-in rule policies/a001.rego:9",
                at(9)
            ),
            format!(
                "{}: alias a is the name of built-in rule policies/a001.rego:6",
                at(9)
            ),
            format!(
                "{}: alias a is a prefix of the id of built-in rule policies/a001.rego:5",
                at(9)
            ),
        ]
    );
    assert_eq!(
        user_errors(&rule_with_aliases("DS002", "ds002", &[])),
        [
            format!(
                "{}: id DS002 is already an alias of built-in rule policies/a001.rego:9",
                at(5)
            ),
            format!(
                "{}: name ds002 is already an alias of built-in rule policies/a001.rego:9",
                at(6)
            ),
        ]
    );
}

#[test]
fn a_rule_names_the_fact_domains_it_reads() {
    let text = rule_with_aliases("A001", "a", &["  domains: [python, accounts]"]);
    let set = PolicySet::from_sources(trio("a001", &text)).unwrap();
    assert_eq!(set.rules()[0].domains, ["python", "accounts"]);
    // Not said: the rule may read any domain.
    let text = rule_with_aliases("A001", "a", &[]);
    let set = PolicySet::from_sources(trio("a001", &text)).unwrap();
    assert!(set.rules()[0].domains.is_empty());
}

#[test]
fn domains_that_are_not_lower_case_names_or_repeat() {
    assert_eq!(
        errors_of_rule(&rule_with_aliases(
            "A001",
            "a",
            &["  domains: [Python, python, python]"]
        )),
        [
            "policies/a001.rego:9: METADATA: domain `Python` of `custom.domains` must be a lower-case name (like python)",
            "policies/a001.rego:9: METADATA: domain `python` is named twice in `custom.domains`",
        ]
    );
}

/// The error of a rule whose every finding is `finding` (Rego), met at compile time.
fn finding_error(finding: &str) -> String {
    let text = format!(
        "{}package imgaudit.rules.a001\n\nimport rego.v1\n\ndeny contains {finding} if true\n",
        meta("A001", "a")
    );
    let set = PolicySet::from_sources(trio("a001", &text)).unwrap();
    let error = set.compile(&[]).unwrap_err();
    assert!(
        matches!(&error, PolicyError::InvalidFinding { rule, .. } if rule == "A001"),
        "{error:?}"
    );
    error.to_string()
}

#[test]
fn evidence_keys_that_fingerprints_read_must_be_strings() {
    // Fingerprints, suppressions and Dockerfile lines read `path`, `variable` and `source`.
    for key in ["path", "variable", "source"] {
        let error = finding_error(&format!(r#"{{"msg": "x", "evidence": {{"{key}": 3}}}}"#));
        assert!(error.contains("rule A001 (policies/a001.rego)"), "{error}");
        assert!(
            error.contains(&format!("`evidence.{key}` must be a string")),
            "{error}"
        );
    }
}

#[test]
fn locations_are_checked_field_by_field() {
    let error = finding_error(r#"{"msg": "x", "locations": [{"path": "/a"}, {"line": "two"}]}"#);
    assert!(error.contains("`locations[1]`"), "{error}");
    let error = finding_error(r#"{"msg": "x", "locations": [{"layer": -1}]}"#);
    assert!(error.contains("`locations[0]`"), "{error}");
}

#[test]
fn an_alias_that_is_a_prefix_of_an_id_would_hide_a_selector() {
    // `--select A` means every rule whose id starts with A; an alias `a` would take it over.
    assert_eq!(
        errors(two_rules(&["  aliases: [A0, B0]"], &[])),
        [
            "policies/a001.rego:9: alias A0 is a prefix of the id of rule policies/a001.rego:5",
            "policies/a001.rego:9: alias B0 is a prefix of the id of rule policies/b001.rego:5",
        ]
    );
}
