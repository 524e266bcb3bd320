//! The built-in rules as a whole: what each rule checks alone is validated when loading; this
//! checks what only the whole registry can show.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use imgaudit_policy::{PolicySet, run_tests};

fn builtin() -> PolicySet {
    PolicySet::builtin().expect("built-in policies load")
}

/// The repository's `policies/` directory.
fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

/// Every `.rego` file below `dir` but the `_test.rego` ones.
fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("policies/ is readable") {
        let path = entry.expect("policies/ is readable").path();
        if path.is_dir() {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rego")
            && !path.to_string_lossy().ends_with("_test.rego")
        {
            out.push(path);
        }
    }
}

/// The `id:` values of the comment lines of `text` (the METADATA blocks), read without the
/// policy crate's parser.
fn declared_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix('#'))
        .filter_map(|comment| comment.trim_start().strip_prefix("id:"))
        .map(|id| id.trim().to_owned())
        .collect()
}

#[test]
fn ids_names_and_aliases_name_one_rule_each_ignoring_case() {
    let set = builtin();
    // Lower-cased key -> what it is, for every id, name and alias.
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for rule in set.rules() {
        let own = [("id", &rule.id), ("name", &rule.name)];
        let aliases = rule.aliases.iter().map(|alias| ("alias", alias));
        for (what, key) in own.into_iter().chain(aliases) {
            let this = format!("{what} {key} of {}", rule.id);
            if let Some(other) = keys.insert(key.to_ascii_lowercase(), this.clone()) {
                panic!("{this} is also the {other}");
            }
        }
    }
}

#[test]
fn every_rule_names_the_fact_domains_it_reads() {
    // An audit collects only the domains its enabled rules read; a built-in rule that named
    // none would make every audit collect everything.
    for rule in builtin().rules() {
        assert!(
            !rule.domains.is_empty(),
            "{} names no `custom.domains`",
            rule.display_path()
        );
    }
}

#[test]
fn every_rule_has_its_documentation_and_tests() {
    let set = builtin();
    let report = run_tests(&set, None);
    for rule in set.rules() {
        assert!(rule.doc.is_some(), "{} has no documentation", rule.id);
        let test_path = rule
            .test_path
            .as_deref()
            .unwrap_or_else(|| panic!("{} has no test file", rule.id));
        assert!(
            report.results.iter().any(|test| test.file == test_path),
            "{test_path} defines no test_* rule"
        );
    }
}

#[test]
fn every_rule_file_in_the_repository_is_embedded() {
    let mut files = Vec::new();
    rule_files(&policies_dir(), &mut files);
    let mut declared = Vec::new();
    for file in &files {
        declared.extend(declared_ids(&fs::read_to_string(file).unwrap()));
    }
    let found: BTreeSet<String> = declared.iter().cloned().collect();
    assert_eq!(found.len(), declared.len(), "an id is declared twice");
    let embedded: BTreeSet<String> = builtin().rule_ids().into_iter().collect();
    assert_eq!(
        embedded, found,
        "the built-in rule ids differ from the `id:` lines of policies/*.rego"
    );
}

#[test]
fn a_pack_selects_every_rule_of_its_directory() {
    let set = builtin();
    for pack in ["hygiene", "secrets", "python", "pip"] {
        let expected: Vec<&str> = set
            .rules()
            .iter()
            .filter(|rule| rule.path.starts_with(&format!("policies/{pack}/")))
            .map(|rule| rule.id.as_str())
            .collect();
        assert!(!expected.is_empty(), "{pack}");
        for key in [
            pack.to_owned(),
            pack.to_ascii_uppercase(),
            format!(" {pack} "),
        ] {
            let selected: Vec<&str> = set.select(&key).iter().map(|r| r.id.as_str()).collect();
            assert_eq!(selected, expected, "{key:?}");
        }
    }
    let hygiene: Vec<&str> = set
        .select("hygiene")
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    for id in ["IMG001", "ACC001", "ACC002"] {
        assert!(hygiene.contains(&id), "{id} not in {hygiene:?}");
    }
    // A rule's own keys come first: another tool's id names one rule, not its pack.
    let by_alias: Vec<&str> = set
        .select("cis-di-0001")
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(by_alias, ["IMG001"]);
    // A pack is matched whole, and a prefix of ids still works beside packs.
    assert!(set.select("hyg").is_empty());
    let acc: Vec<&str> = set.select("ACC").iter().map(|r| r.id.as_str()).collect();
    assert_eq!(acc, ["ACC001", "ACC002"]);
}

#[test]
fn a_user_rule_belongs_to_the_folder_below_its_policy_directory() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str, name: &str| {
        format!(
            "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: {id}\n#   name: {name}\n#   severity: low\n#   remediation: r\npackage imgaudit.rules.{}\n\nimport rego.v1\n\ndeny contains {{\"msg\": \"m\"}} if false\n",
            id.to_ascii_lowercase()
        )
    };
    fs::create_dir_all(dir.path().join("team/deep")).unwrap();
    fs::write(
        dir.path().join("team/deep/a.rego"),
        rule("ORG001", "org-one"),
    )
    .unwrap();
    fs::write(dir.path().join("top.rego"), rule("ORG002", "org-two")).unwrap();
    let mut set = builtin();
    set.add_dir(dir.path()).unwrap();
    assert_eq!(set.find_rule("ORG001").unwrap().pack, "team");
    assert_eq!(set.find_rule("ORG002").unwrap().pack, "");
    let team: Vec<&str> = set.select("team").iter().map(|r| r.id.as_str()).collect();
    assert_eq!(team, ["ORG001"]);
}
