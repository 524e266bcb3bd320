//! The rule table: its rendering, and the README's copy of it for the built-in rules.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use imgaudit_policy::{PolicySet, RuleOrigin, Source, rules_markdown};

const BEGIN: &str = "<!-- rules:begin -->";
const END: &str = "<!-- rules:end -->";

/// Set to `1` to rewrite the README's rule table instead of comparing it.
const BLESS: &str = "IMGAUDIT_BLESS";

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

/// The README around its generated section: up to the end of the begin-marker line, the
/// section, and from the end-marker line on.
fn split(readme: &str) -> (&str, &str, &str) {
    let begin = readme
        .find(BEGIN)
        .and_then(|at| readme[at..].find('\n').map(|end| at + end + 1))
        .unwrap_or_else(|| panic!("README.md has no `{BEGIN}` line"));
    let end = begin
        + readme[begin..]
            .find(END)
            .unwrap_or_else(|| panic!("README.md has no `{END}` line after `{BEGIN}`"));
    (&readme[..begin], &readme[begin..end], &readme[end..])
}

#[test]
fn the_readme_rule_table_is_generated_from_the_builtin_rules() {
    let set = PolicySet::builtin().expect("built-in policies load");
    let table = rules_markdown(set.rules());
    let path = readme_path();
    let readme = fs::read_to_string(&path).expect("README.md is readable");
    let (before, section, after) = split(&readme);
    if section.trim_matches('\n') == table.trim_end_matches('\n') {
        return;
    }
    if env::var(BLESS).is_ok_and(|value| value == "1") {
        fs::write(&path, format!("{before}\n{table}\n{after}")).expect("README.md is writable");
        return;
    }
    panic!(
        "the rule table in README.md differs from the built-in rules' metadata. Regenerate it \
         with `imgaudit rules --format markdown` (between the `{BEGIN}` and `{END}` lines), or \
         run this test with {BLESS}=1 to rewrite that section.\n\nexpected:\n{table}\nfound:\n{}",
        section.trim_matches('\n')
    );
}

fn source(path: &str, text: &str) -> Source {
    Source {
        path: path.to_owned(),
        text: text.to_owned(),
        origin: RuleOrigin::User(PathBuf::from("mine")),
    }
}

#[test]
fn cells_are_escaped_and_aliases_quoted() {
    let rule = |id: &str, title: &str, aliases: &str| {
        format!(
            "# METADATA\n# title: '{title}'\n# description: d\n# custom:\n#   id: {id}\n#   name: {}\n#   severity: HIGH\n#   remediation: r\n{aliases}package imgaudit.rules.{}\n\nimport rego.v1\n\ndeny contains {{\"msg\": \"x\"}} if input.x\n",
            id.to_lowercase(),
            id.to_lowercase()
        )
    };
    let set = PolicySet::from_sources(vec![
        source(
            "a001.rego",
            &rule("A001", "a | b", "#   aliases: [DS002, 'X|Y']\n"),
        ),
        source("b001.rego", &rule("B001", "plain", "")),
    ])
    .unwrap();
    assert_eq!(
        rules_markdown(set.rules()),
        "| id | name | severity | flags | aliases |\n\
         | --- | --- | --- | --- | --- |\n\
         | A001 | a001 | high | a \\| b | `DS002`, `X\\|Y` |\n\
         | B001 | b001 | high | plain | |\n"
    );
    assert_eq!(
        rules_markdown(&[]),
        "| id | name | severity | flags | aliases |\n| --- | --- | --- | --- | --- |\n"
    );
}
