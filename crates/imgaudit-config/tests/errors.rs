//! Every kind of configuration error points at the right line, column and key.

use std::path::Path;

use imgaudit_config::{Config, ConfigError, ErrorKind, RuleKey};

fn parse_error(source: &str) -> ConfigError {
    match Config::parse(source, Path::new("imgaudit.toml")) {
        Ok(config) => panic!("expected an error, parsed {config:?}"),
        Err(error) => error,
    }
}

/// Asserts the kind, location, key and caret line of an error, and that its rendering holds
/// the message, the source line and the carets.
#[track_caller]
fn assert_at(
    error: &ConfigError,
    kind: ErrorKind,
    line: usize,
    column: usize,
    key: Option<&str>,
    carets: &str,
) {
    let rendered = error.to_string();
    assert_eq!(error.kind(), kind, "{rendered}");
    assert_eq!(error.line(), Some(line), "{rendered}");
    assert_eq!(error.column(), Some(column), "{rendered}");
    assert_eq!(error.key(), key, "{rendered}");
    let mut lines = rendered.lines();
    let first = lines.next().unwrap();
    assert_eq!(
        first,
        format!(
            "{}:{line}:{column}: {}",
            error.path().display(),
            error.message()
        )
    );
    let gutter = " ".repeat(line.to_string().len());
    assert_eq!(lines.next(), Some(format!("{gutter} |").as_str()));
    assert_eq!(
        lines.next(),
        Some(format!("{line} | {}", error.source_line().unwrap()).as_str())
    );
    assert_eq!(
        lines.next(),
        Some(format!("{gutter} | {carets}").as_str()),
        "{rendered}"
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn unknown_top_level_key_renders_like_a_compiler() {
    let error = Config::load(Path::new("tests/data/typo.toml")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "tests/data/typo.toml:2:1: `fial-on` is not a key of imgaudit.toml (expected one \
         of: fail-on, min-severity, dockerfile, policies, sarif-category, image-name, \
         max-expansion-ratio, expansion-floor, rules, suppress); did you mean `fail-on`?\n  |\n2 | fial-on = \"high\"\n  | ^^^^^^^"
    );
    assert_at(&error, ErrorKind::Invalid, 2, 1, Some("fial-on"), "^^^^^^^");
}

#[test]
fn syntax_error() {
    let error = parse_error("fail-on = \"high\"\nmin-severity = \"info\n");
    assert_at(
        &error,
        ErrorKind::Syntax,
        2,
        21,
        None,
        "                    ^",
    );
    assert!(error.message().starts_with("invalid TOML: "), "{error}");

    let error = parse_error("policies = [\n");
    assert_at(&error, ErrorKind::Syntax, 1, 13, None, "            ^");
}

#[test]
fn duplicate_key() {
    let error = parse_error("fail-on = \"high\"\nfail-on = \"low\"\n");
    assert_at(&error, ErrorKind::Syntax, 2, 1, None, "^^^^^^^");
    assert_eq!(error.message(), "invalid TOML: duplicate key `fail-on`");
}

#[test]
fn unknown_keys_in_tables() {
    let error = parse_error("[rules]\nenabled = [\"PY\"]\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        1,
        Some("rules.enabled"),
        "^^^^^^^",
    );
    assert_eq!(
        error.message(),
        "`enabled` is not a key of [rules] (expected one of: enable, disable, severity); did you \
         mean `enable`?"
    );

    let source = "[[suppress]]\nrule = \"PY002\"\nreason = \"r\"\n\n[[suppress]]\nrule = \"PY002\"\nreason = \"r\"\n  paths = [\"/x\"]\n";
    let error = parse_error(source);
    assert_at(
        &error,
        ErrorKind::Invalid,
        8,
        3,
        Some("suppress[1].paths"),
        "  ^^^^^",
    );
    assert!(
        error.message().contains("not a key of [[suppress]]"),
        "{error}"
    );

    let error = parse_error("[image]\nname = \"x\"\n");
    assert_at(&error, ErrorKind::Invalid, 1, 2, Some("image"), " ^^^^^");
}

#[test]
fn wrong_types() {
    let error = parse_error("fail-on = 3\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        1,
        11,
        Some("fail-on"),
        "          ^",
    );
    assert_eq!(
        error.message(),
        "`fail-on` must be a string, not integer `3`"
    );

    let error = parse_error("[rules]\nenable = \"PY\"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        10,
        Some("rules.enable"),
        "         ^^^^",
    );
    assert_eq!(
        error.message(),
        "`rules.enable` must be an array, not string \"PY\""
    );

    let error = parse_error("policies = [\"a\", 2]\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        1,
        18,
        Some("policies[1]"),
        "                 ^",
    );

    let error = parse_error("[suppress]\nrule = \"PY002\"\n");
    assert_eq!(error.key(), Some("suppress"), "{error}");
    assert_eq!(error.line(), Some(1), "{error}");
    assert!(
        error.message().contains("must be an array, not table"),
        "{error}"
    );
}

#[test]
fn bad_severity_and_threshold() {
    let error = parse_error("min-severity = \"severe\"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        1,
        16,
        Some("min-severity"),
        "               ^^^^^^^^",
    );
    assert!(
        error.message().contains("unknown severity `severe`"),
        "{error}"
    );

    let error = parse_error("fail-on = \"never\"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        1,
        11,
        Some("fail-on"),
        "          ^^^^^^^",
    );
    assert!(
        error
            .message()
            .contains("critical, high, medium, low, info, none"),
        "{error}"
    );

    let error = parse_error("[rules]\nseverity = { PY002 = \"lo\" }\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        22,
        Some("rules.severity.PY002"),
        "                     ^^^^",
    );
}

#[test]
fn missing_and_empty_reason() {
    let error = parse_error("fail-on = \"high\"\n\n[[suppress]]\nrule = \"PY002\"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        3,
        1,
        Some("suppress[0]"),
        "^^^^^^^^^^^^",
    );
    assert!(error.message().contains("has no `reason`"), "{error}");

    let error = parse_error("[[suppress]]\nrule = \"PY002\"\nreason = \"  \"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        3,
        10,
        Some("suppress[0].reason"),
        "         ^^^^",
    );
    assert_eq!(error.message(), "`suppress[0].reason` must not be empty");

    let error = parse_error("suppress = [{ reason = \"r\" }]\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        1,
        13,
        Some("suppress[0]"),
        "            ^^^^^^^^^^^^^^^^",
    );
    assert!(error.message().contains("has no `rule`"), "{error}");
}

#[test]
fn empty_values() {
    let error = parse_error("dockerfile = \"\"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        1,
        14,
        Some("dockerfile"),
        "             ^^",
    );
    let error = parse_error("[rules]\ndisable = [\"PY004\", \"\"]\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        21,
        Some("rules.disable[1]"),
        "                    ^^",
    );
    let error = parse_error("[[suppress]]\nrule = \"\"\nreason = \"r\"\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        8,
        Some("suppress[0].rule"),
        "       ^^",
    );
}

#[test]
fn bad_dates() {
    let head = "[[suppress]]\nrule = \"PY002\"\nreason = \"r\"\n";

    // A TOML date that does not exist is a TOML syntax error.
    let error = parse_error(&format!("{head}expires = 2026-02-30\n"));
    assert_at(
        &error,
        ErrorKind::Syntax,
        4,
        11,
        Some("suppress[0].expires"),
        "          ^^^^^^^^^^",
    );

    let error = parse_error(&format!("{head}expires = \"2026-02-30\"\n"));
    assert_at(
        &error,
        ErrorKind::Invalid,
        4,
        11,
        Some("suppress[0].expires"),
        "          ^^^^^^^^^^^^",
    );
    assert_eq!(
        error.message(),
        "`suppress[0].expires`: `2026-02-30` is not a valid date: February 2026 has 28 days"
    );

    let error = parse_error(&format!("{head}expires = \"31/12/2026\"\n"));
    assert!(error.message().contains("YYYY-MM-DD"), "{error}");

    let error = parse_error(&format!("{head}expires = 2026-12-31T23:59:59Z\n"));
    assert_at(
        &error,
        ErrorKind::Invalid,
        4,
        11,
        Some("suppress[0].expires"),
        "          ^^^^^^^^^^^^^^^^^^^^",
    );
    assert!(error.message().contains("without a time"), "{error}");

    let error = parse_error(&format!("{head}expires = 12:00:00\n"));
    assert!(error.message().contains("without a time"), "{error}");

    let error = parse_error(&format!("{head}expires = 20261231\n"));
    assert_eq!(
        error.message(),
        "`suppress[0].expires` must be a date such as 2026-12-31, not integer `20261231`"
    );
}

#[test]
fn bad_globs() {
    let head = "[[suppress]]\nrule = \"PY002\"\nreason = \"r\"\n";
    let error = parse_error(&format!("{head}target = \"/root/[abc\"\n"));
    assert_at(
        &error,
        ErrorKind::Invalid,
        4,
        10,
        Some("suppress[0].target"),
        "         ^^^^^^^^^^^^",
    );
    assert!(error.message().contains("is not a valid glob"), "{error}");

    let error = parse_error(&format!("{head}image = \"team/{{a,b\"\n"));
    assert_at(
        &error,
        ErrorKind::Invalid,
        4,
        9,
        Some("suppress[0].image"),
        "        ^^^^^^^^^^^",
    );
}

const KNOWN: &[RuleKey<'static>] = &[
    RuleKey {
        id: "PY001",
        name: "user-site-packages-present",
        aliases: &[],
        pack: "",
    },
    RuleKey {
        id: "PY002",
        name: "pip-installed-into-distro-python",
        aliases: &[],
        pack: "",
    },
];

fn resolve_error(source: &str) -> ConfigError {
    let config = Config::parse(source, Path::new("imgaudit.toml")).unwrap();
    config.resolve_rules(KNOWN).unwrap_err()
}

#[test]
fn unknown_rules() {
    let error = resolve_error("[rules]\nenable = [\"PY\", \"PIP\"]\n");
    assert_at(
        &error,
        ErrorKind::UnknownRule,
        2,
        17,
        Some("rules.enable[1]"),
        "                ^^^^^",
    );
    assert_eq!(
        error.message(),
        "`PIP` selects no rule (known rules: PY001, PY002)"
    );

    let error = resolve_error("[rules]\ndisable = [\"user-site-package-present\"]\n");
    assert_at(
        &error,
        ErrorKind::UnknownRule,
        2,
        12,
        Some("rules.disable[0]"),
        &format!("{}{}", " ".repeat(11), "^".repeat(27)),
    );
    assert!(
        error
            .message()
            .ends_with("did you mean `user-site-packages-present`?"),
        "{error}"
    );

    let error = resolve_error("[rules]\nseverity = { PY002 = \"low\", PY9 = \"high\" }\n");
    assert_at(
        &error,
        ErrorKind::UnknownRule,
        2,
        29,
        Some("rules.severity.PY9"),
        "                            ^^^",
    );

    // A suppression names one rule, not a prefix.
    let error = resolve_error("[[suppress]]\nrule = \"PY\"\nreason = \"r\"\n");
    assert_at(
        &error,
        ErrorKind::UnknownRule,
        2,
        8,
        Some("suppress[0].rule"),
        "       ^^^^",
    );
    assert!(
        error.message().contains("is not the id or name of a rule"),
        "{error}"
    );

    let config = Config::parse("[rules]\ndisable = [\"PY\"]\n", Path::new("x.toml")).unwrap();
    let error = config.resolve_rules(&[]).unwrap_err();
    assert_eq!(
        error.message(),
        "`PY` selects no rule (no rules are loaded)"
    );
}

#[test]
fn conflicting_severities() {
    let source = "[rules]\nseverity = { PY002 = \"low\", \"pip-installed-into-distro-python\" = \"high\" }\n";
    let error = resolve_error(source);
    assert_at(
        &error,
        ErrorKind::Conflict,
        2,
        29,
        Some("rules.severity.pip-installed-into-distro-python"),
        &format!("{}{}", " ".repeat(28), "^".repeat(34)),
    );
    assert_eq!(
        error.message(),
        "`pip-installed-into-distro-python` sets the severity of PY002 to high, but `PY002` \
         (line 2) sets it to low"
    );
    // The same severity twice is no conflict.
    let config = Config::parse(
        "[rules]\nseverity = { py002 = \"low\", PY002 = \"low\" }\n",
        Path::new("imgaudit.toml"),
    )
    .unwrap();
    assert_eq!(config.resolve_rules(KNOWN).unwrap().severity.len(), 1);
}

#[test]
fn unreadable_file() {
    let error = Config::load(Path::new("tests/data/does-not-exist.toml")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Read);
    assert_eq!(error.line(), None);
    assert!(
        error
            .to_string()
            .starts_with("tests/data/does-not-exist.toml: cannot read the file: "),
        "{error}"
    );
    assert!(std::error::Error::source(&error).is_some());

    let error = Config::load(Path::new("tests/data")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Read);
}

#[test]
fn file_that_is_not_utf8() {
    let error = Config::load(Path::new("tests/data/latin1.toml")).unwrap_err();
    assert_at(
        &error,
        ErrorKind::NotUtf8,
        2,
        18,
        None,
        "                 ^",
    );
    assert_eq!(error.message(), "the file is not UTF-8 (byte 0xe9)");
    assert_eq!(error.source_line(), Some("image-name = \"caf\u{fffd}\""));
    assert_eq!(error.span(), Some(34..35));
}

#[test]
fn errors_after_a_byte_order_mark_and_on_crlf_lines() {
    let error = parse_error("\u{feff}fail-on = \"high\"\r\nmin-severity = 1\r\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        16,
        Some("min-severity"),
        "               ^",
    );
    assert_eq!(error.source_line(), Some("min-severity = 1"));
}

/// Mangled files give errors, never panics.
#[test]
fn never_panics() {
    let full = std::fs::read_to_string("tests/data/full.toml").unwrap();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: Vec<char> = "[]{}=\"'\n\r\t ,.#-_:*?\\/0123456789aéz\u{feff}\u{0}"
        .chars()
        .collect();
    for _ in 0..3000 {
        let mut text: Vec<char> = full.chars().collect();
        for _ in 0..=(next() % 6) {
            let len = text.len() as u64;
            let at = usize::try_from(next() % (len + 1)).unwrap();
            let pick = alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()];
            match next() % 3 {
                0 if at < text.len() => {
                    text.remove(at);
                }
                1 if at < text.len() => text[at] = pick,
                _ => text.insert(at, pick),
            }
        }
        let text: String = text.into_iter().collect();
        match Config::parse(&text, Path::new("imgaudit.toml")) {
            Ok(config) => {
                let _ = config.resolve_rules(KNOWN);
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
    let deep = format!("x = {}", "[".repeat(100_000));
    assert_eq!(parse_error(&deep).kind(), ErrorKind::Syntax);
    let deep = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Config::parse(&deep, Path::new("imgaudit.toml")).is_err());
}

#[test]
fn an_expansion_ratio_of_zero_is_refused_at_its_value() {
    let error = parse_error("fail-on = \"high\"\nmax-expansion-ratio = 0\n");
    assert_at(
        &error,
        ErrorKind::Invalid,
        2,
        23,
        Some("max-expansion-ratio"),
        &format!("{}^", " ".repeat(22)),
    );
    assert!(error.message().contains("at least 1"), "{error}");
    let error = parse_error("expansion-floor = -1\n");
    assert_eq!(error.line(), Some(1), "{error}");
}
