//! Hostile configuration files: poetry's files come from the image, so parsing them must stay
//! bounded and never panic.

use std::fmt::Write as _;

use imgaudit_poetry::{PoetryConfigFile, TomlValue};

#[test]
fn deep_nesting_is_an_error_or_bounded_not_a_crash() {
    let arrays = format!("a = {}{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let _ = PoetryConfigFile::parse(&arrays);
    let tables = format!("{} = 1\n", vec!["k"; 10_000].join("."));
    if let Ok(file) = PoetryConfigFile::parse(&tables) {
        assert!(file.entries.iter().all(|e| e.path.len() <= 32));
    }
    let inline = format!("a = {}1{}\n", "{ b = ".repeat(10_000), " }".repeat(10_000));
    let _ = PoetryConfigFile::parse(&inline);
}

/// Regression: line numbers were once found by counting from the start for every key, which
/// made this file take 15 s.
#[test]
fn many_keys_are_capped() {
    let mut text = String::new();
    for i in 0..20_000 {
        writeln!(text, "k{i} = {i}").unwrap();
    }
    let file = PoetryConfigFile::parse(&text).expect("valid TOML");
    assert_eq!(file.entries.len(), 10_000);
}

#[test]
fn odd_but_valid_files() {
    let file = PoetryConfigFile::parse("\u{feff}[virtualenvs]\ncreate = 0.0\n").unwrap();
    let create = file.get(&["virtualenvs", "create"]).unwrap();
    assert_eq!(create.value, TomlValue::Float("0.0".into()));
    assert!(!create.value.python_truthy());
    assert!(PoetryConfigFile::parse("\u{0}").is_err());
    assert!(PoetryConfigFile::parse("a = 1\na = 2\n").is_err());
}
