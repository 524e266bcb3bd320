//! Which rules an audit evaluates: `--select`, `--disable` and their keys.

use imgaudit_audit::{AuditSettings, Selection};
use imgaudit_policy::PolicySet;

fn selection(select: &[&str], disable: &[&str]) -> anyhow::Result<Selection> {
    let set = PolicySet::builtin()?;
    let settings = AuditSettings {
        select: select.iter().map(|s| (*s).to_owned()).collect(),
        disable: disable.iter().map(|s| (*s).to_owned()).collect(),
        ..AuditSettings::default()
    };
    Selection::new(&set, &settings)
}

/// The ids a selection evaluates.
fn enabled(selection: &Selection) -> Vec<String> {
    PolicySet::builtin()
        .unwrap()
        .rule_ids()
        .into_iter()
        .filter(|id| !selection.excluded().contains(id))
        .collect()
}

fn all_ids() -> Vec<String> {
    PolicySet::builtin().unwrap().rule_ids()
}

#[test]
fn nothing_selected_means_every_rule() {
    assert_eq!(enabled(&selection(&[], &[]).unwrap()), all_ids());
}

#[test]
fn select_takes_ids_names_and_id_prefixes_in_any_case() {
    let one = selection(&["pip001"], &[]).unwrap();
    assert_eq!(enabled(&one), ["PIP001"]);
    let by_name = selection(&["user-site-packages-present"], &[]).unwrap();
    assert_eq!(enabled(&by_name), ["PY002"]);
    let prefix = selection(&["PIP"], &[]).unwrap();
    // `PIP` is pip's pack and prefix; PIPENV001 is another tool's.
    let pip: Vec<String> = all_ids()
        .into_iter()
        .filter(|id| id.starts_with("PIP") && !id.starts_with("PIPENV"))
        .collect();
    assert!(pip.len() > 1);
    let pipenv = selection(&["PIPENV"], &[]).unwrap();
    assert_eq!(enabled(&pipenv), ["PIPENV001"]);
    assert_eq!(enabled(&prefix), pip);
    // Several keys add up; disable takes away from them.
    let both = selection(&["PIP", "py001"], &["PIP002"]).unwrap();
    let mut expected: Vec<String> = pip.into_iter().filter(|id| id != "PIP002").collect();
    expected.push("PY001".to_owned());
    expected.sort();
    assert_eq!(enabled(&both), expected);
}

#[test]
fn unselected_rules_are_not_reported_as_disabled() {
    let both = selection(&["PIP"], &["PIP002", "PY001"]).unwrap();
    assert_eq!(both.disabled, ["PIP002"]);
    assert!(
        both.unselected
            .iter()
            .all(|id| !id.starts_with("PIP") || id.starts_with("PIPENV"))
    );
    assert!(both.unselected.contains(&"PY001".to_owned()));
}

#[test]
fn a_key_that_selects_nothing_is_an_error_naming_it() {
    for (select, disable) in [(&["NOPE"][..], &[][..]), (&[][..], &["PIP9"][..])] {
        let error = selection(select, disable).unwrap_err().to_string();
        let key = select.first().or(disable.first()).unwrap();
        assert!(error.contains(key), "{error}");
        assert!(
            error.contains("PIP001"),
            "the known ids are listed: {error}"
        );
    }
}
