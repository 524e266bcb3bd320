//! The ways people write assignments, and what the shell makes of them.

use super::{check, one, parse, rendered_unsets};
use crate::{Event, Value};

#[test]
fn export_forms() {
    check(&[
        ("export A=1", &["A='1' export L1"]),
        ("export A=1 B=2", &["A='1' export L1", "B='2' export L1"]),
        // Exported later: the assignment counts with the value it had.
        ("A=1\nexport A", &["A='1' export L1"]),
        ("A=1; export A", &["A='1' export L1"]),
        (
            "A=1 B=2\nexport A B",
            &["A='1' export L1", "B='2' export L1"],
        ),
        // Only the last value before the export is exported.
        ("A=1\nA=2\nexport A", &["A='1' plain L1", "A='2' export L2"]),
        // After an export, plain assignments are exported too.
        ("export A\nA=3", &["A=!$A export L1", "A='3' export L2"]),
        // A name never assigned here re-exports what was inherited.
        ("export PIP_USER", &["PIP_USER=!$PIP_USER export L1"]),
        // `--` ends the options; `-p` prints, `-f` is about functions.
        ("export -- A=1", &["A='1' export L1"]),
        ("export -p", &[]),
        ("export -f f", &[]),
        // `export "A=1"` is an ordinary argument to the builtin, and works.
        (
            "export \"A=1\" 'B=2'",
            &["A='1' export L1", "B='2' export L1"],
        ),
        ("export A+=x", &["A=?'$Ax' export L1"]),
        ("A=a\nexport A+=b", &["A='a' plain L1", "A=~'ab' export L2"]),
    ]);
    let file = parse("A=1\n\nexport A\n");
    assert_eq!(one(&file, "A").export_line, Some(3));
}

#[test]
fn plain_assignments_are_kept_unexported() {
    check(&[
        ("A=1", &["A='1' plain L1"]),
        ("A=1 B=2", &["A='1' plain L1", "B='2' plain L1"]),
        ("A=", &["A='' plain L1"]),
        ("A=1 >/dev/null", &["A='1' plain L1"]),
        ("A=1 2>/dev/null", &["A='1' plain L1"]),
    ]);
}

#[test]
fn prefix_assignments_are_not_the_shells() {
    check(&[
        ("PIP_USER=1 pip install x", &[]),
        ("A=1 B=2 env", &[]),
        ("A=1 \"$cmd\" arg", &[]),
        // The builtin after the prefix still counts.
        ("A=1 export B=2", &["B='2' export L1"]),
        // Not an assignment: quoted name, or a command word first.
        ("\"A\"=1", &[]),
        ("echo A=1", &[]),
        ("env PIP_USER=1 pip", &[]),
        // Array elements are assignments of the shell, never exported: not recorded, but
        // they do not turn the line into a command either.
        ("A[0]=1", &[]),
        ("A[$i]=1 B=2", &["B='2' plain L1"]),
        ("A=1 B[1]+=x", &["A='1' plain L1"]),
        ("A=1 B[1]x=y", &[]),
    ]);
}

#[test]
fn declare_typeset_local_readonly() {
    check(&[
        ("declare -x A=1", &["A='1' declare L1"]),
        ("declare -gx A=1", &["A='1' declare L1"]),
        ("typeset -x A=1", &["A='1' declare L1"]),
        ("declare -r -x A=1", &["A='1' declare L1"]),
        ("declare A=1", &["A='1' plain L1"]),
        ("declare -x A", &["A=!$A declare L1"]),
        ("A=1\ndeclare -x A", &["A='1' declare L1"]),
        ("readonly A=1", &["A='1' plain L1"]),
        ("readonly -x A=1", &["A='1' declare L1"]),
        ("local A=1", &["A='1' plain L1"]),
        ("local -x A=1", &["A='1' declare L1"]),
        ("declare -i A=5", &["A='5' plain L1"]),
        ("declare -ix A=2+3", &["A=!2+3 declare L1"]),
        // Arrays, namerefs, functions and printing never put a variable in the environment.
        ("declare -a A=(1 2)", &[]),
        ("declare -n A=B", &[]),
        ("declare -f f", &[]),
        ("declare -p A", &[]),
        ("A=(1 2 3)", &["A=!(1 2 3) plain L1"]),
    ]);
    // `local` does not change what later lines see.
    let file = parse("A=outer\nf() {\n  local A=inner\n}\nexport B=$A");
    assert_eq!(
        one(&file, "B").value,
        Value::Expanded {
            text: "outer".into(),
            certain: true
        }
    );
}

#[test]
fn export_removal() {
    let file = parse("export A=1\nexport -n A\ndeclare +x B\nunset C D\nunset -v E\nunset -f F");
    assert_eq!(
        rendered_unsets(&file),
        [
            "unexport A L2",
            "unexport B L3",
            "unset C L4",
            "unset D L4",
            "unset E L5",
        ]
    );
    // After `export -n`, plain assignments are no longer exported.
    check(&[
        (
            "export A=1\nexport -n A\nA=2",
            &["A='1' export L1", "A='2' plain L3"],
        ),
        ("export -n A=1", &["A='1' plain L1"]),
        // After `unset`, `export A` exports nothing until a value comes.
        ("A=1\nunset A\nexport A", &["A='1' plain L1"]),
        (
            "A=1\nunset A\nexport A\nA=2",
            &["A='1' plain L1", "A='2' export L4"],
        ),
    ]);
}

#[test]
fn events_keep_source_order() {
    let file = parse("export A=1\nunset A\nexport A=2; unset A");
    let order: Vec<String> = file
        .events()
        .iter()
        .map(|e| match e {
            Event::Assign(a) => format!("set {}={}", a.name, a.value.text().unwrap_or("?")),
            Event::Unset(u) => format!("unset {}", u.name),
        })
        .collect();
    assert_eq!(order, ["set A=1", "unset A", "set A=2", "unset A"]);
    assert_eq!(file.exported().count(), 2);
}

#[test]
fn allexport_blocks() {
    check(&[
        (
            "set -a\nA=1\nB=2\nset +a\nC=3",
            &["A='1' auto L2", "B='2' auto L3", "C='3' plain L5"],
        ),
        (
            "set -o allexport\nA=1\nset +o allexport\nB=2",
            &["A='1' auto L2", "B='2' plain L4"],
        ),
        ("set -ea\nA=1", &["A='1' auto L2"]),
        ("set -euo allexport\nA=1", &["A='1' auto L2"]),
        ("set -e\nA=1", &["A='1' plain L2"]),
        ("set -- -a\nA=1", &["A='1' plain L2"]),
        // A `set -a` that may not run makes what follows conditionally exported.
        ("[ -f x ] && set -a\nA=1", &["A='1' auto cond L2"]),
        // `source` inside an allexport block is the common idiom; the sourced file is not read.
        ("set -a\n. /etc/default/pip\nset +a", &[]),
    ]);
}

#[test]
fn quoting() {
    check(&[
        ("export A='x y'", &["A='x y' export L1"]),
        (
            r#"export A="x \"y\" \$z \\ \a""#,
            &[r#"A='x "y" $z \ \a' export L1"#],
        ),
        (r"export A=x\ y\\z", &[r"A='x y\z' export L1"]),
        (
            r"export A=$'a\tb\x41\101\u00e9\'q'",
            &["A='a\tbAAé'q' export L1"],
        ),
        (r#"export A=$"hello""#, &["A='hello' export L1"]),
        ("export A='it'\\''s'", &["A='it's' export L1"]),
        (
            "export A=\"#not a comment\"",
            &["A='#not a comment' export L1"],
        ),
        ("export A='#' # a comment", &["A='#' export L1"]),
        ("export A=a#b", &["A='a#b' export L1"]),
        ("export A=1# B=2", &["A='1#' export L1", "B='2' export L1"]),
        ("export A=1 #B=2", &["A='1' export L1"]),
        ("export A=''", &["A='' export L1"]),
        ("export A=\"\"", &["A='' export L1"]),
        // A multi-line single-quoted value: the line is the name's.
        (
            "export A='one\ntwo'\nexport B=3",
            &["A='one\ntwo' export L1", "B='3' export L3"],
        ),
    ]);
}

#[test]
fn expansion() {
    check(&[
        ("B=x\nexport A=$B", &["B='x' plain L1", "A=~'x' export L2"]),
        (
            "B=x\nexport A=\"${B}/y\"",
            &["B='x' plain L1", "A=~'x/y' export L2"],
        ),
        ("export A=$HOME/.local", &["A=?'$HOME/.local' export L1"]),
        ("export A=${HOME}/x", &["A=?'${HOME}/x' export L1"]),
        // `${A:-x}` with A unknown: the default, uncertain.
        (
            "export PIP_USER=${PIP_USER:-1}",
            &["PIP_USER=?'1' export L1"],
        ),
        (
            "B=\nexport A=${B:-d}",
            &["B='' plain L1", "A=~'d' export L2"],
        ),
        ("B=\nexport A=${B-d}", &["B='' plain L1", "A=~'' export L2"]),
        (
            "B=v\nexport A=${B:-d}",
            &["B='v' plain L1", "A=~'v' export L2"],
        ),
        ("unset B\nexport A=${B:-d}", &["A=~'d' export L2"]),
        ("export A=${B:+x}", &["A=?'x' export L1"]),
        (
            "B=1\nexport A=${B:+x}",
            &["B='1' plain L1", "A=~'x' export L2"],
        ),
        (
            "B=\nexport A=${B:+x}",
            &["B='' plain L1", "A=~'' export L2"],
        ),
        ("export A=\"${B:-\"q r\"}\"", &["A=?'q r' export L1"]),
        ("export A=${B:-${C:-z}}", &["A=?'z' export L1"]),
        (
            "export A=${B:=z}; export C=$B",
            &["A=?'z' export L1", "C=?'z' export L1"],
        ),
        // Known from an earlier conditional assignment: uncertain.
        (
            "if x; then B=1; fi\nexport A=$B",
            &["B='1' plain cond L1", "A=?'1' export L2"],
        ),
        // Things that have to run.
        ("export A=$(cat /x)", &["A=!$(cat /x) export L1"]),
        ("export A=\"`cat /x`\"", &["A=!\"`cat /x`\" export L1"]),
        ("export A=$((1+2))", &["A=!$((1+2)) export L1"]),
        ("export A=${B%/*}", &["A=!${B%/*} export L1"]),
        ("export A=${#B}", &["A=!${#B} export L1"]),
        // Tilde: `$HOME` when the file set it, else as written and uncertain.
        (
            "export PYTHONUSERBASE=~/.local",
            &["PYTHONUSERBASE=?'~/.local' export L1"],
        ),
        (
            "HOME=/h\nexport PYTHONUSERBASE=~/.local",
            &[
                "HOME='/h' plain L1",
                "PYTHONUSERBASE=~'/h/.local' export L2",
            ],
        ),
        (
            "HOME=/h\nexport P=/a:~/b",
            &["HOME='/h' plain L1", "P=~'/a:/h/b' export L2"],
        ),
        ("export A='~/x'", &["A='~/x' export L1"]),
        ("export A=x~y", &["A='x~y' export L1"]),
        // Special parameters are unknown.
        ("export A=$1", &["A=?'$1' export L1"]),
        ("export A=$$", &["A=?'$$' export L1"]),
        // A lone `$` is literal.
        ("export A=$", &["A='$' export L1"]),
        ("export A=\"a$\"", &["A='a$' export L1"]),
    ]);
}

#[test]
fn comments_and_continuations() {
    check(&[
        ("# export A=1", &[]),
        ("   # export A=1\nexport B=1", &["B='1' export L2"]),
        ("export A=1 # export B=2", &["A='1' export L1"]),
        (
            "export \\\n  A=1 \\\n  B=2",
            &["A='1' export L2", "B='2' export L3"],
        ),
        ("export A=one\\\ntwo", &["A='onetwo' export L1"]),
        ("export A=\"one\\\ntwo\"", &["A='onetwo' export L1"]),
        // A backslash inside single quotes does not continue.
        ("export A='x\\\ny'", &["A='x\\\ny' export L1"]),
        // A backslash at the end of a comment does not either.
        ("# comment \\\nexport A=1", &["A='1' export L2"]),
        (
            "export A=1;export B=2 ; export C=3;",
            &["A='1' export L1", "B='2' export L1", "C='3' export L1"],
        ),
    ]);
    let file = parse("export \\\n  PIP_USER=1");
    assert_eq!(one(&file, "PIP_USER").source_line, "export \\\nPIP_USER=1");
}

#[test]
fn heredoc_bodies_are_skipped() {
    check(&[
        (
            "cat <<EOF >/etc/x\nexport A=1\nEOF\nexport B=2",
            &["B='2' export L4"],
        ),
        (
            "cat <<'EOF'\nexport A=$(x)\nEOF\nexport B=2",
            &["B='2' export L4"],
        ),
        ("cat << \"END\"\nA=1\nEND\nB=2", &["B='2' plain L4"]),
        (
            "cat <<-EOF\n\texport A=1\n\tEOF\nexport B=2",
            &["B='2' export L4"],
        ),
        // Without `-`, a tab-indented delimiter does not end the body.
        ("cat <<EOF\nA=1\n\tEOF\nEOF\nB=2", &["B='2' plain L5"]),
        // Two here-documents on one line, and a command after the operator.
        (
            "cat <<A <<B; export X=1\na\nA\nb\nB\nexport Y=2",
            &["X='1' export L1", "Y='2' export L6"],
        ),
        // `<<<` is a here-string, not a here-document.
        ("cat <<< x\nexport A=1", &["A='1' export L2"]),
        // Shift operators inside arithmetic are not here-documents.
        (
            "export A=$((1<<2))\nexport B=1",
            &["A=!$((1<<2)) export L1", "B='1' export L2"],
        ),
    ]);
    let file = parse("cat <<EOF\nexport A=1\n");
    assert!(file.assignments.is_empty());
    assert!(!file.problems.is_empty());
}

#[test]
fn subshells_pipelines_and_background_do_not_count() {
    check(&[
        ("(export A=1)", &[]),
        ("( A=1; export A )\nexport B=2", &["B='2' export L2"]),
        ("export A=1 | cat", &[]),
        ("cat x | export A=1", &[]),
        ("cat x | while read l; do export A=1; done", &[]),
        ("export A=1 &", &[]),
        ("export A=1 & export B=2", &["B='2' export L1"]),
        // But a brace group is the current shell.
        ("{ export A=1; } >/dev/null", &["A='1' export L1"]),
        ("export A=$(export B=1)", &["A=!$(export B=1) export L1"]),
    ]);
}

#[test]
fn non_utf8_is_decoded_lossily() {
    let file = crate::parse_shell(b"export A=caf\xe9\nexport B=1\n");
    assert_eq!(one(&file, "A").value, Value::Literal("caf\u{fffd}".into()));
    assert_eq!(one(&file, "B").line, 2);
}

#[test]
fn carriage_returns_are_ordinary_characters() {
    // bash keeps the `\r`, which pip then rejects as a boolean: worth seeing.
    let file = parse("export PIP_USER=1\r\n");
    assert_eq!(one(&file, "PIP_USER").value, Value::Literal("1\r".into()));
    assert_eq!(one(&file, "PIP_USER").source_line, "export PIP_USER=1");
}

#[test]
fn builtin_and_command_prefixes() {
    check(&[
        ("builtin export A=1", &["A='1' export L1"]),
        ("command export A=1", &["A='1' export L1"]),
        ("command -v export", &[]),
    ]);
}

#[test]
fn source_line_is_the_trimmed_line() {
    let file = parse("if true; then\n    export PIP_USER=1   \nfi\n");
    assert_eq!(one(&file, "PIP_USER").source_line, "export PIP_USER=1");
    let file = parse("  A=1; B=2; export A B  ");
    assert_eq!(one(&file, "B").source_line, "A=1; B=2; export A B");
}
