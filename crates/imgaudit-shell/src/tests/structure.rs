//! Conditionals, functions, and interactive guards.

use super::{check, parse, rendered_unsets};
use crate::ProblemKind;

#[test]
fn conditionals() {
    check(&[
        (
            "if [ -d /x ]; then\n  export A=1\nfi",
            &["A='1' export cond L2"],
        ),
        (
            "if a; then export A=1; elif b; then export B=2; else export C=3; fi\nexport D=4",
            &[
                "A='1' export cond L1",
                "B='2' export cond L1",
                "C='3' export cond L1",
                "D='4' export L2",
            ],
        ),
        (
            "case $x in\n  a) export A=1 ;;\n  b|c) export B=2;;\nesac",
            &["A='1' export cond L2", "B='2' export cond L3"],
        ),
        (
            "case $x in (a) export A=1;; esac",
            &["A='1' export cond L1"],
        ),
        // The last branch may omit `;;`.
        (
            "case $x in a) export A=1\nesac\nexport B=2",
            &["A='1' export cond L1", "B='2' export L3"],
        ),
        (
            "while read l; do export A=1; done < f",
            &["A='1' export cond L1"],
        ),
        (
            "until false; do export A=1; done",
            &["A='1' export cond L1"],
        ),
        (
            "for i in a b; do export A=$i; done",
            &["A=?'$i' export cond L1"],
        ),
        (
            "for i in do done; do export A=1; done; export B=2",
            &["A='1' export cond L1", "B='2' export L1"],
        ),
        (
            "for ((i=0; i<3; i++)); do export A=1; done",
            &["A='1' export cond L1"],
        ),
        (
            "f() { export A=1; }\nexport B=2",
            &["A='1' export cond L1", "B='2' export L2"],
        ),
        ("f ()\n{\n  export A=1\n}", &["A='1' export cond L3"]),
        ("function f { export A=1; }", &["A='1' export cond L1"]),
        ("function f() {\n export A=1\n}", &["A='1' export cond L2"]),
        ("[ -f x ] && export A=1", &["A='1' export cond L1"]),
        ("[ -f x ] || export A=1", &["A='1' export cond L1"]),
        (
            "test -n \"$x\" && A=1 && export A",
            &["A='1' export cond L1"],
        ),
        // The first command of a list always runs.
        ("export A=1 || true", &["A='1' export L1"]),
        ("export A=1 && true", &["A='1' export L1"]),
        ("true && { export A=1; }", &["A='1' export cond L1"]),
        ("{ export A=1; }", &["A='1' export L1"]),
        ("if x; then :; fi && export A=1", &["A='1' export cond L1"]),
        ("if x; then :; fi; export A=1", &["A='1' export L1"]),
        (
            "[[ -n $x && -d /y ]] && export A=1",
            &["A='1' export cond L1"],
        ),
        ("[[ $x =~ ^(a|b)$ ]]\nexport A=1", &["A='1' export L2"]),
        ("! [ -f x ]\nexport A=1", &["A='1' export L2"]),
        // Keywords are keywords only where a command starts.
        ("echo if then fi\nexport A=1", &["A='1' export L2"]),
        ("echo done; export A=1", &["A='1' export L1"]),
    ]);
    let file = parse("if a; then\n  unset A\nfi");
    assert_eq!(rendered_unsets(&file), ["unset A L2 cond"]);
}

#[test]
fn export_of_conditional_values() {
    // Debian's /etc/profile: `export PATH` after an if/else exports whichever branch ran.
    check(&[
        (
            "if a; then\n  P=1\nelse\n  P=2\nfi\nexport P",
            &["P='1' export cond L2", "P='2' export cond L4"],
        ),
        // An unconditional value with a conditional override: both may be exported.
        (
            "P=0\n[ x ] && P=1\nexport P",
            &["P='0' export L1", "P='1' export cond L2"],
        ),
        // A conditional export makes the assignment conditional.
        ("P=0\n[ x ] && export P", &["P='0' export cond L1"]),
        // An export only in a function body.
        ("P=0\nf() { export P; }", &["P='0' export cond L1"]),
    ]);
}

#[test]
fn interactive_guards() {
    let guards = [
        "case $- in\n    *i*) ;;\n      *) return;;\nesac",
        "case \"$-\" in *i*) ;; *) return ;; esac",
        "[ -z \"$PS1\" ] && return",
        "[ -z \"${PS1-}\" ] && return",
        "[ -z \"${PS1:-}\" ] && return",
        "test -z \"$PS1\" && return",
        "[ \"$PS1\" ] || return",
        "[[ $- != *i* ]] && return",
        "[[ $- == *i* ]] || return",
        "[[ -o interactive ]] || return",
        "if [ -z \"$PS1\" ]; then return; fi",
        "if [[ $- != *i* ]]; then\n  return\nfi",
        "if [ -n \"$PS1\" ]; then\n  :\nelse\n  return\nfi",
        "[ \"${-#*i}\" != \"$-\" ] || return",
        "[ -z \"$PS1\" ] && exit",
    ];
    for guard in guards {
        let text = format!("export ABOVE=1\n{guard}\nexport BELOW=2\n");
        let file = parse(&text);
        let above = super::one(&file, "ABOVE");
        let below = super::one(&file, "BELOW");
        assert!(!above.after_interactive_guard, "{guard}");
        assert!(below.after_interactive_guard, "{guard}");
        assert!(!below.conditional, "{guard}");
        assert!(file.problems.is_empty(), "{guard}: {:?}", file.problems);
    }
}

#[test]
fn not_guards() {
    let not_guards = [
        // Debian's /etc/profile tests PS1 without returning.
        "if [ \"${PS1-}\" ]; then\n  PS1='$ '\nfi",
        // A return that is not about interactivity.
        "[ -f /x ] || return",
        "if [ -f /x ]; then return; fi",
        // `return` inside a function leaves the function only.
        "f() { [ -z \"$PS1\" ] && return; }",
        "f() {\n  case $- in *i*) ;; *) return;; esac\n}",
        // `exit` in a subshell leaves the subshell only.
        "( [ -z \"$PS1\" ] && exit )",
        "[ -z \"$PS1\" ] && echo no",
    ];
    for text in not_guards {
        let file = parse(&format!("{text}\nexport BELOW=2\n"));
        assert!(
            !super::one(&file, "BELOW").after_interactive_guard,
            "{text}"
        );
    }
}

#[test]
fn guard_applies_to_exports_and_unsets_after_it() {
    let file = parse("A=1\n[ -z \"$PS1\" ] && return\nexport A\nunset B");
    let a = super::one(&file, "A");
    assert!(a.exported && a.after_interactive_guard);
    assert_eq!(a.export_line, Some(3));
    assert_eq!(rendered_unsets(&file), ["unset B L4 guard"]);
    // On the same line, after the guard's list.
    let file = parse("[ -z \"$PS1\" ] && return; export A=1");
    assert!(super::one(&file, "A").after_interactive_guard);
}

#[test]
fn unbalanced_text_is_reported_and_read_on() {
    let file = parse("if true; then\n  export A=1\n");
    assert_eq!(file.assignments.len(), 1);
    assert_eq!(file.problems[0].kind, ProblemKind::Unclosed);
    assert_eq!(file.problems[0].line, 1);

    let file = parse("fi\nesac\ndone\n}\n)\nthen\nexport A=1");
    assert_eq!(file.assignments.len(), 1);
    assert!(!file.assignments[0].conditional);
    assert!(
        file.problems
            .iter()
            .all(|p| p.kind == ProblemKind::Unexpected)
    );
    assert_eq!(file.problems.len(), 6);

    let file = parse("export A=\"unterminated\nexport B=2\n");
    assert_eq!(file.problems[0].kind, ProblemKind::Unterminated);
    assert_eq!(file.problems[0].line, 1);
    // The quote swallowed the rest, as it would in the shell.
    assert_eq!(file.assignments.len(), 1);

    let file = parse("export A=$(cat\nexport B=2\n");
    assert_eq!(file.problems[0].kind, ProblemKind::Unterminated);
}
