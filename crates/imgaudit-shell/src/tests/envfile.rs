//! `/etc/environment` as `pam_env` reads it.

use super::{rendered, rendered_unsets};
use crate::{ProblemKind, parse_environment_file};

fn env(text: &str) -> crate::ShellFile {
    parse_environment_file(text.as_bytes())
}

#[test]
fn pam_env_lines() {
    let table: &[(&str, &[&str])] = &[
        ("PIP_USER=1", &["PIP_USER='1' pam L1"]),
        ("export PIP_USER=1", &["PIP_USER='1' pam L1"]),
        ("  \tPIP_USER=1", &["PIP_USER='1' pam L1"]),
        ("# PIP_USER=1\n\nB=2", &["B='2' pam L3"]),
        // Quotes: the first and a last one go, inner ones stay.
        ("A=\"x y\"", &["A='x y' pam L1"]),
        ("A='x y'", &["A='x y' pam L1"]),
        ("A=\"x\"y\"", &["A='x\"y' pam L1"]),
        ("A=\"x'", &["A='x' pam L1"]),
        ("A=x\"", &["A='x\"' pam L1"]),
        // Trailing blanks belong to the value; so a quote before them stays.
        ("A=1 ", &["A='1 ' pam L1"]),
        ("A=\"1\" ", &["A='1\" ' pam L1"]),
        // `#` ends the line anywhere, even inside quotes.
        ("A=1 # comment", &["A='1 ' pam L1"]),
        ("A=\"x#y\"", &["A='x' pam L1"]),
        // No expansion, no escapes.
        ("A=$HOME/x", &["A='$HOME/x' pam L1"]),
        ("A=${B:-1}", &["A='${B:-1}' pam L1"]),
        ("A=x\\ y", &["A='x\\ y' pam L1"]),
        ("A=", &["A='' pam L1"]),
        ("A==1", &["A='=1' pam L1"]),
        // Continuations: the backslash becomes a space.
        ("A=one\\\ntwo", &["A='one two' pam L1"]),
        ("A=one \\\n  two", &["A='one    two' pam L1"]),
        ("A=one\\\n# comment\ntwo", &["A='one two' pam L1"]),
        // A digit first is fine for pam_env.
        ("1A=x", &["1A='x' pam L1"]),
        // Exactly `export ` with one space.
        ("export  A=1", &[]),
        ("export\tA=1", &[]),
        ("A-B=1", &[]),
        ("=1", &[]),
        ("A B=1", &[]),
        ("A=1\r", &["A='1\r' pam L1"]),
    ];
    for (text, expected) in table {
        let file = env(text);
        assert_eq!(rendered(&file), *expected, "{text:?}");
    }
}

#[test]
fn pam_env_problems_and_deletes() {
    let file = env("A\nexport B\nC-D=1\n=x\n");
    assert_eq!(rendered_unsets(&file), ["unset A L1", "unset B L2"]);
    assert_eq!(
        file.problems
            .iter()
            .map(|p| (p.line, p.kind))
            .collect::<Vec<_>>(),
        [(3, ProblemKind::InvalidLine), (4, ProblemKind::InvalidLine)]
    );

    // An open continuation at the end of the file is dropped.
    let file = env("A=1\nB=2\\\n");
    assert_eq!(rendered(&file), ["A='1' pam L1"]);
    assert_eq!(file.problems[0].kind, ProblemKind::Unterminated);

    // A NUL byte stops the file.
    let file = parse_environment_file(b"A=1\nB=\x002\nC=3\n");
    assert_eq!(rendered(&file), ["A='1' pam L1"]);
    assert_eq!(file.problems[0].kind, ProblemKind::Stopped);
    assert_eq!(file.problems[0].line, 2);
}

#[test]
fn pam_env_source_lines_and_order() {
    let file = env("# header\n  PIP_USER=\"1\"  \nA=1\\\n 2\nPIP_USER=0\n");
    assert_eq!(file.assignments[0].source_line, "PIP_USER=\"1\"");
    assert_eq!(file.assignments[1].source_line, "A=1\\\n2");
    assert_eq!(file.assignments[2].line, 5);
    assert!(file.assignments.windows(2).all(|w| w[0].seq < w[1].seq));
    let non_utf8 = parse_environment_file(b"A=caf\xe9\n");
    assert_eq!(non_utf8.assignments[0].value.text(), Some("caf\u{fffd}"));
}
